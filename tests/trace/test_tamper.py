"""Every single-field edit of every ledger table is found by the audit. The edits are
generated from the schema: for each column of each table the ledger keeps, one row is
changed the way someone with write access to the database could change it (foreign keys
off), on a copy of a ledger that has a bit of everything — a supply chain across
organisations, splits, a mass-balance claim, a re-declaration that re-values credit and
flags the claim, a closed period."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from junkan.store.db import Database
from junkan.store.tables import Base
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_mixed, create, ev
from tests.trace.test_pact import _store

LEDGER_TABLES = ("trace_lots", "trace_values", "trace_inputs", "trace_events",
                 "trace_checkpoints", "trace_balance_entries", "trace_periods", "trace_keys")
"""What the signed logs determine (notifications, webhooks, the outbox, offers and
agreements are the service's working state, not the ledger)."""

APR = datetime(2026, 4, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "ledger.db"
    store = _store(f"sqlite:///{path}")
    for name in ("A", "B", "C", "D", "E", "F", "G"):
        store.create_organisation(f"org-{name}")
    repo = TraceRepo(store.db)
    jan = datetime(2026, 1, 10, tzinfo=UTC)
    build_mixed(repo, jan)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 3},
                             "recycled": {"post_consumer": 0.1}}), at=jan)
    repo.ingest("org-D", ev({"type": "redeclare", "lot": "S",
                             "recycled": {"post_consumer": 0.2}}), at=jan)
    repo.ingest("org-D", ev({"type": "close_period", "site": "plant", "period": "2026Q1"}),
                at=APR)
    audit = repo.audit()
    assert [p.text for p in audit.problems] == []
    store.db.engine.dispose()
    return path


def _columns() -> list[tuple[str, str]]:
    return [(t, c.name) for t in LEDGER_TABLES for c in Base.metadata.tables[t].columns]


def _changed(value: Any, column: str, biggest: int) -> Any:
    """A different value of the same kind (what an edit would write)."""
    if value is None:
        return "2026-03-03 00:00:00.000000" if column.endswith("_at") else "x"
    if isinstance(value, int):
        return biggest + 1000 if column in ("id", "seq") else value + 1000
    if isinstance(value, float):
        return value * 1.5 + 1.0
    text = str(value)
    if column.endswith("_at"):
        return (datetime.fromisoformat(text) + timedelta(seconds=1)).isoformat(" ")
    if text.startswith(("{", "[")):
        doc = json.loads(text)
        doc = {**doc, "x": 1} if isinstance(doc, dict) else [*doc, 1]
        return json.dumps(doc)
    if column == "record":
        return text.replace('"seq":', '"seq": ', 1)  # same JSON, not the signed bytes
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def edit_one_field(ledger: Path, copy: Path, table: str, column: str) -> tuple[Any, Any]:
    """Copy ``ledger`` (and its key file) to ``copy`` and change ``column`` of one row of
    ``table`` (the first whose value is not NULL, else the first) with foreign keys off, as
    someone with write access to the database could; returns (old value, new value)."""
    shutil.copy(ledger, copy)
    shutil.copy(ledger.with_name(ledger.name + ".key"), copy.with_name(copy.name + ".key"))
    pk = [c.name for c in Base.metadata.tables[table].primary_key.columns]
    con = sqlite3.connect(copy)
    con.execute("PRAGMA foreign_keys = OFF")
    rows = con.execute(f"SELECT {', '.join(pk)}, {column} FROM {table} "  # noqa: S608
                       f"ORDER BY {', '.join(pk)}").fetchall()
    assert rows, f"the fixture has no {table} rows"
    row = next((r for r in rows if r[-1] is not None), rows[0])
    biggest = max((r[0] for r in rows if isinstance(r[0], int)), default=0)
    new = _changed(row[-1], column, biggest)
    con.execute(f"UPDATE {table} SET {column} = ? WHERE "  # noqa: S608
                + " AND ".join(f"{k} = ?" for k in pk), (new, *row[:-1]))
    assert con.total_changes == 1
    con.commit()
    con.close()
    return row[-1], new


@pytest.mark.parametrize(("table", "column"), _columns())
def test_every_single_field_edit_is_found(ledger: Path, tmp_path: Path, table: str,
                                          column: str) -> None:
    copy = tmp_path / "edited.db"
    old, new = edit_one_field(ledger, copy, table, column)
    db = Database(f"sqlite:///{copy}")
    problems = [p.text for p in TraceRepo(db).audit().problems]
    db.engine.dispose()
    assert problems, f"{table}.{column} changed from {old!r} to {new!r}: not found"


def test_a_lot_spent_again_after_its_counter_was_reset_is_found(tmp_path: Path) -> None:
    """Issue 14: consumed_kg reset to 0, then the same 60 kg spent again — the replay
    refuses the second spend (the rules run on the replayed state, not the counter)."""
    store = _store(f"sqlite:///{tmp_path / 't.db'}")
    store.create_organisation("org-A")
    repo = TraceRepo(store.db)
    repo.ingest("org-A", ev(create("L", 60, 60), {
        "type": "process", "lot": "P1", "mass_kg": 60, "inputs": [{"lot": "L", "mass_kg": 60}]}))
    with store.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE trace_lots SET consumed_kg = 0 WHERE lot = 'L'")
    repo.ingest("org-A", ev({"type": "process", "lot": "P2", "mass_kg": 60,
                             "inputs": [{"lot": "L", "mass_kg": 60}]}))
    problems = repo.verify("org-A").problems
    assert "org-A event 3 (process P2): replaying the signed record fails: input 'L': 60 kg " \
        "asked, only 0 kg left" in problems
    assert "lot org-A/P2 (seq 3): no event in the log created it" in problems


def test_the_service_shares_one_recent_audit(tmp_path: Path) -> None:
    """The verify route answers from an audit at most a minute old, so requests cannot make
    the service replay the ledger over and over; an edit shows once it is older."""
    store = _store(f"sqlite:///{tmp_path / 't.db'}")
    store.create_organisation("org-A")
    repo = TraceRepo(store.db)
    repo.ingest("org-A", ev(create("L", 60, 60)))
    first = repo.recent_audit()
    assert repo.recent_audit() is first and not first.problems
    with store.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE trace_lots SET mass_kg = 61 WHERE lot = 'L'")
    repo.AUDIT_REUSE_S = 0.0
    assert any("mass_kg stored 61" in p.text for p in repo.recent_audit().problems)
