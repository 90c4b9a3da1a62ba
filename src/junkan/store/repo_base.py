"""What the repositories share: the database, the audit log and who acted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.db import Database
from junkan.store.tables import AuditEvent

T = TypeVar("T")


def aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class RepoBase:
    """The database and the audit log, shared by every repository mixin of
    :class:`junkan.store.repo.Store`."""

    db: Database

    @staticmethod
    def _by(actor_id: str | None) -> dict[str, str]:
        return {} if actor_id else {"by": "operator"}

    @staticmethod
    def audit(s: Session, org_id: str, user_id: str | None, action: str, target_type: str,
              target_id: str, detail: dict[str, Any] | None = None) -> None:
        s.add(AuditEvent(org_id=org_id, user_id=user_id, action=action,
                         target_type=target_type, target_id=target_id, detail=detail or {}))

    def audit_events(self, org_id: str, limit: int = 100) -> list[AuditEvent]:
        with self.db.session() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.org_id == org_id)
                                  .order_by(AuditEvent.id.desc()).limit(limit)))


def begin_immediate(s: Session) -> bool:
    """On SQLite, begin this session's transaction ``IMMEDIATE`` (the database's one write
    lock, taken now: pysqlite would begin only at the first insert, after the reads a check
    makes) unless it has begun; whether the store is SQLite. Call it before anything the
    check reads."""
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        return False
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return True


def get_for_update(s: Session, table: type[T], key: str) -> T | None:
    """The row of ``table`` with primary key ``key``, locked until the transaction ends, so
    that a check of the rows hanging off it and the write it allows are one step: two
    requests checking the same row run one after the other (review 269: six handovers of an
    installation's 100 panels sent at once, three were accepted). PostgreSQL locks the row
    ``FOR NO KEY UPDATE``; SQLite, which has no row locks, begins the transaction
    ``IMMEDIATE`` (:func:`begin_immediate`) — call this first in the session."""
    if begin_immediate(s):
        return s.get(table, key)
    # FOR NO KEY UPDATE: serialises these writers without blocking the foreign-key checks
    # of rows that reference this one (FOR UPDATE did: a request locking the organisation
    # and one locking a user, each inserting a row referencing the other's, deadlocked —
    # review 277)
    return s.get(table, key, with_for_update={"key_share": True})
