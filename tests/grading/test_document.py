"""A grading document: each item id once (a record and its grades are found by id)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from junkan import grading
from junkan.cli.main import app

ITEM = "{{id: {id}, kind: part, material: {{name: PP}}, quantity: {{mass: {kg} kg}}}}"


def test_grade_refuses_an_item_id_used_twice(tmp_path: Path) -> None:
    """Two lots with one id were graded and their records merged (found by a review)."""
    doc = tmp_path / "lots.yaml"
    items = [ITEM.format(id=i, kg=k) for i, k in (("a", 1), ("b", 2), ("a", 3), ("b", 4))]
    doc.write_text("criteria: [rpp-injection]\nitems:\n" + "".join(f"  - {x}\n" for x in items))
    r = CliRunner().invoke(app, ["grade", str(doc), "--format", "json"])
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "lots.yaml" in text and "'a' at items[0, 2]" in text and "'b' at items[1, 3]" in text


def test_each_record_carries_only_its_own_grades() -> None:
    """From Python, items are not a document and may share an id: each record still gets
    its own verdicts, one per criteria set, not its namesake's too."""
    low, high = (
        grading.Item.model_validate(
            {
                "id": "x",
                "kind": "recycled_material",
                "material": {"name": "PP"},
                "restricted": {"pbde_sum": f"{v} mg/kg"},
                "quantity": {"mass": "1 t"},
            }
        )
        for v in (10, 900)
    )
    records = grading.grade([low, high], ["eu-pops-articles"]).graded_items()
    assert [[g["met"] for g in r["grades"]] for r in records] == [[True], [False]]
    assert json.dumps(records)
