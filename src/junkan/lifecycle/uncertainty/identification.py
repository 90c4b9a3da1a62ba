"""Which calibrated parameters the observations identify, and their linearised 95 % ranges,
from the weighted Jacobian at the fit (:mod:`~junkan.lifecycle.uncertainty.calibration`)."""

from __future__ import annotations

import numpy as np

__all__ = ["NULL_TOL", "RANK_RTOL", "ranges"]

RANK_RTOL = 1e-5
"""Singular values of the weighted Jacobian (in the unit cube of the ranges) at or below
this fraction of the largest count as zero: its forward differences (a step of 1e-6 of each
range) are good to about 1e-6 of a figure's change across a range, so values within ten
times that carry no information."""
NULL_TOL = 1e-6
"""A parameter whose unit vector has a component above this in the Jacobian's null space
is not identified by the observations (:func:`ranges`)."""


def ranges(jac: np.ndarray, theta: np.ndarray, lo: np.ndarray,
           hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Linearised 95 % ranges (k, 2) of fitted values ``theta`` from the weighted Jacobian
    ``jac`` (observations × k) in the unit cube of the ranges ``lo`` … ``hi``; which
    parameters the observations identify; and the rank of ``jac``.

    The rank counts the singular values above :data:`RANK_RTOL` × the largest, of ``jac``
    with each column scaled to unit length: how much a figure moves per parameter says
    nothing about whether the parameters can be told apart (a parameter fitted to a figure
    known to ±0.05 t beside one fitted to a cost known to ±0.2 yen was counted as lost).
    A parameter whose unit vector has a component above :data:`NULL_TOL` in the null space
    can move (with others) without changing any fitted figure: it is not identified, and
    its range is its bounds. The others get 1.96 × the square root of their variance in
    (JᵀJ)⁺ restricted to the identified directions (scaled back to the unit cube)."""
    k = jac.shape[1]
    norms = np.linalg.norm(jac, axis=0)
    scale = np.where(norms > 0, norms, 1.0)  # a column of zeros stays one: not identified
    _, s, vt = np.linalg.svd(jac / scale, full_matrices=True)
    rank = int(np.sum(s > RANK_RTOL * s[0])) if s.size and s[0] > 0 else 0
    null = vt[rank:]  # (k - rank) × k: the directions no fitted figure sees
    identified = np.linalg.norm(null, axis=0) <= NULL_TOL if len(null) else np.ones(k, bool)
    cov = ((vt[:rank].T / s[:rank] ** 2) @ vt[:rank]) / np.outer(scale, scale)  # unit cube
    half = 1.96 * np.sqrt(np.clip(np.diag(cov), 0.0, None)) * (hi - lo)
    ci = np.column_stack([np.maximum(theta - half, lo), np.minimum(theta + half, hi)])
    ci[~identified] = np.column_stack([lo, hi])[~identified]
    return ci, identified, rank
