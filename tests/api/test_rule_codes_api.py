"""A model's domain rules reach the UI with their code and figures (what it translates)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens, login
from tests.conftest import SMALL

MARKET = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def test_the_service_answers_with_the_rule(app_client: TestClient) -> None:
    """The 422 of a validation carries each domain rule as ``type`` and the figures its
    message quotes as ``ctx``; a scenario's problem keeps its rule and names the scenario
    in ``ctx`` (the page adds "in scenario …" in its language)."""
    login(app_client)
    doc = copy.deepcopy(SMALL)
    doc["processes"]["assembly"]["actor"] = "nobody"
    doc["scenarios"] = {"low": {"set": {"products.widget.eol.uncollected": {"landfill": 0.4}}}}
    r = app_client.post("/api/validate", content=json.dumps(doc).encode(),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    actor = next(e for e in errors if e["path"] == "processes.assembly.actor")
    assert actor["type"] == "unknown-actor"
    assert actor["ctx"] == {"name": "'nobody'", "known": "maker, recycler, supplier, waste"}
    scen = [e for e in errors if "scenario 'low'" in e["message"]]
    assert scen and all(e["ctx"]["scenario"] == "low" for e in scen), errors
    assert {e["type"] for e in scen} == {"shares-below-one"}, errors


def test_an_unreadable_quantity_answers_with_its_rule(app_client: TestClient) -> None:
    """A unit junkan does not know and a quantity it cannot read carry their rule (the page
    said them in English), a quoted ``{reason}`` as written."""
    login(app_client)
    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["bom"][1]["mass"] = "2 blorbs"
    doc["products"]["widget"]["bom"][2]["mass"] = "{reason} kg"
    r = app_client.post("/api/validate", content=json.dumps(doc).encode(),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    by_path = {e["path"]: e for e in r.json()["errors"]}
    unknown = by_path["products.widget.bom[1].mass"]
    assert unknown["type"] == "unknown-unit"
    assert unknown["ctx"] == {"name": "'blorbs'", "value": "'2 blorbs'"}
    unreadable = by_path["products.widget.bom[2].mass"]
    assert unreadable["type"] == "quantity-unreadable"
    assert unreadable["ctx"] == {"value": "'{reason} kg'",
                                 "reason": "unexpected character '{' at position 1",
                                 "reason_code": "unexpected-character", "found": "{",
                                 "position": 1}
    assert unreadable["message"].startswith("cannot read '{reason} kg' as a quantity")


def _coded(res: Any, status: int) -> dict[str, Any]:
    """The one coded field error of a problem+json answer, its message also the detail."""
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body = res.json()
    (e,) = body["errors"]
    assert e["message"] in body["detail"]
    return dict(e)


def test_refusals_outside_models_carry_their_rule_too(app_client: TestClient) -> None:
    """A record that exists already (409), a metering file refused in the worker, an alloy
    plan naming an unknown vehicle and a market form's rule: each answer lists the rule as
    ``type`` with the figures its message quotes as ``ctx`` (what the page translates)."""
    demo, _ = demo_tokens(app_client)
    lot = json.loads(json.dumps(yaml.safe_load(MARKET.read_text("utf-8")), default=str))["lots"][4]
    lot = {**lot, "seller": "Demo Manufacturing"}
    assert app_client.post("/api/market/offers", json=lot, headers=demo).status_code == 201
    e = _coded(app_client.post("/api/market/offers", json=lot, headers=demo), 409)
    assert (e["type"], e["ctx"]) == ("record-exists", {"name": repr(lot["id"])})
    model = {"name": "PV-A", "technology": "c-Si", "mass_kg": 20, "glass_share": 0.75}
    base = "/api/policy/solar/registry/models"
    assert app_client.post(base, json=model, headers=demo).status_code == 201
    e = _coded(app_client.post(base, json=model, headers=demo), 409)
    assert (e["type"], e["ctx"]) == ("model-registered-already", {"name": "'PV-A'"})
    e = _coded(app_client.post("/api/metering/run", headers=demo, json={
        "circuits": {"circuits": {"a": {"phases": 2}}}, "readings_csv": "time\n1\n"}), 422)
    assert (e["path"], e["type"], e["ctx"]) == ("circuits: circuits.a.phases",
                                                "phases-one-or-three", {"value": "2"})
    e = _coded(app_client.post("/api/alloys/plan", headers=demo, json={
        "stock": {"ghost": 3}, "buyer": "adc12_feed"}), 422)
    assert (e["path"], e["type"], e["ctx"]["names"]) == ("stock", "unknown-vehicles",
                                                         "ghost")
    cond = json.loads(json.dumps(yaml.safe_load(MARKET.read_text("utf-8")),
                                 default=str))["conditions"][0]
    cond = {**cond, "buyer": "Demo Manufacturing", "price": {"base": "-5 JPY/kg"}}
    res = app_client.post("/api/market/conditions", json=cond, headers=demo)
    assert res.status_code == 422, res.text
    (e,) = [e for e in res.json()["errors"] if e.get("type") == "base-price-negative"]
    assert e["ctx"] == {"value": "-5"}
