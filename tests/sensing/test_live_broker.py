"""A live line of the service fed by a real mosquitto topic (MQTT 5), end to end through the
API: the allow-list refuses other endpoints, the status turns connected, a jam raises an
alarm on the stream, bad messages are quarantined with reasons, an unreachable listed broker
shows as such, and stop ends the line."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan import sensing
from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.sensing.sources import ENV
from junkan.store.db import Settings
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models, mqtt_url: str
) -> Iterator[TestClient]:
    from junkan.api.routers import sensing as routes

    closed = f"mqtt://127.0.0.1:{_free_port()}"  # listed, but nothing listens there
    monkeypatch.setenv(ENV, f"{mqtt_url},{closed}")
    monkeypatch.setenv("JUNKAN_SENSING_DIR", str(tmp_path / "sensing"))
    monkeypatch.setattr(routes, "_models", lambda: models)
    monkeypatch.setattr(routes, "MAX_STREAM_S", 1.0)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert res.status_code == 200, res.text
        c.headers["X-Junkan-CSRF"] = "1"
        setattr(c, "closed_url", closed)  # noqa: B010
        yield c
        hub = getattr(app.state, "sensing_hub", None)
        if hub is not None:
            hub.close()


def _sse(c: TestClient, path: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    ev: dict[str, str] = {}
    with c.stream("GET", path) as res:
        assert res.status_code == 200
        for line in res.iter_lines():
            if not line:
                if "data" in ev:
                    out.append((ev["event"], json.loads(ev["data"])))
                ev = {}
            elif not line.startswith(":"):
                k, _, v = line.partition(": ")
                ev[k] = v
    return out


def test_mqtt_line_through_the_service(client: TestClient, mqtt_url: str) -> None:
    from junkan.sensing.mqtt import PREFIX, Gateway

    c, line = client, "T" + uuid.uuid4().hex[:8]  # the shared broker: a topic of our own
    body = {"line": {"id": line}, "source": {"kind": "mqtt", "url": mqtt_url, "protocol": "5"}}
    res = c.post(
        "/api/sensing/connections",
        json={**body, "source": {**body["source"], "url": "mqtt://127.0.0.1:1"}},
    )
    assert res.status_code == 422 and ENV in res.json()["detail"]
    assert res.headers["content-type"].startswith("application/problem+json")
    res = c.post("/api/sensing/connections", json=body)
    assert res.status_code == 202, res.text
    assert res.json()["source"] == "mqtt"
    wait_until(lambda: c.get(f"/api/sensing/live/{line}").json()["status"] == "connected")

    sc = sensing.Scenario.model_validate(
        {"duration_s": 31, "seed": 77, "events": [{"type": "jam", "start_s": 18, "severity": 0.9}]}
    )
    rec = sensing.generate(sc)
    topic = c.get(f"/api/sensing/live/{line}").json()["reads"]  # the organisation's default
    prefix = topic.rsplit("/", 2)[0]
    assert topic == f"{prefix}/{line}/batch" and prefix.startswith(f"{PREFIX}/")
    gw = Gateway(mqtt_url, line, prefix=prefix)
    try:
        assert gw.connected.wait(10)
        for i in range(300):
            values = {k: v[i * 10 : (i + 1) * 10] for k, v in rec.signals.items()}
            gw.publish(sensing.Batch(line, i, float(rec.t[i * 10]), values))
            if i == 100:
                gw.client.publish(topic, b"{not json", qos=1)
                other = sensing.Batch("X9", i, float(rec.t[i * 10]), values).to_message()
                gw.client.publish(topic, other, qos=1)
        wait_until(lambda: c.get(f"/api/sensing/live/{line}").json()["steps"] == 300)
    finally:
        gw.close()
    d = c.get(f"/api/sensing/live/{line}").json()
    assert d["quarantined"] == 2 and d["alarms"] >= 1
    reasons = [q["reason"] for q in d["quarantine"]]
    assert "not JSON" in reasons[0] and "line X9" in reasons[1]
    events = _sse(c, f"/api/sensing/live/{line}/stream")  # closes after MAX_STREAM_S here
    kinds = [k for k, _ in events]
    assert kinds[0] == "status" and kinds.count("step") == 300 and "quarantined" in kinds
    jam = [e for k, e in events if k == "alarm" and 17.5 <= float(e["start"]) <= 21.5]
    assert jam and jam[0]["evidence"]
    assert c.delete(f"/api/sensing/live/{line}").status_code == 204
    assert c.get(f"/api/sensing/live/{line}").status_code == 404

    # a listed broker nobody answers on: the line says so (and keeps trying)
    res = c.post(
        "/api/sensing/connections",
        json={"line": {"id": "U1"}, "source": {"kind": "mqtt", "url": getattr(c, "closed_url")}},  # noqa: B009
    )
    assert res.status_code == 202
    wait_until(lambda: c.get("/api/sensing/live/U1").json()["status"] == "unreachable")
    assert c.delete("/api/sensing/live/U1").status_code == 204
