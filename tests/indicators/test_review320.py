"""Review 320 (hostile check of review 319's indicator fixes): the company MCI of a product
made at a loss, the E_C of a product none of which retired in the window, the company MCI of a
window without product MCIs, sustained-production feedstock without ``biological_share``, and
``company_circularity`` given MCIs outside [0, 1]. Expected figures are worked out by hand
(EMF MCI methodology, 2015) in each test."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from junkan import indicators, lifecycle
from junkan.indicators import compute, from_lifecycle
from junkan.indicators.mci import company_circularity
from junkan.indicators.values import IndicatorInputError
from tests.indicators.test_mci_per_product import ROOT, TWO
from tests.indicators.test_review319 import _fixed_life


def _mci(fm: Any) -> dict[str, Any]:
    return {i.key: i for i in compute(fm, ["mci"])["mci"]}


def _lost_made_at(revenue: int) -> Any:
    """TWO with ``lost`` made by its own assembly at ``revenue`` JPY a piece."""
    doc = yaml.safe_load(TWO)
    doc["products"]["lost"]["make"] = ["assembly2"]
    doc["processes"]["assembly2"] = {"actor": "maker", "stage": "manufacturing",
                                     "co2e": "2 kgCO2e/piece", "source": "assumption",
                                     "revenue": f"{revenue} JPY/piece"}
    return lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="two.yaml"))


@pytest.mark.parametrize("revenue", [0, -1, -5000])
def test_a_product_made_at_a_loss_weighs_as_one_made_at_zero(revenue: int) -> None:
    # kept made at 5,000 JPY a piece, lost at `revenue`: lost weighs 0 (R_i ≥ 0), so the
    # company MCI is kept's. Before, a loss of 1 JPY a piece switched both weights to equal
    # shares: 0.6193 at 0 JPY, 0.4112 at −1 JPY.
    fm = from_lifecycle(_lost_made_at(revenue))
    assert [p.revenue for p in fm.products] == [pytest.approx(5000 * 21_000), 0.0]
    got = _mci(fm)
    assert got["mci.company"].value == pytest.approx(got["mci.product.kept"].value)


def test_no_product_made_for_a_price_counts_them_alike() -> None:
    # both made at a loss: no weight above 0, the fallback (equal weights) applies
    doc = yaml.safe_load(TWO)
    doc["processes"]["assembly"]["revenue"] = "-1 JPY/piece"
    fm = from_lifecycle(lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc),
                                                     source="two.yaml")))
    assert fm.products[0].revenue == fm.products[1].revenue > 0
    got = _mci(fm)
    assert got["mci.company"].value == pytest.approx(
        (got["mci.product.kept"].value + got["mci.product.lost"].value) / 2)


def test_e_c_is_the_product_s_own_recycling_yield_in_adjacent_windows() -> None:
    # every product lasts 10 years: none retires by 2029, the first retire in 2030. kept
    # (steel) is routed 0.8 to the recycling whose steel yield is 0.9, lost (copper) 0.2 to
    # the one whose copper yield is 0.5; no recycled feedstock in either window.
    # kept: V 10, W_0 2, W_C 10 × 0.1 × 0.8 = 0.8, W 2.4, LFI 12.4 / 19.6, MCI 0.430612…
    # lost: V 20, W_0 16, W_C 20 × 0.5 × 0.2 = 2, W 17, LFI 37 / 39, MCI 0.146153…
    # Before: 2029 took E_C = 1.0 (0.46, 0.19), 2030 the system's 0.7667 (0.3895, 0.1698).
    result = _fixed_life({"start": 2020, "end": 2040}, "10 year")
    for window in ((2029, 2029), (2030, 2030)):
        got = _mci(from_lifecycle(result, window))
        kept, lost = got["mci.product.kept"], got["mci.product.lost"]
        assert kept.inputs["E_C"] == pytest.approx(0.9), window
        assert lost.inputs["E_C"] == pytest.approx(0.5), window
        assert kept.inputs["WC_kg"] == pytest.approx(0.8), window
        assert kept.value == pytest.approx(1 - 0.9 * 12.4 / 19.6), window
        assert lost.value == pytest.approx(1 - 0.9 * 37 / 39), window
        assert "ec-not-simulated" not in [n.code for n in kept.notes]


@pytest.mark.parametrize("model", ["two", "examples/compressor_magnet.yaml"])
def test_own_e_c_sums_to_the_system_s_recycled_output(model: str) -> None:
    # each product's recycled kg (E_C × its kg into recycling) summed over products is what
    # the system's recycling made: TWO over its whole horizon (retirements every year), and
    # an example whose parts are replaced in maintenance (route_maint)
    result = lifecycle.run(lifecycle.load(text=TWO, source="two.yaml") if model == "two"
                           else lifecycle.load(ROOT / model))
    from junkan.indicators.lifecycle_products import product_flows

    own = product_flows(result, slice(None))
    fm = from_lifecycle(result)
    made = sum(p.recycling_efficiency_eol * own.recycling[i]
               for i, p in enumerate(fm.products))
    system = sum(o.mass * o.actual_recovery for o in fm.outflows if o.route == "recycling")
    assert system > 0
    assert made == pytest.approx(system, rel=1e-9)
    if model == "two":
        assert [p.recycling_efficiency_eol for p in fm.products] == [pytest.approx(0.9),
                                                                     pytest.approx(0.5)]
    else:
        assert len(result.raw.compiled.repl_inst) > 0


@pytest.mark.parametrize("window, product_code", [((2026, 2028), "product-no-flows"),
                                                  ((2023, 2024), "product-not-made")])
def test_a_window_without_product_mci_says_why(window: tuple[int, int],
                                               product_code: str) -> None:
    # both sold in 2020–21 only, lasting 3 years: 2023–24 only retires them, 2026–28 has no
    # flow at all. Before: no company MCI (and in 2026–28 no MCI at all), without a reason.
    result = _fixed_life({"start": 2020, "end": 2030}, "3 year",
                         kept={2020: 1000, 2021: 1000, 2022: 0, 2030: 0},
                         lost={2020: 1000, 2021: 1000, 2022: 0, 2030: 0})
    got = _mci(from_lifecycle(result, window))
    assert got["mci.product.kept"].reason_code == product_code
    assert got["mci.product.lost"].reason_code == product_code
    company = got["mci.company"]
    assert company.value is None and company.reason_code == "no-product-mci"


def test_sustained_bio_feedstock_without_biological_share_is_noted() -> None:
    fm = indicators.load(doc={"name": "f", "products": [
        {"name": "p", "mass": "1 kg", "sustained_bio_feedstock": 0.9}]})
    codes = [n.code for n in _mci(fm)["mci.product.p"].notes]
    assert "mci-bio-feedstock-unchecked" in codes, codes
    checked = indicators.load(doc={"name": "f", "products": [
        {"name": "p", "mass": "1 kg", "sustained_bio_feedstock": 0.9,
         "biological_share": 1.0}]})
    assert "mci-bio-feedstock-unchecked" not in [
        n.code for n in _mci(checked)["mci.product.p"].notes]


@pytest.mark.parametrize("mcis", [[float("nan"), 0.5], [5.0, -3.0], [0.5, float("inf")],
                                  [1.5, 0.5]])
def test_company_circularity_refuses_mcis_outside_0_1(mcis: list[float]) -> None:
    # before: NaN gave NaN, 5 and −3 gave 1.0
    with pytest.raises(IndicatorInputError, match="between 0 and 1"):
        company_circularity(mcis, [1.0, 1.0])
    assert company_circularity([0.0, 1.0], [1.0, 1.0]) == pytest.approx(0.5)
