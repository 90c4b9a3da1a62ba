"""GET /api/trace/lots: the signed-in organisation's lots only, limits as problem+json."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens


def test_the_list_shows_only_your_lots_and_checks_its_limits(app_client: TestClient) -> None:
    a, b = demo_tokens(app_client)
    batch = {"events": [
        {"type": "create", "lot": "L1", "material": "aluminium scrap", "mass_kg": 10,
         "cfp": {"total": 2}},
        {"type": "create", "lot": "L2", "material": "copper", "mass_kg": 5, "cfp": {"total": 1}}]}
    assert app_client.post("/api/trace/events", json=batch, headers=a).status_code == 200
    mine = app_client.get("/api/trace/lots", params={"q": "l", "limit": 1}, headers=a).json()
    assert mine["total"] >= 2 and len(mine["lots"]) == 1 and mine["lots"][0]["lot"] == "L2"
    theirs = app_client.get("/api/trace/lots", params={"q": "L1"}, headers=b).json()
    assert theirs["lots"] == [] and theirs["total"] == 0
    copper = app_client.get("/api/trace/lots", params={"material": "Copper"}, headers=a).json()
    assert [d["lot"] for d in copper["lots"]] == ["L2"]
    today = app_client.get("/api/trace/lots", params={"made_from": "2000-01-01",
                                                      "made_to": "2999-12-31"}, headers=a)
    every = app_client.get("/api/trace/lots", headers=a).json()["total"]
    assert today.json()["total"] == every
    assert app_client.get("/api/trace/lots", params={"made_to": "2000-01-01"},
                          headers=a).json()["total"] == 0
    reversed_ = app_client.get("/api/trace/lots", params={"made_from": "2026-02-01",
                                                          "made_to": "2026-01-01"}, headers=a)
    assert reversed_.status_code == 422 and "made_to" in reversed_.text
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"q": "x" * 201},
                {"made_from": "2026-13-01"}, {"made_to": "yesterday"}):
        res = app_client.get("/api/trace/lots", params=bad, headers=a)
        assert res.status_code == 422, bad
        assert res.headers["content-type"].startswith("application/problem+json")
