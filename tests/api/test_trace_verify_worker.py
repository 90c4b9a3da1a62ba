"""``GET /api/trace/verify`` audits the ledger in a budgeted worker of the background jobs'
pool, not in the service's process (SQLite and PostgreSQL): the service's CPU does not grow by
the audit's cost, a tampered ledger is still reported to the organisation it concerns and to
no other, callers at the same time share one audit, and an audit over its budget answers the
platform's problem+json with its ``budget-*`` code and setting."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from junkan.api import background
from junkan.core.budget import BudgetExceeded
from junkan.core.encoding import jsonable
from junkan.store.db import Database
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_verify import Audit
from junkan.trace.events import Event
from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401

DEMO, PARTNER = "Demo Manufacturing", "Partner Recycling"
EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def create(lot: str, mass: float = 10) -> dict[str, Any]:
    return {"type": "create", "lot": lot, "material": "al", "mass_kg": mass,
            "cfp": {"total": 2}}


def ledger(trace: TraceRepo, org: str, n: int, prefix: str = "L") -> None:
    """``n`` lots created in ``org``'s log (straight into the store: no batch limit)."""
    for start in range(0, n, 4000):
        trace.ingest(org, EVENTS.validate_python(
            [create(f"{prefix}{i}") for i in range(start, min(n, start + 4000))]))


def verify(client: TestClient, h: dict[str, str]) -> Any:
    return client.get("/api/trace/verify", headers=h)


def tasks_done() -> int:
    return int(background._pool().stats().get("tasks", 0))


def test_the_audit_costs_the_service_no_cpu(app_client: TestClient) -> None:  # noqa: F811
    a, _ = demo_tokens(app_client)
    trace: TraceRepo = app_client.app.state.trace  # type: ignore[attr-defined]
    ledger(trace, DEMO, 15_000)
    assert verify(app_client, a).status_code == 200  # the worker starts and imports
    gc.collect()
    gc.freeze()  # a full collection of the test process's heap is not the service's cost
    try:
        cpu = time.process_time()
        expected = trace.verify(DEMO, trace.audit())
        cost = time.process_time() - cpu  # what the audit costs in the service's process
        assert cost > 0.25, cost
        served = []
        for _ in range(2):  # the lesser of two: another thread of the test process may run
            trace.AUDIT_REUSE_S = 0.0  # audit again
            before, cpu = tasks_done(), time.process_time()
            res = verify(app_client, a)
            served.append(time.process_time() - cpu)  # the service's (and the client's) CPU
            assert res.status_code == 200, res.text
            assert res.json() == jsonable(expected.__dict__)
            assert res.json()["events"] == 15_004
            assert tasks_done() == before + 1  # in a worker of the background pool
    finally:
        gc.unfreeze()
    print(f"audit in the service's process: {cost:.2f} s CPU; verify: {min(served):.2f} s")
    assert min(served) < 0.2 * cost, (served, cost)


def test_a_tampered_ledger_is_reported_to_its_organisation_only(
        app_client: TestClient) -> None:  # noqa: F811
    a, b = demo_tokens(app_client)
    for h, lots in ((a, ["A1", "A2"]), (b, ["B1"])):
        res = app_client.post("/api/trace/events", headers=h,
                              json={"events": [create(lot, 60) for lot in lots]})
        assert res.status_code == 200, res.text
    trace: TraceRepo = app_client.app.state.trace  # type: ignore[attr-defined]
    clean = verify(app_client, a).json()
    # the seeded lots: 4 events of the demo company's, 2 of the partner's
    assert clean == {"org": DEMO, "ok": True, "events": 6, "problems": [],
                     "checkpoint_size": 6}
    partner = {"org": PARTNER, "ok": True, "events": 3, "problems": [], "checkpoint_size": 3}
    assert verify(app_client, b).json() == partner
    with trace.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE trace_lots SET mass_kg = 61 WHERE lot = 'A2'")
    assert verify(app_client, a).json() == clean  # the audit of a minute ago is shared
    trace.AUDIT_REUSE_S = 0.0
    found = verify(app_client, a)
    assert found.status_code == 200, found.text
    doc = found.json()
    assert doc["org"] == DEMO and doc["ok"] is False and doc["events"] == 6
    assert any("A2" in p and "mass_kg stored 61" in p for p in doc["problems"]), doc
    assert doc == jsonable(trace.verify(DEMO, trace.audit()).__dict__)
    # the partner's answer is unchanged: the problem concerns the demo company only
    assert verify(app_client, b).json() == partner
    assert app_client.get("/api/trace/verify").status_code == 401


def test_callers_at_the_same_time_share_one_audit(app_client: TestClient) -> None:  # noqa: F811
    a, b = demo_tokens(app_client)
    trace: TraceRepo = app_client.app.state.trace  # type: ignore[attr-defined]
    ledger(trace, DEMO, 3_000)
    answers: list[Any] = [None] * 6
    before = tasks_done()

    def ask(i: int) -> None:
        answers[i] = verify(app_client, (a, b)[i % 2])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(answers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    assert {r.json()["events"] for r in answers[::2]} == {3_004}
    assert tasks_done() == before + 1


@pytest.mark.parametrize(("setting", "value", "status", "code", "events"), [
    ("CPU_S", "0.01", 422, "budget-cpu", 3_000),
    ("WALL_S", "0.01", 422, "budget-wall", 3_000),
])
def test_an_audit_over_its_budget_answers_the_error_shape(
        app_client: TestClient, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        setting: str, value: str, status: int, code: str, events: int) -> None:
    a, _ = demo_tokens(app_client)
    trace: TraceRepo = app_client.app.state.trace  # type: ignore[attr-defined]
    ledger(trace, DEMO, events)
    name = "JUNKAN_BUDGET_AUDIT_" + setting
    monkeypatch.setenv(name, value)
    res = verify(app_client, a)
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    doc = res.json()
    assert doc["code"] == code and doc["setting"] == name, doc
    assert doc["detail"].startswith("the ledger audit exceeded its") and name in doc["detail"]
    monkeypatch.delenv(name)  # a refusal is not kept: the next caller audits
    res = verify(app_client, a)
    assert res.status_code == 200 and res.json()["events"] == events + 4, res.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_audit_over_its_memory_budget_answers_the_error_shape(
        app_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """As above for the memory budget (a replay of 20,000 lots: ~50 MB), on SQLite only: the
    worker's memory limit does not depend on the store, and on PostgreSQL writing and
    auditing 20,000 lots twice took 22 s of the suite."""
    test_an_audit_over_its_budget_answers_the_error_shape(
        app_client, monkeypatch, "MEMORY_MB", "16", 413, "budget-memory", 20_000)


def test_concurrent_callers_share_the_outcome_and_a_failure_is_not_kept() -> None:
    trace = TraceRepo(Database("sqlite:///:memory:"))
    started: list[Future[Audit]] = []

    def start() -> Future[Audit]:
        started.append(Future())
        return started[-1]

    first, second = trace.shared_audit(start), trace.shared_audit(start)
    assert first is second and len(started) == 1
    started[0].set_exception(BudgetExceeded("cpu", 1, setting="JUNKAN_BUDGET_AUDIT_CPU_S"))
    with pytest.raises(BudgetExceeded):
        second.result()
    third = trace.shared_audit(start)  # the failure was not kept: another audit starts
    assert len(started) == 2 and third is started[1]
    audit = Audit(events={"o": 3})
    started[1].set_result(audit)
    assert trace.shared_audit(start).result() is audit and len(started) == 2
