"""The small CNN (trained in JAX, run as ONNX by onnxruntime) and the message for outdated
model files."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from junkan.vision import OutdatedModelError, VisionModel, load
from junkan.vision.features import FEATURES, features
from junkan.vision.model import FORMAT, default_calibration
from junkan.vision.segment import SegmentParams, segment


def _belt(colours: list[tuple[int, int, int]], rng: np.random.Generator) -> np.ndarray:
    """A belt image with one disc per colour, of random size and place, side by side."""
    img = np.full((192, 96 * len(colours), 3), 50, np.uint8)  # the belt shows in each column
    for k, c in enumerate(colours):
        r = int(rng.integers(14, 30))
        centre = (96 * k + 48 + int(rng.integers(-8, 9)), 48 + int(rng.integers(-8, 9)))
        cv2.circle(img, centre, r, c, -1)
    return img


def test_cnn_learns_pieces_and_its_onnx_graph_runs_them() -> None:
    pytest.importorskip("jax")
    from junkan.vision import cnn

    rng = np.random.default_rng(0)
    colours = [(60, 100, 190), (170, 170, 170)]  # copper-red, aluminium-grey (BGR)
    params = SegmentParams(scale=1)
    xs, ss, ys = [], [], []
    for _ in range(10):
        seg = segment(_belt(colours, rng), 1.0, params)
        assert seg.count == 2
        order = np.argsort([b[1].start for b in seg.boxes])  # left disc is class 0
        xs.append(cnn.patches(seg)[order])
        ss.append(cnn.side_input(features(seg)[order, FEATURES.index("d_eq_mm")]))
        ys += [0, 1]
    x, s, y = np.concatenate(xs), np.concatenate(ss), np.array(ys)
    w, mean, sd = cnn.fit(x, s, y, 2, epochs=6, batch=10, lr=1e-2)
    onx = cnn.to_onnx(w, mean, sd)
    model = VisionModel(
        onx, ["copper", "wrought_al"], params, 1.0, default_calibration(), kind="cnn"
    )
    # the graph computes what the JAX network does
    z = cnn.logits_numpy(w, (x - mean[None, :, None, None]) / sd[None, :, None, None], s)
    p_jax = np.exp(z - z.max(1, keepdims=True))
    p_jax /= p_jax.sum(1, keepdims=True)
    p_onnx = model.session().run(None, {"patch": x, "size": s})[1]
    assert np.abs(p_onnx - p_jax).max() < 1e-4
    # and it tells new pieces apart, through the pipeline's classify
    seg = segment(_belt(colours[::-1], rng), 1.0, params)
    p = model.classify(seg, features(seg))
    left = int(np.argmin([b[1].start for b in seg.boxes]))
    assert p.shape == (2, 2) and p[left].argmax() == 1 and p[1 - left].argmax() == 0


def test_outdated_model_file_says_how_to_retrain(tmp_path) -> None:
    path = tmp_path / "old.json"
    doc = {
        "format": FORMAT,
        "features": list(FEATURES[:-3]),  # written before three features were added
        "info": {"source": "belt/annotations.json"},
    }
    path.write_text(json.dumps(doc))
    with pytest.raises(OutdatedModelError, match="junkan vision train DATA --model boosted"):
        load(path)
    doc.update(format="junkan.vision.model/0", kind="cnn")
    path.write_text(json.dumps(doc))
    with pytest.raises(OutdatedModelError, match=f"format is .*--model cnn --out {path}"):
        load(path)
    with pytest.raises(ValueError, match="not a junkan vision model"):
        load(text='{"format": "junkan.lifecycle/1"}')


@pytest.mark.slow
def test_a_cnn_model_gets_cross_fitted_group_counts() -> None:
    """The CNN path fits the count correction and the group count model as the boosted path
    does, with a CNN trained per image fold: its per-group counts are corrected, not raw; the
    training tells its progress, pass by pass, for each network it trains."""
    pytest.importorskip("jax")
    from junkan.vision import ImageMeta, RenderSpec, analyse, from_frames, render, train
    from junkan.vision.pipeline import intervals

    spec = RenderSpec(width=640, height=512, pieces=25, mm_per_px=0.8, grain_mm=40)
    heard: list[tuple[str, int, int]] = []
    model = train(from_frames([render(spec, seed=i) for i in range(10)]), kind="cnn", epochs=2,
                  progress=lambda done, total, what: heard.append((what, done, total)))
    stages = ["training the CNN"] + [f"the CNN of count fold {k}" for k in (1, 2, 3)]
    assert heard == [(what, done, 2) for what in stages for done in range(3)], heard
    info = model.info["count_correction"]
    assert info["fitted"] and info["folds"] == 3 and info["images"] == 10, info
    assert model.group_count_onnx is not None and model.count_correction is not None
    assert model.count_correction.shape == (4, 4) and np.isfinite(model.count_correction).all()
    res = [analyse(model, render(spec, seed=50).image, ImageMeta(mm_per_px=0.8))]
    g = res[0].group_pieces
    assert g is not None and g.shape == (res[0].seg.count, 4) and (g >= 0).all()
    counts = intervals(model, res)[0]["count"]
    assert sum(c["mean"] for c in counts.values()) > 0
