"""The per-group count correction (adjusted count): hand-checkable cases, the cross-fitting,
refused matrices, and a trained model that carries and applies its correction."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from junkan.vision import VisionModel
from junkan.vision.counting import (
    MIN_PIECES,
    correct,
    correction_matrix,
    cross_fit,
    group_shares,
    read_matrix,
)
from junkan.vision.materials import GROUPS
from junkan.vision.model import load_model

W, C, CU, OT = (GROUPS.index(g) for g in ("wrought", "cast", "copper", "other"))


def test_group_shares_split_a_merged_segment_and_give_a_fragment_its_piece() -> None:
    # one row of pixels: piece 1 (wrought) and piece 2 (cast) merged in segment 1, a
    # fragment of piece 1 alone in segment 2; piece 3 (copper) hidden entirely
    truth = np.array([[1, 1, 1, 1, 2, 2, 2, 1, 1, 0]])
    labels = np.array([[1, 1, 1, 1, 1, 1, 1, 2, 2, 0]])
    seg = SimpleNamespace(labels=labels, count=2)
    w, totals = group_shares(truth, seg, _mats())
    assert w[0].tolist() == pytest.approx(_row(W=0.5, C=0.5))
    assert w[1].tolist() == pytest.approx(_row(W=1.0))
    assert totals.tolist() == _row(W=1, C=1, CU=1)


def _mats() -> list[str]:
    """A wrought, a cast and a copper material of the alloy library."""
    from junkan.vision.materials import priors

    mats = priors().materials
    pick = {g: next(m for m, v in sorted(mats.items()) if v.group == g)
            for g in ("wrought", "cast", "copper")}
    return [pick["wrought"], pick["cast"], pick["copper"]]


def _row(**by: float) -> list[float]:
    out = [0.0] * len(GROUPS)
    for k, v in by.items():
        out[{"W": W, "C": C, "CU": CU, "O": OT}[k]] = v
    return out


def _fragmenting_line() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """100 wrought pieces, each split into two segments counted 0.6 and classified 90 %
    wrought / 10 % other; 100 cast pieces, one segment each, counted 1, always cast."""
    p = np.zeros((300, len(GROUPS)))
    p[:200, W], p[:200, OT], p[200:, C] = 0.9, 0.1, 1.0
    pieces = np.r_[np.full(200, 0.6), np.ones(100)]
    shares = np.zeros((300, len(GROUPS)))
    shares[:200, W], shares[200:, C] = 1, 1
    return p, pieces, shares, np.array(_row(W=100, C=100))


def test_the_correction_undoes_fragments_and_misclassification() -> None:
    p, pieces, shares, totals = _fragmenting_line()
    a = correction_matrix(p, pieces, shares, totals)
    assert a[:, W] == pytest.approx(_row(W=1.08, O=0.12))
    assert a[:, C] == pytest.approx(_row(C=1.0))
    # groups with too few annotated pieces keep their raw count
    assert a[:, CU] == pytest.approx(_row(CU=1.0)) and a[:, OT] == pytest.approx(_row(O=1.0))
    # a line of 50 wrought, 70 cast and 10 other pieces is seen as 54 / 70 / 0 / 16
    seen = np.array(_row(W=54, C=70, O=16))
    assert correct(seen, a) == pytest.approx(_row(W=50, C=70, O=10))
    # many Monte Carlo samples at once, and never a negative count
    many = correct(np.stack([seen, np.array(_row(O=1))]), a)
    assert many.shape == (2, len(GROUPS)) and (many >= 0).all()
    assert correct(seen, None) is seen


def test_cross_fitting_predicts_each_image_with_models_of_the_others() -> None:
    p, pieces, shares, _ = _fragmenting_line()
    image = np.arange(300) % 10  # 10 images
    totals = np.zeros((10, len(GROUPS)))
    np.add.at(totals, (image, np.argmax(shares, 1)), np.where(shares[:, W] > 0, 0.5, 1.0))
    calls: list[tuple[set[int], set[int]]] = []

    def predict(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append((set(train.tolist()), set(held.tolist())))
        rows = np.isin(image, held)
        return p[rows], pieces[rows]

    a, info, oof = cross_fit(image, shares, totals, predict, seed=0)
    assert a is not None and info["fitted"] and info["folds"] == len(calls) == 3
    assert oof is not None and np.allclose(oof.p, p) and np.allclose(oof.c, pieces)
    assert sorted(set(oof.fold.tolist())) == [0, 1, 2]  # each image held out in one fold
    assert all(not (t & h) and (t | h) == set(range(10)) for t, h in calls)
    assert set().union(*(h for _, h in calls)) == set(range(10))
    assert a[:, W] == pytest.approx(_row(W=1.08, O=0.12))
    assert info["raw_count_bias"]["wrought"] == pytest.approx(0.08)
    few, why, none = cross_fit(image[:10] % 5, shares[:10], totals[:5], predict, seed=0)
    assert few is None and none is None and not why["fitted"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1.0]], "4 × 4"),
        (np.eye(4).tolist() + [[1, 0, 0, 0]], "4 × 4"),
        ([[float("nan")] * 4] * 4, "non-finite"),
        ((-np.eye(4)).tolist(), "negative"),
        (np.ones((4, 4)).tolist(), "cannot be inverted"),
    ],
)
def test_a_bad_matrix_is_refused(value: Any, message: str) -> None:
    assert len(GROUPS) == 4
    with pytest.raises(ValueError, match=message):
        read_matrix(value)


def test_a_trained_model_keeps_and_applies_its_correction(
    small_model: VisionModel, tmp_path: Any
) -> None:
    info = small_model.info["count_correction"]
    assert info["fitted"] and info["folds"] == 3 and info["images"] == 16
    a = small_model.count_correction
    assert a is not None and a.shape == (4, 4) and np.isfinite(a).all()
    fitted = [g for g, n in info["annotated_pieces"].items() if n >= MIN_PIECES]
    assert fitted, info
    small_model.save(tmp_path / "m.json")
    again = load_model(tmp_path / "m.json")
    assert again.count_correction is not None
    assert np.allclose(again.count_correction, a)
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["count_correction"][0][0] = -1
    with pytest.raises(ValueError, match="count_correction"):
        load_model(text=json.dumps(doc))


def test_interval_counts_are_corrected(small_model: VisionModel) -> None:
    """An interval's group counts are ``A⁻¹`` times the counts as seen: a matrix that says
    every group is seen twice over halves them."""
    from dataclasses import replace

    from junkan.vision import RenderSpec, render
    from junkan.vision.dataset import ImageMeta
    from junkan.vision.pipeline import analyse, intervals

    frames = [render(RenderSpec(width=640, height=512, pieces=25, grain_mm=40), seed=300 + i)
              for i in range(2)]
    res = [analyse(small_model, f.image, ImageMeta(mm_per_px=0.8)) for f in frames]
    raw = intervals(replace(small_model, count_correction=None), res)[0]["count"]
    twice = intervals(replace(small_model, count_correction=2 * np.eye(4)), res)[0]["count"]
    for g in GROUPS:
        assert twice[g]["mean"] == pytest.approx(raw[g]["mean"] / 2)
        assert twice[g]["p95"] == pytest.approx(raw[g]["p95"] / 2)


def test_the_group_count_model_gives_a_merged_segment_both_its_groups() -> None:
    """A copper wire merged with a wrought sheet is one segment classified wrought: counted
    by its class, the copper piece is lost (and taken for wrought); the group count model
    reads the copper share in the segment's colours and counts one of each."""
    import onnxruntime as ort

    from junkan.vision import group_counts

    rng = np.random.default_rng(1)
    kind = np.repeat([0, 1, 2], [120, 60, 60])  # wrought, wrought + copper, copper
    x = np.column_stack([np.where(kind == 1, 0.3, np.where(kind == 2, 1.0, 0.0)),
                         rng.normal(size=len(kind))]) + rng.normal(0, 0.03, (len(kind), 2))
    p = np.zeros((len(kind), len(GROUPS)))
    p[kind < 2, W], p[kind == 2, CU] = 1.0, 1.0
    pieces = np.where(kind == 1, 2.0, 1.0)
    targets = np.zeros((len(kind), len(GROUPS)))
    targets[kind < 2, W], targets[kind > 0, CU] = 1, 1
    shares = targets / targets.sum(1, keepdims=True)
    truth = targets.sum(0)
    seen_by_class = (p * pieces[:, None]).sum(0)
    assert seen_by_class[CU] == 60 and seen_by_class[W] == 240  # 60 copper lost
    z = group_counts.inputs(x, p, pieces)
    onx, a, info = group_counts.fit(z, targets, np.arange(len(kind)) % 3, shares, truth, 0)
    assert np.allclose(a, np.eye(len(GROUPS)), atol=0.03)
    assert info["model_count_bias"]["copper"] == pytest.approx(0, abs=0.03)
    sess = ort.InferenceSession(onx, providers=["CPUExecutionProvider"])
    n = np.asarray(sess.run(None, {sess.get_inputs()[0].name: z})[0])
    assert n[kind == 1].mean(0) == pytest.approx(_row(W=1, CU=1), abs=0.05)
    assert correct(n.sum(0), a) == pytest.approx(truth, rel=0.03)
