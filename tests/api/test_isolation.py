"""Organisation B can neither list, read, run nor infer the existence of organisation A's
private model through any route: every answer is 404, the same as for a model that does not
exist."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens, wait_run

MISSING = "0" * 32


def _routes(mid: str, rid: str) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/api/models/{mid}", {}),
        ("GET", f"/api/models/{mid}?version=1", {}),
        ("GET", f"/api/models/{mid}/versions", {}),
        ("GET", f"/api/models/{mid}/compare", {}),
        ("POST", f"/api/models/{mid}/compare", {"json": {"overrides": {}}}),
        ("PUT", f"/api/models/{mid}", {"content": "name: x", "headers": {
            "Content-Type": "application/yaml"}}),
        ("DELETE", f"/api/models/{mid}", {}),
        ("POST", f"/api/models/{mid}/runs", {"json": {}}),
        ("POST", f"/api/models/{mid}/shares", {"json": {"organisation": "Partner Recycling"}}),
        ("GET", f"/api/runs/{rid}", {}),
        ("GET", f"/api/runs/{rid}/result", {}),
        ("GET", f"/api/runs/{rid}/tables/flows?format=csv", {}),
    ]


def test_other_organisation_gets_404_everywhere(app_client: TestClient) -> None:
    a, b = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    run = app_client.post(f"/api/models/{mid}/runs", headers=a, json={}).json()
    wait_run(app_client, run["id"], a)
    assert app_client.get("/api/models", headers=b).json() == []
    assert app_client.get("/api/runs", headers=b).json() == []
    for method, path, kw in _routes(mid, run["id"]):
        kw = dict(kw)
        headers = {**b, **kw.pop("headers", {})}
        real = app_client.request(method, path, headers=headers, **kw)
        fake = app_client.request(method, path.replace(mid, MISSING).replace(run["id"], MISSING),
                                  headers=headers, **kw)
        assert real.status_code == 404, (method, path, real.text)
        # indistinguishable from a model that does not exist
        assert (real.status_code, real.json()) == (fake.status_code, fake.json()), path
    # A's model is untouched
    assert app_client.get(f"/api/models/{mid}", headers=a).status_code == 200


def test_sharing_grants_read_and_run_but_not_write(app_client: TestClient) -> None:
    a, b = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    res = app_client.post(f"/api/models/{mid}/shares", headers=a,
                          json={"organisation": "Partner Recycling"})
    assert res.status_code == 201
    listed = app_client.get("/api/models", headers=b).json()
    assert [m["id"] for m in listed] == [mid] and listed[0]["owner"] is False
    run = app_client.post(f"/api/models/{mid}/runs", headers=b, json={}).json()
    assert wait_run(app_client, run["id"], b)["status"] == "succeeded"
    # the run belongs to B: A does not see it
    assert app_client.get(f"/api/runs/{run['id']}", headers=a).status_code == 404
    # B may not change or delete A's model
    assert app_client.put(f"/api/models/{mid}", headers={**b, "Content-Type": "application/yaml"},
                          content="name: x").status_code in (404, 422)
    assert app_client.delete(f"/api/models/{mid}", headers=b).status_code == 404


@pytest.mark.parametrize("org", ["No Such Org"])
def test_share_with_unknown_organisation(app_client: TestClient, org: str) -> None:
    a, _ = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    res = app_client.post(f"/api/models/{mid}/shares", headers=a, json={"organisation": org})
    missing = app_client.post("/api/models/0123/shares", headers=a, json={"organisation": org})
    # an unknown organisation reads exactly like an unknown model: names cannot be enumerated
    assert res.status_code == missing.status_code == 404
    assert res.json() == missing.json()
