"""The fast paths of the audit give the answers of the plain ones: signatures checked in
worker processes (and in threads when a worker dies), the canonical-form test through the
standard library's encoder, and an incremental audit that checks only new signatures."""

from __future__ import annotations

import contextlib
import json
import math
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from junkan.store import trace_logcheck, trace_verify
from junkan.store.trace_logcheck import canonical_form
from junkan.store.trace_repo import TraceRepo
from junkan.trace import signing
from junkan.trace.canonical import canonical
from tests.trace.test_ledger import build_chain
from tests.trace.test_pact import _store
from tests.trace.test_verify_since import _first_part, _second_part


@pytest.fixture
def chain(tmp_path: Path) -> TraceRepo:
    store = _store(f"sqlite:///{tmp_path / 'l.db'}")
    for name in "ABCDEFG":
        store.create_organisation(f"org-{name}")
    repo = TraceRepo(store.db)
    build_chain(repo)
    return repo


def _forge(repo: TraceRepo) -> None:
    """Another valid-looking signature on org-B's merge, and on org-C's last checkpoint."""
    with repo.db.engine.begin() as conn:
        other = conn.execute(text("SELECT signature FROM trace_events WHERE type = 'ship' "
                                  "AND lot = 'B'")).scalar_one()
        conn.execute(text("UPDATE trace_events SET signature = :s WHERE type = 'merge' AND "
                          "lot = 'B'"), {"s": other})
        conn.execute(text("UPDATE trace_checkpoints SET signature = :s WHERE id = (SELECT "
                          "max(id) FROM trace_checkpoints WHERE org_id = (SELECT id FROM "
                          "organisations WHERE name = 'org-C'))"), {"s": other})


WANT = {"org-B event 3 (merge B): signature does not verify",
        "checkpoint 5 (size 4): signature does not verify"}


@pytest.mark.slow  # worker processes or many examples: `make test` runs it
def test_signatures_checked_in_worker_processes(chain: TraceRepo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    real = trace_logcheck.ProcessPoolExecutor

    def pool(n: int, **kw: Any) -> Any:
        started.append(n)
        return real(n, **kw)

    monkeypatch.setattr(trace_logcheck, "ProcessPoolExecutor", pool)
    monkeypatch.setattr(trace_verify, "PROCESSES_FROM", 1)
    assert [p.text for p in chain.audit().problems] == []
    _forge(chain)
    assert {p.text for p in chain.audit().problems} >= WANT
    assert started == [signing.cores()] * 2


class _Dead:
    """A process pool whose workers died: every part fails to come back."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        pass

    def submit(self, *args: Any) -> Future[Any]:
        part: Future[Any] = Future()
        part.set_exception(BrokenProcessPool("a worker died"))
        return part

    def shutdown(self, **kw: Any) -> None:
        pass


def test_parts_a_dead_worker_did_not_check_are_checked_here(
        chain: TraceRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_logcheck, "ProcessPoolExecutor", _Dead)
    monkeypatch.setattr(trace_verify, "PROCESSES_FROM", 1)
    assert [p.text for p in chain.audit().problems] == []
    _forge(chain)
    assert {p.text for p in chain.audit().problems} >= WANT


def test_since_checks_the_signatures_of_the_new_checkpoints_only(
        repo: TraceRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _first_part(repo)
    repo.audit(save=tmp_path / "state")
    _second_part(repo)
    checked: list[int] = []
    real = signing.failing

    def failing(public: str, datas: list[bytes], sigs: list[str]) -> list[int]:
        checked.append(len(datas))
        return real(public, datas, sigs)

    monkeypatch.setattr(trace_logcheck, "failing", failing)
    # the events' signatures are covered by the checkpoints' signature chains: only the
    # checkpoints' own signatures are verified with Ed25519 ...
    audit = repo.audit(since=tmp_path / "state")
    assert [p.text for p in audit.problems] == []
    assert sum(checked) == 4  # a new checkpoint for each of 4 batches
    assert (audit.signatures_verified, audit.signatures_chained) == (0, 6)
    checked.clear()
    assert [p.text for p in repo.audit().problems] == []
    assert sum(checked) == 12  # everything: 12 checkpoints
    # ... unless every signature is asked for
    checked.clear()
    audit = repo.audit(since=tmp_path / "state", every_signature=True)
    assert [p.text for p in audit.problems] == []
    assert sum(checked) == 6 + 4  # six new events, a new checkpoint for each of 4 batches
    assert (audit.signatures_verified, audit.signatures_chained) == (6, 0)
    checked.clear()
    assert [p.text for p in repo.audit(every_signature=True).problems] == []
    assert sum(checked) == 29 + 12  # everything: 29 events, 12 checkpoints


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**60, 2**60) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12)


def _is_canonical(data: bytes) -> bool:
    try:
        return canonical(json.loads(data)) == data
    except ValueError:
        return False


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(_json)
def test_the_canonical_form_test_agrees_with_canonical(value: Any) -> None:
    texts = [json.dumps(value).encode(), json.dumps(value, separators=(",", ":")).encode(),
             json.dumps(value, separators=(",", ":"), sort_keys=True,
                        ensure_ascii=False).encode()]
    with contextlib.suppress(ValueError):  # integers beyond 2^53 have no canonical form
        texts.append(canonical(value))
    for data in texts:
        assert canonical_form(json.loads(data), data) == _is_canonical(data), data


def test_the_canonical_form_test_on_what_the_standard_library_writes_otherwise() -> None:
    for value in (10.0, 1e-7, 1e16, -0.0, 2**53 + 1, {"\U0001f600": 1, "\uffff": 2}):
        data = json.dumps(value, separators=(",", ":"), sort_keys=True,
                          ensure_ascii=False).encode()
        assert not canonical_form(json.loads(data), data), data
    assert canonical_form(5e-324, canonical(5e-324)) and math.isfinite(5e-324)


@pytest.mark.slow  # worker processes or many examples: `make test` runs it
def test_a_clean_audit_after_many_batches_on_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of the worker size (one organisation, 2,502 events in 3 batches, parts of 1,000
    events instead of 10,000 to keep the test short) end where a part does not: nothing is
    lost at the part boundaries."""
    monkeypatch.setattr(trace_verify, "PART", 1_000)
    store = _store(f"sqlite:///{tmp_path / 'big.db'}")
    store.create_organisation("org-A")
    repo = TraceRepo(store.db)
    from tests.trace.test_ledger import ev

    at = datetime(2026, 2, 1, tzinfo=UTC)
    for b in range(3):
        repo.ingest("org-A", ev(*({"type": "create", "lot": f"L{b}-{i}", "material": "al",
                                   "mass_kg": 1, "cfp": {"total": 1}}
                                  for i in range(834))), at=at)
    audit = repo.audit()
    assert [p.text for p in audit.problems] == [] and audit.replayed == 2_502
    with repo.db.engine.begin() as conn:  # the last event of the first worker part
        conn.execute(text("UPDATE trace_events SET signature = (SELECT signature FROM "
                          "trace_events WHERE org_seq = 1) WHERE org_seq = 1000"))
    assert [p.text for p in repo.audit().problems] == [
        "org-A event 1000 (create L1-165): signature does not verify"]
