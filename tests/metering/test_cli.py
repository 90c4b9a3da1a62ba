"""``junkan meter generate|import|segment|factors|export``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import ROOT

pytest.importorskip("ruptures")
runner = CliRunner()


@pytest.mark.slow
def test_meter_commands_end_to_end(tmp_path: Path) -> None:
    day = tmp_path / "day"
    r = runner.invoke(app, ["meter", "generate", "--out", str(day), "--units", "4"])
    assert r.exit_code == 0, r.output
    args = [str(day / "readings.csv"), "--circuits", str(day / "circuits.yaml")]
    r = runner.invoke(
        app, ["meter", "import", *args, "--out", str(tmp_path / "imp"), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["quarantined"] == 0 and set(doc["circuits"]) == {"press_line", "cutter", "demag"}
    assert (tmp_path / "imp" / "samples.parquet").exists()
    r = runner.invoke(
        app,
        [
            "meter",
            "segment",
            *args,
            "--scans",
            str(day / "scans.csv"),
            "--out",
            str(tmp_path / "seg"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "demagnetising" in r.stdout
    r = runner.invoke(
        app,
        [
            "meter",
            "factors",
            *args,
            "--scans",
            str(day / "scans.csv"),
            "--out",
            str(tmp_path / "fac"),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert {row["step"] for row in json.loads(r.stdout)} == {
        "rotor_removal",
        "coil_extraction",
        "case_cutting",
        "demagnetising",
    }
    lib = tmp_path / "lib.yaml"
    r = runner.invoke(
        app, ["meter", "export", str(tmp_path / "fac" / "factors.csv"), "--out", str(lib)]
    )
    assert r.exit_code == 0, r.output
    assert len(yaml.safe_load(lib.read_text("utf-8"))["processes"]) == 8  # 2 models × 4 steps


def test_meter_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    circuits = tmp_path / "c.yaml"
    circuits.write_text("circuits: {a: {phases: 1}}\n")
    readings = tmp_path / "r.csv"
    readings.write_text("time,circuit,amps\n0,a,1\n")
    r = runner.invoke(
        app, ["meter", "import", str(readings), "-c", str(circuits), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2
    assert "r.csv: missing column(s): current_a" in r.output
    assert not (tmp_path / "o").exists()


def test_example_files_give_the_hand_computed_factors(tmp_path: Path) -> None:
    ex = Path(__file__).resolve().parents[2] / "src/junkan/data/examples/metering"
    r = runner.invoke(
        app,
        [
            "meter",
            "factors",
            str(ex / "readings.csv"),
            "-c",
            str(ex / "circuits.yaml"),
            "--scans",
            str(ex / "scans.csv"),
            "--out",
            str(tmp_path / "o"),
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    got = {row["step"]: row["kwh_mean"] for row in json.loads(r.stdout)}
    # rotor 1200 W × 60 s, coil 3600 W × 90 s, cutting 4200 W × 60 s (the cutter's clock +2 s
    # and its 5-s dropout are corrected and bridged)
    assert got == pytest.approx(
        {"rotor_removal": 0.02, "coil_extraction": 0.09, "case_cutting": 0.07}, rel=0.01
    )
    summary = json.loads((tmp_path / "o" / "summary.json").read_text("utf-8"))
    assert "power_factor" in summary["import"]["circuits"]["press_line"]["assumptions"]
    assert summary["import"]["circuits"]["cutter"]["assumptions"] == {}


@pytest.mark.parametrize("which", ["readings", "scans"])
def test_a_row_wider_than_its_header_is_named_by_its_line(tmp_path: Path, which: str) -> None:
    """Before: when every scan row had one cell too many, pandas took the first column as the
    index and the error blamed the shifted cell ("line 2: step: '50' is on no circuit")."""
    ex = ROOT / "examples" / "metering"
    files = {name: tmp_path / f"{name}.csv" for name in ("readings", "scans")}
    for name, path in files.items():
        lines = (ex / f"{name}.csv").read_text("utf-8").splitlines()
        if name == which:
            lines[1:] = [line + ",extra" for line in lines[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["meter", "factors", str(files["readings"]), "-c",
                            str(ex / "circuits.yaml"), "--scans", str(files["scans"]),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    header = (ex / f"{which}.csv").read_text("utf-8").splitlines()[0].count(",") + 1
    assert f"{which}.csv: line 2: {header + 1} cells where the header has {header}" in \
        " ".join(r.output.split())
    assert not (tmp_path / "o").exists()
