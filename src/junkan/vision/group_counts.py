"""The group count model: how many annotated pieces of each sorter group a segment holds.

The adjusted count of :mod:`junkan.vision.counting` on its own treats a segment's pieces as
all of the group that wins the segment, and corrects the sums by one matrix. A segment that
merges touching pieces of two groups — a copper wire lying on an aluminium sheet is the
common case: on the benchmark's training renders 11 % of the copper pieces are in segments
with more than one piece, 3 % with only copper — loses the smaller piece's group, and how
often that happens depends on the pieces around it, which the matrix cannot see. Here a
regression per group (scikit-learn's ``GradientBoostingRegressor``, one per group in a
``MultiOutputRegressor``, exported to ONNX by skl2onnx) estimates each segment's pieces of
each group, ``n_g(s)``, from

    z(s) = (features(s), context(s) (3), P(group | s) (4), c(s))

— the segment's features, which carry its colour mix (a copper share in a grey segment),
size and shape, its image's context (how large the image's pieces are,
:mod:`junkan.vision.context`; since 2026-12-02), the classifier's calibrated group
probabilities and the count model's pieces. Trained on instance-annotated images (the
targets: the annotated pieces whose seen pixels lie mostly in the segment, by group), with
P and c *cross-fitted* (predicted for each image by models fitted on the other folds of
images, as at run time on unseen images).

The adjusted count (Forman 2008) then runs on its sums instead of on ``c · P``, with ``n̂``
cross-fitted over the same image folds, so that the counts stay corrected for a class mix
other than the training images': ``A[p, t] = Σ_s M_s[p, t] / T_t``, where a segment's
estimated pieces of group p are coupled to its annotated pieces of group t
(:func:`coupling`) — first each group with itself, ``min(n̂_p, n_p)``, then what is left
of n̂ over what is left of n (over the segment's group shares for a fragment, which holds no
piece; over all the annotated pieces' group shares for a segment that shows none). Rows of M
sum to n̂, so ``E = A T`` on the training images. The regression's
outputs are soft (a segment of one piece gets 0.85 of its group and 0.15 of another), so
``A``'s diagonal is not 1 (0.83–0.96 on the benchmark's 120 training renders, about the
same as the segment-level matrix's). The regression itself was chosen by
3-fold cross-validation by image on the benchmark's training renders only (seeds
10,000–10,179; ``docs/vision.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.vision.counting import MIN_PIECES, spread_false
from junkan.vision.materials import GROUPS

MAX_PIECES = 20.0
"""Largest pieces of one group a segment is taken to hold (the regression's output clipped)."""


def inputs(k: np.ndarray, p_group: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """(segments, features + context + groups + 1) float32 inputs of the group count model:
    the segments' count inputs ``k`` (features and image context,
    :func:`junkan.vision.context.count_inputs`), group probabilities and pieces."""
    return np.hstack([k, p_group, pieces[:, None]]).astype(np.float32)


def _regressor(seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.multioutput import MultiOutputRegressor

    return MultiOutputRegressor(
        GradientBoostingRegressor(
            n_estimators=80, max_depth=3, learning_rate=0.1, subsample=0.7, random_state=seed
        )
    )


def _predict(reg: Any, z: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(reg.predict(z), float).reshape(len(z), -1), 0.0, MAX_PIECES)


def coupling(
    n_hat: np.ndarray, n_true: np.ndarray, shares: np.ndarray, totals: np.ndarray
) -> np.ndarray:
    """``A`` (groups × groups) from segments' estimated pieces per group ``n_hat``, their
    annotated pieces per group ``n_true``, group shares (for fragments; for a segment that
    shows no annotated piece, those of all the pieces: :func:`junkan.vision.counting.spread_false`)
    and the annotated pieces per group (see the module docstring); a column with fewer than
    :data:`junkan.vision.counting.MIN_PIECES` pieces is the identity's."""
    shares = spread_false(shares, totals)
    same = np.minimum(n_hat, n_true)
    excess, left = n_hat - same, n_true - same
    total = left.sum(axis=1, keepdims=True)
    spread = np.where(total > 0, left / np.where(total > 0, total, 1.0), shares)
    m = np.diag(same.sum(axis=0)) + excess.T @ spread
    out = np.eye(len(totals))
    ok = totals >= MIN_PIECES
    out[:, ok] = m[:, ok] / totals[ok]
    return out


def fit(
    z: np.ndarray,
    targets: np.ndarray,
    fold: np.ndarray,
    shares: np.ndarray,
    totals: np.ndarray,
    seed: int,
    keep: list[Any] | None = None,
) -> tuple[bytes, np.ndarray, dict[str, Any]]:
    """The group count model as ONNX, the adjusted-count matrix of its outputs and a report.

    ``z`` (segments, inputs) are the annotated segments' inputs with cross-fitted P and c,
    ``targets`` (segments, groups) their annotated pieces by group, ``fold`` (segments,) the
    image fold each segment was cross-fitted in, ``shares`` their annotated group shares and
    ``totals`` (groups,) all annotated pieces per group (seen or not); ``keep``, when given,
    receives each fold's regression (folds in increasing order) and, as its last item, the
    out-of-fold outputs (segments, groups)."""
    from skl2onnx import to_onnx

    n_hat = np.zeros_like(targets, dtype=float)
    for k in np.unique(fold):
        held = fold == k
        reg = _regressor(seed).fit(z[~held], targets[~held])
        n_hat[held] = _predict(reg, z[held])
        if keep is not None:
            keep.append(reg)
    if keep is not None:
        keep.append(n_hat)
    matrix = coupling(n_hat, targets, shares, totals)
    final = _regressor(seed).fit(z, targets)
    onx = to_onnx(final, z[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString()
    seen = n_hat.sum(axis=0)
    return onx, matrix, {
        "inputs": "features, group probabilities, pieces (count model)",
        "model_count_bias": {
            g: float(seen[i] / totals[i] - 1) if totals[i] else None for i, g in enumerate(GROUPS)
        },
    }


CALIBRATION_DRAWS = 200
"""Bootstrap draws of :func:`calibration_sd`."""


def calibration_sd(
    n_hat: np.ndarray,
    targets: np.ndarray,
    shares: np.ndarray,
    image: np.ndarray,
    image_totals: np.ndarray,
    seed: int,
) -> dict[str, float | None]:
    """Per group, the relative sd of the adjusted count ``A⁻¹ E`` that comes from ``A`` being
    measured on a finite set of images: ``A`` recomputed (:func:`coupling`) on the training
    images drawn with replacement (:data:`CALIBRATION_DRAWS` times; the out-of-fold outputs
    ``n_hat`` kept), applied to the counts ``E = A T`` of the training images' mix ``T``.
    It is an error every interval counted with this model shares (a bias of the model, not of
    the method): on the benchmark's 120 training renders about 2 % for "other"
    (``docs/vision.md``). ``image`` (segments,) indexes the rows of ``image_totals``
    (images, groups): the annotated pieces per image."""
    rng = np.random.default_rng(seed)
    totals = image_totals.sum(axis=0)
    a = coupling(n_hat, targets, shares, totals)
    e = a @ totals
    rows_of = [np.flatnonzero(image == i) for i in range(len(image_totals))]
    draws = []
    for _ in range(CALIBRATION_DRAWS):
        pick = rng.integers(0, len(image_totals), len(image_totals))
        rows = np.concatenate([rows_of[i] for i in pick])
        a_b = coupling(n_hat[rows], targets[rows], shares[rows], image_totals[pick].sum(axis=0))
        if np.linalg.cond(a_b) < 1e6:
            draws.append(np.linalg.solve(a_b, e))
    sd = np.std(draws, axis=0) if len(draws) > 1 else np.full(len(GROUPS), np.nan)
    return {
        g: float(sd[i] / totals[i]) if totals[i] >= MIN_PIECES and np.isfinite(sd[i]) else None
        for i, g in enumerate(GROUPS)
    }
