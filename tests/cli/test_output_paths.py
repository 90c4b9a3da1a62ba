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


def test_file_outputs_check_their_path_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 239: meter export/link and sensing generate made their folders with a plain
    mkdir ('a_missing/../x' left a_missing behind) and wrote in place after the work."""
    from typer.testing import CliRunner

    from junkan.cli.main import app

    monkeypatch.chdir(tmp_path)
    factors = tmp_path / "factors.csv"
    factors.write_text("x\n")
    scenario = str(EXAMPLES / "sensing" / "jam_and_gas.yaml")
    for args in (["meter", "export", str(factors), "--out", "a1/../lib.yaml"],
                 ["meter", "link", scenario, "--factors", str(factors), "--out",
                  "a2/../m.yaml"],
                 ["sensing", "generate", scenario, "--out", "a3/../rec.csv"]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 2 and "does not exist" in res.output, (args, res.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["factors.csv"]
    res = CliRunner().invoke(app, ["sensing", "generate", scenario, "--out", "r.parquet"])
    assert res.exit_code == 0, res.output
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "r.parquet")) > 0
