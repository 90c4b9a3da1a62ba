"""Trace fixtures: a migrated store (SQLite always; PostgreSQL when configured) with the
seed-002 organisations A–G."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.api.conftest import store_url

ORGS = ["A", "B", "C", "D", "E", "F", "G", "Outsider"]


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TraceRepo]:
    url = store_url(request.param, tmp_path, "trace.db")
    db = Database(url)
    db.migrate()
    store = Store(db)
    for name in ORGS:
        store.create_organisation(f"org-{name}")
    yield TraceRepo(db)
    db.engine.dispose()
