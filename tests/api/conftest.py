"""Service fixtures: an app on SQLite (always) and on PostgreSQL (when
JUNKAN_TEST_POSTGRES_URL is set; required when CI=true)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store.db import Settings

PG_URL = os.environ.get("JUNKAN_TEST_POSTGRES_URL")


def _reset_postgres(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        # connections left by earlier tests' engines (apps, CLI runs) hold locks and count
        # against max_connections: end them before the schema goes
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


def store_url(kind: str, folder: Path, name: str = "junkan.db") -> str:
    """A store's URL for a test: a new SQLite file in ``folder``, or the test PostgreSQL
    database emptied (skipped where none is configured; a failure under CI=true, which must
    run every store test on PostgreSQL)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / name}"
    if not PG_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the store tests on PostgreSQL: set JUNKAN_TEST_POSTGRES_URL")
        pytest.skip("JUNKAN_TEST_POSTGRES_URL not set")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, tmp_path)


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
