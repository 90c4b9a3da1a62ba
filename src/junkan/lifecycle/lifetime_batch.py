"""Survival ratios and exposure kernels of many lifetimes at once: one array operation per
distribution family instead of one small computation per product.

Each function gives, row for row, bit for bit the values of its one-lifetime counterpart
(:func:`~junkan.lifecycle.lifetimes.mid_year_ratios`,
:func:`~junkan.lifecycle.lifetimes.end_of_year_ratios`,
:func:`~junkan.lifecycle.exposure.exposure_kernels`): the element-wise operations are the
same, applied to a (lifetimes × ages) array, and every per-lifetime constant (a power, a
logarithm of the parameters) is computed by the same scalar expression as there, then
stacked. ``tests/lifecycle/test_lifetime_batch.py`` checks the equality on every family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from junkan.lifecycle.lifetimes import lognormal_parameters, step_ratios
from junkan.lifecycle.schema import Lifetime


def _column(values: Sequence[float | None]) -> np.ndarray:
    """Values as a (G, 1) column (a family's lifetimes all give the parameter)."""
    return np.array(values, dtype=float).reshape(-1, 1)


_SCALAR_POWERS = (0.0, 0.5, 1.0, -1.0, 2.0)
"""Exponents numpy's power treats specially when they are a scalar."""


def _family_key(lt: Lifetime) -> str:
    """Lifetimes computed together: one family, a Weibull shape numpy treats specially
    alone."""
    if lt.distribution == "weibull" and lt.shape in _SCALAR_POWERS:
        return f"weibull {lt.shape}"
    return lt.distribution


class _Family:
    """The lifetimes of one distribution family, their parameters as (G, 1) columns."""

    def __init__(self, distribution: str, lifetimes: list[Lifetime]) -> None:
        self.d = distribution
        if distribution in ("fixed", "normal"):
            self.mean = _column([lt.mean for lt in lifetimes])
        if distribution == "normal":
            self.std = _column([lt.std for lt in lifetimes])
            # constants as exposure.cumulative_exposure computes them, scalar by scalar
            z0 = [
                -m / s
                for m, s in zip(self.mean[:, 0].tolist(), self.std[:, 0].tolist(), strict=True)
            ]
            self.z0 = _column(z0)
            self.e0 = _column([float(np.exp(-0.5 * z**2)) for z in z0])
        if distribution == "lognormal":
            mu_sigma = [lognormal_parameters(lt) for lt in lifetimes]
            self.mu = _column([m for m, _ in mu_sigma])
            self.sigma = _column([s for _, s in mu_sigma])
            self.s2 = _column([s**2 for _, s in mu_sigma])
            self.scale_ln = _column([float(np.exp(m + s**2 / 2)) for m, s in mu_sigma])
        if distribution == "weibull":
            self.scale = _column([lt.scale for lt in lifetimes])
            shapes = [lt.shape for lt in lifetimes]
            # numpy's power with a scalar exponent of 0.5, 1 or 2 takes a shortcut (sqrt,
            # copy, square) whose last bit may differ from pow(): such a family keeps its
            # scalar exponent (its lifetimes are grouped by it, see Lifetimes)
            self.shape: np.ndarray | float = (
                float(shapes[0] or 0.0) if shapes[0] in _SCALAR_POWERS else _column(shapes)
            )
            from scipy import special

            # λ·Γ(1 + 1/k), element by element as the scalar expression
            self.g = self.scale * special.gamma(1 + 1 / _column(shapes))

    def survival(self, x: np.ndarray) -> np.ndarray:
        """As :func:`~junkan.lifecycle.lifetimes.survival`, one row per lifetime."""
        from scipy import special

        if self.d == "fixed":
            return (x < self.mean).astype(float)
        if self.d == "normal":
            return np.asarray(special.ndtr((self.mean - x) / self.std), dtype=float)
        if self.d == "lognormal":
            with np.errstate(divide="ignore"):
                z = (self.mu - np.log(np.maximum(x, 0.0))) / self.sigma
            return np.asarray(special.ndtr(z), dtype=float)
        return np.exp(-((np.maximum(x, 0.0) / self.scale) ** self.shape))

    def cumulative_exposure(self, x: np.ndarray) -> np.ndarray:
        """As :func:`~junkan.lifecycle.exposure.cumulative_exposure`, one row per lifetime."""
        from scipy import special

        if self.d == "fixed":
            return np.minimum(x, self.mean)
        if self.d == "normal":
            mu, sd = self.mean, self.std
            zx = (x - mu) / sd
            pdf = np.exp(-0.5 * zx**2) - self.e0
            part = mu * (special.ndtr(zx) - special.ndtr(self.z0)) - sd * pdf / np.sqrt(2 * np.pi)
        elif self.d == "lognormal":
            with np.errstate(divide="ignore"):
                z = (np.log(x) - self.mu - self.s2) / self.sigma
            part = self.scale_ln * special.ndtr(z)
        else:
            k = self.shape
            part = self.g * special.gammainc(1 + 1 / k, (x / self.scale) ** k)
        return np.asarray(x * self.survival(x) + part, dtype=float)


class Lifetimes:
    """Many lifetimes, grouped by family: the positions of each family's lifetimes in the
    list given, with the family's parameters."""

    def __init__(self, lifetimes: Sequence[Lifetime]) -> None:
        groups: dict[str, list[int]] = {}
        for i, lt in enumerate(lifetimes):
            groups.setdefault(_family_key(lt), []).append(i)
        self.n = len(lifetimes)
        self.families = [
            (np.array(idx, dtype=np.int64), _Family(d.split()[0], [lifetimes[i] for i in idx]))
            for d, idx in groups.items()
        ]

    def entry_ratios(self, n_years: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`~junkan.lifecycle.lifetimes.entry_ratios`: survival in the year of entry
        (G,) and step ratios (G, T)."""
        first, ratios = np.ones(self.n), np.zeros((self.n, n_years))
        for idx, fam in self.families:
            sf = fam.survival(np.arange(n_years + 1, dtype=float) + offset)
            first[idx] = sf[:, 0]
            ratios[idx] = step_ratios(sf)
        return first, ratios

    def mid_year_ratios(self, n_years: int) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`~junkan.lifecycle.lifetimes.mid_year_ratios` (G,), (G, T)."""
        return self.entry_ratios(n_years, 0.5)

    def end_of_year_ratios(self, n_years: int) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`~junkan.lifecycle.lifetimes.end_of_year_ratios` (G,), (G, T)."""
        return self.entry_ratios(n_years, 0.0)

    def exposure_kernels(self, n_years: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
        """As :func:`~junkan.lifecycle.exposure.exposure_kernels`: entry exposure (G,) and
        per-start exposure (G, T)."""
        entry, per_start = np.zeros(self.n), np.zeros((self.n, n_years))
        ages = np.arange(n_years + 1, dtype=float) + offset
        for idx, fam in self.families:
            g = fam.cumulative_exposure(ages)
            sf = fam.survival(ages[:-1])
            d = np.diff(g, axis=-1)
            per_start[idx] = np.clip(np.divide(d, sf, out=np.zeros_like(d), where=sf > 0), 0.0, 1.0)
            if offset > 0:
                entry[idx] = g[:, 0]
        return entry, per_start
