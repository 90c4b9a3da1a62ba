"""Per-group piece counts corrected for what a camera count gets wrong by group.

The pipeline's count of a sorter group is the pieces in each segment (the count model) summed
over the segments classified into that group. That sum is biased per group even when the total
is right: touching pieces merged into one segment are counted in the group that wins the
segment, elongated extrusion fragments split into more segments than cast lumps, dark pieces
(rubber, plastics) go unseen more often, and misclassification moves pieces between groups.

The correction is an *adjusted count* (Forman, "Quantifying counts and costs via
classification", Data Mining and Knowledge Discovery 17, 2008, the ACC method), with the
count model's pieces in place of 0/1 hits: on instance-annotated training images, with
classifier and count model fitted on the *other* images (``FOLDS``-fold cross-fitting by image),

    A[p, t] = Σ_s P(p | s) · c(s) · w_t(s) / T_t

where ``c(s)`` is segment s's estimated pieces, ``P(p | s)`` its probability of group p,
``w_t(s)`` the share of its annotated pieces of group t (of the piece covering most of it when
it holds none: a fragment), and ``T_t`` all annotated pieces of group t, seen or not. Then the
expected group counts are ``E = A T`` and an interval's counts are estimated as
``T = A⁻¹ E``. Calibrated, with this method, on the training data: it assumes the line's
rendering of each group (shapes, dirt, touching) is like the training images'; the class mix
may differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.vision.materials import GROUPS, group_of
from junkan.vision.truth import overlap

FOLDS = 3
"""Image folds for the cross-fitted correction (each fold's models see 2/3 of the images)."""

MIN_PIECES = 30
"""Fewest annotated pieces of a group for its column of the correction to be fitted; a group
with fewer keeps its raw count (its column of the identity)."""


def group_shares(
    truth: np.ndarray, seg: Any, materials: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For one instance-annotated image: (segments, groups) shares ``w`` of each segment's
    annotated pieces by group, and (groups,) the annotated pieces by group (seen or not).

    ``materials`` are the annotated pieces' materials, in the truth mask's label order."""
    joint = overlap(truth, seg)
    n_g = len(GROUPS)
    piece_group = np.array([GROUPS.index(group_of(m)) for m in materials], int)
    totals = np.bincount(piece_group, minlength=n_g).astype(float)
    w = np.zeros((seg.count, n_g))
    if seg.count == 0 or len(materials) == 0:
        return w, totals
    inner = np.zeros((len(materials), seg.count), joint.dtype)  # pieces hidden entirely: 0
    rows = min(len(materials), joint.shape[0] - 1)
    inner[:rows] = joint[1 : rows + 1, 1:]
    seen = inner.sum(axis=1) > 0
    owner = inner.argmax(axis=1)
    for j in np.flatnonzero(seen):
        w[owner[j], piece_group[j]] += 1
    empty = w.sum(axis=1) == 0
    cover = inner.argmax(axis=0)  # the piece covering most of each segment
    has_cover = inner.sum(axis=0) > 0
    w[empty & has_cover, piece_group[cover[empty & has_cover]]] = 1
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0), totals


def spread_false(shares: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """``shares`` with the rows of segments that show no annotated piece at all (belt marks,
    shadows, stains taken for pieces) replaced by the annotated pieces' group shares
    ``totals / Σ totals``: what such segments count is charged to every annotated piece
    alike, so that ``E = A T`` holds on the training images and the false segments a line
    shows are taken out of its counts. (Until 2026-12-02 they were left out of ``A`` but
    counted on the line: +0.2 % for "other" on the benchmark's held-out renders, where 120 of
    45,078 segments showed no piece, ``docs/vision.md``.)"""
    empty = shares.sum(axis=1) <= 0
    if not empty.any() or totals.sum() <= 0:
        return shares
    out = shares.copy()
    out[empty] = totals / totals.sum()
    return out


def correction_matrix(
    p_group: np.ndarray, pieces: np.ndarray, shares: np.ndarray, totals: np.ndarray
) -> np.ndarray:
    """``A`` (groups × groups) from segments' group probabilities (segments × groups), their
    pieces (segments,), their annotated shares (segments × groups; :func:`spread_false`) and
    the annotated pieces per group (groups,); a column with fewer than :data:`MIN_PIECES`
    pieces is the identity's."""
    a = (p_group * pieces[:, None]).T @ spread_false(shares, totals)
    n_g = len(totals)
    out = np.eye(n_g)
    ok = totals >= MIN_PIECES
    out[:, ok] = a[:, ok] / totals[ok]
    return out


def correct(counts: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """Counts (…, groups) as seen → estimated annotated counts ``A⁻¹ E`` (≥ 0)."""
    if matrix is None:
        return counts
    return np.maximum(counts @ np.linalg.inv(matrix).T, 0.0)


@dataclass
class OutOfFold:
    """Cross-fitted predictions for the annotated segments: group probabilities
    (segments × groups), pieces (segments,) and the fold (segments,) each was held out in."""

    p: np.ndarray
    c: np.ndarray
    fold: np.ndarray


Predict = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``(train images, held-out images) -> (group probabilities, pieces)`` of the held-out
images' segments (rows of ``xc`` in order), with models fitted on the train images only."""


def cross_fit(
    image_of_segment: np.ndarray,
    shares: np.ndarray,
    totals: np.ndarray,
    predict: Predict,
    seed: int,
) -> tuple[np.ndarray | None, dict[str, Any], OutOfFold | None]:
    """The correction matrix from ``FOLDS``-fold cross-fitting by image, its report, and the
    out-of-fold predictions (for :mod:`junkan.vision.group_counts`).

    ``image_of_segment`` (segments,) is each annotated segment's image, ``shares`` their
    annotated group shares, ``totals`` (images × groups) the annotated pieces per image."""
    images = np.unique(image_of_segment)
    if len(images) < 2 * FOLDS:
        why = {"fitted": False, "reason": f"fewer than {2 * FOLDS} annotated images"}
        return None, why, None
    order = np.random.default_rng(seed).permutation(images)
    p_all = np.zeros((len(image_of_segment), len(GROUPS)))
    c_all = np.zeros(len(image_of_segment))
    fold = np.zeros(len(image_of_segment), int)
    for k in range(FOLDS):
        held = order[k::FOLDS]
        train = np.setdiff1d(images, held)
        rows = np.isin(image_of_segment, held)
        p_all[rows], c_all[rows] = predict(train, held)
        fold[rows] = k
    t = totals.sum(axis=0)
    matrix = correction_matrix(p_all, c_all, shares, t)
    seen = p_all.T @ c_all
    return matrix, {
        "fitted": True,
        "method": "adjusted count (Forman 2008), cross-fitted over image folds",
        "folds": FOLDS,
        "images": int(len(images)),
        "annotated_pieces": {g: int(v) for g, v in zip(GROUPS, t, strict=True)},
        "raw_count_bias": {
            g: float(seen[i] / t[i] - 1) if t[i] else None for i, g in enumerate(GROUPS)
        },
        "matrix": np.round(matrix, 6).tolist(),
    }, OutOfFold(p_all, c_all, fold)


def read_matrix(value: Any) -> np.ndarray | None:
    """A model document's ``count_correction``: None, or a finite, invertible groups × groups
    matrix of non-negative numbers (ValueError naming what is wrong)."""
    if value is None:
        return None
    m = np.asarray(value, dtype=float)
    n_g = len(GROUPS)
    if m.shape != (n_g, n_g):
        raise ValueError(f"count_correction must be {n_g} × {n_g} (got shape {m.shape})")
    if not np.isfinite(m).all() or (m < 0).any():
        raise ValueError("count_correction holds a negative or non-finite number")
    if np.linalg.cond(m) > 1e6:
        raise ValueError("count_correction cannot be inverted")
    return m
