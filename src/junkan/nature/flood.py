"""Flood frequency from surface-water extent: the annual maximum of an area's water extent
(km², MNDWI > threshold) over the scenes of each calendar year, an extreme-value
distribution fitted to those maxima, return levels and the return period of the latest
year, each with a parametric-bootstrap interval.

Gumbel (EV1) by maximum likelihood is the default: short records cannot pin down a GEV
shape. With at least ``GEV_MIN_YEARS`` maxima a GEV is fitted too and used when the
likelihood-ratio test rejects the Gumbel (shape 0) at 5 % (Coles 2001, §3.3, §2.6.7).
A record of annual scenes samples one date per year, so its "maximum" underestimates the
true annual maximum extent: more scenes per year (wet season included) give better maxima.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

RETURN_PERIODS = (2, 5, 10, 25, 50, 100)
"""Return periods reported (years): the usual design set."""
GEV_MIN_YEARS = 20
"""Fewest annual maxima before a GEV is tried. ASSUMPTION (junkan team, 2026-12-01): the
GEV shape is poorly determined by shorter records, so Gumbel is kept below it."""
BOOTSTRAP = 200
"""Parametric-bootstrap resamples (assumption: run time traded against Monte-Carlo noise)."""
LEVEL = 0.90
"""Two-sided level of the bootstrap intervals (assumption, a common choice)."""


def annual_maxima(years: list[int], values: list[float | None]) -> tuple[list[int], np.ndarray]:
    """The largest finite value of each calendar year (years without one left out)."""
    best: dict[int, float] = {}
    for y, v in zip(years, values, strict=True):
        if v is None or not math.isfinite(v):
            continue
        best[y] = max(v, best.get(y, -math.inf))
    ys = sorted(best)
    return ys, np.array([best[y] for y in ys], float)


def _fit(x: np.ndarray, gev: bool) -> tuple[Any, tuple[float, ...]]:
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if gev:
            return stats.genextreme, tuple(float(v) for v in stats.genextreme.fit(x))
        return stats.gumbel_r, tuple(float(v) for v in stats.gumbel_r.fit(x))


def _levels(dist: Any, params: tuple[float, ...], x_last: float) -> tuple[np.ndarray, float]:
    p = 1.0 - 1.0 / np.asarray(RETURN_PERIODS, float)
    sf = float(dist.sf(x_last, *params))
    return np.asarray(dist.ppf(p, *params), float), (1.0 / sf if sf > 0 else math.inf)


def _choose(x: np.ndarray) -> tuple[str, Any, tuple[float, ...], dict[str, Any] | None]:
    """Gumbel, or GEV when the record is long enough and the LR test prefers it."""
    gum, pg = _fit(x, False)
    if len(x) < GEV_MIN_YEARS:
        return "gumbel", gum, pg, None
    from scipy import stats

    gev, pv = _fit(x, True)
    ll_g = float(np.sum(gum.logpdf(x, *pg)))
    ll_v = float(np.sum(gev.logpdf(x, *pv)))
    dev = max(0.0, 2.0 * (ll_v - ll_g))
    p = float(stats.chi2.sf(dev, 1))
    test = {"deviance": dev, "p": p, "shape_xi": -pv[0]}  # scipy's c = −ξ
    if p < 0.05 and math.isfinite(ll_v):
        return "gev", gev, pv, test
    return "gumbel", gum, pg, test


def _finite(v: Any) -> float | None:
    """JSON-safe: None for an infinite or undefined value (e.g. a return period beyond
    the fitted distribution's support)."""
    f = float(v)
    return f if math.isfinite(f) else None


def flood_frequency(
    years: list[int],
    values: list[float | None],
    *,
    min_years: int = 5,
    seed: int = 0,
    resamples: int = BOOTSTRAP,
) -> dict[str, Any]:
    """Annual maxima, fitted distribution, return levels (km²) for ``RETURN_PERIODS`` and
    the latest year's return period, with ``LEVEL`` parametric-bootstrap intervals; or a
    ``note`` why nothing was fitted."""
    ys, x = annual_maxima(years, values)
    out: dict[str, Any] = {"years": ys, "annual_max_km2": x.tolist()}
    if len(x) < min_years:
        out["note"] = f"{len(x)} years with water data; the fit needs at least {min_years}"
        return out
    if float(np.ptp(x)) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        out["note"] = "the annual maxima do not vary; no distribution can be fitted"
        return out
    name, dist, params, test = _choose(x)
    levels, t_last = _levels(dist, params, float(x[-1]))
    rng = np.random.default_rng(seed)
    boot_l, boot_t = [], []
    for _ in range(resamples):
        xs = np.asarray(dist.rvs(*params, size=len(x), random_state=rng), float)
        if float(np.ptp(xs)) <= 0:
            continue
        _, pb = _fit(xs, name == "gev")
        lv, tl = _levels(dist, pb, float(x[-1]))
        if np.all(np.isfinite(lv)):
            boot_l.append(lv)
            boot_t.append(tl)
    q = ((1 - LEVEL) / 2 * 100, (1 + LEVEL) / 2 * 100)
    bl = np.array(boot_l)
    ci = np.percentile(bl, q, axis=0) if len(bl) else np.full((2, len(levels)), np.nan)
    tci = np.percentile(np.array(boot_t), q) if boot_t else [math.nan, math.nan]
    n = len(x)
    gringorten = [(n + 0.12) / (k - 0.44) for k in range(1, n + 1)]  # T of the k-th largest
    out.update(
        {
            "distribution": name,
            "params": dict(
                zip(
                    ("loc", "scale") if name == "gumbel" else ("c", "loc", "scale"),
                    params[-2:] if name == "gumbel" else params,
                    strict=True,
                )
            ),
            "gev_test": test,
            "return_levels_km2": {
                str(t): {"value": _finite(v), "low": _finite(lo), "high": _finite(hi)}
                for t, v, lo, hi in zip(RETURN_PERIODS, levels, ci[0], ci[1], strict=True)
            },
            "latest_year": ys[-1],
            "latest_return_period_years": {
                "value": _finite(t_last),
                "low": _finite(tci[0]),
                "high": _finite(tci[1]),
            },
            "empirical": {
                "annual_max_sorted_km2": sorted(x.tolist(), reverse=True),
                "return_period_gringorten": gringorten,
            },
            "interval": f"{LEVEL:.0%} parametric bootstrap ({len(bl)} resamples, seed {seed})",
            "method": "annual maxima of surface-water extent; Gumbel by maximum likelihood "
            f"(GEV when ≥ {GEV_MIN_YEARS} years and the likelihood-ratio test rejects shape 0 "
            "at 5 %), scipy.stats; return level x_T = F⁻¹(1 − 1/T) (Coles 2001)",
        }
    )
    return out
