"""``vision.run`` (``junkan vision predict``, the service's predict) streams: an image's
pixels and segmentation (6.6 MB for a 1280 × 1024 frame) are let go once its document is
made, and only its tally — what the belt intervals need — is kept, so memory does not grow
with the images. The answer is the one the whole results gave."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pytest

from junkan import vision
from junkan.vision import ImageMeta, Item, RenderSpec, VisionModel, analyse, intervals, render
from junkan.vision import results as results_mod

META = ImageMeta(mm_per_px=0.8)


def _items() -> list[Item]:
    frame = render(RenderSpec(width=320, height=256, pieces=6, grain_mm=40), seed=7)
    belt = np.full((256, 320, 3), 60, np.uint8)
    return [Item(f"f{i}", META, pixels=frame.image if i % 2 else belt) for i in range(6)]


def test_run_lets_each_image_go_once_its_document_is_made(
        small_model: VisionModel, monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[weakref.ref[Any]] = []
    alive: list[int] = []

    def watched(*args: Any, **kw: Any) -> Any:
        alive.append(sum(r() is not None for r in held))  # earlier images' segmentations
        res = analyse(*args, **kw)
        held.append(weakref.ref(res.seg))
        return res

    monkeypatch.setattr(results_mod, "analyse", watched)
    vision.run(small_model, _items(), 0.25)
    assert alive == [0] * 6, alive  # was [0, 1, 2, 3, 4, 5]: every image held to the end


def test_the_streamed_answer_is_the_whole_results_answer(small_model: VisionModel) -> None:
    items = _items()
    got = vision.run(small_model, items, 0.25).to_json()  # 0.1 s a frame
    whole, t = [], 0.0  # the former way: every ImageResult kept, then summarised
    for it in items:
        whole.append(analyse(small_model, it.image(), it.meta, it.path, t))
        t += 256 * 0.8 / 1000 / vision.priors().camera.belt_speed_m_s
    assert got["images"] == [r.document(small_model) for r in whole]
    assert got["intervals"] == intervals(small_model, whole, 0.25)
    assert len(got["intervals"]) > 1 and sum(iv["segments"] for iv in got["intervals"]) > 0
