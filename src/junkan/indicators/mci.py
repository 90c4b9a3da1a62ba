"""Ellen MacArthur Foundation Material Circularity Indicator (MCI).

Formulas: EMF & Granta, *Circularity Indicators — Methodology* (May 2015), with the 2019
extension for biological materials (sustained-production feedstock ``F_S``; composting ``C_C``
and qualifying energy recovery ``C_E`` at end of life).

All masses in kg per product unit; fractions in [0, 1]::

    V   = M (1 − F_R − F_U − F_S)              virgin feedstock
    W_0 = M (1 − C_R − C_U − C_C − C_E)        unrecoverable waste
    W_C = M (1 − E_C) C_R                      end-of-life recycling losses
    W_F = M (1 − E_F) F_R / E_F                losses making the recycled feedstock
    W   = W_0 + (W_F + W_C) / 2
    LFI = (V + W) / (2M + (W_F − W_C) / 2)
    X   = (L / L_av)(U / U_av),   F(X) = 0.9 / X
    MCI = max(0, 1 − LFI · F(X))

Several public calculators get the LFI denominator wrong (``2M + W/2``); this module follows
the methodology and its tests show the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from junkan.core.errors import short
from junkan.indicators.values import IndicatorInputError

SOURCE = ("Ellen MacArthur Foundation & Granta Design, Circularity Indicators — "
          "Methodology (2015); biological extension (2019)")


@dataclass(frozen=True)
class MCIResult:
    """Intermediate terms and the MCI of one product (masses in kg)."""

    mass: float
    v: float
    w0: float
    wc: float
    wf: float
    w: float
    lfi: float
    x: float
    fx: float
    mci: float


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise IndicatorInputError(f"{name} must be between 0 and 1, got {short(value)}")


def material_circularity(
    mass: float, *, recycled_feedstock: float = 0.0, reused_feedstock: float = 0.0,
    sustained_bio_feedstock: float = 0.0, collected_for_recycling: float = 0.0,
    collected_for_reuse: float = 0.0, composted: float = 0.0, energy_recovered: float = 0.0,
    recycling_efficiency_eol: float = 1.0, recycling_efficiency_feedstock: float = 1.0,
    lifetime_ratio: float = 1.0, use_intensity_ratio: float = 1.0,
) -> MCIResult:
    """MCI of one product.

    Parameters
    ----------
    mass : float
        Product mass M in kg (> 0).
    recycled_feedstock, reused_feedstock, sustained_bio_feedstock : float
        F_R, F_U, F_S — fractions of the feedstock; their sum ≤ 1.
    collected_for_recycling, collected_for_reuse, composted, energy_recovered : float
        C_R, C_U, C_C, C_E — fractions of the product at end of life; their sum ≤ 1.
    recycling_efficiency_eol, recycling_efficiency_feedstock : float
        E_C and E_F in (0, 1]; E_F matters only when F_R > 0.
    lifetime_ratio, use_intensity_ratio : float
        L/L_av and U/U_av (> 0).

    Returns
    -------
    MCIResult
        ``lfi`` and ``mci`` with every intermediate term.

    Examples
    --------
    A fully linear product of average life scores 0.1:

    >>> round(material_circularity(1.0).mci, 10)
    0.1
    """
    if not mass > 0:
        raise IndicatorInputError(f"mass must be greater than 0 kg, got {short(mass)}")
    fr, fu, fs = recycled_feedstock, reused_feedstock, sustained_bio_feedstock
    cr, cu, cc, ce = collected_for_recycling, collected_for_reuse, composted, energy_recovered
    for name, val in (("recycled_feedstock", fr), ("reused_feedstock", fu),
                      ("sustained_bio_feedstock", fs), ("collected_for_recycling", cr),
                      ("collected_for_reuse", cu), ("composted", cc),
                      ("energy_recovered", ce),
                      ("recycling_efficiency_eol", recycling_efficiency_eol),
                      ("recycling_efficiency_feedstock", recycling_efficiency_feedstock)):
        _check_fraction(name, val)
    if fr + fu + fs > 1 + 1e-12:
        raise IndicatorInputError(f"feedstock shares sum to {fr + fu + fs:.6g}, above 1 "
                                  "(recycled + reused + sustained bio)")
    if cr + cu + cc + ce > 1 + 1e-12:
        raise IndicatorInputError(f"end-of-life shares sum to {cr + cu + cc + ce:.6g}, above 1 "
                                  "(recycling + reuse + composted + energy recovered)")
    if fr > 0 and recycling_efficiency_feedstock <= 0:
        raise IndicatorInputError("recycling_efficiency_feedstock must be > 0 when there is "
                                  "recycled feedstock")
    if not (lifetime_ratio > 0 and use_intensity_ratio > 0):
        raise IndicatorInputError("lifetime_ratio and use_intensity_ratio must be > 0")
    m = mass
    v = m * (1 - fr - fu - fs)
    w0 = m * (1 - cr - cu - cc - ce)
    wc = m * (1 - recycling_efficiency_eol) * cr
    wf = m * (1 - recycling_efficiency_feedstock) * fr / recycling_efficiency_feedstock \
        if fr > 0 else 0.0
    if not math.isfinite(wf):
        raise IndicatorInputError(
            f"recycling_efficiency_feedstock {recycling_efficiency_feedstock:.6g} is too small: "
            "the waste of recycling the feedstock, M (1 − E_F) F_R / E_F, is not a finite "
            "number of kg")
    w = w0 + (wf + wc) / 2
    lfi = (v + w) / (2 * m + (wf - wc) / 2)
    x = _utility(lifetime_ratio * use_intensity_ratio)
    fx = 0.9 / x
    return MCIResult(mass=m, v=v, w0=w0, wc=wc, wf=wf, w=w, lfi=lfi, x=x, fx=fx,
                     mci=max(0.0, 1 - lfi * fx))


def _utility(x: float) -> float:
    """The utility X = (L/L_av)(U/U_av), refused unless a finite number above 0: an X that
    overflowed scored a linear product MCI 1 (review 276)."""
    if not (math.isfinite(x) and x > 0 and math.isfinite(0.9 / x)):
        raise IndicatorInputError(
            f"the utility X = lifetime_ratio × use_intensity_ratio is {x:.6g}, not a finite "
            "number above 0: check the lifetime against the industry's and the use intensity "
            "against the industry's")
    return x


def multi_material_circularity(parts: Sequence[dict[str, float]], *,
                               lifetime_ratio: float = 1.0,
                               use_intensity_ratio: float = 1.0) -> MCIResult:
    """MCI of a multi-material product: V, W_0, W_C, W_F and M summed over its materials
    before the LFI (the methodology's product-level aggregation). Each entry holds ``mass``
    and the keyword arguments of :func:`material_circularity` for that material."""
    if not parts:
        raise IndicatorInputError("a product needs at least one material")
    for i, p in enumerate(parts):
        if utility := {"lifetime_ratio", "use_intensity_ratio"} & set(p):
            raise IndicatorInputError(
                f"parts[{i}].{min(utility)}: the utility is the whole product's; give it to "
                "multi_material_circularity, not to one material")
    terms = [material_circularity(**p) for p in parts]
    m = sum(t.mass for t in terms)
    v, w0 = sum(t.v for t in terms), sum(t.w0 for t in terms)
    wc, wf = sum(t.wc for t in terms), sum(t.wf for t in terms)
    w = w0 + (wf + wc) / 2
    lfi = (v + w) / (2 * m + (wf - wc) / 2)
    x = _utility(lifetime_ratio * use_intensity_ratio)
    return MCIResult(mass=m, v=v, w0=w0, wc=wc, wf=wf, w=w, lfi=lfi, x=x, fx=0.9 / x,
                     mci=max(0.0, 1 - lfi * 0.9 / x))


def company_circularity(mcis: Sequence[float], normalisers: Sequence[float]) -> float | None:
    """Company-level MCI: Σ MCI_i R_i / Σ R_i with R_i a normalising factor (revenue
    recommended). ``None`` when Σ R_i = 0. Each MCI_i must be a finite number in [0, 1]."""
    if len(mcis) != len(normalisers):
        raise IndicatorInputError("one normalising factor (e.g. revenue) per product")
    if not all(math.isfinite(r) and r >= 0 for r in normalisers):  # NaN passed r < 0 (319)
        raise IndicatorInputError("normalising factors must be finite numbers, not negative")
    if not all(math.isfinite(m) and 0 <= m <= 1 for m in mcis):  # review 320: NaN gave NaN,
        bad = next(m for m in mcis if not (math.isfinite(m) and 0 <= m <= 1))  # 5 and −3, 1.0
        raise IndicatorInputError(f"a product MCI must be a finite number between 0 and 1, "
                                  f"got {short(bad)}")
    top = max(normalisers, default=0.0)
    if top == 0:
        return None
    # each R_i ÷ the largest first: Σ R_i of huge revenues overflowed (review 319: 1e308
    # twice gave MCI_C 0.0 for two products of MCI 0.1, NaN for two of MCI 1.0)
    weights = [r / top for r in normalisers]
    return math.fsum(m * w for m, w in zip(mcis, weights, strict=True)) / math.fsum(weights)
