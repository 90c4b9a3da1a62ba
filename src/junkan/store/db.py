"""Database connection, settings and migrations."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from junkan.core.settings import EnvSettings
from junkan.store.server_lock import migrating

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


class Settings(EnvSettings):
    """Configuration from ``JUNKAN_*`` environment variables."""

    env_prefix: ClassVar[str] = "JUNKAN_"

    database_url: str = "sqlite:///var/junkan.db"
    """SQLAlchemy URL; e.g. ``postgresql+psycopg://user:pw@127.0.0.1/junkan``."""
    token_ttl_seconds: int = 3600
    session_ttl_seconds: int = 8 * 3600
    workers: int = 2
    """Simulation runs executed at once."""
    production: bool = False
    """Production mode (``junkan serve --production``): refuses to start without TLS or a
    declared trusted proxy, sets ``Secure`` cookies and HSTS, never seeds demo users."""
    tls_certfile: str | None = None
    """PEM certificate for HTTPS served by junkan itself (with ``tls_keyfile``)."""
    tls_keyfile: str | None = None
    trusted_proxy: str | None = None
    """Address of the TLS-terminating reverse proxy whose ``X-Forwarded-*`` headers are
    trusted (e.g. ``127.0.0.1``)."""
    org_quota_bytes: int = 1024 * 1024 * 1024
    """Storage one organisation may use for model versions and run tables (413 above it;
    0 = no cap). 1 GiB holds ~200 versions of a 5 MiB model with their results."""
    version_retention: int = 0
    """Keep only the newest N versions of each model (0 = keep all). Versions a run refers
    to are always kept."""
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest request body accepted (413 above it); the same 16 MiB as the largest model
    document (JUNKAN_LIMIT_DOCUMENT_BYTES), which holds the 9.5 MB benchmark model."""


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        # up to 64 MiB of page cache (default 2 MiB) and temporary tables in memory: a
        # million-lot recompute rewrites every page of trace_lots
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()


class Database:
    """An engine plus a session factory; :meth:`migrate` brings the schema up to date."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                if not Path(path).exists():  # created owner-only (0600), never world-readable
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self.engine = create_engine(url, connect_args={"check_same_thread": False,
                                                           "timeout": 30})
            _sqlite_pragmas(self.engine)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10,
                                        max_overflow=20)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None (PostgreSQL, in-memory)."""
        if not self.url.startswith("sqlite"):
            return None
        path = self.url.split("///", 1)[-1]
        return Path(path) if path and path != ":memory:" else None

    def restrict_files(self) -> None:
        """Make the SQLite database and its WAL files readable by their owner only (0600):
        they hold password hashes and the ledger's signing keys."""
        path = self.sqlite_path
        if path is None:
            return
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if p.exists():
                p.chmod(0o600)

    def check_writable(self) -> str | None:
        """None when the database answers and accepts writes, else what is wrong (for
        health checks; takes no write lock, so a long ingest does not block it)."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    ro = conn.exec_driver_sql("SHOW transaction_read_only").scalar()
                    if ro == "on":
                        return "the database is read-only"
                else:
                    conn.exec_driver_sql("SELECT 1").scalar()
        except Exception as exc:  # any driver error means "not ready"
            log.warning("database check failed: %s", exc)
            return "the database does not answer"
        path = self.sqlite_path
        if path is not None and not (os.access(path, os.W_OK) and
                                     os.access(path.parent, os.W_OK)):
            return "the database file is read-only"
        return None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Apply Alembic migrations up to head."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url)
        with migrating(self.engine), self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
