"""``junkan policy procure/report --database``: a store that is missing, not a junkan
database, a folder, unreadable or not a URL is one error line naming it and what is wrong —
never a traceback, never an empty database made (or junkan's tables added to another
program's SQLite file) only to answer "organisation 'org-maker' not found"."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from junkan.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "src" / "junkan" / "data" / "examples" / "policy" / "procurement.yaml"
PLAN = ROOT / "src" / "junkan" / "data" / "examples" / "policy" / "plan.yaml"


def procure(database: str) -> Result:
    return CliRunner().invoke(app, ["policy", "procure", str(CHECK), "--database", database])


def error_line(res: Result) -> str:
    """The one ``error …`` line the command printed (and exit code 2, no traceback)."""
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error "), res.stderr
    return lines[0]


def test_a_missing_file_is_named_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "nope.db"
    line = error_line(procure(f"sqlite:///{db}"))
    assert str(db) in line and "does not exist" in line
    assert not db.exists() and not db.parent.exists()


def test_a_file_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("hello", encoding="utf-8")
    line = error_line(procure(f"sqlite:///{db}"))
    assert str(db) in line and "not a junkan database (not a SQLite file)" in line
    empty = tmp_path / "empty.db"
    empty.touch()
    line = error_line(procure(f"sqlite:///{empty}"))
    assert str(empty) in line and "not a junkan database (an empty file)" in line


def test_another_programs_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as c:
        c.execute("create table x (a)")
    line = error_line(procure(f"sqlite:///{db}"))
    assert f"--database sqlite:///{db}" in line and "not a junkan database" in line
    with sqlite3.connect(db) as c:  # no junkan table was added to it
        tables = [r[0] for r in c.execute("select name from sqlite_master where type='table'")]
    assert tables == ["x"]


def test_a_folder_and_a_path_without_url_are_named(tmp_path: Path) -> None:
    line = error_line(procure(f"sqlite:///{tmp_path}"))
    assert str(tmp_path) in line and "is a folder, not a database file" in line
    db = tmp_path / "plain.db"
    db.write_text("x", encoding="utf-8")
    line = error_line(procure(str(db)))  # a path, not a URL: the URL to give is suggested
    assert f"--database {db}: not a store URL" in line and f"sqlite:///{db}" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    db.write_bytes(b"SQLite format 3\x00" + bytes(100))
    db.chmod(0)
    try:
        line = error_line(procure(f"sqlite:///{db}"))
    finally:
        db.chmod(0o600)
    assert f"cannot open {db}" in line


def test_an_unreachable_server_is_named_without_its_password() -> None:
    line = error_line(procure("postgresql+psycopg://u:secret@127.0.0.1:1/junkan"))
    assert "--database postgresql+psycopg://u:***@127.0.0.1:1/junkan: cannot open" in line
    assert "secret" not in line


def test_the_report_says_the_same(tmp_path: Path) -> None:
    db = tmp_path / "nope.db"
    res = CliRunner().invoke(app, ["policy", "report", str(PLAN), "--period", "FY2028",
                                   "--database", f"sqlite:///{db}"])
    line = error_line(res)
    assert str(db) in line and "does not exist" in line and not db.exists()
