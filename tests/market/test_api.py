"""The market routes: sovereignty (a condition not granted reads as a missing one), the
problem+json shape, limits, and credentials on every route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store.db import Settings

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"
DEMO, PARTNER = "Demo Manufacturing", "Partner Recycling"


@pytest.fixture
def client(tmp_path: Path) -> Any:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        yield c


def _token(client: TestClient, email: str, password: str) -> dict[str, str]:
    client.cookies.clear()
    res = client.post("/api/session", json={"email": email, "password": password})
    assert res.status_code == 200, res.text
    client.headers["X-Junkan-CSRF"] = "1"
    creds = client.post("/api/clients", json={"name": "t"}).json()
    client.cookies.clear()
    client.headers.pop("X-Junkan-CSRF", None)
    tok = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    return {"Authorization": f"Bearer {tok.json()['access_token']}"}


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EX.read_text("utf-8"))
    return json.loads(json.dumps(doc, default=str))


def test_every_market_route_needs_credentials(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/market/conditions"),
        ("POST", "/api/market/conditions"),
        ("GET", "/api/market/conditions/ab12"),
        ("GET", "/api/market/conditions/ab12/odrl"),
        ("DELETE", "/api/market/conditions/ab12"),
        ("GET", "/api/market/offers"),
        ("POST", "/api/market/offers"),
        ("POST", "/api/market/match"),
    ]:
        res = client.request(method, path)
        assert res.status_code == 401, (method, path)
        assert res.headers["content-type"].startswith("application/problem+json")


def test_sovereignty_and_match(client: TestClient) -> None:
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    doc = _example()
    # nothing to match yet: each case under its own code, so the page says it in its language
    empty = client.post("/api/market/match", headers=seller)
    assert (empty.status_code, empty.json()["code"]) == (422, "market-no-offers")
    early = {**doc["lots"][3], "seller": PARTNER}
    assert client.post("/api/market/offers", json=early, headers=seller).status_code == 201
    none_granted = client.post("/api/market/match", headers=seller)
    assert (none_granted.status_code, none_granted.json()["code"]) == (422,
                                                                       "market-no-conditions")
    granted = {**doc["conditions"][1], "buyer": DEMO, "granted_to": [PARTNER], "min_lot": "1 t"}
    private = {**doc["conditions"][0], "buyer": DEMO, "granted_to": ["someone-else"]}
    ids = []
    for body in (granted, private):
        res = client.post("/api/market/conditions", json=body, headers=buyer)
        assert res.status_code == 201, res.text
        ids.append(res.json()["record"])
    seen = client.get("/api/market/conditions", headers=seller).json()
    assert [c["record"] for c in seen] == [ids[0]]
    missing = client.get("/api/market/conditions/" + "f" * 32, headers=seller)
    hidden = client.get(f"/api/market/conditions/{ids[1]}", headers=seller)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()  # identical to a missing one
    assert (
        client.get(f"/api/market/conditions/{ids[1]}/odrl", headers=seller).json() == missing.json()
    )
    assert client.delete(f"/api/market/conditions/{ids[0]}", headers=seller).status_code == 404
    odrl = client.get(f"/api/market/conditions/{ids[0]}/odrl", headers=seller).json()
    assert odrl["access"]["permission"][0]["action"] == "access"
    lot = {**doc["lots"][4], "seller": PARTNER}
    assert client.post("/api/market/offers", json=lot, headers=seller).status_code == 201
    res = client.post("/api/market/match", headers=seller)
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["summary"]["status"] == "optimal"
    assert {a["condition"] for a in out["assignments"]} == {granted["id"]}


def test_bad_input_is_problem_json(client: TestClient) -> None:
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    doc = _example()
    wrong_owner = {**doc["conditions"][0], "granted_to": [PARTNER]}  # buyer: alloy-maker-A
    res = client.post("/api/market/conditions", json=wrong_owner, headers=buyer)
    assert res.status_code == 422 and "buyer" in res.json()["detail"]
    bad = {**doc["conditions"][0], "buyer": DEMO, "criteria": "nope"}
    res = client.post("/api/market/conditions", json=bad, headers=buyer)
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "unknown criteria set" in json.dumps(res.json())
    res = client.get("/api/market/conditions?limit=100000", headers=buyer)
    assert res.status_code == 422


def test_partner_sees_only_itself_in_granted_to(client: TestClient) -> None:
    """Conditions are shared bilaterally: a partner never learns whom else a condition is
    granted to — not in the listing, the record, nor the ODRL access policy."""
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    partner = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    grantees = [PARTNER, "Competitor Secret KK"]
    body = {**_example()["conditions"][1], "buyer": DEMO, "granted_to": grantees}
    res = client.post("/api/market/conditions", json=body, headers=buyer)
    assert res.status_code == 201, res.text
    cid = res.json()["record"]
    listed = client.get("/api/market/conditions", headers=partner).json()
    one = client.get(f"/api/market/conditions/{cid}", headers=partner).json()
    odrl = client.get(f"/api/market/conditions/{cid}/odrl", headers=partner).json()
    assert [c["granted_to"] for c in listed] == [[PARTNER]]
    assert one["granted_to"] == [PARTNER]
    (rule,) = odrl["access"]["permission"]
    assert rule["constraint"][0]["and"][0]["rightOperand"] == [PARTNER]
    for doc in (listed, one, odrl):
        assert "Competitor Secret KK" not in json.dumps(doc)
    # the owner still sees every grantee
    own = client.get(f"/api/market/conditions/{cid}", headers=buyer).json()
    assert own["granted_to"] == grantees
    own_odrl = client.get(f"/api/market/conditions/{cid}/odrl", headers=buyer).json()
    assert own_odrl["access"]["permission"][0]["constraint"][0]["and"][0]["rightOperand"] == sorted(
        grantees
    )
    assert client.get("/api/market/conditions", headers=buyer).json()[0]["granted_to"] == grantees
