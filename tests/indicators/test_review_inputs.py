"""Review of 2026-12-03: the inflows' recycling efficiency feeds the MCI's E_F, a missing
revenue keeps the company MCI from being computed, CTI % circularity needs both sides, the CLI
and the API read the same documents as flow models, duplicate product names are refused, and a
simulation's E_F is never a silent 1.0 (every figure worked by hand in the comments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from junkan.cli.indicators import compute as cli_compute
from junkan.core.documents import read_document
from junkan.core.errors import ModelError
from junkan.indicators import compute, is_flow_document, load
from junkan.indicators.compute import lifecycle_efficiencies
from tests.conftest import EXAMPLES


def _values(doc: dict[str, Any], framework: str) -> dict[str, Any]:
    return {i.key: i for i in compute(load(doc=doc), [framework])[framework]}


# 1 kg product, all recycled feedstock, nothing collected: V = 0, W_0 = 1, W_C = 0.
# E_F = 0.5: W_F = 1 · 0.5 · 1 / 0.5 = 1; W = 1 + 1/2 = 1.5; LFI = 1.5 / (2 + 1/2) = 0.6;
# MCI = 1 − 0.6 · 0.9 = 0.46 (E_F = 1 would give W = 1, LFI = 0.5, MCI = 0.55).
RECYCLED_PRODUCT = {"name": "p", "mass": "1 kg", "recycled_feedstock": 1}


def test_inflow_recycling_efficiency_is_the_products_feedstock_efficiency() -> None:
    doc = {"name": "f", "products": [RECYCLED_PRODUCT],
           "inflows": [{"name": "a", "mass": "1 t", "recycled": 1,
                        "recycling_efficiency": 0.5}]}
    ind = _values(doc, "mci")["mci.product.p"]
    assert ind.value == pytest.approx(0.46)
    assert ind.inputs["E_F"] == pytest.approx(0.5)
    assert any("taken from the inflows' recycling_efficiency (a;" in n for n in ind.notes)


def test_inflow_efficiencies_combine_so_the_losses_add_up() -> None:
    # a: 1 t recycled at E = 0.5 (losses 1 t); b: 1 t recycled, E not stated = 1 (no losses).
    # E_F = 2 / (1/0.5 + 1/1) = 2/3: W_F = 1 · (1/3) / (2/3) = 0.5 kg; W = 1.25;
    # LFI = 1.25 / 2.25; MCI = 1 − 0.9 · 1.25 / 2.25 = 0.5.
    doc = {"name": "f", "products": [RECYCLED_PRODUCT],
           "inflows": [{"name": "a", "mass": "1 t", "recycled": 1, "recycling_efficiency": 0.5},
                       {"name": "b", "mass": "1 t", "recycled": 1}]}
    assert _values(doc, "mci")["mci.product.p"].value == pytest.approx(0.5)


def test_a_products_own_feedstock_efficiency_wins_and_a_default_is_said() -> None:
    own = {**RECYCLED_PRODUCT, "recycling_efficiency_feedstock": 1.0}
    doc = {"name": "f", "products": [own],
           "inflows": [{"name": "a", "mass": "1 t", "recycled": 1,
                        "recycling_efficiency": 0.5}]}
    assert _values(doc, "mci")["mci.product.p"].value == pytest.approx(0.55)
    bare = _values({"name": "f", "products": [RECYCLED_PRODUCT]}, "mci")["mci.product.p"]
    assert bare.value == pytest.approx(0.55)
    assert any("not given" in n and "taken as 1.0" in n for n in bare.notes)


@pytest.mark.parametrize(("inflow", "says"), [
    ({"recycled": 0, "recycling_efficiency": 0.9}, "recycled is 0"),
    ({"recycled": 0.5, "recycling_efficiency": 0}, "must be above 0"),
])
def test_an_inflow_efficiency_that_cannot_apply_is_refused(inflow: dict[str, Any],
                                                           says: str) -> None:
    with pytest.raises(ModelError, match=rf"inflows\[0\].*{says}"):
        load(doc={"name": "f", "inflows": [{"name": "a", "mass": "1 t", **inflow}]})


LINEAR = {"name": "linear", "mass": "1 kg"}  # MCI 0.1
CIRCULAR = {"name": "circ", "mass": "1 kg", "recycled_feedstock": 1,
            "collected_for_recycling": 1}  # MCI 1.0


def test_a_missing_revenue_leaves_the_company_mci_not_computed() -> None:
    # Before: the product without revenue weighed 0 and the company MCI came out 1.0 although
    # two of three products score 0.1.
    doc = {"name": "f", "products": [{**LINEAR, "revenue": 0}, {**CIRCULAR, "revenue": 100},
                                     {**LINEAR, "name": "norev"}]}
    comp = _values(doc, "mci")["mci.company"]
    assert comp.value is None
    assert comp.reason is not None and "products[2].revenue" in comp.reason


def test_company_mci_without_any_revenue_says_so() -> None:
    comp = _values({"name": "f", "products": [LINEAR, CIRCULAR]}, "mci")["mci.company"]
    assert comp.value is None and comp.reason is not None
    assert comp.reason.startswith("revenue not given")
    zero = _values({"name": "f", "products": [{**LINEAR, "revenue": 0},
                                              {**CIRCULAR, "revenue": 0}]}, "mci")
    assert zero["mci.company"].reason == "total revenue is zero"
    # (0.1 · 3 + 1.0 · 1) / 4 = 0.325
    both = _values({"name": "f", "products": [{**LINEAR, "revenue": 3},
                                              {**CIRCULAR, "revenue": 1}]}, "mci")
    assert both["mci.company"].value == pytest.approx(0.325)


@pytest.mark.parametrize("outflows", [[], [{"name": "o", "mass": "0 t", "route": "recycling",
                                            "actual_recovery": 1}]])
def test_cti_circularity_needs_the_outflow_side(outflows: list[dict[str, Any]]) -> None:
    # Before: 100 t inflow, 60 % circular, no outflow gave % circularity 0.6 and CTI revenue
    # 6e8 as though the outflows were as circular as the inflows.
    doc = {"name": "f", "inflows": [{"name": "a", "mass": "100 t", "recycled": 0.6}],
           "outflows": outflows, "finance": {"revenue": 1.0e9}}
    cti = _values(doc, "cti")
    assert cti["cti.circular_inflow"].value == pytest.approx(0.6)
    for key in ("cti.circularity", "cti.revenue"):
        assert cti[key].value is None
        assert "cti.circular_outflow is not defined" in (cti[key].reason or "")


def test_cti_circularity_is_the_mass_weighted_average_of_both_sides() -> None:
    # inflow 100 t, 60 t circular; outflow 50 t recycled at AR 0.4 = 20 t: (60 + 20) / 150
    doc = {"name": "f", "inflows": [{"name": "a", "mass": "100 t", "recycled": 0.6}],
           "outflows": [{"name": "o", "mass": "50 t", "route": "recycling",
                         "actual_recovery": 0.4}]}
    assert _values(doc, "cti")["cti.circularity"].value == pytest.approx(80 / 150)


def test_cli_reads_a_products_only_document_as_the_api_does(tmp_path: Path) -> None:
    flows = tmp_path / "mci.yaml"
    flows.write_text("name: m\nproducts:\n  - {name: p, mass: 1 kg}\n", encoding="utf-8")
    assert is_flow_document(read_document(flows))
    got = cli_compute(flows, ["mci"], None)["m"]
    assert got["mci.product.p"].value == pytest.approx(0.1)


def test_a_lifecycle_model_is_not_read_as_flows() -> None:
    doc = read_document(EXAMPLES / "atm_reuse.yaml")
    assert not is_flow_document(doc)
    with pytest.raises(ModelError, match="not a flow model"):
        load(doc=doc)  # what POST /api/indicators reads


def test_duplicate_product_names_are_refused() -> None:
    doc = {"name": "f", "products": [{"name": "p", "mass": "1 kg"}, LINEAR,
                                     {"name": "p", "mass": "2 kg"}]}
    with pytest.raises(ModelError, match=r"products\[0\] and products\[2\] are both named 'p'"):
        load(doc=doc)


def test_a_simulation_without_recycling_output_does_not_claim_e_f_1() -> None:
    # 10 kg into recycling, 8 kg out: E_C = E_F = 0.8 (E_F assumed the system's own)
    assert lifecycle_efficiencies(10.0, 8.0) == (pytest.approx(0.8), pytest.approx(0.8))
    # recycling that produced nothing: E_C is a real 0.0; E_F cannot be 0 and is not stated
    # (the MCI takes 1.0 and says so) — `eff or 1.0` stated 1.0 as if it were known
    assert lifecycle_efficiencies(10.0, 0.0) == (0.0, None)
    assert lifecycle_efficiencies(0.0, 0.0) == (1.0, None)


def test_a_ratio_beyond_a_floats_range_is_null_with_its_reason() -> None:
    """A tiny denominator made a ratio infinite, written as a bare null without a reason."""
    from junkan.indicators.values import ratio

    ind = ratio("k", 1e300, 1e-300, formula="a / b", source="s", inputs={})
    assert ind.value is None
    assert ind.reason_code == "ratio-overflow"
    assert ind.reason == "1e+300 / 1e-300 is beyond the largest number"
    assert ratio("k", 1.0, 4.0, formula="a / b", source="s", inputs={}).value == 0.25
