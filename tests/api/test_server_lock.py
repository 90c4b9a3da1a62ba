"""The database's server lock (reviews 265, 266): one holder per database file however it is
reached, private to its owner, and a job another server ended is never run again."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from junkan.api.background import MAX_ACTIVE
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store import server_lock
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


def _start(url: str, barrier: Any, answers: Any) -> None:
    """A seeded server's start on ``url`` (migration, seeding), after the barrier."""
    from junkan.api import create_app
    from junkan.store.db import Settings

    barrier.wait()
    try:
        with TestClient(create_app(Settings(database_url=url), seed=True)) as client:
            answers.put(str(client.get("/api/health").status_code))
    except Exception as exc:  # what the second server met
        answers.put(f"{type(exc).__name__}: {str(exc)[:200]}")


def test_servers_started_at_once_on_an_empty_database_both_start(
        empty_database_url: str, standard_password_hashing: None) -> None:
    """Two seeded servers started at the same instant on a new database: the later failed
    creating the tables the other had just made ('table alembic_version already exists' on
    SQLite, a unique violation on PostgreSQL), or seeding the demo user the other had just
    made ('already registered', at the service's hashing cost); 3 of 3 tries each before.
    Migration and seeding hold the database's migration lock, one server after the other."""
    ctx = mp.get_context("spawn")
    barrier, answers = ctx.Barrier(2), ctx.Queue()
    servers = [ctx.Process(target=_start, args=(empty_database_url, barrier, answers))
               for _ in range(2)]
    for p in servers:
        p.start()
    for p in servers:
        p.join(120)
    assert [answers.get(timeout=5) for _ in servers] == ["200", "200"]
    from junkan.store.db import Database

    with Database(empty_database_url).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 2


def test_a_migration_lock_that_cannot_be_opened_does_not_stop_the_start(tmp_path: Path) -> None:
    """Review 288: a <file>.migrate.lock another user made (here a folder in the way) made
    every later start fail; like the server lock, it is skipped with a warning."""
    from junkan.store.db import Database

    db = Database(f"sqlite:///{tmp_path / 'j.db'}")
    db.migrate()
    (tmp_path / "j.db.migrate.lock").unlink()
    (tmp_path / "j.db.migrate.lock").mkdir()
    db.migrate()  # at head: nothing to do, and no error



@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_migration_lock_held_too_long_is_named_not_waited_for_without_end(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    """Review 288 left the wait without end or word: a stuck migration hung every start.
    The holder is another connection (PostgreSQL) or open file (SQLite ``flock``), as
    another process's would be."""
    url = f"sqlite:///{tmp_path / 'j.db'}"
    if backend == "postgresql":
        url = os.environ.get("JUNKAN_TEST_POSTGRES_URL") or pytest.skip("no PostgreSQL")
    monkeypatch.setattr(server_lock, "PROGRESS_S", 0.2)
    with server_lock.migrating(create_engine(url)):
        with caplog.at_level(logging.WARNING, "junkan.store.server_lock"), pytest.raises(
            server_lock.MigrationLockTimeout, match=r"held by another process for \d+ s"
        ), server_lock.migrating(create_engine(url), wait_s=0.7):
            raise AssertionError("the lock was taken while held")
        assert re.search(r"waiting \d+ s for the migration lock", caplog.text)
    with server_lock.migrating(create_engine(url), wait_s=5):
        pass  # free again once its holder is done


@pytest.mark.parametrize("command", [["serve"], ["admin", "org", "list"]])
def test_a_command_behind_a_stuck_migration_stops_with_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    """Review 306: the timeout reached ``junkan serve`` as uvicorn's failed startup (a
    traceback after "junkan on http://…", exit code 3), and other commands as a traceback."""
    import fcntl
    import socket
    import subprocess
    import sys

    if command == ["serve"]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            command = [*command, "--port", str(s.getsockname()[1])]
    db = tmp_path / "j.db"
    with open(f"{db}.migrate.lock", "wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process migrating, or stuck doing it
        done = subprocess.run(
            [sys.executable, "-m", "junkan", *command, "--database-url", f"sqlite:///{db}"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "JUNKAN_MIGRATE_WAIT_S": "0.5"})
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "not started: the migration lock" in " ".join(out.split())
    assert "Traceback" not in out and "junkan on http" not in out


def test_a_wrong_migration_wait_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("0", "-1", "nan", "inf", "ten"):
        monkeypatch.setenv("JUNKAN_MIGRATE_WAIT_S", bad)
        with pytest.raises(ValueError, match="JUNKAN_MIGRATE_WAIT_S: give seconds above 0"):
            server_lock.migrate_wait_s()
    monkeypatch.setenv("JUNKAN_MIGRATE_WAIT_S", "2.5")
    assert server_lock.migrate_wait_s() == 2.5
