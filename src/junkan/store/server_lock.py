"""Which server owns a database's unfinished work: the first ``junkan serve`` process to start
on it holds a lock for its lifetime — an exclusive ``flock`` on ``<file>.server.lock`` beside
a SQLite file, a session advisory lock on PostgreSQL — and only the holder fails the runs and
resumes the background jobs a stopped server left unfinished. A second server on the same
database leaves them to the first, which is still running them (review 265: it ran them a
second time, and a job the first had finished ended as failed). The operating system (the
file) or PostgreSQL (the session) releases the lock when its process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
KEY = 0x6A756E6B616E  # "junkan": the advisory lock's key on PostgreSQL
MIGRATE_KEY = KEY + 1
"""The advisory lock a migration holds on PostgreSQL (:func:`migrating`)."""
MIGRATE_WAIT_S = 600.0
"""How long a start waits for another process's migration, unless ``JUNKAN_MIGRATE_WAIT_S``
says otherwise (a design choice: a migration of this schema takes seconds; one held for ten
minutes is stuck)."""
PROGRESS_S = 30.0
"""A start still waiting for the migration lock says so this often."""


class MigrationLockTimeout(RuntimeError):
    """Another process held the migration lock for longer than the wait allowed."""


def migrate_wait_s() -> float:
    """``JUNKAN_MIGRATE_WAIT_S`` (seconds, above 0) or :data:`MIGRATE_WAIT_S`."""
    raw = os.environ.get("JUNKAN_MIGRATE_WAIT_S")
    if raw is None:
        return MIGRATE_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"JUNKAN_MIGRATE_WAIT_S: give seconds above 0, not {raw[:40]!r}")
    return value


def _wait_for(take: Callable[[], bool], where: str, wait_s: float, poll_s: float = 0.1) -> None:
    """Call ``take`` until it gets the lock, saying every :data:`PROGRESS_S` seconds that
    the start waits; :class:`MigrationLockTimeout` after ``wait_s`` (review 288's lock was
    waited for without end and without a word: a stuck migration hung every later start)."""
    start = said = time.monotonic()
    while not take():
        now = time.monotonic()
        if now - start >= wait_s:
            raise MigrationLockTimeout(
                f"the migration lock ({where}) has been held by another process for "
                f"{now - start:.0f} s: another junkan server is "
                "migrating this database, or is stuck doing it; stop it, or wait and start "
                "again")
        if now - said >= PROGRESS_S:
            log.warning("waiting %.0f s for the migration lock (%s) another process holds",
                        now - start, where)
            said = now
        time.sleep(poll_s)


class ServerLock:
    """Held from :meth:`acquire` (whether it was got) to :meth:`release`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._file: IO[bytes] | None = None
        self._conn: Any = None

    def acquire(self) -> bool:
        """Take the lock if no other process holds it; whether this process now holds it.
        An in-memory SQLite database is this process's own: always held."""
        url = make_url(str(self.engine.url))
        if url.get_backend_name() == "sqlite":
            path = url.database
            if not path or path == ":memory:":
                return True
            # the file itself, however it is reached (a symlink, a relative path), readable
            # by the owner only: another user holding it would stop every resumption
            where = f"{os.path.realpath(path)}.server.lock"
            try:
                handle = os.fdopen(os.open(where, os.O_WRONLY | os.O_CREAT, 0o600), "wb")
            except OSError as exc:
                log.warning("cannot open %s (%s): unfinished runs and jobs are not resumed",
                            where, exc.strerror or exc)
                return False
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            return True
        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": KEY}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": KEY})
                self._conn.commit()
            self._conn.close()
            self._conn = None


@contextlib.contextmanager
def migrating(engine: Any, *, wait_s: float | None = None) -> Iterator[None]:
    """Hold the database's migration lock until the block ends (its transaction committed
    inside it): servers started at the same instant on an empty database migrate one after
    the other, the later finding the schema at head (before, the later failed creating tables
    the other had just created). PostgreSQL: a session advisory lock on a connection of its
    own; a SQLite file: an exclusive ``flock`` on ``<file>.migrate.lock``; both waited for up
    to ``wait_s`` seconds (default :func:`migrate_wait_s`; :class:`MigrationLockTimeout`
    after). In-memory SQLite: nothing to share."""
    wait_s = migrate_wait_s() if wait_s is None else wait_s
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite":
        with engine.connect() as conn:
            def take() -> bool:
                sql = text("SELECT pg_try_advisory_lock(:k)")
                got = bool(conn.execute(sql, {"k": MIGRATE_KEY}).scalar())
                conn.commit()
                return got

            _wait_for(take, f"PostgreSQL advisory lock {MIGRATE_KEY}", wait_s)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_KEY})
                conn.commit()
        return
    if not url.database or url.database == ":memory:":
        yield
        return
    where = f"{os.path.realpath(url.database)}.migrate.lock"
    try:
        handle = os.fdopen(os.open(where, os.O_WRONLY | os.O_CREAT, 0o600), "wb")
    except OSError as exc:  # e.g. made by another user (review 288): start as before it
        log.warning("cannot open %s (%s): migrating without the migration lock", where,
                    exc.strerror or exc)
        yield
        return

    def take_file() -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    with handle:  # the lock is released when the file is closed, however
        _wait_for(take_file, where, wait_s)
        yield
