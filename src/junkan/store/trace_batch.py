"""The lots one ingest touches: loaded once in the organisation's view, new lots
and genealogy links inserted in bulk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from junkan.store.tables import Base, Organisation
from junkan.store.trace_base import TraceError, split_ref
from junkan.store.trace_book import StoreBook
from junkan.store.trace_rows import (
    MUTABLE,
    NewLot,
    attrs,
    chunks,
    insert_rows,
    select_lots,
    sqlite_lots,
    update_lots,
)
from junkan.trace.events import ClosePeriod, Combine, Event, Split


class Batch:
    """Lots touched by one ingest, loaded once; new lots and links inserted in bulk: the
    :class:`junkan.trace.rules.View` the rules apply the batch's events to.

    Lot ids are scoped per creating organisation. The batch's organisation refers to a lot
    by its id — its own lot with that id first, else the one lot with that id in its custody
    or shipped to it — or by ``organisation/id``; only lots it made, holds or was shipped
    are loaded, so no reference can reach (or tell apart) anyone else's."""

    def __init__(self, s: Session, org: Organisation, refs: set[str]) -> None:
        self.s = s
        self.org = org
        self.org_id = org.id
        self.org_name = org.name
        ids = {split_ref(r)[1] for r in refs}
        self.lots: dict[str, list[Any]] = {i: [] for i in ids}
        self.loaded: list[NewLot] = []
        for chunk in chunks(sorted(ids)):
            self._load(chunk)
        self.inputs: list[tuple[Any, Any, float]] = []
        self.orgs: dict[str, Organisation | None] = {}
        self.redeclared_lots: list[Any] = []
        self.facts_moved: set[int] = set()
        """``id`` of the re-declared lots whose declared PcfFacts changed (rule 3)."""
        self.by_seq = {lot.seq: lot for lot in self.loaded}
        self.book = StoreBook(s, self.by_seq.get)
        self.new: list[NewLot] = []
        self.refs: dict[str, str] = {}
        """References of the current event to other organisations' lots, as written →
        ``<creator organisation id>/<id>`` (kept in the signed record)."""

    def _organisation(self, name: str) -> Organisation | None:
        """An organisation by name, looked up once per batch."""
        if name not in self.orgs:
            self.orgs[name] = self.s.scalar(select(Organisation).where(
                Organisation.name == name))
        return self.orgs[name]

    def organisation(self, name: str) -> str | None:
        """An organisation's id by name, or None."""
        found = self._organisation(name)
        return None if found is None else found.id

    def new_lot(self, **fields: Any) -> NewLot:
        lot = NewLot(**fields)
        self.add(lot)
        return lot

    def link(self, dst: Any, src: Any, mass_kg: float) -> None:
        self.inputs.append((dst, src, mass_kg))

    def redeclared(self, lot: Any, facts_moved: bool = False) -> None:
        self.redeclared_lots.append(lot)
        if facts_moved:
            self.facts_moved.add(id(lot))

    def _load(self, lot_ids: list[str]) -> None:
        """Read these lots from the store (those the organisation may refer to) and remember
        them as loaded."""
        if self.s.connection().dialect.name == "sqlite":
            found = sqlite_lots(self.s, self.org_id, lot_ids)  # Core: ~25 µs a lot
        else:
            table = Base.metadata.tables["trace_lots"]
            res = self.s.execute(select_lots().where(table.c.lot.in_(lot_ids), or_(
                table.c.creator_org == self.org_id, table.c.owner_org == self.org_id,
                table.c.shipped_to == self.org_id)))
            keys = list(res.keys())
            found = [NewLot(**dict(zip(keys, row, strict=True))) for row in res.all()]
        for lot in found:
            lot.loaded_as = tuple(getattr(lot, c) for c in MUTABLE)
            lot.loaded_biogenic = lot.cfp_biogenic  # rule 3: did a re-declaration move it?
            self.lots[lot.lot].append(lot)
            self.loaded.append(lot)
            if hasattr(self, "by_seq"):
                self.by_seq[lot.seq] = lot

    def lot(self, ref: str) -> Any:
        """The lot ``ref`` names in the organisation's view, or None."""
        org_name, lot_id = split_ref(ref)
        cands = self.lots.get(lot_id)
        if cands is None:
            cands = self.lots[lot_id] = []
            self._load([lot_id])
        me = self.org_id
        if org_name:
            creator = self._organisation(org_name)
            found = None if creator is None else next(
                (c for c in cands if c.creator_org == creator.id), None)
            if found is not None and found.creator_org != me:
                self.refs[ref] = f"{found.creator_org}/{lot_id}"
            return found
        held = []
        for c in cands:
            if c.creator_org == me:
                return c  # one's own id first
            if c.owner_org == me or c.shipped_to == me:
                held.append(c)
        if not held:
            return None
        if len(held) > 1:
            names = sorted(self._name(c.creator_org) for c in held)
            raise TraceError(f"lot {ref!r} is ambiguous: you hold lots with this id from "
                             f"{len(held)} organisations; write "
                             + " or ".join(f"'{n}/{lot_id}'" for n in names))
        self.refs[ref] = f"{held[0].creator_org}/{lot_id}"
        return held[0]

    def own(self, lot_id: str) -> Any:
        """The organisation's own lot with this id, or None."""
        if lot_id not in self.lots:
            self.lot(lot_id)
        return next((c for c in self.lots[lot_id] if c.creator_org == self.org_id), None)

    def _name(self, org_id: str) -> str:
        return str(self.s.scalar(select(Organisation.name).where(Organisation.id == org_id)))

    def update_loaded(self) -> None:
        """Write the loaded lots' mutable columns back (one executemany; the JSON column
        ``declared`` only for the lots re-declared in this batch)."""
        if not self.loaded:
            return
        redeclared = {id(lot) for lot in self.redeclared_lots}
        again = [x for x in self.loaded if id(x) in redeclared]
        # only the columns that changed, one executemany per set of them (a merge changes
        # its inputs' consumed_kg only; SQLite rewrites indexes of every column it is given)
        changed: dict[tuple[str, ...], list[NewLot]] = {}
        for lot in self.loaded:
            now = tuple(getattr(lot, c) for c in MUTABLE)
            cols = tuple(c for c, a, b in zip(MUTABLE, lot.loaded_as, now, strict=True)
                         if a != b)
            if cols:
                changed.setdefault(cols, []).append(lot)
        for cols, lots in changed.items():
            update_lots(self.s, "trace_lots", cols, lots)
        update_lots(self.s, "trace_lots", ("declared",), again)
        update_lots(self.s, "trace_values", NewLot.VALUES, again)

    def add(self, lot: NewLot) -> None:
        self.new.append(lot)
        self.lots.setdefault(lot.lot, []).append(lot)

    def insert_new(self) -> None:
        """Insert the new lots in creation order, learn their ``seq``, add their values."""
        if not self.new:
            return
        table = Base.metadata.tables["trace_lots"]
        conn = self.s.connection()
        if conn.dialect.name == "sqlite":
            # the new rows are those above the largest seq, read inside this write
            # transaction (SQLite has one writer at a time)
            before = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM trace_lots"
                                          ).scalar() or 0
            insert_rows(self.s, "trace_lots", NewLot.COLUMNS, attrs(self.new, NewLot.COLUMNS))
            got = dict((lot, seq) for seq, lot in conn.exec_driver_sql(
                "SELECT seq, lot FROM trace_lots WHERE seq > ?", (before,)))
        else:  # Core: RETURNING in insertmanyvalues batches, matched by lot id
            got = dict((lot, seq) for seq, lot in self.s.execute(
                insert(table).returning(table.c.seq, table.c.lot),
                [n.row() for n in self.new]).all())
        for n in self.new:
            n.seq = got[n.lot]
        cols = ("seq", *NewLot.VALUES)
        insert_rows(self.s, "trace_values", cols, attrs(self.new, cols))

    def insert_inputs(self) -> None:
        """The genealogy links (output, input, mass) of this batch."""
        insert_rows(self.s, "trace_inputs", ("dst_seq", "src_seq", "mass_kg"),
                     [(d.seq, src.seq, m) for d, src, m in self.inputs])


def event_lot_ids(ev: Event) -> set[str]:
    if isinstance(ev, ClosePeriod):
        return set()
    ids = {ev.lot}
    if isinstance(ev, Combine):
        ids |= {i.lot for i in ev.inputs}
    if isinstance(ev, Split):
        ids |= {o.lot for o in ev.outputs}
    return ids
