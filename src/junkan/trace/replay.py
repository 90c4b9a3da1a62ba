"""The ledger rebuilt from the signed logs alone: every organisation's events, in the order
they were appended, applied by the same rules as ingest (:func:`junkan.trace.rules.apply`).
An audit compares what the store holds with this state, field by field.

A batch's re-declarations are recomputed at its end, as ingest does: each lot downstream is
recomputed from its inputs in creation order (the formula of
:func:`junkan.trace.propagate.combine`, lot by lot — independent of the triangular solve the
store uses; a lot made under rule 3 also derives its uptake again), and the mass-balance
entries booked from the lots that moved are re-valued."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from junkan.trace import balance, rules
from junkan.trace.events import SIGNED, Event
from junkan.trace.pcf import follows_inputs, rederived
from junkan.trace.propagate import QUANTITIES, combine

_EVENT: TypeAdapter[Event] = TypeAdapter(Event)
_RESTORED = ("lot", "creator_org", "owner_org", "shipped_to", "received", "material", "mass_kg",
             "consumed_kg", "site", "custody", "declared", "own", "own_cfp", "mb_period",
             "created_at", "cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post",
             "updated_at")
assert rules.LOT_FIELDS == _RESTORED, "ReplayLot.restore assigns LOT_FIELDS in this order"


class ReplayLot:
    """A lot as the log makes it (:data:`junkan.trace.rules.LOT_FIELDS`), with its place in
    creation order, its inputs and the lots made from it."""

    __slots__ = (*rules.LOT_FIELDS, "index", "inputs", "children")
    if TYPE_CHECKING:  # the slots named by LOT_FIELDS
        lot: str
        creator_org: str
        owner_org: str
        shipped_to: str | None
        received: bool
        material: str
        mass_kg: float
        consumed_kg: float
        site: str
        custody: str
        declared: dict[str, Any]
        own: dict[str, Any]
        own_cfp: float
        mb_period: str | None
        created_at: datetime
        cfp_total: float
        cfp_fossil: float
        cfp_biogenic: float
        rec_pre: float
        rec_post: float
        updated_at: datetime

    def __init__(self, index: int, *, lot: Any, creator_org: Any, owner_org: Any,
                 shipped_to: Any, received: Any, material: Any, mass_kg: Any,
                 consumed_kg: Any, site: Any, custody: Any, declared: Any, own: Any,
                 own_cfp: Any, mb_period: Any, created_at: Any, cfp_total: Any,
                 cfp_fossil: Any, cfp_biogenic: Any, rec_pre: Any, rec_post: Any,
                 updated_at: Any) -> None:
        # each field by name: an audit makes a million lots, a setattr loop cost 3× more
        self.lot, self.creator_org, self.owner_org, self.shipped_to = (
            lot, creator_org, owner_org, shipped_to)
        self.received, self.material, self.mass_kg, self.consumed_kg = (
            received, material, mass_kg, consumed_kg)
        self.site, self.custody, self.declared, self.own, self.own_cfp = (
            site, custody, declared, own, own_cfp)
        self.mb_period, self.created_at, self.cfp_total, self.cfp_fossil = (
            mb_period, created_at, cfp_total, cfp_fossil)
        self.cfp_biogenic, self.rec_pre, self.rec_post, self.updated_at = (
            cfp_biogenic, rec_pre, rec_post, updated_at)
        self.index = index
        self.inputs: list[tuple[ReplayLot, float]] = []
        self.children: list[ReplayLot] = []

    @classmethod
    def restore(cls, index: int, values: list[Any]) -> ReplayLot:
        """A lot from its :data:`~junkan.trace.rules.LOT_FIELDS` values, in that order (a
        saved state read back), without inputs or children yet."""
        lot = cls.__new__(cls)
        (lot.lot, lot.creator_org, lot.owner_org, lot.shipped_to, lot.received, lot.material,
         lot.mass_kg, lot.consumed_kg, lot.site, lot.custody, lot.declared, lot.own,
         lot.own_cfp, lot.mb_period, lot.created_at, lot.cfp_total, lot.cfp_fossil,
         lot.cfp_biogenic, lot.rec_pre, lot.rec_post, lot.updated_at) = values
        lot.index, lot.inputs, lot.children = index, [], []
        return lot

    @property
    def key(self) -> tuple[str, str]:
        """(creating organisation's id, lot id): a lot's identity."""
        return self.creator_org, self.lot


class ReplayBook(balance.MemoryBook):
    """Accounts kept whole in memory, indexed as entries are added."""

    def entries(self, org: str, site: str, characteristic: str,
                period: str) -> list[balance.Entry]:
        return self._accounts.setdefault((org, site, characteristic, period), [])

    def entries_from(self, lot: Any) -> list[balance.Entry]:
        return self._by_lot.setdefault(id(lot), [])

    def add(self, entry: balance.Entry) -> None:
        key = (entry.org, entry.site, entry.characteristic, entry.period)
        self._sums[key] = self._sums.get(key, 0.0) + balance.SIGN[entry.kind] * entry.mass_kg
        account = self._accounts.get(key)
        if account is None:
            account = self._accounts[key] = []
        account.append(entry)
        if entry.lot is not None:
            self.entries_from(entry.lot).append(entry)
        self.added.append(entry)


@dataclass
class Ledger:
    """The replayed state: lots in creation order, links in the order they were made,
    the mass-balance book, and the problems met while replaying."""

    names: dict[str, str]
    """Organisation name → id."""
    lots: list[ReplayLot] = field(default_factory=list)
    by_key: dict[tuple[str, str], ReplayLot] = field(default_factory=dict)
    links: list[tuple[ReplayLot, ReplayLot, float]] = field(default_factory=list)
    book: ReplayBook = field(default_factory=ReplayBook)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(organisation id, what failed) for records the rules refused."""
    events: int = 0


class _View:
    """The replayed ledger as the organisation of the event being applied sees it
    (:class:`junkan.trace.rules.View`); one view serves every event, re-pointed per event."""

    def __init__(self, ledger: Ledger, pending: list[ReplayLot]) -> None:
        self.ledger, self.book, self.redeclared_lots = ledger, ledger.book, pending
        self.org_id = self.org_name = ""
        self.refs: dict[str, str] = {}

    def lot(self, ref: str) -> ReplayLot | None:
        if ref in self.refs:
            creator, _, lot_id = self.refs[ref].partition("/")
            return self.ledger.by_key.get((creator, lot_id))
        org_name, _, lot_id = ref.rpartition("/")
        if org_name and self.ledger.names.get(org_name) != self.org_id:
            return None  # another organisation's lot is always in the record's refs
        return self.ledger.by_key.get((self.org_id, lot_id))

    def own(self, lot_id: str) -> ReplayLot | None:
        return self.ledger.by_key.get((self.org_id, lot_id))

    def organisation(self, name: str) -> str | None:
        return self.ledger.names.get(name)

    def new_lot(self, **fields: Any) -> ReplayLot:
        lot = ReplayLot(len(self.ledger.lots), **fields)
        self.ledger.lots.append(lot)
        self.ledger.by_key[lot.key] = lot
        return lot

    def link(self, dst: ReplayLot, src: ReplayLot, mass_kg: float) -> None:
        dst.inputs.append((src, mass_kg))
        src.children.append(dst)
        self.ledger.links.append((dst, src, mass_kg))

    def redeclared(self, lot: ReplayLot, facts_moved: bool = False) -> None:
        self.redeclared_lots.append(lot)  # recompute derives every rule-3 uptake again


def moved(old: tuple[float, ...], new: tuple[float, ...]) -> bool:
    """Did a recomputation change a lot's values (beyond float noise)?"""
    return any(abs(b - a) > 1e-9 * max(1.0, abs(a)) for a, b in zip(old, new, strict=True))


def recompute(ledger: Ledger, starts: list[ReplayLot], at: datetime) -> None:
    """Recompute every lot downstream of ``starts`` (and the derived uptake of those made
    under rule 3, :func:`junkan.trace.pcf.rederived`) and re-value the mass-balance entries
    booked from them."""
    seen = {id(x) for x in starts}
    todo, cone = list(starts), list(starts)
    while todo:
        for child in todo.pop().children:
            if id(child) not in seen:
                seen.add(id(child))
                cone.append(child)
                todo.append(child)
    cone.sort(key=lambda x: x.index)
    for lot in cone:
        if lot.custody == "declared":
            continue
        old = tuple(getattr(lot, q) for q in QUANTITIES)
        new = list(combine(lot.own_cfp, lot.inputs))
        if lot.custody == "mass_balance":
            new[3:] = old[3:]  # claimed, not derived
        if moved(old, tuple(new)):
            for q, v in zip(QUANTITIES, new, strict=True):
                setattr(lot, q, float(v))
            lot.updated_at = at
        if follows_inputs(lot):  # rule 3: its derived uptake follows too
            own = rederived(lot, lot.inputs)
            if own is not None:
                lot.own = own
    accounts: set[tuple[str, str, str, str]] = set()
    for lot in cone:
        if ledger.book.entries_from(lot):
            accounts |= balance.revalue(ledger.book, lot, at)
    balance.recheck_all(ledger.book, accounts)


class Replay:
    """Applies signed records, already parsed, one at a time in the order they were appended
    (:meth:`apply`), to ``ledger`` — an empty one, or the state an earlier audit saved. A
    record the rules refuse is a problem of the audit, and is skipped."""

    def __init__(self, names: dict[str, str], ledger: Ledger | None = None) -> None:
        self.ledger = ledger if ledger is not None else Ledger(names=names)
        self.ledger.names = names
        self._pending: list[ReplayLot] = []
        self._view = _View(self.ledger, self._pending)
        self._at_text: str | None = None
        self._at: datetime | None = None

    def apply(self, org_id: str, org_name: str, record: Any, batch_ends: bool) -> None:
        """Apply one record (the parsed JSON object; anything else is refused) of
        ``org_name``; at the end of a batch, recompute what its re-declarations moved."""
        ledger = self.ledger
        ledger.events += 1
        try:
            if not isinstance(record, dict):
                raise ValueError("the record is not a JSON object")
            if record["at"] != self._at_text:
                self._at = datetime.fromisoformat(record["at"])
                self._at_text = record["at"]
            # signed before control characters were refused: read as signed
            ev = _EVENT.validate_python(record["event"], context={SIGNED: True})
            view = self._view
            view.org_id, view.org_name = org_id, org_name
            view.refs = record.get("refs") or {}
            rules.apply(view, ev, self._at, signed=True,  # type: ignore[arg-type]
                        version=rules.version_of(record))
        except (ValueError, KeyError, TypeError, ValidationError, rules.RuleError) as exc:
            ledger.problems.append((org_id, f"{org_name} event {_seq(record)}: replaying the "
                                            f"signed record fails: {exc}"))
        if batch_ends and self._pending and self._at is not None:
            recompute(ledger, self._pending, self._at)
            self._pending.clear()


def replay(log: Iterable[tuple[str, str, str, bool]], names: dict[str, str]) -> Ledger:
    """Apply ``log`` — (organisation id, organisation name, signed record text, whether a
    batch ends after it) in the order the events were appended — to an empty ledger."""
    run = Replay(names)
    for org_id, org_name, text, batch_ends in log:
        try:
            record = json.loads(text)
        except ValueError as exc:
            run.ledger.events += 1
            run.ledger.problems.append((org_id, f"{org_name} event ?: replaying the signed "
                                                f"record fails: {exc}"))
            continue
        run.apply(org_id, org_name, record, batch_ends)
    return run.ledger


def _seq(record: Any) -> str:
    """``seq (type lot)`` of a record, as far as it can be read."""
    if not isinstance(record, dict):
        return "?"
    ev = record.get("event")
    ev = ev if isinstance(ev, dict) else {}
    return f"{record.get('seq', '?')} ({ev.get('type', '?')} {ev.get('lot', '')})".strip()
