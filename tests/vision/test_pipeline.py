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


def test_pieces_per_segment_counts_merged_and_unseen() -> None:
    from junkan.vision.model import pieces_per_segment

    # truth rows (belt, p1, p2, p3, p4) × segments (belt, s1, s2)
    joint = np.array(
        [
            [900, 1, 1],
            [2, 50, 0],  # p1 in s1
            [1, 40, 5],  # p2 merged into s1
            [0, 3, 60],  # p3 in s2
            [30, 0, 0],  # p4 not seen (dark as the belt)
        ]
    )
    n, unseen = pieces_per_segment(joint)
    assert n.tolist() == [2.0, 1.0] and unseen == 1


def test_count_model_round_trip(small_model: VisionModel, tmp_path) -> None:
    assert small_model.count_onnx is not None and small_model.count_scale >= 1.0
    from junkan.vision.features import FEATURES

    x = np.zeros((3, len(FEATURES)), np.float32)
    assert small_model.pieces(x).shape == (3,) and (small_model.pieces(x) >= 0).all()
    small_model.save(tmp_path / "m.json")
    again = load(tmp_path / "m.json")
    assert np.allclose(again.pieces(x), small_model.pieces(x))
    import json

    doc = json.loads((tmp_path / "m.json").read_text())
    doc["count_scale"] = float("nan")
    with pytest.raises(ValueError, match="count_scale"):
        load(text=json.dumps(doc))


def test_belt_white_reference_removes_a_colour_cast() -> None:
    from junkan.vision.features import FEATURES, features

    f = render(RenderSpec(width=640, height=512, pieces=20, grain_mm=40, lighting=0), seed=7)
    cast = np.clip(f.image * np.array([1.12, 1.0, 0.88]), 0, 255).astype(np.uint8)
    a, b = features(segment(f.image, 0.8)), features(segment(cast, 0.8))
    assert a.shape == b.shape
    i = FEATURES.index("chroma_gb")
    raw = np.abs(
        np.array([np.mean(f.image[..., 1]) - np.mean(f.image[..., 0])])
        - np.array([np.mean(cast[..., 1]) - np.mean(cast[..., 0])])
    )
    assert raw > 3  # the cast moves the raw colours
    assert np.median(np.abs(a[:, i] - b[:, i])) < 0.01  # but not the balanced chroma


def test_outlines_follow_the_pieces() -> None:
    from junkan.vision.pipeline import outlines

    img = np.full((200, 300, 3), 50, np.uint8)
    cv2.circle(img, (150, 100), 50, (180, 180, 180), -1)
    seg = segment(img, 1.0)
    (ring,) = outlines(seg)
    r = np.hypot(*(np.array(ring) - [150, 100]).T)
    assert len(ring) >= 8 and np.all(np.abs(r - 50) < 4)
