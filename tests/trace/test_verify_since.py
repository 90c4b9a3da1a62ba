"""Incremental audit (issue 14): ``audit(save=…)`` after a clean audit, then
``audit(since=…)`` replays only the events after the saved state and still compares every
stored field. An edit made after the saved state is found; an edit to an event before it is
found (the log no longer extends the saved tree); a wrong or damaged state file is refused
with one clear line (CLI exit 2)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_state import StateError
from tests.trace.test_ledger import build_mixed, ev, ship

JAN = datetime(2026, 1, 10, tzinfo=UTC)
APR = datetime(2026, 4, 2, tzinfo=UTC)


def _first_part(repo: TraceRepo) -> None:
    """A bit of everything: a chain across organisations, a split, a mass-balance claim."""
    build_mixed(repo, JAN)


def _second_part(repo: TraceRepo) -> None:
    """After the saved state: re-declarations that re-value credit booked before it, new
    lots made from lots made before it, a shipment, a closed period."""
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 3},
                             "recycled": {"post_consumer": 0.1}}), at=JAN)
    repo.ingest("org-D", ev({"type": "redeclare", "lot": "S",
                             "recycled": {"post_consumer": 0.2}},
                            {"type": "merge", "lot": "N", "mass_kg": 30, "inputs": [
                                {"lot": "S2", "mass_kg": 20}, {"lot": "V", "mass_kg": 10}]},
                            ship("N", "org-E")), at=JAN)
    repo.ingest("org-E", ev({"type": "receive", "lot": "N", "site": "yard"}), at=JAN)
    repo.ingest("org-D", ev({"type": "close_period", "site": "plant", "period": "2026Q1"}),
                at=APR)


def _texts(repo: TraceRepo, **kw: object) -> list[str]:
    return [p.text for p in repo.audit(**kw).problems]  # type: ignore[arg-type]


def _sql(repo: TraceRepo, sql: str) -> None:
    with repo.db.engine.begin() as conn:
        conn.execute(text(sql))


@pytest.fixture
def saved(repo: TraceRepo, tmp_path: Path) -> Path:
    """The first part audited and its state saved; the second part added after it."""
    _first_part(repo)
    state = tmp_path / "audit.state"
    audit = repo.audit(save=state)
    assert [p.text for p in audit.problems] == [] and audit.state is not None
    _second_part(repo)
    return state


@pytest.mark.slow
def test_since_replays_only_the_new_events_and_ends_where_a_full_audit_does(
        repo: TraceRepo, saved: Path, tmp_path: Path) -> None:
    since = repo.audit(since=saved, save=tmp_path / "again.state")
    full = repo.audit(save=tmp_path / "full.state")
    assert [p.text for p in since.problems] == [] == [p.text for p in full.problems]
    assert since.replayed == 6 and full.replayed == sum(full.events.values()) == 29
    assert since.events == full.events and since.checkpoints == full.checkpoints
    # the state reached by the incremental audit is the full audit's, line for line
    assert gzip.decompress((tmp_path / "again.state").read_bytes()) == gzip.decompress(
        (tmp_path / "full.state").read_bytes())


def test_an_edit_after_the_saved_state_is_found(repo: TraceRepo, saved: Path) -> None:
    _sql(repo, "UPDATE trace_lots SET mass_kg = 31 WHERE lot = 'N'")
    problems = _texts(repo, since=saved)
    assert any(p.startswith("lot org-D/N: mass_kg stored 31") and "replayed from the "
               "signed log 30" in p for p in problems), problems
    # a lot made before the saved state is still compared (every stored field)
    _sql(repo, "UPDATE trace_lots SET mass_kg = 31 WHERE lot = 'N'")
    _sql(repo, "UPDATE trace_lots SET site = 'elsewhere' WHERE lot = 'V'")
    problems = _texts(repo, since=saved)
    assert "lot org-D/V: site stored 'elsewhere', replayed from the signed log 'plant'" in \
        problems


def test_a_new_event_that_does_not_verify_is_found(repo: TraceRepo, saved: Path) -> None:
    # a different first character (a signature starting with 'A' stayed unchanged, 1 in 64)
    _sql(repo, "UPDATE trace_events SET signature = (CASE WHEN substr(signature, 1, 1) = 'A' "
               "THEN 'B' ELSE 'A' END) || substr(signature, 2) WHERE type = 'close_period'")
    assert "org-D event 11 (close_period plant@2026Q1): signature does not verify" in \
        _texts(repo, since=saved)


def test_an_edit_to_an_event_before_the_saved_state_is_found(repo: TraceRepo,
                                                            saved: Path) -> None:
    # the record of org-A's first event changed, its leaf hash made to match: only the saved
    # root tells (its signature is not checked again)
    with repo.db.engine.begin() as conn:
        row = conn.execute(text("SELECT id, record FROM trace_events WHERE lot = 'A' AND "
                                "type = 'create'")).one()
        record = row.record.replace('"mass_kg":10', '"mass_kg":11')
        from junkan.trace.merkle import leaf_hash

        conn.execute(text("UPDATE trace_events SET record = :r, leaf_hash = :h WHERE id = :i"),
                     {"r": record, "h": leaf_hash(record.encode()).hex(), "i": row.id})
    problems = _texts(repo, since=saved)
    assert any(p.startswith("org-A: the log no longer extends the saved state") for p in
               problems), problems


def test_any_other_column_of_an_earlier_event_is_checked_too(repo: TraceRepo,
                                                             saved: Path) -> None:
    _sql(repo, "UPDATE trace_events SET lot = 'B' WHERE lot = 'A' AND type = 'create'")
    assert "org-A event 1 (create B): changed since the saved state (indexed columns, " \
        "signature or time)" in _texts(repo, since=saved)


def test_removed_entries_before_the_saved_state_are_found(repo: TraceRepo,
                                                          saved: Path) -> None:
    _sql(repo, "DELETE FROM trace_events WHERE id = (SELECT max(id) FROM trace_events "
               "WHERE org_id = (SELECT id FROM organisations WHERE name = 'org-G'))")
    problems = _texts(repo, since=saved)
    assert "org-G: the log has 1 events, fewer than the 2 of the saved state (entries " \
        "removed)" in problems


def test_a_state_is_saved_only_after_a_clean_audit(repo: TraceRepo, tmp_path: Path) -> None:
    _first_part(repo)
    _sql(repo, "UPDATE trace_lots SET material = 'gold' WHERE lot = 'V'")
    audit = repo.audit(save=tmp_path / "s")
    assert audit.problems and audit.state is None and not (tmp_path / "s").exists()


def test_a_state_of_another_database_is_refused(repo: TraceRepo, saved: Path,
                                                tmp_path: Path) -> None:
    from junkan.store.db import Database
    from junkan.store.repo import Store

    db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    db.migrate()
    Store(db).create_organisation("org-A")
    with pytest.raises(StateError, match="saved from another database"):
        TraceRepo(db).audit(since=saved)
    db.engine.dispose()


# ---- the state file ---------------------------------------------------------------------

def _cli_db(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite ledger with the first part, and its state saved by the CLI."""
    from junkan.store.db import Database
    from junkan.store.repo import Store

    url = f"sqlite:///{tmp_path / 'l.db'}"
    db = Database(url)
    db.migrate()
    for name in "ABCDEFG":
        Store(db).create_organisation(f"org-{name}")
    _first_part(TraceRepo(db))
    db.engine.dispose()
    state = tmp_path / "audit.state"
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--save-state",
                                   str(state)])
    assert res.exit_code == 0 and f"state saved to {state}" in res.output, res.output
    return url, state


def _damaged(state: Path, how: str) -> Path:
    out = state.with_name(how)
    raw = gzip.decompress(state.read_bytes())
    lines = raw.splitlines(keepends=True)
    if how == "not-gzip":
        out.write_bytes(b"PK\x03\x04 not a state file")
    elif how == "other-json":
        out.write_bytes(gzip.compress(b'{"events": []}\n'))
    elif how == "version":
        head = json.loads(lines[0])
        out.write_bytes(gzip.compress(json.dumps({**head, "version": 99}).encode() + b"\n"
                                      + b"".join(lines[1:])))
    elif how == "cut-short":
        out.write_bytes(gzip.compress(b"".join(lines[:-2])))
    elif how == "truncated-gzip":
        data = state.read_bytes()
        out.write_bytes(data[:len(data) // 2])
    elif how == "flipped-byte":
        data = bytearray(state.read_bytes())
        data[len(data) // 2] ^= 0x55
        out.write_bytes(bytes(data))
    elif how == "bad-line":
        out.write_bytes(gzip.compress(lines[0] + b"[1, 2\n" + b"".join(lines[1:])))
    return out


@pytest.mark.parametrize("how", ["not-gzip", "other-json", "version", "cut-short",
                                 "truncated-gzip", "flipped-byte", "bad-line", "missing"])
def test_a_wrong_or_damaged_state_file_is_one_clear_error(tmp_path: Path, how: str) -> None:
    url, state = _cli_db(tmp_path)
    bad = _damaged(state, how) if how != "missing" else tmp_path / "missing.state"
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--since", str(bad)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error {bad}:"), res.output
    assert "Traceback" not in res.output


def test_cli_since_reports_what_it_replayed(tmp_path: Path) -> None:
    url, state = _cli_db(tmp_path)
    from junkan.store.db import Database

    db = Database(url)
    _second_part(TraceRepo(db))
    db.engine.dispose()
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--since", str(state)])
    assert res.exit_code == 0 and "6 events after the saved state replayed" in res.output
    con = sqlite3.connect(tmp_path / "l.db")
    con.execute("UPDATE trace_values SET cfp_total = cfp_total + 1 WHERE seq = "
                "(SELECT seq FROM trace_lots WHERE lot = 'N')")
    con.commit()
    con.close()
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url, "--since", str(state)])
    assert res.exit_code == 1 and "lot org-D/N: cfp_total stored" in res.output
