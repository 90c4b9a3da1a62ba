"""Training of a model's per-group counts: the cross-fitted adjusted count
(:mod:`junkan.vision.counting`), the group count model (:mod:`junkan.vision.group_counts`),
the fold pipelines the counts are made with (:mod:`junkan.vision.count_folds`) and the
uncertainty of the correction matrix (:func:`junkan.vision.group_counts.calibration_sd`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.vision import group_counts
from junkan.vision.boosting import fold_predictor
from junkan.vision.context import count_inputs_by_image
from junkan.vision.count_folds import FoldCounter
from junkan.vision.counting import cross_fit

if TYPE_CHECKING:
    from junkan.vision.cnn import Stages
    from junkan.vision.model import Rows, VisionModel


def fit_count_correction(
    model: VisionModel, rows: Rows, yi: np.ndarray, seed: int, trees: int, epochs: int,
    progress: Stages | None = None,
) -> None:
    """The model's per-group counts, cross-fitted on the instance-annotated images: the
    classifier of each fold is the model's kind (a CNN trained ``epochs`` passes per fold,
    so a CNN's training takes about three times as long as without the counts; ``progress``
    hears of its passes). A boosted model keeps its fold pipelines and counts with them
    (:mod:`junkan.vision.count_folds`)."""
    fit_proba = None
    if model.kind == "cnn":
        from junkan.vision.cnn import fold_proba

        fit_proba = fold_proba(rows, yi, len(model.classes), seed, epochs, progress)
    kept: list[tuple[Any, Any, float]] = []
    predict = fold_predictor(rows, yi, len(model.classes), model.to_groups, seed, trees,
                             fit_proba, keep=kept)
    images = np.unique(rows.ci)
    matrix, info, oof = cross_fit(rows.ci, rows.wc, rows.tg[images], predict, seed)
    model.count_correction, model.info["count_correction"] = matrix, info
    if oof is None or matrix is None:
        return
    k = count_inputs_by_image(rows.xc, rows.ci)
    z = group_counts.inputs(k, oof.p, oof.c)
    targets = rows.nc[:, None] * rows.wc  # a fragment (nc 0) holds none
    regs: list[Any] = []
    onx, a, g_info = group_counts.fit(
        z, targets, oof.fold, rows.wc, rows.tg[images].sum(axis=0), seed, keep=regs
    )
    model.group_count_onnx, model.count_correction = onx, a
    info["segment_matrix"] = info.pop("matrix")
    image = np.searchsorted(images, rows.ci)
    sd = group_counts.calibration_sd(regs[-1], targets, rows.wc, image, rows.tg[images], seed)
    info.update(g_info, matrix=np.round(a, 6).tolist(), method=info["method"]
                + "; of the group count model's sums (junkan.vision.group_counts)",
                calibration_sd=sd)
    if model.kind == "boosted" and all(c is not None for c, _, _ in kept):
        model.count_folds = _export(kept, regs[:-1], k[:1], z[:1], len(model.classes))
        info["counted_with"] = f"the {len(kept)} fold pipelines (junkan.vision.count_folds)"
    else:
        info["counted_with"] = "the final models"


def _export(kept: list[tuple[Any, Any, float]], regs: list[Any], x1: np.ndarray,
            z1: np.ndarray, n_classes: int) -> list[FoldCounter]:
    """The folds' classifiers, count models and group count models as ONNX."""
    from skl2onnx import to_onnx

    from junkan.vision.hist_onnx import hist_to_onnx

    opsets = {"": 17, "ai.onnx.ml": 3}
    out = []
    for (clf, reg, factor), greg in zip(kept, regs, strict=True):
        cols = [int(c) for c in clf.classes_]
        assert max(cols) < n_classes
        out.append(FoldCounter(
            hist_to_onnx(clf, opset=17, ml_opset=3).SerializeToString(), cols,
            to_onnx(reg, x1.astype(np.float32), target_opset=opsets).SerializeToString(),
            float(factor),
            to_onnx(greg, z1.astype(np.float32), target_opset=opsets).SerializeToString(),
        ))
    return out
