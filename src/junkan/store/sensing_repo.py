"""The operator's labels of live sensing alarms in the store (:mod:`junkan.sensing.live`
makes the records; this module writes and reads rows). Every read takes the caller's
organisation: another organisation's labels do not exist for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError
from junkan.store.db import Database
from junkan.store.repo_base import aware, get_for_update
from junkan.store.sensing_tables import SensingLabel
from junkan.store.tables import Organisation

MAX_LABELS = 200_000
"""Labels one organisation may store (years of a busy plant's alarms)."""
MAX_READ = 200_000
"""Most label rows one precision read looks at (the newest)."""


class TooManyLabels(JunkanError):
    http_status = 413


def _doc(r: SensingLabel) -> dict[str, Any]:
    return {
        "at": aware(r.created_at).timestamp(),
        "line": r.line,
        "stream": r.stream,
        "alarm": r.alarm,
        "label": r.label,
        "state": r.state,
        "note": r.note,
        "by": r.by_user_id,
        "model_version": r.model_version,
        "action": r.action,
        "sources": list(r.sources),
        "evidence": list(r.evidence),
    }


def _room(s: Session, org_id: str) -> None:
    """:class:`TooManyLabels` when the organisation has stored :data:`MAX_LABELS`."""
    n = s.scalar(select(func.count()).select_from(SensingLabel)
                 .where(SensingLabel.org_id == org_id))
    if (n or 0) >= MAX_LABELS:
        raise TooManyLabels(f"an organisation stores at most {MAX_LABELS} labels")


class SensingRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def check_room(self, org_id: str) -> None:
        """Raise :class:`TooManyLabels` when the organisation has stored :data:`MAX_LABELS`."""
        with self.db.session() as s:
            _room(s, org_id)

    def add_label(self, org_id: str, user_id: str, rec: dict[str, Any]) -> None:
        """Store one label record (the hub's ``label`` record); :class:`TooManyLabels` when
        the organisation has :data:`MAX_LABELS` (counted and added in one step: review 273)."""
        with self.db.session() as s:
            get_for_update(s, Organisation, org_id)
            _room(s, org_id)
            s.add(
                SensingLabel(
                    org_id=org_id,
                    line=str(rec["line"])[:40],
                    stream=str(rec["stream"])[:32],
                    alarm=int(rec["alarm"]),
                    label=str(rec["label"])[:16],
                    state=rec.get("state"),
                    note=str(rec.get("note", ""))[:500],
                    by_user_id=user_id,
                    model_version=int(rec["model_version"]),
                    action=str(rec["action"])[:40],
                    sources=[str(x) for x in rec["sources"]],
                    evidence=jsonable(rec["evidence"]),
                )
            )

    def labels(self, org_id: str, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """The organisation's label rows, newest first (relabels included)."""
        q = (
            select(SensingLabel)
            .where(SensingLabel.org_id == org_id)
            .order_by(SensingLabel.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.db.session() as s:
            return [_doc(r) for r in s.scalars(q)]

    def latest_labels(self, org_id: str) -> list[dict[str, Any]]:
        """The last label of each of the organisation's labelled alarms."""
        q = (
            select(SensingLabel)
            .where(SensingLabel.org_id == org_id)
            .order_by(SensingLabel.id.desc())
            .limit(MAX_READ)
        )
        latest: dict[tuple[str, int], dict[str, Any]] = {}
        with self.db.session() as s:
            for r in s.scalars(q):
                latest.setdefault((r.stream, r.alarm), _doc(r))
        return list(reversed(latest.values()))
