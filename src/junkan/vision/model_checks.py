"""Checks on a vision model read from a file, before it classifies anything: a model file is
a user's document, and an edited one (a NaN temperature, renamed or missing classes, another
network in ``onnx``) must be refused naming the field, not give every piece one class or end
in a traceback from ONNX Runtime."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.core.unique import unique_ids
from junkan.vision.features import FEATURES
from junkan.vision.materials import GROUPS, group_of

if TYPE_CHECKING:
    from junkan.vision.model import VisionModel

FORMAT = "junkan.vision.model/2"
"""The model document's format (a model of another format is read as outdated). /2
(2026-12-02): the count models also take the image context (:mod:`junkan.vision.context`)."""
KINDS = ("boosted", "cnn")
"""The kinds of classifier (gradient boosting on features, or a CNN on patches)."""

MAX_TEMPERATURE = 100.0
"""Largest calibration temperature read (fitted ones are near 1; beyond this every
probability is flat)."""

MAX_MASS_FACTOR = 100.0
"""Largest mass scale factor read in ``calibration`` (assumption: the thickness priors are off
by tens of per cent, not by a hundredfold; fitted factors are near 1)."""


def check_loaded(model: VisionModel, where: str) -> None:
    """ValueError naming ``where`` and the field when ``model`` cannot be the model it says."""
    t = model.temperature
    if not (math.isfinite(t) and 0 < t <= MAX_TEMPERATURE):
        raise ValueError(f"{where}: temperature {t!r} must be a number above 0 and at most "
                         f"{MAX_TEMPERATURE:g}")
    classes = model.classes
    if not classes or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"{where}: classes must be a non-empty list of names")
    unique_ids(classes, "classes", "class names", source=where, fix="list each class once")
    for c in classes:
        group_of(c)  # ValueError naming an unknown class
    width = _probability_width(model, where)
    if width != len(classes):
        raise ValueError(f"{where}: the network in 'onnx' gives {width} probabilities per "
                         f"piece but 'classes' names {len(classes)}")
    if model.count_folds:
        from junkan.vision.count_folds import check

        try:
            check(model.count_folds, len(FEATURES), len(classes), len(GROUPS), model.to_groups)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if model.group_count_onnx is not None:
        _check_group_counts(model, where)
    check_calibration(model.calibration, where)


def check_calibration(cal: Any, where: str) -> None:
    """ValueError naming the field unless ``cal`` is a mass calibration: ``groups`` the sorter
    groups, ``mean`` one factor per group in (0, :data:`MAX_MASS_FACTOR`], ``cov`` a finite,
    symmetric, positive semi-definite matrix of their size (a NaN or a negative variance gave
    NaN masses or bands that are not 5–95 %)."""
    n = len(GROUPS)
    if not isinstance(cal, dict) or cal.get("groups") != list(GROUPS):
        got = cal.get("groups") if isinstance(cal, dict) else cal
        raise ValueError(f"{where}: calibration.groups {got!r} must be {list(GROUPS)}")
    try:
        mean = np.array(cal.get("mean"), dtype=float)
        cov = np.array(cal.get("cov"), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: calibration.mean and calibration.cov must be numbers") from None
    if mean.shape != (n,) or not all(np.isfinite(mean)) or not all(
        (mean > 0) & (mean <= MAX_MASS_FACTOR)
    ):
        raise ValueError(f"{where}: calibration.mean {cal.get('mean')!r} must be {n} mass "
                         f"factors above 0 and at most {MAX_MASS_FACTOR:g}")
    ok = cov.shape == (n, n) and bool(np.isfinite(cov).all())
    if ok:
        ok = bool(np.allclose(cov, cov.T, atol=1e-12)) and bool(
            np.linalg.eigvalsh(cov).min() >= -1e-9 * max(1.0, float(np.abs(cov).max()))
        ) and bool(np.diag(cov).max() <= MAX_MASS_FACTOR**2)
    if not ok:
        raise ValueError(f"{where}: calibration.cov {cal.get('cov')!r} must be a symmetric, "
                         f"positive semi-definite {n} × {n} matrix of finite variances "
                         f"(at most {MAX_MASS_FACTOR:g}² each)")


def _check_group_counts(model: VisionModel, where: str) -> None:
    """ValueError unless ``group_count_onnx`` gives one count per group for a blank segment."""
    from dataclasses import replace

    try:  # the model's own group count model (the fold pipelines are checked on their own)
        out = replace(model, count_folds=[]).group_pieces(
            np.zeros((1, len(FEATURES)), np.float32), np.zeros((1, len(GROUPS))), np.ones(1))
    except Exception as exc:
        raise ValueError(f"{where}: 'group_count_onnx' is not a group count model for "
                         f"{len(FEATURES)} features ({str(exc)[:160]})") from None
    if out is None or out.shape != (1, len(GROUPS)):
        raise ValueError(f"{where}: 'group_count_onnx' must give {len(GROUPS)} counts per "
                         f"segment (one per group {list(GROUPS)})")


def _probability_width(model: VisionModel, where: str) -> int:
    """Probabilities per piece the ``onnx`` network gives on one blank piece."""
    try:
        sess = model.session()
    except Exception as exc:  # ONNX Runtime's own errors (InvalidProtobuf, ...)
        raise ValueError(f"{where}: 'onnx' is not a network ONNX Runtime can read "
                         f"({str(exc)[:160]})") from None
    feeds = _blank_feeds(sess.get_inputs(), model.kind, where)
    try:
        out = sess.run(None, feeds)
        probs = np.asarray(out[1], dtype=float)
    except Exception as exc:
        raise ValueError(f"{where}: the network in 'onnx' does not fit a {model.kind} model "
                         f"({str(exc)[:160]})") from None
    if probs.ndim != 2 or probs.shape[0] != 1:
        raise ValueError(f"{where}: the network in 'onnx' gives probabilities of shape "
                         f"{probs.shape}, not one row per piece")
    return int(probs.shape[1])


def _blank_feeds(inputs: list[Any], kind: str, where: str) -> dict[str, np.ndarray]:
    names = [i.name for i in inputs]
    if kind == "cnn":
        if sorted(names) != ["patch", "size"]:
            raise ValueError(f"{where}: kind 'cnn' needs a network with inputs 'patch' and "
                             f"'size', this one has {names}")
        shapes = {i.name: [d if isinstance(d, int) else 1 for d in i.shape] for i in inputs}
        return {n: np.zeros(shapes[n], np.float32) for n in names}
    if len(names) != 1:
        raise ValueError(f"{where}: kind '{kind}' needs a network with one input (the "
                         f"{len(FEATURES)} features), this one has {names}")
    return {names[0]: np.zeros((1, len(FEATURES)), np.float32)}


class OutdatedModelError(ValueError):
    """A model file written by an older junkan, whose features or format this one does not
    read: it must be trained again (the message gives the command)."""


def check_current(doc: dict[str, Any], where: str) -> None:
    """OutdatedModelError for a vision model document of an older format or feature set;
    ValueError for a document that is not a vision model at all."""
    fmt = doc.get("format")
    if not (isinstance(fmt, str) and fmt.startswith("junkan.vision.model/")):
        raise ValueError(f"{where}: not a junkan vision model (format is {fmt!r}, not {FORMAT!r})")
    feats = doc.get("features")
    if fmt == FORMAT and feats == list(FEATURES):
        return
    why = (
        f"its format is {fmt!r}, this junkan reads {FORMAT!r}"
        if fmt != FORMAT
        else f"it was made with {len(feats) if isinstance(feats, list) else 0} features, "
        f"this junkan computes {len(FEATURES)} other ones"
    )
    info = doc.get("info")
    src = f" ({info['source']})" if isinstance(info, dict) and info.get("source") else ""
    kind = doc.get("kind") if doc.get("kind") in KINDS else "boosted"
    raise OutdatedModelError(
        f"{where}: an outdated junkan vision model ({why}); train it again with "
        f"`junkan vision train DATA --model {kind} --out {where}`, DATA being the "
        f"annotated images it was trained on{src}"
    )
