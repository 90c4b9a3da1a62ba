"""Exposure and replacement kernels: piece-years in use and part replacements per year, for one
item of a product stock kept by age (one exposure basis, part clocks that start when
their product enters use).

A product stock is kept by age index ``i`` at year end; an item at index ``i`` is ``i + e``
years old then, with ``e = 0.5`` for items that enter use mid-year (new products) and ``e = 0``
for items that enter at year end (reused products). During the next year it ages from
``i + e`` to ``i + 1 + e``. Per item alive at the start of that year:

* exposure ``x_i = ∫_{i+e}^{i+1+e} S(a) da / S(i+e)`` — piece-years in use during the year;
* replacements ``w_i = ∫_{(i+e, i+1+e]} S(a) dm(a) / S(i+e)`` — renewals of one part socket,

and for an item entering mid-year, per item entering: ``X = ∫_0^{0.5} S`` and
``W = ∫_{(0, 0.5]} S dm``. ``S`` is the product's survival function and ``m`` the renewal
function of the part's socket, whose clock starts when the product enters use:

* constant ``replacement_rate`` r: ``m(a) = r·a`` (r replacements per part-year in use, so
  ``W = r·X``: replacements and use phase share one exposure basis);
* fixed part lifetime L: failures at ages L, 2L, 3L, … (each replacement starts its clock at
  the failure), exact;
* other part lifetimes: the renewal function of ``F`` on a grid of 1/64 year.

A failure exactly at a year end belongs to the year that ends; a part failing at the moment its
product retires is not replaced (``S`` is right-continuous: ``S(L) = 0`` for a fixed ``L``).
"""

from __future__ import annotations

import numpy as np

from junkan.lifecycle.lifetimes import lognormal_parameters, survival
from junkan.lifecycle.schema import Lifetime

GRID = 64
"""Grid points per year of the renewal function of non-fixed part lifetimes."""
SNAP = 9
"""Event ages are rounded to this many decimals, so ``3 × 0.7`` years is exactly 2.1."""


def cumulative_exposure(lifetime: Lifetime, x: np.ndarray) -> np.ndarray:
    """``G(x) = ∫_0^x S(a) da`` (piece-years per piece entering) for ages ``x >= 0``, in
    closed form: ``x·S(x) + ∫_0^x a f(a) da``."""
    from scipy import special  # here, not at import (start-up time)

    x = np.asarray(x, dtype=float)
    d = lifetime.distribution
    if d == "fixed":
        assert lifetime.mean is not None
        return np.minimum(x, lifetime.mean)
    if d == "normal":
        assert lifetime.mean is not None and lifetime.std is not None
        mu, sd = lifetime.mean, lifetime.std
        z0, zx = -mu / sd, (x - mu) / sd
        pdf = np.exp(-0.5 * zx**2) - np.exp(-0.5 * z0**2)
        part = mu * (special.ndtr(zx) - special.ndtr(z0)) - sd * pdf / np.sqrt(2 * np.pi)
    elif d == "lognormal":
        mu, sigma = lognormal_parameters(lifetime)
        with np.errstate(divide="ignore"):
            z = (np.log(x) - mu - sigma**2) / sigma
        part = np.exp(mu + sigma**2 / 2) * special.ndtr(z)
    else:  # weibull
        assert lifetime.scale is not None and lifetime.shape is not None
        lam, k = lifetime.scale, lifetime.shape
        part = lam * special.gamma(1 + 1 / k) * special.gammainc(1 + 1 / k, (x / lam) ** k)
    return np.asarray(x * survival(lifetime, x) + part, dtype=float)


def survival_integral(lifetime: Lifetime, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``∫_lo^hi S(a) da`` (piece-years) for ages ``0 <= lo <= hi``."""
    g = cumulative_exposure(lifetime, np.concatenate([np.ravel(lo), np.ravel(hi)]))
    n = np.size(lo)
    return np.maximum(g[n:] - g[:n], 0.0).reshape(np.shape(hi))


def _bins(n_years: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Age bounds ``(i + e, i + 1 + e]`` of the years after entry, ``i = 0 … n−1``."""
    lo = np.arange(n_years, dtype=float) + offset
    return lo, lo + 1.0


def _per_start(values: np.ndarray, sf_start: np.ndarray) -> np.ndarray:
    return np.divide(values, sf_start, out=np.zeros_like(values), where=sf_start > 0)


def exposure_kernels(product: Lifetime, n_years: int, offset: float) -> tuple[float, np.ndarray]:
    """Piece-years in use: per item entering (mid-year entry only; 0 for year-end entry) and
    per item alive at the start of each later year, by age index (at most 1 year each)."""
    ages = np.arange(n_years + 1, dtype=float) + offset
    g = cumulative_exposure(product, ages)
    per_start = np.clip(_per_start(np.diff(g), survival(product, ages[:-1])), 0.0, 1.0)
    entry = float(g[0]) if offset > 0 else 0.0  # G(offset) − G(0), G(0) = 0
    return entry, per_start


def _grid_events(product: Lifetime, dens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ages and expected replacements of a socket whose failures are ``dens`` per grid cell
    (cell ``j`` holds ``((j − ½)h, (j + ½)h]``, ``h = 1/GRID``; cell 0 only ``(0, h/2]``),
    spread evenly over each cell: every half cell weighted by the product's mean survival
    over it (``∫ S / cell width``, in closed form). Year ends fall between half cells (entry
    at age 0 or ½), so each half belongs to one year; a product's fixed retirement inside a
    cell keeps the failures before it — survival at the grid age alone lost half a cell
    (1/128 year) of replacements in the retirement year (review 220)."""
    h = 1.0 / GRID
    grid = np.arange(len(dens)) * h
    lo = np.concatenate([np.maximum(grid - h / 2, 0.0), grid])
    hi = np.concatenate([grid, grid + h / 2])
    width = np.full(len(dens), h)
    width[0] = h / 2
    weights = np.tile(dens / width, 2) * survival_integral(product, lo, hi)
    return np.concatenate([grid - h / 4, grid + h / 4]), weights


def fixed_renewals(part_life: float, max_age: float) -> np.ndarray:
    """Socket ages at which a part with a fixed lifetime fails: L, 2L, … up to ``max_age``."""
    k = np.arange(1, int(np.floor(max_age / part_life + 1e-9)) + 1, dtype=float)
    return np.round(k * part_life, SNAP)


def renewal_density(part: Lifetime, max_age: float) -> np.ndarray:
    """Expected failures of one socket at grid ages ``j / GRID`` (``j = 0 … N``), from the
    renewal equation ``d = f + f * d``, solved as the power series ``f / (1 − f)``."""
    n = int(np.ceil(max_age * GRID)) + 1
    edges = (np.arange(n + 1) - 0.5) / GRID
    cdf = 1.0 - survival(part, np.maximum(edges, 0.0))
    cdf[0] = 0.0
    f = np.diff(cdf)  # failures nearest to each grid age
    a = -f
    a[0] += 1.0
    g = _series_inverse(a, n)
    d = g.copy()
    d[0] -= 1.0
    return np.maximum(d, 0.0)


def _series_inverse(a: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` coefficients of ``1 / a(z)`` (``a[0] != 0``), by Newton iteration with
    FFT products: O(n log n)."""
    from scipy.signal import fftconvolve

    g = np.array([1.0 / a[0]])
    k = 1
    while k < n:
        k = min(2 * k, n)
        ag = fftconvolve(a[:k], g)[:k]
        corr = -ag
        corr[0] += 2.0
        g = fftconvolve(g, corr)[:k]
    return g[:n]


def replacement_kernels(
    product: Lifetime,
    n_years: int,
    offset: float,
    *,
    rate: float | None = None,
    part: Lifetime | None = None,
) -> tuple[float, np.ndarray]:
    """Replacements of one part socket: per item entering (mid-year entry) and per item alive
    at the start of each later year, by age index — for a constant ``rate`` or a ``part``
    lifetime."""
    if rate is not None:
        entry, per_start = exposure_kernels(product, n_years, offset)
        return rate * entry, rate * per_start
    assert part is not None
    sf_start = survival(product, _bins(n_years, offset)[0])
    max_age = n_years + offset
    if part.distribution == "fixed":
        assert part.mean is not None
        ages = fixed_renewals(part.mean, max_age)
        weights = survival(product, ages)
    else:
        ages, weights = _grid_events(product, renewal_density(part, max_age))
    # year of each event: the bin (lo, hi] that holds its age; age ≤ offset is the entry year
    idx = np.ceil(np.round(ages - offset, SNAP)).astype(np.int64) - 1
    entry = float(weights[idx < 0].sum()) if offset > 0 else 0.0
    keep = (idx >= 0) & (idx < n_years)
    # float even with no event in the horizon (bincount of nothing is an integer array)
    per_year = np.bincount(idx[keep], weights=weights[keep], minlength=n_years).astype(float)
    return entry, _per_start(per_year, sf_start)
