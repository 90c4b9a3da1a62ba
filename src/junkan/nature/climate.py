"""Drought and trend statistics: SPI (McKee et al. 1993) from monthly precipitation with a
gamma fit, VCI (Kogan 1995) from NDVI, the Mann–Kendall trend test with Sen's slope, and the
minimum detectable change of an indicator given its year-to-year noise.

SPI follows the reference implementation ``climate_indices`` (NOAA/NCEI, Adams 2017,
https://github.com/monocongo/climate_indices; ``indices.spi`` with ``Distribution.gamma``):
the ``scale``-month running sum; per calendar month, the gamma shape and scale by Thom's
(1958) maximum-likelihood approximation on the non-zero values of the calibration period,
A = ln(mean) − mean(ln x), α = (1 + √(1 + 4A/3)) / 4A, β = mean/α; the probability of zero
q; P = q + (1 − q)·G(x; α, β); SPI = Φ⁻¹(P), clipped to ±3.09.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SPI_CLIP = 3.09
"""Bounds of SPI values (as climate_indices and NOAA/NCEI clip them)."""


def spi(monthly: np.ndarray, scale: int, *, calibration: slice | None = None) -> np.ndarray:
    """SPI of a monthly precipitation series that starts in January (NaN = missing): the
    first ``scale − 1`` values are NaN. ``calibration`` selects the years (rows) the gamma
    fit uses (default: the whole record)."""
    from scipy import stats

    x = np.asarray(monthly, dtype=float)
    if x.ndim != 1 or scale < 1 or len(x) < scale:
        raise ValueError(f"spi: need a 1-D series of at least {scale} months")
    x = np.clip(x, 0.0, None)
    summed = np.full(len(x), np.nan)
    csum = np.convolve(x, np.ones(scale), mode="valid")
    summed[scale - 1 :] = csum
    years = math.ceil(len(x) / 12)
    grid = np.full(years * 12, np.nan)
    grid[: len(x)] = summed
    table = grid.reshape(years, 12)
    calib = table[calibration or slice(None)]
    out = np.full_like(table, np.nan)
    for m in range(12):
        col = calib[:, m]
        col = col[np.isfinite(col)]
        if len(col) == 0:
            continue
        q = float(np.mean(col == 0.0))
        pos = col[col > 0.0]
        if len(pos) < 2 or q >= 1.0:
            continue
        mean = pos.mean()
        a = math.log(mean) - np.log(pos).mean()
        if a <= 0:
            continue
        alpha = (1.0 + math.sqrt(1.0 + 4.0 * a / 3.0)) / (4.0 * a)
        beta = mean / alpha
        vals = table[:, m]
        p = q + (1.0 - q) * stats.gamma.cdf(vals, a=alpha, scale=beta)
        out[:, m] = np.clip(stats.norm.ppf(p), -SPI_CLIP, SPI_CLIP)
    res = out.reshape(-1)[: len(x)]
    res[~np.isfinite(summed)] = np.nan
    return res


def vci(ndvi: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Vegetation Condition Index 100·(NDVI − min)/(max − min), with min and max taken per
    calendar period (``periods``, e.g. the month of each value) over the record (Kogan
    1995). NaN where the period's range is zero."""
    v = np.asarray(ndvi, dtype=float)
    per = np.asarray(periods)
    out = np.full(len(v), np.nan)
    for p in np.unique(per):
        sel = per == p
        lo, hi = np.nanmin(v[sel]), np.nanmax(v[sel])
        if hi > lo:
            out[sel] = 100.0 * (v[sel] - lo) / (hi - lo)
    return out


@dataclass(frozen=True)
class Trend:
    """Mann–Kendall test (normal approximation, tie-corrected variance) and Sen's slope."""

    n: int
    s: int
    z: float
    p: float
    tau: float
    slope: float
    """Sen's slope: median of pairwise slopes (units per time unit)."""
    intercept: float
    residual_sd: float
    """Standard deviation of the residuals around Sen's line (ddof 2): the noise."""

    @property
    def direction(self) -> str:
        return "none" if self.p >= 0.05 else ("increasing" if self.s > 0 else "decreasing")


def mann_kendall(t: np.ndarray, y: np.ndarray) -> Trend:
    """Mann (1945) / Kendall (1975) trend test of ``y`` over times ``t`` (at least 3
    finite values), with Sen (1968) slope."""
    from scipy import stats

    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    n = len(y)
    if n < 3:
        raise ValueError("a trend test needs at least 3 values")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    i, j = np.triu_indices(n, 1)
    s = int(np.sign(y[j] - y[i]).sum())
    _, counts = np.unique(y, return_counts=True)
    var = (
        n * (n - 1) * (2 * n + 5) - float(np.sum(counts * (counts - 1) * (2 * counts + 5)))
    ) / 18.0
    z = 0.0 if s == 0 or var <= 0 else (s - np.sign(s)) / math.sqrt(var)
    p = float(2.0 * stats.norm.sf(abs(z)))
    dt = t[j] - t[i]
    slopes = (y[j] - y[i])[dt != 0] / dt[dt != 0]
    slope = float(np.median(slopes)) if len(slopes) else 0.0
    intercept = float(np.median(y - slope * t))
    resid = y - (intercept + slope * t)
    sd = float(np.sqrt(np.sum(resid**2) / (n - 2))) if n > 2 else float("nan")
    tau = s / (n * (n - 1) / 2.0)
    return Trend(n, s, float(z), p, float(tau), slope, intercept, sd)


def min_detectable_change(sd: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest year-on-year change a two-sided test at ``alpha`` detects with ``power``
    when each year's value has noise ``sd``: (z₁₋α/₂ + z_power)·√2·sd."""
    from scipy import stats

    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * math.sqrt(2) * sd)
