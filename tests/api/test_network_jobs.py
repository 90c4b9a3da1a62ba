"""Network plans as background jobs: the streamed answer as progress, the final plan as the
result, the scenario's errors in the job, who may see a job."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens, wait_for
from tests.network.test_plan import SMALL as NETWORK

BASE = "/api/network/jobs"


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def test_a_solve_job_gives_the_plan_of_the_synchronous_route(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    text = yaml.safe_dump(NETWORK)
    res = app_client.post(f"{BASE}?carbon_price=10000", content=text, headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["kind"] == "network.solve" and job["status"] in ("queued", "running")
    assert "progress" in job
    done = wait_for(app_client, f"{BASE}/{job['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    assert "progress" not in done
    direct = app_client.post("/api/network/solve?carbon_price=10000", content=text,
                             headers=demo).json()
    assert done["result"]["objective"] == direct["objective"]
    assert done["result"]["open_hubs"] == direct["open_hubs"]
    # another organisation's user neither reads nor lists it; lifecycle analyses do not show it
    _problem(app_client.get(f"{BASE}/{job['id']}", headers=partner), 404)
    assert app_client.get(BASE, headers=partner).json() == []
    _problem(app_client.get(f"/api/lifecycle/analyses/{job['id']}", headers=demo), 404)
    assert [j["id"] for j in app_client.get(BASE, headers=demo).json()] == [job["id"]]


def test_an_earlier_plans_hubs_warm_start_a_solve(app_client: TestClient) -> None:
    """The page sends the plan it solved last (``hubs_key``) as ``start``: the same optimum;
    a key that does not fit the scenario (another hub count, a tier it has not) is ignored,
    and one that is no list of tiers is refused."""
    demo, _ = demo_tokens(app_client)
    text = yaml.safe_dump(NETWORK)
    cold = app_client.post("/api/network/solve?carbon_price=0&gap=0.000001", content=text,
                           headers=demo).json()
    key = cold["hubs_key"]
    assert len(key) >= 2 and any(k >= 0 for k in key)
    wrong_tier = ",".join(["99"] + [str(k) for k in key[1:]])
    for start in (",".join(map(str, key)), "0", wrong_tier):
        res = app_client.post(f"{BASE}?carbon_price=20000&gap=0.000001&start={start}",
                              content=text, headers=demo)
        assert res.status_code == 202, res.text
        done = wait_for(app_client, f"{BASE}/{res.json()['id']}", demo, 120)
        assert done["status"] == "succeeded", (start, done["error"])
        direct = app_client.post("/api/network/solve?carbon_price=20000&gap=0.000001",
                                 content=text, headers=demo).json()
        assert done["result"]["objective"] == pytest.approx(direct["objective"], rel=1e-9)
    for bad in ("x", "1,,2", "1;2", "1" * 5):
        _problem(app_client.post(f"{BASE}?start={bad}", content=text, headers=demo), 422)


def test_a_bad_scenario_is_refused_at_once_naming_the_field(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    for body in (yaml.safe_dump({**NETWORK, "modes": {}}), "{}\n", "[null, null]"):
        problem = _problem(app_client.post(BASE, content=body, headers=demo), 422)
        assert problem["detail"] or problem.get("errors")
    res = app_client.post(BASE, content=yaml.safe_dump({**NETWORK, "modes": {}}), headers=demo)
    assert "modes" in res.text
    assert app_client.get(BASE, headers=demo).json() == []  # no job was created


def test_limits_answer_problem_json(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    _problem(app_client.post(f"{BASE}?kind=nope", content="x: 1", headers=demo), 422)
    _problem(app_client.post(f"{BASE}?gap=0.9", content="x: 1", headers=demo), 422)
    _problem(app_client.get(f"{BASE}/{'x' * 65}", headers=demo), 422)


def test_the_streamed_plans_reach_the_job_as_progress(monkeypatch: Any) -> None:
    from junkan.api import work

    seen: list[Any] = []
    monkeypatch.setattr(work, "report_progress", seen.append)
    doc = work.network_job(yaml.safe_dump(NETWORK), 10000.0, None, True)
    assert seen, "no plan was streamed"
    assert {"objective", "mip_gap", "hubs_opened", "elapsed_s"} <= set(seen[-1])
    # improving plans never beat the final one
    assert min(p["objective"] for p in seen) >= doc["objective"] - 1e-6 * abs(doc["objective"])


@pytest.mark.parametrize("method", ["monolithic", "benders"])
def test_a_multi_period_plan_reports_its_solve_as_progress(monkeypatch: Any, method: str) -> None:
    from junkan.api import work
    from tests.network.test_periods import TINY

    seen: list[Any] = []
    monkeypatch.setattr(work, "report_progress", seen.append)
    doc = work.network_periods_job(yaml.safe_dump(TINY), 1e-6, method, None)
    assert seen, "the job said nothing while it solved"
    assert seen[-1]["task"] == f"multi-period plan ({method})" and "elapsed" in seen[-1]
    assert doc["mip_gap"] <= 1e-6 or doc["stopped"] != "gap reached"


def test_cancel_stops_a_running_job_and_only_its_starter_may(app_client: TestClient) -> None:
    import time
    from pathlib import Path

    import junkan

    demo, partner = demo_tokens(app_client)
    example = Path(junkan.__file__).parent / "data" / "examples" / "network_elv_japan.yaml"
    res = app_client.post(f"{BASE}?gap=0.000001", content=example.read_text("utf-8"),
                          headers=demo)
    assert res.status_code == 202, res.text
    job_id = res.json()["id"]
    deadline = time.monotonic() + 60
    while app_client.get(f"{BASE}/{job_id}", headers=demo).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _problem(app_client.delete(f"{BASE}/{job_id}", headers=partner), 404)
    stopped = app_client.delete(f"{BASE}/{job_id}", headers=demo)
    assert stopped.status_code == 200, stopped.text
    doc = stopped.json()
    assert doc["status"] == "failed" and "cancelled" in doc["error"]
    # a finished job stays as it is; the worker is free for the next one
    assert app_client.delete(f"{BASE}/{job_id}", headers=demo).json()["error"] == doc["error"]
    res = app_client.post(BASE, content=yaml.safe_dump(NETWORK), headers=demo)
    assert wait_for(app_client, f"{BASE}/{res.json()['id']}", demo, 120)["status"] == "succeeded"


def test_a_periods_job_takes_supply_and_demand_per_year_inline(app_client: TestClient) -> None:
    """``periods.supply_by_year`` and ``periods.demand_by_year`` inline in the posted
    scenario; a CSV file name (read only beside a scenario file) is refused at once, naming
    the field."""
    from tests.network.test_periods_demand import _demand

    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=periods", content=yaml.safe_dump(_demand()),
                          headers=demo)
    assert res.status_code == 202, res.text
    done = wait_for(app_client, f"{BASE}/{res.json()['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    last = done["result"]["periods"][2]
    assert last["demand_t"] == 70000 and last["destinations"]["R Kitakyushu"]["delivered_t"] > 0
    bad = _demand()
    bad["periods"]["demand_by_year"] = "demand.csv"
    problem = _problem(app_client.post(f"{BASE}?kind=periods", content=yaml.safe_dump(bad),
                                       headers=demo), 422)
    assert "periods.demand_by_year" in str(problem) and "a CSV file" in str(problem)
