"""Vision fixtures: :func:`small_model`, the small trained model of the test session, read
from the file the root conftest's ``small_vision_model_file`` trains once per run (the same
document :meth:`VisionModel.save` writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.vision import VisionModel, load


@pytest.fixture(scope="session")
def small_model(small_vision_model_file: Path) -> VisionModel:
    """A model trained on 16 small renders (fast; not for accuracy)."""
    return load(small_vision_model_file)
