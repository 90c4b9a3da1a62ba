"""Signature chains in signed checkpoints (issue 14, audit speed): each checkpoint signs the
SHA-256 chain of its log's event signatures, so an audit checks a stored signature with one
hash instead of one Ed25519 verification — and still finds and names every edited one.
Checkpoints made before the chain existed (migration 0010) leave their events to be verified
one signature at a time; the next batch starts a chain after them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select, text

from junkan.store.db import Database
from junkan.store.trace_base import checkpoint_body
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_tables import TraceCheckpoint, TraceKey
from junkan.trace.signing import sign
from tests.migrating import migrate, schema_diff
from tests.trace.test_ledger import build_chain, create, ev
from tests.trace.test_migration_0006 import db  # noqa: F401 (a fixture)

JAN = datetime(2026, 1, 10, tzinfo=UTC)


def _texts(repo: TraceRepo, **kw: object) -> list[str]:
    return [p.text for p in repo.audit(**kw).problems]  # type: ignore[arg-type]


def _events(repo: TraceRepo) -> int:
    with repo.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM trace_events")).scalar_one())


_WHERE = "WHERE org_seq = :n AND org_id = (SELECT id FROM organisations WHERE name = :o)"


def _edit_signature(repo: TraceRepo, org: str, seq: int, to: str | None = None) -> str:
    """Another valid-looking signature (the first character changed), or ``to``; returns
    the signature stored before."""
    with repo.db.engine.begin() as conn:
        old = conn.execute(text(f"SELECT signature FROM trace_events {_WHERE}"),
                           {"n": seq, "o": org}).scalar_one()
        new = to if to is not None else ("B" if old[0] == "A" else "A") + old[1:]
        conn.execute(text(f"UPDATE trace_events SET signature = :s {_WHERE}"),
                     {"s": new, "n": seq, "o": org})
    return str(old)


def _as_before_migration_0010(repo: TraceRepo) -> None:
    """Every checkpoint as the platform signed them before signature chains: no chain, the
    signature over the old body."""
    with repo.db.session() as s:
        for cp in s.scalars(select(TraceCheckpoint)):
            key = s.get(TraceKey, cp.org_id)
            assert key is not None
            private = repo.keys.decrypt(cp.org_id, key.private_key)
            cp.sig_from = cp.signatures = None
            cp.signature = sign(private, checkpoint_body(cp.org_id, cp.tree_size, cp.root))
        s.commit()


def test_new_checkpoints_cover_every_event_signature(repo: TraceRepo) -> None:
    build_chain(repo)
    audit = repo.audit()
    assert [p.text for p in audit.problems] == []
    assert (audit.signatures_verified, audit.signatures_chained) == (0, _events(repo))
    deep = repo.audit(every_signature=True)
    assert (deep.signatures_verified, deep.signatures_chained) == (_events(repo), 0)


def test_an_edited_signature_is_named_through_the_chain(repo: TraceRepo) -> None:
    build_chain(repo)
    _edit_signature(repo, "org-A", 1)
    texts = _texts(repo)
    assert len(texts) == 1 and texts[0].startswith("org-A event 1 (create ")
    assert texts[0].endswith(": signature does not verify")
    assert _texts(repo, every_signature=True) == texts


def test_the_chain_a_checkpoint_signed_cannot_be_edited(repo: TraceRepo) -> None:
    build_chain(repo)
    with repo.db.engine.begin() as conn:
        conn.execute(text("UPDATE trace_checkpoints SET signatures = :c WHERE id = "
                          "(SELECT MIN(id) FROM trace_checkpoints)"), {"c": "0" * 64})
    texts = _texts(repo)
    assert any(t.endswith("signature does not verify") and "checkpoint" in t for t in texts)


def test_checkpoints_from_before_the_chain_leave_each_signature_to_be_verified(
        repo: TraceRepo) -> None:
    build_chain(repo)
    _as_before_migration_0010(repo)
    before = _events(repo)
    audit = repo.audit()
    assert [p.text for p in audit.problems] == []
    assert (audit.signatures_verified, audit.signatures_chained) == (before, 0)
    old = _edit_signature(repo, "org-A", 1)
    assert [t for t in _texts(repo) if t.startswith("org-A event 1 ")] != []
    _edit_signature(repo, "org-A", 1, to=old)  # back as it was
    # the next batch chains its own events, after the old ones
    repo.ingest("org-A", ev(create("Z", 10, 5, 0.1)), at=JAN)
    audit = repo.audit()
    assert [p.text for p in audit.problems] == []
    assert (audit.signatures_verified, audit.signatures_chained) == (before, 1)
    # a witness of the new checkpoint keeps its chain, and it checks out
    kept = repo.checkpoint("org-A")
    assert kept["signatures"]["from"] == kept["tree_size"] - 1
    assert repo.check_witness(kept)["ok"] is True


def test_0010_adds_the_chain_columns_as_declared_and_downgrades(db: Database) -> None:  # noqa: F811
    migrate(db, "0009")
    cols = {c["name"] for c in inspect(db.engine).get_columns("trace_checkpoints")}
    assert not {"sig_from", "signatures"} & cols
    migrate(db, "0010")
    assert schema_diff(db, TraceCheckpoint.__table__, ("organisations",), 36) == []
    migrate(db, "0009", up=False)
    cols = {c["name"] for c in inspect(db.engine).get_columns("trace_checkpoints")}
    assert not {"sig_from", "signatures"} & cols and "frontier" in cols
