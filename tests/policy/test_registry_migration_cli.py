"""Migration 0013 (the solar-panel registry) goes up and down cleanly, and the operator's
``junkan policy solar-role`` grants and withdraws registry roles."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from typer.testing import CliRunner

from junkan.cli.policy import app
from junkan.store.db import MIGRATIONS, Database
from junkan.store.repo import Store

TABLES = {
    "solar_models",
    "solar_installations",
    "solar_handovers",
    "solar_treatments",
    "solar_org_roles",
}


def test_0013_up_and_down(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url)

    def to(revision: str, up: bool = True) -> set[str]:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, revision)
        return set(inspect(db.engine).get_table_names())

    assert not TABLES & to("0012")
    assert to("0013") >= TABLES
    assert not TABLES & to("0012", up=False)
    assert to("head") >= TABLES
    db.engine.dispose()


def test_solar_role_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    db.migrate()
    Store(db).create_organisation("city-chiyoda")
    run = CliRunner().invoke
    res = run(app, ["solar-role", "city-chiyoda", "--municipality", "13101", "--database", url])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["roles"] == {"municipality": "13101"}
    res = run(app, ["solar-role", "city-chiyoda", "--municipality", "131", "--database", url])
    assert res.exit_code == 2 and "5 digits" in res.output
    res = run(app, ["solar-role", "nobody", "--certified-recycler", "P-1", "--database", url])
    assert res.exit_code == 2 and "not found" in res.output
    res = run(app, ["solar-role", "city-chiyoda", "--revoke", "municipality", "--database", url])
    assert res.exit_code == 0 and json.loads(res.output)["roles"] == {}
    res = run(app, ["solar-role", "city-chiyoda", "--revoke", "municipality", "--database", url])
    assert res.exit_code == 2
    db.engine.dispose()
