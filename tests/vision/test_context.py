"""The count model sees its image's context (junkan.vision.context): a segment is counted by
its size against the pieces of its image, so that a line with another shred size than the
training images' mix is not under- or overcounted."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from junkan.vision import VisionModel
from junkan.vision.boosting import fit_counts
from junkan.vision.context import CONTEXT, count_inputs, count_inputs_by_image
from junkan.vision.features import FEATURES
from junkan.vision.materials import GROUPS
from junkan.vision.model import Rows

D, A = FEATURES.index("d_eq_mm"), FEATURES.index("area_mm2")


def _segments(d_mm: list[float], rng: np.random.Generator) -> np.ndarray:
    """Features of segments of equivalent diameters ``d_mm`` (a few % scatter; the other
    features blank)."""
    d = np.asarray(d_mm) * np.exp(rng.normal(0, 0.03, len(d_mm)))
    x = np.zeros((len(d), len(FEATURES)), np.float32)
    x[:, D], x[:, A] = d, np.pi * d**2 / 4
    return x


def _image(fine: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One belt image: on a fine shred (40 mm pieces) 30 single pieces and 6 segments of two
    touching ones (57 mm); on a coarse shred (57 mm pieces) 30 single pieces and 6 pairs
    (80 mm). Features and pieces per segment."""
    one, two = (40.0, 57.0) if fine else (57.0, 80.0)
    return _segments([one] * 30 + [two] * 6, rng), np.r_[np.ones(30), np.full(6, 2.0)]


def test_a_segment_is_counted_by_its_size_against_its_images_pieces(
    small_model: VisionModel,
) -> None:
    """A 57 mm segment is two touching pieces on the fine-shred images and one piece on the
    coarse-shred ones. Trained on 20 images of each, the count model counts it as 2 on a
    fine-shred image and as 1 on a coarse one, so the totals of both lines come out right
    (a count model on the segment's own features alone counts it as 1.5 on both: the fine
    line 7 % short, the coarse line 9 % over)."""
    rng = np.random.default_rng(0)
    imgs = [_image(k % 2 == 0, rng) for k in range(40)]
    xc = np.vstack([x for x, _ in imgs])
    nc = np.concatenate([n for _, n in imgs])
    ci = np.repeat(np.arange(40), 36)
    rows = Rows(xc, np.array([], dtype=object), xc, nc, 0, ci=ci,
                wc=np.zeros((len(xc), len(GROUPS))), tg=np.zeros((40, len(GROUPS))),
                ug=np.zeros(40))
    onx, scale, _ = fit_counts(rows, 0)
    assert onx is not None and scale == 1.0
    model = replace(small_model, count_onnx=onx, count_scale=scale, _count_session=None)
    for fine in (True, False):
        x, n = _image(fine, np.random.default_rng(99 if fine else 98))
        c = model.pieces(x)
        merged = c[30:] if fine else c[:30]  # the 57 mm segments
        assert np.allclose(merged, 2.0 if fine else 1.0, atol=0.15), (fine, merged)
        assert abs(c.sum() / n.sum() - 1) < 0.02, (fine, c.sum(), n.sum())


def test_the_context_is_of_each_image_however_the_rows_are_stacked() -> None:
    """Rows of two images interleaved get each its own image's context: the median diameter
    (mm), the segment's over it, the area-weighted mean diameter (mm)."""
    rng = np.random.default_rng(1)
    a, b = _segments([20, 30, 40], rng), _segments([80, 100], rng)
    stacked = np.vstack([a[:1], b[:1], a[1:], b[1:]])
    image = np.array([0, 1, 0, 0, 1])
    k = count_inputs_by_image(stacked, image)
    assert k.shape == (5, len(FEATURES) + len(CONTEXT))
    assert np.allclose(k[[0, 2, 3]], count_inputs(a))
    assert np.allclose(k[[1, 4]], count_inputs(b))
    ctx = count_inputs(a)[:, len(FEATURES):]
    d = a[:, D].astype(float)
    assert np.allclose(ctx[:, 0], np.median(d), rtol=1e-6)
    assert np.allclose(ctx[:, 1], d / np.median(d), rtol=1e-6)
    assert np.allclose(ctx[:, 2], (d**3).sum() / (d**2).sum(), rtol=1e-5)
    assert count_inputs(a[:0]).shape == (0, len(FEATURES) + len(CONTEXT))
