"""The sensing routes: authorisation, limits, problem+json errors, a run in a worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.db import Settings

pytestmark = pytest.mark.slow
ROUTES = [
    ("POST", "/api/sensing/run"),
    ("POST", "/api/sensing/evaluate"),
    ("GET", "/api/sensing/reference"),
    ("POST", "/api/sensing/messages/check"),
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        yield c


def _login(c: TestClient) -> None:
    res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert res.status_code == 200, res.text
    c.headers["X-Junkan-CSRF"] = "1"


def test_every_sensing_route_needs_credentials(client: TestClient) -> None:
    for method, path in ROUTES:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            res = client.request(method, path, headers=headers, json={})
            assert res.status_code == 401, (method, path)
            assert res.headers["content-type"].startswith("application/problem+json")


def test_reference_check_and_limits(client: TestClient) -> None:
    _login(client)
    ref = client.get("/api/sensing/reference").json()
    assert ref["reference"]["rules"]["lel_warn_pct"]["value"] == 10
    assert "request_emergency_stop" in ref["actions"]
    good = {"line": "L1", "seq": 3, "t": 1.0, "values": {"rpm": [600], "current": [900]}}
    res = client.post("/api/sensing/messages/check", content=json.dumps(good))
    assert res.status_code == 200 and res.json()["frames"] == 1
    bad = {**good, "values": {"rpm": [600], "current": [-1]}}
    res = client.post("/api/sensing/messages/check", content=json.dumps(bad))
    assert res.status_code == 422 and "values.current" in res.json()["detail"]
    assert res.headers["content-type"].startswith("application/problem+json")
    res = client.post("/api/sensing/messages/check", content=b"x" * (300 * 1024))
    assert res.status_code == 413
    res = client.post("/api/sensing/run", json={"scenario": {"duration_s": 5000}})
    assert res.status_code == 422 and "duration_s" in res.text
    res = client.post("/api/sensing/run", json={"scenario": {"duration_s": 60, "events": "x"}})
    assert res.status_code == 422 and "events" in res.text
    res = client.post("/api/sensing/evaluate", json={"scenarios": [{"duration_s": 60, "seed": 1}]})
    assert res.status_code == 422 and "tuning" in res.text


def test_run_in_a_worker(client: TestClient) -> None:
    _login(client)
    sc = {"duration_s": 90, "seed": 77, "events": [{"type": "jam", "start_s": 50, "severity": 0.8}]}
    res = client.post("/api/sensing/run", json={"scenario": sc, "every": 5})
    assert res.status_code == 200, res.text
    doc = res.json()
    assert any(49.9 <= a["start"] <= 51 for a in doc["alarms"])
    assert len(doc["series"]["t"]) == 180 and "p_jam" in doc["series"]
