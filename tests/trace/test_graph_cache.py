"""The lot graph kept in memory between ingests (store.trace_graph) must give exactly what a
fresh read of the store gives, and must be dropped when someone else writes; concurrent
ingests must not spend the same lot twice."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from junkan.store.db import Database
from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.events import Event
from tests.trace.test_pact import _store

EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[Event])


def _values(repo: TraceRepo, org: str, lots: list[str]) -> np.ndarray:
    return np.array([[v["cfp_kgco2e"]["total"], v["recycled"]["post_consumer"]]
                     for v in (repo.show(org, lot) for lot in lots)])


def _fresh(url: str) -> TraceRepo:
    """A migrated store with organisation org-A."""
    store = _store(url)
    store.create_organisation("org-A")
    return TraceRepo(store.db)


@pytest.mark.slow  # worker processes or many examples: `make test` runs it
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(1, 50), st.floats(0, 1)),
                min_size=3, max_size=12), st.integers(0, 2**16))
def test_kept_graph_equals_a_fresh_read(tmp_path_factory: Any,
                                        steps: list[tuple[int, float, float]],
                                        seed: int) -> None:
    """The same batches through one repo (graph kept) and through a new repo per batch
    (graph read each time) leave every lot with the same CFP and recycled share."""
    tmp = tmp_path_factory.mktemp("cache")
    kept = _fresh(f"sqlite:///{tmp / 'kept.db'}")
    read_url = f"sqlite:///{tmp / 'read.db'}"
    _fresh(read_url)
    rng = np.random.default_rng(seed)
    lots: list[str] = []
    mass: dict[str, float] = {}
    for i, (kind, cfp, rec) in enumerate(steps):
        if kind == 0 or len(lots) < 2:  # a declared lot
            batch = [{"type": "create", "lot": f"L{i}", "material": "al", "mass_kg": 100,
                      "cfp": {"total": cfp}, "recycled": {"post_consumer": rec}}]
        elif kind in (1, 2):  # a blend of 1 % of two earlier lots (never runs out)
            a, b = (lots[k] for k in rng.choice(len(lots), 2, replace=False))
            batch = [{"type": "blend", "lot": f"L{i}", "mass_kg": (mass[a] + mass[b]) / 100,
                      "inputs": [{"lot": a, "mass_kg": mass[a] / 100},
                                 {"lot": b, "mass_kg": mass[b] / 100}],
                      "process": {"cfp_kgco2e": cfp / 10}}]
        else:  # re-declare a declared lot
            declared = [x for x in lots if kept.show("org-A", x)["custody"] == "declared"]
            batch = [{"type": "redeclare", "lot": declared[int(rng.integers(len(declared)))],
                      "cfp": {"total": cfp}, "recycled": {"post_consumer": rec}}]
        kept.ingest("org-A", EVENTS.validate_python(batch))
        other = TraceRepo(Database(read_url))
        other.ingest("org-A", EVENTS.validate_python(batch))
        other.db.engine.dispose()
        if batch[0]["type"] != "redeclare":
            lots.append(f"L{i}")
            mass[f"L{i}"] = float(batch[0]["mass_kg"])
    fresh = TraceRepo(Database(read_url))
    np.testing.assert_allclose(_values(kept, "org-A", lots), _values(fresh, "org-A", lots),
                               rtol=1e-12, atol=1e-12)
    kept.db.engine.dispose()
    fresh.db.engine.dispose()


def test_kept_graph_is_dropped_when_another_process_writes(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    service = _fresh(url)
    service.ingest("org-A", EVENTS.validate_python([
        {"type": "create", "lot": "X", "material": "al", "mass_kg": 10, "cfp": {"total": 10}},
        {"type": "create", "lot": "Y", "material": "al", "mass_kg": 10, "cfp": {"total": 20}}]))
    service.ingest("org-A", EVENTS.validate_python([  # the graph is now kept
        {"type": "redeclare", "lot": "Y", "cfp": {"total": 30}}]))
    cli = TraceRepo(Database(url))  # another process adds a lot made from X
    cli.ingest("org-A", EVENTS.validate_python([
        {"type": "process", "lot": "Z", "mass_kg": 5, "inputs": [{"lot": "X", "mass_kg": 5}]}]))
    res = service.ingest("org-A", EVENTS.validate_python([
        {"type": "redeclare", "lot": "X", "cfp": {"total": 40}}]))
    assert res.recomputed == 2  # X and Z: the service saw the other process's lot
    assert service.show("org-A", "Z")["cfp_kgco2e"]["total"] == 20.0  # half of X's 40
    cli.db.engine.dispose()
    service.db.engine.dispose()


def test_concurrent_batches_cannot_spend_a_lot_twice(repo: TraceRepo) -> None:
    """Two batches each consume all of lot S at the same time: one succeeds, the other is
    told S has nothing left (the write lock is taken before the batch reads)."""
    repo.ingest("org-A", EVENTS.validate_python([
        {"type": "create", "lot": "S", "material": "al", "mass_kg": 10, "cfp": {"total": 5}}]))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def spend(k: int) -> None:
        other = TraceRepo(Database(repo.db.url))
        start.wait()
        try:
            other.ingest("org-A", EVENTS.validate_python([
                {"type": "process", "lot": f"T{k}", "mass_kg": 10,
                 "inputs": [{"lot": "S", "mass_kg": 10}]}]))
            outcomes.append("ok")
        except TraceError as exc:
            outcomes.append(str(exc))
        finally:
            other.db.engine.dispose()

    threads = [threading.Thread(target=spend, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "ok" and "only 0 kg left" in sorted(outcomes)[0], outcomes


def test_graph_read_at_start_serves_the_first_redeclaration(repo: TraceRepo) -> None:
    """The service reads the graph at start (keep_graph); the first re-declaration then
    uses it and still sees every downstream lot."""
    repo.ingest("org-A", EVENTS.validate_python([
        {"type": "create", "lot": "R", "material": "al", "mass_kg": 10, "cfp": {"total": 10}},
        {"type": "process", "lot": "R2", "mass_kg": 4, "inputs": [{"lot": "R", "mass_kg": 5}],
         "process": {"cfp_kgco2e": 1}}]))
    service = TraceRepo(repo.db)
    assert service.keep_graph() == 2
    assert service._graph is not None and service._graph.seqs.size == 2
    res = service.ingest("org-A", EVENTS.validate_python([
        {"type": "redeclare", "lot": "R", "cfp": {"total": 20}}]))
    assert res.recomputed == 2
    assert service.show("org-A", "R2")["cfp_kgco2e"]["total"] == 11.0  # half of 20, plus 1
