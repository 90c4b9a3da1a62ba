"""Issue 14 through the HTTP API (SQLite and PostgreSQL): every answer about another
organisation's lot or agreement — status and body, byte for byte but for the fields that
name the request itself — is the answer about a missing one. Each probe runs before and
after the other organisation makes the lot and the agreement."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401

LATER = "2099-01-01T00:00:00Z"
MAKER = "Demo Manufacturing"


def _answer(res: Any) -> tuple[int, str]:
    doc = res.json()
    if isinstance(doc, dict):
        doc = {k: v for k, v in doc.items() if k not in ("instance", "request_id")}
    return res.status_code, json.dumps(doc, sort_keys=True)


def _events(*events: dict[str, Any]) -> dict[str, Any]:
    return {"events": list(events)}


def _probes(c: TestClient, h: dict[str, str]) -> dict[str, tuple[int, str]]:
    """What the partner is told about lot Q1 and agreements 1–3, none of them its own."""
    gets = {"show": "/api/trace/lots/Q1", "show by maker": f"/api/trace/lots/{MAKER}/Q1",
            "genealogy": "/api/trace/lots/Q1/genealogy",
            "genealogy by maker": f"/api/trace/lots/{MAKER}/Q1/genealogy?depth=2",
            "notifications": "/api/trace/notifications"}
    out = {k: _answer(c.get(p, headers=h)) for k, p in gets.items()}
    posts = {
        "grant": ("/api/trace/agreements", {"grantee": MAKER, "lots": ["Q1"],
                                            "fields": ["cfp"], "purpose": "p",
                                            "expires_at": LATER}),
        "offer": ("/api/trace/offers", {"name": "o", "lots": ["Q1"], "fields": ["cfp"]}),
        "ship": ("/api/trace/events", _events({"type": "ship", "lot": "Q1", "to": MAKER})),
        "ship by maker": ("/api/trace/events", _events(
            {"type": "ship", "lot": f"{MAKER}/Q1", "to": MAKER})),
        "receive": ("/api/trace/events", _events({"type": "receive", "lot": f"{MAKER}/Q1"})),
        "redeclare": ("/api/trace/events", _events(
            {"type": "redeclare", "lot": "Q1", "cfp": {"total": 1}})),
        "merge": ("/api/trace/events", _events(
            {"type": "merge", "lot": "M", "mass_kg": 1,
             "inputs": [{"lot": "Q1", "mass_kg": 1}]})),
    }
    out |= {k: _answer(c.post(p, json=body, headers=h)) for k, (p, body) in posts.items()}
    for n in (1, 2, 3):
        out[f"revoke {n}"] = _answer(c.delete(f"/api/trace/agreements/{n}", headers=h))
    return out


def test_another_organisations_lot_and_agreement_answer_like_missing_ones(
        app_client: TestClient) -> None:  # noqa: F811
    maker, partner = demo_tokens(app_client)
    before = _probes(app_client, partner)
    assert before["show"] == before["revoke 1"] == (404, before["show"][1])
    assert before["ship"][0] == 422  # a refused event names the rule, not the owner
    assert app_client.post("/api/trace/events", json=_events(
        {"type": "create", "lot": "Q1", "material": "al", "mass_kg": 10, "cfp": {"total": 2},
         "composition": {"Si": 7.0}},
        {"type": "redeclare", "lot": "Q1", "cfp": {"total": 3}}), headers=maker).is_success
    made = app_client.post("/api/trace/agreements", json={
        "grantee": "Partner Recycling", "lots": ["DEMO-SCRAP-1"], "fields": ["composition"],
        "purpose": "p", "expires_at": LATER}, headers=maker)
    assert made.status_code == 200 and made.json()["id"] in (1, 2, 3)
    assert app_client.get("/api/trace/lots/Q1", headers=maker).status_code == 200
    after = _probes(app_client, partner)
    assert after == before
