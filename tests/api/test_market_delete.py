"""Withdrawing market offers and conditions: only the owning organisation may delete; another
organisation's record answers 404 exactly like a missing one (problem+json), the record
stays, and both routes refuse requests without credentials. Runs on SQLite and, when
JUNKAN_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"
DEMO, PARTNER = "Demo Manufacturing", "Partner Recycling"
MISSING = "f" * 32


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EX.read_text("utf-8"))
    return json.loads(json.dumps(doc, default=str))


def _problem(res: Any) -> dict[str, Any]:
    assert res.status_code == 404, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = res.json()
    return body


def test_delete_routes_need_credentials(app_client: TestClient) -> None:
    for path in ("/api/market/offers/ab12", "/api/market/conditions/ab12"):
        for headers in ({}, {"Authorization": "Bearer forged"}):
            res = app_client.delete(path, headers=headers)
            assert res.status_code == 401, (path, headers)
            assert res.headers["content-type"].startswith("application/problem+json")


def test_offer_delete_own_only(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    lots = _example()["lots"]
    mine = {**lots[4], "seller": PARTNER}
    theirs = {**lots[3], "seller": DEMO}
    res = app_client.post("/api/market/offers", json=mine, headers=partner)
    assert res.status_code == 201, res.text
    mine_id = res.json()["record"]
    res = app_client.post("/api/market/offers", json=theirs, headers=demo)
    assert res.status_code == 201, res.text
    theirs_id = res.json()["record"]

    # another organisation's offer and a missing one: the same 404, and nothing is deleted
    missing = _problem(app_client.delete(f"/api/market/offers/{MISSING}", headers=partner))
    foreign = _problem(app_client.delete(f"/api/market/offers/{theirs_id}", headers=partner))
    assert foreign == missing
    assert [o["record"] for o in app_client.get("/api/market/offers", headers=demo).json()] == [
        theirs_id
    ]

    # the owner deletes its own; a second delete is a 404 like any missing offer
    assert app_client.delete(f"/api/market/offers/{mine_id}", headers=partner).status_code == 204
    assert app_client.get("/api/market/offers", headers=partner).json() == []
    again = _problem(app_client.delete(f"/api/market/offers/{mine_id}", headers=partner))
    assert again == missing
    # the name is free again: the same lot can be offered anew
    assert app_client.post("/api/market/offers", json=mine, headers=partner).status_code == 201


def test_offer_id_is_checked_at_the_boundary(app_client: TestClient) -> None:
    _, partner = demo_tokens(app_client)
    for bad in ("NOT-HEX", "a" * 33):
        res = app_client.delete(f"/api/market/offers/{bad}", headers=partner)
        assert res.status_code == 422, bad
        assert res.headers["content-type"].startswith("application/problem+json")


def test_condition_delete_own_only_even_when_granted(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    cond = {**_example()["conditions"][1], "buyer": DEMO, "granted_to": [PARTNER]}
    res = app_client.post("/api/market/conditions", json=cond, headers=demo)
    assert res.status_code == 201, res.text
    cid = res.json()["record"]
    # granted to the partner, so it can read it, but it cannot delete it
    assert app_client.get(f"/api/market/conditions/{cid}", headers=partner).status_code == 200
    missing = _problem(app_client.delete(f"/api/market/conditions/{MISSING}", headers=partner))
    assert _problem(app_client.delete(f"/api/market/conditions/{cid}", headers=partner)) == missing
    assert app_client.get(f"/api/market/conditions/{cid}", headers=demo).status_code == 200
    assert app_client.delete(f"/api/market/conditions/{cid}", headers=demo).status_code == 204
    _problem(app_client.get(f"/api/market/conditions/{cid}", headers=demo))
