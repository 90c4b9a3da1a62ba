"""Why an item failed a criteria set, in the user's language: each failed rule has a code and
its parameters (``reasons`` in the service's grade answer), its English text unchanged word
for word (the CLI and the API say it as before), and the page's catalogues say it in English
and Japanese (``val.<code>``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from junkan import grading
from junkan.core.errors import fill_in

CATALOGUES = Path(__file__).resolve().parents[2] / "src" / "junkan" / "web" / "static" / "i18n"
SET = {
    "id": "why",
    "version": "1",
    "title": "t",
    "status": "sourced",
    "source": "s",
    "rules": [
        {"type": "range", "property": "mfr", "min": "8 g/(10 min)"},
        {"type": "enum", "attribute": "material.name", "allowed": ["PP"]},
        {"type": "certificate", "kind": "due_diligence"},
        {"type": "range", "property": "ash", "max": "3 %"},
    ],
}
ITEM = {
    "id": "a",
    "kind": "recycled_material",
    "material": {"name": "PE"},
    "properties": {"ash": {"value": "70 %"}},
    "quantity": {"mass": "1 t"},
}


def test_each_failure_has_a_code_its_english_text_unchanged() -> None:
    res = grading.grade(
        [grading.Item.model_validate(ITEM)],
        [grading.CriteriaSet.model_validate(SET)],
        as_of=date(2026, 11, 30),
    )
    (plain,) = res.to_json()["grades"]
    (row,) = res.to_json(codes=True)["grades"]
    assert "reasons" not in plain  # the CLI's JSON is as it was
    assert row["failed"] == plain["failed"]
    assert dict(zip([r["code"] for r in row["reasons"]], row["failed"], strict=True)) == {
        "grade-not-measured": "mfr: not measured",
        "grade-not-allowed": "material.name not in ['PP']",
        "grade-no-attestation": "no valid due_diligence attestation",
        "grade-outside-range": "ash = 70 wt % outside [−, 3 wt %]",
    }
    en = json.loads((CATALOGUES / "en.json").read_text("utf-8"))
    ja = json.loads((CATALOGUES / "ja.json").read_text("utf-8"))
    for text, why in zip(row["failed"], row["reasons"], strict=True):
        assert fill_in(en[f"val.{why['code']}"], why["params"]) == text
        said = fill_in(ja[f"val.{why['code']}"], why["params"])
        assert said != text and "{" not in said.replace("[", ""), said
    assert res.rows()[0] == plain  # the grading record's grades keep no codes
