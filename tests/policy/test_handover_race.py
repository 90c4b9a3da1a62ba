"""Entries of one solar installation sent at the same time (review 269): each is checked
against the entries written before it, so no more panels are handed over than the
installation has (SQLite always, PostgreSQL when JUNKAN_TEST_POSTGRES_URL is set). The race
is forced: each request waits after its check for the others to have checked too."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from junkan import policy
from junkan.core.errors import ModelError
from junkan.store.db import Database
from junkan.store.policy_repo import SolarRepo
from junkan.store.repo import Store
from tests.api.conftest import store_url

CALLERS = 3


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_handovers_sent_at_once_never_exceed_the_installation(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(store_url(kind, tmp_path))
    db.migrate()
    try:
        store, repo = Store(db), SolarRepo(db)
        ids = {n: store.create_organisation(n).id for n in ("maker", "owner", "dismantler")}
        repo.register_model(ids["maker"], {"name": "PV-X", "technology": "c-Si",
                                           "mass_kg": 20, "glass_share": 0.75})
        inst = repo.register_installation(ids["owner"], {
            "name": "I1", "maker": "maker", "model": "PV-X", "municipality": "13101",
            "count": 100, "commissioned": "2010-01-01"})
        barrier = threading.Barrier(CALLERS, timeout=2)
        real = policy.check_solar_handover

        def check_then_wait(*args: Any) -> Any:
            out = real(*args)
            # an unserialised store lets every caller through its check first; serialised,
            # the others wait for this one's transaction and the wait times out
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            return out

        monkeypatch.setattr(policy, "check_solar_handover", check_then_wait)

        def hand_over(_: int) -> str:
            try:
                repo.handover(ids["owner"], inst, {"to": "dismantler", "role": "dismantler",
                                                   "count": 100, "date": "2026-01-01"})
            except ModelError as exc:
                return str(exc)
            return "accepted"

        with ThreadPoolExecutor(CALLERS) as pool:
            said = list(pool.map(hand_over, range(CALLERS)))
        assert said.count("accepted") == 1, said
        got = repo.installation(ids["owner"], inst)
        assert [h["count"] for h in got["handovers"]] == [100], got
        # every party's view still reads (one bad row refused the whole registry)
        assert repo.visible(ids["dismantler"]) is not None
    finally:
        db.engine.dispose()
