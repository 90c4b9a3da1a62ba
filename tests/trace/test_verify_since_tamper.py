"""Every single-field edit of every ledger table is found by an incremental audit too
(``audit(since=…)``): the same edits as tests/trace/test_tamper.py (generated from the
schema), made to a ledger whose state was saved half-way — so most edited rows are from
before the saved state, whose events are neither parsed, signature-checked nor replayed
again."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.store.db import Database
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_pact import _store
from tests.trace.test_tamper import _columns, edit_one_field
from tests.trace.test_verify_since import _first_part, _second_part


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper_since") / "ledger.db"
    store = _store(f"sqlite:///{path}")
    for name in "ABCDEFG":
        store.create_organisation(f"org-{name}")
    repo = TraceRepo(store.db)
    _first_part(repo)
    assert repo.audit(save=path.with_name("audit.state")).state is not None
    _second_part(repo)
    assert [p.text for p in repo.audit(since=path.with_name("audit.state")).problems] == []
    store.db.engine.dispose()
    return path


@pytest.mark.parametrize(("table", "column"), _columns())
def test_every_single_field_edit_is_found_since_a_saved_state(
        ledger: Path, tmp_path: Path, table: str, column: str) -> None:
    copy = tmp_path / "edited.db"
    old, new = edit_one_field(ledger, copy, table, column)
    db = Database(f"sqlite:///{copy}")
    audit = TraceRepo(db).audit(since=ledger.with_name("audit.state"))
    db.engine.dispose()
    assert audit.replayed == 6
    assert audit.problems, f"{table}.{column} changed from {old!r} to {new!r}: not found"
