"""Moving a test store between migrations, and what its schema lacks against the tables the
store declares, and the rows such a test writes first: the steps every migration test takes."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, Table, text

from junkan.store.db import MIGRATIONS, Database


def migrate(db: Database, revision: str, up: bool = True) -> None:
    """Upgrade (or, with ``up=False``, downgrade) ``db`` to ``revision``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, revision)


def schema_diff(db: Database, table: Any, targets: tuple[str, ...] = ("organisations", "users"),
                id_length: int = 32) -> list[Any]:
    """Alembic's differences between ``db`` and the store's declared ``table`` (a mapped
    class's ``__table__``) that concern that table: ``[]`` when the migrations made it as
    declared. ``targets``: the tables its foreign keys name (declared with an id of
    ``id_length`` characters); the other tables of the database are not compared."""
    meta = MetaData()
    for target in targets:
        Table(target, meta, Column("id", String(id_length), primary_key=True))
    table.to_metadata(meta)
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                 meta)
    return [d for d in diffs if table.name in repr(d)
            and not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name != table.name)]


def add_owner(conn: Any) -> None:
    """Organisation ``o1`` and its admin ``u1``, as rows written before a migration (what
    a table with an organisation's or a user's key needs)."""
    conn.execute(text("INSERT INTO organisations (id, name, created_at) VALUES "
                      "('o1', 'org-1', '2026-01-01 00:00:00')"))
    conn.execute(text(
        "INSERT INTO users (id, org_id, email, display_name, password_hash, role, "
        "created_at) VALUES ('u1', 'o1', 'a@b.c', 'A', '!', 'admin', "
        "'2026-01-01 00:00:00')"))
