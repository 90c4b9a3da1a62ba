from __future__ import annotations

import cv2
import pytest

from junkan.vision import RenderSpec, VisionModel, from_frames, render, train


@pytest.fixture(scope="session")
def small_model() -> VisionModel:
    """A model trained on 16 small renders (fast; not for accuracy)."""
    cv2.setNumThreads(1)
    frames = [
        render(RenderSpec(width=640, height=512, pieces=25, mm_per_px=0.8, grain_mm=40), seed=i)
        for i in range(16)
    ]
    return train(from_frames(frames), trees=30)
