"""junkan passport export|import (junkan.cli.passport): a grading document's records as AAS
files or Battery Pass documents, and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan import grading
from junkan.cli.passport import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "market" / "grade.yaml"
PACK = {
    "id": "pack 7/A",
    "kind": "used_product",
    "material": {"name": "battery", "family": "LFP"},
    "properties": {
        "rated_capacity": {"value": "280 A*h"},
        "state_of_certified_energy": {"value": "91 %"},
        "recycled_lithium_post": {"value": "6 %"},
    },
    "attributes": {"battery_category": "ev", "battery_status": "Reused"},
    "quantity": {"mass": "390 kg"},
}
SECOND_LIFE = {
    "id": "second-life-test",
    "version": "1",
    "title": "test window",
    "status": "assumption",
    "assumption_reason": "a test window, not a published one",
    "source": "test",
    "rules": [{"type": "range", "property": "state_of_certified_energy", "min": "80 %"}],
}


def test_export_then_import_gives_the_graded_record(tmp_path: Path) -> None:
    pytest.importorskip("basyx")
    out = tmp_path / "aas"
    res = CliRunner().invoke(
        app, ["export", str(EXAMPLE), "--out", str(out), "--as-of", "2026-11-30"]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "rpp-17.aas.json",
        "soil-A.aas.json",
        "twitch-3.aas.json",
    ]
    back = CliRunner().invoke(app, ["import", str(out / "soil-A.aas.json")])
    assert back.exit_code == 0, back.output
    record = json.loads(back.output)
    graded = grading.run(grading.load(EXAMPLE)).graded_items()
    want = next(r for r in graded if r["id"] == "soil-A")
    assert record["properties"] == want["properties"]
    assert {g.get("class") for g in record["grades"]} >= {"soil-class-3"}


def test_a_file_that_is_no_passport_is_named(tmp_path: Path) -> None:
    pytest.importorskip("basyx")
    bad = tmp_path / "bad.json"
    bad.write_text('{"submodels": [{"x": 1}]}')
    res = CliRunner().invoke(app, ["import", str(bad)])
    assert res.exit_code == 2 and "not a valid AAS" in res.output


def test_battery_pass_export_and_import(tmp_path: Path) -> None:
    src = tmp_path / "packs.yaml"
    src.write_text(yaml.safe_dump({"items": [PACK], "criteria": [SECOND_LIFE]}))
    out = tmp_path / "bp"
    res = CliRunner().invoke(
        app, ["export", str(src), "--out", str(out), "--format", "batterypass"]
    )
    assert res.exit_code == 0, res.output
    path = out / "pack_7_A.batterypass.json"
    doc = json.loads(path.read_text())
    assert doc["PerformanceAndDurability"]["batteryTechicalProperties"] == {"ratedCapacity": 280.0}
    assert doc["GeneralProductInformation"]["batteryStatus"] == "Reused"
    doc["GeneralProductInformation"]["warrentyPeriod"] = "--06"
    path.write_text(json.dumps(doc))
    back = CliRunner().invoke(app, ["import", str(path)])  # format detected
    assert back.exit_code == 0, back.output
    assert "GeneralProductInformation.warrentyPeriod" in back.stderr
    record = json.loads(back.stdout)
    assert record["id"] == "pack 7/A" and record["material"]["family"] == "LFP"
    assert record["properties"]["state_of_certified_energy"] == {"value": "91.0 %"}


def test_battery_pass_refusals_name_the_field(tmp_path: Path) -> None:
    bad = {**PACK, "properties": {"rated_capacity": {"value": "75 kW*h"}}}
    src = tmp_path / "packs.yaml"
    src.write_text(yaml.safe_dump({"items": [bad], "criteria": [SECOND_LIFE]}))
    res = CliRunner().invoke(
        app, ["export", str(src), "--out", str(tmp_path / "o"), "--format", "batterypass"]
    )
    assert res.exit_code == 2
    assert "properties.rated_capacity.value" in res.output and "unit" in res.output
    assert not (tmp_path / "o").exists()
    doc = tmp_path / "x.json"
    doc.write_text(
        json.dumps(
            {
                "GeneralProductInformation": {
                    "productIdentifier": "p",
                    "batteryCategory": "ev",
                    "batteryMass": 1e9,
                }
            }
        )
    )
    res = CliRunner().invoke(app, ["import", str(doc), "--format", "batterypass"])
    assert res.exit_code == 2
    assert "GeneralProductInformation.batteryMass: out of range" in res.output


def test_battery_pass_aas_export_and_import(tmp_path: Path) -> None:
    pytest.importorskip("basyx")
    src = tmp_path / "packs.yaml"
    src.write_text(yaml.safe_dump({"items": [PACK], "criteria": [SECOND_LIFE]}))
    out = tmp_path / "bp"
    res = CliRunner().invoke(
        app, ["export", str(src), "--out", str(out), "--format", "batterypass-aas"]
    )
    assert res.exit_code == 0, res.output
    path = out / "pack_7_A.batterypass.aas.json"
    doc = json.loads(path.read_text())
    assert {s["idShort"] for s in doc["submodels"]} == {
        "GeneralProductInformation",
        "MaterialComposition",
        "Circularity",
        "PerformanceAndDurability",
    }
    back = CliRunner().invoke(app, ["import", str(path)])  # detected as Battery Pass AAS
    assert back.exit_code == 0, back.output
    record = json.loads(back.stdout)
    assert record["attributes"]["battery_status"] == "Reused"
    assert record["properties"]["rated_capacity"] == {"value": "280.0 A*h"}


def test_the_shipped_pack_example_is_the_docs(tmp_path: Path) -> None:
    """docs/grading.md's Battery Pass commands, as written (a past bug, docs walk: they used
    files that did not exist)."""
    packs = EXAMPLE.with_name("packs.yaml")
    res = CliRunner().invoke(app, ["export", str(packs), "--out", str(tmp_path / "bp"),
                                   "--format", "batterypass"])
    assert res.exit_code == 0, res.output
    back = CliRunner().invoke(app, ["import", str(tmp_path / "bp" / "pack-7.batterypass.json")])
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["id"] == "pack-7"
    item = grading.load(packs).items[0]
    assert grading.from_batterypass(grading.to_batterypass(item)).id == "pack-7"
    assert grading.batterypass_unmapped(grading.to_batterypass(item)) == []
