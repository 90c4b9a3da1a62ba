"""Migration 0003 moves the lots' derived values to trace_values without losing any, and
back on downgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from junkan.store.db import MIGRATIONS, Database
from junkan.store.trace_repo import TraceRepo


def test_0003_keeps_the_derived_values(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)

    def to(revision: str, up: bool = True) -> None:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, revision)

    to("0002")
    with db.engine.begin() as conn:  # a lot as revision 0002 stored it
        conn.execute(text("INSERT INTO organisations (id, name, created_at) "
                          "VALUES ('o1', 'org-1', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO trace_lots (lot, creator_org, owner_org, received, material, mass_kg, "
            "consumed_kg, site, custody, declared, own, own_cfp, cfp_total, cfp_fossil, "
            "cfp_biogenic, rec_pre, rec_post, created_at, updated_at) VALUES ('X', 'o1', "
            "'o1', 1, 'al', 10, 0, 's', 'declared', '{}', '{}', 0, 12.5, 12.0, 0.5, 0.1, "
            "0.2, '2026-01-01 00:00:00', '2026-01-02 00:00:00')"))
    to("head")
    lot = TraceRepo(db).show("org-1", "X")
    assert lot["cfp_kgco2e"]["total"] == 12.5 and lot["cfp_kgco2e"]["biogenic"] == 0.5
    assert lot["recycled"]["post_consumer"] == 0.2
    assert lot["updated_at"].startswith("2026-01-02T00:00:00")
    to("0002", up=False)
    with db.engine.begin() as conn:
        row = conn.execute(text("SELECT cfp_total, cfp_fossil, rec_post FROM trace_lots")).one()
    assert tuple(row) == (12.5, 12.0, 0.2)
    db.engine.dispose()
