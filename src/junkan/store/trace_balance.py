"""Reading the mass-balance accounts: an organisation's statement."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from junkan.store.tables import Organisation
from junkan.store.trace_base import TraceBase, TraceError
from junkan.store.trace_tables import TraceBalanceEntry, TraceLot, TracePeriod
from junkan.trace.balance import PERIOD
from junkan.trace.statement import Statement, StatementEntry, statement


class BalanceMixin(TraceBase):
    """Mass-balance statements."""

    def statement(self, org_name: str, *, site: str | None = None,
                  period: str | None = None) -> Statement:
        """``org_name``'s accounts (optionally one site and/or one period), every entry in
        booking order."""
        if period is not None and not PERIOD.match(period):
            raise TraceError(f"period {period!r}: write a calendar quarter like 2026Q1")
        with self.db.session() as s:
            org = self._org(s, org_name)
            q = select(TraceBalanceEntry, TraceLot.creator_org).outerjoin(
                TraceLot, TraceLot.seq == TraceBalanceEntry.lot_seq).where(
                TraceBalanceEntry.org_id == org.id)
            if site is not None:
                q = q.where(TraceBalanceEntry.site == site)
            if period is not None:
                q = q.where(TraceBalanceEntry.period == period)
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            entries = []
            for e, creator in s.execute(q.order_by(TraceBalanceEntry.id)):
                lot = e.lot if creator in (None, org.id) else f"{names[creator]}/{e.lot}"
                at = e.created_at if e.created_at.tzinfo else e.created_at.replace(tzinfo=UTC)
                entries.append(StatementEntry(e.site, e.characteristic, e.period, e.kind, lot,
                                              e.mass_kg, e.basis_kg, e.share,
                                              bool(e.uncovered), at))
            closed = {(p.site, p.period) for p in s.scalars(select(TracePeriod).where(
                TracePeriod.org_id == org.id))}
        return statement(org_name, entries, closed)
