"""Buyers' conditions and sellers' offers. Reads take the caller's organisation: a condition
not granted to it (by the ODRL access policy of the stored document) reads exactly as a
missing one (``None``); one granted to it reads as it sees it (``granted_to`` and so the
access policy name only the caller, never the other partners)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, cast, delete, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError

from junkan.core.errors import JunkanError, Problem, coded, short
from junkan.market import Condition, Lot, granted, seen_by, to_odrl
from junkan.store.db import Database
from junkan.store.market_tables import MarketCondition, MarketOffer
from junkan.store.repo_base import get_for_update
from junkan.store.tables import Organisation

MAX_PER_ORG = 1000
"""Most conditions, and most offers, one organisation may hold."""

log = logging.getLogger("junkan.store.market")


class MarketLimit(JunkanError):
    http_status = 413


class MarketConflict(JunkanError):
    """A record of that name exists: carries the rule (``problems``, coded) for the page."""

    http_status = 409
    problems: tuple[Problem, ...] = ()

    @classmethod
    def exists(cls, name: str) -> MarketConflict:
        problem = coded("", "record-exists", "{name} exists; delete it first",
                        name=short(name))
        exc = cls(problem.message)
        exc.problems = (problem,)
        return exc


def _readable(rec: MarketCondition | MarketOffer) -> Any:
    """The stored document as its model (a condition or a lot), or ``None`` when it no longer
    passes the schema (stored before a rule was added, e.g. a name with a NUL): left out,
    logged, never a 500 for whoever lists the market."""
    model = Condition if isinstance(rec, MarketCondition) else Lot
    try:
        return model.model_validate(rec.doc)
    except ValidationError:
        log.warning("stored market record %s no longer passes the schema; left out", rec.id)
        return None


def _visible(rec: MarketCondition, cond: Condition, org_id: str, org_name: str) -> bool:
    return rec.org_id == org_id or granted(to_odrl(cond)["access"], org_name)


def _granted_sql(name: str, dialect: str) -> ColumnElement[bool]:
    """:func:`_visible`'s grant in SQL: the stored condition's ``granted_to`` lists ``name``
    (its ODRL access policy, :func:`junkan.market.to_odrl`, permits access to exactly the
    BusinessPartnerNumbers of ``granted_to``; :func:`junkan.market.granted` holds when
    ``name`` is one of them). PostgreSQL: JSONB containment; SQLite: ``json_each``."""
    if dialect == "postgresql":
        return cast(MarketCondition.doc["granted_to"], JSONB).contains([name])
    grants = func.json_each(MarketCondition.doc, "$.granted_to").table_valued("value")
    return select(grants.c.value).where(grants.c.value == name).exists()


def _as_seen(rec: MarketCondition, org_id: str, org_name: str) -> Condition | None:
    """The stored condition in full for its owner; for a partner it is granted to, cut down
    to what it may see (:func:`junkan.market.seen_by`: ``granted_to`` names only the partner
    itself); ``None`` for anyone else, and for a record that no longer reads
    (:func:`_readable`)."""
    cond = _readable(rec)
    if cond is None or not _visible(rec, cond, org_id, org_name):
        return None
    return cond if rec.org_id == org_id else seen_by(cond, org_name)


class MarketRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _name(self, org_id: str) -> str:
        with self.db.session() as s:
            org = s.get(Organisation, org_id)
            return "" if org is None else str(org.name)

    def put_condition(self, org_id: str, cond: Condition) -> str:
        return self._put(MarketCondition, org_id, cond.id, cond.model_dump(mode="json"))

    def put_offer(self, org_id: str, lot: Lot) -> str:
        return self._put(MarketOffer, org_id, lot.id, lot.model_dump(mode="json"))

    def _put(self, table: Any, org_id: str, name: str, doc: dict[str, Any]) -> str:
        """Store a new record; :class:`MarketConflict` if the organisation holds one of that
        name — also when a concurrent request stored it between the check and the insert
        (the unique constraint refused the insert: that was a 500)."""
        try:
            with self.db.session() as s:
                get_for_update(s, Organisation, org_id)  # counted and added at once (273)
                n = s.scalar(select(func.count()).select_from(table)
                             .where(table.org_id == org_id))
                if (n or 0) >= MAX_PER_ORG:
                    raise MarketLimit(f"at most {MAX_PER_ORG} records per organisation")
                if self._taken(s, table, org_id, name):
                    raise MarketConflict.exists(name)
                rec = table(org_id=org_id, name=name, doc=doc)
                s.add(rec)
                s.flush()
                return str(rec.id)
        except IntegrityError:  # rolled back; a concurrent request stored that name just now
            with self.db.session() as s:
                if not self._taken(s, table, org_id, name):
                    raise
            raise MarketConflict.exists(name) from None

    @staticmethod
    def _taken(s: Any, table: Any, org_id: str, name: str) -> bool:
        """The organisation holds a record of that name in ``table``."""
        found = s.scalar(select(table.id).where(table.org_id == org_id, table.name == name))
        return found is not None

    def conditions(self, org_id: str, limit: int = 1000) -> list[tuple[str, Condition]]:
        """The first ``limit`` conditions the organisation may see (:func:`_visible`: its own
        and those granted to it), oldest first, each as it sees it. Only those are read: the
        rule and the limit are applied in SQL (every organisation's conditions were read and
        validated to keep the few visible)."""
        name = self._name(org_id)
        order = (MarketCondition.created_at, MarketCondition.id)
        try:
            with self.db.session() as s:
                seen = or_(MarketCondition.org_id == org_id,
                           _granted_sql(name, s.get_bind().dialect.name))
                recs = list(s.scalars(select(MarketCondition).where(seen).order_by(*order)
                                      .limit(limit)))
        except DBAPIError:  # a stored grant the database's JSON cannot read (a NUL stored
            # before names refused control characters): the rule read in Python, as before
            log.warning("market conditions: a stored grant is unreadable in SQL; filtering "
                        "every organisation's conditions in Python")
            with self.db.session() as s:
                recs = list(s.scalars(select(MarketCondition).order_by(*order)))
        # the rule again on what SQL found: SQLite compares a name cut at a NUL
        seen_as = ((r.id, _as_seen(r, org_id, name)) for r in recs)
        return [(rid, cond) for rid, cond in seen_as if cond is not None][:limit]

    def condition(self, org_id: str, cid: str) -> Condition | None:
        with self.db.session() as s:
            rec = s.get(MarketCondition, cid)
        return None if rec is None else _as_seen(rec, org_id, self._name(org_id))

    def delete_condition(self, org_id: str, cid: str) -> bool:
        with self.db.session() as s:
            n = s.execute(
                delete(MarketCondition).where(
                    MarketCondition.id == cid, MarketCondition.org_id == org_id
                )
            )
            return bool(getattr(n, "rowcount", 0))

    def delete_offer(self, org_id: str, oid: str) -> bool:
        """Delete one of the organisation's own offers; ``False`` for another organisation's
        offer exactly as for a missing one."""
        with self.db.session() as s:
            n = s.execute(
                delete(MarketOffer).where(MarketOffer.id == oid, MarketOffer.org_id == org_id)
            )
            return bool(getattr(n, "rowcount", 0))

    def offers(self, org_id: str, limit: int = 1000) -> list[tuple[str, Lot]]:
        with self.db.session() as s:
            recs = list(
                s.scalars(
                    select(MarketOffer)
                    .where(MarketOffer.org_id == org_id)
                    .order_by(MarketOffer.created_at)
                    .limit(limit)
                )
            )
        lots = ((r.id, _readable(r)) for r in recs)
        return [(rid, lot) for rid, lot in lots if lot is not None]
