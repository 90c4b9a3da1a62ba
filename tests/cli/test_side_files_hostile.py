"""Side files given by option — alloy estimates (``--estimates``), a sorter evaluation
(``--sorter``), a vision model — are read within the document limits and refused naming the
file: 10,000 levels of nesting raised RecursionError, bytes that are not UTF-8 a
UnicodeDecodeError, an empty estimates file a JSONDecodeError (tracebacks; a hostile-input
sweep, 2026-12-05)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


def _junkan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "junkan", *args], capture_output=True,
                          text=True, timeout=180)


@pytest.fixture()
def hostile(tmp_path: Path) -> dict[str, Path]:
    files = {"deep": tmp_path / "deep.json", "binary": tmp_path / "binary.json",
             "empty": tmp_path / "empty.json"}
    files["deep"].write_text("[" * 10_000 + "]" * 10_000)
    files["binary"].write_bytes(b"\x00\x99\xff{\xfe")
    files["empty"].write_text("")
    return files


@pytest.mark.parametrize("kind", ["deep", "binary", "empty"])
def test_alloy_estimates(kind: str, hostile: dict[str, Path]) -> None:
    run = _junkan("alloy", "update", str(EXAMPLES / "alloys" / "lots.yaml"), "--estimates",
                  str(hostile[kind]))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert str(hostile[kind]) in run.stderr


@pytest.mark.parametrize("kind", ["deep", "binary"])
def test_a_sorter_and_a_vision_model(kind: str, hostile: dict[str, Path]) -> None:
    for args in (["alloy", "predict", str(EXAMPLES / "alloys" / "feed.yaml"), "--sorter",
                  str(hostile[kind])],
                 ["vision", "predict", str(hostile[kind]), str(hostile["empty"])]):
        run = _junkan(*args)
        assert run.returncode in (1, 2) and "Traceback" not in run.stderr, args
        assert str(hostile[kind]) in run.stderr, args
