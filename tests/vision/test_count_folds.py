"""Counting with the fold pipelines the correction was measured on (junkan.vision.count_folds):
a hand-checkable line where correcting the final model's counts undercounts "other" and
correcting the folds' counts does not; a trained model that counts with its folds and keeps
them in its file; refused edited folds; the correction's calibration sd."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from junkan.vision import VisionModel
from junkan.vision.count_folds import fold_pieces
from junkan.vision.counting import correct, cross_fit
from junkan.vision.group_counts import calibration_sd
from junkan.vision.materials import GROUPS
from junkan.vision.model import load_model

W, OT = GROUPS.index("wrought"), GROUPS.index("other")


def _counter(rate: float) -> Any:
    """A counter (as a fold pipeline) that takes the share ``rate`` of each wrought piece
    (feature 1) for "other" and counts every "other" piece (feature 0) right."""

    def pieces(x: np.ndarray, n_classes: int, to_groups: Any) -> np.ndarray:
        n = np.zeros((len(x), len(GROUPS)))
        n[:, W] = x[:, 0] * (1 - rate)
        n[:, OT] = x[:, 0] * rate + (1 - x[:, 0])
        return n

    return SimpleNamespace(pieces=pieces)


def test_counts_made_as_the_correction_was_measured_are_not_biased() -> None:
    """30 training images of 10 wrought and 10 other pieces, one segment each. The fold models
    (each fitted on 2/3 of the images) take 8, 10 and 12 % of the wrought pieces for other,
    so the cross-fitted correction says 10 %; the final model, fitted on all images, is
    better: 5 %. A line of 100 wrought and 100 other pieces is then seen by the final model
    as 95 / 105; corrected with the folds' 10 %: wrought 95 / 0.9 = 105.56, other
    105 − 0.1 · 105.56 = 94.44 — "other" 5.6 % low. Seen by the folds it is 90 / 110 on
    average, corrected exactly 100 / 100."""
    folds = [_counter(r) for r in (0.08, 0.10, 0.12)]
    image = np.repeat(np.arange(30), 20)
    x = np.tile(np.r_[np.ones(10), np.zeros(10)], 30)[:, None]
    shares = np.zeros((len(x), len(GROUPS)))
    shares[x[:, 0] == 1, W], shares[x[:, 0] == 0, OT] = 1, 1
    totals = np.zeros((30, len(GROUPS)))
    totals[:, W], totals[:, OT] = 10, 10
    calls: list[int] = []

    def predict(train: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = folds[len(calls)].pieces(x[np.isin(image, held)], 1, None)
        calls.append(1)
        return n, np.ones(len(n))  # the group shares of one piece per segment

    a, info, _ = cross_fit(image, shares, totals, predict, seed=0)
    assert a is not None and a[OT, W] == pytest.approx(0.10) and a[W, W] == pytest.approx(0.9)
    line = np.r_[np.ones(100), np.zeros(100)][:, None]
    final = correct(_counter(0.05).pieces(line, 1, None).sum(axis=0), a)
    assert final[W] == pytest.approx(95 / 0.9) and final[OT] == pytest.approx(105 - 9.5 / 0.9)
    assert final[OT] / 100 - 1 == pytest.approx(-0.0556, abs=1e-4)
    by_folds = correct(fold_pieces(folds, line, 1, lambda p: p).sum(axis=0), a)
    assert by_folds[W] == pytest.approx(100) and by_folds[OT] == pytest.approx(100)


def test_a_boosted_model_counts_with_its_fold_pipelines(
    small_model: VisionModel, tmp_path: Path
) -> None:
    from junkan.vision.features import FEATURES

    info = small_model.info["count_correction"]
    assert len(small_model.count_folds) == info["folds"] == 3
    assert "fold pipelines" in info["counted_with"]
    x = np.random.default_rng(3).normal(size=(6, len(FEATURES))).astype(np.float32)
    p_g, pieces = small_model.to_groups(small_model.raw_proba(x)), small_model.pieces(x)
    n = small_model.group_pieces(x, p_g, pieces)
    each = [f.pieces(x, len(small_model.classes), small_model.to_groups)
            for f in small_model.count_folds]
    assert n is not None and np.allclose(n, np.mean(each, axis=0))
    final = replace(small_model, count_folds=[]).group_pieces(x, p_g, pieces)
    assert final is not None and not np.allclose(n, final)  # the final models count otherwise
    small_model.save(tmp_path / "m.json")
    again = load_model(tmp_path / "m.json")
    assert np.allclose(again.group_pieces(x, p_g, pieces), n)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.update(columns=[0, 0]), r"count_folds\[1\]: columns must be distinct"),
    (lambda f: f.update(columns=[99]), r"count_folds\[1\]: columns must be distinct"),
    (lambda f: f.update(count_scale=float("nan")), r"count_folds\[1\]: count_scale nan"),
    (lambda f: f.pop("group_count"), r"count_folds\[1\]: missing or malformed"),
    (lambda f: f.update(count="bm90IGEgbmV0d29yaw=="),
     r"count_folds\[1\] is not a fold counting pipeline"),
])
def test_an_edited_fold_is_refused_naming_it(
    small_model: VisionModel, tmp_path: Path, edit: Any, message: str
) -> None:
    doc = small_model.document()
    edit(doc["count_folds"][1])
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_the_calibration_sd_is_the_spread_over_the_training_images() -> None:
    """Of 40 images, one segment of one "other" piece each: counted 1 on every image, the
    correction is the same whichever images are drawn (sd 0); counted 0.8 on half the images
    and 1.0 on the others, it is 0.9 ± 0.1 / √40 per piece, so the corrected count of a mix
    seen as 0.9 per piece has a relative sd of about (0.1 / √40) / 0.9 = 1.8 %."""
    image = np.arange(40)
    shares = np.zeros((40, len(GROUPS)))
    shares[:, OT] = 1
    totals = shares.copy()
    same = calibration_sd(shares.copy(), shares, shares, image, totals, seed=0)
    assert same["other"] == pytest.approx(0.0, abs=1e-12) and same["wrought"] is None
    n_hat = shares * np.where(image % 2, 0.8, 1.0)[:, None]
    half = calibration_sd(n_hat, shares, shares, image, totals, seed=0)
    assert half["other"] == pytest.approx(0.1 / np.sqrt(40) / 0.9, rel=0.15)


def test_a_false_segment_is_charged_to_every_piece_alike() -> None:
    """40 wrought and 40 other pieces, one segment each, counted right, and one segment that
    shows no piece (a stain) counted as 2 "other" pieces. Left out of ``A`` (before
    2026-12-02), it was counted on the line: the training images themselves came out at
    40 / 42. Charged to all 80 pieces alike, ``A[other, ·]`` gains 2 / 80 = 0.025 in both
    columns and the training images' counts are corrected to 40 / 40 exactly."""
    from junkan.vision.group_counts import coupling

    n_true = np.zeros((81, len(GROUPS)))
    n_true[:40, W], n_true[40:80, OT] = 1, 1
    n_hat = n_true.copy()
    n_hat[80, OT] = 2.0
    shares = n_true.copy()
    totals = n_true.sum(axis=0)
    a = coupling(n_hat, n_true, shares, totals)
    assert a[OT, W] == pytest.approx(0.025) and a[OT, OT] == pytest.approx(1.025)
    assert a[W, W] == pytest.approx(1.0) and a[W, OT] == pytest.approx(0.0)
    assert a @ totals == pytest.approx(n_hat.sum(axis=0))  # E = A T
    assert correct(n_hat.sum(axis=0), a) == pytest.approx(totals)
