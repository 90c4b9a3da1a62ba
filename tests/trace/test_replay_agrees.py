"""Three ways to the same ledger must agree on random histories: the store's incremental
path (rules per event, one triangular solve per re-declaration), a replay of the signed
logs (rules per event, lot-by-lot recomputation), and :func:`propagate.recompute` over the
whole graph from the declared values. Each history mixes creations, merges, processes with
yield, splits, mass-balance claims, shipments between two organisations and
re-declarations."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.store.trace_graph import read as read_graph
from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.propagate import recompute
from tests.trace.test_graph_cache import EVENTS
from tests.trace.test_pact import _store

ORGS = ("org-A", "org-B")


def _history(rng: random.Random, steps: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Batches (organisation, events) drawn at random; some will be refused by the rules,
    which must leave nothing behind."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    made: dict[str, list[str]] = {o: [] for o in ORGS}
    declared: dict[str, list[str]] = {o: [] for o in ORGS}
    shipped: list[tuple[str, str]] = []
    for i in range(steps):
        org = rng.choice(ORGS)
        other = ORGS[1 - ORGS.index(org)]
        kind = rng.choice(["create", "create", "combine", "combine", "split", "redeclare",
                           "ship", "receive", "mb"])
        lot = f"L{i}"
        if kind == "create" or not made[org]:
            pre = rng.choice([0.0, 0.1])
            ev = {"type": "create", "lot": lot, "material": "al", "site": "s",
                  "mass_kg": rng.uniform(1, 100), "cfp": {"total": rng.uniform(0, 500),
                                                          "biogenic": rng.uniform(-1, 1)},
                  "recycled": {"pre_consumer": pre, "post_consumer": rng.uniform(0, 0.9)}}
            if ev["cfp"]["total"] < ev["cfp"]["biogenic"]:
                ev["cfp"]["biogenic"] = 0
            made[org].append(lot)
            declared[org].append(lot)
            out.append((org, [ev]))
        elif kind in ("combine", "mb"):
            mine = sorted(set(made[org]))  # a lot shipped back and forth is listed twice
            ins = rng.sample(mine, min(len(mine), rng.randint(1, 3)))
            inputs = [{"lot": x, "mass_kg": rng.uniform(0.01, 0.3)} for x in ins]
            total = sum(x["mass_kg"] for x in inputs)
            ev = {"type": "process", "lot": lot, "site": "s", "inputs": inputs,
                  "mass_kg": total * rng.uniform(0.5, 1.0),
                  "process": {"cfp_kgco2e": rng.uniform(0, 1)}}
            if kind == "mb":
                ev |= {"custody": "mass_balance", "claim": {"post_consumer": 0.05}}
            made[org].append(lot)
            out.append((org, [ev]))
        elif kind == "split":
            src = rng.choice(made[org])
            outs = [{"lot": f"{lot}.{k}", "mass_kg": 0.1} for k in range(2)]
            made[org] += [o["lot"] for o in outs]
            out.append((org, [{"type": "split", "lot": src, "outputs": outs}]))
        elif kind == "redeclare" and declared[org]:
            out.append((org, [{"type": "redeclare", "lot": rng.choice(declared[org]),
                               "cfp": {"total": rng.uniform(0, 500)},
                               "recycled": {"post_consumer": rng.uniform(0, 0.9)}}]))
        elif kind == "ship":
            src = rng.choice(made[org])
            shipped.append((other, src))
            out.append((org, [{"type": "ship", "lot": src, "to": other}]))
        elif kind == "receive" and shipped:
            to, src = shipped.pop(0)
            made[to].append(src)
            out.append((to, [{"type": "receive", "lot": src, "site": "s"}]))
    return out


@pytest.mark.slow  # worker processes or many examples: `make test` runs it
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.integers(10, 45))
def test_incremental_replay_and_propagate_agree(tmp_path_factory: Any, seed: int,
                                                steps: int) -> None:
    store = _store(f"sqlite:///{tmp_path_factory.mktemp('agree') / 't.db'}")
    for org in ORGS:
        store.create_organisation(org)
    repo = TraceRepo(store.db)
    applied = 0
    for org, events in _history(random.Random(seed), steps):
        try:
            repo.ingest(org, EVENTS.validate_python(events))
            applied += 1
        except TraceError:
            pass  # refused as a whole
    audit = repo.audit()
    assert [p.text for p in audit.problems] == []
    assert sum(audit.events.values()) >= applied
    with store.db.session() as s:
        graph = read_graph(s)
    if graph.seqs.size:
        cone = np.arange(graph.seqs.size)
        again = recompute(graph.g, graph.values, cone)
        assert again == pytest.approx(graph.values, rel=1e-9, abs=1e-9)
    store.db.engine.dispose()
