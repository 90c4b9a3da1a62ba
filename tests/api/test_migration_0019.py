"""Migration 0019: an accepted analysis keeps its call (``analysis_requests``) until it ends;
analyses stored before it have none, and a restart fails them as interrupted, as before."""

from __future__ import annotations

from sqlalchemy import inspect, text

from junkan.store.db import Database
from junkan.store.tables import AnalysisRequest
from tests.api.conftest import empty_database_url  # noqa: F401
from tests.migrating import add_owner, migrate, schema_diff


def _tables(db: Database, revision: str, up: bool = True) -> set[str]:
    migrate(db, revision, up)
    return set(inspect(db.engine).get_table_names())


def test_0019_up_and_down_keeps_earlier_analyses(empty_database_url: str) -> None:  # noqa: F811
    db = Database(empty_database_url)
    try:
        assert "analysis_requests" not in _tables(db, "0018")
        with db.engine.begin() as conn:
            add_owner(conn)
            conn.execute(text(
                "INSERT INTO analyses (id, org_id, user_id, kind, status, created_at) VALUES "
                "('a1', 'o1', 'u1', 'uncertainty', 'queued', '2026-01-01 00:00:00')"))
        assert "analysis_requests" in _tables(db, "0019")
        assert schema_diff(db, AnalysisRequest.__table__, ("analyses",)) == []
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO analysis_requests (analysis_id, request) VALUES "
                              "('a1', '{\"fn\": \"junkan.api.work:analysis_job\", "
                              "\"args\": []}')"))
            assert conn.execute(text("SELECT resumed FROM analysis_requests")).scalar_one() == 0
        assert "analysis_requests" not in _tables(db, "0018", up=False)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM analyses")).scalar_one() == "queued"
        assert "analysis_requests" in _tables(db, "head")
    finally:
        db.engine.dispose()
