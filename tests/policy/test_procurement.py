"""Green-procurement criteria checked against declared data and trace lots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan import policy
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import create, ev

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy" / "procurement.yaml"


def check(
    declared: dict[str, Any], lots: list[str] | None = None, item: str = "stamp_pad"
) -> policy.Check:
    doc = {
        "kind": "procurement_check",
        "item": item,
        "product": {
            "name": "SP-1",
            "maker": "org-maker",
            "declared": declared,
            "evidence": {"refillable": "catalogue p. 12"},
            "lots": lots or [],
        },
    }
    chk = policy.load(text=json.dumps(doc))
    assert isinstance(chk, policy.Check)
    return chk


def test_declared_values_pass_and_cite_their_documents() -> None:
    res = policy.run(check({"recycled_plastic_share": 0.70, "refillable": True}))
    assert res.passed  # 0.70 meets ">= 0.70" exactly
    v = {x["criterion"]: x for x in res.verdicts}
    assert v["refillable"]["evidence"] == [{"document": "catalogue p. 12"}]
    assert v["recycled_plastic"]["note"] == "declared without cited evidence"
    assert res.to_json()["criteria_source"].startswith("https://")


@pytest.mark.parametrize(("declared", "words"), [
    ({"recycled_plastic_share": 72}, "product.declared.recycled_plastic_share: 72"),
    ({"recycled_plastic_share": -0.5}, "is not a share"),
    ({"recycled_plastics_share": 0.72},
     "product.declared.recycled_plastics_share: no criterion of this item reads "
     "'recycled_plastics_share'; did you mean 'recycled_plastic_share'?")])
def test_a_share_written_as_a_percentage_or_a_misspelt_key_is_refused(
        declared: dict[str, Any], words: str) -> None:
    """72 (for 72 %) passed '>= 0.7'; a misspelt key was only 'unknown … neither declared
    nor derivable' for the property it meant."""
    with pytest.raises(ModelError, match=words.replace("(", r"\(").replace("?", r"\?")):
        policy.run(check({**declared, "refillable": True}))


def test_the_lots_decide_and_a_wrong_declaration_is_flagged() -> None:
    lots = [
        {"lot": "L1", "mass_kg": 100.0, "recycled": {"total": 0.8}},
        {"lot": "L2", "mass_kg": 300.0, "recycled": {"total": 0.6}},
    ]
    res = policy.run(
        check({"recycled_plastic_share": 0.72, "refillable": True}, ["L1", "L2"]), lots=lots
    )
    v = {x["criterion"]: x for x in res.verdicts}["recycled_plastic"]
    assert v["value"] == pytest.approx((80 + 180) / 400)  # 0.65 < 0.70
    assert v["verdict"] == "fail" and not res.passed
    assert "declared 0.72 but the lots give 0.65" in v["note"]
    assert [e["lot"] for e in v["evidence"]] == ["L1", "L2"]


def test_missing_data_is_unknown_and_false_booleans_fail() -> None:
    res = policy.run(check({"refillable": False}))
    v = {x["criterion"]: x["verdict"] for x in res.verdicts}
    assert v == {"recycled_plastic": "unknown", "refillable": "fail"}
    with pytest.raises(ModelError, match="unknown item; known: .*stamp_pad"):
        policy.run(check({}, item="spaceships"))


OWN = {"date": "2026-12-01", "items": {"office_chair": {
    "ja": "事務用いす", "en": "Office chairs", "source": "our tender, 2026-12-01",
    "criteria": [
        {"id": "take_back", "ja": "使用済み品の回収", "en": "Take-back of used chairs",
         "property": "take_back", "op": "==", "value": True},
        {"id": "spare_parts", "ja": "補修部品の供給年数", "en": "Spare parts (years)",
         "property": "spare_parts_years", "op": ">=", "value": 7}]}}}


def test_a_criteria_set_of_ones_own_adds_items_and_criteria(tmp_path: Path) -> None:
    path = tmp_path / "criteria.yaml"
    path.write_text(json.dumps(OWN), encoding="utf-8")
    criteria = policy.read_procurement_criteria(path)
    chair = check({"take_back": True, "spare_parts_years": 5}, item="office_chair")
    res = policy.run(chair, criteria=criteria)
    v = {x["criterion"]: x["verdict"] for x in res.verdicts}
    assert v == {"take_back": "pass", "spare_parts": "fail"}
    assert res.to_json()["criteria_date"] == "2026-12-01"
    with pytest.raises(ModelError, match="unknown item"):  # not in the shipped set
        policy.run(chair)
    doc = tmp_path / "chair.json"
    doc.write_text(json.dumps({"kind": "procurement_check", "item": "office_chair", "product": {
        "name": "C-1", "maker": "org-maker", "declared": {"take_back": True,
                                                          "spare_parts_years": 8}}}))
    out = CliRunner().invoke(app, ["policy", "procure", str(doc), "--criteria", str(path),
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["passed"] is True


def test_a_bad_criteria_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "criteria.yaml"
    bad = {**OWN, "items": {"office_chair": {**OWN["items"]["office_chair"], "sorce": "x"}}}
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ModelError, match=r"criteria.yaml.*items.office_chair.sorce: unknown"):
        policy.read_procurement_criteria(path)


def test_cli_reads_the_lots_from_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trace.db'}"
    db = Database(url)
    db.migrate()
    Store(db).create_organisation("org-maker")
    at = datetime(2026, 5, 1, tzinfo=UTC)
    TraceRepo(db).ingest(
        "org-maker",
        ev(create("SP-2026-01", 100, 100, 0.9), create("SP-2026-02", 100, 100, 0.5)),
        at=at,
    )
    db.engine.dispose()
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "policy",
            "procure",
            str(EXAMPLE),
            "--database",
            url,
            "--format",
            "json",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output  # (0.9 + 0.5) / 2 = 0.70 ≥ 0.70
    doc = json.loads(r.output)
    v = next(x for x in doc["verdicts"] if x["criterion"] == "recycled_plastic")
    assert v["basis"] == "trace lots (2)" and v["value"] == pytest.approx(0.7)
    assert "declared 0.72" in v["note"]
    assert "適合" in (out / "procurement.ja.html").read_text(encoding="utf-8")
    # the declaration alone (no ledger) also passes; a failing check exits 1
    assert CliRunner().invoke(app, ["policy", "procure", str(EXAMPLE)]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("refillable: true", "refillable: false")
    )
    assert CliRunner().invoke(app, ["policy", "procure", str(bad)]).exit_code == 1
