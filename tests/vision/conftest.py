"""Vision fixtures: one small trained model per test session, trained by the first xdist
worker that needs it and read from disk by the others (the same document
:meth:`VisionModel.save` writes; a lock file makes the second worker wait rather than train
it again)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import cv2
import pytest

from junkan.vision import RenderSpec, VisionModel, from_frames, load, render, train


def _shared_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, shared by popen-gw0, popen-gw1, ...
    d = base / "vision-models"
    d.mkdir(exist_ok=True)
    return d


def _train_small() -> VisionModel:
    cv2.setNumThreads(1)
    frames = [
        render(RenderSpec(width=640, height=512, pieces=25, mm_per_px=0.8, grain_mm=40), seed=i)
        for i in range(16)
    ]
    return train(from_frames(frames), trees=30)


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> VisionModel:
    """A model trained on 16 small renders (fast; not for accuracy)."""
    d = _shared_dir(tmp_path_factory)
    path = d / "small.json"
    with open(d / "small.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return load(path)
        model = _train_small()
        model.save(path)
        return model
