"""``junkan trace verify`` says how published PACT footprints were checked: against the
digest stored with each, only — their content is not in the signed log, so an edit of both
the content and its digest is not found (a limit the output must state, not hide)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.store.trace_pact import content_digest
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import create, ev
from tests.trace.test_pact import _store
from tests.trace.test_verify_review import publish

SCOPE = ("PACT footprints: {n} published version(s) checked against the digest stored with "
         "each only (published content is not in the signed log: an edit of both content "
         "and digest is not found)")


def _verify(url: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["trace", "verify", "--database", url])
    return res.exit_code, " ".join(res.output.split())  # the console wraps long lines


def test_verify_states_what_the_footprints_were_checked_against(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNKAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("JUNKAN_KEY_FILE", raising=False)
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = _store(url)
    store.create_organisation("org-A")
    repo = TraceRepo(store.db)
    repo.ingest("org-A", ev(create("P1", 10, 20)))
    code, out = _verify(url)
    assert code == 0 and "PACT footprints" not in out, out  # nothing published yet
    publish(repo, "org-A")
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "P1", "cfp": {"total": 25}}))
    publish(repo, "org-A")
    code, out = _verify(url)
    assert code == 0, out
    assert SCOPE.format(n=2) in out

    # content and digest edited together: the one edit the stored digest cannot reveal
    with repo.db.engine.begin() as conn:
        fid, content = conn.execute(text(
            "SELECT id, content FROM trace_pact_versions WHERE version = 2")).one()
        forged = content.replace('"pcfIncludingBiogenicUptake":"',
                                 '"pcfIncludingBiogenicUptake":"0.0')
        assert forged != content
        conn.execute(text("UPDATE trace_pact_versions SET content = :c, digest = :d "
                          "WHERE id = :i"), {"c": forged, "d": content_digest(forged),
                                             "i": fid})
    code, out = _verify(url)
    assert SCOPE.format(n=2) in out  # verify does not claim more than it checked
    store.db.engine.dispose()
