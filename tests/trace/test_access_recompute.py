"""Recompute after a re-declaration (SQLite and PostgreSQL): recomputed lots carry the
batch's event time, so a replay of the signed log reproduces ``updated_at``; float noise on a
large CFP is not a change; ``_recompute`` reports the moved lots' ``seq`` for the callers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from junkan.store.trace_recompute import Recomputed, moved_rows
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_chain, create, ev

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 2, 7, 10, 30, tzinfo=UTC)
BIG = 1e9  # kg CO2e: a million-tonne lot at 1 kg CO2e per kg


def updated(repo: TraceRepo, org: str, lot: str) -> datetime:
    at = datetime.fromisoformat(repo.show(org, lot)["updated_at"])
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def spy(repo: TraceRepo, monkeypatch: pytest.MonkeyPatch) -> list[Recomputed]:
    got: list[Recomputed] = []
    real = repo._recompute

    def recorded(*args: Any, **kw: Any) -> Recomputed:
        got.append(real(*args, **kw))
        return got[-1]

    monkeypatch.setattr(repo, "_recompute", recorded)
    return got


def seqs(repo: TraceRepo, *lots: str) -> list[int]:
    with repo.db.engine.connect() as conn:
        return [conn.execute(text("SELECT seq FROM trace_lots WHERE lot = :l"), {"l": lot})
                .scalar_one() for lot in lots]


def test_moved_is_relative_above_one_and_absolute_below() -> None:
    old = np.array([[1e9, 0.5], [1e9, 0.5], [0.0, 0.5], [0.0, 0.5]])
    new = np.array([[1e9 + 0.5, 0.5], [1e9 + 2, 0.5], [5e-10, 0.5], [2e-9, 0.5]])
    assert moved_rows(old, new).tolist() == [False, True, False, True]


def test_recomputed_lots_carry_the_batchs_event_time(repo: TraceRepo,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "ingest", _at(repo.ingest, T0))  # the chain's batches at T0
    build_chain(repo)
    got = spy(repo, monkeypatch)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}), at=T1)
    assert [updated(repo, o, x) for o, x in (("org-A", "A"), ("org-B", "B"), ("org-C", "C"),
                                             ("org-D", "D"))] == [T1] * 4
    assert updated(repo, "org-G", "G") == T0  # not downstream of A: untouched
    done = got[0]
    assert done.moved.dtype == np.int64 and done.moved.tolist() == seqs(repo, "B", "C", "D")
    assert (done.count, done.notified, done.cone, done.notes) == (1, ["org-B"], 4, 3)


def test_float_noise_on_a_large_footprint_is_not_a_change(repo: TraceRepo,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    repo.ingest("org-A", ev(create("S", 1e6, BIG), {
        "type": "process", "lot": "P", "mass_kg": 1e6, "inputs": [
            {"lot": "S", "mass_kg": 1e6}]}), at=T0)
    got = spy(repo, monkeypatch)
    # 1e9 * (1 + 1e-12): a different float, a relative change of 1e-12
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "S", "cfp": {"total": BIG + 1e-3}}),
                at=T1)
    assert got[-1].moved.size == 0 and updated(repo, "org-A", "P") == T0
    assert repo.notifications("org-A") == []  # nothing of org-A's changed but S itself
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "S", "cfp": {"total": BIG + 10}}),
                at=T1)  # 1e-8 relative: a change
    assert got[-1].moved.tolist() == seqs(repo, "P") and updated(repo, "org-A", "P") == T1
    assert repo.show("org-A", "P")["cfp_kgco2e"]["total"] == BIG + 10


def _at(ingest: Any, when: datetime) -> Any:
    def at_fixed(org: str, events: list[Any], **kw: Any) -> Any:
        return ingest(org, events, **({"at": when} | kw))
    return at_fixed
