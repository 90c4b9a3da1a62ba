"""Accuracy and area estimates with the **held-out polygons as the sampling units**.

The pixels of one validation polygon are spatially correlated (one field, one stand, one
misclassified patch), so counting them as independent draws, as a pixel error matrix does,
overstates the sample and understates every ±. Here each held-out polygon is a *cluster* of
pixels (one-stage cluster sampling: every pixel of the polygon is observed, up to the
``MAX_PIXELS_PER_POLYGON`` drawn from a large one), and every estimate is a ratio of sums
over the clusters:

- overall accuracy Σ correct / Σ pixels, user's and producer's accuracy, F1 = 2·nᵢᵢ /
  (nᵢ₊ + n₊ᵢ), Cohen's kappa;
- the error-adjusted class areas of Olofsson et al. (2014, eqs. 9–10): p̂ⱼ = Σᵢ Wᵢ·n̂ᵢⱼ/n̂ᵢ₊,
  Wᵢ the mapped share of class i, with n̂ᵢⱼ/n̂ᵢ₊ the cluster ratio estimator.

Point values are those of the pooled pixel error matrix (a ratio of sums is the pooled
proportion); only the variance changes. It is the ratio estimator's variance under cluster
random sampling (Brus 2022, *Spatial Sampling with R*, ch. 6, after Cochran 1977 ch. 6; for
accuracy assessment Stehman & Czaplewski 1998, Stehman 2009): with zᵤ = (yᵤ − R̂·xᵤ) / x̄
for a ratio R̂ = Σyᵤ / Σxᵤ over the n clusters u, V̂(R̂) = s²(z) / n, s² the sample variance
(n − 1 divisor). Functions of several ratios (areas, kappa) use the same linearisation:
zᵤ is the statistic's derivative with respect to cluster u's weight, times n (Taylor
linearisation; checked against finite differences in ``tests/nature/test_clusters.py``).
The 95 % interval is ± t₀.₉₇₅,ₙ₋₁·SE (n − 1 degrees of freedom: few polygons, few degrees).

Assumption (documented in docs/nature.md): the held-out polygons are taken as a simple
random sample of polygons of the map. They are a random subset of the user's training
polygons, per class, so the figures describe the map where those polygons are typical; a
probability sample of the map (Olofsson et al. 2014, section 4) makes them design-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

LEVEL = 0.95


@dataclass(frozen=True)
class ClusterSample:
    """Held-out polygons as clusters: ``ref[u]`` the reference class (0-based) of polygon
    u, ``counts[u, i]`` its validated pixels mapped as class i."""

    ref: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, ref: ArrayLike, counts: ArrayLike) -> ClusterSample:
        c = np.asarray(counts, float)
        r = np.asarray(ref, int)
        if c.ndim != 2 or len(r) != len(c) or len(c) < 2:
            raise ValueError("clusters: need at least 2 polygons, one count row each")
        return cls(r, c)

    @property
    def n(self) -> int:
        return len(self.ref)

    @property
    def k(self) -> int:
        return int(self.counts.shape[1])

    @cached_property
    def totals(self) -> np.ndarray:
        """(cluster, map class i, reference class j) pixel counts."""
        t = np.zeros((self.n, self.k, self.k))
        t[np.arange(self.n), :, self.ref] = self.counts
        return t

    @property
    def matrix(self) -> np.ndarray:
        """Pooled error matrix: rows map class, columns reference class."""
        return np.asarray(self.totals.sum(axis=0))

    @cached_property
    def t95(self) -> float:
        """Two-sided 95 % multiplier, Student's t with n − 1 degrees of freedom."""
        from scipy.stats import t

        return float(t.ppf((1 + LEVEL) / 2, self.n - 1))

    def se(self, z: np.ndarray) -> np.ndarray:
        """Standard error(s) from linearised values ``z`` (clusters along axis 0)."""
        return np.asarray(np.sqrt(np.var(z, axis=0, ddof=1) / self.n))

    def ratio(self, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ratio(s) Σnum / Σden over the clusters (axis 0) and their linearised values
        (yᵤ − R̂·xᵤ) / x̄; a zero denominator gives NaN and z = 0."""
        sd = den.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(sd > 0, num.sum(axis=0) / sd, np.nan)
            z = np.where(sd > 0, (num - np.nan_to_num(r) * den) / (sd / self.n), 0.0)
        return np.asarray(r), np.asarray(z)

    def accuracy(self) -> tuple[float, float]:
        """Overall accuracy and its SE."""
        t = self.totals
        r, z = self.ratio(np.trace(t, axis1=1, axis2=2), t.sum(axis=(1, 2)))
        return float(r), float(self.se(z))

    def user_producer(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per class: user's accuracy (nᵢᵢ/nᵢ₊) and producer's (nⱼⱼ/n₊ⱼ), each with SEs."""
        t = self.totals
        diag = np.diagonal(t, axis1=1, axis2=2)
        out = {}
        for name, den in (("user", t.sum(axis=2)), ("producer", t.sum(axis=1))):
            r, z = self.ratio(diag, den)
            out[name] = (r, self.se(z))
        return out

    def f1(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-class F1 = 2nᵢᵢ / (nᵢ₊ + n₊ᵢ) and SEs."""
        t = self.totals
        diag = np.diagonal(t, axis1=1, axis2=2)
        r, z = self.ratio(2 * diag, t.sum(axis=2) + t.sum(axis=1))
        return r, self.se(z)

    def kappa_z(self) -> tuple[float, np.ndarray]:
        """Cohen's kappa (pₒ − pₑ)/(1 − pₑ) and its linearised values: pₒ = Σnᵢᵢ/N,
        pₑ = Σ nᵢ₊n₊ᵢ/N²; zᵤ by the chain rule from pₒ's and pₑ's."""
        t = self.totals
        nu = t.sum(axis=(1, 2))
        rows, cols = t.sum(axis=2), t.sum(axis=1)
        nbar, rbar, cbar = nu.mean(), rows.mean(axis=0), cols.mean(axis=0)
        po, zpo = self.ratio(np.trace(t, axis1=1, axis2=2), nu)
        pe = float(rbar @ cbar) / nbar**2
        zpe = (rows @ cbar + cols @ rbar) / nbar**2 - 2 * pe * nu / nbar
        if pe >= 1:
            return float("nan"), np.zeros(self.n)
        kappa = (float(po) - pe) / (1 - pe)
        return kappa, zpo / (1 - pe) + zpe * (float(po) - 1) / (1 - pe) ** 2

    def adjusted_z(self, mapped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Error-adjusted areas (unit of ``mapped``, the mapped area per class) after
        Olofsson et al. (2014) eqs. 9–10, with the cluster ratio estimator of each
        n̂ᵢⱼ/n̂ᵢ₊, and their linearised values (cluster × class, same unit)."""
        total = float(mapped.sum())
        if total <= 0:
            return mapped.astype(float), np.zeros((self.n, self.k))
        w = mapped / total
        t = self.totals
        r, z = self.ratio(t, np.repeat(t.sum(axis=2)[:, :, None], self.k, axis=2))
        r = np.nan_to_num(r)
        return (w @ r) * total, np.einsum("i,uij->uj", w, z) * total

    def adjusted_areas(self, mapped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Error-adjusted areas and their SEs (see :meth:`adjusted_z`)."""
        area, z = self.adjusted_z(mapped)
        return area, self.se(z)

    def design_effect(self) -> float:
        """Design effect of overall accuracy (Kish 1965): its cluster variance over the
        variance it would have if the pixels were independent, p(1 − p)/N, at least 1.
        With no error observed it cannot be estimated and takes the mean polygon size in
        pixels, Kish's 1 + (m̄ − 1)·ρ at ρ = 1 (every pixel of a polygon alike)."""
        n_pix = float(self.counts.sum())
        p, se = self.accuracy()
        if not 0 < p < 1:
            return max(1.0, n_pix / self.n)
        return max(1.0, se**2 / (p * (1 - p) / n_pix))

    def interval(self, value: float, se: float, lo: float = 0.0, hi: float = 1.0) -> list[float]:
        """value ± t·SE, clipped to [lo, hi] (kappa's interval)."""
        h = self.t95 * se
        return [float(max(lo, value - h)), float(min(hi, value + h))]

    def proportion_interval(self, p: float, se: float, n: float, deff: float) -> list[float]:
        """95 % interval of a proportion ``p`` estimated from ``n`` pixels: the Jeffreys
        interval (Brown, Cai & DasGupta 2001) at Korn & Graubard's (1998) effective sample
        size n* = p(1 − p)/SE² (n/``deff`` when p is 0 or 1, so a class without an observed
        error still gets a width), at most n, times (z/t)² for the n − 1 degrees of
        freedom. Unlike p ± t·SE it stays in [0, 1] and is not 0 wide at p = 1."""
        from scipy.stats import beta, norm

        if not (np.isfinite(p) and n > 0):
            return [float("nan"), float("nan")]
        eff = p * (1 - p) / se**2 if 0 < p < 1 and se > 0 else n / deff
        eff = min(eff, n) * (norm.ppf((1 + LEVEL) / 2) / self.t95) ** 2
        a, b = p * eff + 0.5, (1 - p) * eff + 0.5
        q = (1 - LEVEL) / 2
        return [
            0.0 if p <= 0 else float(beta.ppf(q, a, b)),
            1.0 if p >= 1 else float(beta.ppf(1 - q, a, b)),
        ]

    def report(self, classes: list[str]) -> dict[str, Any]:
        """Accuracy, kappa, F1, user's and producer's accuracy with 95 % intervals (the
        proportions by :meth:`proportion_interval`, kappa by ± t·SE)."""
        t = self.totals
        deff = self.design_effect()
        acc, acc_se = self.accuracy()
        kappa, kz = self.kappa_z()
        f1, f1_se = self.f1()
        up = self.user_producer()
        rows, cols = t.sum(axis=(0, 2)), t.sum(axis=(0, 1))
        stats = {
            "f1": (f1, f1_se, rows + cols),
            "user": (*up["user"], rows),
            "producer": (*up["producer"], cols),
        }
        per = {
            c: {
                k: self.proportion_interval(float(v[i]), float(e[i]), float(n[i]), deff)
                for k, (v, e, n) in stats.items()
            }
            for i, c in enumerate(classes)
        }
        return {
            "units": "held-out polygons (clusters of pixels)",
            "clusters": self.n,
            "degrees_of_freedom": self.n - 1,
            "t95": self.t95,
            "design_effect": deff,
            "accuracy_se": acc_se,
            "accuracy_ci95": self.proportion_interval(acc, acc_se, float(t.sum()), deff),
            "kappa_se": float(self.se(kz)),
            "kappa_ci95": self.interval(kappa, float(self.se(kz)), -1.0, 1.0),
            "per_class_ci95": per,
            "method": "ratio estimators over the held-out polygons as clusters (Brus 2022 "
            "ch. 6; Stehman & Czaplewski 1998; Stehman 2009): SE² = s²(zᵤ)/n, zᵤ the "
            "polygon's linearised value. 95 %: proportions (accuracy, F1, user's, "
            "producer's) by the Jeffreys interval at Korn & Graubard's (1998) effective "
            "sample size with n − 1 degrees of freedom; kappa ± t(0.975, n − 1)·SE. "
            "Assumes the held-out polygons are a simple random sample of the map's polygons",
        }
