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
from junkan.vision.materials import group_of

if TYPE_CHECKING:
    from junkan.vision.model import VisionModel

MAX_TEMPERATURE = 100.0
"""Largest calibration temperature read (fitted ones are near 1; beyond this every
probability is flat)."""


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
