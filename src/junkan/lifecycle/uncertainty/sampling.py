"""Draws of the uncertain parameters: uniform quantiles → values through each marginal's
inverse CDF; parameters of one ``group`` (a shared source) are correlated through a Gaussian
copula (one common normal factor per group: correlation ρ on the normal scale)."""

from __future__ import annotations

import numpy as np
from scipy import special

from junkan.lifecycle.uncertainty.study import Study

MAX_RUNS = 1_000_000


def uniforms(study: Study, runs: int, seed: int | None) -> np.ndarray:
    """(runs, k) uniform quantiles, correlated within groups; reproducible from ``seed``.
    Each run's normals (its own per parameter, then the groups' common ones) are drawn as one
    row, so that the first runs of a study are the same whatever the number of runs (review
    250: the groups' common factors were drawn after every run's own, so ``--runs 251``
    changed the grouped draws of the first 249)."""
    if not 1 <= runs <= MAX_RUNS:
        raise ValueError(f"runs must be 1 … {MAX_RUNS:,}, got {runs:,}")
    rng = np.random.default_rng(seed)
    params = study.parameters
    groups = sorted({p.group for p in params if p.group})
    block = rng.standard_normal((runs, len(params) + len(groups)))
    z, common = block[:, : len(params)], block[:, len(params) :]
    for i, p in enumerate(params):
        if p.group:
            rho = study.section.groups[p.group].correlation
            g = groups.index(p.group)
            z[:, i] = np.sqrt(rho) * common[:, g] + np.sqrt(1.0 - rho) * z[:, i]
    return np.asarray(special.ndtr(z))


def values(study: Study, u: np.ndarray) -> np.ndarray:
    """Parameter values (runs, k) at uniform quantiles ``u``; fixed parameters keep their
    nominal value."""
    u = np.atleast_2d(np.asarray(u, dtype=float))
    theta = np.empty_like(u)
    nominal = study.nominal()
    for i, m in enumerate(study.marginals):
        theta[:, i] = nominal[i] if m.fixed else m.ppf(u[:, i])
    return theta


def draw(study: Study, runs: int, seed: int | None = 0) -> np.ndarray:
    """``runs`` draws of every parameter (runs, k)."""
    return values(study, uniforms(study, runs, seed))
