"""Published PACT footprint versions (v3 lifecycle): each lot's footprints, oldest first. A
footprint never changes once published; when a lot's footprint content changes, a new version
(new id) is recorded and the earlier ones are Deprecated. Recording happens when the PACT
host (re)builds an organisation's footprints, off the ingest path."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from junkan.store.db import Database
from junkan.store.tables import Base
from junkan.store.trace_rows import chunks
from junkan.trace.pact import footprint_id

versions_table = Table(
    "trace_pact_versions", Base.metadata,
    Column("id", String(36), primary_key=True),  # the footprint id (UUID)
    Column("seq", ForeignKey("trace_lots.seq"), nullable=False),
    Column("version", Integer, nullable=False),  # 1, 2, … per lot
    Column("digest", String(64), nullable=False),  # SHA-256 of content
    Column("content", Text, nullable=False),  # pact.content(), compact JSON, sorted keys
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("seq", "version", name="uq_trace_pact_versions_seq_version"),
)
"""One row per published footprint: migration 0008 creates it (the same columns)."""


@dataclass(frozen=True)
class Version:
    """A published footprint of a lot."""

    id: str
    seq: int
    version: int
    content: str
    created_at: datetime


def content_digest(text: str) -> str:
    """The digest stored with a footprint's content text: SHA-256 of its UTF-8 bytes, in hex.
    What the audit recomputes from each stored version (``junkan trace verify``)."""
    return hashlib.sha256(text.encode()).hexdigest()


def encode(content: dict[str, Any]) -> tuple[str, str]:
    """(text, digest) of a footprint's content: compact JSON with sorted keys, SHA-256."""
    text = json.dumps(content, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return text, content_digest(text)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _load(s: Session, seqs: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    t = versions_table.c
    out: dict[int, list[tuple[Any, ...]]] = {}
    for part in chunks([str(x) for x in seqs], 500):
        rows = s.execute(select(t.id, t.seq, t.version, t.digest, t.content, t.created_at)
                         .where(t.seq.in_([int(x) for x in part]))
                         .order_by(t.seq, t.version)).all()
        for row in rows:
            out.setdefault(row.seq, []).append(tuple(row))
    return out


def record(db: Database, contents: Iterable[tuple[int, str, dict[str, Any]]],
           *, attempts: int = 3) -> dict[int, list[Version]]:
    """Each lot's published versions after recording ``contents`` (seq, lot key, content):
    a lot whose newest version has another content gets a new one (its first keeps the id
    ``pact.footprint_id(key)``, later ones random ids). Two hosts recording at once cannot
    both add the same version (unique seq+version); the loser reads again and retries."""
    items = [(seq, key, *encode(c)) for seq, key, c in contents]
    for attempt in range(attempts):
        try:
            return _record(db, items)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _record(db: Database, items: list[tuple[int, str, str, str]]) -> dict[int, list[Version]]:
    with db.session() as s:
        known = _load(s, [seq for seq, *_ in items])
    now = datetime.now(UTC)
    new: list[dict[str, Any]] = []
    for seq, key, text, digest in items:
        rows = known.setdefault(seq, [])
        if rows and rows[-1][3] == digest:
            continue
        n = rows[-1][2] + 1 if rows else 1
        row = {"id": footprint_id(key) if n == 1 else str(uuid.uuid4()), "seq": seq,
               "version": n, "digest": digest, "content": text, "created_at": now}
        new.append(row)
        rows.append((row["id"], seq, n, digest, text, now))
    if new:
        with db.session() as s:
            s.execute(versions_table.insert(), new)
            s.commit()
    return {seq: [Version(r[0], seq, r[2], r[4], _aware(r[5])) for r in rows]
            for seq, rows in known.items()}


def versions_of(db: Database, seqs: list[int]) -> dict[int, list[Version]]:
    """The published versions of these lots, oldest first (nothing recorded)."""
    with db.session() as s:
        known = _load(s, seqs)
    return {seq: [Version(r[0], seq, r[2], r[4], _aware(r[5])) for r in rows]
            for seq, rows in known.items()}
