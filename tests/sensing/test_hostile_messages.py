"""Hostile sensor messages: nested too deeply, NaN/Infinity, a key twice. Each is refused by
the sample format with its reason (read as input documents are read, within the document
limits), answered 422 by the check route, and quarantined on a live MQTT line, which goes on
with the next message; a message whose handling raises anything is quarantined too, never
passed back to paho (which would end the line's network thread) or to asyncua."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from junkan import sensing
from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.sensing import SampleError, parse_message
from junkan.sensing.sources import ENV
from junkan.store.db import Settings
from tests.waiting import wait_until

DEEP = b"[" * 3000 + b"]" * 3000
"""The review's body: 6 KB, 3,000 nested lists (beyond Python's recursion limit)."""
GOOD = b'{"line": "L1", "seq": 0, "t": 1.0, "values": {"rpm": [600], "current": [900]}}'


def _login(c: TestClient) -> None:
    res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert res.status_code == 200, res.text
    c.headers["X-Junkan-CSRF"] = "1"


@pytest.mark.parametrize(
    "payload, reason",
    [
        (DEEP, "nested more deeply than the limit 64"),
        # deeper than the limit but within Python's recursion limit, inside a message
        (GOOD.replace(b"[600]", b"[" * 100 + b"600" + b"]" * 100), "values.rpm"),
        (GOOD.replace(b"[600]", b"[" * 100 + b"600" + b"]" * 100), "nested more deeply"),
        (GOOD.replace(b"[900]", b"[Infinity]"), "not JSON: values.current"),
        (GOOD.replace(b"[900]", b"[-Infinity]"), "not a finite number"),
        (GOOD.replace(b"[900]", b"[NaN]"), "not JSON"),
        (GOOD.replace(b'"current"', b'"rpm"'), "values: the key 'rpm' is given twice"),
        (b'{"line": "L1", "seq": 0, "t": 1e400, "values": {}}', "not JSON: t:"),
        (b"{" * 3000, "not JSON"),
    ],
)
def test_hostile_messages_are_refused_with_their_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(SampleError, match=reason):
        parse_message(payload)
    with pytest.raises(SampleError, match=reason):  # text as well as bytes
        parse_message(payload.decode())


def test_a_good_message_still_parses() -> None:
    b = parse_message(GOOD)
    assert (b.line, b.seq, b.t, b.frames) == ("L1", 0, 1.0, 1)
    assert b.values["current"][0] == 900.0


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        yield c


@pytest.mark.slow
def test_the_check_route_answers_422_for_a_deeply_nested_message(app_client: TestClient) -> None:
    """The review's request (was 500, RecursionError)."""
    _login(app_client)
    res = app_client.post("/api/sensing/messages/check", content=DEEP)
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "nested more deeply than the limit 64" in res.json()["detail"]
    res = app_client.post("/api/sensing/messages/check", content=GOOD.replace(b"900", b"NaN"))
    assert res.status_code == 422 and "not JSON" in res.json()["detail"]
    assert app_client.post("/api/sensing/messages/check", content=GOOD).status_code == 200


@pytest.fixture
def live_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models, mqtt_url: str
) -> Iterator[TestClient]:
    from junkan.api.routers import sensing as routes

    monkeypatch.setenv(ENV, mqtt_url)
    monkeypatch.setenv("JUNKAN_SENSING_DIR", str(tmp_path / "sensing"))
    monkeypatch.setattr(routes, "_models", lambda: models)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        _login(c)
        yield c
        hub = getattr(app.state, "sensing_hub", None)
        if hub is not None:
            hub.close()


def _batch(line: str, seq: int) -> sensing.Batch:
    rec = sensing.generate(sensing.Scenario(duration_s=2, seed=3))
    values = {k: v[seq * 10 : (seq + 1) * 10] for k, v in rec.signals.items()}
    return sensing.Batch(line, seq, float(rec.t[seq * 10]), values)


@pytest.mark.slow
def test_a_deep_message_on_a_live_line_is_quarantined_and_the_line_goes_on(
    live_client: TestClient, mqtt_url: str
) -> None:
    """Before: the parser's RecursionError left paho's callback, paho re-raised it and the
    line's network thread ended — the next (good) message was never ingested."""
    from junkan.sensing.mqtt import Gateway

    c, line = live_client, "H" + uuid.uuid4().hex[:8]  # the shared broker: a topic of our own
    body = {"line": {"id": line}, "source": {"kind": "mqtt", "url": mqtt_url, "protocol": "5"}}
    assert c.post("/api/sensing/connections", json=body).status_code == 202
    wait_until(lambda: c.get(f"/api/sensing/live/{line}").json()["status"] == "connected")
    topic = c.get(f"/api/sensing/live/{line}").json()["reads"]  # the organisation's own
    gw = Gateway(mqtt_url, line, prefix=topic.rsplit("/", 2)[0])
    try:
        assert gw.connected.wait(10)
        gw.client.publish(topic, DEEP, qos=1)
        gw.publish(_batch(line, 0))
        wait_until(lambda: c.get(f"/api/sensing/live/{line}").json()["steps"] == 1)
    finally:
        gw.close()
    d = c.get(f"/api/sensing/live/{line}").json()
    assert d["status"] == "connected" and d["quarantined"] == 1
    assert "nested more deeply than the limit 64" in d["quarantine"][0]["reason"]
    assert c.delete(f"/api/sensing/live/{line}").status_code == 204


@pytest.mark.slow
def test_a_message_whose_handling_raises_is_quarantined_and_the_line_goes_on(
    mqtt_url: str, models: sensing.Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with one message (here the monitor fails once) is logged and the
    message quarantined; paho's thread lives on and the next message is ingested."""
    from junkan.sensing.ingest import LineIngest
    from junkan.sensing.mqtt import Gateway, LineFeed

    line = "H" + uuid.uuid4().hex[:8]
    lines = LineIngest(models, sensing.generate(sensing.Scenario(duration_s=2, seed=3)).params)
    accept, calls = lines.accept, []

    def failing_once(b: sensing.Batch) -> None:
        calls.append(b.seq)
        if len(calls) == 1:
            raise RuntimeError("the monitor failed")
        accept(b)

    monkeypatch.setattr(lines, "accept", failing_once)
    feed = LineFeed(mqtt_url, line, lines)
    gw = Gateway(mqtt_url, line)
    try:
        assert feed.connected.wait(10) and gw.connected.wait(10)
        gw.publish(_batch(line, 0))
        wait_until(lambda: len(lines.malformed) == 1)
        gw.publish(_batch(line, 0))  # the same batch again: now ingested
        wait_until(lambda: line in lines.monitors and len(lines.monitors[line].trace) == 1)
    finally:
        gw.close()
        feed.close()
    assert lines.malformed == ["message failed: RuntimeError (logged)"]


class _Lines:
    def __init__(self) -> None:
        self.rejected: list[tuple[str, str]] = []

    def reject(self, where: str, reason: str) -> None:
        self.rejected.append((where, reason))


def test_an_opcua_notification_whose_handling_raises_is_quarantined() -> None:
    """asyncua would log the exception and lose the notification; it is quarantined."""
    from junkan.sensing.opcua import Assembler, _Handler

    def emit(payload: bytes, where: str) -> None:
        raise RuntimeError("the monitor failed")

    lines = _Lines()
    node = SimpleNamespace(nodeid="n1")
    asm = Assembler({"P1": {"rpm"}}, emit)
    h = _Handler(asm, {"n1": ("P1", "rpm")}, lines)  # type: ignore[arg-type]
    h.datachange_notification(node, [0.0, 1.0, 600.0], None)
    assert lines.rejected == [("opc.tcp P1/rpm", "notification failed: RuntimeError (logged)")]
    h.datachange_notification(node, [], None)  # the initial empty value: nothing
    h.datachange_notification(node, "x", None)  # malformed: its reason, as before
    assert "give [seq, t, values…]" in lines.rejected[-1][1]


def test_an_infinite_opcua_frame_costs_only_itself() -> None:
    """An infinite frame value became JSON ``Infinity`` in the assembled message, and the
    whole batch was refused ("not JSON"); it is now read as missing, reported, and the rest
    of the batch kept (``tests/sensing/test_opcua.py`` has the report)."""
    from junkan.sensing.opcua import Assembler

    out: list[Any] = []
    asm = Assembler({"P1": {"rpm", "current"}}, lambda p, w: out.append(p))
    asm.add("P1", "rpm", [0.0, 1.0, 600.0])
    asm.add("P1", "current", [0.0, 1.0, float("inf")])
    b = parse_message(out[0])
    assert b.values["rpm"][0] == 600.0 and np.isnan(b.values["current"][0])
