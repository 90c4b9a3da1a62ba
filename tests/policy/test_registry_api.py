"""The stored solar-panel registry and the service-signed reuse records over HTTP (SQLite
always, PostgreSQL when JUNKAN_TEST_POSTGRES_URL is set): credentials, the caller's
organisation only, the one 404, problem+json with field paths, limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan.store.policy_repo import SolarRepo
from tests.api.conftest import (  # noqa: F401 (fixtures)
    app_client,
    database_url,
    demo_tokens,
    login,
)

PROBLEM = "application/problem+json"
REG = "/api/policy/solar/registry"
PASSWORD = "a long test passphrase 42"
X = "0" * 32
ROUTES = [
    ("GET", REG),
    ("GET", f"{REG}/roles"),
    ("GET", f"{REG}/supply?year=2030"),
    ("GET", f"{REG}/models"),
    ("POST", f"{REG}/models"),
    ("POST", f"{REG}/installations"),
    ("GET", f"{REG}/installations/{X}"),
    ("PUT", f"{REG}/installations/{X}/end-of-business"),
    ("POST", f"{REG}/installations/{X}/handovers"),
    ("POST", f"{REG}/installations/{X}/treatments"),
    ("POST", "/api/policy/reuse/sign"),
    ("GET", "/api/policy/reuse/keys/x"),
]
MODEL = {
    "name": "PV-A",
    "technology": "c-Si",
    "mass_kg": 20,
    "glass_share": 0.75,
    "substances": [{"substance": "Pb", "part": "solder ribbon", "content_wt_pct": 0.2}],
}
INSTALLATION = {
    "name": "roof-1",
    "maker": "Demo Manufacturing",
    "model": "PV-A",
    "municipality": "13101",
    "count": 100,
    "commissioned": "2010-06-01",
    "end_of_business": "2029-06-30",
    "address": "Chiyoda 1-1",
}


def test_every_registry_route_needs_credentials(app_client: TestClient) -> None:  # noqa: F811
    for method, path in ROUTES:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            res = app_client.request(method, path, headers=headers, json={})
            assert res.status_code == 401, (method, path)
            assert res.headers["content-type"].startswith(PROBLEM)


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM)
    return dict(res.json())


def test_registry_roles_404_and_checks(app_client: TestClient) -> None:  # noqa: F811
    demo, partner = demo_tokens(app_client)
    c = app_client
    assert c.post(f"{REG}/models", json=MODEL, headers=demo).status_code == 201
    bad = _problem(
        c.post(f"{REG}/models", json={**MODEL, "name": "PV-B", "mass_kg": -1}, headers=demo), 422
    )
    assert any("mass_kg" in e["path"] for e in bad["errors"])
    _problem(c.post(f"{REG}/models", json=MODEL, headers=demo), 409)
    rid = c.post(f"{REG}/installations", json=INSTALLATION, headers=demo).json()["record"]
    mine = c.get(f"{REG}?as_of=2030-04-01", headers=demo).json()
    assert [(d["name"], d["roles"], d["status"]) for d in mine["installations"]] == [
        ("roof-1", ["maker", "owner"], "overdue")
    ]
    sup = c.get(f"{REG}/supply?year=2029", headers=demo).json()
    assert sup["by_prefecture"] == {"Tokyo": "2 t"}  # 100 panels x 20 kg, none collected
    # another organisation: no role, the same 404 as a missing record
    hidden = _problem(c.get(f"{REG}/installations/{rid}", headers=partner), 404)
    missing = _problem(c.get(f"{REG}/installations/{X}", headers=partner), 404)
    assert hidden == missing
    assert c.get(REG, headers=partner).json()["installations"] == []
    assert (
        _problem(
            c.post(
                f"{REG}/installations/{rid}/handovers",
                headers=partner,
                json={
                    "to": "Partner Recycling",
                    "role": "recycler",
                    "count": 1,
                    "date": "2029-09-01",
                },
            ),
            404,
        )
        == missing
    )
    hand = {"to": "Partner Recycling", "role": "recycler", "count": 60, "date": "2025-09-01"}
    assert (
        c.post(f"{REG}/installations/{rid}/handovers", json=hand, headers=demo).status_code == 201
    )
    over = _problem(c.post(f"{REG}/installations/{rid}/handovers", json=hand, headers=demo), 422)
    assert [e["path"] for e in over["errors"]] == ["count"]
    assert over["detail"] == "the handover is invalid"
    # the recycler sees no panel counts, so no supply; the owner's is what is left
    assert c.get(f"{REG}/supply?year=2029", headers=partner).json()["by_prefecture"] == {}
    left = c.get(f"{REG}/supply?year=2029", headers=demo).json()["by_prefecture"]
    assert left == {"Tokyo": "0.8 t"}  # 40 panels not handed over x 20 kg
    seen = c.get(f"{REG}/installations/{rid}", headers=partner).json()
    assert seen["roles"] == ["recycler"] and "owner" not in seen
    assert seen["model"]["substances"][0]["content_wt_pct"] == 0.2
    treat = {
        "count": 60,
        "date": "2025-10-01",
        "method": "hot knife",
        "recovered_kg": {"glass": 850},
        "disposed_kg": 100,
    }
    _problem(c.post(f"{REG}/installations/{rid}/treatments", json=treat, headers=partner), 403)
    SolarRepo(c.app.state.store.db).grant_role("Partner Recycling", "certified_recycler", "P-1")  # type: ignore[attr-defined]
    assert c.get(f"{REG}/roles", headers=partner).json() == {"certified_recycler": "P-1"}
    heavy = _problem(
        c.post(
            f"{REG}/installations/{rid}/treatments",
            headers=partner,
            json={**treat, "recovered_kg": {"glass": 5000}},
        ),
        422,
    )
    assert [e["path"] for e in heavy["errors"]] == ["recovered_kg"]
    # dated before the panels were handed to it (2025-09-01): refused, naming the date
    early = {**treat, "date": "2025-08-15"}
    before = _problem(
        c.post(f"{REG}/installations/{rid}/treatments", json=early, headers=partner), 422
    )
    [problem] = before["errors"]
    assert problem["path"] == "date"
    assert "treated by 2025-08-15, when 0 had been handed to it" in problem["message"]
    assert (
        c.post(f"{REG}/installations/{rid}/treatments", json=treat, headers=partner).status_code
        == 201
    )
    _problem(
        c.put(
            f"{REG}/installations/{rid}/end-of-business",
            headers=partner,
            json={"end_of_business": "2040-01-01"},
        ),
        404,
    )
    assert (
        c.put(
            f"{REG}/installations/{rid}/end-of-business",
            headers=demo,
            json={"end_of_business": None},
        ).status_code
        == 204
    )
    own = c.get(f"{REG}/installations/{rid}?as_of=2030-04-01", headers=demo).json()
    assert (own["end_of_business"], own["collected"], own["treated"]) == ("2030-06-01", 60, 60)
    # as of before the handover (2025-09-01) nothing was collected, and the recycler had no role
    early = c.get(f"{REG}/installations/{rid}?as_of=2011-01-01", headers=demo).json()
    assert (early["collected"], early["treated"], early["handovers"]) == (0, 0, [])
    _problem(c.get(f"{REG}/installations/{rid}?as_of=2011-01-01", headers=partner), 404)
    # a handover dated after today is refused, naming the handover and its date
    future = {**hand, "count": 1, "date": "2099-01-01"}
    late = _problem(c.post(f"{REG}/installations/{rid}/handovers", json=future, headers=demo), 422)
    assert late["detail"] == "the handover is invalid"
    assert [e["path"] for e in late["errors"]] == ["date"]
    assert "after today" in late["errors"][0]["message"]
    page = c.get(f"{REG}?format=html&lang=en", headers=demo)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "roof-1" in page.text and "PV-A" in page.text
    _problem(c.get(f"{REG}?limit=100000", headers=demo), 422)
    _problem(c.get(f"{REG}/installations/not-an-id", headers=demo), 422)


def test_an_installation_commissioned_in_9990_does_not_break_the_views(
    app_client: TestClient,  # noqa: F811
) -> None:
    """Stored (201), then its default end of business, 20 years on, was past 9999: every view
    holding it — its owner's, its model's maker's, its municipality's — answered 500
    (review 318). It is 9999-12-31."""
    demo, _ = demo_tokens(app_client)
    c = app_client
    assert c.post(f"{REG}/models", json=MODEL, headers=demo).status_code == 201
    far = {k: v for k, v in INSTALLATION.items() if k != "end_of_business"}
    res = c.post(f"{REG}/installations", json={**far, "commissioned": "9990-01-01"},
                 headers=demo)
    assert res.status_code == 201, res.text
    for query in ("", "?as_of=9998-01-01", "?format=html&lang=ja"):
        assert c.get(f"{REG}{query}", headers=demo).status_code == 200, query
    one = c.get(f"{REG}/installations/{res.json()['record']}", headers=demo)
    assert one.status_code == 200 and one.json()["end_of_business"] == "9999-12-31"
    assert c.get(f"{REG}/supply?year=2030", headers=demo).status_code == 200


def _history() -> str:
    return yaml.safe_dump(
        {
            "kind": "reuse_history",
            "product": {"serial": "ATM-0001", "category": "ATM"},
            "records": [],
        }
    )


def test_reuse_records_signed_by_the_service(
    app_client: TestClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo, partner = demo_tokens(app_client)
    c = app_client
    c.app.state.store.create_organisation("Quiet Org")  # type: ignore[attr-defined]
    no_key = _problem(c.get("/api/policy/reuse/keys/Quiet Org", headers=demo), 404)
    nobody = _problem(c.get("/api/policy/reuse/keys/nobody", headers=demo), 404)
    assert no_key["detail"].replace("Quiet Org", "nobody") == nobody["detail"]
    rec = {
        "type": "repair",
        "by": "Demo Manufacturing",
        "at": "2026-03-01T10:00:00+09:00",
        "parts_replaced": [{"part": "bill validator"}],
        "tests": [{"name": "dispense", "value": 1000, "min": 1000}],
    }
    res = c.post(
        "/api/policy/reuse/sign", json={"history": _history(), "record": rec}, headers=demo
    )
    assert res.status_code == 200, res.text
    signed = res.json()
    key = c.get("/api/policy/reuse/keys/Demo Manufacturing", headers=demo).json()["public_key"]
    assert signed["public_key"] == key == signed["history"]["records"][0]["public_key"]
    rec2 = {
        **rec,
        "type": "grading",
        "at": "2026-03-02T10:00:00+09:00",
        "parts_replaced": [],
        "grade": {"scale": "reuse-abc", "value": "A"},
    }
    text = yaml.safe_dump(signed["history"])
    res2 = c.post("/api/policy/reuse/sign", json={"history": text, "record": rec2}, headers=demo)
    assert res2.status_code == 200, res2.text
    two = yaml.safe_dump(res2.json()["history"])
    # the buyer (another organisation) checks both records against the registered key
    read = c.post(
        "/api/policy/reuse/verify", headers=partner, json={"history": two, "registered_keys": True}
    ).json()
    assert read["valid"] and [r["check"]["key"] for r in read["records"]] == [True, True]
    forged = c.post(
        "/api/policy/reuse/verify",
        headers=partner,
        json={"history": two.replace("bill validator", "bill validatoR")},
    ).json()
    assert not forged["valid"]
    # only for one's own organisation, never pre-signed, never back in time
    for bad, path in (
        ({**rec, "by": "Partner Recycling"}, "by"),
        ({**rec, "signature": "x"}, "signature"),
        ({**rec, "at": "2020-01-01T00:00:00+09:00"}, "at"),
    ):
        p = _problem(
            c.post("/api/policy/reuse/sign", headers=demo, json={"history": two, "record": bad}),
            422,
        )
        assert [e["path"] for e in p["errors"]] == [path]
    # first signings of an organisation that has no key yet, at the same time
    _concurrent_first_signings(app_client, monkeypatch)


def _concurrent_first_signings(c: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four first signings of a new organisation at once (each has found no key before any
    stores one): all answer 200, signed with the one key the service then publishes. (Run
    at the end of the test above, whose workers have started: the race costs ~0.1 s.)"""
    from tests.policy.test_signing_key_race import CALLERS, _all_look_first

    store = c.app.state.store  # type: ignore[attr-defined]
    org = store.create_organisation("New Refurbisher")  # no key yet: it has never signed
    store.create_user(org.id, "tech@refurb.example", PASSWORD, "Tech", role="admin")
    c.cookies.clear()
    login(c, "tech@refurb.example", PASSWORD)  # a session: cheaper than a token
    through = _all_look_first(monkeypatch)
    rec = {"type": "repair", "by": "New Refurbisher", "at": "2026-03-01T10:00:00+09:00"}

    def sign(_: int) -> Any:
        return c.post("/api/policy/reuse/sign", json={"history": _history(), "record": rec})

    with ThreadPoolExecutor(CALLERS) as pool:
        answers = list(pool.map(sign, range(CALLERS)))
    assert [r.status_code for r in answers] == [200] * CALLERS, [r.text for r in answers]
    assert len(through) == CALLERS
    key = c.get("/api/policy/reuse/keys/New Refurbisher").json()
    assert {r.json()["public_key"] for r in answers} == {key["public_key"]}


@pytest.mark.parametrize("size", [2_000_001])
def test_reuse_sign_history_limit(app_client: TestClient, size: int) -> None:  # noqa: F811
    demo, _ = demo_tokens(app_client)
    res = app_client.post(
        "/api/policy/reuse/sign", headers=demo, json={"history": "x" * size, "record": {}}
    )
    _problem(res, 422)
