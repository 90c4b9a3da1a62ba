"""Issue 13 through the HTTP API (SQLite and PostgreSQL): strict numbers name the field,
lot ids are scoped per organisation, and nothing about another organisation — its lots or
its name — answers differently from something missing; webhooks need a registered origin."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401

CREATE = {"type": "create", "lot": "S1", "material": "al", "mass_kg": 10, "cfp": {"total": 2}}


def _body(res: Any) -> Any:
    """An error body without the fields that name the request itself."""
    doc = res.json()
    return {k: v for k, v in doc.items() if k not in ("instance", "request_id")} \
        if isinstance(doc, dict) else doc


def test_trace_api_hardening(app_client: TestClient) -> None:  # noqa: F811
    a, b = demo_tokens(app_client)

    def post(events: list[dict[str, Any]], h: dict[str, str]) -> Any:
        return app_client.post("/api/trace/events", json={"events": events}, headers=h)

    for value, words in ((True, "boolean"), ("5", "string"), (1e308, "1e+12"),
                         (2**60, "2^53")):
        res = post([{**CREATE, "mass_kg": value}], a)
        assert res.status_code == 422 and "mass_kg" in res.text and words in res.text, res.text
    raw = ('{"events": [{"type": "create", "lot": "N", "material": "al", "mass_kg": 1e999, '
           '"cfp": {"total": Infinity}}]}')
    res = app_client.post("/api/trace/events", content=raw,
                          headers={**a, "Content-Type": "application/json"})
    assert res.status_code in (400, 422), res.text

    # the partner may use an id the demo company uses: its own namespace
    assert post([CREATE], a).status_code == 200
    assert post([{**CREATE, "cfp": {"total": 3}}], b).status_code == 200
    mine = app_client.get("/api/trace/lots/S1", headers=b).json()
    assert mine["creator"] == "Partner Recycling" and mine["cfp_kgco2e"]["total"] == 3

    # another organisation's lot, a missing lot, a missing organisation: one answer
    missing = app_client.get("/api/trace/lots/Demo Manufacturing/NOPE", headers=b)
    assert missing.status_code == 404
    for path in ("/api/trace/lots/Demo Manufacturing/DEMO-SCRAP-1",
                 "/api/trace/lots/DEMO-SCRAP-1", "/api/trace/lots/Nobody Inc/S1",
                 "/api/trace/lots/Demo Manufacturing/DEMO-SCRAP-1/genealogy"):
        res = app_client.get(path, headers=b)
        assert res.status_code == 404 and _body(res) == _body(missing), path
    grant = app_client.post("/api/trace/agreements", json={
        "grantee": "Nobody Inc", "lots": ["S1"], "fields": ["cfp"], "purpose": "x",
        "expires_at": "2099-01-01T00:00:00Z"}, headers=a)
    assert grant.status_code == 404 and _body(grant) == _body(missing)
    ship = post([{"type": "ship", "lot": "S1", "to": "Nobody Inc"}], a)
    assert ship.status_code == 404 and _body(ship) == _body(missing)
    probe = post([{"type": "receive", "lot": "Demo Manufacturing/S1"}], b)
    nothing = post([{"type": "receive", "lot": "Demo Manufacturing/NOPE"}], b)
    assert probe.status_code == nothing.status_code == 422
    assert probe.text.replace("S1", "?") == nothing.text.replace("NOPE", "?")

    # the partner holds the demo company's blend under its plain id
    blend = app_client.get("/api/trace/lots/DEMO-BLEND-1", headers=b).json()
    assert blend["creator"] == "Demo Manufacturing" and blend["lot"] == "DEMO-BLEND-1"

    # webhooks: only to an origin an administrator registered
    res = app_client.put("/api/trace/webhook", json={"url": "https://hooks.example.com/x"},
                         headers=a)
    assert res.status_code == 422 and "not registered" in res.text
