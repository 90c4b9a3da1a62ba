"""Migration 0008 (SQLite and PostgreSQL): it creates exactly the table the store declares
(``junkan.store.trace_pact.versions_table``), keeps the ledger, and its downgrade drops the
table and nothing else."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from junkan.store import trace_pact
from junkan.store.db import Database
from junkan.store.repo import Store
from tests.migrating import migrate
from tests.trace.test_migration_0006 import db  # noqa: F401 (a fixture)


def _table_of(diff: Any) -> str:
    """The table an autogenerate difference is about."""
    d = diff[0] if isinstance(diff, list) else diff
    kind, obj = d[0], d[1]
    if kind in ("add_table", "remove_table"):
        return str(obj.name)
    if kind.startswith(("add_column", "remove_column", "modify_")):
        return str(d[2])
    if kind.endswith("_fk"):
        return str(obj.parent.name)
    return str(obj.table.name)  # indexes and constraints


def _table_diff(db: Database) -> list[Any]:  # noqa: F811
    """Differences between the migrated trace_pact_versions and the declared one."""
    meta = MetaData()
    Table("trace_lots", meta, Column("seq", Integer, primary_key=True))  # the FK's target
    trace_pact.versions_table.to_metadata(meta)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, meta)
    return [d for d in diffs if _table_of(d) == "trace_pact_versions"]


def test_0008_creates_the_declared_table_and_downgrades(db: Database) -> None:  # noqa: F811
    migrate(db, "0007")
    assert "trace_pact_versions" not in inspect(db.engine).get_table_names()
    store = Store(db)
    store.create_organisation("org-M")
    migrate(db, "0008")
    assert _table_diff(db) == []
    uniques = inspect(db.engine).get_unique_constraints("trace_pact_versions")
    assert [u["column_names"] for u in uniques] == [["seq", "version"]]
    with db.engine.connect() as conn:
        lots = conn.execute(text("SELECT COUNT(*) FROM trace_lots")).scalar()
    assert lots == 0
    migrate(db, "0007", up=False)
    names = inspect(db.engine).get_table_names()
    assert "trace_pact_versions" not in names and "trace_lots" in names


def test_versions_survive_an_upgrade_of_the_rest(db: Database) -> None:  # noqa: F811
    """A footprint recorded at 0008 is still there with its id after the newest
    migrations."""
    from datetime import UTC, datetime

    from junkan.trace.pact import footprint_id

    migrate(db, "0008")
    with db.engine.begin() as conn:  # a lot as revision 0008 stores it
        conn.execute(text("INSERT INTO organisations (id, name, created_at) "
                          "VALUES ('o1', 'org-1', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO trace_lots (seq, lot, creator_org, owner_org, received, material, "
            "mass_kg, consumed_kg, site, custody, declared, own, own_cfp, created_at) "
            "VALUES (1, 'L1', 'o1', 'o1', true, 'polyethylene', 1, 0, 's', 'declared', "
            "'{}', '{}', 0, '2026-01-01 00:00:00')"))
    recorded = trace_pact.record(db, [(1, "o1/L1", {"x": 1})])
    assert recorded[1][0].id == footprint_id("o1/L1")
    assert recorded[1][0].created_at <= datetime.now(UTC)
    again = trace_pact.record(db, [(1, "o1/L1", {"x": 1})])  # same content: no new version
    assert [v.id for v in again[1]] == [footprint_id("o1/L1")]
    db.migrate()  # to head
    assert [v.id for v in trace_pact.versions_of(db, [1])[1]] == [footprint_id("o1/L1")]
