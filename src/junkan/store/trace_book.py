"""The mass-balance accounts of one ingest: :class:`junkan.trace.balance.MemoryBook` over
the stored entries (read on first use, written in bulk at the end of the batch)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from junkan.store.trace_rows import insert_rows
from junkan.store.trace_tables import TraceBalanceEntry, TracePeriod
from junkan.trace.balance import SIGN, Entry, MemoryBook

ENTRY_COLUMNS = ("org_id", "site", "characteristic", "period", "kind", "mass_kg", "lot",
                 "lot_seq", "basis_kg", "share", "uncovered", "created_at")

_T = TraceBalanceEntry
_SIGNED = case(*((_T.kind == k, _T.mass_kg * v) for k, v in SIGN.items()), else_=0.0)


class StoreBook(MemoryBook):
    """Accounts read from ``trace_balance_entries`` and ``trace_periods`` as needed."""

    def __init__(self, s: Session, lot_of_seq: Any = None) -> None:
        super().__init__()
        self.s = s
        self._rows: dict[int, Entry] = {}
        self._lot_of_seq = lot_of_seq
        """Maps a stored ``lot_seq`` to the batch's lot object, if it has it loaded."""

    def _load_sum(self, key: tuple[str, str, str, str]) -> float:
        org, site, char, period = key
        return float(self.s.scalar(select(func.coalesce(func.sum(_SIGNED), 0.0)).where(
            _T.org_id == org, _T.site == site, _T.characteristic == char,
            _T.period == period)) or 0.0)

    def _entry(self, row: TraceBalanceEntry) -> Entry:
        if row.id not in self._rows:
            lot = self._lot_of_seq(row.lot_seq) if self._lot_of_seq and row.lot_seq else None
            if lot is None and row.lot_seq is not None:  # not in this batch: its id only
                lot = SimpleNamespace(seq=row.lot_seq, lot=row.lot)
            self._rows[row.id] = Entry(
                row.org_id, row.site, row.characteristic, row.period, row.kind, row.mass_kg,
                row.created_at, lot, row.basis_kg, row.share, bool(row.uncovered), row.id)
        return self._rows[row.id]

    def _load_account(self, key: tuple[str, str, str, str]) -> list[Entry]:
        org, site, char, period = key
        return [self._entry(r) for r in self.s.scalars(select(_T).where(
            _T.org_id == org, _T.site == site, _T.characteristic == char,
            _T.period == period).order_by(_T.id))]

    def _load_lot(self, lot: Any) -> list[Entry]:
        if getattr(lot, "seq", None) is None:
            return []
        found = [self._entry(r) for r in self.s.scalars(
            select(_T).where(_T.lot_seq == lot.seq).order_by(_T.id))]
        for e in found:
            e.lot = lot
        return found

    def _load_closed(self, org: str, site: str, period: str) -> bool:
        return self.s.get(TracePeriod, (org, site, period)) is not None

    def write(self) -> None:
        """Store what changed (after the batch's new lots have their ``seq``)."""
        insert_rows(self.s, "trace_balance_entries", ENTRY_COLUMNS, [
            (e.org, e.site, e.characteristic, e.period, e.kind, e.mass_kg,
             e.lot.lot if e.lot is not None else "",
             e.lot.seq if e.lot is not None else None, e.basis_kg, e.share, e.uncovered,
             e.at) for e in self.added])
        for e in self.flagged.values():
            self.s.execute(update(_T).where(_T.id == e.id).values(uncovered=e.uncovered))
        for org, site, period, at in self.closed_now:
            self.s.add(TracePeriod(org_id=org, site=site, period=period, closed_at=at))
        self.flagged, self.closed_now = {}, []
        self.forget_added()


