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
