"""The PACT host's answers under review findings 2 (host side), 5, 6 and 14: a published
footprint whose stored content no longer matches its digest is never served; bodies over
``JUNKAN_MAX_BODY_BYTES`` are refused in the PACT error shape; ``limit`` has a maximum, the
list cache is keyed by the parsed query and the per-host snapshots are bounded; unknown
paths, wrong methods, upper-case ids and a token request without ``grant_type`` answer as
PACT and OAuth ask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import text

from junkan.api.pact import create_pact_app
from junkan.api.pact_snapshot import HOSTS_PER_ORG
from junkan.core.limits import override_limits
from junkan.store.db import Database, Settings
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.trace.events import Event

EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[Event])


def _lots(n: int) -> list[Any]:
    return EVENTS.validate_python([
        {"type": "create", "lot": f"L{i}", "material": "aluminium", "mass_kg": 100,
         "cfp": {"total": 200 + i}} for i in range(n)])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A store with one organisation of three lots, its bearer token and the app."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    db = Database(url)
    db.migrate()
    store = Store(db)
    org = store.create_organisation("org-H")
    user = store.create_user(org.id, "h@example.org", "pw-123456789", "h")
    creds = store.create_client(user.id, "pact")
    TraceRepo(db).ingest("org-H", _lots(3))
    tok = store.issue_token(user.id, "bearer", 600)
    yield {"url": url, "db": db, "repo": TraceRepo(db), "hdr": {"Authorization": f"Bearer {tok}"},
           "creds": creds, "org": org.id}
    db.engine.dispose()


def test_a_tampered_published_footprint_is_never_served(site: dict[str, Any]) -> None:
    """Finding 2: editing a published version's content in the database (its digest left
    as it was) must not change what partners get: that version is left out, the others
    are served with the values they had."""
    hdr = {**site["hdr"]}
    with TestClient(create_pact_app(Settings(database_url=site["url"]))) as c:
        first = {pf["id"]: pf for pf in c.get("/3/footprints", headers=hdr).json()["data"]}
        site["repo"].ingest("org-H", EVENTS.validate_python([
            {"type": "redeclare", "lot": "L0", "cfp": {"total": 300}}]))
        now = c.get("/3/footprints", headers=hdr).json()["data"]
        assert len(now) == 4
    active = next(pf for pf in now if pf.get("precedingPfIds"))
    old_id = active["precedingPfIds"][0]
    with site["db"].engine.begin() as conn:  # change the Active one and an untouched lot's
        conn.execute(text(
            "UPDATE trace_pact_versions SET content = replace(content, '\"pcfIncluding"
            "BiogenicUptake\":\"3\"', '\"pcfIncludingBiogenicUptake\":\"0.02\"') "
            "WHERE id = :a"), {"a": active["id"]})
        other = next(i for i in first if i != old_id)
        conn.execute(text("UPDATE trace_pact_versions SET content = content || ' ' "
                          "WHERE id = :o"), {"o": other})
    with TestClient(create_pact_app(Settings(database_url=site["url"]))) as c:
        served = {pf["id"]: pf for pf in c.get("/3/footprints", headers=hdr).json()["data"]}
        assert active["id"] not in served and other not in served
        assert served[old_id] == first[old_id] | {"status": "Deprecated"}
        assert len(served) == 2
        gone = c.get(f"/3/footprints/{active['id']}", headers=hdr)
        assert gone.status_code == 404 and gone.json()["code"] == "NotFound"
        assert "0.02" not in c.get("/3/footprints", headers=hdr).text


def test_bodies_over_the_limit_are_refused_in_the_pact_shape(site: dict[str, Any]) -> None:
    """Finding 5: the service's body limit (JUNKAN_MAX_BODY_BYTES), announced or streamed,
    before the events handler reads the body."""
    app = create_pact_app(Settings(database_url=site["url"], max_body_bytes=1000))
    with TestClient(app) as c:
        big = b"x" * 2000
        res = c.post("/3/events", headers=site["hdr"], content=big)
        assert res.status_code == 413
        assert res.json()["code"] == "BadRequest" and "1000 bytes" in res.json()["message"]

        def chunks() -> Iterator[bytes]:
            for _ in range(4):
                yield b"x" * 500

        res = c.post("/3/events", headers=site["hdr"], content=chunks())
        assert res.status_code == 413 and res.json()["code"] == "BadRequest"
        small = c.post("/3/events", headers=site["hdr"], content=b"x" * 10)
        assert small.status_code == 400 and small.json()["message"] == "body is not JSON"


def test_limit_has_a_maximum_and_the_cache_keys_on_the_parsed_query(
        site: dict[str, Any]) -> None:
    """Finding 6: ``limit`` above the page-size limit is served in pages of that size with
    the Link to the next; query parameters the host does not know do not make new pages."""
    app = create_pact_app(Settings(database_url=site["url"]))
    hdr = site["hdr"]
    with override_limits(pact_page_size=2), TestClient(app) as c:
        res = c.get("/3/footprints?limit=1000000", headers=hdr)
        assert res.status_code == 200 and len(res.json()["data"]) == 2
        assert "offset=2&limit=2" in res.headers["link"]
        rest = c.get("/3/footprints?offset=2&limit=2", headers=hdr).json()["data"]
        assert len(rest) == 1
        for i in range(50):
            assert c.get(f"/3/footprints?limit=5&pad={i}", headers=hdr).status_code == 200
        snap = next(iter(app.state.pact.footprints.snapshots.values()))
        assert len(snap.pages) == 2  # limit=2 at offsets 0 and 2 (the padded ones: the first)
        assert snap.pages.size <= snap.pages.budget


def test_snapshots_per_host_name_are_bounded(site: dict[str, Any]) -> None:
    """Finding 6: each Host value made a snapshot (up to 256, then all were dropped): an
    organisation keeps a few, the least recently used go, others' snapshots stay."""
    app = create_pact_app(Settings(database_url=site["url"]))
    snapshots = app.state.pact.footprints.snapshots
    with TestClient(app, base_url="https://pact.example") as c:
        assert c.get("/3/footprints", headers=site["hdr"]).status_code == 200
        snapshots[("another-org", "https://pact.example")] = next(iter(snapshots.values()))
        for i in range(20):
            res = c.get("/3/footprints", headers={**site["hdr"], "Host": f"h{i}.example"})
            assert res.status_code == 200
        mine = [k for k in snapshots if k[0] == site["org"]]
        assert len(mine) == HOSTS_PER_ORG and ("another-org", "https://pact.example") in snapshots
        assert any(k[1].endswith("//h19.example") for k in mine)


def test_pact_errors_ids_and_token_requests(site: dict[str, Any]) -> None:
    """Finding 14: unknown paths and wrong methods in the PACT shape; ids without case;
    a token request without grant_type is invalid_request (RFC 6749 §5.2)."""
    with TestClient(create_pact_app(Settings(database_url=site["url"]))) as c:
        hdr = site["hdr"]
        nowhere = c.get("/nowhere", headers=hdr)
        assert nowhere.status_code == 404 and nowhere.json()["code"] == "NotFound"
        assert set(nowhere.json()) == {"code", "message"}
        wrong = c.delete("/3/footprints", headers=hdr)
        assert wrong.status_code == 405 and wrong.json()["code"] == "BadRequest"
        assert "GET" in wrong.headers["allow"]
        pf = c.get("/3/footprints", headers=hdr).json()["data"][0]
        upper = c.get(f"/3/footprints/{pf['id'].upper()}", headers=hdr)
        assert upper.status_code == 200 and upper.json()["data"]["id"] == pf["id"]
        twice = {"grant_type": ["client_credentials", "client_credentials"]}
        for form in ({}, {"scope": "x"}, twice):
            res = c.post("/auth/token", data=form, auth=site["creds"])
            assert res.status_code == 400 and res.json()["error"] == "invalid_request"
        res = c.post("/auth/token", data={"grant_type": "password"}, auth=site["creds"])
        assert res.json()["error"] == "unsupported_grant_type"
        ok = c.post("/auth/token", data={"grant_type": "client_credentials"},
                    auth=site["creds"])
        assert ok.status_code == 200
