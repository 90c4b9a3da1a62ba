"""Review 276 of the indicators: inputs whose MCI terms are no finite number are refused
naming the product and the field (they scored 0.0 or 1.0 without a word), an assumed E_F
says so, the results do not depend on the order of the flows, and ESRS E5-4 §31(c) gives
the secondary inflow's weight as well as its share."""

from __future__ import annotations

import random

import pytest

from junkan.core.errors import ModelError
from junkan.indicators import (
    IndicatorInputError,
    compute,
    from_lifecycle,
    load_flow_model,
    material_circularity,
)
from junkan.indicators.mci import multi_material_circularity
from junkan.lifecycle import load_model, simulate
from tests.conftest import EXAMPLES

LINEAR = {"name": "edge", "inflows": [{"name": "steel", "mass": "1 t"}],
          "outflows": [{"name": "scrap", "mass": "1 t", "route": "landfill"}]}


def _mci(product: dict[str, object]) -> object:
    return compute(load_flow_model(doc={**LINEAR, "products": [product]}), ["mci"])


@pytest.mark.parametrize("ef", [1e-320, 5e-324])
def test_a_feedstock_efficiency_too_small_for_a_finite_waste_is_refused(ef: float) -> None:
    """W_F = M (1 − E_F) F_R / E_F overflowed: LFI = inf/inf, and max(0, nan) scored 0.0."""
    with pytest.raises(IndicatorInputError, match=r"products\[0\] \(p\): "
                       r"recycling_efficiency_feedstock .* not a finite number"):
        _mci({"name": "p", "mass": "1 kg", "recycled_feedstock": 1,
              "recycling_efficiency_feedstock": ef})
    assert material_circularity(1.0, recycled_feedstock=1,  # small, finite: the limit 0.1
                                recycling_efficiency_feedstock=1e-300).mci == pytest.approx(0.1)


@pytest.mark.parametrize("product", [
    {"lifetime": "1e15 year", "industry_lifetime": "1e-300 year",
     "industry_lifetime_source": "test"},
    {"use_intensity": 9e15, "industry_use_intensity": 1e-308,
     "industry_use_intensity_source": "test"}])
def test_a_utility_that_overflows_is_refused(product: dict[str, object]) -> None:
    """X = inf made F(X) = 0 and a linear product's MCI 1.0."""
    with pytest.raises(IndicatorInputError, match=r"products\[0\] \(p\): the utility X"):
        _mci({"name": "p", "mass": "1 kg", **product})


def test_a_materials_own_utility_is_refused() -> None:
    with pytest.raises(IndicatorInputError, match=r"parts\[0\]\.lifetime_ratio"):
        multi_material_circularity([{"mass": 1.0, "lifetime_ratio": 5.0}])


def test_a_simulated_products_feedstock_efficiency_is_noted_as_assumed() -> None:
    res = simulate(load_model(EXAMPLES / "compressor_magnet.yaml"), "A")
    mci = {i.key: i for i in compute(from_lifecycle(res), ["mci"])["mci"]}
    product = next(i for k, i in mci.items() if k.startswith("mci.product.")
                   and i.value is not None and i.inputs.get("WF_kg"))
    assert any(n.code == "ef-assumed-eol" for n in product.notes), product.notes


def test_the_results_do_not_depend_on_the_order_of_the_flows() -> None:
    rng = random.Random(7)
    inflows = [{"name": f"i{k}", "mass": f"{rng.uniform(0.1, 900):.6f} t",
                "recycled": round(rng.uniform(0, 0.5), 6), "reused": round(rng.uniform(0, 0.4), 6)}
               for k in range(50)]
    outflows = [{"name": f"o{k}", "mass": f"{rng.uniform(0.1, 900):.6f} t",
                 "route": rng.choice(["recycling", "landfill", "energy_recovery"])}
                for k in range(50)]
    total_in = sum(float(i["mass"].split()[0]) for i in inflows)
    total_out = sum(float(o["mass"].split()[0]) for o in outflows)
    outflows.append({"name": "balance", "mass": f"{max(total_in - total_out, 0.1):.6f} t",
                     "route": "landfill"})

    def values(ins: list[dict[str, object]], outs: list[dict[str, object]]) -> dict[str, object]:
        doc = {"name": "order", "inflows": ins, "outflows": outs}
        return {i.key: i.value for inds in compute(load_flow_model(doc=doc), ["cti",
                "esrs-e5", "iso59020"]).values() for i in inds}

    first = values(inflows, outflows)
    for _ in range(5):
        rng.shuffle(inflows)
        rng.shuffle(outflows)
        assert values(inflows, outflows) == first


def test_esrs_e5_4_gives_the_secondary_inflows_weight() -> None:
    doc = {**LINEAR, "inflows": [{"name": "a", "mass": "2 t", "recycled": 0.25},
                                 {"name": "b", "mass": "2 t", "reused": 0.5}],
           "outflows": [{"name": "scrap", "mass": "4 t", "route": "landfill"}]}
    got = {i.key: i for i in compute(load_flow_model(doc=doc), ["esrs-e5"])["esrs-e5"]}
    assert got["esrs_e5.4.secondary_t"].value == pytest.approx(1.5)
    assert got["esrs_e5.4.secondary_share"].value == pytest.approx(0.375)


def test_an_inflow_efficiency_too_small_is_named_as_the_inflows() -> None:
    """It was refused as the product's recycling_efficiency_feedstock, which was not given."""
    doc = {**LINEAR, "inflows": [{"name": "scrap", "mass": "1 t", "recycled": 0.5,
                                  "recycling_efficiency": 1e-320}],
           "products": [{"name": "p", "mass": "1 kg", "recycled_feedstock": 0.5}]}
    with pytest.raises(IndicatorInputError, match=r"products\[0\] \(p\): inflows' "
                       r"recycling_efficiency \(scrap\) is too small"):
        compute(load_flow_model(doc=doc), ["mci"])


def test_composting_and_energy_recovery_are_checked_against_the_biological_share() -> None:
    """Review 276 (low): a product's composted and energy-recovered shares were credited for
    any material, though the 2019 extension counts them for biological materials only. With
    ``biological_share`` they may not exceed it; without it they are credited as given and the
    product's notes say so."""
    steel = {"name": "p", "mass": "1 kg", "energy_recovered": 0.5}
    with pytest.raises(ModelError, match=r"products\[0\]: .* above biological_share 0\.2"):
        _mci({**steel, "biological_share": 0.2})
    unchecked = _mci(steel)["mci"][0]  # type: ignore[index]
    checked = _mci({**steel, "biological_share": 0.5})["mci"][0]  # type: ignore[index]
    assert [n.code for n in unchecked.notes if n.code.startswith("mci-bio")] == [
        "mci-biological-unchecked"]
    assert not any(n.code.startswith("mci-bio") for n in checked.notes)
    assert checked.value == unchecked.value == pytest.approx(1 - (1 + 0.5) / 2 * 0.9)
    plain = _mci({"name": "p", "mass": "1 kg"})["mci"][0]  # type: ignore[index]
    assert not any(n.code.startswith("mci-bio") for n in plain.notes)
