"""The database's server lock (reviews 265, 266): one holder per database file however it is
reached, private to its owner, and a job another server ended is never run again."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from junkan.api.background import MAX_ACTIVE
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.server_lock import ServerLock


def test_one_holder_per_file_through_a_symlink_and_private(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    db.touch()
    (tmp_path / "link.db").symlink_to(db)
    first = ServerLock(create_engine(f"sqlite:///{db}"))
    second = ServerLock(create_engine(f"sqlite:///{tmp_path / 'link.db'}"))
    assert first.acquire() and not second.acquire()
    lock = tmp_path / "a.db.server.lock"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    first.release()
    assert second.acquire()
    second.release()


def test_a_lock_that_cannot_be_made_is_not_held(tmp_path: Path) -> None:
    (tmp_path / "a.db.server.lock").mkdir()  # in the way
    assert not ServerLock(create_engine(f"sqlite:///{tmp_path / 'a.db'}")).acquire()
    assert os.path.isdir(tmp_path / "a.db.server.lock")


def test_a_job_that_ended_is_not_started_again(app_client: TestClient) -> None:
    """Review 266: a job another server finished was set running again by a resumed task,
    whose finish then failed it."""
    store = app_client.app.state.store  # type: ignore[attr-defined]
    user = store.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    job = store.create_analysis(user, "uncertainty", max_active=MAX_ACTIVE, max_kept=50)
    assert store.analysis_started(job.id)
    assert store.finish_analysis(job.id, {"runs": 1})
    assert not store.analysis_started(job.id) and not store.finish_analysis(job.id, {"x": 2})
    store.fail_analysis(job.id, "late")
    found, doc = store.get_analysis(user.id, job.id)
    assert found.status == "succeeded" and doc == {"runs": 1}
