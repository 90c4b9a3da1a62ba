"""``junkan nature`` through typer's CliRunner (the lead registers the sub-app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.nature import app

runner = CliRunner()


@pytest.mark.slow
def test_assess_table_json_and_out(sample: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["assess", str(sample)])
    assert res.exit_code == 0, res.output
    assert "Supplier A" in res.output and "C1.1" in res.output
    res = runner.invoke(
        app,
        ["assess", str(sample), "--format", "json", "--out", str(tmp_path / "o"), "--lang", "ja"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout[res.stdout.index("{") :])
    assert [a["id"] for a in doc["areas"]] == ["A", "B", "C"]
    assert {p.name for p in (tmp_path / "o").iterdir()} == {
        "report.html",
        "result.json",
        "scenes.parquet",
    }


@pytest.mark.slow
def test_classify_writes_a_map(sample: Path, tmp_path: Path) -> None:
    import rasterio

    res = runner.invoke(
        app, ["classify", str(sample), "--map", str(tmp_path / "c.tif"), "--scene", "5"]
    )
    assert res.exit_code == 0, res.output
    assert "held-out accuracy" in res.output and "forest" in res.output
    with rasterio.open(tmp_path / "c.tif") as ds:
        classes = ds.read(1)
    assert classes.shape == (150, 150) and set(map(int, (classes.min(), classes.max()))) <= {
        1,
        2,
        3,
        4,
        5,
    }
    res = runner.invoke(app, ["classify", str(sample), "--scene", "9"])
    assert res.exit_code == 2 and "--scene" in res.output


@pytest.mark.slow
def test_report_and_sample(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sample", str(tmp_path / "s"), "--size", "120"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["report", str(tmp_path / "s" / "assessment.yaml"), "--out", str(tmp_path / "r"), "--pdf"],
    )
    assert res.exit_code == 0, res.output
    assert "Prepare" in (tmp_path / "r" / "report.html").read_text()
    assert (tmp_path / "r" / "report.pdf").read_bytes().startswith(b"%PDF")
    water = tmp_path / "s" / "water.csv"
    water.write_text(water.read_text() + "Z,surface,10,,\n")
    res = runner.invoke(app, ["assess", str(tmp_path / "s" / "assessment.yaml")])
    assert res.exit_code == 2 and "water.csv: line 6: area 'Z'" in res.output


def test_bad_input_exits_2_with_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("areas: nope.geojson\nscenes: [{path: x.tif, date: 2020-01-01}]\n")
    res = runner.invoke(app, ["assess", str(bad)])
    assert res.exit_code == 2 and "x.tif: no such file" in res.output
