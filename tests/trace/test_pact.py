"""PACT v3 host: the conformance cases documented by WBCSD's pact-conformance-service
(docs/v3-test-cases-expected-results.md, cases 1–17 and 20–39, plus the Published-event UUID
check) ported to pytest, against a real HTTPS server on loopback."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from junkan.api.pact import create_pact_app, self_signed_certificate
from junkan.core.outbound import OutboundPolicy
from junkan.store.db import Database, Settings
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_chain


def _member(store: Store, org_name: str) -> Any:
    """A new organisation with one user; returns the user."""
    org = store.create_organisation(org_name)
    return store.create_user(org.id, f"{org_name}@example.org", "pw-123456789", org_name)


def _store(url: str) -> Store:
    db = Database(url)
    db.migrate()
    return Store(db)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LOOPBACK = OutboundPolicy(allow_private=True, allow_http=True)
"""The test receivers listen on loopback over HTTP: allowed only by the test settings."""


def _pid(name: str) -> str:
    """The lot id in a productId (``urn:junkan:lot:<creator organisation id>:<lot id>``)."""
    return name.rsplit(":", 1)[1]


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from tests.trace.receiver import receiver

    tmp = tmp_path_factory.mktemp("pact")
    url = f"sqlite:///{tmp / 'pact.db'}"
    db = Database(url)
    db.migrate()
    store = Store(db)
    for name in ["A", "B", "C", "D", "E", "F", "G", "Outsider"]:
        store.create_organisation(f"org-{name}")
    build_chain(TraceRepo(db))
    orgs = {o: store.organisation_by_name(o) for o in ("org-D", "org-Outsider")}
    creds = {}
    for name, org in orgs.items():
        assert org is not None
        user = store.create_user(org.id, f"{name}@example.org", "pw-123456789", name)
        creds[name] = store.create_client(user.id, "pact")
    cert, key = self_signed_certificate(str(tmp / "tls"))
    port = _free_port()
    partner = receiver("/3/events")
    callbacks = partner.__enter__()  # the registered partner's events endpoint
    app = create_pact_app(Settings(database_url=url), callback_retries=3,
                          callback_backoff_s=0.1, outbound=LOOPBACK,
                          partners={callbacks.base: {}})
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ssl_certfile=cert,
                                           ssl_keyfile=key, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"https://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, verify=ssl.create_default_context(cafile=cert),
                          timeout=10)
    yield {"base": base, "port": port, "client": client, "creds": creds, "cert": cert,
           "callbacks": callbacks}
    client.close()
    partner.__exit__(None, None, None)
    server.should_exit = True
    thread.join(timeout=10)
    db.engine.dispose()


def _token(h: dict[str, Any], org: str = "org-D") -> str:
    cid, secret = h["creds"][org]
    res = h["client"].post("/auth/token", data={"grant_type": "client_credentials"},
                           auth=(cid, secret))
    assert res.status_code == 200, res.text
    return str(res.json()["access_token"])


def _get(h: dict[str, Any], path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    return h["client"].get(path, headers={"Authorization": f"Bearer {token or _token(h)}"},
                           **kw)


def test_01_02_auth_token(host: dict[str, Any]) -> None:
    res = host["client"].post("/auth/token", data={"grant_type": "client_credentials"},
                              auth=host["creds"]["org-D"])
    assert res.status_code == 200 and res.json()["token_type"] == "Bearer"
    bad = host["client"].post("/auth/token", data={"grant_type": "client_credentials"},
                              auth=("nobody", "wrong"))
    assert bad.status_code in (400, 401) and bad.json()["error"] == "invalid_client"


def test_03_04_05_get_list_and_paginate(host: dict[str, Any]) -> None:
    tok = _token(host)
    res = _get(host, "/3/footprints", tok)
    assert res.status_code in (200, 202)
    data = res.json()["data"]
    lots = {_pid(pf["productIds"][0]) for pf in data}
    # org-D holds C and G (received) and made D; it does not see A, B, E, F
    assert lots == {"C", "G", "D"}
    d = next(pf for pf in data if _pid(pf["productIds"][0]) == "D")
    assert d["pcf"]["pcfIncludingBiogenicUptake"] == "0.2"  # 20 kg CO2e / 100 kg
    assert d["pcf"]["declaredUnitOfMeasurement"] == "kilogram"
    one = _get(host, f"/3/footprints/{d['id']}", tok)
    assert one.status_code == 200 and one.json()["data"]["id"] == d["id"]
    page = _get(host, "/3/footprints?limit=2", tok)
    assert len(page.json()["data"]) == 2
    link = page.headers["link"]
    assert link.startswith(f"<{host['base']}/3/footprints") and 'rel="next"' in link
    nxt = _get(host, link[1:link.index(">")].removeprefix(host["base"]), tok)
    assert len(nxt.json()["data"]) == 1 and "link" not in nxt.headers
    again = _get(host, "/3/footprints?limit=2", tok)  # the same set on repeat calls
    assert again.json()["data"] == page.json()["data"]


@pytest.mark.parametrize("path", ["/3/footprints", "/3/footprints/"
                                  "00000000-0000-4000-8000-000000000000"])
def test_06_07_invalid_token(host: dict[str, Any], path: str) -> None:
    res = host["client"].get(path, headers={"Authorization": "Bearer invalid-access-token"})
    assert res.status_code == 400 and res.json()["code"] == "BadRequest"


def test_08_unknown_id(host: dict[str, Any]) -> None:
    res = _get(host, "/3/footprints/non-existent-id")
    assert res.status_code == 404 and res.json()["code"] == "NotFound"


def test_sovereignty_outsider_sees_no_footprint(host: dict[str, Any]) -> None:
    tok = _token(host, "org-Outsider")
    assert _get(host, "/3/footprints", tok).json()["data"] == []
    d = _get(host, "/3/footprints").json()["data"][0]
    assert _get(host, f"/3/footprints/{d['id']}", tok).status_code == 404


@pytest.mark.parametrize("method,path", [("POST", "/auth/token"), ("GET", "/3/footprints"),
                                         ("POST", "/3/events")])
def test_09_10_11_17_plain_http_fails(host: dict[str, Any], method: str, path: str) -> None:
    with pytest.raises(httpx.HTTPError), httpx.Client(timeout=5) as plain:
        res = plain.request(method, f"http://127.0.0.1:{host['port']}{path}")
        assert "data" not in res.text and "access_token" not in res.text
        raise httpx.HTTPError("answered without TLS but gave nothing")


def _event(kind: str, data: dict[str, Any], source: str = "https://webhook.example.com"
           ) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "test-run-id-12345", "source": source,
            "time": "2023-05-19T10:30:00Z", "type": f"org.wbcsd.pact.ProductFootprint.{kind}.3",
            "data": data}


def _post_event(h: dict[str, Any], body: dict[str, Any], token: str | None = None
                ) -> httpx.Response:
    return h["client"].post("/3/events", content=json.dumps(body), headers={
        "Content-Type": "application/cloudevents+json; charset=UTF-8",
        "Authorization": f"Bearer {token or _token(h)}"})


def test_12_request_created_is_fulfilled_at_the_source(host: dict[str, Any]) -> None:
    got = host["callbacks"]  # a registered partner (by design: only partners get answers)
    d = _product_id(host, "D")
    res = _post_event(host, _event("RequestCreatedEvent", {"productId": [d], "comment":
                                                           "Please send PCF data for this "
                                                           "year."}, got.url))
    assert res.status_code == 200
    assert got.wait()
    assert got[0]["type"].endswith("RequestFulfilledEvent.3")
    assert got[0]["data"]["requestEventId"] == "test-run-id-12345"
    assert got[0]["data"]["pfs"][0]["productIds"] == [d]


def _product_id(h: dict[str, Any], lot: str) -> str:
    return str(next(pf["productIds"][0] for pf in _get(h, "/3/footprints").json()["data"]
                    if _pid(pf["productIds"][0]) == lot))


def test_13_14_15_16_40_events(host: dict[str, Any]) -> None:
    ok = [_event("RequestFulfilledEvent", {"requestEventId": "x", "pfs": []}),
          _event("RequestRejectedEvent", {"requestEventId": "x", "error": {
              "code": "NotFound", "message": "none"}}),
          _event("PublishedEvent", {"pfIds": ["123e4567-e89b-12d3-a456-426614174000"]})]
    for body in ok:
        assert _post_event(host, body).status_code == 200
    bad_token = _post_event(host, ok[2], token="invalid-access-token")
    assert bad_token.status_code == 400 and bad_token.json()["code"] == "BadRequest"
    not_uuid = _post_event(host, _event("PublishedEvent", {"pfIds": ["urn:gtin:4712345060507"]}))
    assert not_uuid.status_code == 400  # conformance case 40


def _ids(h: dict[str, Any], query: str) -> set[str]:
    res = _get(h, f"/3/footprints?{query}")
    assert res.status_code == 200, res.text
    return {_pid(pf["productIds"][0]) for pf in res.json()["data"]}


def test_20_to_29_filters(host: dict[str, Any]) -> None:
    all_ = _get(host, "/3/footprints").json()["data"]
    d = next(pf for pf in all_ if _pid(pf["productIds"][0]) == "D")
    assert _ids(host, f"productId={d['productIds'][0]}") == {"D"}
    assert _ids(host, f"companyId={d['companyIds'][0]}") == {"D"}
    assert _ids(host, "geography=JP") == {"C", "D", "G"}
    assert _ids(host, f"classification={d['productClassifications'][0]}") == {"C", "D", "G"}
    start = d["validityPeriodStart"]
    assert "D" in _ids(host, f"validOn={start}")
    assert _ids(host, "validAfter=2000-01-01T00:00:00Z") == {"C", "D", "G"}
    assert _ids(host, "validBefore=2100-01-01T00:00:00Z") == {"C", "D", "G"}
    assert _ids(host, "status=Active") == {"C", "D", "G"}
    assert _ids(host, f"status=Active&productId={_product_id(host, 'G')}") == {"G"}
    assert _ids(host, f"companyId={d['companyIds'][0]}&companyId=urn:uuid:other-company"
                      "&companyId=urn:uuid:another-company") == {"D"}


@pytest.mark.parametrize("query", [
    "productId=urn:bogus:product:nonexistent123", "companyId=urn:bogus:company:nonexistent456",
    "geography=XX", "classification=urn:bogus:classification:nonexistent789",
    "validOn=1900-01-01T00:00:00Z", "validAfter=2099-12-31T23:59:59Z",
    "validBefore=1900-01-01T00:00:00Z", "status=BogusStatusValue",
    "companyId=urn:bogus:company:5FIi8zS3&productId=urn:bogus:product:nonexistent123",
    "companyId=urn:bogus:company:nonexistent1&companyId=urn:bogus:company:nonexistent2"])
def test_30_to_39_negative_filters(host: dict[str, Any], query: str) -> None:
    assert _ids(host, query) == set()


def test_certificate_is_reused(tmp_path: Path) -> None:
    a = self_signed_certificate(str(tmp_path))
    b = self_signed_certificate(str(tmp_path))
    assert a == b and Path(a[1]).stat().st_mode & 0o077 == 0


def test_callbacks_authenticate_at_the_partner(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from junkan.api.pact import load_partners
    from tests.trace.receiver import receiver

    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = _store(url)
    cid, secret = store.create_client(_member(store, "org-X").id, "pact")
    with receiver("/3/events") as got:
        partners = {got.base: {"auth_url": f"{got.base}/auth/token", "client_id": "me",
                               "client_secret": "s3cret"}}
        app = create_pact_app(Settings(database_url=url), partners=partners,
                              callback_retries=2, callback_backoff_s=0.1, outbound=LOOPBACK)
        with TestClient(app) as c:
            tok = c.post("/auth/token", data={"grant_type": "client_credentials"},
                         auth=(cid, secret)).json()["access_token"]
            res = c.post("/3/events", content=json.dumps(_event(
                "RequestCreatedEvent", {"productId": ["urn:junkan:lot:none"]}, got.url)),
                headers={"Authorization": f"Bearer {tok}",
                         "Content-Type": "application/cloudevents+json"})
            assert res.status_code == 200
            assert got.wait()
    assert got.headers[0]["Authorization"] == "Bearer partner-token"
    assert got[0]["type"].endswith("RequestRejectedEvent.3")  # nothing matches: rejected
    bad = tmp_path / "partners.yaml"
    bad.write_text("https://partner.example: {auth_url: https://partner.example/auth/token}\n")
    with pytest.raises(ValueError, match="client_id"):
        load_partners(str(bad))
    store.db.engine.dispose()


def test_expired_token_is_told_apart(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    url = f"sqlite:///{tmp_path / 'e.db'}"
    store = _store(url)
    expired = store.issue_token(_member(store, "org-Y").id, "bearer", -10)
    with TestClient(create_pact_app(Settings(database_url=url))) as c:
        res = c.get("/3/footprints", headers={"Authorization": f"Bearer {expired}"})
        assert res.status_code == 401 and res.json()["code"] == "TokenExpired"
        res = c.get("/3/footprints", headers={"Authorization": "Bearer nonsense"})
        assert res.status_code == 400 and res.json()["code"] == "BadRequest"
    store.db.engine.dispose()


def test_cached_answers_follow_the_ledger(tmp_path: Path) -> None:
    """The host keeps encoded answers between requests; a re-declaration must still show in
    the very next list and get — as a new footprint (v3 lifecycle: new id, the old one
    Deprecated with the values it had, listed in precedingPfIds)."""
    from fastapi.testclient import TestClient
    from pydantic import TypeAdapter

    from junkan.trace.events import Event

    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = _store(url)
    tok = store.issue_token(_member(store, "org-C1").id, "bearer", 600)
    repo = TraceRepo(store.db)
    events = TypeAdapter(list[Event])
    repo.ingest("org-C1", events.validate_python([
        {"type": "create", "lot": "L1", "material": "aluminium", "mass_kg": 100,
         "cfp": {"total": 200}}]))
    hdr = {"Authorization": f"Bearer {tok}"}
    with TestClient(create_pact_app(Settings(database_url=url))) as c:
        first = c.get("/3/footprints?limit=5", headers=hdr).json()["data"]
        assert len(first) == 1 and first[0]["pcf"]["pcfIncludingBiogenicUptake"] == "2"
        repo.ingest("org-C1", events.validate_python([
            {"type": "redeclare", "lot": "L1", "cfp": {"total": 300}}]))
        again = c.get("/3/footprints?limit=5", headers=hdr).json()["data"]
        assert [pf["status"] for pf in again] == ["Active", "Deprecated"]
        assert again[0]["pcf"]["pcfIncludingBiogenicUptake"] == "3"
        assert again[0]["id"] != first[0]["id"]
        assert again[0]["precedingPfIds"] == [first[0]["id"]]
        old = c.get(f"/3/footprints/{first[0]['id']}", headers=hdr).json()["data"]
        assert old == first[0] | {"status": "Deprecated"}  # the values it had
        active = c.get("/3/footprints?status=active", headers=hdr).json()["data"]
        assert [pf["id"] for pf in active] == [again[0]["id"]]
    store.db.engine.dispose()


def test_cached_link_names_the_host_of_each_request(tmp_path: Path) -> None:
    """Two clients reach the host by different names; each page's Link must point at the
    name that client used, although the page itself is cached."""
    from fastapi.testclient import TestClient
    from pydantic import TypeAdapter

    from junkan.trace.events import Event

    url = f"sqlite:///{tmp_path / 'l.db'}"
    store = _store(url)
    tok = store.issue_token(_member(store, "org-L").id, "bearer", 600)
    TraceRepo(store.db).ingest("org-L", TypeAdapter(list[Event]).validate_python([
        {"type": "create", "lot": f"L{i}", "material": "aluminium", "mass_kg": 1,
         "cfp": {"total": 1}}
        for i in range(3)]))
    app = create_pact_app(Settings(database_url=url))
    hdr = {"Authorization": f"Bearer {tok}"}
    with TestClient(app, base_url="https://pact-a.example") as a, \
            TestClient(app, base_url="https://pact-b.example") as b:
        la = a.get("/3/footprints?limit=1", headers=hdr).headers["link"]
        lb = b.get("/3/footprints?limit=1", headers=hdr).headers["link"]
    assert la.startswith("<https://pact-a.example/3/footprints?") and 'rel="next"' in la
    assert lb.startswith("<https://pact-b.example/3/footprints?")
    store.db.engine.dispose()
