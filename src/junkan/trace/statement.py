"""A site's mass-balance statement: for each characteristic and period, what was carried
in, credited on receipt, claimed, passed on physically, adjusted after re-declarations and
carried out, the closing balance, and the claims it no longer covers — the document an
auditor of a mass-balance system (ISO 22095 / ISCC EU 203) asks for."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from junkan.trace.balance import SIGN

COLUMNS = ("site", "characteristic", "period", "kind", "lot", "basis_kg", "share", "mass_kg",
           "uncovered", "booked_at")
"""Columns of the CSV export (one row per entry; masses in kg of recycled material)."""


@dataclass
class StatementEntry:
    site: str
    characteristic: str
    period: str
    kind: str
    lot: str
    """The lot as the organisation writes it ('' for a carry)."""
    mass_kg: float
    basis_kg: float | None
    share: float | None
    uncovered: bool
    booked_at: datetime


@dataclass
class Account:
    site: str
    characteristic: str
    period: str
    closed: bool
    totals: dict[str, float] = field(default_factory=dict)
    """kg per kind of entry (adjustments signed)."""
    balance_kg: float = 0.0
    uncovered_claims: int = 0
    entries: list[StatementEntry] = field(default_factory=list)


@dataclass
class Statement:
    """An organisation's accounts, by site, characteristic and period."""

    org: str
    accounts: list[Account]

    def to_json(self) -> dict[str, Any]:
        return {"org": self.org, "accounts": [{
            "site": a.site, "characteristic": a.characteristic, "period": a.period,
            "closed": a.closed, "totals_kg": a.totals, "balance_kg": a.balance_kg,
            "uncovered_claims": a.uncovered_claims,
            "entries": [{"kind": e.kind, "lot": e.lot, "basis_kg": e.basis_kg,
                         "share": e.share, "mass_kg": e.mass_kg, "uncovered": e.uncovered,
                         "booked_at": e.booked_at.isoformat()} for e in a.entries]}
            for a in self.accounts]}

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for a in self.accounts:
            for e in a.entries:
                w.writerow([a.site, a.characteristic, a.period, e.kind, e.lot,
                            _num(e.basis_kg), _num(e.share), _num(e.mass_kg),
                            "yes" if e.uncovered else "", e.booked_at.isoformat()])
        return buf.getvalue()


def _num(x: float | None) -> str:
    """A number for the CSV: 12 significant digits (well below a gram of a million
    tonnes), without float artefacts."""
    return "" if x is None else f"{x:.12g}"


def statement(org: str, entries: Iterable[StatementEntry],
              closed: set[tuple[str, str]]) -> Statement:
    """Group ``entries`` (in booking order) into accounts; ``closed``: (site, period)."""
    accounts: dict[tuple[str, str, str], Account] = {}
    for e in entries:
        key = (e.site, e.characteristic, e.period)
        if key not in accounts:
            accounts[key] = Account(e.site, e.characteristic, e.period,
                                    (e.site, e.period) in closed)
        a = accounts[key]
        a.entries.append(e)
        a.totals[e.kind] = a.totals.get(e.kind, 0.0) + e.mass_kg
        a.balance_kg += SIGN[e.kind] * e.mass_kg
        a.uncovered_claims += e.kind == "claim" and e.uncovered
    return Statement(org, [accounts[k] for k in sorted(accounts)])
