"""First signings of an organisation that run at the same time (SQLite always, PostgreSQL when
JUNKAN_TEST_POSTGRES_URL is set): the signing key is made once, every caller gets that one
key, and none fails. The race is forced: every caller has looked for the key and found none
before any of them stores one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from junkan.store import trace_base
from junkan.store.db import Database
from junkan.store.policy_repo import SolarRepo
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_tables import TraceKey
from junkan.trace.keystore import KeyRing, new_secret, public_of
from tests.api.conftest import store_url

CALLERS = 4


def _all_look_first(monkeypatch: pytest.MonkeyPatch, callers: int = CALLERS) -> list[int]:
    """Make key creation wait until all ``callers`` have found no key (then they all try to
    store one); returns the list the callers that got through the wait are counted in."""
    barrier = threading.Barrier(callers, timeout=30)
    through: list[int] = []
    real: Callable[[], tuple[str, str]] = trace_base.new_key

    def new_key() -> tuple[str, str]:
        barrier.wait()
        through.append(1)
        return real()

    monkeypatch.setattr(trace_base, "new_key", new_key)
    return through


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_first_signings_make_one_key(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(store_url(kind, tmp_path))
    db.migrate()
    try:
        org = Store(db).create_organisation("Race Org").id
        trace = TraceRepo(db, keys=KeyRing([new_secret()], "test key"))
        repo = SolarRepo(db)
        through = _all_look_first(monkeypatch)
        with ThreadPoolExecutor(CALLERS) as pool:
            keys = list(pool.map(lambda _: repo.reuse_signing_key(trace, org), range(CALLERS)))
        assert len(through) == CALLERS  # the race happened: all four made a key
        with db.session() as s:
            stored = s.scalars(select(TraceKey).where(TraceKey.org_id == org)).all()
        assert len(stored) == 1
        assert {pub for _, pub in keys} == {stored[0].public_key}
        assert {public_of(priv) for priv, _ in keys} == {stored[0].public_key}
        # and the key stays: a later signing reads it, makes none
        assert repo.reuse_signing_key(trace, org) == keys[0]
    finally:
        db.engine.dispose()
