"""The sensing routes: authorisation, limits, problem+json errors, a run in a worker."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    ("POST", "/api/sensing/jobs?kind=run"),
    ("GET", "/api/sensing/jobs"),
    ("GET", "/api/sensing/jobs/0123"),
    ("DELETE", "/api/sensing/jobs/0123"),
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
    bad = {**good, "values": {"rpm": [600], "current": ["900"]}}
    res = client.post("/api/sensing/messages/check", content=json.dumps(bad))
    assert res.status_code == 422 and "values.current" in res.json()["detail"]
    assert res.headers["content-type"].startswith("application/problem+json")
    # a reading out of range is read as missing, the message kept (the line ingests it so)
    over = {**good, "values": {"rpm": [600], "current": [-1]}}
    res = client.post("/api/sensing/messages/check", content=json.dumps(over))
    assert res.status_code == 200 and res.json()["channels"] == ["rpm"]
    masked = res.json()["masked"]  # and says what it read as missing
    assert len(masked) == 1 and "values.current" in masked[0] and "-1" in masked[0]
    res = client.post("/api/sensing/messages/check", content=b"x" * (300 * 1024))
    assert res.status_code == 413
    # review 268: what the docs say is refused is refused, naming the field
    for change, field in (
        ({"line": "L1\n"}, "line:"),
        ({"units": {"foo": "x"}}, "units.foo: unknown channel"),
        ({"units": {"lel": "ppm"}}, "units.lel: expected '%LEL'"),
        ({"units": []}, "units:"),
    ):
        res = client.post("/api/sensing/messages/check", content=json.dumps({**good, **change}))
        assert res.status_code == 422 and field in res.json()["detail"], change
    res = client.post("/api/sensing/run", json={"scenario": {"duration_s": 5000}})
    assert res.status_code == 422 and "duration_s" in res.text
    res = client.post("/api/sensing/run", json={"scenario": {"duration_s": 60, "events": "x"}})
    assert res.status_code == 422 and "events" in res.text
    res = client.post("/api/sensing/evaluate", json={"scenarios": [{"duration_s": 60, "seed": 1}]})
    assert res.status_code == 422 and "tuning" in res.text


def _job(c: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    seen: list[Any] = []
    for _ in range(1200):
        job = c.get(f"/api/sensing/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            return {**job, "seen": seen}
        seen.append(job.get("progress"))
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_run_as_a_job_with_progress_and_cancel(client: TestClient) -> None:
    _login(client)
    sc = {"duration_s": 90, "seed": 77, "events": [{"type": "jam", "start_s": 50, "severity": 0.8}]}
    res = client.post("/api/sensing/jobs?kind=run", json={"scenario": sc, "every": 5})
    assert res.status_code == 202, res.text
    done = _job(client, res.json())
    assert done["status"] == "succeeded", done
    doc = done["result"]
    assert any(49.9 <= a["start"] <= 51 for a in doc["alarms"])
    assert len(doc["series"]["t"]) == 180 and "p_jam" in doc["series"]
    # progress as the job goes: the phases seen come in their order (training is over at once
    # when this worker trained the models for an earlier job, so the poll may not see it)
    order = ["training", "generating", "monitoring"]
    phases = [p["phase"] for p in done["seen"] if p]
    assert phases and set(phases) <= set(order), done["seen"]
    assert phases == sorted(phases, key=order.index), phases
    # bad scenarios are refused at once, without a job
    res = client.post("/api/sensing/jobs?kind=run", json={"scenario": {"duration_s": 5000}})
    assert res.status_code == 422 and "duration_s" in res.text
    res = client.post("/api/sensing/jobs?kind=evaluate", json={"scenarios": [{"duration_s": 60}]})
    assert res.status_code == 422 and "tuning" in res.text
    # cancel: the job ends as failed, "cancelled …"; the list shows sensing jobs only
    res = client.post("/api/sensing/jobs?kind=run", json={"scenario": {**sc, "duration_s": 900}})
    jid = res.json()["id"]
    gone = client.delete(f"/api/sensing/jobs/{jid}").json()
    assert gone["status"] == "failed" and "cancelled" in gone["error"]
    assert {j["kind"] for j in client.get("/api/sensing/jobs").json()} == {"sensing.run"}
    other = client.get("/api/lifecycle/analyses").json()
    assert not any(j["kind"].startswith("sensing.") for j in other)


# --- live lines: replay, Server-Sent Events, acknowledge, label, precision ---------------

LIVE_ROUTES = [
    ("POST", "/api/sensing/live"),
    ("GET", "/api/sensing/live"),
    ("DELETE", "/api/sensing/live/L1"),
    ("GET", "/api/sensing/live/L1/stream"),
    ("GET", "/api/sensing/live/L1/alarms"),
    ("POST", "/api/sensing/live/L1/alarms/1/acknowledge"),
    ("POST", "/api/sensing/live/L1/alarms/1/label"),
    ("GET", "/api/sensing/labels/precision"),
    ("POST", "/api/sensing/connections"),
    ("GET", "/api/sensing/live/L1"),
    ("GET", "/api/sensing/labels"),
]


@pytest.fixture
def live_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: object
) -> Iterator[TestClient]:
    from junkan.api.routers import sensing as routes

    monkeypatch.setenv("JUNKAN_SENSING_DIR", str(tmp_path / "sensing"))
    monkeypatch.setattr(routes, "_models", lambda: models)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as c:
        yield c


def _sse(res: object) -> list[tuple[int, str, dict[str, object]]]:
    out, ev = [], {}
    for line in res.iter_lines():  # type: ignore[attr-defined]
        if not line:
            if "data" in ev:
                out.append((int(ev["id"]), ev["event"], json.loads(ev["data"])))
            ev = {}
            continue
        if line.startswith(":"):
            continue
        k, _, v = line.partition(": ")
        ev[k] = v
    return out


def test_live_routes_need_credentials(live_client: TestClient) -> None:
    for method, path in LIVE_ROUTES:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            res = live_client.request(method, path, headers=headers, json={})
            assert res.status_code == 401, (method, path)
            assert res.headers["content-type"].startswith("application/problem+json")


def test_live_replay_stream_label_precision(live_client: TestClient) -> None:
    from junkan.api.seed import PARTNER_EMAIL, PARTNER_PASSWORD

    c = live_client
    _login(c)
    sc = {
        "duration_s": 45,
        "seed": 77,
        "line": {"id": "L7"},
        "events": [{"type": "jam", "start_s": 32, "severity": 0.8}],
    }
    res = c.post("/api/sensing/live", json={"scenario": sc, "speed": 25})
    assert res.status_code == 202, res.text
    assert res.json()["line"] == "L7"
    with c.stream("GET", "/api/sensing/live/L7/stream") as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        events = _sse(res)
    kinds = [k for _, k, _ in events]
    assert kinds[-1] == "end" and kinds.count("step") == 450
    ids = [i for i, _, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    step = next(e for _, k, e in events if k == "step")
    assert {"t", "action", "load", "confidence"} <= set(step)
    jam = [e for _, k, e in events if k == "alarm" and 31.9 <= float(e["start"]) <= 33.5]
    assert jam and jam[0]["evidence"], events[-5:]
    # resume: only what came after the given event
    with c.stream(
        "GET", "/api/sensing/live/L7/stream", headers={"Last-Event-ID": str(ids[-3])}
    ) as res:
        assert [i for i, _, _ in _sse(res)] == ids[-2:]
    aid = jam[0]["id"]
    assert c.post(f"/api/sensing/live/L7/alarms/{aid}/acknowledge").json()["acknowledged"]
    res = c.post(
        f"/api/sensing/live/L7/alarms/{aid}/label", json={"label": "confirmed", "state": "jam"}
    )
    assert res.status_code == 200, res.text
    assert res.json()["model_version"] > 2 and res.json()["by"]
    alarms = c.get("/api/sensing/live/L7/alarms").json()["alarms"]
    assert next(a for a in alarms if a["id"] == aid)["label"] == "confirmed"
    prec = c.get("/api/sensing/labels/precision").json()
    assert prec["labels"] == 1 and prec["overall"]["precision"] == 1.0
    assert 0 < prec["overall"]["ci95"][0] < 1
    # relabel: the last label counts; both rows are kept in the database
    c.post(f"/api/sensing/live/L7/alarms/{aid}/label", json={"label": "false_alarm"})
    assert c.get("/api/sensing/labels/precision").json()["overall"]["precision"] == 0.0
    rows = c.get("/api/sensing/labels").json()["labels"]
    assert [r["label"] for r in rows] == ["false_alarm", "confirmed"] and rows[0]["evidence"]
    assert c.get("/api/sensing/live/L7").json()["source"] == "replay"
    # another organisation sees none of it
    c.cookies.clear()
    _login_as(c, PARTNER_EMAIL, PARTNER_PASSWORD)
    assert c.get("/api/sensing/live").json()["lines"] == []
    for method, path in (
        ("GET", "/api/sensing/live/L7"),
        ("GET", "/api/sensing/live/L7/alarms"),
        ("GET", "/api/sensing/live/L7/stream"),
        ("POST", f"/api/sensing/live/L7/alarms/{aid}/acknowledge"),
        ("DELETE", "/api/sensing/live/L7"),
    ):
        res = c.request(method, path)
        assert res.status_code == 404, (method, path)
        assert res.headers["content-type"].startswith("application/problem+json")
    res = c.post(f"/api/sensing/live/L7/alarms/{aid}/label", json={"label": "confirmed"})
    assert res.status_code == 404
    assert c.get("/api/sensing/labels/precision").json()["labels"] == 0
    assert c.get("/api/sensing/labels").json()["labels"] == []


def test_live_limits_and_errors(live_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from junkan.api.routers import sensing as routes

    c = live_client
    _login(c)
    sc = {"duration_s": 600, "seed": 78, "line": {"id": "L8"}}

    def problem(res: object, status: int) -> None:
        assert res.status_code == status, res.text  # type: ignore[attr-defined]
        ct = res.headers["content-type"]  # type: ignore[attr-defined]
        assert ct.startswith("application/problem+json")

    problem(c.post("/api/sensing/live", json={"scenario": sc, "speed": 100}), 422)
    problem(c.post("/api/sensing/live", json={"scenario": {**sc, "duration_s": 5000}}), 422)
    assert c.post("/api/sensing/live", json={"scenario": sc}).status_code == 202
    problem(c.post("/api/sensing/live", json={"scenario": sc}), 409)
    problem(c.get("/api/sensing/live/L8/stream", headers={"Last-Event-ID": "x"}), 422)
    problem(c.get("/api/sensing/live/bad!line/alarms"), 422)
    problem(c.post("/api/sensing/live/L8/alarms/999999/label", json={"label": "confirmed"}), 404)
    problem(c.post("/api/sensing/live/L8/alarms/1/label", json={"label": "maybe"}), 422)
    problem(
        c.post(
            "/api/sensing/live/L8/alarms/1/label", json={"label": "confirmed", "note": "x" * 600}
        ),
        422,
    )
    monkeypatch.setattr(routes, "MAX_STREAMS_PER_ORG", 0)
    problem(c.get("/api/sensing/live/L8/stream"), 429)
    for i in range(3):  # four lines per organisation at most
        body = {"scenario": {**sc, "line": {"id": f"M{i}"}}}
        assert c.post("/api/sensing/live", json=body).status_code == 202
    problem(c.post("/api/sensing/live", json={"scenario": {**sc, "line": {"id": "M9"}}}), 429)
    for ln in ("L8", "M0", "M1", "M2"):
        assert c.delete(f"/api/sensing/live/{ln}").status_code == 204
    assert c.get("/api/sensing/live").json()["lines"] == []


def _login_as(c: TestClient, email: str, password: str) -> None:
    res = c.post("/api/session", json={"email": email, "password": password})
    assert res.status_code == 200, res.text
    c.headers["X-Junkan-CSRF"] = "1"
