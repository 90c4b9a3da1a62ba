"""MCI: worked examples derived by hand from the 2015 methodology (arithmetic in comments)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from junkan.indicators.mci import (
    company_circularity,
    material_circularity,
    multi_material_circularity,
)
from junkan.indicators.values import IndicatorInputError


def test_reference_case_is_046_not_052() -> None:
    # M = 100 kg, F_R = 0.3 (E_F = 1), C_R = 0.5 (E_C = 1), X = 1
    # V = 100(1 − 0.3) = 70; W0 = 100(1 − 0.5) = 50; W_C = W_F = 0; W = 50
    # LFI = (70 + 50) / (2·100 + 0) = 0.6; MCI = 1 − 0.6 · 0.9 = 0.46
    # (the wrong public denominator 2M + W/2 = 225 would give 1 − 0.9·120/225 = 0.52)
    r = material_circularity(100, recycled_feedstock=0.3, collected_for_recycling=0.5)
    assert (r.v, r.w0, r.wc, r.wf, r.w) == (70, 50, 0, 0, 50)
    assert r.lfi == pytest.approx(0.6)
    assert r.mci == pytest.approx(0.46)


def test_efficiencies_and_lifetime() -> None:
    # M = 10, F_R = 0.5, E_F = 0.8, C_R = 0.6, C_U = 0.2, E_C = 0.9, L/L_av = 2
    # V = 10(1 − 0.5) = 5;  W0 = 10(1 − 0.6 − 0.2) = 2
    # W_C = 10(1 − 0.9)(0.6) = 0.6;  W_F = 10(1 − 0.8)(0.5)/0.8 = 1.25
    # W = 2 + (1.25 + 0.6)/2 = 2.925
    # LFI = (5 + 2.925)/(20 + (1.25 − 0.6)/2) = 7.925/20.325
    # X = 2 → F(X) = 0.45 → MCI = 1 − 0.45 · 7.925/20.325
    r = material_circularity(10, recycled_feedstock=0.5, recycling_efficiency_feedstock=0.8,
                             collected_for_recycling=0.6, collected_for_reuse=0.2,
                             recycling_efficiency_eol=0.9, lifetime_ratio=2)
    assert r.wf == pytest.approx(1.25) and r.wc == pytest.approx(0.6)
    assert r.lfi == pytest.approx(7.925 / 20.325)
    assert r.mci == pytest.approx(1 - 0.45 * 7.925 / 20.325)


def test_biological_extension() -> None:
    # M = 10, F_S = 0.5 (sustained bio feedstock), C_C = 0.5 (composted)
    # V = 10(1 − 0.5) = 5; W0 = 10(1 − 0.5) = 5; LFI = 10/20 = 0.5; MCI = 1 − 0.45 = 0.55
    r = material_circularity(10, sustained_bio_feedstock=0.5, composted=0.5)
    assert r.mci == pytest.approx(0.55)


def test_linear_product_scores_01_and_short_life_clamps_to_0() -> None:
    assert material_circularity(5).mci == pytest.approx(0.1)
    # LFI = 1, X = 0.5 → F = 1.8 → 1 − 1.8 < 0 → 0
    assert material_circularity(5, lifetime_ratio=0.5).mci == 0.0


def test_multi_material_sums_terms_before_lfi() -> None:
    # steel 8 kg, F_R = 0.5, C_R = 1; plastic 2 kg linear
    # V = 4 + 2 = 6; W0 = 0 + 2 = 2; LFI = 8/20 = 0.4; MCI = 1 − 0.36 = 0.64
    r = multi_material_circularity([
        {"mass": 8, "recycled_feedstock": 0.5, "collected_for_recycling": 1.0},
        {"mass": 2}])
    assert r.mass == 10 and r.lfi == pytest.approx(0.4) and r.mci == pytest.approx(0.64)


def test_company_level_is_revenue_weighted() -> None:
    assert company_circularity([0.2, 0.8], [300, 100]) == pytest.approx(0.35)
    assert company_circularity([0.5], [0]) is None


@pytest.mark.parametrize("kwargs,words", [
    ({"recycled_feedstock": 0.7, "reused_feedstock": 0.4}, "feedstock shares sum"),
    ({"collected_for_recycling": 0.8, "collected_for_reuse": 0.3}, "end-of-life shares"),
    ({"recycled_feedstock": 1.2}, "recycled_feedstock must be between 0 and 1"),
    ({"lifetime_ratio": 0}, "lifetime_ratio"),
])
def test_bad_inputs_name_the_field(kwargs: dict, words: str) -> None:
    with pytest.raises(IndicatorInputError, match=words):
        material_circularity(1.0, **kwargs)
    with pytest.raises(IndicatorInputError, match="mass must be greater than 0"):
        material_circularity(0.0)


fractions = st.floats(0, 1)


@given(fr=fractions, cr=fractions, ec=st.floats(0.01, 1), ef=st.floats(0.01, 1),
       x=st.floats(0.1, 10))
def test_mci_is_within_bounds(fr: float, cr: float, ec: float, ef: float, x: float) -> None:
    r = material_circularity(3.0, recycled_feedstock=fr, collected_for_recycling=cr,
                             recycling_efficiency_eol=ec, recycling_efficiency_feedstock=ef,
                             lifetime_ratio=x)
    assert 0.0 <= r.mci <= 1.0


@given(a=fractions, b=fractions, cr=fractions, ef=st.floats(0.5, 1), ec=st.floats(0.01, 1))
def test_mci_rises_with_recycled_feedstock(a: float, b: float, cr: float, ef: float,
                                           ec: float) -> None:
    # at fixed efficiencies with E_F ≥ 1/3 (below that, making the recycled feedstock loses
    # more than it saves: dLFI/dF_R ≥ 0 — see the module docstring's formulas)
    lo, hi = sorted((a, b))
    kw = {"collected_for_recycling": cr, "recycling_efficiency_feedstock": ef,
          "recycling_efficiency_eol": ec}
    assert material_circularity(1.0, recycled_feedstock=hi, **kw).mci >= \
        material_circularity(1.0, recycled_feedstock=lo, **kw).mci - 1e-12


@given(a=st.floats(0.1, 10), b=st.floats(0.1, 10), fr=fractions, cr=fractions)
def test_mci_rises_with_lifetime(a: float, b: float, fr: float, cr: float) -> None:
    lo, hi = sorted((a, b))
    assert material_circularity(1.0, recycled_feedstock=fr, collected_for_recycling=cr,
                                lifetime_ratio=hi).mci >= \
        material_circularity(1.0, recycled_feedstock=fr, collected_for_recycling=cr,
                             lifetime_ratio=lo).mci - 1e-12
