"""Migration 0018: a failed analysis keeps its refusal's coded problems (``analyses.problems``,
nullable JSON); analyses stored before it keep their text and have none."""

from __future__ import annotations

from sqlalchemy import inspect, text

from junkan.store.db import Database
from junkan.store.tables import Analysis
from tests.api.conftest import empty_database_url  # noqa: F401
from tests.migrating import add_owner, migrate, schema_diff


def _to(db: Database, revision: str, up: bool = True) -> set[str]:
    """The columns of ``analyses`` once the store is at ``revision``."""
    migrate(db, revision, up)
    return {c["name"] for c in inspect(db.engine).get_columns("analyses")}


def test_0018_up_and_down_keeps_earlier_analyses(empty_database_url: str) -> None:  # noqa: F811
    db = Database(empty_database_url)
    try:
        assert "problems" not in _to(db, "0017")
        with db.engine.begin() as conn:
            add_owner(conn)
            conn.execute(text(
                "INSERT INTO analyses (id, org_id, user_id, kind, status, error, created_at) "
                "VALUES ('a1', 'o1', 'u1', 'uncertainty', 'failed', 'spec: no such path', "
                "'2026-01-01 00:00:00'), ('a2', 'o1', 'u1', 'uncertainty', 'succeeded', NULL, "
                "'2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO analysis_results (analysis_id, document) VALUES "
                              "('a2', '{\"runs\": 5}')"))
        assert "problems" in _to(db, "0018")
        assert schema_diff(db, Analysis.__table__) == []  # the column the store declares
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT error, problems FROM analyses WHERE id = 'a1'")).one()
        assert tuple(row) == ("spec: no such path", None)
        assert "problems" not in _to(db, "0017", up=False)
        with db.engine.connect() as conn:  # a batch copy of analyses cascaded to the results
            assert conn.execute(text("SELECT error FROM analyses WHERE id = 'a1'")) \
                .scalar_one() == "spec: no such path"
            assert conn.execute(text("SELECT analysis_id FROM analysis_results")).all() == \
                [("a2",)]
        assert "problems" in _to(db, "head")
    finally:
        db.engine.dispose()
