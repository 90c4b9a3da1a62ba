"""``junkan trace verify`` after the 2026-12-03 review: published PACT footprints are checked
against their digests; the JSON columns compare as JSON (``false`` is not ``0``, a repeated
key is an edit); floats the replay computes as the store does compare exactly; a deleted
checkpoint that is not a log's last is found; an audit without the master key says that the
signing keys were not checked."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from junkan.api.pact_snapshot import Footprints
from junkan.cli.main import app
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_mixed, create, ev
from tests.trace.test_pact import _store


def problems(repo: TraceRepo) -> list[str]:
    return [p.text for p in repo.audit().problems]


def sql(repo: TraceRepo, statement: str, **params: Any) -> None:
    with repo.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def publish(repo: TraceRepo, org: str) -> None:
    """What a PACT host does on a request: record the organisation's footprints."""
    store = Store(repo.db)
    o = store.organisation_by_name(org)
    assert o is not None
    email = f"{org}@example.org"
    user = store.user_by_email(email) or store.create_user(o.id, email, "pw-123456789", org)
    Footprints(repo.db, agreements_ttl_s=0).current(user, "https://pact.example")


# ---- published PACT footprints (review item 2) ------------------------------------------
@pytest.mark.parametrize("version", [1, 2])
def test_an_edited_published_footprint_is_found(repo: TraceRepo, version: int) -> None:
    """Version 2 is served Active, version 1 Deprecated: an edit of either is found, and
    the digests the host stored are the ones the audit recomputes (a clean audit)."""
    repo.ingest("org-A", ev(create("P1", 10, 20)))
    publish(repo, "org-A")
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "P1", "cfp": {"total": 25}}))
    publish(repo, "org-A")
    with repo.db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM trace_pact_versions")).scalar() == 2
    assert problems(repo) == []
    sql(repo, "UPDATE trace_pact_versions SET content = replace(content, "
        "'\"pcfIncludingBiogenicUptake\":\"', '\"pcfIncludingBiogenicUptake\":\"0.0') "
        "WHERE version = :v", v=version)
    found = problems(repo)
    assert len(found) == 1, found
    assert f"/P1, version {version}): content does not match the digest" in found[0]
    assert repo.verify("org-A").ok is False


# ---- JSON columns (review item 4) --------------------------------------------------------
def _edit_declared(repo: TraceRepo, lot: str, change: Callable[[str], str]) -> None:
    """Change the stored text of a lot's ``declared`` (its JSON as written, spaces and all)."""
    with repo.db.engine.begin() as conn:
        stored = conn.execute(text("SELECT CAST(declared AS TEXT) FROM trace_lots WHERE "
                                   "lot = :l"), {"l": lot}).scalar_one()
        new = change(stored)
        assert new != stored and json.loads(new) == json.loads(stored)  # == cannot tell
        cast = "CAST(:t AS JSON)" if conn.dialect.name == "postgresql" else ":t"
        conn.execute(text(f"UPDATE trace_lots SET declared = {cast} WHERE lot = :l"),
                     {"t": new, "l": lot})


@pytest.mark.parametrize(("pattern", "replacement", "says"), [
    (r'"packaging_included":\s*false', '"packaging_included": 0', "declared stored"),
    (r'"packaging_included":\s*false', '"packaging_included": 0.0', "declared stored"),
    (r'"exempted_percent":\s*0', '"exempted_percent": false', "declared stored"),
    (r'"cfp":\s*\{', '"cfp": {"total": 99, ', "declared stored JSON repeats the key 'total'"),
])
def test_json_edits_that_python_equality_misses_are_found(
        repo: TraceRepo, pattern: str, replacement: str, says: str) -> None:
    repo.ingest("org-A", ev(create("J", 10, 5, 0.5)))
    assert problems(repo) == []
    _edit_declared(repo, "J", lambda t: re.sub(pattern, replacement, t, count=1))
    found = problems(repo)
    assert len(found) == 1 and f"lot org-A/J: {says}" in found[0], found


# ---- floats compared exactly where the replay computes them as the store (item 11) ------
@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger across organisations with a split, a mass-balance claim, re-declarations
    that re-value credit, and several checkpoints per log (tests/trace/test_tamper.py's)."""
    path = tmp_path_factory.mktemp("review") / "ledger.db"
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
                at=datetime(2026, 4, 2, tzinfo=UTC))
    assert problems(repo) == []
    store.db.engine.dispose()
    return path


def _copy(ledger: Path, to: Path) -> sqlite3.Connection:
    shutil.copy(ledger, to)
    shutil.copy(ledger.with_name(ledger.name + ".key"), to.with_name(to.name + ".key"))
    con = sqlite3.connect(to)
    con.execute("PRAGMA foreign_keys = OFF")
    return con


def _audit(path: Path) -> list[str]:
    db = Database(f"sqlite:///{path}")
    try:
        return [p.text for p in TraceRepo(db).audit().problems]
    finally:
        db.engine.dispose()


@pytest.mark.parametrize(("table", "column", "where"), [
    ("trace_lots", "consumed_kg", "lot = 'V'"),
    ("trace_lots", "mass_kg", "lot = 'S1'"),
    ("trace_inputs", "mass_kg", "id = (SELECT MIN(id) FROM trace_inputs)"),
    ("trace_balance_entries", "mass_kg", "kind = 'claim'"),
    ("trace_balance_entries", "basis_kg", "kind = 'claim'"),
    ("trace_balance_entries", "share", "kind = 'claim'"),
    ("trace_balance_entries", "basis_kg", "kind = 'credit'"),
])
def test_a_mass_off_by_a_billionth_is_found(mixed: Path, tmp_path: Path, table: str,
                                            column: str, where: str) -> None:
    """Within the old 1e-9 relative tolerance, yet an edit: these values are copied from
    the events or added up in event order by the same rules in the store and the replay."""
    con = _copy(mixed, tmp_path / "t.db")
    row = con.execute(f"SELECT rowid, {column} FROM {table} WHERE {where} "  # noqa: S608
                      "ORDER BY rowid LIMIT 1").fetchone()
    assert row is not None and row[1]
    con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",  # noqa: S608
                (row[1] * (1 - 2e-10), row[0]))
    con.commit()
    con.close()
    found = _audit(tmp_path / "t.db")
    says = "genealogy link" if table == "trace_inputs" else f"{column} stored"
    assert any(says in p for p in found), found


# ---- a deleted checkpoint that is not the last (review item 12) -------------------------
def test_every_checkpoint_but_the_last_deleted_is_found(mixed: Path, tmp_path: Path) -> None:
    con = sqlite3.connect(mixed)
    rows = con.execute("SELECT id, org_id, tree_size FROM trace_checkpoints ORDER BY id"
                       ).fetchall()
    con.close()
    last = {org: cid for cid, org, _ in rows}  # each log's last checkpoint
    middle = [(cid, size) for cid, org, size in rows if last[org] != cid]
    assert len(middle) >= 4
    for cid, size in middle:
        con = _copy(mixed, tmp_path / f"cp{cid}.db")
        con.execute("DELETE FROM trace_checkpoints WHERE id = ?", (cid,))
        con.commit()
        con.close()
        found = _audit(tmp_path / f"cp{cid}.db")
        assert any(f"no signed checkpoint at size {size}, where a batch ended" in p
                   for p in found), (cid, found)


def test_a_deleted_middle_checkpoint_is_found(repo: TraceRepo) -> None:
    for lot in ("X1", "X2", "X3"):
        repo.ingest("org-A", ev(create(lot, 10, 5)))
    assert problems(repo) == []
    sql(repo, "DELETE FROM trace_checkpoints WHERE tree_size = 2")
    assert problems(repo) == ["org-A: no signed checkpoint at size 2, where a batch ended "
                              "(the next event was signed at another time): checkpoint "
                              "deleted?"]


# ---- without the master key (review item 10) --------------------------------------------
def test_verify_says_the_signing_keys_were_not_checked(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNKAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("JUNKAN_KEY_FILE", raising=False)
    path = tmp_path / "t.db"
    url = f"sqlite:///{path}"
    store = _store(url)
    store.create_organisation("org-A")
    TraceRepo(store.db).ingest("org-A", ev(create("K", 10, 5)))
    store.db.engine.dispose()
    key = path.with_name("t.db.key")
    key.rename(tmp_path / "kept.key")  # the auditor does not hold the master key
    notice = (f"signing keys not checked: master key file {key} missing (set "
              "JUNKAN_SECRET_KEY or JUNKAN_KEY_FILE to check them)")

    res = CliRunner().invoke(app, ["trace", "verify", "--database", url])
    assert res.exit_code == 0, res.output
    assert "ok org-A: 1 events" in res.output
    assert notice in " ".join(res.output.split())  # the console wraps long lines
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--format", "json"])
    assert res.exit_code == 0
    assert json.loads(res.output)[0] | {"checkpoint_size": None} == {
        "org": "org-A", "ok": True, "events": 1, "problems": [notice],
        "checkpoint_size": None}
    assert not key.exists()  # verify did not make a new master key

    (tmp_path / "kept.key").rename(key)  # with it, no notice
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.output)[0]["problems"] == []
