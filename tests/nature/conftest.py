"""A generated sample (150 × 150 px, six annual scenes) shared by the nature tests."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("rioxarray", reason="needs the 'nature' extra")

SIZE = 150


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from junkan.nature import write_sample

    return write_sample(tmp_path_factory.mktemp("nature-sample"), size=SIZE, seed=0)


@pytest.fixture(scope="session")
def result(sample: Path):  # type: ignore[no-untyped-def]
    from junkan import nature

    return nature.run(nature.load(sample))
