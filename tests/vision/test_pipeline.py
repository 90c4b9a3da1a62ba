"""Segmentation, classifier (scikit-learn vs ONNX), evaluation, mass calibration, intervals."""

from __future__ import annotations

import dataclasses
from typing import Any

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


def seg_params(**kw: Any) -> Any:
    from junkan.vision.segment import SegmentParams

    return SegmentParams(scale=1, **kw)


def test_watershed_splits_touching_pieces() -> None:
    img = np.full((200, 300, 3), 50, np.uint8)
    cv2.circle(img, (100, 100), 40, (180, 180, 180), -1)
    cv2.circle(img, (180, 100), 40, (180, 180, 180), -1)  # touching, same colour: a neck
    cv2.circle(img, (250, 40), 15, (60, 110, 190), -1)
    seg = segment(img, 1.0, seg_params())
    assert seg.count == 3
    merged = segment(img, 1.0, seg_params(split=False))
    assert merged.count == 2  # without the distance-transform split they merge


def test_colour_edges_split_pieces_without_a_neck_and_a_long_piece_stays_whole() -> None:
    rng = np.random.default_rng(0)
    img = np.full((400, 360, 3), 50, np.uint8)  # pieces cover under half of each column
    # a bright sheet and a copper piece side by side: one rectangle, no neck between them
    cv2.rectangle(img, (30, 40), (129, 150), (190, 190, 192), -1)
    cv2.rectangle(img, (130, 40), (200, 150), (70, 110, 185), -1)
    # one long piece (its distance transform has a ridge of many peaks): must stay one piece
    cv2.ellipse(img, (290, 200), (22, 80), 20, 0, 360, (140, 142, 146), -1)
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    assert segment(img, 1.0, seg_params()).count == 2  # by shape alone: one rectangle
    seg = segment(img, 1.0, seg_params(edge_de=30.0))  # colour edges cut the distance map
    assert seg.count == 3
    left, right, long = seg.labels[95, 80], seg.labels[95, 170], seg.labels[200, 290]
    assert len({left, right, long}) == 3 and 0 not in (left, right, long)
    assert seg.labels[140, 318] == long and seg.labels[260, 266] == long


def test_split_merge_counts_merged_pieces_and_fragments() -> None:
    from junkan.vision.evaluate import split_merge

    # truth 2 pieces; segments: one covering both (piece 2 merged), one stray fragment of 1
    joint = np.array([[0, 0, 0], [0, 90, 30], [0, 60, 0]])
    assert split_merge(joint) == (2, 1, 1)
    assert split_merge(np.array([[0, 0], [0, 50]])) == (1, 0, 0)


def test_join_model_is_fitted_on_annotated_frames() -> None:
    from junkan.vision.segment import DEFAULT_JOIN_WEIGHTS, SegmentParams, fit_join

    frames = [
        render(RenderSpec(width=512, height=384, pieces=30, grain_mm=45, touching=0.5), seed=s)
        for s in (7, 8)
    ]
    p, info = fit_join([(f.image, 0.8, f.labels) for f in frames])
    assert info["fitted"] == 1.0 and info["pairs"] > info["same_piece"] > 0
    assert info["pair_accuracy"] > 0.8 and p.join_weights != list(DEFAULT_JOIN_WEIGHTS)
    # a belt with too few pairs keeps the settings it was given
    empty = np.full((128, 128, 3), 50, np.uint8)
    same, info = fit_join([(empty, 0.8, np.zeros((128, 128), np.int32))], SegmentParams())
    assert info["fitted"] == 0.0 and same == SegmentParams()


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
    sa, sb = segment(f.image, 0.8), segment(cast, 0.8)
    assert abs(sa.count - sb.count) <= 1  # the segmentation compares balanced colours too
    # the features of the same pieces: the cast frame's pixels under the first segmentation
    sb = dataclasses.replace(sa, image=sb.image, belt=sb.belt, full=cast)
    a, b = features(sa), features(sb)
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
