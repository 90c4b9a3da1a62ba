"""Service fixtures: an app on SQLite (always) and on PostgreSQL (when
JUNKAN_TEST_POSTGRES_URL is set; required when CI=true)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store.db import MIGRATIONS, Database, Settings

PG_URL = os.environ.get("JUNKAN_TEST_POSTGRES_URL")


def _reset_postgres(url: str) -> None:
    """Drop and recreate the public schema: the database as a new install finds it."""
    eng = create_engine(url)
    with eng.begin() as conn:
        # connections left by earlier tests' engines (apps, CLI runs) hold locks and count
        # against max_connections: end them before the schema goes
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@functools.cache
def _head() -> str:
    """The newest migration's revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def _empty_postgres_at_head(url: str) -> None:
    """The test database migrated to head with every table empty. Migrating costs ~0.6 s a
    test; when the last test left the schema at head, emptying its tables gives the same
    store in a few milliseconds (the migrations create no rows of their own)."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
            version = None
            if "alembic_version" in tables:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if version == _head():
                data = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
                conn.execute(text(f"TRUNCATE {data} RESTART IDENTITY CASCADE"))
                return
    finally:
        eng.dispose()
    _reset_postgres(url)
    db = Database(url)
    db.migrate()
    db.engine.dispose()


@functools.cache
def _sqlite_template() -> Path:
    """An SQLite store migrated to head, once per test process, copied for each test."""
    folder = Path(tempfile.mkdtemp(prefix="junkan-template-"))
    db = Database(f"sqlite:///{folder / 'template.db'}")
    db.migrate()
    db.engine.dispose()  # the last connection checkpoints the WAL into the file
    return folder / "template.db"


def store_url(kind: str, folder: Path, name: str = "junkan.db", *, empty: bool = False) -> str:
    """A store's URL for a test: a new SQLite file in ``folder``, or the test PostgreSQL
    database (skipped where none is configured; a failure under CI=true, which must run
    every store test on PostgreSQL). The store is migrated to head with no rows, as a new
    install's first start leaves it; ``empty=True`` gives a store with no schema at all (for
    the tests of the migrations themselves)."""
    if kind == "sqlite":
        path = folder / name
        if not empty:
            shutil.copyfile(_sqlite_template(), path)
            path.chmod(0o600)
        return f"sqlite:///{path}"
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the store tests on PostgreSQL: set JUNKAN_TEST_POSTGRES_URL")
        pytest.skip("JUNKAN_TEST_POSTGRES_URL not set")
    if empty:
        _reset_postgres(PG_URL)
    else:
        _empty_postgres_at_head(PG_URL)
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with no schema yet, for the tests of the migrations."""
    return store_url(request.param, tmp_path, empty=True)


@pytest.fixture
def app_client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url), seed=True)
    with TestClient(app) as client:
        yield client


def login(client: TestClient, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    res = client.post("/api/session", json={"email": email, "password": password})
    assert res.status_code == 200, res.text
    client.headers["X-Junkan-CSRF"] = "1"


def bearer(client: TestClient, email: str, password: str) -> dict[str, str]:
    """Client-credentials token for a user (via a session to create the client)."""
    client.cookies.clear()
    login(client, email, password)
    creds = client.post("/api/clients", json={"name": "test"}).json()
    client.cookies.clear()
    tok = client.post("/oauth/token", data={"grant_type": "client_credentials",
                                            "client_id": creds["client_id"],
                                            "client_secret": creds["client_secret"]})
    assert tok.status_code == 200, tok.text
    return {"Authorization": f"Bearer {tok.json()['access_token']}"}


def demo_tokens(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    return (bearer(client, DEMO_EMAIL, DEMO_PASSWORD),
            bearer(client, PARTNER_EMAIL, PARTNER_PASSWORD))


def wait_for(client: TestClient, path: str, headers: dict[str, str],
             timeout: float = 60) -> dict[str, Any]:
    """GET ``path`` until its ``status`` is succeeded or failed (a run, an analysis)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = client.get(path, headers=headers).json()
        if doc["status"] in ("succeeded", "failed"):
            return dict(doc)
        time.sleep(0.05)
    raise AssertionError(f"{path} did not finish in {timeout} s")


def wait_run(client: TestClient, run_id: str, headers: dict[str, str],
             timeout: float = 60) -> dict[str, Any]:
    return wait_for(client, f"/api/runs/{run_id}", headers, timeout)
