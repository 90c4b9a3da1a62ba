"""Review 319 (hostile check of the indicators): a simulation whose revenue factors are
negative, energy and water tolerances at small scale, RAP and lifetime ratios beyond a float's
range, the company MCI of huge revenues, ``--years`` with a flow model, and the E_C the MCI
assumes. Every expected figure is worked out by hand in its test."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from junkan import indicators, lifecycle
from junkan.indicators import compute, from_lifecycle
from junkan.indicators.mci import company_circularity
from tests.indicators.test_mci_per_product import TWO


def _by_key(fm: Any, frameworks: tuple[str, ...] = ("all",)) -> dict[str, Any]:
    return {i.key: i for inds in compute(fm, frameworks).values() for i in inds}


def _two(**revenues: str) -> Any:
    """The two-product model of test_mci_per_product with its processes' revenue factors
    replaced (``assembly="-5000 JPY/piece"``)."""
    doc = yaml.safe_load(TWO)
    for process, factor in revenues.items():
        doc["processes"][process]["revenue"] = factor
    return lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="two.yaml"))


def test_a_simulation_whose_products_sell_at_a_negative_revenue_gets_its_indicators() -> None:
    # Before: ProductUse(revenue=-…) raised a pydantic ValidationError, so `junkan indicators`
    # and `junkan compare` of a model the lifecycle loader accepts ended in a traceback.
    result = _two(assembly="-5000 JPY/piece")
    fm = from_lifecycle(result)
    got = _by_key(fm)
    kept, lost = got["mci.product.kept"].value, got["mci.product.lost"].value
    # a negative revenue is no weight: the products count alike, the plain mean
    assert got["mci.company"].value == pytest.approx((kept + lost) / 2)
    for key in ("cti.circular_material_productivity", "cti.revenue",
                "iso59020.material_productivity"):
        assert got[key].value is None, key
        assert got[key].reason_code == "revenue-negative", key
        assert got[key].reason.startswith("revenue is negative ("), key


def test_a_negative_revenue_elsewhere_leaves_the_products_counted_alike() -> None:
    # no product is made for a price; a landfill gate fee paid (a negative revenue) is the
    # model's only revenue: the doc's "counts them alike", not a negative equal share
    result = _two(assembly="0 JPY/piece", landfill="-10 JPY/kg")
    fm = from_lifecycle(result)
    assert {p.revenue for p in fm.products} == {1.0}
    got = _by_key(fm, ("mci",))
    assert got["mci.company"].value == pytest.approx(
        (got["mci.product.kept"].value + got["mci.product.lost"].value) / 2)


def test_compare_of_a_model_with_negative_revenue_carries_the_indicators() -> None:
    result = _two(assembly="-5000 JPY/piece")
    doc = indicators.scenario_indicators(result, result.totals(), result.totals())
    assert doc["indicators"]["mci"]


def test_the_company_mci_of_huge_revenues_is_their_weighted_mean() -> None:
    # Σ R_i overflowed: two products at 1e308 each gave 0/inf... MCI_C 0.0 for two products of
    # MCI 0.1, and NaN for two of MCI 1.0; the weighted mean of equal weights is the mean
    assert company_circularity([0.1, 0.1], [1e308, 1e308]) == pytest.approx(0.1)
    assert company_circularity([1.0, 0.5], [1e308, 1e308]) == pytest.approx(0.75)
    # weights 3:1 → (3 · 0.2 + 1 · 0.6) / 4 = 0.3
    assert company_circularity([0.2, 0.6], [1.5e308, 0.5e308]) == pytest.approx(0.3)


def _refused(doc: dict[str, Any], message: str) -> None:
    from junkan.core.errors import ModelError

    with pytest.raises(ModelError, match=message):
        indicators.load(doc={"name": "small", **doc})


def test_energy_exported_beyond_what_was_taken_in_is_refused_at_any_scale() -> None:
    # 1 Wh taken in, 1.0009 Wh exported, nothing renewable: consumed = −0.0009 Wh, and
    # min(0 − 0, consumed) / consumed = 1.0 — 100 % renewable energy with none. The absolute
    # tolerance of 1e-9 MWh (= 1 mWh) let it through; 0.09 % is no rounding residue.
    _refused({"energy": {"total": "1 Wh", "exported": "1.0009 Wh"}},
             "exported energy exceeds total energy taken in")
    _refused({"energy": {"total": "1 Wh", "renewable": "1.0009 Wh"}},
             "renewable energy exceeds total energy")
    _refused({"water": {"withdrawn": "1 mL", "withdrawn_circular": "1.0009 mL"}},
             "withdrawn_circular exceeds withdrawn")
    _refused({"water": {"withdrawn": "1 mL", "discharged": "1 mL",
                        "discharged_at_quality": "1.0009 mL"}},
             "discharged_at_quality exceeds discharged")


def test_energy_at_small_scale_still_computes() -> None:
    # 1 Wh taken in, 0.25 Wh of it renewable, 0.5 Wh exported of which 0.25 Wh renewable:
    # (0.25 − 0.25) / (1 − 0.5) = 0; and 0.1 + 0.2 Wh by source against 0.3 Wh exported
    # (a rounding residue of 5.6e-17 Wh above): consumed 0, not defined
    fm = indicators.load(doc={"name": "small", "energy": {
        "total": "1 Wh", "renewable": "0.25 Wh", "exported": "0.5 Wh",
        "exported_renewable": "0.25 Wh"}})
    assert _by_key(fm, ("iso59020",))["iso59020.renewable_energy"].value == 0.0
    fm = indicators.load(doc={"name": "small", "energy": {
        "by_source": [{"source": "a", "amount": "0.1 Wh"}, {"source": "b", "amount": "0.2 Wh"}],
        "exported": "0.30000000000000004 Wh"}})
    assert _by_key(fm, ("cti",))["cti.renewable_energy"].reason == "energy consumed is zero"
