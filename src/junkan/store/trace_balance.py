"""Reading the mass-balance accounts: an organisation's statement."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.tables import Organisation
from junkan.store.trace_base import TraceBase, TraceError
from junkan.store.trace_tables import (
    TraceBalanceEntry,
    TraceEvent,
    TraceInput,
    TraceLot,
    TracePeriod,
)
from junkan.trace.balance import PERIOD, period_of
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

    def made(self, org_name: str, *, site: str | None = None) -> list[dict[str, Any]]:
        """The lots ``org_name`` made in a recorded step (merge, blend, process, split; not
        the lots it created with declared values, nor those it received), in booking order:
        ``lot``, ``site``, ``custody`` (the step's ISO 22095 model), ``mass_kg``, the recycled
        shares as the ledger holds them (``pre_consumer``, ``post_consumer``: derived by the
        physical models, claimed under mass balance), ``made_at`` (ISO 8601, UTC),
        ``inputs`` (input lots, another organisation's written ``org/lot``), ``inputs_kg``
        (the mass used of each), ``input_kg`` (their sum: a mass-balance claim's basis) and
        ``period``, the quarter the
        ledger booked the step in — the one its signed event names (or its batch gave it),
        else the quarter (UTC) of ``made_at``, as the ledger's mass-balance bookings; a split
        names none: its portions are in the later of their source's quarter and the split's
        — with ``period_named`` (false: derived from ``made_at`` alone). What
        :func:`junkan.policy.periodic_report` reads."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            q = select(TraceLot).where(TraceLot.creator_org == org.id,
                                       TraceLot.custody != "declared")
            if site is not None:
                q = q.where(TraceLot.site == site)
            lots = list(s.scalars(q.order_by(TraceLot.seq)))
            seqs = [x.seq for x in lots]
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            inputs: dict[int, list[str]] = {}
            inputs_kg: dict[int, list[float]] = {}
            input_kg: dict[int, float] = {}
            for i in range(0, len(seqs), 500):
                rows = s.execute(select(TraceInput.dst_seq, TraceLot.lot, TraceLot.creator_org,
                                        TraceInput.mass_kg)
                                 .join(TraceLot, TraceLot.seq == TraceInput.src_seq)
                                 .where(TraceInput.dst_seq.in_(seqs[i:i + 500]))
                                 .order_by(TraceInput.id))
                for dst, lot, creator, kg in rows:
                    inputs.setdefault(dst, []).append(
                        lot if creator == org.id else f"{names[creator]}/{lot}")
                    inputs_kg.setdefault(dst, []).append(kg)
                    input_kg[dst] = input_kg.get(dst, 0.0) + kg
            named, split_of = _step_periods(s, org.id)
            out = []
            period: dict[str, tuple[str, bool]] = {}
            for x in lots:
                at = x.created_at if x.created_at.tzinfo else x.created_at.replace(tzinfo=UTC)
                own = period_of(at.astimezone(UTC))
                src = period.get(split_of.get(x.lot, ""))
                period[x.lot] = (named[x.lot], True) if x.lot in named else \
                    (max(src[0], own), src[1] and src[0] >= own) if src else (own, False)
                out.append({"lot": x.lot, "site": x.site, "custody": x.custody,
                            "mass_kg": x.mass_kg, "pre_consumer": x.rec_pre,
                            "post_consumer": x.rec_post, "made_at": at.isoformat(),
                            "inputs": inputs.get(x.seq, []),
                            "inputs_kg": inputs_kg.get(x.seq, []),
                            "input_kg": input_kg.get(x.seq, 0.0), "period": period[x.lot][0],
                            "period_named": period[x.lot][1]})
        return out


STEPS = ("merge", "blend", "process", "split")


def _step_periods(s: Session, org_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """From ``org_id``'s signed log: the period each step's event names (merge, blend,
    process: its output lot → period) and each split portion's source lot."""
    named: dict[str, str] = {}
    split_of: dict[str, str] = {}
    for kind, record in s.execute(select(TraceEvent.type, TraceEvent.record).where(
            TraceEvent.org_id == org_id, TraceEvent.type.in_(STEPS)).order_by(TraceEvent.id)):
        event = json.loads(record)["event"]
        if kind == "split":
            split_of.update((o["lot"], event["lot"]) for o in event["outputs"])
        elif event.get("period"):
            named[event["lot"]] = event["period"]
    return named, split_of
