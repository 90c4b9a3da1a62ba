"""junkan passport export|import: a grading document's records as AAS files and back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from junkan import grading
from junkan.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "market" / "grade.yaml"


def test_export_then_import_gives_the_graded_record(tmp_path: Path) -> None:
    out = tmp_path / "aas"
    res = CliRunner().invoke(app, ["passport", "export", str(EXAMPLE), "--out", str(out),
                                   "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "rpp-17.aas.json", "soil-A.aas.json", "twitch-3.aas.json"]
    back = CliRunner().invoke(app, ["passport", "import", str(out / "soil-A.aas.json")])
    assert back.exit_code == 0, back.output
    record = json.loads(back.output)
    graded = grading.run(grading.load(EXAMPLE)).graded_items()
    want = next(r for r in graded if r["id"] == "soil-A")
    assert record["properties"] == want["properties"]
    assert {g.get("class") for g in record["grades"]} >= {"soil-class-3"}


def test_a_file_that_is_no_passport_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": 1}')
    res = CliRunner().invoke(app, ["passport", "import", str(bad)])
    assert res.exit_code == 2 and "no junkan grading submodel" in res.output
