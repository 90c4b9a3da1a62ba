"""``junkan nature`` through typer's CliRunner (the lead registers the sub-app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.nature import app
from junkan.cli.out_record import RECORD

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
        "plotly.min.js",  # the report's charts draw with it, offline
        "result.json",
        "scenes.parquet",
        RECORD,  # the files it wrote: a note put beside them stops the next run at once
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


@pytest.mark.slow
def test_flood_map_writes_the_map_and_the_area_table(sample: Path, tmp_path: Path) -> None:
    import csv

    import numpy as np
    import rasterio

    from junkan.nature import inundation as inu
    from junkan.nature import sample as smp
    from tests.nature.test_water_flood import PX_KM2, _truth

    out = tmp_path / "flood"
    res = runner.invoke(app, ["flood-map", str(sample), "--out", str(out), "--scene", "3"])
    assert res.exit_code == 0, res.output
    assert "flooding per area" in res.output and "wrote" in res.output
    with rasterio.open(out / "flood.tif") as ds:
        got = ds.read(1)
        assert ds.nodata == 0 and got.shape == (150, 150)
    # per pixel against the generated truth of scene 3 and the reference scene 0
    maps = smp.class_maps(150, 0)
    water = list(smp.signatures()["classes"]).index("water") + 1
    w0, w3 = maps[0] == water, maps[3] == water
    want = np.full(got.shape, inu.CODES["dry"])
    want[w0 & w3], want[~w0 & w3], want[w0 & ~w3] = (
        inu.CODES["permanent"],
        inu.CODES["flooded"],
        inu.CODES["receded"],
    )
    assert (want == inu.CODES["flooded"]).sum() > 20 and (got == want).mean() > 0.998
    # per area: the flooded km² of the truth, inside the table's range
    truth = _truth(sample)
    rows = list(csv.DictReader((out / "flood_areas.csv").open()))
    assert [r["area"] for r in rows] == sorted(truth) and {r["date"] for r in rows} == {
        "2022-06-15"
    }
    for r in rows:
        fl = truth[r["area"]][3][0]
        assert float(r["flooded_km2"]) == pytest.approx(fl, abs=6 * PX_KM2)
        assert (
            float(r["flooded_low_km2"]) - 6 * PX_KM2
            <= fl
            <= float(r["flooded_high_km2"]) + 6 * PX_KM2
        )
    res = runner.invoke(app, ["flood-map", str(sample), "--out", str(out), "--scene", "0"])
    assert res.exit_code == 2 and "flood reference scene" in res.output
