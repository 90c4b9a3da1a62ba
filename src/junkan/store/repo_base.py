"""What the repositories share: the database, the audit log and who acted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.db import Database
from junkan.store.tables import AuditEvent


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
