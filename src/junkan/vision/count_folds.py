"""Per-group counts from the cross-fitted fold models, so that the counts the adjusted count
corrects are made as the ones its matrix was measured on.

The adjusted count of :mod:`junkan.vision.counting` and :mod:`junkan.vision.group_counts` is
unbiased only when the counts it corrects come from a counter that confuses and misses pieces
at the rates its matrix ``A`` holds. ``A`` is measured out of fold: for each of the
``FOLDS`` image folds, the classifier, the count model and the group count model fitted
without that fold predict its segments. Until 2026-12-02 the counts on a line were made by the
*final* models instead, fitted on all the training images: better models, which confuse fewer
pieces than ``A`` says, so the correction took too many pieces away from a group that receives
many confused pieces. On the benchmark's 910 held-out renders (seeds 90,000 … 700,000, 11,221
"other" pieces) the final models counted cast pieces as "other" at 0.0429 per cast piece
where ``A`` says 0.0509 (and wrought as wrought at 0.907 where ``A`` says 0.893): the corrected
"other" count came out 1.84 % low, cast 1.22 % low; the fold pipelines, on the same frames,
1.22 and 0.56 % low (``benchmarks/vision_count_bias.py``). The next cause was the shred size
the count models did not see (:mod:`junkan.vision.context`): with it, −0.14 and −0.54 %;
what is left is within the correction's calibration sd
(:func:`junkan.vision.group_counts.calibration_sd`; ``docs/vision.md``).

Here the counts are the mean of the ``FOLDS`` fold pipelines' group counts (each: its
classifier's temperature-scaled group probabilities and its count model's pieces into its
group count model), which on unseen images have the expected rates ``A`` was measured with:
``E[mean_k E_k] = mean_k A_k T ≈ A T``. The final classifier still gives each piece's class
and probabilities (and its mass); only the per-group counts come from the folds. A CNN model
keeps the final models' counts (its fold CNNs are not kept)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.vision import group_counts
from junkan.vision.context import count_inputs

ToGroups = Callable[[np.ndarray], np.ndarray]
"""(pieces, classes) uncalibrated class probabilities → (pieces, groups) calibrated group
probabilities (the model's temperature and class → group matrix)."""


def _session(onnx: bytes) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(onnx, so, providers=["CPUExecutionProvider"])


def _run(sess: Any, x: np.ndarray, output: int = 0) -> np.ndarray:
    return np.asarray(sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})[output],
                      float)


@dataclass
class FoldCounter:
    """One fold's counting pipeline, fitted without one image fold: classifier (ONNX, whose
    probability columns are the model's classes ``columns``), count model (ONNX, pieces per
    segment, times ``count_scale`` for the pieces not seen) and group count model (ONNX)."""

    classifier: bytes
    columns: list[int]
    count: bytes
    count_scale: float
    group_count: bytes
    _sessions: list[Any] = field(default_factory=list, repr=False)

    def sessions(self) -> list[Any]:
        if not self._sessions:
            self._sessions[:] = [_session(b) for b in (self.classifier, self.count,
                                                       self.group_count)]
        return self._sessions

    def pieces(self, x: np.ndarray, n_classes: int, to_groups: ToGroups) -> np.ndarray:
        """(segments, groups) this fold's pieces of each group in each segment of one image
        (features ``x``; the count models also see the image's context)."""
        clf, cnt, grp = self.sessions()
        p = np.zeros((len(x), n_classes))
        p[:, self.columns] = _run(clf, x, 1)
        k = count_inputs(x)
        c = np.clip(_run(cnt, k).ravel(), 0.0, 20.0) * self.count_scale
        z = group_counts.inputs(k, to_groups(p), c)
        return np.clip(_run(grp, z).reshape(len(x), -1), 0.0, group_counts.MAX_PIECES)


def fold_pieces(
    folds: list[FoldCounter], x: np.ndarray, n_classes: int, to_groups: ToGroups
) -> np.ndarray:
    """(segments, groups) the mean over the folds of their pieces of each group."""
    return np.mean([f.pieces(x, n_classes, to_groups) for f in folds], axis=0)


def document(folds: list[FoldCounter]) -> list[dict[str, Any]] | None:
    """The folds as the model document stores them (None for none)."""
    if not folds:
        return None
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return [
        {"classifier": b64(f.classifier), "columns": f.columns, "count": b64(f.count),
         "count_scale": f.count_scale, "group_count": b64(f.group_count)}
        for f in folds
    ]


def read(value: Any) -> list[FoldCounter]:
    """A model document's ``count_folds`` (ValueError naming the fold and field; the columns
    are checked against the classes by :func:`check`)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("count_folds must be a list of folds (objects)")
    out = []
    for k, v in enumerate(value):
        where = f"count_folds[{k}]"
        try:
            cols = [int(c) for c in v["columns"]]
            scale = float(v["count_scale"])
            onx = [base64.b64decode(v[n], validate=True)
                   for n in ("classifier", "count", "group_count")]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: missing or malformed field ({exc})") from None
        if not 1.0 <= scale <= 10.0:  # also refuses NaN
            raise ValueError(f"{where}: count_scale {scale} is outside 1 … 10")
        out.append(FoldCounter(onx[0], cols, onx[1], scale, onx[2]))
    return out


def check(folds: list[FoldCounter], n_features: int, n_classes: int, n_groups: int,
          to_groups: ToGroups) -> None:
    """ValueError naming the fold unless each gives one count per group for a blank segment."""
    for k, f in enumerate(folds):
        cols = f.columns
        if not cols or len(set(cols)) != len(cols) or min(cols) < 0 or max(cols) >= n_classes:
            raise ValueError(f"count_folds[{k}]: columns must be distinct class indices below "
                             f"{n_classes}")
        try:
            out = f.pieces(np.zeros((1, n_features), np.float32), n_classes, to_groups)
        except Exception as exc:
            raise ValueError(f"count_folds[{k}] is not a fold counting pipeline for "
                             f"{n_features} features ({str(exc)[:160]})") from None
        if out.shape != (1, n_groups):
            raise ValueError(f"count_folds[{k}] must give {n_groups} counts per segment")
