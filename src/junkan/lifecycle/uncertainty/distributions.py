"""Marginal distributions of uncertain parameters, as inverse CDFs (``ppf``) of uniform
draws, so that independent, correlated (copula) and Sobol'/Morris designs all go through the
same transformation.

Pedigree uncertainty (ecoinvent v3): a lognormal's variance on the log scale is the basic
variance plus one additive term per pedigree indicator,
σ² = ln(gsd_basic)² + Σᵢ σᵢ²(scoreᵢ). The σᵢ² are the ecoinvent v3 default factors —
source: B. P. Weidema et al., *Overview and methodology. Data quality guideline for the
ecoinvent database version 3*, ecoinvent report 1 (v3), St. Gallen, 2013, table 10.5
(variances of the underlying normal distribution; read 2026-11-30). Without ``gsd`` the
basic variance is 0.0006, the guideline's smallest default basic uncertainty (table 10.4:
demand of thermal energy, electricity, semi-finished products, working material and waste
treatment services; CO2 from combustion) — ecoinvent v2's basic factor 1.05, which was a
σg² (the 95 % interval's factor): (ln 1.05 / 2)² = 0.0006 (Frischknecht et al.,
*Overview and methodology*, ecoinvent report 1, v2.0, 2007, table 7.5). Using it for the
unit factor is an assumption (give ``gsd`` to set it); until 2026-12-06 junkan read 1.05 as
the geometric standard deviation itself, four times that variance (review 218).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.lifecycle.uncertainty.spec import UncertainParameter

PEDIGREE_VARIANCE: tuple[tuple[float, ...], ...] = (
    (0.0, 0.0006, 0.002, 0.008, 0.04),  # reliability
    (0.0, 0.0001, 0.0006, 0.002, 0.008),  # completeness
    (0.0, 0.0002, 0.002, 0.008, 0.04),  # temporal correlation
    (0.0, 0.000025, 0.0001, 0.0004, 0.0008),  # geographical correlation
    (0.0, 0.0006, 0.008, 0.04, 0.12),  # further technological correlation
)
"""σ² on the log scale per pedigree indicator and score 1–5 (Weidema et al. 2013, t. 10.5)."""
BASIC_VARIANCE = 0.0006
"""σ² on the log scale of a pedigree lognormal without ``gsd`` (see the module's docstring)."""
SUPPORT = (0.001, 0.999)
"""Quantiles bounding the designs of sensitivity analysis (:meth:`Marginal.support`)."""


def basic_variance(gsd: float | None) -> float:
    """σ² of ln x of the basic uncertainty: from ``gsd``, else :data:`BASIC_VARIANCE`."""
    return float(np.log(gsd) ** 2) if gsd is not None else BASIC_VARIANCE


def pedigree_sigma2(scores: tuple[int, ...], gsd: float | None = None) -> float:
    """σ² of ln x: the basic variance (``gsd``) plus the pedigree indicators' variances."""
    if len(scores) != 5 or any(not 1 <= s <= 5 for s in scores):
        raise ValueError("pedigree: give five scores from 1 (best) to 5 (worst)")
    pedigree = sum(PEDIGREE_VARIANCE[i][s - 1] for i, s in enumerate(scores))
    return float(basic_variance(gsd) + pedigree)


@dataclass(frozen=True)
class Marginal:
    """A frozen scipy distribution with optional truncation to ``[lo, hi]``."""

    name: str
    dist: Any  # scipy.stats frozen distribution; None for ``fixed``
    lo: float = -np.inf
    hi: float = np.inf

    @property
    def fixed(self) -> bool:
        return self.dist is None

    def _cdf(self, x: float) -> float:
        return float(self.dist.cdf(x))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at uniform quantiles ``u`` ∈ (0, 1) (truncated to ``[lo, hi]``)."""
        if self.dist is None:
            raise ValueError("a fixed parameter has no distribution")
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        a = self._cdf(self.lo) if np.isfinite(self.lo) else 0.0
        b = self._cdf(self.hi) if np.isfinite(self.hi) else 1.0
        if not b > a:
            raise ValueError(f"{self.name}: the range holds no probability")
        x = self.dist.ppf(a + u * (b - a))
        return np.clip(x, self.lo, self.hi)

    def median(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])

    def support(self) -> tuple[float, float]:
        """The 0.1 % and 99.9 % quantiles (the bounds of a design for bounded methods)."""
        q = self.ppf(np.array(SUPPORT))
        return float(q[0]), float(q[1])

    def design(self, u: np.ndarray) -> np.ndarray:
        """Values of a design's unit coordinates ``u`` ∈ [0, 1]: 0 and 1 are the
        :meth:`support`'s bounds, the quantiles between spread evenly."""
        lo, hi = SUPPORT
        return self.ppf(lo + (hi - lo) * np.asarray(u, dtype=float))


def _check_finite(name: str, kind: str, dist: Any, lo: float, hi: float) -> None:
    """ValueError if the distribution's draws can be infinite or undefined: its quantiles at
    the extreme uniform draws :meth:`Marginal.ppf` takes (1e-12 and 1 − 1e-12, clipped to the
    range) must be finite numbers. Checked without floating-point warnings."""
    with np.errstate(all="ignore"):
        q = np.clip(dist.ppf([1e-12, 1 - 1e-12]), lo, hi)
    if not np.isfinite(q).all():
        raise ValueError(
            f"{name}: the {kind} distribution's draws are not all finite numbers (its extreme "
            f"quantiles are {q[0]:.4g} … {q[1]:.4g}): its parameters are too large for "
            "floating point; give values whose draws stay well below 1e308 (a 'range' "
            "bounds them too)"
        )


def marginal(p: UncertainParameter) -> Marginal:
    """The marginal distribution a parameter declares."""
    from scipy import stats

    lo, hi = p.range if p.range is not None else (-np.inf, np.inf)
    kind = p.distribution
    dist: Any
    if kind == "fixed":
        dist = None
    elif kind == "normal":
        dist = stats.norm(p.mean, p.std)
    elif kind == "lognormal":
        if p.median is not None:
            s2 = (
                pedigree_sigma2(p.pedigree, p.gsd)
                if p.pedigree is not None
                else basic_variance(p.gsd)
            )
            mu = float(np.log(p.median))
        else:
            mean, std = float(p.mean or 0.0), float(p.std or 0.0)
            if mean <= 0:
                raise ValueError("a lognormal with mean and std needs mean > 0")
            s2 = float(np.log1p((std / mean) ** 2))
            mu = float(np.log(mean) - s2 / 2)
        dist = stats.lognorm(s=max(np.sqrt(s2), 1e-300), scale=np.exp(mu))
        lo = max(lo, 0.0)
    elif kind == "triangular":
        a, m, b = float(p.min), float(p.mode), float(p.max)  # type: ignore[arg-type]
        dist = stats.triang((m - a) / (b - a), loc=a, scale=b - a)
    elif kind == "uniform":
        dist = stats.uniform(p.min, float(p.max) - float(p.min))  # type: ignore[arg-type]
    else:  # beta
        a0 = 0.0 if p.min is None else float(p.min)
        b0 = 1.0 if p.max is None else float(p.max)
        dist = stats.beta(p.alpha, p.beta, loc=a0, scale=b0 - a0)
    if dist is not None:
        _check_finite(p.parameter, kind, dist, lo, hi)
    if dist is not None and p.range is not None:
        mass = float(dist.cdf(hi) - dist.cdf(lo))
        if not mass > 1e-9:
            q = dist.ppf([0.001, 0.999])
            raise ValueError(
                f"range {list(p.range)} holds none of the {kind} distribution's probability "
                f"(99.8 % of it lies in {q[0]:.4g} … {q[1]:.4g}); widen the range or move "
                "the distribution"
            )
    return Marginal(p.parameter, dist, float(lo), float(hi))
