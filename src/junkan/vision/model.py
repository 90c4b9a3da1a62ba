"""Train the piece classifier: features of the segmented pieces (matched to the annotated
pieces), scikit-learn's histogram gradient boosting (``HistGradientBoostingClassifier``),
fitted on every labelled piece, temperature-scaled probabilities (the temperature fitted on
out-of-fold probabilities, :func:`junkan.vision.boosting.fit_boosted`; a CNN's on a 20 %
split), exported to ONNX
(:mod:`junkan.vision.hist_onnx`; skl2onnx 1.20 cannot convert this model with onnx 1.23)
and run with onnxruntime on one thread. The model document holds the ONNX graph, the
classes, the segmentation settings, the mass priors and calibration, and its version: a
hash of the training data and the settings.

The boosted classifier's settings (:data:`BOOSTED`) were chosen by cross-validation on the
benchmark's training renders only (``benchmarks/vision_cv.py``; seeds 10,000 …, never the
held-out seeds), trying balanced class weights and none. The count model is still
scikit-learn's ``GradientBoostingRegressor``, converted by skl2onnx."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from junkan.vision import count_folds, group_counts
from junkan.vision.boosting import BOOSTED, fit_boosted, fit_counts
from junkan.vision.context import count_inputs
from junkan.vision.counting import group_shares, read_matrix
from junkan.vision.dataset import Dataset, Item
from junkan.vision.features import FEATURES, features
from junkan.vision.materials import GROUPS, group_of
from junkan.vision.model_checks import FORMAT, KINDS, check_current, check_loaded
from junkan.vision.segment import SegmentParams, Segments, fit_join, segment
from junkan.vision.truth import match, overlap, pieces_per_segment

MAX_MODEL_BYTES = 64 * 2**20


class TrainingError(ValueError):
    """The training data cannot make a classifier (names why)."""


def item_rows(
    item: Item, params: SegmentParams
) -> tuple[np.ndarray, list[str], Segments, np.ndarray | None, int]:
    """Features of an item's segmented pieces, their labels ('' where unknown), the
    segmentation, and — with instance annotations — the pieces per segment and the pieces
    not seen (see :func:`pieces_per_segment`)."""
    seg = segment(item.image(), item.meta.mm_per_px, params)
    x = features(seg)
    if item.label is not None:  # one piece per image: the largest segment
        lab = [""] * seg.count
        if seg.count:
            lab[int(np.argmax(seg.area_px))] = item.label
        return x, lab, seg, None, 0
    if item.truth is None:
        return x, [""] * seg.count, seg, None, 0
    joint = overlap(item.truth, seg)
    m = match(joint)
    n, unseen = pieces_per_segment(joint)
    return x, [item.pieces[i]["material"] if i >= 0 else "" for i in m], seg, n, unseen


def _session(onnx: bytes) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(onnx, so, providers=["CPUExecutionProvider"])


@dataclass
class VisionModel:
    """A trained classifier and what it needs to run: ONNX bytes, classes (materials or
    groups), segmentation settings, temperature, mass calibration; ``info`` holds its
    version, training-data hash and training figures."""

    onnx: bytes
    classes: list[str]
    segment: SegmentParams
    temperature: float
    calibration: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    count_onnx: bytes | None = None
    """The count model (pieces per segment), when trained on instance annotations."""
    count_scale: float = 1.0
    kind: str = "boosted"
    """``boosted`` (gradient boosting on :data:`FEATURES`) or ``cnn`` (:mod:`junkan.vision.cnn`
    on each piece's patch)."""
    count_correction: np.ndarray | None = None
    """The adjusted-count matrix (groups × groups) of :mod:`junkan.vision.counting`, when
    fitted: of the group count model's sums when there is one, else of the count model's
    pieces × group probabilities."""
    group_count_onnx: bytes | None = None
    """The group count model (:mod:`junkan.vision.group_counts`): pieces of each group a
    segment holds, when trained on instance annotations."""
    count_folds: list[count_folds.FoldCounter] = field(default_factory=list)
    """The fold pipelines the per-group counts are made with (:mod:`junkan.vision.count_folds`;
    a boosted model trained on instance annotations), else none: the final models count."""
    _session: Any = None
    _count_session: Any = None
    _group_session: Any = None

    @property
    def version(self) -> str:
        return str(self.info.get("version", ""))

    def session(self) -> Any:
        if self._session is None:
            self._session = _session(self.onnx)
        return self._session

    def pieces(self, x: np.ndarray) -> np.ndarray:
        """(segments,) expected pieces in each segment of *one* image whose features are
        ``x`` (the count model, on the features and the image's context, × the unseen
        factor; 1 each without a count model)."""
        if self.count_onnx is None or len(x) == 0:
            return np.ones(len(x))
        if self._count_session is None:
            self._count_session = _session(self.count_onnx)
        sess = self._count_session
        out = sess.run(None, {sess.get_inputs()[0].name: count_inputs(x)})
        return np.clip(np.asarray(out[0], float).ravel(), 0.0, 20.0) * self.count_scale

    def group_pieces(self, x: np.ndarray, p_group: np.ndarray, pieces: np.ndarray
                     ) -> np.ndarray | None:
        """(segments, groups) expected annotated pieces of each group in each segment (the
        group count model on features, group probabilities and pieces; with fold pipelines,
        the mean of theirs on the features), or None without one."""
        if self.group_count_onnx is None:
            return None
        if len(x) == 0:
            return np.zeros((0, len(GROUPS)))
        if self.count_folds:
            return count_folds.fold_pieces(self.count_folds, x, len(self.classes), self.to_groups)
        if self._group_session is None:
            self._group_session = _session(self.group_count_onnx)
        sess = self._group_session
        z = group_counts.inputs(count_inputs(x), p_group, pieces)
        out = np.asarray(sess.run(None, {sess.get_inputs()[0].name: z})[0], float)
        return np.clip(out.reshape(len(x), -1), 0.0, group_counts.MAX_PIECES)

    def raw_proba(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros((0, len(self.classes)))
        sess = self.session()
        out = sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})
        return np.asarray(out[1], dtype=float)

    def proba(self, x: np.ndarray) -> np.ndarray:
        """(pieces, classes) calibrated probabilities (ONNX Runtime, temperature-scaled)."""
        return scale(self.raw_proba(x), self.temperature)

    def classify(self, seg: Segments, x: np.ndarray) -> np.ndarray:
        """(pieces, classes) calibrated probabilities of a segmentation's pieces, whose
        features are ``x``: from the features (boosted) or the pieces' patches (cnn)."""
        if self.kind != "cnn":
            return self.proba(x)
        if len(x) == 0:
            return np.zeros((0, len(self.classes)))
        from junkan.vision.cnn import patches, side_input

        sess = self.session()
        d_eq = x[:, FEATURES.index("d_eq_mm")]
        out = sess.run(None, {"patch": patches(seg), "size": side_input(d_eq)})
        return scale(np.asarray(out[1], dtype=float), self.temperature)

    def to_groups(self, p: np.ndarray) -> np.ndarray:
        """(pieces, groups) calibrated group probabilities of uncalibrated class ones."""
        return np.asarray(scale(p, self.temperature) @ self.group_matrix())

    def group_matrix(self) -> np.ndarray:
        """(classes, groups) 0/1: which sorter group each class belongs to."""
        g = np.zeros((len(self.classes), len(GROUPS)))
        for i, c in enumerate(self.classes):
            g[i, GROUPS.index(group_of(c))] = 1
        return g

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "classes": self.classes,
            "features": list(FEATURES),
            "segment": self.segment.model_dump(),
            "temperature": self.temperature,
            "calibration": self.calibration,
            "info": self.info,
            "onnx": base64.b64encode(self.onnx).decode("ascii"),
            "count_onnx": _b64(self.count_onnx),
            "count_scale": self.count_scale,
            "kind": self.kind,
            "count_correction": (
                None if self.count_correction is None else self.count_correction.tolist()
            ),
            "group_count_onnx": _b64(self.group_count_onnx),
            "count_folds": count_folds.document(self.count_folds),
        }

    def save(self, path: str | Path) -> None:
        p = Path(path)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(json.dumps(self.document()), "utf-8")
        tmp.replace(p)


def load_model(path: str | Path | None = None, *, text: str | None = None) -> VisionModel:
    """A model saved by :meth:`VisionModel.save` (ValueError naming the file otherwise)."""
    where = str(path) if path is not None else "model"
    if text is None:
        if path is None:
            raise ValueError("give a model file or its text")
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"{where}: no such model file")
        if p.stat().st_size > MAX_MODEL_BYTES:
            raise ValueError(f"{where}: larger than {MAX_MODEL_BYTES:,} bytes")
        try:
            text = p.read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{where}: not a junkan vision model (not UTF-8 text: byte "
                             f"{exc.start})") from None
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
    except RecursionError:
        raise ValueError(f"{where}: not a junkan vision model (nested too deeply)") from None
    except ValueError as exc:
        raise ValueError(f"{where}: not a junkan vision model ({exc})") from None
    check_current(doc, where)
    try:
        kind = str(doc.get("kind", "boosted"))
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {list(KINDS)}")
        model = VisionModel(
            base64.b64decode(doc["onnx"]),
            list(doc["classes"]),
            SegmentParams.model_validate(doc["segment"]),
            float(doc["temperature"]),
            dict(doc["calibration"]),
            dict(doc.get("info", {})),
            base64.b64decode(doc["count_onnx"]) if doc.get("count_onnx") else None,
            _count_scale(doc.get("count_scale", 1.0)),
            kind,
            read_matrix(doc.get("count_correction")),
            base64.b64decode(doc["group_count_onnx"]) if doc.get("group_count_onnx") else None,
            count_folds.read(doc.get("count_folds")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}: not a junkan vision model ({exc})") from None
    check_loaded(model, where)
    return model


def _b64(onnx: bytes | None) -> str | None:
    return base64.b64encode(onnx).decode("ascii") if onnx else None


def _count_scale(v: Any) -> float:
    x = float(v)
    if not 1.0 <= x <= 10.0:  # also refuses NaN
        raise ValueError(f"count_scale {x} is outside 1 … 10")
    return x


def scale(p: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling: softmax(log p / T)."""
    z = np.log(np.clip(p, 1e-9, 1)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.2, 10] that minimises the negative log-likelihood of ``y`` under
    ``scale(p, T)``."""

    def nll(t: float) -> float:
        return float(-np.log(np.clip(scale(p, t)[np.arange(len(y)), y], 1e-12, 1)).mean())

    return float(minimize_scalar(nll, bounds=(0.2, 10), method="bounded").x)


@dataclass
class Rows:
    """Training rows: labelled segments (x, y) for the classifier; every segment of the
    instance-annotated images (xc) with its pieces (nc) for the count model, and the
    annotated pieces not seen at all. For the count correction (:mod:`junkan.vision.counting`):
    the image of each labelled (xi) and annotated (ci) segment, the annotated segments'
    group shares (wc), and per image the annotated pieces per group (tg) and not seen (ug)."""

    x: np.ndarray
    y: np.ndarray
    xc: np.ndarray
    nc: np.ndarray
    unseen: int
    patch: np.ndarray | None = None
    """The labelled segments' patches (:func:`junkan.vision.cnn.patches`), for the CNN."""
    xi: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    ci: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    wc: np.ndarray = field(default_factory=lambda: np.zeros((0, len(GROUPS))))
    tg: np.ndarray = field(default_factory=lambda: np.zeros((0, len(GROUPS))))
    ug: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pc: np.ndarray | None = None
    """The annotated segments' patches (rows of ``xc``), for the CNN's cross-fitted counts."""


def training_rows(data: Dataset, params: SegmentParams, patches: bool = False) -> Rows:
    from junkan.vision.cnn import patches as patches_of

    xs, ys, xcs, ncs, ps, pcs = [], [], [], [], [], []
    xi, ci, wc, tg, ug = [], [], [], np.zeros((len(data.items), len(GROUPS))), []
    for k, item in enumerate(data.items):
        x, lab, seg, n, u = item_rows(item, params)
        keep = [i for i, v in enumerate(lab) if v]
        xs.append(x[keep])
        xi.append(np.full(len(keep), k))
        pall = patches_of(seg) if patches else None
        if pall is not None:
            ps.append(pall[keep])
        ys += [lab[i] for i in keep]
        if n is not None and item.truth is not None:
            xcs.append(x)
            ncs.append(n)
            ug.append(u)
            w, tg[k] = group_shares(item.truth, seg, [p["material"] for p in item.pieces])
            wc.append(w)
            ci.append(np.full(len(x), k))
            if pall is not None:
                pcs.append(pall)
        else:
            ug.append(0)
    empty = np.zeros((0, len(FEATURES)), np.float32)
    return Rows(
        np.vstack(xs) if xs else empty,
        np.array(ys, dtype=object),
        np.vstack(xcs) if xcs else empty,
        np.concatenate(ncs) if ncs else np.zeros(0),
        int(sum(ug)),
        np.concatenate(ps) if ps else None,
        np.concatenate(xi) if xi else np.zeros(0, int),
        np.concatenate(ci) if ci else np.zeros(0, int),
        np.vstack(wc) if wc else np.zeros((0, len(GROUPS))),
        tg,
        np.array(ug, float),
        np.concatenate(pcs) if pcs else None,
    )


def _check_labels(y: np.ndarray, source: str) -> list[str]:
    if len(y) == 0:
        raise TrainingError(
            f"{source}: no annotated piece was found on the images (empty belt "
            "everywhere, or annotations that match no segmented piece)"
        )
    classes, counts = np.unique(y.astype(str), return_counts=True)
    if len(classes) < 2:
        raise TrainingError(
            f"{source}: all {len(y)} pieces are {str(classes[0])!r}; training needs "
            "at least two classes"
        )
    few = [f"{c} ({n})" for c, n in zip(classes, counts, strict=True) if n < 5]
    if few:
        raise TrainingError(f"{source}: classes with fewer than 5 pieces: {', '.join(few)}")
    return [str(c) for c in classes]


def _join_params(data: Dataset, params: SegmentParams) -> tuple[SegmentParams, dict[str, Any]]:
    """The segmentation's join model fitted on the instance-annotated items of ``data``
    (:func:`junkan.vision.segment.fit_join`); the given one when there are none."""
    annotated = [(it, it.truth) for it in data.items if it.truth is not None]
    if not annotated:
        return params, {"fitted": 0.0, "pairs": 0.0, "same_piece": 0.0}
    return fit_join(((it.image(), it.meta.mm_per_px, t) for it, t in annotated), params)


def train(
    data: Dataset,
    *,
    seed: int = 0,
    trees: int = 120,
    params: SegmentParams | None = None,
    kind: str = "boosted",
    epochs: int = 30,
    progress: Callable[[int, int, str], None] | None = None,
) -> VisionModel:
    """Train, calibrate and export a classifier on ``data`` (see the module docstring):
    ``kind`` ``boosted`` (``trees`` trees) or ``cnn`` (``epochs`` passes; needs the
    ``cnn`` extra to train; ``progress(done, passes, what)`` hears of each pass of the
    final network and of the count folds' networks)."""
    from sklearn.model_selection import train_test_split

    if kind not in KINDS:
        raise TrainingError(f"model kind {kind!r} is not one of {list(KINDS)}")
    params, join_info = _join_params(data, params or SegmentParams())
    rows = training_rows(data, params, patches=kind == "cnn")
    y = rows.y
    classes = _check_labels(y, data.source)
    yi = np.searchsorted(np.array(classes), y.astype(str))
    it, ic = train_test_split(np.arange(len(yi)), test_size=0.2, random_state=seed, stratify=yi)
    if kind == "cnn":
        from junkan.vision.cnn import fit_rows

        onx, p_ref = fit_rows(rows, it, ic, yi, len(classes), seed, epochs, progress)
        p_cal, y_cal = p_ref, yi[ic]
    else:  # on all rows, calibrated out of fold (boosting.fit_boosted)
        onx, p_ref, p_cal = fit_boosted(rows.x, yi, rows.xi, seed, trees)
        ic, y_cal = np.arange(len(yi)), yi
    yc = yi[ic]
    count_onnx, count_scale, count_info = fit_counts(rows, seed)
    settings = {"seed": seed, "segment": params.model_dump(), "kind": kind}
    settings.update(
        {"epochs": epochs} if kind == "cnn" else {"trees": trees, "classifier": BOOSTED}
    )
    digest = data.digest + json.dumps(settings, sort_keys=True)
    model = VisionModel(
        onx,
        classes,
        params,
        fit_temperature(p_cal, y_cal),
        default_calibration(),
        info={
            "version": hashlib.sha256(digest.encode()).hexdigest()[:16],
            "kind": kind,
            "training_data_sha256": data.digest,
            "source": data.source,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "pieces": int(len(y)),
            "images": len(data.items),
            "per_class": {c: int((yi == i).sum()) for i, c in enumerate(classes)},
            **{k: v for k, v in settings.items() if k not in ("segment", "kind")},
            "count_model": count_info,
            "join_model": join_info,
        },
        count_onnx=count_onnx,
        count_scale=count_scale,
        kind=kind,
    )
    p_onnx = model.raw_proba(rows.x[ic]) if kind == "boosted" else _cnn_proba(model, rows, ic)
    model.info["onnx_vs_sklearn" if kind == "boosted" else "onnx_vs_jax"] = {
        "max_abs_probability_difference": float(np.abs(p_onnx - p_ref).max()),
        "argmax_agreement": float((p_onnx.argmax(1) == p_ref.argmax(1)).mean()),
        "pieces": int(len(yc)),
    }
    model.info["calibration_split_accuracy"] = float((p_cal.argmax(1) == y_cal).mean())
    model.info["calibrated_on"] = (
        "a 20 % split of the pieces" if kind == "cnn"
        else "out-of-fold probabilities, 3 image folds (the classifier sees every piece)"
    )
    from junkan.vision.count_fit import fit_count_correction

    fit_count_correction(model, rows, yi, seed, trees, epochs,
                         progress if kind == "cnn" else None)
    return model


def _cnn_proba(model: VisionModel, rows: Rows, idx: np.ndarray) -> np.ndarray:
    """Uncalibrated probabilities of the CNN's ONNX graph for training rows ``idx``."""
    from junkan.vision.cnn import side_input

    assert rows.patch is not None
    sess = model.session()
    size = side_input(rows.x[idx, FEATURES.index("d_eq_mm")])
    return np.asarray(sess.run(None, {"patch": rows.patch[idx], "size": size})[1], float)


def default_calibration() -> dict[str, Any]:
    """Mass scale factor per group before any scale weight: 1 ± 0.3 (assumption: the
    thickness priors are rough)."""
    return {
        "groups": list(GROUPS),
        "mean": [1.0] * len(GROUPS),
        "cov": (np.eye(len(GROUPS)) * 0.3**2).tolist(),
        "weighings": 0,
    }
