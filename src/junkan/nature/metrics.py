"""Area estimates with their uncertainty, responsiveness and the integrated impact
indicator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from junkan.nature.climate import mann_kendall, min_detectable_change


def adjusted_areas(confusion: list[list[int]], mapped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Error-adjusted class areas and their standard errors (same unit as ``mapped``, the
    mapped area per class), by Olofsson et al. (2014) eqs. 9–10 with the map classes as
    strata. ``confusion`` has reference rows and predicted columns (sklearn's order)."""
    n = np.asarray(confusion, float).T  # rows: map class i, columns: reference class j
    total = float(mapped.sum())
    if total <= 0:
        return mapped.astype(float), np.zeros(len(mapped))
    w = mapped / total
    ni = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pij = np.where(ni[:, None] > 0, w[:, None] * n / ni[:, None], 0.0)
        frac = np.where(ni[:, None] > 0, n / ni[:, None], 0.0)
        var = np.where(
            ni[:, None] > 1, w[:, None] ** 2 * frac * (1 - frac) / (ni[:, None] - 1), 0.0
        )
    return pij.sum(axis=0) * total, np.sqrt(var.sum(axis=0)) * total


def responsiveness(
    years: list[float], series: dict[str, list[float]], *, alpha: float, power: float
) -> dict[str, dict[str, Any]]:
    """Per indicator: Mann–Kendall trend, Sen's slope, year-to-year noise (residual SD
    around Sen's line) and the minimum detectable year-on-year change; whether the
    indicator can monitor annually (its observed mean absolute yearly change exceeds
    its MDC). Series with fewer than 4 finite values are left out. ASSUMPTION (junkan
    team): 4 leaves two degrees of freedom for the noise around Sen's line; note that the
    Mann–Kendall test itself needs at least 5 values to reach p < 0.05 (two-sided: with 4,
    the most extreme S = 6 has p = 2/24)."""
    out: dict[str, dict[str, Any]] = {}
    t = np.asarray(years, float)
    for name, values in series.items():
        y = np.asarray(values, float)
        if np.isfinite(y).sum() < 4:
            continue
        tr = mann_kendall(t, y)
        mdc = min_detectable_change(tr.residual_sd, alpha=alpha, power=power)
        step = float(np.nanmean(np.abs(np.diff(y))))
        out[name] = {
            "n": tr.n,
            "mann_kendall_s": tr.s,
            "z": tr.z,
            "p": tr.p,
            "trend": tr.direction,
            "sen_slope_per_year": tr.slope,
            "noise_sd": tr.residual_sd,
            "min_detectable_change": mdc,
            "mean_abs_yearly_change": step,
            # a flat series (no slope, no noise) shows nothing: not "can monitor"
            "annual_monitoring": bool(
                math.isfinite(mdc) and abs(tr.slope) >= mdc and abs(tr.slope) > 0
            ),
        }
    return out


def integrated(components: dict[str, float | None], weights: dict[str, float]) -> dict[str, Any]:
    """Weighted mean (0–100) of the available components (each in [0, 1]); weights of
    missing components are left out and the rest renormalised."""
    used = {k: w for k, w in weights.items() if components.get(k) is not None and w > 0}
    if not used:
        return {"value": None, "weights": weights, "missing": sorted(weights)}
    total = sum(used.values())
    score = sum(w * float(np.clip(components[k] or 0.0, 0, 1)) for k, w in used.items())
    return {
        "value": 100.0 * score / total,
        "components": {k: components.get(k) for k in weights},
        "weights": weights,
        "weights_used": {k: w / total for k, w in used.items()},
        "missing": sorted(set(weights) - set(used)),
        "method": "100 × Σ wₖ·cₖ / Σ wₖ over the available components cₖ ∈ [0, 1]",
    }


def rel_drop(first: float | None, last: float | None) -> float | None:
    """Relative decrease first → last (0 if it rose), None if undefined (a value missing
    or not finite); 0 if ``first`` is not positive (nothing to lose)."""
    if first is None or last is None or not (math.isfinite(first) and math.isfinite(last)):
        return None
    if first <= 0:
        return 0.0
    return float(max(0.0, (first - last) / first))


def error_rate_bounds(
    confusion: list[list[int]], level: float = 0.95, deff: float = 1.0
) -> np.ndarray:
    """Per class: the larger of its commission and omission error rates' upper bounds, each
    the Jeffreys interval's upper end (Brown, Cai & DasGupta 2001: Beta(e + ½, n − e + ½)
    quantile at (1 + level)/2) over the held-out pixels (``confusion``: reference rows,
    predicted columns). 0 errors observed in n pixels still bound the rate by about 2.5/n
    at 95 %; a class with no held-out pixel gets 1 (unknown). ``deff``: the design effect
    of the pixels' clustering in polygons (:meth:`junkan.nature.clusters.ClusterSample.
    design_effect`); n and e are divided by it, the effective sample size of Korn &
    Graubard (1998)."""
    from scipy.stats import beta

    cm = np.asarray(confusion, float)
    q = (1 + level) / 2
    out = np.ones(len(cm))
    for i in range(len(cm)):
        bounds = []
        for n in (cm[:, i].sum() / deff, cm[i, :].sum() / deff):  # commission, omission
            e = n - cm[i, i] / deff
            bounds.append(1.0 if n <= 0 else float(beta.ppf(q, e + 0.5, n - e + 0.5)))
        out[i] = max(bounds)
    return out


def change_uncertainty(
    t: np.ndarray, rates: np.ndarray, nat: list[int], conv: list[int]
) -> float:
    """Bound (km²) on how much misclassification could move the natural → converted area:
    ``t`` the transition areas (map class codes from 1, code 0 unclassified), ``rates`` the
    per-class error-rate bounds (:func:`error_rate_bounds`). Each transition cell whose
    membership flips when its first-date class (in or out of ``nat``) or its last-date class
    (in or out of ``conv``) is wrong adds (area × rate)² — errors taken as systematic within
    a cell, independent between cells; cells that need both dates wrong are left out."""
    total = 0.0
    k = len(rates)
    for i in range(1, k + 1):
        for j in range(1, k + 1):
            a = float(t[i, j])
            if a <= 0:
                continue
            lost = i in nat and j in conv
            if lost or j in conv:
                total += (a * rates[i - 1]) ** 2  # first date wrong
            if lost or i in nat:
                total += (a * rates[j - 1]) ** 2  # last date wrong
    return math.sqrt(total)
