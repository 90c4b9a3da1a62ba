"""``vision evaluate`` reckons the belt's time and its intervals as ``vision predict`` does,
and every image counts in its interval's count and mass errors."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

from junkan.vision import ImageMeta, RenderSpec, VisionModel, evaluate, from_frames, render, run

evaluate_mod = importlib.import_module("junkan.vision.evaluate")  # the package's name is a function

SPEC = RenderSpec(width=320, height=256, pieces=6, mm_per_px=0.8, grain_mm=40)


@pytest.fixture(scope="module")
def three() -> list:
    return [render(SPEC, seed=700 + i) for i in range(3)]


def test_evaluate_places_images_in_intervals_as_predict_does(
    small_model: VisionModel, three: list
) -> None:
    """The first and last images carry a time, the middle one none: it follows the first
    (before, evaluate put timed images at their epoch seconds and the untimed one at 0 s,
    so the set fell into intervals decades apart that predict never shows)."""
    data = from_frames(three)
    t = datetime(2026, 12, 4, 10, 0, 5, tzinfo=UTC)
    times = [t, None, t.replace(second=50)]
    for item, tm in zip(data.items, times, strict=True):
        item.meta = ImageMeta(mm_per_px=item.meta.mm_per_px, time=tm)
    doc = evaluate(small_model, data, interval_s=30.0)
    seen = run(small_model, data.items, interval_s=30.0).to_json()["intervals"]
    assert [(iv["start_s"], iv["images"]) for iv in doc["intervals"]] == [
        (iv["start_s"], iv["images"]) for iv in seen
    ] == [(0.0, 2), (30.0, 1)]


def test_every_image_counts_in_its_interval_error(small_model: VisionModel, three: list) -> None:
    """452.1 s // 3.3 s is interval 136, but 452.1 < 136 × 3.3 in floating point: the
    comparison with the interval's bounds used to leave that image out."""
    data = from_frames(three[:1])
    results, _, per_image = evaluate_mod._rows(small_model, data)
    results[0].seconds = 452.09999999999997
    errs = evaluate_mod._interval_errors(small_model, results, per_image, 3.3)
    assert [e["images"] for e in errs] == [1]
