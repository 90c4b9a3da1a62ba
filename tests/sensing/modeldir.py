"""One directory of trained monitor models for the whole test session
(:mod:`junkan.sensing.modelcache`), shared by the xdist workers of a run (their base
temporary directory's parent) and by every server or job worker the tests start (through
``JUNKAN_SENSING_MODELS``): each model is trained once per session, the first time any test
needs it, and read from disk after that. Not kept across sessions: a run always trains."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from junkan.sensing.modelcache import ENV


def shared_model_dir(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, shared by popen-gw0, popen-gw1, ...
    d = base / "sensing-models"
    d.mkdir(exist_ok=True)
    return d


def use_shared_models(factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Body of a fixture: ``JUNKAN_SENSING_MODELS`` set to the shared directory while it
    lasts."""
    d = shared_model_dir(factory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, str(d))
        yield d
