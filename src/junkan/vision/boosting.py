"""The vision package's gradient-boosted models: the piece classifier (scikit-learn's
``HistGradientBoostingClassifier``, written as ONNX by :mod:`junkan.vision.hist_onnx`) and the
count model (``GradientBoostingRegressor``, converted by skl2onnx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from junkan.vision.model import Rows


def fit_counts(rows: Rows, seed: int) -> tuple[bytes | None, float, dict[str, Any]]:
    """The count model: a gradient-boosted regression of the pieces in a segment (touching
    pieces merged into one segment count more than one, fragments of a split piece zero) on
    its features, exported to ONNX, and the factor for the pieces the camera cannot see at
    all (hidden under others or as dark as the belt): annotated pieces / pieces seen, on
    the training images. None and 1 without instance annotations."""
    from skl2onnx import to_onnx

    if len(rows.nc) < 20:
        return None, 1.0, {"segments": int(len(rows.nc))}
    reg = _counter(seed)
    reg.fit(rows.xc, rows.nc)
    onx = to_onnx(
        reg, rows.xc[:1].astype(np.float32), target_opset={"": 17, "ai.onnx.ml": 3}
    ).SerializeToString()
    seen = float(rows.nc.sum())
    scale = (seen + rows.unseen) / max(seen, 1.0)
    info = {
        "segments": int(len(rows.nc)),
        "pieces_seen": int(seen),
        "pieces_unseen": rows.unseen,
        "unseen_factor": scale,
        "segments_per_piece": float(len(rows.nc) / max(seen + rows.unseen, 1)),
    }
    return onx, scale, info


BOOSTED: dict[str, Any] = {
    "estimator": "HistGradientBoostingClassifier",
    "max_leaf_nodes": 31,
    "learning_rate": 0.1,
    "class_weight": "balanced",
}
"""Settings of the boosted classifier besides its iterations (``trees``), chosen by 4-fold
cross-validated group accuracy on the benchmark's 120 training renders
(``benchmarks/vision_cv.py``, 2026-12-01, 250 iterations: 94.27 % balanced against 94.13 %
unweighted with 31 leaves, 93.86 / 94.01 % with 15; see docs/vision.md). With the six texture
amplitudes of :mod:`junkan.vision.features` (2026-12-02) the same setting gives 94.75 %
(``benchmarks/results/vision_cv_amplitudes.json``, still the best of the four settings; 94.25 %
without them on the same rows)."""


def fit_boosted(
    xt: np.ndarray, yt: np.ndarray, xc: np.ndarray, seed: int, trees: int
) -> tuple[bytes, np.ndarray]:
    """Histogram gradient boosting on the features (``trees`` iterations, one tree per class
    in each), as ONNX, and its probabilities on ``xc``."""
    from junkan.vision.hist_onnx import hist_to_onnx

    clf = _classifier(seed, trees)
    clf.fit(xt, yt)
    onx = hist_to_onnx(clf, opset=17, ml_opset=3).SerializeToString()
    return onx, clf.predict_proba(xc)


def _classifier(seed: int, trees: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=trees,
        max_leaf_nodes=BOOSTED["max_leaf_nodes"],
        learning_rate=BOOSTED["learning_rate"],
        class_weight=BOOSTED["class_weight"],
        early_stopping=False,
        random_state=seed,
    )


def _counter(seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(
        n_estimators=80, max_depth=3, learning_rate=0.1, subsample=0.7, random_state=seed
    )


def fold_predictor(
    rows: Rows, yi: np.ndarray, n_classes: int, to_groups: Callable[[np.ndarray], np.ndarray],
    seed: int, trees: int,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """For :func:`junkan.vision.counting.cross_fit`: the classifier and the count model (with
    its unseen factor) fitted on the train images' rows, applied to the held-out images'
    annotated segments; ``to_groups`` turns class probabilities into group probabilities."""

    def predict(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lab, seg_t, seg_h = np.isin(rows.xi, train), np.isin(rows.ci, train), np.isin(rows.ci, held)
        clf = _classifier(seed, trees).fit(rows.x[lab], yi[lab])
        p = np.zeros((int(seg_h.sum()), n_classes))
        p[:, clf.classes_] = clf.predict_proba(rows.xc[seg_h])
        reg = _counter(seed).fit(rows.xc[seg_t], rows.nc[seg_t])
        seen = float(rows.nc[seg_t].sum())
        unseen = float(rows.ug[train].sum())
        c = np.clip(reg.predict(rows.xc[seg_h]), 0.0, 20.0) * (seen + unseen) / max(seen, 1.0)
        return to_groups(p), c

    return predict
