"""A model's domain rules reach the UI with their code and figures (what it translates)."""

from __future__ import annotations

import copy
import json

from fastapi.testclient import TestClient

from tests.api.conftest import login
from tests.conftest import SMALL


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
