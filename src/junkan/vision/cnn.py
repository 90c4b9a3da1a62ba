"""The small CNN piece classifier: a patch of each segmented piece (its colour, white-balanced
against the belt, and its mask) and its size go through three 3×3 convolution blocks, global
average and max pooling and two dense layers to class probabilities.

Trained with JAX on the CPU (the ``cnn`` extra: ``jax``/``jaxlib``; Adam, class-balanced
cross-entropy, random flips and quarter turns — a piece has no up or down on the belt), then
written as an ONNX graph with ``onnx.helper`` from the trained weights, so that inference
needs only onnxruntime (the ``vision`` extra). :func:`junkan.vision.model.train` with
``kind="cnn"`` calls :func:`fit`; the model document holds the graph like the boosted one's.

Patch: the piece's bounding square (side = the longer side of its box) at the segmentation's
working scale, resized to :data:`PATCH` px (area averaging); channels B, G, R (0 … 1, belt
as white reference, :func:`junkan.vision.features.balanced`) and the mask (1 on the piece, 0
on the belt or a neighbour). The patch loses the piece's absolute size, so the side input is
log(d_eq / 50 mm)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from junkan.vision.features import FEATURES, balanced
from junkan.vision.segment import Segments

if TYPE_CHECKING:
    from junkan.vision.model import Rows

PATCH = 32
"""Side of a piece's patch (px)."""
CHANNELS = (16, 32, 48)
"""Output channels of the three convolution blocks."""
HIDDEN = 64
"""Units of the hidden dense layer."""

Stages = Callable[[int, int, str], None]
"""Hears of training: ``(passes done, passes, what is being trained)``."""


def _stage(progress: Stages | None, what: str) -> Callable[[int, int], None] | None:
    """:func:`fit`'s per-pass progress as a stage of ``progress``."""
    if progress is None:
        return None
    return lambda done, total: progress(done, total, what)


def patches(seg: Segments) -> np.ndarray:
    """(pieces, 4, PATCH, PATCH) float32: each piece's bounding square, B, G, R in 0 … 1
    (white-balanced) and its mask."""
    n = seg.count
    out = np.zeros((n, 4, PATCH, PATCH), np.float32)
    if n == 0:
        return out
    img = balanced(seg) / 255.0
    h_img, w_img = seg.labels.shape
    for i, (ys, xs) in enumerate(seg.boxes):
        s = max(ys.stop - ys.start, xs.stop - xs.start, 2)
        y0 = (ys.start + ys.stop) // 2 - s // 2
        x0 = (xs.start + xs.stop) // 2 - s // 2
        sq = np.zeros((s, s, 4), np.float32)
        y_a, x_a = max(y0, 0), max(x0, 0)
        y_b, x_b = min(y0 + s, h_img), min(x0 + s, w_img)
        sq[y_a - y0 : y_b - y0, x_a - x0 : x_b - x0, :3] = img[y_a:y_b, x_a:x_b]
        sq[y_a - y0 : y_b - y0, x_a - x0 : x_b - x0, 3] = seg.labels[y_a:y_b, x_a:x_b] == i + 1
        small = cv2.resize(sq, (PATCH, PATCH), interpolation=cv2.INTER_AREA)
        out[i] = small.transpose(2, 0, 1)
    return out


def side_input(d_eq_mm: np.ndarray) -> np.ndarray:
    """(pieces, 1) float32 log(d_eq / 50 mm), the size the patch does not show."""
    return np.log(np.maximum(np.asarray(d_eq_mm, float), 1.0) / 50.0)[:, None].astype(np.float32)


def init(n_classes: int, seed: int) -> dict[str, np.ndarray]:
    """He-initialised weights (numpy float32)."""
    rng = np.random.default_rng(seed)
    p: dict[str, np.ndarray] = {}
    c_in = 4
    for k, c in enumerate(CHANNELS):
        p[f"w{k}"] = (rng.standard_normal((c, c_in, 3, 3)) * np.sqrt(2 / (9 * c_in))).astype(
            np.float32
        )
        p[f"b{k}"] = np.zeros(c, np.float32)
        c_in = c
    n_in = 2 * CHANNELS[-1] + 1
    p["wh"] = (rng.standard_normal((HIDDEN, n_in)) * np.sqrt(2 / n_in)).astype(np.float32)
    p["bh"] = np.zeros(HIDDEN, np.float32)
    p["wo"] = (rng.standard_normal((n_classes, HIDDEN)) * np.sqrt(1 / HIDDEN)).astype(np.float32)
    p["bo"] = np.zeros(n_classes, np.float32)
    return p


def _forward(p: dict[str, Any], x: Any, s: Any) -> Any:
    """Logits (batch, classes) of patches ``x`` (NCHW, normalised) and side input ``s``
    (JAX; the ONNX graph of :func:`to_onnx` computes the same)."""
    import jax
    import jax.numpy as jnp

    for k in range(len(CHANNELS)):
        x = jax.lax.conv_general_dilated(
            x, p[f"w{k}"], (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW")
        )
        x = jax.nn.relu(x + p[f"b{k}"][None, :, None, None])
        if k < len(CHANNELS) - 1:
            x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    z = jnp.concatenate([x.mean(axis=(2, 3)), x.max(axis=(2, 3)), s], axis=1)
    z = jax.nn.relu(z @ p["wh"].T + p["bh"])
    return z @ p["wo"].T + p["bo"]


def _augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random quarter turns and flips of a batch (NCHW)."""
    k = int(rng.integers(4))
    x = np.rot90(x, k, axes=(2, 3))
    if rng.random() < 0.5:
        x = x[:, :, :, ::-1]
    return np.ascontiguousarray(x)


def fit(
    x: np.ndarray,
    s: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    seed: int = 0,
    epochs: int = 30,
    batch: int = 128,
    lr: float = 3e-3,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Train on patches ``x`` (N, 4, P, P), side inputs ``s`` (N, 1) and class indices ``y``:
    Adam (β 0.9/0.999), learning rate with cosine decay, weight decay 1e-4, cross-entropy
    with class weights ∝ 1/√(class count). Returns the weights and the per-channel input mean
    and sd (the graph normalises with them). ``progress(done, epochs)`` hears of each pass."""
    import jax
    import jax.numpy as jnp

    mean = x.mean(axis=(0, 2, 3)).astype(np.float32)
    sd = (x.std(axis=(0, 2, 3)) + 1e-3).astype(np.float32)
    xn = (x - mean[None, :, None, None]) / sd[None, :, None, None]
    counts = np.bincount(y, minlength=n_classes).astype(float)
    inv = np.where(counts > 0, 1 / np.sqrt(np.maximum(counts, 1)), 0.0)
    cw = jnp.asarray(inv / (inv * counts).sum() * counts.sum(), jnp.float32)

    def loss(p: Any, xb: Any, sb: Any, yb: Any) -> Any:
        logp = jax.nn.log_softmax(_forward(p, xb, sb))
        w = cw[yb]
        nll = -(w * jnp.take_along_axis(logp, yb[:, None], axis=1)[:, 0]).sum() / w.sum()
        return nll + 1e-4 * sum(jnp.sum(v**2) for k, v in p.items() if k.startswith("w"))

    @jax.jit
    def step(p: Any, m: Any, v: Any, t: Any, rate: Any, xb: Any, sb: Any, yb: Any) -> Any:
        g = jax.grad(loss)(p, xb, sb, yb)
        m = jax.tree.map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
        v = jax.tree.map(lambda a, b: 0.999 * a + 0.001 * b * b, v, g)
        c1, c2 = 1 - 0.9**t, 1 - 0.999**t
        p = jax.tree.map(lambda w, a, b: w - rate * (a / c1) / (jnp.sqrt(b / c2) + 1e-8), p, m, v)
        return p, m, v

    rng = np.random.default_rng(seed)
    p = {k: jnp.asarray(v) for k, v in init(n_classes, seed).items()}
    m = jax.tree.map(jnp.zeros_like, p)
    v = jax.tree.map(jnp.zeros_like, p)
    n = len(y)
    steps = max(1, epochs * (n // batch))
    t = 0
    for epoch in range(epochs):
        if progress is not None:
            progress(epoch, epochs)
        order = rng.permutation(n)
        for b in range(n // batch if n >= batch else 1):
            idx = order[b * batch : (b + 1) * batch]
            t += 1
            rate = lr * 0.5 * (1 + np.cos(np.pi * min(t / steps, 1.0)))
            p, m, v = step(p, m, v, float(t), float(rate), _augment(xn[idx], rng), s[idx], y[idx])
    if progress is not None:
        progress(epochs, epochs)
    return {k: np.asarray(w, np.float32) for k, w in p.items()}, mean, sd


def to_onnx(p: dict[str, np.ndarray], mean: np.ndarray, sd: np.ndarray) -> bytes:
    """The network as an ONNX graph (opset 17): inputs ``patch`` (N, 4, P, P) and ``size``
    (N, 1), outputs ``label`` (N,) int64 and ``probabilities`` (N, classes)."""
    from onnx import TensorProto, helper, numpy_helper

    init_ = [
        numpy_helper.from_array(mean.reshape(1, -1, 1, 1).astype(np.float32), "in_mean"),
        numpy_helper.from_array((1 / sd).reshape(1, -1, 1, 1).astype(np.float32), "in_scale"),
    ]
    nodes = [
        helper.make_node("Sub", ["patch", "in_mean"], ["x_c"]),
        helper.make_node("Mul", ["x_c", "in_scale"], ["x0"]),
    ]
    cur = "x0"
    for k in range(len(CHANNELS)):
        init_ += [
            numpy_helper.from_array(p[f"w{k}"], f"w{k}"),
            numpy_helper.from_array(p[f"b{k}"], f"b{k}"),
        ]
        nodes += [
            helper.make_node("Conv", [cur, f"w{k}", f"b{k}"], [f"c{k}"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"c{k}"], [f"r{k}"]),
        ]
        cur = f"r{k}"
        if k < len(CHANNELS) - 1:
            nodes.append(
                helper.make_node("MaxPool", [cur], [f"m{k}"], kernel_shape=[2, 2], strides=[2, 2])
            )
            cur = f"m{k}"
    init_ += [numpy_helper.from_array(p[k], k) for k in ("wh", "bh", "wo", "bo")]
    nodes += [
        helper.make_node("GlobalAveragePool", [cur], ["gap"]),
        helper.make_node("GlobalMaxPool", [cur], ["gmp"]),
        helper.make_node("Flatten", ["gap"], ["gap_f"]),
        helper.make_node("Flatten", ["gmp"], ["gmp_f"]),
        helper.make_node("Concat", ["gap_f", "gmp_f", "size"], ["z"], axis=1),
        helper.make_node("Gemm", ["z", "wh", "bh"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "wo", "bo"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
    ]
    n_cls = p["wo"].shape[0]
    graph = helper.make_graph(
        nodes,
        "junkan_vision_cnn",
        [
            helper.make_tensor_value_info("patch", TensorProto.FLOAT, [None, 4, PATCH, PATCH]),
            helper.make_tensor_value_info("size", TensorProto.FLOAT, [None, 1]),
        ],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, n_cls]),
        ],
        init_,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def fit_rows(
    rows: Rows, it: np.ndarray, ic: np.ndarray, y: np.ndarray, n_cls: int, seed: int, epochs: int,
    progress: Stages | None = None,
) -> tuple[bytes, np.ndarray]:
    """The CNN trained on the training rows ``it`` (:class:`junkan.vision.model.Rows` with
    patches), as ONNX, and the JAX network's probabilities on the rows ``ic`` (to calibrate
    the temperature and check the graph against)."""
    if rows.patch is None:
        raise ValueError("the CNN needs the pieces' patches (training_rows(patches=True))")
    size = side_input(rows.x[:, FEATURES.index("d_eq_mm")])
    w, mean, sd = fit(rows.patch[it], size[it], y[it], n_cls, seed=seed, epochs=epochs,
                      progress=_stage(progress, "training the CNN"))
    xn = (rows.patch[ic] - mean[None, :, None, None]) / sd[None, :, None, None]
    z = logits_numpy(w, xn, size[ic])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return to_onnx(w, mean, sd), e / e.sum(axis=1, keepdims=True)


def fold_proba(
    rows: Rows, y: np.ndarray, n_cls: int, seed: int, epochs: int,
    progress: Stages | None = None,
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """For the cross-fitted counts (:func:`junkan.vision.boosting.fold_predictor`): the CNN
    trained on the labelled rows ``lab`` (a mask), its probabilities on the annotated
    segments ``seg`` (a mask of ``rows.xc``'s rows; their patches are ``rows.pc``)."""
    if rows.patch is None or rows.pc is None:
        raise ValueError("the CNN needs the pieces' patches (training_rows(patches=True))")
    size = side_input(rows.x[:, FEATURES.index("d_eq_mm")])
    size_c = side_input(rows.xc[:, FEATURES.index("d_eq_mm")])
    folds = count(1)

    def proba(lab: np.ndarray, seg: np.ndarray) -> np.ndarray:
        assert rows.patch is not None and rows.pc is not None
        w, mean, sd = fit(rows.patch[lab], size[lab], y[lab], n_cls, seed=seed, epochs=epochs,
                          progress=_stage(progress, f"the CNN of count fold {next(folds)}"))
        xn = (rows.pc[seg] - mean[None, :, None, None]) / sd[None, :, None, None]
        z = logits_numpy(w, xn, size_c[seg])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    return proba


def logits_numpy(p: dict[str, np.ndarray], x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The JAX forward pass on normalised inputs (for checking the ONNX graph)."""
    import jax

    return np.asarray(jax.jit(_forward)(p, x, s))
