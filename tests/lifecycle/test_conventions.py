"""The conventions of docs/user-guide.md §"Conventions" (issue 27), each checked against a
hand computation that does not read the engine:

* part clocks start when their product enters use (mid-year for new products) and again at
  every replacement: a fixed part life L fails at entry + L, + 2L, …;
* one exposure basis — piece-years in use — for the use phase and ``replacement_rate``;
* part reuse routes go ``into`` new products, spares or both;
* sub-parts inside reused assemblies count as reused parts;
* a ratio 0/0 is not defined (NaN, ``null`` in JSON); figures carry their units.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan import lifecycle
from junkan.lifecycle.engine import RawResult

START, END = 2020, 2034


def _doc(
    part_life: str | None = None,
    product_life: str = "100 year",
    sales: Any = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """One machine with one pump (2 kg) and 8 kg of frame; sold in 2020 only."""
    maintenance: dict[str, Any] = {
        "part": "pump",
        "processes": ["service"],
        "uncollected": {"landfill": 1},
    }
    if rate is not None:
        maintenance["replacement_rate"] = rate
    else:
        maintenance["lifetime"] = {"distribution": "fixed", "mean": part_life}
    return {
        "name": "pumps",
        "years": {"start": START, "end": END},
        "actors": {
            "maker": {"role": "product_maker"},
            "user": {"role": "user"},
            "waste": {"role": "waste_handler"},
        },
        "materials": {"steel": {"virgin": {"co2e": "2 kgCO2e/kg", "source": "test"}}},
        "parts": {"pump": {"bom": [{"material": "steel", "mass": "2 kg"}]}},
        "products": {
            "machine": {
                "sales": sales if sales is not None else {START: 100, START + 1: 0},
                "lifetime": {"distribution": "fixed", "mean": product_life},
                "bom": [{"part": "pump"}, {"material": "steel", "mass": "8 kg"}],
                "use": ["running"],
                "maintenance": [maintenance],
                "eol": {"uncollected": {"landfill": 1}},
            }
        },
        "processes": {
            "service": {
                "actor": "user",
                "stage": "maintenance",
                "cost": "100 JPY/piece",
                "source": "test",
            },
            "running": {
                "actor": "user",
                "stage": "use",
                "co2e": "10 kgCO2e/piece/year",
                "source": "test",
            },
            "landfill": {
                "actor": "waste",
                "stage": "disposal",
                "kind": "landfill",
                "source": "test",
            },
        },
    }


def _run(doc: dict[str, Any], scenario: str | None = None) -> lifecycle.Result:
    return lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="test.yaml"), scenario)


def hand_replacements(
    part_life: str, product_life: str, sold: float = 100.0, entry: int = START
) -> dict[int, float]:
    """The recurrence of the guide, in exact arithmetic: the machine enters use at
    ``entry + ½``; its pump fails at ``t₁ = entry + ½ + L`` and is replaced at once, the
    replacement fails at ``t₂ = t₁ + L``, …; a failure at time t falls in year ⌈t⌉ − 1 (a
    failure exactly at a year end belongs to the year that ends); a pump failing at (or
    after) the machine's retirement is not replaced."""
    life, prod = Fraction(part_life.split()[0]), Fraction(product_life.split()[0])
    enter = entry + Fraction(1, 2)
    out: dict[int, float] = {}
    t = enter + life
    while t - enter < prod and t <= END + 1:
        year = math.ceil(t) - 1
        out[year] = out.get(year, 0.0) + sold
        t += life
    return out


def _series(raw: RawResult, hand: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    years = raw.compiled.years
    return raw.replaced[:, 0], np.array([hand.get(int(y), 0.0) for y in years])


@pytest.mark.parametrize("life", ["0.2 year", "1.2 year", "2.0 year", "2.2 year", "2.7 year"])
@pytest.mark.parametrize("product", ["100 year", "6.6 year"])
def test_fixed_part_lifetimes_follow_the_hand_recurrence(life: str, product: str) -> None:
    raw = _run(_doc(life, product)).raw
    got, want = _series(raw, hand_replacements(life, product))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_the_pump_of_the_issue() -> None:
    """A pump with a fixed 2.2-year life in machines sold in 2020 (mid-year): fails at
    2022.7, 2024.9, 2027.1, … — replaced in 2022, 2024, 2027 (the old engine: 2023, 2026,
    2029, its clocks starting half a year late and replacements at year end)."""
    raw = _run(_doc("2.2 year")).raw
    years = [int(y) for y, n in zip(raw.compiled.years, raw.replaced[:, 0], strict=True) if n > 0]
    assert years[:4] == [2022, 2024, 2027, 2029]
    # a part under half a year is replaced in its product's first year: 0.2 → 2020.7, 2020.9
    short = _run(_doc("0.2 year")).raw
    assert short.replaced[0, 0] == pytest.approx(200.0)
    assert short.replaced[1, 0] == pytest.approx(500.0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    life=st.decimals(min_value="0.001", max_value="10", places=3),
    product=st.decimals(min_value="0.5", max_value="30", places=2),
)
def test_any_fixed_part_lifetime_matches_the_recurrence(life: Any, product: Any) -> None:
    part_life, product_life = f"{life} year", f"{product} year"
    raw = _run(_doc(part_life, product_life)).raw
    got, want = _series(raw, hand_replacements(part_life, product_life))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    life=st.decimals(min_value="0.001", max_value="10", places=4),
    product=st.decimals(min_value="0.1", max_value="40", places=3),
)
def test_any_fixed_part_lifetime_matches_the_recurrence_many(life: Any, product: Any) -> None:
    test_any_fixed_part_lifetime_matches_the_recurrence.hypothesis.inner_test(  # type: ignore[attr-defined]
        life, product
    )


@pytest.mark.parametrize(
    ("product_life", "per_year"),
    [
        ("3 year", [50, 100, 100, 50]),  # enters 2020.5, retires 2023.5
        ("2.2 year", [50, 100, 70]),  # retires 2022.7
    ],
)
def test_one_exposure_basis_for_use_phase_and_replacements(
    product_life: str, per_year: list[float]
) -> None:
    """The guide's worked example: 100 machines sold in 2020, a replacement_rate of 0.1 and
    a use phase of 10 kgCO2e per piece-year are both charged on piece-years in use."""
    res = _run(_doc(product_life=product_life, rate=0.1))
    exposure = res.to_frame("products")["exposure_piece_year"].to_numpy()
    want = np.array(per_year + [0.0] * (END - START + 1 - len(per_year)), dtype=float)
    np.testing.assert_allclose(exposure, want, atol=1e-9)
    np.testing.assert_allclose(res.raw.replaced[:, 0], 0.1 * want, atol=1e-9)
    running = res.raw.compiled.processes.index["running"]
    np.testing.assert_allclose(res.impacts()[:, running, 0], 10 * want, atol=1e-9)
    life = float(product_life.split()[0])
    assert res.raw.replaced.sum() == pytest.approx(0.1 * life * 100)  # r·L per machine


def test_exposure_of_distributed_lifetimes_is_the_mean_life() -> None:
    """For any lifetime distribution, the piece-years of a cohort are its mean lifetime
    (horizon long enough): Weibull(6, 2) → 6·Γ(1.5) = 5.317 years."""
    doc = _doc(rate=0.05)
    doc["years"]["end"] = START + 60
    doc["products"]["machine"]["lifetime"] = {
        "distribution": "weibull",
        "scale": "6 year",
        "shape": 2,
    }
    raw = _run(doc).raw
    assert raw.exposure.sum() / 100 == pytest.approx(6 * math.gamma(1.5), rel=1e-9)
    assert raw.replaced.sum() == pytest.approx(0.05 * raw.exposure.sum(), rel=1e-12)


def test_distributed_part_lifetime_renews_at_the_mean_rate() -> None:
    """An exponential part life (Weibull shape 1, scale 2 years) fails 0.5 times per
    part-year in use; on the 1/64-year renewal grid within 0.5 %."""
    doc = _doc()
    doc["products"]["machine"]["maintenance"][0]["lifetime"] = {
        "distribution": "weibull",
        "scale": "2 year",
        "shape": 1,
    }
    doc["products"]["machine"]["sales"] = 100
    raw = _run(doc).raw
    np.testing.assert_allclose(raw.replaced[:, 0], 0.5 * raw.exposure[:, 0], rtol=5e-3)


# ---- part reuse routes --------------------------------------------------------------------


def _reuse_doc(into: str | None) -> dict[str, Any]:
    """Machines sold 2020–2024, none after; retired machines collected and dismantled, their
    pumps reused; pumps also replaced in service at 10 % per piece-year."""
    doc = _doc(rate=0.1, product_life="3 year", sales={START: 100, 2024: 100, 2025: 0})
    reuse: dict[str, Any] = {"share": 1.0, "pass_rate": 0.5}
    if into is not None:
        reuse["into"] = into
    doc["parts"]["pump"]["recovery"] = {"reuse": reuse}
    doc["products"]["machine"]["eol"] = {
        "collection": {"rate": 1.0},
        "dismantling": {"extract": ["pump"], "residual": {"landfill": 1}},
    }
    return doc


def test_reused_parts_go_into_new_products_by_default() -> None:
    res = _run(_reuse_doc(None))
    raw, years = res.raw, res.years
    assert raw.parts_reused[years <= 2025].sum() > 0
    assert raw.parts_reused_spare.sum() == 0  # never as spares
    assert np.all(raw.parts_reused[years >= 2026] == 0)  # no new machines, no reuse
    assert raw.replaced[years >= 2026].sum() > 0  # while spares are still needed
    pumps = res.to_frame("parts").set_index("year")
    assert (pumps["made_piece"] + pumps["reused_piece"]).loc[2020] == pytest.approx(
        100 + raw.replaced[0, 0]
    )
    assert res.raw.balance_error <= 1e-9


def test_reused_parts_as_spares_only() -> None:
    raw = _run(_reuse_doc("spares")).raw
    np.testing.assert_allclose(raw.parts_reused_spare, raw.parts_reused_direct)
    assert raw.parts_reused_spare[7:].sum() > 0  # after sales stop, in service
    assert np.all(raw.parts_reused_direct[:, 0] <= raw.replaced[:, 0] + 1e-9)
    assert raw.balance_error <= 1e-9


def test_reused_parts_into_both_meet_more_demand() -> None:
    both = _run(_reuse_doc("both")).raw
    new = _run(_reuse_doc("new_products")).raw
    spares = _run(_reuse_doc("spares")).raw
    assert both.parts_reused.sum() >= max(new.parts_reused.sum(), spares.parts_reused.sum())
    assert 0 < both.parts_reused_spare.sum() < both.parts_reused.sum()
    assert both.balance_error <= 1e-9


def test_sub_parts_of_reused_assemblies_count_as_reused(small: dict[str, Any]) -> None:
    """A reused motor brings its two magnets: they count as reused magnets (not made), and
    the mass of reused input counts the motor once."""
    small["scenarios"] = {}
    small["products"]["widget"]["eol"]["reuse"] = None
    res = _run(small)
    raw, c = res.raw, res.raw.compiled
    motor, magnet = c.parts.index("motor"), c.parts.index("magnet")
    assert raw.parts_reused[:, motor].sum() > 0
    np.testing.assert_allclose(raw.parts_reused[:, magnet], 2 * raw.parts_reused[:, motor])
    np.testing.assert_allclose(
        res.reused_input_kg(), raw.parts_reused_direct[:, motor] * c.part_mass[motor]
    )


# ---- ratios and units ---------------------------------------------------------------------


def test_zero_over_zero_is_not_defined() -> None:
    doc = _doc(rate=0.0)
    doc["headline"] = {
        "recycled": {"metric": "recycled_share"},
        "reuse": {"metric": "reuse_rate", "years": [START, START]},
    }
    res = _run(doc)
    ind = res.indicator_series()
    assert math.isnan(ind["reuse_rate"][0])  # no outflow in 2020: no rate
    assert math.isnan(ind["recycled_share"][-1])  # no material input after 2020
    assert ind["recycled_share"][0] == 0.0  # input, none recycled: zero
    summary = json.loads(json.dumps(res.to_json()))
    assert summary["indicators"]["reuse_rate"][0] is None
    assert summary["totals"]["recycled_share"] == 0.0
    doc_cmp = lifecycle.compare(lifecycle.load(text=yaml.safe_dump(doc), source="t.yaml")).to_json()
    assert doc_cmp["scenarios"][0]["headline"]["reuse"] is None
    assert doc_cmp["headline_units"] == {"recycled": "fraction", "reuse": "fraction"}


def test_every_headline_and_total_carries_its_unit(small: dict[str, Any]) -> None:
    small["headline"].update(
        {
            "co2_kg": {"metric": "co2e"},
            "co2_mean": {"metric": "co2e", "unit": "t", "aggregate": "mean"},
            "virgin_per_product": {"metric": "virgin_input", "per": {"metric": "products_made"}},
            "stock_mean": {"metric": "stock", "aggregate": "mean"},
            "cost_index": {"metric": "cost", "compare": "index"},
        }
    )
    model = lifecycle.load(text=yaml.safe_dump(small), source="small.yaml")
    doc = lifecycle.compare(model).to_json()
    assert doc["headline_units"] == {
        "co2_reduction_t": "tCO2e",
        "co2_kg": "kgCO2e",
        "co2_mean": "tCO2e/year",
        "virgin_per_product": "kg/piece",
        "stock_mean": "piece",
        "cost_index": "ratio",
    }
    for s in doc["scenarios"]:
        assert set(s["totals"]) == set(doc["units"]["totals"])
        for actor in s["by_actor"].values():
            assert set(actor) == set(doc["units"]["by_actor"])
    summary = lifecycle.run(model).to_json()
    assert set(summary["indicators"]) == set(summary["units"]["indicators"])
    assert summary["units"]["indicators"]["co2e_t"] == "tCO2e/year"


def test_atm_modules_stop_flowing_when_atm_sales_stop() -> None:
    """The seed's ATM case reuses regenerated modules in new ATMs (``into: new_products``):
    once sales stop, no reused module is used, though field service still replaces modules."""
    from tests.conftest import EXAMPLES

    model = lifecycle.load(EXAMPLES / "atm_reuse.yaml")
    res = lifecycle.run(
        model, "improvement_1", overrides={"products.atm.sales": {2010: 1000, 2030: 1000, 2031: 0}}
    )
    raw, years = res.raw, res.years
    assert raw.parts_reused[years <= 2030].sum() > 0
    assert raw.parts_reused[years >= 2032].sum() == 0
    assert raw.replaced[years >= 2032].sum() > 0
    assert raw.parts_reused_spare.sum() == 0
