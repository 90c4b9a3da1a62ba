"""Output paths a command cannot write: one error line naming the path, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from junkan.core.report import write_atomic

EXAMPLES = Path(__file__).parents[2] / "src" / "junkan" / "data" / "examples"


def _junkan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "junkan", *args], capture_output=True,
                          text=True, timeout=300)


def test_a_missing_folder_for_an_output_file_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "nowhere" / "g.json"
    res = _junkan("grade", str(EXAMPLES / "market" / "grade.yaml"), "--records", str(out))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert f"error {out}: No such file or directory" in res.stderr


def test_a_folder_given_as_a_report_file_is_refused_by_name(tmp_path: Path) -> None:
    res = _junkan("market", "match", str(EXAMPLES / "market" / "market.yaml"), "--report",
                  str(tmp_path))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert f"error {tmp_path}: is a folder; give a file name" in res.stderr
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_write_atomic_never_replaces_a_folder(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "kept", b"x")
    assert (tmp_path / "kept").is_dir() and len(list(tmp_path.iterdir())) == 1


def test_sensing_generate_makes_the_files_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "rec.csv"
    res = _junkan("sensing", "generate", str(EXAMPLES / "sensing" / "jam_and_gas.yaml"),
                  "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert out.is_file()
