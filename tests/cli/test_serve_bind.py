"""``junkan serve`` binds its address before the service starts (review 266): a server whose
port is taken must not fail or run again the jobs another server left, and says why it
stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from junkan.store.db import Database
from junkan.store.repo import Store

pytestmark = pytest.mark.slow


def _queued_job(url: str) -> tuple[Store, str, str]:
    """A store with one queued analysis (no request kept: a start that resumes jobs fails
    it as interrupted); its store, user id and job id."""
    db = Database(url)
    db.migrate()
    store = Store(db)
    org = store.create_organisation("Bind test")
    user = store.create_user(org.id, "bind@example.com", "a long enough passphrase", "B")
    job = store.create_analysis(user, "optimise", max_active=3, max_kept=10)
    return store, user.id, job.id


def test_a_taken_port_stops_the_server_before_it_touches_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    store, user_id, job_id = _queued_job(url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "junkan.cli.main", "serve", "--port", str(port),
             "--database-url", url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert f"cannot listen on 127.0.0.1:{port}" in said, said
    assert "junkan on" not in said  # never said it was serving
    found = store.get_analysis(user_id, job_id)
    assert found is not None and found[0].status == "queued"  # not failed as interrupted
    assert not (tmp_path / "jobs.db.server.lock").exists()  # nor took the database


def test_an_unknown_host_is_named(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "junkan.cli.main", "serve", "--host", "no-such-host.invalid",
         "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, timeout=120)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2 and "--host 'no-such-host.invalid'" in said, said
