"""Foresight grouping as background jobs: the result equals the synchronous route's, the
stages reach the job as progress, bad options are refused before a job exists, and only
its starter sees a job."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens, wait_for

BASE = "/api/foresight/jobs"
SMALL = {"n": 200, "k": 3, "seed": 4}


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def test_a_job_gives_the_synchronous_analysis(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    body = {"model": "japan_ce", **SMALL}
    res = app_client.post(BASE, json=body, headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["kind"] == "foresight.analyse" and job["status"] in ("queued", "running")
    done = wait_for(app_client, f"{BASE}/{job['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    direct = app_client.post("/api/foresight/models/japan_ce/analyse", json=SMALL,
                             headers=demo).json()
    assert done["result"]["group_shares"] == direct["group_shares"]
    assert done["result"]["ratings"] == direct["ratings"]
    # listed for its starter (to reopen it), invisible to another organisation's user
    assert [j["id"] for j in app_client.get(BASE, headers=demo).json()] == [job["id"]]
    assert app_client.get(BASE, headers=partner).json() == []
    _problem(app_client.get(f"{BASE}/{job['id']}", headers=partner), 404)
    _problem(app_client.delete(f"{BASE}/{job['id']}", headers=partner), 404)
    # network and lifecycle job lists do not show it
    assert app_client.get("/api/network/jobs", headers=demo).json() == []


def test_bad_options_are_refused_before_a_job_exists(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    _problem(app_client.post(BASE, json={"model": "no_such_model"}, headers=demo), 404)
    problem = _problem(app_client.post(BASE, json={"model": "japan_ce",
                                                   "levers": {"no_such_lever": 0.5}},
                                       headers=demo), 422)
    assert "no_such_lever" in str(problem)
    for bad in ({"model": "japan_ce", "n": 50}, {"model": "japan_ce", "k": 1},
                {"model": "japan_ce", "levers": {"x": 2}}, {"n": 200}, {"model": ""}):
        _problem(app_client.post(BASE, json=bad, headers=demo), 422)
    assert app_client.get(BASE, headers=demo).json() == []


def test_the_stages_reach_the_job_as_progress(monkeypatch: Any) -> None:
    from junkan.api import work

    seen: list[Any] = []
    monkeypatch.setattr(work, "report_progress", seen.append)
    work.foresight_analyse_job("japan_ce", 200, 3, 0, None)
    stages = [p["stage"] for p in seen]
    assert stages[0] == "ensemble" and stages[-1] == "analyse"
    runs = [p for p in seen if p["stage"] == "ensemble"]
    assert runs[-1]["done"] == runs[-1]["of"] == 200
    assert [p["done"] for p in runs] == sorted(p["done"] for p in runs)
