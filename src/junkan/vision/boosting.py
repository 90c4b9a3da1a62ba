"""The vision package's gradient-boosted models: the piece classifier (scikit-learn's
``HistGradientBoostingClassifier``, written as ONNX by :mod:`junkan.vision.hist_onnx`) and the
count model (``GradientBoostingRegressor``, converted by skl2onnx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.vision.context import count_inputs_by_image

if TYPE_CHECKING:
    from junkan.vision.model import Rows


def fit_counts(rows: Rows, seed: int) -> tuple[bytes | None, float, dict[str, Any]]:
    """The count model: a gradient-boosted regression of the pieces in a segment (touching
    pieces merged into one segment count more than one, fragments of a split piece zero) on
    its features and its image's context (:func:`junkan.vision.context.count_inputs`; since
    2026-12-02, before on its features alone), exported to ONNX, and the factor for the
    pieces the camera cannot see at all (hidden under others or as dark as the belt):
    annotated pieces / pieces seen, on the training images. None and 1 without instance
    annotations."""
    from skl2onnx import to_onnx

    if len(rows.nc) < 20:
        return None, 1.0, {"segments": int(len(rows.nc))}
    k = count_inputs_by_image(rows.xc, rows.ci)
    reg = _counter(seed)
    reg.fit(k, rows.nc)
    onx = to_onnx(reg, k[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString()
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


CALIBRATION_FOLDS = 3
"""Image folds of the out-of-fold probabilities the temperature is fitted on."""


def fit_boosted(
    x: np.ndarray, y: np.ndarray, image: np.ndarray, seed: int, trees: int
) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Histogram gradient boosting on the features of *all* the labelled rows (``trees``
    iterations, one tree per class in each), as ONNX; its probabilities on ``x`` (to check the
    graph against); and out-of-fold probabilities of every row, from
    :data:`CALIBRATION_FOLDS` models each fitted without one fold of the images (``image``:
    each row's image; rows are folded one by one when there are fewer images than folds), for
    the temperature. Until 2026-12-02 the classifier was fitted on 80 % of the rows and the
    temperature on the other 20 %: in 4-fold cross-validation by image on the benchmark's
    training renders, 80 % of the training images gave 94.39 % group accuracy against
    94.75 % with all of them (``docs/vision.md``)."""
    from sklearn.model_selection import GroupKFold

    from junkan.vision.hist_onnx import hist_to_onnx

    clf = _fit(_classifier(seed, trees), x, y)
    onx = hist_to_onnx(clf, opset=17, ml_opset=3).SerializeToString()
    groups = image if len(np.unique(image)) >= CALIBRATION_FOLDS else np.arange(len(y))
    oof = np.zeros((len(y), int(y.max()) + 1))
    for tr, te in GroupKFold(CALIBRATION_FOLDS).split(x, y, groups):
        part = _fit(_classifier(seed, trees), x[tr], y[tr])
        oof[np.ix_(te, part.classes_)] = part.predict_proba(x[te])
    return onx, clf.predict_proba(x), oof


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


def _fit(clf: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """``clf`` fitted on one OpenMP thread (the same trees as on several). scikit-learn 1.9
    bins each feature as a joblib task on a thread pool whose results it polls every 10 ms;
    with the boosting's few features that polling took more than the work. Training the test
    suite's small model (16 renders, 30 trees) took 20.2-21.2 s with the default two threads
    and 15.0 s with its fits on one; 96 renders 61.6 s and 49.0 s (2-core machine,
    2026-12-05, the same probabilities to the bit)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="openmp"):
        return clf.fit(x, y)


def _counter(seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(
        n_estimators=80, max_depth=3, learning_rate=0.1, subsample=0.7, random_state=seed
    )


FoldProba = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(labelled rows to fit on, annotated segments to predict) -> (segments, classes)``
uncalibrated class probabilities: a classifier fitted on one fold's training images."""


def fold_predictor(
    rows: Rows, yi: np.ndarray, n_classes: int, to_groups: Callable[[np.ndarray], np.ndarray],
    seed: int, trees: int, fit_proba: FoldProba | None = None,
    keep: list[tuple[Any, Any, float]] | None = None,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """For :func:`junkan.vision.counting.cross_fit`: the classifier (``fit_proba``, the
    boosted one by default) and the count model (with its unseen factor) fitted on the train
    images' rows, applied to the held-out images' annotated segments; ``to_groups`` turns
    class probabilities into group probabilities. ``keep``, when given, receives each fold's
    (boosted classifier or None, count model, unseen factor) in the order of the calls, for
    :mod:`junkan.vision.count_folds`."""
    fitted: list[Any] = []
    k = count_inputs_by_image(rows.xc, rows.ci)

    def boosted(lab: np.ndarray, seg_h: np.ndarray) -> np.ndarray:
        clf = _fit(_classifier(seed, trees), rows.x[lab], yi[lab])
        fitted.append(clf)
        p = np.zeros((int(seg_h.sum()), n_classes))
        p[:, clf.classes_] = clf.predict_proba(rows.xc[seg_h])
        return p

    proba = fit_proba or boosted

    def predict(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lab, seg_t, seg_h = np.isin(rows.xi, train), np.isin(rows.ci, train), np.isin(rows.ci, held)
        p = proba(lab, seg_h)
        reg = _counter(seed).fit(k[seg_t], rows.nc[seg_t])
        seen = float(rows.nc[seg_t].sum())
        unseen = float(rows.ug[train].sum())
        factor = (seen + unseen) / max(seen, 1.0)
        c = np.clip(reg.predict(k[seg_h]), 0.0, 20.0) * factor
        if keep is not None:
            keep.append((fitted[-1] if fit_proba is None else None, reg, factor))
        return to_groups(p), c

    return predict
