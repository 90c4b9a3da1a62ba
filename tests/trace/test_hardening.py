"""Issue 13 (platform hardening) for the lot ledger: outbound requests (webhooks, PACT
callbacks and token requests) only to registered origins at public addresses, through one
delivery worker; strict numbers and junk files; no existence oracles and lot ids scoped per
organisation; signing keys encrypted at rest, with a rotation that keeps every signature."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import string
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from junkan.core.errors import ModelError
from junkan.core.outbound import DeliveryFailed, OutboundPolicy, OutboundRefused, url_origin
from junkan.store.trace_repo import TraceError, TraceNotFound, TraceRepo
from junkan.trace.events import MAX_CFP_PER_KG, MAX_MASS_KG, Batch
from junkan.trace.formats import parse_document, validate
from junkan.trace.keystore import (
    KeyRing,
    KeyStoreError,
    master_key_problem,
    new_secret,
    public_of,
    read_key_file,
    write_key_file,
)
from tests.trace.receiver import Received, receiver
from tests.trace.test_ledger import build_chain, create, ev, ship

LOOPBACK = OutboundPolicy(allow_private=True, allow_http=True)
"""What the test setting JUNKAN_OUTBOUND_ALLOW_PRIVATE=1 (+ ALLOW_HTTP=1) allows."""
PRODUCTION = OutboundPolicy()
"""The defaults: https only, public addresses only."""


def _port(got: Received) -> int:
    return int(got.base.rsplit(":", 1)[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(cond: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


# ---- the outbound policy ------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://127.0.0.12:8080/steal", "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/", "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:a9fe:a9fe]/", "https://[::1]/hook", "https://0.0.0.0/", "https://[::]/",
    "https://192.168.1.1/", "https://172.16.0.1/", "https://100.64.0.1/", "https://224.0.0.1/",
    "https://240.0.0.1/", "https://[fe80::1]/", "https://[fc00::1]/", "https://[fec0::1]/",
    "https://[ff02::1]/", "https://[64:ff9b::7f00:1]/", "https://[2002:7f00:1::1]/",
    "https://[2001:db8::1]/"])
def test_private_and_special_addresses_are_refused(url: str) -> None:
    origin = str(url_origin(url))
    with pytest.raises(OutboundRefused, match="address"):
        PRODUCTION.post(url, b"{}", {}, allowed=[origin])


def test_every_address_a_name_resolves_to_is_checked() -> None:
    for answer in (["127.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["::ffff:169.254.169.254"],
                   ["169.254.169.254"]):
        policy = OutboundPolicy(resolver=lambda h, p, a=answer: a)  # type: ignore[misc]
        with pytest.raises(OutboundRefused, match="resolves to"):
            policy.post("https://hooks.example.com/x", b"{}", {}, ["https://hooks.example.com"])
    with pytest.raises(OutboundRefused, match="loopback"):  # 127.0.0.1 written as a number
        PRODUCTION.post("https://2130706433/x", b"{}", {}, ["https://2130706433"])


def test_only_the_exact_registered_origin_is_allowed() -> None:
    policy = OutboundPolicy(resolver=lambda h, p: ["93.184.216.34"])
    allowed = ["https://pact.partner.com"]
    for url in ("https://pact.partner.com.evil.io/3/events", "https://pact.partner.com:8443/x",
                "https://evil.io/pact.partner.com", "https://pact.partner.co/",
                "https://user@pact.partner.com/x", "https://pact.partner.com@evil.io/x"):
        with pytest.raises(OutboundRefused):
            policy.check_url(url, allowed)
    ok = policy.check_url("https://PACT.Partner.com.:443/3/events?x=1", allowed)
    assert str(ok) == "https://pact.partner.com"


def test_https_is_required_unless_development_allows_http() -> None:
    with pytest.raises(OutboundRefused, match="https"):
        PRODUCTION.check_url("http://hooks.example.com/x", ["http://hooks.example.com"])
    assert OutboundPolicy(allow_http=True).check_url(
        "http://hooks.example.com/x", ["http://hooks.example.com"])


@pytest.mark.slow
def test_the_connection_goes_to_the_checked_address() -> None:
    """No DNS-rebinding window: the name is resolved once, the address checked, and the
    request goes to that address (the name stays in the Host header)."""
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    policy = OutboundPolicy(allow_private=True, allow_http=True, resolver=resolver)
    with receiver() as got:
        origin = f"http://hooks.test:{_port(got)}"
        policy.post(f"{origin}/hook", b'{"x": 1}', {"Content-Type": "application/json"},
                    [origin])
    assert asked == ["hooks.test"] and list(got) == [{"x": 1}]
    assert got.headers[0]["Host"] == f"hooks.test:{_port(got)}"


def _dripping_server(gap_s: float) -> tuple[socket.socket, threading.Event]:
    """A loopback HTTP server that reads a request, then sends a valid answer one byte
    every ``gap_s`` seconds (each read of the client's completes well within its timeout);
    its listening socket and an event that stops it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            _read_request(conn)
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000
            for byte in answer:
                if stop.wait(gap_s):
                    return
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([byte]))

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


def test_an_answer_sent_a_byte_at_a_time_ends_at_the_attempts_timeout() -> None:
    """Review 267: the timeout bounded each read only, so a peer trickling its answer held
    the one delivery worker for as long as it liked (26 s for a timeout of 1 s)."""
    listener, stop = _dripping_server(0.1)
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    policy = OutboundPolicy(allow_private=True, allow_http=True, timeout_s=1)
    t0 = time.monotonic()
    try:
        with pytest.raises(DeliveryFailed, match="no whole answer within 1 s"):
            policy.post(f"{origin}/hook", b"{}", {}, [origin])
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - t0 < 3


def _one_answer(answer: bytes) -> socket.socket:
    """A loopback server that answers one request with ``answer`` and closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            _read_request(conn)
            conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def _read_request(conn: socket.socket) -> None:
    """Read one whole request (head and Content-Length body): closing with part of it
    unread resets the connection, and the client read a reset, not the answer (a flaky
    'Connection reset by peer' when the body came in a second segment)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


@pytest.mark.parametrize("answer,whole", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", True),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", True),
    (b"HTTP/1.0 200 OK\r\n\r\nok", False)])
def test_an_answer_read_whole_as_the_deadline_passes_stands(
        monkeypatch: pytest.MonkeyPatch, answer: bytes, whole: bool) -> None:
    """Review 277: the deadline passing between the answer's end and the timer's cancel
    failed a 2xx the peer had processed (delivered again). Forced here: the timer fires as it
    is cancelled. An answer of known length or chunked was read whole and stands; one read to
    the connection's end may have been cut short and fails."""
    from junkan.core import outbound

    class LateCutter(outbound._Cutter):
        def cancel(self) -> None:
            super().cancel()
            self.done = True

    monkeypatch.setattr(outbound, "_Cutter", LateCutter)
    listener = _one_answer(answer)
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        if whole:
            assert LOOPBACK.post(f"{origin}/h", b"{}", {}, [origin]).body == b"ok"
        else:
            with pytest.raises(DeliveryFailed, match="no whole answer"):
                LOOPBACK.post(f"{origin}/h", b"{}", {}, [origin])
    finally:
        listener.close()


@pytest.mark.slow
def test_https_to_the_checked_address_verifies_the_certificate(tmp_path: Path) -> None:
    from junkan.api.pact import self_signed_certificate

    cert, key = self_signed_certificate(str(tmp_path), ("127.0.0.1", "localhost"))
    with receiver(tls=(cert, key)) as got:
        OutboundPolicy(allow_private=True, ca_file=cert).post(got.url, b"{}", {}, [got.base])
        assert len(got) == 1
        with pytest.raises(DeliveryFailed):  # a certificate nobody vouches for
            OutboundPolicy(allow_private=True).post(got.url, b"{}", {}, [got.base])
        other = f"https://other.test:{_port(got)}"  # right address, wrong name
        with pytest.raises(DeliveryFailed):
            OutboundPolicy(allow_private=True, ca_file=cert,
                           resolver=lambda h, p: ["127.0.0.1"]).post(f"{other}/hook", b"{}",
                                                                     {}, [other])
    assert len(got) == 1


def test_the_settings_and_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLOW_PRIVATE", "ALLOW_HTTP", "CA_FILE", "TIMEOUT_S"):
        monkeypatch.delenv(f"JUNKAN_OUTBOUND_{name}", raising=False)
    default = OutboundPolicy.from_env()
    assert (default.allow_private, default.allow_http, default.timeout_s) == (False, False, 10)
    monkeypatch.setenv("JUNKAN_OUTBOUND_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("JUNKAN_OUTBOUND_ALLOW_HTTP", "1")
    test = OutboundPolicy.from_env()
    assert test.allow_private and test.allow_http


@pytest.mark.slow
def test_redirects_are_not_followed() -> None:
    with receiver(status=302) as got, pytest.raises(DeliveryFailed, match="302"):
        LOOPBACK.post(got.url, b"{}", {}, [got.base])


# ---- webhooks ------------------------------------------------------------------------------------
def test_webhook_origin_must_be_registered_for_the_organisation(repo: TraceRepo) -> None:
    repo.outbound = OutboundPolicy(resolver=lambda h, p: ["93.184.216.34"])
    with pytest.raises(TraceError, match="not registered"):
        repo.set_webhook("org-D", "https://hooks.example.com/junkan")
    assert repo.allow_webhook_origin("org-D", "HTTPS://Hooks.Example.com:443/") == \
        "https://hooks.example.com"
    repo.set_webhook("org-D", "https://hooks.example.com/junkan")
    assert repo.webhook_origins("org-D") == ["https://hooks.example.com"]
    with pytest.raises(TraceError, match="not registered"):  # org-D's registration only
        repo.set_webhook("org-E", "https://hooks.example.com/junkan")
    for bad in ("https://hooks.example.com.evil.io/junkan", "https://hooks.example.com:8443/j",
                "http://hooks.example.com/junkan", "ftp://hooks.example.com/junkan"):
        with pytest.raises(TraceError):
            repo.set_webhook("org-D", bad)
    with pytest.raises(TraceError, match="origin only"):
        repo.allow_webhook_origin("org-D", "https://hooks.example.com/some/path")
    assert repo.remove_webhook_origin("org-D", "https://hooks.example.com")
    assert repo.webhook_origins("org-D") == []


@pytest.mark.parametrize("origin", ["https://127.0.0.1:8443", "https://10.0.0.8",
                                    "https://169.254.169.254", "https://[::ffff:127.0.0.1]"])
def test_private_webhook_origins_cannot_be_registered(repo: TraceRepo, origin: str) -> None:
    repo.outbound = PRODUCTION
    with pytest.raises(TraceError, match="public addresses only"):
        repo.allow_webhook_origin("org-D", origin)


def _redeclare(repo: TraceRepo, cfp: float = 1.0) -> None:
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": cfp}}))


def _deliver_all(repo: TraceRepo, orgs: tuple[str, ...]) -> dict[str, str]:
    """Run the delivery worker in this thread until the latest notification of each of
    ``orgs`` has a final status; those statuses."""
    def final() -> bool:
        repo.deliver_pending()
        return all(not str(repo.notifications(o)[-1]["webhook"]).startswith("pending") and
                   "retrying" not in str(repo.notifications(o)[-1]["webhook"]) for o in orgs)

    assert _until(final)
    return {o: str(repo.notifications(o)[-1]["webhook"]) for o in orgs}


@pytest.mark.slow
def test_a_registered_name_resolving_to_a_private_address_gets_nothing(repo: TraceRepo) -> None:
    build_chain(repo)
    repo.webhook_retries, repo.webhook_backoff_s = 2, 0.01
    with receiver() as got:
        origin = f"http://hooks.test:{_port(got)}"
        repo.outbound = LOOPBACK  # registered where the test setting allowed it …
        repo.allow_webhook_origin("org-D", origin)
        repo.set_webhook("org-D", f"{origin}/hook")
        # … delivered under the production rule: the name now resolves to loopback
        repo.outbound = OutboundPolicy(allow_http=True, resolver=lambda h, p: ["127.0.0.1"])
        _redeclare(repo)
        assert _deliver_all(repo, ("org-D",)) == {"org-D": "delivery failed (2 attempts)"}
    assert list(got) == []


@pytest.mark.slow
def test_delivery_errors_carry_no_network_detail(repo: TraceRepo) -> None:
    """A closed port, an error answer and a refused address all read the same."""
    build_chain(repo)
    repo.outbound, repo.webhook_retries, repo.webhook_backoff_s = LOOPBACK, 2, 0.01
    closed = _free_port()
    with receiver(status=500) as failing:
        for org, url in (("org-B", f"http://127.0.0.1:{closed}/hook"), ("org-C", failing.url),
                         ("org-D", f"http://127.0.0.1:{closed}/other")):
            repo.allow_webhook_origin(org, str(url_origin(url)))
            repo.set_webhook(org, url)
        repo.remove_webhook_origin("org-D", f"http://127.0.0.1:{closed}")  # withdrawn since
        _redeclare(repo)
        statuses = _deliver_all(repo, ("org-B", "org-C", "org-D"))
    assert set(statuses.values()) == {"delivery failed (2 attempts)"}, statuses


@pytest.mark.slow
def test_one_worker_delivers_what_was_queued_before_a_restart(repo: TraceRepo) -> None:
    build_chain(repo)
    with receiver() as got:
        repo.outbound = LOOPBACK
        repo.allow_webhook_origin("org-D", got.base)
        repo.set_webhook("org-D", got.url)
        # threads are compared as sets: a thread of an earlier test that ends meanwhile (the
        # process is shared) is not one this test started
        threads = set(threading.enumerate())

        def started() -> set[threading.Thread]:
            return set(threading.enumerate()) - threads

        for cfp in range(1, 21):  # no worker runs in this process: queued only
            _redeclare(repo, cfp)
        assert not started()  # no thread per notification
        assert not got.wait(0.3)
        later = TraceRepo(repo.db, outbound=LOOPBACK)  # the service, started again
        later.start_delivery(poll_s=0.05)
        # one bounded worker; an attempt's deadline timer (core.outbound._Cutter) is no
        # worker (the fresh-clone CI at 736a1db counted the worker's first one)
        assert len([t for t in started() if not isinstance(t, threading.Timer)]) == 1
        assert _until(lambda: len(got) == 20)
        later.stop_delivery()
        assert _until(lambda: not started())  # stopped cleanly (cancelled timers end)
    notes = [n for n in repo.notifications("org-D") if n["webhook"]]
    assert len(notes) == 20 and all(n["webhook"] == "delivered (attempt 1)" for n in notes)
    assert sorted(g["id"] for g in got) == sorted(n["id"] for n in notes)


# ---- PACT callbacks ------------------------------------------------------------------------------
def _pact(tmp_path: Path, partners: dict[str, dict[str, str]], policy: OutboundPolicy = LOOPBACK,
          org: str = "org-P") -> tuple[Any, str]:
    """A PACT host app (with one lot of ``org``) and a client credential pair."""
    from junkan.api.pact import create_pact_app
    from junkan.store.db import Settings
    from tests.trace.test_pact import _member, _store

    url = f"sqlite:///{tmp_path / 'pact.db'}"
    store = _store(url)
    cid, secret = store.create_client(_member(store, org).id, "pact")
    TraceRepo(store.db).ingest(org, ev(create("L1", 10, 5)))
    app = create_pact_app(Settings(database_url=url), partners=partners, outbound=policy,
                          callback_retries=1, callback_backoff_s=0.01)
    return app, f"{cid}:{secret}"


def _request(c: Any, creds: str, source: str) -> int:
    cid, secret = creds.split(":")
    tok = c.post("/auth/token", data={"grant_type": "client_credentials"},
                 auth=(cid, secret)).json()["access_token"]
    body = {"specversion": "1.0", "id": f"req-{source[-12:]}", "source": source,
            "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
            "data": {"productId": []}}
    return int(c.post("/3/events", content=json.dumps(body), headers={
        "Authorization": f"Bearer {tok}",
        "Content-Type": "application/cloudevents+json"}).status_code)


@pytest.mark.slow
def test_pact_answers_go_to_registered_partners_only(tmp_path: Path) -> None:
    """The issue's token leak: partner http://127.0.0.1 matched http://127.0.0.12:…/steal by
    prefix and got the partner's bearer token. Origins now match exactly, and a source that
    is no partner gets nothing at all."""
    from fastapi.testclient import TestClient

    with receiver("/3/events") as partner, receiver("/steal", host="127.0.0.12") as thief, \
            receiver("/3/events") as stranger:
        cred = {"auth_url": f"{partner.base}/auth/token", "client_id": "me",
                "client_secret": "s3cret"}
        app, creds = _pact(tmp_path, {partner.base: cred, "http://127.0.0.1": cred})
        with TestClient(app) as c:
            for source in (f"http://127.0.0.12:{_port(thief)}/steal", stranger.url,
                           f"http://127.0.0.1:{_port(partner)}.evil.io/3/events",
                           f"http://127.0.0.1:{_port(stranger)}/3/events"):
                assert _request(c, creds, source) == 200  # accepted, never answered there
            assert app.state.outbox.pending() == 0
            assert _request(c, creds, partner.url) == 200  # the control: the pipe works
            assert partner.wait()
            time.sleep(0.3)
    assert list(thief) == [] and list(stranger) == [] and thief.tokens == []
    assert len(partner) == 1 and partner.headers[0]["Authorization"] == "Bearer partner-token"
    assert len(partner.tokens) == 1  # the token request went to the partner's auth_url only


@pytest.mark.slow
def test_pact_source_forms_resolve_to_the_events_endpoint(tmp_path: Path) -> None:
    """PACT v3 writes the source as //host/3/events (HTTPS); a base URL gets /3/events."""
    from fastapi.testclient import TestClient

    from junkan.api.pact import events_url, self_signed_certificate

    assert events_url("//api.example.com/3/events") == "https://api.example.com/3/events"
    assert events_url("https://api.example.com") == "https://api.example.com/3/events"
    assert events_url("https://api.example.com/pact/") == "https://api.example.com/pact/3/events"
    assert events_url("https://api.example.com/3/events") == "https://api.example.com/3/events"
    assert events_url("urn:x") is None and events_url("//") is None
    cert, key = self_signed_certificate(str(tmp_path / "tls"), ("127.0.0.1", "localhost"))
    with receiver("/3/events", tls=(cert, key)) as partner:
        app, creds = _pact(tmp_path, {partner.base: {}},
                           OutboundPolicy(allow_private=True, ca_file=cert))
        with TestClient(app) as c:
            assert _request(c, creds, f"//127.0.0.1:{_port(partner)}/3/events") == 200
            assert _request(c, creds, partner.base) == 200
            assert _until(lambda: len(partner) == 2)
    assert partner.paths == ["/3/events", "/3/events"]
    assert all(p["type"].endswith("RequestFulfilledEvent.3") for p in partner)


@pytest.mark.slow
def test_pact_callbacks_refuse_private_addresses_by_default(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    with receiver("/3/events") as partner:
        app, creds = _pact(tmp_path, {partner.base: {}}, OutboundPolicy(allow_http=True))
        with TestClient(app) as c:
            assert _request(c, creds, partner.url) == 200
            assert _until(lambda: app.state.outbox.pending() == 0)
    assert list(partner) == []


def test_partner_keys_are_origins() -> None:
    from junkan.api.pact import partner_for, partners_from

    known = partners_from({"https://pact.partner.com": {}})
    assert partner_for(known, "https://pact.partner.com/3/events") is not None
    assert partner_for(known, "https://pact.partner.com.evil.io/3/events") is None
    assert partner_for(known, "https://pact.partner.com:444/3/events") is None
    with pytest.raises(ValueError, match="origin only"):
        partners_from({"https://pact.partner.com/prefix": {}})


@pytest.mark.slow
def test_no_infinite_value_reaches_a_pact_feed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from junkan.trace.pact import NotFinite, dec

    with pytest.raises(NotFinite):
        dec(float("inf"))
    app, creds = _pact(tmp_path, {})
    repo = TraceRepo(app.state.outbox.db)
    repo.ingest("org-P", ev(create("L2", 10, 5)))
    with repo.db.engine.begin() as conn:  # a value edited into the store directly
        conn.execute(text("UPDATE trace_values SET cfp_total = :x WHERE seq = (SELECT seq "
                          "FROM trace_lots WHERE lot = 'L1')"), {"x": float("inf")})
    cid, secret = creds.split(":")
    with TestClient(app) as c:
        tok = c.post("/auth/token", data={"grant_type": "client_credentials"},
                     auth=(cid, secret)).json()["access_token"]
        res = c.get("/3/footprints", headers={"Authorization": f"Bearer {tok}"})
    assert res.status_code == 200
    assert "Infinity" not in res.text and "NaN" not in res.text
    assert [pf["productIds"][0].rsplit(":", 1)[1] for pf in res.json()["data"]] == ["L2"]


# ---- strict input ------------------------------------------------------------------------
OK = {"type": "create", "lot": "A", "material": "al", "mass_kg": 10, "cfp": {"total": 1}}


@pytest.mark.parametrize("field,value,words", [
    ("mass_kg", True, "not a boolean"), ("mass_kg", "5", "not a string"),
    ("mass_kg", float("inf"), "finite"), ("mass_kg", float("-inf"), "finite"),
    ("mass_kg", float("nan"), "finite"), ("mass_kg", 2**53, "2^53"),
    ("mass_kg", 2**64, "2^53"), ("mass_kg", 1e308, "≤ 1e+12 kg"), ("mass_kg", 0, "≥ 1e-06"),
    ("cfp.total", float("inf"), "finite"), ("cfp.total", "1", "not a string"),
    ("cfp.total", 2**60, "2^53"), ("cfp.biogenic", float("nan"), "finite"),
    ("recycled.post_consumer", True, "not a boolean"), ("composition.Si", float("nan"), "finite"),
    ("pcf.exempted_percent", 1e999, "finite")])
def test_numbers_are_strict_and_the_field_is_named(field: str, value: Any, words: str) -> None:
    bad: dict[str, Any] = json.loads(json.dumps(OK))
    *path, last = field.split(".")
    node = bad
    for p in path:
        node = node.setdefault(p, {})
    node[last] = value
    with pytest.raises(ModelError) as got:
        validate(Batch, {"events": [OK, bad]}, "batch.json", None)
    assert f"batch.json:events[1].create.{field}: " in str(got.value), str(got.value)
    assert words in str(got.value)


def test_a_biogenic_part_above_the_total_is_refused_as_a_given_fossil_part_is() -> None:
    """Review 267: ``{total: 1, biogenic: 5}`` worked out a fossil part of −4, stored and
    published as PACT ``fossilGhgEmissions`` −0.4, while ``fossil: -4`` written out was
    refused."""
    for cfp in ({"total": 1, "biogenic": 5}, {"total": 1, "fossil": -4, "biogenic": 5}):
        with pytest.raises(ModelError) as got:
            validate(Batch, {"events": [{**OK, "cfp": cfp}]}, "batch.json", None)
        assert "batch.json:events[0].create.cfp" in str(got.value), str(got.value)
    for cfp, fossil in (({"total": 5, "biogenic": 5}, 0.0), ({"total": 5, "biogenic": -2}, 7.0)):
        batch = validate(Batch, {"events": [{**OK, "cfp": cfp}]}, "batch.json", None)
        assert batch.events[0].cfp.fossil == fossil  # type: ignore[union-attr]


def test_json_text_with_infinity_and_huge_numbers_is_refused_by_field() -> None:
    doc = parse_document('{"events": [{"type": "create", "lot": "A", "material": "al", '
                         '"mass_kg": 1e999, "cfp": {"total": Infinity}}, {"type": "merge", '
                         '"lot": "B", "mass_kg": 5, "inputs": [{"lot": "A", "mass_kg": NaN}]}]}',
                         "b.json", True)
    with pytest.raises(ModelError) as got:
        validate(Batch, doc, "b.json", None)
    text_ = str(got.value)
    for where in ("events[0].create.mass_kg", "events[0].create.cfp.total",
                  "events[1].merge.inputs[0].mass_kg"):
        assert where in text_


def test_a_footprint_per_kg_and_process_emissions_are_bounded() -> None:
    with pytest.raises(ValidationError, match="per kg"):
        ev({**OK, "mass_kg": 1, "cfp": {"total": MAX_CFP_PER_KG * 2}})
    with pytest.raises(ValidationError, match="per kg"):
        ev({"type": "process", "lot": "P", "mass_kg": 1, "inputs": [{"lot": "A", "mass_kg": 1}],
            "process": {"cfp_kgco2e": 1e7}})


def test_huge_lots_cannot_make_an_infinite_footprint(repo: TraceRepo) -> None:
    """The issue's 1e308 kg lot is refused; the largest allowed lots blend to a finite CFP;
    and a value that got into the store some other way is not propagated."""
    with pytest.raises(ValidationError, match="mass_kg"):
        ev(create("H0", 1e308, 1e308))
    half, per_kg = MAX_MASS_KG / 2, MAX_CFP_PER_KG
    repo.ingest("org-A", ev(create("H1", half, half * per_kg), create("H2", half, half * per_kg),
                            {"type": "blend", "lot": "H3", "mass_kg": 2 * half, "inputs": [
                                {"lot": "H1", "mass_kg": half}, {"lot": "H2", "mass_kg": half}]}))
    assert repo.show("org-A", "H3")["cfp_kgco2e"]["total"] == pytest.approx(MAX_MASS_KG * per_kg)
    with pytest.raises(ValidationError, match="mass_kg"):  # the blend of two of them
        ev({"type": "blend", "lot": "H4", "mass_kg": 2 * MAX_MASS_KG, "inputs": [
            {"lot": "H3", "mass_kg": MAX_MASS_KG}, {"lot": "H5", "mass_kg": MAX_MASS_KG}]})
    repo.ingest("org-A", ev(create("X", 10, 5), {"type": "process", "lot": "Y", "mass_kg": 5,
                                                  "inputs": [{"lot": "X", "mass_kg": 5}]}))
    with repo.db.engine.begin() as conn:  # values edited into the store directly
        conn.execute(text("UPDATE trace_values SET cfp_total = :x WHERE seq = (SELECT seq FROM "
                          "trace_lots WHERE lot = 'H3')"), {"x": float("inf")})
        conn.execute(text("UPDATE trace_inputs SET mass_kg = 1e308 WHERE dst_seq = (SELECT seq "
                          "FROM trace_lots WHERE lot = 'Y')"))
    with pytest.raises(TraceError, match="finite"):
        repo.ingest("org-A", ev({"type": "process", "lot": "H6", "mass_kg": 1, "inputs": [
            {"lot": "H3", "mass_kg": 1}]}))
    with pytest.raises(TraceError, match="finite"):
        repo.ingest("org-A", ev({"type": "redeclare", "lot": "X", "cfp": {"total": 1e6}}))
    assert repo.show("org-A", "Y")["cfp_kgco2e"]["total"] == 2.5  # nothing written


def _junk_files(d: Path) -> dict[str, tuple[bytes, str]]:
    """File name → (content, words the error must contain)."""
    rng = random.Random(13)
    printable = "".join(rng.choices(string.printable, k=10 * 2**20)).encode()
    header = b"type,lot,material,mass_kg,cfp_total\n"
    return {
        "random.csv": (os.urandom(10 * 2**20), "not UTF-8"),
        "printable.csv": (printable, "line 1"),
        "nul.csv": (header + b"create,A,al,\x00,1\n", "NUL"),
        "inf.csv": (header + b"create,A,al,inf,1\n", "line 2: column mass_kg"),
        "huge.csv": (header + b"create,A,al,1e999,1\n", "line 2: column mass_kg"),
        "bool.csv": (header + b"create,A,al,true,1\n", "line 2: column mass_kg"),
        "big-int.csv": (header + b"create,A,al,10,99999999999999999999\n",
                        "line 2: column cfp_total: integer too large"),
        "field.csv": (header + b'create,"' + b"x" * 200_000 + b'",al,1,1\n', "line"),
        "extra.csv": (header + b"create,A,al,1,1,surplus\n", "line 2"),
        "random.json": (os.urandom(10 * 2**20), "not UTF-8"),
        "printable.json": (b"{" + printable, "invalid JSON"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        "digits.json": (b'{"events": [{"type": "create", "lot": "A", "mass_kg": 1'
                        + b"0" * 5000 + b"}]}", "invalid number"),
        "nan.json": (b'{"events": [{"type": "create", "lot": "A", "material": "al", '
                     b'"mass_kg": NaN, "cfp": {"total": 1}}]}',
                     "events[0].create.mass_kg: must be a finite number"),
        "list.json": (b"[1, 2]", "mapping with a list 'events'"),
    }


@pytest.mark.slow
def test_cli_import_of_junk_names_file_line_and_field(tmp_path: Path) -> None:
    from tests.trace.test_cli import run

    db = f"sqlite:///{tmp_path / 't.db'}"
    assert run("trace", "org", "org-A", "--database", db)[0] == 0
    for name, (content, words) in _junk_files(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(content)
        code, out = run("trace", "import", str(path), "--org", "org-A", "--database", db)
        assert code == 2, (name, out[:500])
        assert "Traceback" not in out and str(path) in out and words in out, (name, out[:500])
        assert len(out) < 10_000, name  # a few lines, not a dump


# ---- no existence oracles; ids scoped per organisation ----------------------------------------
def _error(repo: TraceRepo, org: str, batch: list[Any], ref: str) -> str:
    """The error ``org`` gets for ``batch``, with the reference it probed made anonymous."""
    with pytest.raises(TraceError) as got:
        repo.ingest(org, batch)
    return str(got.value).replace(ref, "<ref>")


PROBES: list[Callable[[str], list[Any]]] = [
    lambda r: ev({"type": "merge", "lot": "Z", "mass_kg": 1, "inputs": [{"lot": r,
                                                                       "mass_kg": 1}]}),
    lambda r: ev(ship(r, "org-D")),
    lambda r: ev({"type": "receive", "lot": r}),
    lambda r: ev({"type": "redeclare", "lot": r, "cfp": {"total": 1}}),
    lambda r: ev({"type": "split", "lot": r, "outputs": [{"lot": "Z1", "mass_kg": 1},
                                                         {"lot": "Z2", "mass_kg": 1}]}),
]


def test_a_competitor_can_neither_claim_nor_probe_lot_ids(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("X", 10, 2, composition={"Si": 7.0})))
    repo.ingest("org-B", ev(create("X", 5, 1)))  # the same id, in org-B's own namespace
    assert repo.show("org-A", "X")["creator"] == "org-A"
    assert repo.show("org-B", "X")["creator"] == "org-B"
    assert repo.show("org-B", "X")["cfp_kgco2e"]["total"] == 1
    for probe in PROBES:  # another organisation's id reads exactly like a missing one
        missing = _error(repo, "org-C", probe("Q"), "Q")
        assert _error(repo, "org-C", probe("X"), "X") == missing
        assert _error(repo, "org-C", probe("org-A/X"), "org-A/X") == missing
        assert _error(repo, "org-C", probe("org-A/Q"), "org-A/Q") == missing
        assert _error(repo, "org-C", probe("org-nobody/Q"), "org-nobody/Q") == missing
    for ref in ("X", "org-A/X", "org-A/Q", "org-nobody/X"):
        with pytest.raises(TraceNotFound) as got:
            repo.show("org-C", ref)
        assert str(got.value) == f"lot {ref!r} not found"
    with pytest.raises(TraceError, match="exists already"):  # one's own ids stay unique
        repo.ingest("org-B", ev(create("X", 1, 1)))
    assert repo.verify("org-A").ok and repo.verify("org-B").ok


def test_received_lots_keep_their_id_unless_it_is_ambiguous(repo: TraceRepo) -> None:
    build_chain(repo)  # org-B received org-A's A and org-E's E and made B from them
    repo.ingest("org-B", ev(create("A", 1, 1)))  # org-B's own A: allowed
    assert repo.show("org-B", "A")["creator"] == "org-B"  # one's own id first
    assert repo.show("org-B", "org-A/A")["creator"] == "org-A"
    assert {i["lot"] for i in repo.show("org-B", "B")["inputs"]} == {"org-A/A", "E"}
    repo.ingest("org-F", ev(create("E", 3, 1), ship("E", "org-B")))
    with pytest.raises(TraceError, match="ambiguous.*'org-E/E' or 'org-F/E'"):
        repo.ingest("org-B", ev({"type": "receive", "lot": "E"}))
    repo.ingest("org-B", ev({"type": "receive", "lot": "org-F/E"}))
    with repo.db.engine.connect() as conn:
        record = json.loads(conn.execute(text(
            "SELECT record FROM trace_events WHERE lot = 'org-F/E'")).scalar_one())
        f_id = conn.execute(text("SELECT id FROM organisations WHERE name = 'org-F'")).scalar()
    assert record["refs"] == {"org-F/E": f"{f_id}/E"}  # the signed record says which lot
    assert repo.verify("org-B").ok


def test_unknown_organisations_read_like_missing_lots(repo: TraceRepo) -> None:
    build_chain(repo)
    later = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(TraceNotFound) as org:
        repo.grant("org-A", "org-nobody", lots=["A"], fields=["cfp"], purpose="x",
                   expires_at=later)
    with pytest.raises(TraceNotFound) as lot:
        repo.show("org-A", "nothing")
    assert str(org.value) == "organisation 'org-nobody' not found"
    assert str(lot.value) == "lot 'nothing' not found"
    with pytest.raises(TraceNotFound, match="organisation 'org-nobody' not found"):
        repo.ingest("org-A", ev(create("A7", 1, 1), ship("A7", "org-nobody")))
    with pytest.raises(TraceNotFound) as none:  # no log yet: same as no organisation
        repo.checkpoint("org-Outsider")
    assert str(none.value) == "organisation 'org-Outsider' not found"
    with pytest.raises(TraceNotFound) as long_id:  # a past bug: echoed whole (browser walk)
        repo.show("org-A", "L" * 5000)
    assert len(str(long_id.value)) < 120 and "5,000 characters" in str(long_id.value)


def test_mass_balance_claims_are_per_organisation(repo: TraceRepo) -> None:
    for org in ("org-A", "org-B"):  # a claim id used to be global: org-B's M was blocked
        repo.ingest(org, ev(create("R", 100, 50, 1.0, site="s1"), {
            "type": "process", "lot": "M", "mass_kg": 50, "site": "s1", "custody":
            "mass_balance", "inputs": [{"lot": "R", "mass_kg": 50}],
            "claim": {"post_consumer": 0.5}}))
        assert repo.show(org, "M")["recycled"]["post_consumer"] == 0.5


def test_pact_ids_of_equal_lot_ids_differ(repo: TraceRepo) -> None:
    from junkan.trace.pact import footprint_id, lot_key

    repo.ingest("org-A", ev(create("X", 10, 2)))
    repo.ingest("org-B", ev(create("X", 5, 1)))
    with repo.db.engine.connect() as conn:
        keys = [lot_key(o, lot) for o, lot in conn.execute(text(
            "SELECT creator_org, lot FROM trace_lots WHERE lot = 'X'"))]
    assert len({footprint_id(k) for k in keys}) == 2


# ---- signing keys at rest ------------------------------------------------------------------
def test_signing_keys_are_encrypted_at_rest(repo: TraceRepo) -> None:
    build_chain(repo)
    with repo.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT org_id, public_key, private_key FROM trace_keys "
                                 "ORDER BY org_id")).all()
    assert len(rows) == 7
    for org_id, public, stored in rows:
        assert stored.startswith("v1:") and public_of(repo.keys.decrypt(org_id, stored)) == public
        with pytest.raises(ValueError):  # what is stored is no key
            public_of(stored)
    with pytest.raises(KeyStoreError, match="another organisation"):
        repo.keys.decrypt(rows[1][0], rows[0][2])  # a key copied to another organisation
    path = repo.db.url.split("///", 1)[-1]
    if repo.db.dialect == "sqlite":  # development: a key file next to the database, 0600
        assert Path(path + ".key").stat().st_mode & 0o777 == 0o600


def test_rotation_keeps_every_signature_verifying(repo: TraceRepo) -> None:
    build_chain(repo)
    kept = repo.checkpoint("org-A")  # a partner's witness
    old, new = repo.keys.secrets[0], new_secret()
    assert repo.rotate_master_key(old, new) == 7
    assert repo.rotate_master_key(old, new) == 0  # run again: nothing left to do
    with repo.db.engine.connect() as conn:
        kids = {k.split(":")[1] for (k,) in conn.execute(text("SELECT private_key FROM "
                                                              "trace_keys"))}
    assert kids == {KeyRing([new]).current_kid}
    fresh = TraceRepo(repo.db, keys=KeyRing([new]))
    fresh.ingest("org-A", ev(create("A2", 1, 1)))
    for org in ("org-A", "org-B", "org-C", "org-D", "org-E", "org-F", "org-G"):
        res = fresh.verify(org)
        assert res.ok, res.problems
    assert fresh.check_witness(kept)["ok"]
    stale = TraceRepo(repo.db, keys=KeyRing([old]))  # a process left on the old key only
    with pytest.raises(KeyStoreError, match="master key"):
        stale.ingest("org-A", ev(create("A3", 1, 1)))


def test_key_file_rotation_while_a_service_runs(repo: TraceRepo, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, [new_secret()])
    monkeypatch.delenv("JUNKAN_SECRET_KEY", raising=False)
    monkeypatch.setenv("JUNKAN_KEY_FILE", str(path))
    service, admin = TraceRepo(repo.db), TraceRepo(repo.db)
    service.ingest("org-A", ev(create("K1", 1, 1)))  # the service has read the key file
    res = admin.rotate_configured_key()
    assert res["reencrypted"] == 1 and res["key_file"] == str(path)
    assert len(read_key_file(path)) == 2 and path.stat().st_mode & 0o777 == 0o600
    service.ingest("org-A", ev(create("K2", 1, 1)))  # reads the file again, goes on signing
    assert admin.finish_rotation() == 1 and len(read_key_file(path)) == 1
    assert TraceRepo(repo.db).verify("org-A").ok


def test_secret_key_rotation(repo: TraceRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """JUNKAN_SECRET_KEY: NEW,OLD set everywhere first, then every key moves to NEW."""
    old, new = new_secret(), new_secret()
    monkeypatch.delenv("JUNKAN_KEY_FILE", raising=False)
    monkeypatch.setenv("JUNKAN_SECRET_KEY", old)
    TraceRepo(repo.db).ingest("org-A", ev(create("K1", 1, 1)))
    monkeypatch.setenv("JUNKAN_SECRET_KEY", f"{new},{old}")
    both = TraceRepo(repo.db)
    assert both.rotate_configured_key()["reencrypted"] == 1
    monkeypatch.setenv("JUNKAN_SECRET_KEY", new)
    TraceRepo(repo.db).ingest("org-A", ev(create("K2", 1, 1)))
    assert TraceRepo(repo.db).verify("org-A").ok


def test_production_needs_an_explicit_master_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert "JUNKAN_SECRET_KEY" in str(master_key_problem(url, env={}))
    assert master_key_problem(url, env={"JUNKAN_SECRET_KEY": new_secret()}) is None
    assert "at least 32" in str(master_key_problem(url, env={"JUNKAN_SECRET_KEY": "short"}))
    key = tmp_path / "k"
    key.write_text(new_secret())
    key.chmod(0o644)
    assert "chmod 600" in str(master_key_problem(url, env={"JUNKAN_KEY_FILE": str(key)}))
    key.chmod(0o600)
    assert master_key_problem(url, env={"JUNKAN_KEY_FILE": str(key)}) is None
