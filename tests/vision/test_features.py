"""Per-piece features: the filters taken at the pieces' pixels only equal OpenCV's filters of
the whole image (image borders included), and the per-piece sums and features equal a direct
per-piece computation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from junkan.vision import RenderSpec, render
from junkan.vision.features import FEATURES, _Groups, _Padded, balanced, features
from junkan.vision.segment import segment


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_filters_at_pixels_equal_opencvs_whole_image_filters(dtype: type) -> None:
    rng = np.random.default_rng(3)
    grey = (rng.random((37, 53)) * 255).astype(dtype)
    # every border pixel and corner, and some inside
    h, w = grey.shape
    border = [i for i in range(h * w) if i // w in (0, 1, h - 1) or i % w in (0, w - 1)]
    idx = np.array(sorted({*border, *rng.integers(0, h * w, 300).tolist()}))
    gx, gy, lap, box3, box9, centre = _Padded(grey).filters_at(idx)
    f = grey.astype(np.float32)
    want = [
        cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3),
        cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3),
        cv2.Laplacian(f, cv2.CV_32F, ksize=3),
        cv2.blur(f, (3, 3)),
        cv2.blur(f, (9, 9)),
        f,
    ]
    for got, full in zip((gx, gy, lap, box3, box9, centre), want, strict=True):
        np.testing.assert_allclose(got, full.ravel()[idx], rtol=1e-5, atol=1e-3)


def test_box_sums_equal_the_pixels_sums() -> None:
    grey = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    y, x = np.array([0, 2, 10]), np.array([0, 4, 8])
    got = _Padded(grey).box_sum(y, x, 2)
    assert got.tolist() == [int(grey[a:a + 2, b:b + 2].sum()) for a, b in zip(y, x, strict=True)]


def test_box_sums_of_a_large_bright_image_are_exact() -> None:
    grey = np.full((3000, 3000), 255, np.uint8)  # its sum, 2.3e9, is past 32-bit integers:
    # the integral image is then float64 (an int32 one wraps and gives a negative sum here)
    pad = _Padded(grey)
    assert pad.box_sum(np.array([2990]), np.array([2990]), 9).tolist() == [81 * 255]
    assert pad.box_sum(np.array([0]), np.array([0]), 3000).tolist() == [3000 * 3000 * 255]


def test_group_sums_skip_pieces_without_pixels() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        lab = np.sort(rng.integers(1, n + 1, int(rng.integers(0, 40))))
        lab = lab[lab != rng.integers(1, n + 1)].astype(np.intp)  # one piece left empty
        w = rng.random(len(lab))
        want = np.bincount(lab, weights=w, minlength=n + 1)[1:]
        np.testing.assert_allclose(_Groups(lab, n).sum(w), want)


def test_colour_and_size_features_equal_a_direct_computation() -> None:
    seg = segment(render(RenderSpec(grain_mm=65.0), seed=4242).image, 0.8)
    got = features(seg)
    assert got.shape == (seg.count, len(FEATURES)) and np.isfinite(got).all()
    col = {name: i for i, name in enumerate(FEATURES)}
    img = balanced(seg)  # the belt as white reference (checked by its own test)
    for i in range(seg.count):
        px = img[seg.labels == i + 1]
        assert got[i, col["area_mm2"]] == pytest.approx(len(px) * seg.mm_per_px**2, rel=1e-5)
        assert got[i, col["mean_r"]] == pytest.approx(px[:, 2].mean(), rel=1e-4)
        assert got[i, col["sd_g"]] == pytest.approx(px[:, 1].std(), rel=1e-3, abs=1e-3)


def test_texture_amplitudes_are_grey_levels_whatever_the_pieces_brightness() -> None:
    """Streaks added to a bright and a dull sheet give the same absolute amplitude (the
    renderer and a rolled surface add texture, they do not scale it), twice the streaks twice
    the amplitude; the brightness-normalised texture differs instead."""
    from scipy import ndimage

    from junkan.vision.segment import Segments

    rng = np.random.default_rng(9)
    h, w = 160, 480
    full = np.empty((h, w, 3), np.float32)
    full[:] = (46, 50, 50)  # the renderer's belt colour
    streak = cv2.GaussianBlur(rng.standard_normal((h, 1)).astype(np.float32), (0, 0), 2.0)
    streak = np.repeat(streak / streak.std(), 140, axis=1)[:, :, None]
    lab_full = np.zeros((h, w), np.int32)
    for k, (x0, base, amp) in enumerate(((10, 180.0, 6.0), (170, 110.0, 6.0), (330, 180.0, 12.0))):
        full[20:140, x0 : x0 + 140] = base + amp * streak[20:140]
        lab_full[20:140, x0 : x0 + 140] = k + 1
    full8 = np.clip(full + rng.normal(0, 0.5, full.shape), 0, 255).astype(np.uint8)
    labels = np.ascontiguousarray(lab_full[::2, ::2])
    boxes = ndimage.find_objects(labels)
    seg = Segments(
        labels,
        cv2.resize(full8, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        list(boxes),
        np.bincount(labels.ravel())[1:].astype(float),
        1.6,
        np.tile(np.array([[[46, 50, 50]]], np.uint8), (1, w // 2, 1)),
        full8,
        2,
    )
    x = features(seg)
    col = {name: i for i, name in enumerate(FEATURES)}
    s = x[:, col["streak_abs"]]
    assert s[1] == pytest.approx(s[0], rel=0.1)
    assert s[2] == pytest.approx(2 * s[0], rel=0.1)
    assert x[0, col["iso_abs"]] < 0.3 * s[0]  # streaks are directional
    assert x[:, col["band_abs"]][1] == pytest.approx(x[0, col["band_abs"]], rel=0.1)
    # the normalised texture of the dull sheet is larger by the brightness ratio
    assert x[1, col["band_full"]] > 1.4 * x[0, col["band_full"]]
