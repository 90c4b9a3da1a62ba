"""Review 220 (independent engine check): a headline filter that does not apply to its metric
is refused instead of giving the whole network's figure under a narrower name; a misspelt
actor is refused; a cached override run honours the limits in force at the call; a reused
product's normal second life loses its share below age 0 in the year it enters, as a new
product's first life does."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from junkan.core.errors import JunkanError, ModelError
from junkan.core.limits import override_limits
from junkan.lifecycle import compare, load, run
from junkan.lifecycle.schema import Selection


def _doc(second_life: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One product, 1 kg of steel, a fixed 2-year first life; 100 sold in 2020, 1,000 in
    2023; everything collected and reused (the second life given), then landfilled."""
    return {
        "junkan": 1, "name": "r220", "years": {"start": 2020, "end": 2030},
        "actors": {"m": {"role": "product_maker"}},
        "materials": {"st": {"virgin": {"co2e": "1 kgCO2e/kg", "source": "test"}}},
        "processes": {"lf": {"kind": "landfill", "actor": "m", "stage": "disposal",
                             "co2e": "0.1 kgCO2e/kg", "source": "test"}},
        "products": {"p": {
            "sales": {2020: 100, 2021: 0, 2022: 0, 2023: 1000, 2024: 0},
            "lifetime": {"distribution": "fixed", "mean": "2 year"},
            "bom": [{"material": "st", "mass": "1 kg"}],
            "eol": {"collection": {"rate": 1},
                    "reuse": {"share": 1, "pass_rate": 1, "lifetime": second_life},
                    "dismantling": {"residual": {"lf": 1}}}}},
        **extra,
    }


def _load(doc: dict[str, Any]) -> Any:
    return load(text=json.dumps(doc), source="r220.json")


@pytest.mark.parametrize(("metric", "field", "value"), [
    ("outflow", "material", "st"), ("recycling_rate", "material", "st"),
    ("final_disposal", "material", "st"), ("circular_inflow_share", "material", "st"),
    ("final_disposal", "processes", ["lf"]), ("outflow", "actors", ["m"]),
    ("co2e", "product", "p"), ("co2e", "part", "x"), ("stock", "material", "st"),
    ("virgin_input", "product", "p"),
])
def test_a_filter_the_metric_does_not_take_is_refused(metric: str, field: str,
                                                       value: Any) -> None:
    with pytest.raises(ValueError, match=f"{field} does not apply to {metric}"):
        Selection.model_validate({"metric": metric, field: value})


def test_filters_the_metric_takes_are_kept() -> None:
    for doc in ({"metric": "co2e", "actors": ["m"], "stages": ["disposal"]},
                {"metric": "recycled_share", "material": "st"},
                {"metric": "stock", "product": "p"}, {"metric": "parts_made", "part": "x"}):
        assert Selection.model_validate(doc).metric == doc["metric"]
    with pytest.raises(ValueError, match="stages"):  # a stage is one of the model's stages
        Selection.model_validate({"metric": "co2e", "stages": ["dissposal"]})


def test_a_model_with_such_a_headline_is_refused_naming_it() -> None:
    doc = _doc({"distribution": "fixed", "mean": "1 year"},
               headline={"steel_out": {"metric": "outflow", "material": "st"}})
    with pytest.raises(ModelError) as err:
        _load(doc)
    assert "headline.steel_out" in str(err.value) and "material does not apply" in str(err.value)


def test_an_unknown_actor_in_a_headline_is_refused() -> None:
    doc = _doc({"distribution": "fixed", "mean": "1 year"},
               headline={"m_co2": {"metric": "co2e", "actors": ["mm"]}})
    with pytest.raises(JunkanError, match="unknown actor 'mm'.*known: m"):
        compare(_load(doc))


def test_a_cached_override_run_honours_the_limits_in_force() -> None:
    model = _load(_doc({"distribution": "fixed", "mean": "1 year"}))
    assert run(model, overrides={"years.end": 2100}).totals()["co2e_t"] > 0
    with override_limits(years_products=50), pytest.raises(ModelError, match="limit 50"):
        run(model, overrides={"years.end": 2100})


def test_a_normal_second_life_loses_its_share_below_zero_on_entry() -> None:
    """N(1 year, 1 year): the 100 products sold in 2020 retire in 2022 and are reused in
    2023 (entering at the year's end); Φ(1) of them are in use then, Φ(0) a year later,
    Φ(−1) the year after; the rest retire in 2023 — as flodym's ``inflow_at='end'`` counts
    a normal lifetime's share below 0, and as a new product's first half year does."""
    res = run(_load(_doc({"distribution": "normal", "mean": "1 year", "std": "1 year"})))
    p = res.to_frame("products").set_index("year")
    s = norm.sf(np.arange(3), loc=1, scale=1)  # S(0), S(1), S(2)
    assert p["reused_piece"][2023] == pytest.approx(100)
    assert np.allclose(p["in_use_reused_piece"][[2023, 2024, 2025]], 100 * s, rtol=1e-9)
    assert p["retired_piece"][2023] == pytest.approx(100 * (1 - s[0]), rel=1e-9)
    # 2024: the 900 new products of 2023 a whole year, the reused ∫₀¹ S per one entering
    grid = np.linspace(0, 1, 20001)
    reused = 100 * np.trapezoid(norm.sf(grid, loc=1, scale=1), grid)
    assert p["exposure_piece_year"][2024] == pytest.approx(900 + reused, rel=1e-7)
    # every product put into use (1,100: 100 in 2020, 1,000 in 2023) retires once
    assert p["retired_piece"].sum() + p["in_use_piece"][2030] == pytest.approx(1100)


def test_replacements_up_to_a_fixed_retirement_are_all_counted() -> None:
    """Two pumps of exponential life (mean 2 years: 0.5 failures per pump-year) in machines
    of a fixed 3-year life: replacements are exposure × 2 × 0.5 in every year — the
    retirement year lost 1/64 of its replacements when the renewal grid weighted each cell
    by the survival at its centre (the retirement's age)."""
    doc = {
        "junkan": 1, "name": "pumps", "years": {"start": 2020, "end": 2026},
        "actors": {"m": {"role": "product_maker"}},
        "materials": {"st": {"virgin": {"co2e": "1 kgCO2e/kg", "source": "test"}}},
        "parts": {"pump": {"bom": [{"material": "st", "mass": "1 kg"}]}},
        "processes": {"lf": {"kind": "landfill", "actor": "m", "stage": "disposal",
                             "source": "test"}},
        "products": {"mc": {
            "sales": {2020: 100, 2021: 0}, "bom": [{"part": "pump", "quantity": 2}],
            "lifetime": {"distribution": "fixed", "mean": "3 year"},
            "maintenance": [{"part": "pump", "uncollected": {"lf": 1},
                             "lifetime": {"distribution": "weibull", "scale": "2 year",
                                          "shape": 1}}],
            "eol": {"uncollected": {"lf": 1}}}},
    }
    res = run(_load(doc))
    exposure = res.to_frame("products")["exposure_piece_year"].to_numpy()
    replaced = res.to_frame("parts")["replaced_piece"].to_numpy()
    assert exposure[3] == pytest.approx(50)  # the retirement year: half a year in use
    assert np.allclose(replaced, exposure, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize(("residual", "said"), [
    ({"nowhere": 1}, "unknown sink process"), ({"lf": 0.5}, "shares sum to 0.5, below 1")])
def test_a_part_residual_route_is_checked_though_no_scenario_extracts_the_part(
        residual: dict[str, float], said: str) -> None:
    """Refused only once a scenario extracted the part (as eol.uncollected always was)."""
    doc = _doc({"distribution": "fixed", "mean": "1 year"})
    doc["parts"] = {"mag": {"bom": [{"material": "st", "mass": "1 kg"}],
                            "recovery": {"residual": residual}}}
    doc["products"]["p"]["bom"].append({"part": "mag"})
    with pytest.raises(ModelError) as err:
        _load(doc)
    assert [p.path for p in err.value.problems][0].startswith("parts.mag.recovery.residual")
    assert said in str(err.value)
