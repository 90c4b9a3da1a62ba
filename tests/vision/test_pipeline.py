"""Segmentation, classifier (scikit-learn vs ONNX), evaluation, mass calibration, intervals."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from junkan.vision import (
    GROUPS,
    ImageMeta,
    RenderSpec,
    VisionModel,
    analyse,
    evaluate,
    from_frames,
    intervals,
    load,
    render,
    weigh,
)
from junkan.vision.segment import segment


def test_watershed_splits_touching_pieces() -> None:
    img = np.full((200, 300, 3), 50, np.uint8)
    cv2.circle(img, (100, 100), 40, (180, 180, 180), -1)
    cv2.circle(img, (180, 100), 40, (180, 180, 180), -1)  # touching
    cv2.circle(img, (250, 40), 15, (60, 110, 190), -1)
    seg = segment(img, 1.0)
    assert seg.count == 3
    merged = segment(img, 1.0, seg_params(core=0.05))
    assert merged.count == 2  # without the distance-transform split they merge


def seg_params(**kw: float):  # type: ignore[no-untyped-def]
    from junkan.vision.segment import SegmentParams

    return SegmentParams(scale=1, **kw)


def test_model_round_trip_and_onnx_matches_sklearn(small_model: VisionModel, tmp_path) -> None:
    ovs = small_model.info["onnx_vs_sklearn"]
    assert ovs["max_abs_probability_difference"] < 1e-4 and ovs["argmax_agreement"] == 1.0
    assert len(small_model.info["training_data_sha256"]) == 64
    small_model.save(tmp_path / "m.json")
    again = load(tmp_path / "m.json")
    assert again.version == small_model.version and again.classes == small_model.classes
    with pytest.raises(ValueError, match="not a junkan vision model"):
        load(text='{"format": "other"}')


def test_evaluate_gives_a_sorter(small_model: VisionModel) -> None:
    frames = [
        render(RenderSpec(width=640, height=512, pieces=25, grain_mm=40), seed=100 + i)
        for i in range(4)
    ]
    doc = evaluate(small_model, from_frames(frames), interval_s=1.0)
    cm = np.array(doc["confusion"])
    assert cm.sum() == doc["matched"] <= doc["pieces"] == 100
    assert doc["accuracy"] > 0.5  # a tiny model, far above chance (0.25)
    u = doc["confusion_uncertainty"]
    assert all(
        lo <= m <= hi
        for r in range(4)
        for lo, m, hi in zip(u["p5"][r], u["mean"][r], u["p95"][r], strict=True)
    )
    assert doc["intervals"] and "by" in doc
    if doc["sorter"] is not None:
        from junkan.alloys import Sorter

        assert Sorter.from_evaluation(doc).row_pieces == doc["sorter"]["row_pieces"]


def test_calibration_learns_the_mass_scale(small_model: VisionModel) -> None:
    cal = small_model.calibration
    truth = np.array([1.3, 0.8, 1.0, 1.0])
    rng = np.random.default_rng(0)
    for _ in range(40):
        h = rng.uniform(0, 10, 4) * (rng.random(4) < 0.5) + 1e-3
        cal = weigh(cal, h, float(h @ truth), 0.05)
    assert np.allclose(cal["mean"], truth, atol=0.05)
    assert np.all(np.diag(cal["cov"]) < 0.3**2)
    with pytest.raises(ValueError, match="finite"):
        weigh(cal, h, float("nan"), 0.1)


def test_intervals_cover_the_truth(small_model: VisionModel) -> None:
    frames = [
        render(RenderSpec(width=640, height=512, pieces=25, grain_mm=40), seed=200 + i)
        for i in range(3)
    ]
    meta = ImageMeta(mm_per_px=0.8)
    res = [analyse(small_model, f.image, meta, seconds=0.0) for f in frames]
    iv = intervals(small_model, res, 600.0)
    assert len(iv) == 1 and iv[0]["images"] == 3
    for g in GROUPS:
        c = iv[0]["count"][g]
        assert c["p5"] <= c["mean"] <= c["p95"]
    empty = analyse(small_model, np.full((512, 640, 3), 50, np.uint8), meta)
    assert empty.seg.count == 0
    assert empty.document(small_model)["warnings"] == ["empty belt: no piece found"]
