"""Survival functions and the per-age survival ratios the cohort engine steps with.

Convention (the same as flodym's default ``inflow_at='middle'``): a cohort that enters in
year *c* is counted at mid-year, so at the end of year *t* it has age ``t - c + 0.5`` and its
surviving share is ``S(t - c + 0.5)``. The engine keeps only the stock by age (memory linear in
the number of years) and steps it with ``S(a + 1.5) / S(a + 0.5)``.
"""

from __future__ import annotations

import numpy as np

from junkan.core.errors import short
from junkan.lifecycle.schema import Lifetime


def survival(lifetime: Lifetime, ages: np.ndarray) -> np.ndarray:
    """Share of a cohort still in use at ``ages`` (years), for one lifetime distribution
    (scipy's special functions: the same values as ``scipy.stats``' ``sf``, without its
    per-call overhead — compiling evaluates thousands of them)."""
    from scipy import special  # here, not at import: scipy costs start-up time

    x = np.asarray(ages, dtype=float)
    d = lifetime.distribution
    if d == "fixed":
        assert lifetime.mean is not None
        return (x < lifetime.mean).astype(float)
    if d == "normal":
        assert lifetime.mean is not None and lifetime.std is not None
        return np.asarray(special.ndtr((lifetime.mean - x) / lifetime.std), dtype=float)
    if d == "lognormal":
        mu, sigma = lognormal_parameters(lifetime)
        with np.errstate(divide="ignore"):
            z = (mu - np.log(np.maximum(x, 0.0))) / sigma
        return np.asarray(special.ndtr(z), dtype=float)
    if d == "weibull":
        assert lifetime.scale is not None and lifetime.shape is not None
        return np.exp(-((np.maximum(x, 0.0) / lifetime.scale) ** lifetime.shape))
    raise ValueError(f"unknown lifetime distribution {short(d)}")


def lognormal_parameters(lifetime: Lifetime) -> tuple[float, float]:
    """(μ, σ) of the logarithm, from the lifetime's own ``mean`` and ``std``."""
    assert lifetime.mean is not None and lifetime.std is not None
    m2, s2 = lifetime.mean**2, lifetime.std**2
    return float(np.log(m2 / np.sqrt(m2 + s2))), float(np.sqrt(np.log(1 + s2 / m2)))


def step_ratios(sf: np.ndarray) -> np.ndarray:
    """Ratios ``sf[a + 1] / sf[a]`` (0 where nothing survives), one per age ``a``."""
    num, den = sf[..., 1:], sf[..., :-1]
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def entry_ratios(lifetime: Lifetime, n_years: int, offset: float) -> tuple[float, np.ndarray]:
    """Survival ``S(e)`` of the year items enter in, ``e`` = ``offset`` their age at its end,
    and the ratios ``S(a+1+e)/S(a+e)`` for ages 0…n−1 (:func:`mid_year_ratios`,
    :func:`end_of_year_ratios`)."""
    sf = survival(lifetime, np.arange(n_years + 1, dtype=float) + offset)
    return float(sf[0]), step_ratios(sf)


def mid_year_ratios(lifetime: Lifetime, n_years: int) -> tuple[float, np.ndarray]:
    """First-year survival ``S(0.5)`` and the ratios ``S(a+1.5)/S(a+0.5)`` for ages 0…n−1."""
    return entry_ratios(lifetime, n_years, 0.5)


def end_of_year_ratios(lifetime: Lifetime, n_years: int) -> tuple[float, np.ndarray]:
    """Survival at entry ``S(0)`` and the ratios ``S(a+1)/S(a)`` for items that enter at the
    end of a year (age 0 = just entered). ``S(0)`` is below 1 only for a normal lifetime: its
    share below age 0 retires in the year it enters, as a new product's share below half a
    year does (and as flodym's ``inflow_at='end'`` counts it; review 220)."""
    return entry_ratios(lifetime, n_years, 0.0)
