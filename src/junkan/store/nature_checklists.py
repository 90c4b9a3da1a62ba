"""Site species checklists of the field survey (junkan.nature.checklist), kept per
organisation: one for the whole survey (``area`` empty) and one per sourcing area at most.

The store keeps the checked checklist as its JSON document (``Checklist.to_json``: source
and species) with the uploaded file's name; the library checks it before it is stored and
reads it back (:func:`junkan.nature.stored_checklist`), so no rule of a checklist lives
here. Another organisation's checklist is never read: every query names the organisation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from junkan.core.errors import JunkanError
from junkan.store.db import Database
from junkan.store.repo_base import get_for_update
from junkan.store.tables import Base, Organisation, new_id, now

MAX_PER_ORG = 200
"""Most checklists one organisation may keep (its survey's and one per sourcing area)."""
SURVEY = ""
"""The ``area`` of the checklist that serves every area without its own."""


class ChecklistLimit(JunkanError):
    http_status = 413


class SurveyChecklist(Base):
    """One organisation's checklist for its survey (``area`` empty) or one sourcing area."""

    __tablename__ = "nature_checklists"
    __table_args__ = (UniqueConstraint("org_id", "area"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    area: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    species: Mapped[int] = mapped_column(Integer)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


def _summary(r: SurveyChecklist) -> dict[str, Any]:
    return {
        "area": r.area or None,
        "name": r.name,
        "species": r.species,
        "updated_at": r.updated_at,
    }


def _version(row_id: str, updated_at: datetime) -> str:
    return f"{row_id}@{updated_at.isoformat()}"


class ChecklistRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(
        self, org_id: str, user_id: str, area: str, name: str, doc: dict[str, Any]
    ) -> dict[str, Any]:
        """Store (or replace) the organisation's checklist of ``area`` (``SURVEY``: the
        survey's); its summary."""
        for attempt in (0, 1):
            with self.db.session() as s:
                get_for_update(s, Organisation, org_id)  # counted and added at once (273)
                rec = s.scalar(self._where(select(SurveyChecklist), org_id, area))
                if rec is None:
                    have = s.scalar(
                        select(func.count())
                        .select_from(SurveyChecklist)
                        .where(SurveyChecklist.org_id == org_id)
                    )
                    if (have or 0) >= MAX_PER_ORG:
                        raise ChecklistLimit(
                            f"at most {MAX_PER_ORG} checklists per organisation; remove one "
                            "(DELETE /api/nature/survey/checklist?area=…) first"
                        )
                    rec = SurveyChecklist(org_id=org_id, area=area)
                    s.add(rec)
                rec.name, rec.doc, rec.species = name, doc, len(doc.get("species") or [])
                rec.uploaded_by, rec.updated_at = user_id, now()
                try:
                    s.flush()
                except IntegrityError:  # a concurrent first upload of the same area
                    if attempt:
                        raise
                    s.rollback()
                    continue
                return _summary(rec)
        raise AssertionError("unreachable")

    @staticmethod
    def _where(q: Any, org_id: str, area: str) -> Any:
        return q.where(SurveyChecklist.org_id == org_id, SurveyChecklist.area == area)

    def get(self, org_id: str, areas: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The organisation's checklists of ``areas`` (``SURVEY`` for the survey's) that it
        has: area → (name, document)."""
        return {a: (n, d) for a, (_, n, d) in self.get_versioned(org_id, areas).items()}

    def get_versioned(
        self, org_id: str, areas: list[str]
    ) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """As :meth:`get`, with each one's :meth:`versions` stamp: area → (version, name,
        document)."""
        if not areas:
            return {}
        with self.db.session() as s:
            recs = s.scalars(
                select(SurveyChecklist).where(
                    SurveyChecklist.org_id == org_id, SurveyChecklist.area.in_(set(areas))
                )
            )
            return {r.area: (_version(r.id, r.updated_at), r.name, dict(r.doc)) for r in recs}

    def versions(self, org_id: str, areas: list[str] | None = None) -> dict[str, tuple[str, int]]:
        """Which version of each of the organisation's checklists of ``areas`` (None: all) is
        stored, read without the documents: area → (a stamp that changes whenever the
        checklist is replaced, or removed and stored again: its row and time of upload;
        its number of species)."""
        cols = (
            SurveyChecklist.area,
            SurveyChecklist.id,
            SurveyChecklist.updated_at,
            SurveyChecklist.species,
        )
        q = select(*cols).where(SurveyChecklist.org_id == org_id)
        if areas is not None:
            if not areas:
                return {}
            q = q.where(SurveyChecklist.area.in_(set(areas)))
        with self.db.session() as s:
            return {a: (_version(i, u), n) for a, i, u, n in s.execute(q)}

    def all(self, org_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every checklist of the organisation: area → (name, document)."""
        with self.db.session() as s:
            recs = s.scalars(select(SurveyChecklist).where(SurveyChecklist.org_id == org_id))
            return {r.area: (r.name, dict(r.doc)) for r in recs}

    def listed(self, org_id: str) -> list[dict[str, Any]]:
        """Summaries of the organisation's checklists (the survey's first, then by area)."""
        with self.db.session() as s:
            cols = (
                SurveyChecklist.area,
                SurveyChecklist.name,
                SurveyChecklist.species,
                SurveyChecklist.updated_at,
            )
            rows = s.execute(
                select(*cols).where(SurveyChecklist.org_id == org_id).order_by(SurveyChecklist.area)
            )
            return [
                {"area": a or None, "name": n, "species": k, "updated_at": u} for a, n, k, u in rows
            ]

    def remove(self, org_id: str, area: str) -> bool:
        """Remove the organisation's checklist of ``area``; False if it had none."""
        with self.db.session() as s:
            n = s.execute(self._where(delete(SurveyChecklist), org_id, area))
            return bool(getattr(n, "rowcount", 0))
