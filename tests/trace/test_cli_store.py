"""``junkan trace … --database``: the commands that read a ledger (show, genealogy,
notifications, verify, statement, close-period) refuse a SQLite file that does not exist
instead of making an empty database and answering "organisation not found"; no command adds
junkan's tables to another program's SQLite file; ``trace org`` and ``trace import
--create-org`` make a new ledger, its folder included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from junkan.cli.main import app

pytestmark = pytest.mark.slow

READS = [["show", "lot-1", "--org", "org-a"], ["genealogy", "lot-1", "--org", "org-a"],
         ["notifications", "--org", "org-a"], ["verify", "--org", "org-a"],
         ["statement", "--org", "org-a"]]


def trace(*args: str) -> Result:
    return CliRunner().invoke(app, ["trace", *args])


def error_line(res: Result) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error "), res.stderr
    return lines[0]


@pytest.mark.parametrize("args", READS, ids=[a[0] for a in READS])
def test_reading_a_missing_ledger_names_it_and_makes_nothing(tmp_path: Path,
                                                             args: list[str]) -> None:
    db = tmp_path / "typo" / "ledgr.db"
    line = error_line(trace(*args, "--database", f"sqlite:///{db}"))
    assert str(db) in line and "does not exist" in line
    assert not db.exists() and not db.parent.exists()


def test_another_programs_sqlite_file_is_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "theirs.db"
    with sqlite3.connect(db) as con:
        con.execute("create table x (a int)")
    for args in (["org", "org-a"], ["show", "lot-1", "--org", "org-a"]):
        line = error_line(trace(*args, "--database", f"sqlite:///{db}"))
        assert "not a junkan database" in line
    with sqlite3.connect(db) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    assert tables == ["x"]


def test_org_makes_a_new_ledger_that_the_reads_then_open(tmp_path: Path) -> None:
    db = tmp_path / "new" / "ledger.db"
    made = trace("org", "org-a", "--database", f"sqlite:///{db}")
    assert made.exit_code == 0, made.output
    assert db.exists()
    shown = trace("notifications", "--org", "org-a", "--database", f"sqlite:///{db}")
    assert shown.exit_code == 0, shown.output
