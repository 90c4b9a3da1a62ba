"""The traceability ledger on the platform's store: ingest signed events all-or-nothing,
derive CFP and recycled content, recompute downstream on re-declaration and notify owners,
keep mass-balance accounts, serve lots with data sovereignty, verify the logs."""

from __future__ import annotations

import gc
import json
import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

import numpy as np
from sqlalchemy import DateTime, bindparam, func, insert, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from junkan.core.errors import JunkanError
from junkan.core.outbound import OutboundPolicy, OutboundRefused, parse_origin
from junkan.store import trace_outbox
from junkan.store.db import Database
from junkan.store.tables import Base, Organisation
from junkan.store.trace_graph import LotGraph, batch_rows
from junkan.store.trace_graph import read as read_graph
from junkan.store.trace_tables import (
    TraceAgreement,
    TraceBalanceEntry,
    TraceCheckpoint,
    TraceDataset,
    TraceEvent,
    TraceInput,
    TraceKey,
    TraceLot,
    TraceNotification,
    TraceWebhook,
    TraceWebhookOrigin,
)
from junkan.trace import merkle
from junkan.trace.canonical import canonical
from junkan.trace.events import (
    DEFAULT_STANDARDS,
    MAX_CFP_PER_KG,
    Combine,
    Create,
    Event,
    Receive,
    Redeclare,
    Ship,
    Split,
)
from junkan.trace.keystore import (
    KeyRing,
    KeyStoreError,
    UnknownKeyId,
    key_file_path,
    key_id,
    load_keyring,
    new_secret,
    public_of,
    write_key_file,
)
from junkan.trace.propagate import QUANTITIES, downstream, recompute
from junkan.trace.signing import new_key, sign, sign_many, verify, verify_many

log = logging.getLogger(__name__)


def pcf_facts(lot: Any) -> dict[str, Any]:
    """A lot's PcfFacts as stored: declared by its maker, or derived when it was made."""
    column = "declared" if lot.custody == "declared" else "own"
    raw = getattr(lot, "__dict__", {}).get("raw") or {}
    if column in raw and '"pcf"' not in raw[column]:
        return {}  # still undecoded JSON text without facts: nothing to decode
    src = getattr(lot, column)
    return dict((src or {}).get("pcf") or {})


def _derived_facts(inputs: list[tuple[Any, float]], country: str | None) -> dict[str, Any]:
    """PcfFacts of a lot made from ``inputs`` (lot, kg taken): fossil carbon allocated by
    mass like the CFP (unknown if any input's is); country as given, else the inputs' common
    one; standards those all inputs name; exempted share the largest of the inputs'."""
    facts = [pcf_facts(lot) for lot, _ in inputs]
    default = list(DEFAULT_STANDARDS)
    if not any(facts):  # nothing declared upstream (the common case, kept cheap)
        return {"country": country, "fossil_carbon_kg": None, "standards": default,
                "exempted_percent": 0.0, "packaging_included": False}
    carbon: float | None = 0.0
    for (lot, m), f in zip(inputs, facts, strict=True):
        c = f.get("fossil_carbon_kg")
        carbon = None if c is None or carbon is None else carbon + m / lot.mass_kg * c
    countries = {f.get("country") for f in facts}
    common = set.intersection(*(set(f.get("standards") or default) for f in facts))
    return {"country": country or (countries.pop() if len(countries) == 1 else None),
            "fossil_carbon_kg": carbon, "standards": sorted(common) or default,
            "exempted_percent": max(float(f.get("exempted_percent", 0)) for f in facts),
            "packaging_included": all(f.get("packaging_included", False) for f in facts)}


def lot_view(lot: Any, names: dict[str, str], fields: set[str]) -> dict[str, Any]:
    """A lot's stored values as a document, with only the ``fields`` (of GRANTABLE, except
    inputs) the reader may see; ``names`` maps organisation ids to names."""
    doc: dict[str, Any] = {
        "lot": lot.lot, "material": lot.material, "mass_kg": lot.mass_kg,
        "owner": names[lot.owner_org], "creator": names[lot.creator_org],
        "custody": lot.custody, "updated_at": lot.updated_at.isoformat()}
    if "cfp" in fields:
        doc["cfp_kgco2e"] = {"total": lot.cfp_total, "fossil": lot.cfp_fossil,
                             "biogenic": lot.cfp_biogenic, "per_kg": lot.cfp_total / lot.mass_kg}
        doc["pcf_facts"] = pcf_facts(lot)
    if "recycled" in fields:
        doc["recycled"] = {"pre_consumer": lot.rec_pre, "post_consumer": lot.rec_post,
                           "total": lot.rec_pre + lot.rec_post}
    if "claims" in fields:
        doc["claims"] = (lot.declared or {}).get("claims", [])
    if "composition" in fields:
        doc["composition"] = (lot.declared or {}).get("composition", {})
    if "site" in fields:
        doc["site"] = lot.site
    return doc


HOLDER_FIELDS = {"cfp", "recycled", "claims"}
"""What the organisation holding a lot (or it is shipped to) sees without an agreement."""


def _checkpoint_body(org_id: str, tree_size: Any, root: Any) -> dict[str, Any]:
    """What a checkpoint's signature covers."""
    return {"org_id": org_id, "tree_size": tree_size, "root": root}


GRANTABLE = ("cfp", "recycled", "claims", "composition", "inputs", "site")
"""Fields of a lot an agreement or a catalogue offer can cover."""


class TraceError(JunkanError):
    """A rejected event: names the event (index in the batch), the lot and the rule."""


class TraceNotFound(TraceError):
    """Something the caller may not see, or that does not exist — the two read the same
    (``<what> '<name>' not found``), so nothing tells another organisation's lots or names
    apart from missing ones."""


def not_found(what: str, name: str) -> TraceNotFound:
    """The one 'not found' text, for lots and organisations alike."""
    return TraceNotFound(f"{what} {name!r} not found")


def split_ref(ref: str) -> tuple[str, str]:
    """(organisation name or '', lot id) of a lot reference ``[organisation/]id``."""
    org, _, lot = ref.rpartition("/")
    return org, lot


def _finite(lot: str, values: Any) -> None:
    """A derived value must be a finite number (it is stored, signed off and published)."""
    if not all(math.isfinite(float(v)) for v in values):
        raise TraceError(f"lot {lot!r}: a derived CFP or recycled share would not be a finite "
                         "number; check the masses and footprints of its inputs")


def _quarter(at: datetime) -> str:
    """Balancing period: the calendar quarter (≤ 3 months, ISCC rule 3)."""
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


@dataclass
class IngestResult:
    events: int
    lots_created: int
    recomputed: int
    notified: list[str] = field(default_factory=list)
    tree_size: int = 0
    root: str = ""


@dataclass
class VerifyResult:
    org: str
    ok: bool
    events: int
    problems: list[str]
    checkpoint_size: int | None = None


class NewLot:
    """A lot touched by the current batch as a plain object (ORM instances cost ~100 µs
    each): new lots are inserted in bulk at the end with their ``seq`` returned, loaded
    ones written back in one executemany."""

    COLUMNS = ("lot", "creator_org", "owner_org", "shipped_to", "received", "material",
               "mass_kg", "consumed_kg", "site", "custody", "declared", "own", "own_cfp",
               "created_at")
    """Columns of ``trace_lots`` (``seq`` is assigned by the store)."""
    VALUES = ("cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post", "updated_at")
    """Columns of ``trace_values`` besides ``seq``."""

    lot: str
    loaded_as: tuple[Any, ...] = ()
    """The MUTABLE columns as loaded from the store (empty for a new lot)."""

    def __init__(self, **kw: Any) -> None:
        self.seq: int | None = None
        self.shipped_to: str | None = None
        self.__dict__.update(kw)

    def __getattr__(self, name: str) -> Any:
        """Columns loaded raw from SQLite (JSON text, time text) are decoded on first use:
        most lots of a batch are inputs whose JSON is never read."""
        raw = self.__dict__.get("raw")
        if raw is None or name not in raw:
            raise AttributeError(name)
        text = raw.pop(name)
        value = json.loads(text) if name in _SQLITE_JSON else \
            datetime.fromisoformat(text).replace(tzinfo=UTC)
        setattr(self, name, value)
        return value

    def row(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in self.COLUMNS}


MUTABLE = ("owner_org", "shipped_to", "received", "consumed_kg", "site")
"""Columns of ``trace_lots`` an event may change (and ``declared``, on re-declaration)."""


def _select_lots() -> Any:
    """Every column of a lot: its record joined with its derived values."""
    lots, values = (Base.metadata.tables[t] for t in ("trace_lots", "trace_values"))
    return select(lots, *[values.c[c] for c in NewLot.VALUES]).join_from(
        lots, values, lots.c.seq == values.c.seq)


_LOT_SELECT = ("SELECT l.seq, " + ", ".join(f"l.{c}" for c in NewLot.COLUMNS) + ", "
               + ", ".join(f"v.{c}" for c in NewLot.VALUES)
               + " FROM trace_lots AS l JOIN trace_values AS v ON v.seq = l.seq WHERE "
               "(l.creator_org = ? OR l.owner_org = ? OR l.shipped_to = ?) AND l.lot IN ")


def _sqlite_lots(s: Session, org_id: str, lot_ids: list[str]) -> list[NewLot]:
    """Lots by id on SQLite among those ``org_id`` may refer to, decoded as SQLAlchemy
    would (JSON, booleans, UTC times)."""
    cols = ("seq", *NewLot.COLUMNS, *NewLot.VALUES)
    rows = s.connection().exec_driver_sql(
        _LOT_SELECT + f"({', '.join('?' * len(lot_ids))})",
        (org_id, org_id, org_id, *lot_ids)).all()
    out = []
    lazy = ("declared", "own", "created_at", "updated_at")
    for row in rows:
        lot = NewLot.__new__(NewLot)
        d = dict(zip(cols, row, strict=True))
        d["received"] = bool(d["received"])
        d["raw"] = {c: d.pop(c) for c in lazy}  # decoded on first use (NewLot.__getattr__)
        lot.__dict__.update(d)
        out.append(lot)
    return out


class _Batch:
    """Lots touched by one ingest, loaded once; new lots and links inserted in bulk.

    Lot ids are scoped per creating organisation. The batch's organisation refers to a lot
    by its id — its own lot with that id first, else the one lot with that id in its custody
    or shipped to it — or by ``organisation/id``; only lots it made, holds or was shipped
    are loaded, so no reference can reach (or tell apart) anyone else's."""

    def __init__(self, s: Session, org: Organisation, refs: set[str]) -> None:
        self.s = s
        self.org = org
        self.org_id = org.id
        ids = {split_ref(r)[1] for r in refs}
        self.lots: dict[str, list[Any]] = {i: [] for i in ids}
        self.loaded: list[NewLot] = []
        for chunk in _chunks(sorted(ids), 900):
            self._load(chunk)
        self.inputs: list[tuple[Any, Any, float]] = []
        self.orgs: dict[str, Organisation | None] = {}
        self.redeclared: list[Any] = []
        self.new: list[NewLot] = []
        self.refs: dict[str, str] = {}
        """References of the current event to other organisations' lots, as written →
        ``<creator organisation id>/<id>`` (kept in the signed record)."""

    def organisation(self, name: str) -> Organisation | None:
        """An organisation by name, looked up once per batch."""
        if name not in self.orgs:
            self.orgs[name] = self.s.scalar(select(Organisation).where(
                Organisation.name == name))
        return self.orgs[name]

    def _load(self, lot_ids: list[str]) -> None:
        """Read these lots from the store (those the organisation may refer to) and remember
        them as loaded."""
        if self.s.connection().dialect.name == "sqlite":
            found = _sqlite_lots(self.s, self.org_id, lot_ids)  # Core: ~25 µs a lot
        else:
            table = Base.metadata.tables["trace_lots"]
            res = self.s.execute(_select_lots().where(table.c.lot.in_(lot_ids), or_(
                table.c.creator_org == self.org_id, table.c.owner_org == self.org_id,
                table.c.shipped_to == self.org_id)))
            keys = list(res.keys())
            found = [NewLot(**dict(zip(keys, row, strict=True))) for row in res.all()]
        for lot in found:
            lot.loaded_as = tuple(getattr(lot, c) for c in MUTABLE)
            self.lots[lot.lot].append(lot)
            self.loaded.append(lot)

    def lot(self, ref: str) -> Any:
        """The lot ``ref`` names in the organisation's view, or None."""
        org_name, lot_id = split_ref(ref)
        cands = self.lots.get(lot_id)
        if cands is None:
            cands = self.lots[lot_id] = []
            self._load([lot_id])
        me = self.org_id
        if org_name:
            creator = self.organisation(org_name)
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
        redeclared = {id(lot) for lot in self.redeclared}
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
            _update_lots(self.s, "trace_lots", cols, lots)
        _update_lots(self.s, "trace_lots", ("declared",), again)
        _update_lots(self.s, "trace_values", NewLot.VALUES, again)

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
            _insert_rows(self.s, "trace_lots", NewLot.COLUMNS, _attrs(self.new, NewLot.COLUMNS))
            got = dict((lot, seq) for seq, lot in conn.exec_driver_sql(
                "SELECT seq, lot FROM trace_lots WHERE seq > ?", (before,)))
        else:  # Core: RETURNING in insertmanyvalues batches, matched by lot id
            got = dict((lot, seq) for seq, lot in self.s.execute(
                insert(table).returning(table.c.seq, table.c.lot),
                [n.row() for n in self.new]).all())
        for n in self.new:
            n.seq = got[n.lot]
        cols = ("seq", *NewLot.VALUES)
        _insert_rows(self.s, "trace_values", cols, _attrs(self.new, cols))

    def insert_inputs(self) -> None:
        """The genealogy links (output, input, mass) of this batch."""
        _insert_rows(self.s, "trace_inputs", ("dst_seq", "src_seq", "mass_kg"),
                     [(d.seq, src.seq, m) for d, src, m in self.inputs])


_SQLITE_JSON = frozenset({"declared", "own"})
_SQLITE_TIME = frozenset({"created_at", "updated_at"})
_json_text = json.JSONEncoder(separators=(",", ":")).encode


@lru_cache(maxsize=64)
def _stamp(at: datetime) -> str:
    """A time as SQLAlchemy stores a DateTime on SQLite: naive UTC text."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _attrs(objs: list[Any], cols: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The attributes ``cols`` of each object, as tuples."""
    get = attrgetter(*cols)
    return [get(x) for x in objs] if len(cols) > 1 else [(get(x),) for x in objs]


def _sqlite_rows(cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows (tuples in ``cols`` order) as SQLite driver parameters: the JSON and time
    columns, known by name, written the way SQLAlchemy writes them there."""
    as_json = [i for i, c in enumerate(cols) if c in _SQLITE_JSON]
    as_time = [i for i, c in enumerate(cols) if c in _SQLITE_TIME]
    if not as_json and not as_time:
        return rows
    out = []
    for got in rows:
        row = list(got)
        for i in as_json:
            row[i] = _json_text(row[i])
        for i in as_time:
            row[i] = _stamp(row[i])
        out.append(tuple(row))
    return out


def _insert_rows(s: Session, table_name: str, cols: tuple[str, ...],
                 rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` (tuples in ``cols`` order) in one executemany: on SQLite through the
    driver (Core's per-row parameter processing cost 15–25 µs a row), elsewhere Core."""
    if not rows:
        return
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table_name} ({', '.join(cols)}) VALUES "
                             f"({', '.join('?' * len(cols))})", _sqlite_rows(cols, rows))
    else:
        s.execute(insert(Base.metadata.tables[table_name]),
                  [dict(zip(cols, row, strict=True)) for row in rows])


def _update_lots(s: Session, table_name: str, cols: tuple[str, ...],
                 lots: list[NewLot]) -> None:
    """Write ``cols`` of ``lots`` back to ``table_name`` by ``seq`` in one executemany."""
    if not lots:
        return
    rows = _attrs(lots, (*cols, "seq"))
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"UPDATE {table_name} SET {', '.join(f'{c} = ?' for c in cols)} WHERE seq = ?",
            _sqlite_rows((*cols, "seq"), rows))
        return
    table = Base.metadata.tables[table_name]
    stmt = table.update().where(table.c.seq == bindparam("b_seq")).values(
        {c: bindparam(f"b_{c}") for c in cols})
    s.execute(stmt, [dict(zip((*(f"b_{c}" for c in cols), "b_seq"), row, strict=True))
                     for row in rows])


EVENT_COLUMNS = ("org_id", "org_seq", "type", "lot", "record", "leaf_hash", "signature",
                 "created_at")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a batch: a batch allocates a few
    objects per event, none of them cyclic, and the collector's passes over them took ~12 %
    of the time. Memory is still freed by reference counting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _begin_write(s: Session) -> int:
    """Take the ledger's write lock for this transaction and return the newest event id.
    SQLite: BEGIN IMMEDIATE, so what the batch reads (lots left, the log's length) is what
    it writes over (the driver would begin only at the first insert). PostgreSQL: an
    EXCLUSIVE lock on the event log (ingests queue; readers go on)."""
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE trace_events IN EXCLUSIVE MODE")
    return ledger_version(conn)


def ledger_version(conn: Connection) -> int:
    """The ledger's version: the newest event id (0 when empty), one indexed lookup."""
    return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM trace_events"
                                    ).scalar() or 0)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _lot_ids(ev: Event) -> set[str]:
    ids = {ev.lot}
    if isinstance(ev, Combine):
        ids |= {i.lot for i in ev.inputs}
    if isinstance(ev, Split):
        ids |= {o.lot for o in ev.outputs}
    return ids


def _display_many(s: Session, org_id: str, lots: list[tuple[str, str]]) -> list[str]:
    """How ``org_id`` refers to these lots (id, creator) it made or holds: the id alone when
    that names the lot in its view (its own, or the only one with that id it holds), else
    ``creator/id``."""
    ids = sorted({lot for lot, creator in lots if creator != org_id})
    if not ids:
        return [lot for lot, _ in lots]
    seen: dict[str, list[str]] = {}
    for chunk in _chunks(ids, 900):
        for lot, creator in s.execute(select(TraceLot.lot, TraceLot.creator_org).where(
                TraceLot.lot.in_(chunk), or_(TraceLot.creator_org == org_id,
                                             TraceLot.owner_org == org_id,
                                             TraceLot.shipped_to == org_id))):
            seen.setdefault(lot, []).append(creator)
    names: dict[str, str] = {}
    out = []
    for lot, creator in lots:
        others = seen.get(lot, [])
        if creator == org_id or (org_id not in others and len(others) <= 1):
            out.append(lot)
            continue
        if creator not in names:
            names[creator] = str(s.scalar(select(Organisation.name).where(
                Organisation.id == creator)))
        out.append(f"{names[creator]}/{lot}")
    return out


class _View:
    """Lots as one organisation sees them: which lot a reference names (its own lot with the
    id first, then the one it holds or was shipped, then the one an agreement grants it; or
    ``organisation/id``), what it may see, and how it writes a lot's id (the id alone when
    that names the lot, else ``creator/id``)."""

    def __init__(self, s: Session, org: Organisation) -> None:
        self.s = s
        self.org = org
        self.names = {o.id: o.name for o in s.scalars(select(Organisation))}
        self._ids = {name: oid for oid, name in self.names.items()}
        self._cands: dict[str, list[TraceLot]] = {}
        self._granted: dict[int, set[str]] = {}

    def candidates(self, lot_id: str) -> list[TraceLot]:
        if lot_id not in self._cands:
            self._cands[lot_id] = list(self.s.scalars(select(TraceLot).where(
                TraceLot.lot == lot_id).order_by(TraceLot.seq)))
        return self._cands[lot_id]

    def granted(self, lot: TraceLot) -> set[str]:
        if lot.seq not in self._granted:
            self._granted[lot.seq] = TraceRepo._granted(self.s, self.org.id, lot)
        return self._granted[lot.seq]

    def tier(self, lot: TraceLot) -> int | None:
        """0 own, 1 held or shipped to it, 2 granted by an agreement; None: not visible."""
        if lot.creator_org == self.org.id:
            return 0
        if self.org.id in (lot.owner_org, lot.shipped_to):
            return 1
        return 2 if self.granted(lot) else None

    def resolve(self, ref: str) -> TraceLot | None:
        org_name, lot_id = split_ref(ref)
        cands = self.candidates(lot_id)
        if org_name:
            creator = self._ids.get(org_name)
            found = next((c for c in cands if c.creator_org == creator), None)
            return found if found is not None and self.tier(found) is not None else None
        tiers: dict[int, list[TraceLot]] = {}
        for c in cands:
            t = self.tier(c)
            if t is not None:
                tiers.setdefault(t, []).append(c)
        for t in (0, 1, 2):
            found_t = tiers.get(t, [])
            if len(found_t) == 1:
                return found_t[0]
            if len(found_t) > 1:
                raise TraceError(f"lot {ref!r} is ambiguous: write " + " or ".join(
                    f"'{self.names[c.creator_org]}/{lot_id}'" for c in found_t))
        return None

    def display(self, lot: TraceLot) -> tuple[str, bool]:
        """(how the organisation writes the lot's id, whether it may see the lot)."""
        if self.tier(lot) is None:
            return lot.lot, False
        try:
            plain = self.resolve(lot.lot)
        except TraceError:
            plain = None
        if plain is not None and plain.seq == lot.seq:
            return lot.lot, True
        return f"{self.names[lot.creator_org]}/{lot.lot}", True

    def link(self, lot: TraceLot, mass_kg: float) -> dict[str, Any]:
        ref, visible = self.display(lot)
        out: dict[str, Any] = {"lot": ref, "mass_kg": mass_kg}
        if not visible:
            out["visible"] = False
        return out


@dataclass(frozen=True)
class SigningKey:
    """An organisation's key pair, the private half decrypted for this batch."""

    org_id: str
    public_key: str
    private_key: str


class TraceRepo:
    """The ledger on the store. ``keys``: the master keys the signing keys are encrypted
    with (default: as configured, :func:`junkan.trace.keystore.load_keyring`);
    ``outbound``: the outbound-request policy of webhook deliveries (default: the
    ``JUNKAN_OUTBOUND_*`` settings, read when delivery starts)."""

    def __init__(self, db: Database, *, webhook_retries: int = 6,
                 webhook_backoff_s: float = 2.0, keys: KeyRing | None = None,
                 outbound: OutboundPolicy | None = None) -> None:
        self.db = db
        self.webhook_retries = webhook_retries
        self.webhook_backoff_s = webhook_backoff_s
        self._keys = keys
        self._keys_lock = threading.Lock()
        self.outbound = outbound
        self._worker: trace_outbox.Outbox | None = None
        self._graph: LotGraph | None = None
        self._graph_lock = threading.Lock()

    # ---- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _org(s: Session, name: str) -> Organisation:
        org = s.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            raise not_found("organisation", name)
        return org

    @property
    def keys(self) -> KeyRing:
        """The master keys (loaded on first use)."""
        with self._keys_lock:
            if self._keys is None:
                self._keys = load_keyring(self.db.url)
            return self._keys

    def _decrypt(self, org_id: str, stored: str) -> str:
        """A stored private key, decrypted. A key id not configured (yet) makes the key
        configuration be read again once: a rotation adds the new key to the key file
        while services run."""
        try:
            return self.keys.decrypt(org_id, stored)
        except UnknownKeyId:
            with self._keys_lock:
                self._keys = load_keyring(self.db.url, create=False)
            return self.keys.decrypt(org_id, stored)

    def _key(self, s: Session, org_id: str) -> SigningKey:
        """The organisation's signing key, made (and stored encrypted) on first use."""
        key = s.get(TraceKey, org_id)
        if key is None:
            priv, pub = new_key()
            s.add(TraceKey(org_id=org_id, public_key=pub,
                           private_key=self.keys.encrypt(org_id, priv)))
            s.flush()
            return SigningKey(org_id, pub, priv)
        return SigningKey(org_id, key.public_key, self._decrypt(org_id, key.private_key))

    # ---- master key rotation -----------------------------------------------------------------
    def rotate_master_key(self, old: str | None, new: str) -> int:
        """Re-encrypt every organisation's signing key under the master key ``new``, in one
        transaction that holds the ledger's write lock (no batch signs meanwhile). Keys are
        decrypted with ``old`` (default: the configured master keys) and checked against
        their public keys before anything is written. The key pairs — and so every signature
        and checkpoint — stay as they are. Returns how many keys were re-encrypted. Then
        configure ``new`` (first) for every process: see docs/security-trace.md."""
        source = KeyRing([old], "old master key") if old else self.keys
        target = KeyRing([new], "new master key")
        n = 0
        with self.db.session() as s:
            _begin_write(s)
            for key in s.scalars(select(TraceKey).order_by(TraceKey.org_id)):
                if key_id(key.private_key) == target.current_kid:
                    continue  # already under the new key (a rotation run again)
                private = source.decrypt(key.org_id, key.private_key) \
                    if key_id(key.private_key) is not None else key.private_key
                if public_of(private) != key.public_key:
                    raise KeyStoreError(f"the signing key of organisation {key.org_id} does not "
                                        "match its public key; nothing was re-encrypted")
                key.private_key = target.encrypt(key.org_id, private)
                n += 1
        with self._keys_lock:
            self._keys = KeyRing([new, *source.secrets], "rotated master keys")
        return n

    def rotate_configured_key(self, new: str | None = None) -> dict[str, Any]:
        """The rotation ``junkan admin rotate-key`` runs: with a key file, a new master key
        is written first in it (the old one kept below it, so running services that read
        the file again decrypt either), then every signing key is re-encrypted. With
        ``JUNKAN_SECRET_KEY``, the new secret is returned for the operator to put first in
        it. Finish with :meth:`finish_rotation` once every process uses the new key."""
        new = new or new_secret()
        path = key_file_path(self.db.url)
        old = self.keys.secrets
        if path is not None:
            write_key_file(path, [new, *[k for k in old if k != new]])
        n = self.rotate_master_key(None, new)
        return {"reencrypted": n, "key_id": KeyRing([new]).current_kid,
                "key_file": str(path) if path is not None else None,
                "secret": None if path is not None else new}

    def finish_rotation(self) -> int:
        """Drop the older master keys from the key file once no signing key needs them;
        returns how many were dropped. Refuses while a key still needs an old one."""
        current = self.keys.current_kid
        with self.db.session() as s:
            stale = [o for o, k in s.execute(select(TraceKey.org_id, TraceKey.private_key))
                     if key_id(k) != current]
        if stale:
            raise KeyStoreError(f"{len(stale)} signing key(s) are not under the current master "
                                "key yet: run the rotation first")
        path = key_file_path(self.db.url)
        secrets_ = self.keys.secrets
        if path is not None and len(secrets_) > 1:
            write_key_file(path, secrets_[:1])
        with self._keys_lock:
            self._keys = KeyRing(secrets_[:1], self.keys.source)
        return len(secrets_) - 1

    # ---- ingest ----------------------------------------------------------------------------
    def ingest(self, org_name: str, events: list[Event], *, at: datetime | None = None,
               source: str = "batch") -> IngestResult:
        """Apply a batch for ``org_name`` in one transaction: every event is checked, signed
        and appended to the organisation's log, or none is. Notifications for webhooks are
        queued in the same transaction and sent by the delivery worker."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        with _collector_paused():
            result = self._ingest(org_name, events, at, source)
        if result.notified and self._worker is not None:
            self._worker.wake()  # only what was committed is in the queue
        return result

    def _ingest(self, org_name: str, events: list[Event], at: datetime,
                source: str) -> IngestResult:
        with self.db.session() as s:
            version = _begin_write(s)
            graph = self._take_graph(version)
            org = self._org(s, org_name)
            key = self._key(s, org.id)
            seq = s.scalar(select(func.coalesce(func.max(TraceEvent.org_seq), 0))
                           .where(TraceEvent.org_id == org.id)) or 0
            first_seq = seq  # the log's length before this batch
            created = 0
            batch = _Batch(s, org, set().union(*(_lot_ids(ev) for ev in events)))
            datas: list[bytes] = []  # canonical records
            leaves: list[bytes] = []
            meta: list[tuple[int, str, str]] = []  # (org_seq, type, lot)
            at_text = at.isoformat()
            with s.no_autoflush:
                for i, ev in enumerate(events):
                    where = f"{source}: events[{i}] ({ev.type} {ev.lot})"
                    try:
                        created += self._apply(batch, org, ev, at)
                    except TraceError as exc:
                        raise type(exc)(f"{where}: {exc}") from None
                    seq += 1
                    record = {"org": org_name, "seq": seq, "at": at_text,
                              "event": ev.model_dump(mode="json", exclude_none=True)}
                    if batch.refs:  # other organisations' lots, as resolved
                        record["refs"] = batch.refs
                        batch.refs = {}
                    data = canonical(record)
                    datas.append(data)
                    leaves.append(merkle.leaf_hash(data))
                    meta.append((seq, ev.type, ev.lot))
            signatures = sign_many(key.private_key, datas)  # on worker threads meanwhile
            s.flush()  # mass-balance entries
            batch.update_loaded()
            batch.insert_new()  # assigns the new lots' seq (creation order)
            batch.insert_inputs()
            _insert_rows(s, "trace_events", EVENT_COLUMNS, [
                (org.id, n, kind, lot, data.decode("utf-8"), leaf.hex(), signature, at)
                for (n, kind, lot), data, leaf, signature in zip(
                    meta, datas, leaves, signatures.result(), strict=True)])
            if graph is not None:
                graph.add(*batch_rows(batch.new, batch.inputs))
            redeclared = sorted({lot.seq for lot in batch.redeclared})
            recomputed, notified = 0, list[str]()
            if redeclared:
                graph = self._current_graph(s, graph)
                lots = batch.redeclared
                graph.set_values(np.searchsorted(graph.seqs, [x.seq for x in lots]),
                                 np.array([[getattr(x, q) for q in QUANTITIES] for x in lots]))
                recomputed, notified = self._recompute(s, graph, redeclared, org_name)
            size, root = self._checkpoint(s, org.id, key, first_seq, leaves)
            if graph is not None:
                graph.version = ledger_version(s.connection())
            result = IngestResult(events=len(events), lots_created=created,
                                  recomputed=recomputed, notified=notified, tree_size=size,
                                  root=root)
        self._graph = graph  # committed: the arrays match the store at graph.version
        return result

    def keep_graph(self) -> int:
        """Read the lot graph now and keep it, so the first re-declaration does not pay for
        the read (~5 s a million lots); the service calls this at start in the background.
        Returns the number of lots."""
        with self.db.session() as s:
            conn = s.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                                if self.db.dialect == "postgresql" else None)
            if self.db.dialect == "sqlite":  # one snapshot for the version and the graph
                conn.exec_driver_sql("BEGIN")
            version = ledger_version(conn)
            graph = read_graph(s)
        graph.version = version
        with self._graph_lock:
            if self._graph is None:
                self._graph = graph
        return int(graph.seqs.size)

    @staticmethod
    def _current_graph(s: Session, kept: LotGraph | None) -> LotGraph:
        """The lot graph with this batch: the kept one brought up to date, or read from the
        store when none is kept or it cannot take the batch (lots out of order)."""
        if kept is not None:
            try:
                return kept.materialise()
            except ValueError:
                pass
        return read_graph(s)

    def _take_graph(self, version: int) -> LotGraph | None:
        """The kept lot graph if it matches the store at ``version`` (the newest event id
        when this batch's write lock was taken); this batch owns it until it commits."""
        with self._graph_lock:
            graph, self._graph = self._graph, None
        if graph is None or graph.version != version or graph.pending_lots > 1_000_000:
            return None
        return graph

    def _apply(self, b: _Batch, org: Organisation, ev: Event, at: datetime) -> int:
        if isinstance(ev, Create):
            if b.own(ev.lot) is not None:
                raise TraceError(f"lot {ev.lot!r} exists already; your lot ids are unique")
            declared = {"cfp": ev.cfp.model_dump(), "recycled": ev.recycled.model_dump(),
                        "claims": [c.model_dump(mode="json") for c in ev.claims],
                        "composition": ev.composition}
            if ev.pcf is not None:
                declared["pcf"] = ev.pcf.model_dump()
            b.add(NewLot(lot=ev.lot, creator_org=org.id, owner_org=org.id, received=True,
                           material=ev.material, mass_kg=ev.mass_kg, site=ev.site,
                           custody="declared", declared=declared, own={}, own_cfp=0.0,
                           cfp_total=ev.cfp.total, cfp_fossil=float(ev.cfp.fossil or 0),
                           cfp_biogenic=ev.cfp.biogenic, rec_pre=ev.recycled.pre_consumer,
                           rec_post=ev.recycled.post_consumer, consumed_kg=0.0,
                           created_at=at, updated_at=at))
            return 1
        if isinstance(ev, Combine):
            return self._combine(b, org, ev, at)
        if isinstance(ev, Split):
            src = self._owned(b, org, ev.lot)
            total = sum(o.mass_kg for o in ev.outputs)
            if total > src.mass_kg - src.consumed_kg + 1e-9:
                raise TraceError(f"split of {total} kg exceeds the {src.mass_kg - src.consumed_kg}"
                                 f" kg left in lot {ev.lot!r}")
            n = 0
            for out in ev.outputs:
                n += self._combine(b, org, Combine(type="process", lot=out.lot, inputs=[
                    {"lot": ev.lot, "mass_kg": out.mass_kg}], mass_kg=out.mass_kg,
                    material=src.material, site=src.site, custody="identity_preserved"), at)
            return n
        if isinstance(ev, Ship):
            shipped = self._owned(b, org, ev.lot)
            to = b.organisation(ev.to)
            if to is None:
                raise not_found("organisation", ev.to)
            shipped.shipped_to = to.id
            shipped.received = False
            return 0
        if isinstance(ev, Receive):
            got = b.lot(ev.lot)
            if got is None or got.shipped_to != org.id:
                raise TraceError(f"lot {ev.lot!r} was not shipped to {org.name!r}")
            got.owner_org, got.shipped_to, got.received, got.site = org.id, None, True, ev.site
            return 0
        if isinstance(ev, Redeclare):
            lot = b.lot(ev.lot)
            if lot is None or lot.creator_org != org.id or lot.custody != "declared":
                raise TraceError(f"only the organisation that declared lot {ev.lot!r} can "
                                 "re-declare it (derived lots follow their inputs)")
            declared = dict(lot.declared)
            if ev.cfp is not None:
                for what, value in (("cfp.total", ev.cfp.total),
                                    ("cfp.biogenic", ev.cfp.biogenic)):
                    if abs(value) > MAX_CFP_PER_KG * lot.mass_kg:
                        raise TraceError(f"{what}: {value:g} kg CO2e for the {lot.mass_kg:g} "
                                         f"kg of lot {ev.lot!r} is more than "
                                         f"{MAX_CFP_PER_KG:g} kg CO2e per kg")
                declared["cfp"] = ev.cfp.model_dump()
                lot.cfp_total, lot.cfp_fossil = ev.cfp.total, float(ev.cfp.fossil or 0)
                lot.cfp_biogenic = ev.cfp.biogenic
            if ev.recycled is not None:
                declared["recycled"] = ev.recycled.model_dump()
                lot.rec_pre, lot.rec_post = ev.recycled.pre_consumer, ev.recycled.post_consumer
            if ev.claims is not None:
                declared["claims"] = [c.model_dump(mode="json") for c in ev.claims]
            lot.declared = declared
            lot.updated_at = at
            b.redeclared.append(lot)
            return 0
        raise TraceError(f"unsupported event {ev!r}")  # pragma: no cover

    def _owned(self, b: _Batch, org: Organisation, lot_id: str) -> Any:
        lot = b.lot(lot_id)
        if lot is None or lot.owner_org != org.id or not lot.received:
            raise TraceError(f"lot {lot_id!r} is not in {org.name!r}'s custody (unknown, "
                             "someone else's, or shipped and not yet received)")
        return lot

    def _combine(self, b: _Batch, org: Organisation, ev: Combine, at: datetime) -> int:
        if b.own(ev.lot) is not None:
            raise TraceError(f"lot {ev.lot!r} exists already; your lot ids are unique")
        inputs = [(self._owned(b, org, ref.lot), ref.mass_kg) for ref in ev.inputs]
        for lot, m in inputs:
            if m > lot.mass_kg - lot.consumed_kg + 1e-9:
                raise TraceError(f"input {lot.lot!r}: {m} kg asked, only "
                                 f"{lot.mass_kg - lot.consumed_kg:g} kg left")
        if ev.custody == "identity_preserved" and len(inputs) != 1:
            raise TraceError("ISO 22095 identity preserved: a lot has a single source; "
                             f"{len(inputs)} inputs given")
        if ev.custody == "segregated":
            shares = {(round(x.rec_pre, 9), round(x.rec_post, 9)) for x, _ in inputs}
            if len(shares) > 1:
                raise TraceError("ISO 22095 segregated: inputs with different characteristics "
                                 "(recycled shares) may not be mixed; use controlled blending "
                                 "or mass balance")
        m_in = sum(m for _, m in inputs)
        own_cfp = ev.process.cfp_kgco2e
        total, fossil, biogenic = own_cfp, own_cfp, 0.0  # kg CO2e: inputs' shares + own
        pre = post = 0.0
        for lot, m in inputs:
            share = m / lot.mass_kg
            total += share * lot.cfp_total
            fossil += share * lot.cfp_fossil
            biogenic += share * lot.cfp_biogenic
            pre += m / m_in * lot.rec_pre
            post += m / m_in * lot.rec_post
            lot.consumed_kg += m
        own = ev.process.model_dump() | {"pcf": _derived_facts(inputs, ev.country)}
        if ev.custody == "mass_balance":
            assert ev.claim is not None
            b.s.flush()
            self._mass_balance(b.s, org, ev, inputs, at)
            pre, post = ev.claim.pre_consumer, ev.claim.post_consumer
        _finite(ev.lot, (total, fossil, biogenic, pre, post, total / ev.mass_kg))
        new = NewLot(lot=ev.lot, creator_org=org.id, owner_org=org.id, received=True,
                       material=ev.material or inputs[0][0].material, mass_kg=ev.mass_kg,
                       site=ev.site, custody=ev.custody,
                       declared={"claim": ev.claim.model_dump() if ev.claim else None},
                       own=own, own_cfp=own_cfp, cfp_total=float(total),
                       cfp_fossil=float(fossil), cfp_biogenic=float(biogenic),
                       rec_pre=float(pre), rec_post=float(post), consumed_kg=0.0,
                       created_at=at, updated_at=at)
        b.add(new)
        b.inputs += [(new, lot, m) for lot, m in inputs]
        return 1

    def _mass_balance(self, s: Session, org: Organisation, ev: Combine,
                      inputs: list[tuple[Any, float]], at: datetime) -> None:
        """ISO 22095 mass balance (credit method, ISCC rules): credit the recycled mass of
        received inputs to the (site, characteristic, quarter) account, debit the claim
        converted back by the step's conversion factor (yield); no negative balance; a claim
        is used once."""
        assert ev.claim is not None
        period = _quarter(at)
        m_in = sum(m for _, m in inputs)
        factor = ev.mass_kg / m_in  # output conversion factor
        for char, attr, claimed in (("pre_consumer", "rec_pre", ev.claim.pre_consumer),
                                    ("post_consumer", "rec_post", ev.claim.post_consumer)):
            for lot, m in inputs:
                if lot.site != ev.site:
                    raise TraceError(f"mass balance: input {lot.lot!r} is booked at site "
                                     f"{lot.site!r}, not {ev.site!r}; only material received "
                                     "at the site may be booked")
                credit = m * getattr(lot, attr)
                if credit > 0:
                    s.add(TraceBalanceEntry(org_id=org.id, site=ev.site, characteristic=char,
                                            period=period, kind="credit", mass_kg=credit,
                                            lot=lot.lot))
            if claimed <= 0:
                continue
            s.flush()
            debit = claimed * ev.mass_kg / factor
            bal = s.scalar(select(func.coalesce(func.sum(TraceBalanceEntry.mass_kg), 0.0)).where(
                TraceBalanceEntry.org_id == org.id, TraceBalanceEntry.site == ev.site,
                TraceBalanceEntry.characteristic == char, TraceBalanceEntry.period == period,
                TraceBalanceEntry.kind == "credit")) or 0.0
            used = s.scalar(select(func.coalesce(func.sum(TraceBalanceEntry.mass_kg), 0.0)).where(
                TraceBalanceEntry.org_id == org.id, TraceBalanceEntry.site == ev.site,
                TraceBalanceEntry.characteristic == char, TraceBalanceEntry.period == period,
                TraceBalanceEntry.kind == "debit")) or 0.0
            if debit > bal - used + 1e-9:
                raise TraceError(f"mass balance: claiming {debit:g} kg {char} exceeds the "
                                 f"{bal - used:g} kg credit of account ({ev.site}, {char}, "
                                 f"{period}); no negative balance is allowed")
            claim_id = f"{org.id}:{ev.lot}:{char}"
            if s.scalar(select(TraceBalanceEntry).where(TraceBalanceEntry.claim_id == claim_id)):
                raise TraceError(f"mass balance: claim {ev.lot}:{char} is already used")
            s.add(TraceBalanceEntry(org_id=org.id, site=ev.site, characteristic=char,
                                    period=period, kind="debit", mass_kg=debit, lot=ev.lot,
                                    claim_id=claim_id))

    # ---- recompute downstream ---------------------------------------------------------------
    def _recompute(self, s: Session, graph: LotGraph, changed: list[int],
                   by: str) -> tuple[int, list[str]]:
        """Recompute the downstream cone of ``changed`` lots (one triangular solve) and write
        the lots whose values moved in bulk; notify their holders and makers. ``graph`` is
        the current lot graph; its values are updated."""
        seqs, values = graph.seqs, graph.values
        cone = downstream(graph.g, np.searchsorted(seqs, changed))
        new = recompute(graph.g, values, cone)
        if not np.isfinite(new).all():
            bad = int(seqs[cone[~np.isfinite(new).all(axis=1)][0]])
            raise TraceError(f"the recomputed CFP of a downstream lot (seq {bad}) would not be "
                             "a finite number; check the masses and footprints upstream")
        moved_mask = np.any(np.abs(new - values[cone]) > 1e-12, axis=1)
        moved = cone[moved_mask]
        graph.set_values(cone, new)
        now = datetime.now(UTC)
        owners: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        if moved.size:
            conn = s.connection()
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            # the new values go through a temporary table (driver-level executemany), then
            # one UPDATE … FROM: per-row statements cost ~10 µs each through SQLAlchemy
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS trace_recompute (seq INTEGER PRIMARY KEY, "
                "t DOUBLE PRECISION, f DOUBLE PRECISION, b DOUBLE PRECISION, "
                "p DOUBLE PRECISION, q DOUBLE PRECISION)")
            conn.exec_driver_sql("DELETE FROM trace_recompute")
            vals = new[moved_mask]
            rows = list(zip(seqs[moved].tolist(), *vals.T.tolist(), strict=True))
            conn.exec_driver_sql(f"INSERT INTO trace_recompute VALUES ({', '.join([mark] * 6)})",
                                 rows)
            conn.execute(text(
                "UPDATE trace_values SET cfp_total = r.t, cfp_fossil = r.f, cfp_biogenic = r.b, "
                "rec_pre = r.p, rec_post = r.q, updated_at = :now FROM trace_recompute AS r "
                "WHERE trace_values.seq = r.seq").bindparams(
                bindparam("now", value=now, type_=DateTime(timezone=True))))
            # holders and makers of the moved lots: a few aggregate queries, not a million rows
            orgs = {o for (o,) in conn.execute(text(
                "SELECT DISTINCT l.owner_org FROM trace_lots AS l JOIN trace_recompute AS r "
                "ON l.seq = r.seq UNION SELECT DISTINCT l.creator_org FROM trace_lots AS l "
                "JOIN trace_recompute AS r ON l.seq = r.seq"))}
            for org_id in sorted(orgs):
                where = ("FROM trace_lots AS l JOIN trace_recompute AS r ON l.seq = r.seq "
                         "WHERE l.owner_org = :o OR l.creator_org = :o")
                count = conn.execute(text(f"SELECT COUNT(*) {where}"), {"o": org_id}).scalar()
                first = [(lot, creator) for lot, creator in conn.execute(text(
                    f"SELECT l.lot, l.creator_org {where} ORDER BY l.seq LIMIT 1000"),
                    {"o": org_id})]
                owners[org_id] = _display_many(s, org_id, first)
                counts[org_id] = int(count or 0)
            conn.exec_driver_sql("DELETE FROM trace_recompute")
        for org_id, ids in owners.items():
            n = counts[org_id]
            note = TraceNotification(org_id=org_id, lot=ids[0], message=(
                f"{n} of your lots were recomputed after {by} re-declared an upstream "
                f"lot: {', '.join(ids[:10])}{' …' if n > 10 else ''}"),
                payload={"lots": ids[:1000], "count": n, "by": by})
            s.add(note)
            s.flush()
            self._queue_webhook(s, note)
        names = {o.id: o.name for o in s.scalars(select(Organisation).where(
            Organisation.id.in_(list(owners))))}
        return int(cone.size), sorted(names[o] for o in owners)

    # ---- tamper evidence --------------------------------------------------------------------
    @staticmethod
    def _leaves(s: Session, org_id: str) -> list[bytes]:
        """The organisation's log as leaf hashes, in order."""
        return [bytes.fromhex(h) for h in s.scalars(
            select(TraceEvent.leaf_hash).where(TraceEvent.org_id == org_id)
            .order_by(TraceEvent.org_seq))]

    @staticmethod
    def _latest_checkpoint(s: Session, org_id: str) -> TraceCheckpoint | None:
        return s.scalar(select(TraceCheckpoint).where(TraceCheckpoint.org_id == org_id)
                        .order_by(TraceCheckpoint.id.desc()).limit(1))

    def _checkpoint(self, s: Session, org_id: str, key: SigningKey, before: int,
                    added: list[bytes]) -> tuple[int, str]:
        """Sign a checkpoint of the organisation's log after ``added`` leaf hashes were
        appended to its ``before`` events. The last checkpoint's frontier is extended when
        it is of that size and matches its signed root; else the leaves are read."""
        last = self._latest_checkpoint(s, org_id)
        frontier = None
        if last is not None and last.frontier is not None and last.tree_size == before:
            kept = [bytes.fromhex(h) for h in last.frontier.split()]
            if merkle.frontier_root(kept).hex() == last.root and verify(
                    key.public_key, _checkpoint_body(org_id, last.tree_size, last.root),
                    last.signature):
                frontier = merkle.extend(kept, before, added)
        if frontier is None:  # no usable checkpoint: the whole log (this batch included)
            leaves = self._leaves(s, org_id)
            frontier = merkle.extend([], 0, leaves)
            size = len(leaves)
        else:
            size = before + len(added)
        root = merkle.frontier_root(frontier).hex()
        s.add(TraceCheckpoint(org_id=org_id, tree_size=size, root=root,
                              signature=sign(key.private_key,
                                             _checkpoint_body(org_id, size, root)),
                              frontier=" ".join(h.hex() for h in frontier)))
        return size, root

    # ---- webhooks -------------------------------------------------------------------------
    def policy(self) -> OutboundPolicy:
        """The outbound-request policy (given, else the ``JUNKAN_OUTBOUND_*`` settings)."""
        if self.outbound is None:
            self.outbound = OutboundPolicy.from_env()
        return self.outbound

    def allow_webhook_origin(self, org_name: str, origin: str) -> str:
        """Administrators: let ``org_name``'s webhook reach ``origin``
        (``https://host[:port]``, matched exactly). Returns the origin as stored."""
        try:
            got = self.policy().check_origin(parse_origin(origin, "origin"), "origin")
        except OutboundRefused as exc:
            raise TraceError(str(exc)) from None
        with self.db.session() as s:
            org = self._org(s, org_name)
            if s.get(TraceWebhookOrigin, (org.id, str(got))) is None:
                s.add(TraceWebhookOrigin(org_id=org.id, origin=str(got)))
        return str(got)

    def webhook_origins(self, org_name: str) -> list[str]:
        """The origins ``org_name``'s webhook may reach."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            return self._origins(s, org.id)

    @staticmethod
    def _origins(s: Session, org_id: str) -> list[str]:
        return list(s.scalars(select(TraceWebhookOrigin.origin).where(
            TraceWebhookOrigin.org_id == org_id).order_by(TraceWebhookOrigin.origin)))

    def remove_webhook_origin(self, org_name: str, origin: str) -> bool:
        """Administrators: withdraw an origin (deliveries to it stop, queued ones fail).
        Whether it was registered."""
        try:
            key = str(parse_origin(origin, "origin"))
        except OutboundRefused as exc:
            raise TraceError(str(exc)) from None
        with self.db.session() as s:
            org = self._org(s, org_name)
            row = s.get(TraceWebhookOrigin, (org.id, key))
            if row is not None:
                s.delete(row)
            return row is not None

    def set_webhook(self, org_name: str, url: str | None) -> None:
        """Register (or with None remove) the URL that receives the organisation's
        notifications as JSON POSTs. Its origin must be one an administrator allowed for the
        organisation (:meth:`allow_webhook_origin`)."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            if url is not None:
                try:
                    self.policy().check_url(url, self._origins(s, org.id), "webhook url")
                except OutboundRefused as exc:
                    raise TraceError(str(exc)) from None
            hook = s.get(TraceWebhook, org.id)
            if url is None:
                if hook is not None:
                    s.delete(hook)
            elif hook is None:
                s.add(TraceWebhook(org_id=org.id, url=url))
            else:
                hook.url = url

    def _queue_webhook(self, s: Session, note: TraceNotification) -> None:
        """Queue ``note`` for the organisation's webhook, if it has one (same transaction)."""
        hook = s.get(TraceWebhook, note.org_id)
        if hook is None:
            return
        body = {"type": "junkan.trace.notification", "id": note.id, "lot": note.lot,
                "message": note.message, "payload": note.payload}
        queued = trace_outbox.enqueue(s, "webhook", note.org_id, hook.url, body,
                                      max_attempts=self.webhook_retries,
                                      notification_id=note.id)
        note.webhook_status = "pending" if queued else "not sent: too many pending deliveries"

    def _send_webhook(self, job: trace_outbox.Job, policy: OutboundPolicy) -> None:
        """Deliver one queued notification to an origin registered for its organisation."""
        with self.db.session() as s:
            allowed = self._origins(s, job.org_id)
        policy.post(job.url, job.body.encode("utf-8"), {"Content-Type": "application/json",
                                                        "User-Agent": "junkan-trace"}, allowed)

    def start_delivery(self, *, threads: int = 1, poll_s: float = 1.0) -> trace_outbox.Outbox:
        """Start the webhook delivery worker (the service calls this at start-up and
        :meth:`stop_delivery` at shutdown); deliveries queued before — by this process, an
        earlier run or the CLI — are sent too."""
        if self._worker is None:
            self._worker = trace_outbox.Outbox(
                self.db, {"webhook": self._send_webhook}, policy=self.outbound,
                backoff_s={"webhook": self.webhook_backoff_s}, threads=threads, poll_s=poll_s)
        return self._worker.start()

    def stop_delivery(self, timeout: float = 15.0) -> None:
        """Stop the delivery worker (pending deliveries stay queued for the next start)."""
        if self._worker is not None:
            self._worker.stop(timeout)

    def deliver_pending(self, limit: int = 1000) -> int:
        """Deliver what is due now in this thread (for a CLI run); how many were tried."""
        worker = self._worker or trace_outbox.Outbox(
            self.db, {"webhook": self._send_webhook}, policy=self.outbound,
            backoff_s={"webhook": self.webhook_backoff_s})
        return worker.deliver_due(limit)

    def checkpoint(self, org_name: str) -> dict[str, Any]:
        """The latest signed checkpoint and the public key: what a partner keeps as a
        witness of ``org_name``'s log."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            key = s.get(TraceKey, org.id)
            cp = self._latest_checkpoint(s, org.id)
            if key is None or cp is None:  # reads like an unknown organisation
                raise not_found("organisation", org_name)
            return {"org": org_name, "org_id": org.id, "tree_size": cp.tree_size,
                    "root": cp.root, "signature": cp.signature, "public_key": key.public_key}

    def check_witness(self, kept: dict[str, Any]) -> dict[str, Any]:
        """Is today's log an append-only extension of a checkpoint a partner kept? Checks the
        kept checkpoint's signature, then an RFC 9162 consistency proof from its size to the
        current log."""
        with self.db.session() as s:
            org = self._org(s, str(kept.get("org", "")))
            key = s.get(TraceKey, org.id)
            if key is None:  # reads like an unknown organisation
                raise not_found("organisation", str(kept.get("org", "")))
            size, root = kept.get("tree_size"), kept.get("root")
            if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size < 2**53:
                raise TraceError("tree_size: give the kept checkpoint's tree size (an integer)")
            if not isinstance(root, str) or len(root) != 64 or \
                    any(c not in "0123456789abcdef" for c in root):
                raise TraceError("root: give the kept checkpoint's root (64 hex digits)")
            body = _checkpoint_body(org.id, kept.get("tree_size"), kept.get("root"))
            if kept.get("public_key") not in (None, key.public_key):
                return {"ok": False, "reason": "the organisation's key changed"}
            if not verify(key.public_key, body, str(kept.get("signature", ""))):
                return {"ok": False, "reason": "the kept checkpoint's signature does not verify"}
            leaves = self._leaves(s, org.id)
        m = int(kept["tree_size"])
        if m > len(leaves):
            return {"ok": False, "reason": f"the log has {len(leaves)} entries, fewer than the "
                    f"{m} the witness saw (entries removed)"}
        new_root = merkle.root(leaves)
        proof = merkle.consistency_proof(m, leaves) if m else []
        ok = m == 0 or merkle.verify_consistency(m, len(leaves), bytes.fromhex(kept["root"]),
                                                 new_root, proof)
        return {"ok": ok, "kept_size": m, "current_size": len(leaves),
                "current_root": new_root.hex(), "proof": [p.hex() for p in proof],
                "reason": "" if ok else "the log is not an extension of the kept checkpoint "
                                        "(an earlier entry was changed)"}

    def verify(self, org_name: str) -> VerifyResult:
        """Recompute every record's hash and signature, the Merkle root against the latest
        signed checkpoint, and the lots' declared data against the log."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            key = s.get(TraceKey, org.id)
            events = s.execute(select(TraceEvent.org_seq, TraceEvent.type, TraceEvent.lot,
                                      TraceEvent.record, TraceEvent.leaf_hash,
                                      TraceEvent.signature)
                               .where(TraceEvent.org_id == org.id)
                               .order_by(TraceEvent.org_seq)).all()
            problems: list[str] = []
            if key is None:
                return VerifyResult(org_name, not events, len(events),
                                    ["no signing key"] if events else [])
            leaves = []
            records: list[tuple[int, dict[str, Any]]] = []
            expect = 1
            signed = verify_many(key.public_key, [e.record.encode("utf-8") for e in events],
                                 [e.signature for e in events])  # on worker threads
            for e, signature_ok in zip(events, signed, strict=True):
                label = f"event {e.org_seq} ({e.type} {e.lot})"
                if e.org_seq != expect:
                    problems.append(f"{label}: log sequence gap (expected {expect})")
                expect = e.org_seq + 1
                try:
                    record = json.loads(e.record)
                except ValueError:
                    problems.append(f"{label}: record is not JSON any more")
                    continue
                data = e.record.encode("utf-8")
                if merkle.leaf_hash(data).hex() != e.leaf_hash:
                    problems.append(f"{label}: record changed (hash mismatch)")
                if canonical(record) != data:
                    problems.append(f"{label}: record is not in canonical form")
                if not signature_ok:
                    problems.append(f"{label}: signature does not verify")
                if record.get("seq") != e.org_seq or record.get("event", {}).get(
                        "lot") != e.lot:
                    problems.append(f"{label}: indexed columns differ from the signed record")
                leaves.append(bytes.fromhex(e.leaf_hash))
                records.append((e.org_seq, record.get("event", {})))
            cp = self._latest_checkpoint(s, org.id)
            if cp is not None:
                body = _checkpoint_body(org.id, cp.tree_size, cp.root)
                if not verify(key.public_key, body, cp.signature):
                    problems.append(f"checkpoint {cp.tree_size}: signature does not verify")
                if (cp.tree_size or 0) > len(leaves):
                    problems.append(f"checkpoint {cp.tree_size}: log has only {len(leaves)} "
                                    "events (entries deleted)")
                elif merkle.root(leaves[:cp.tree_size]).hex() != cp.root:
                    problems.append(f"checkpoint {cp.tree_size}: Merkle root differs (an "
                                    "entry was changed, removed or inserted)")
            problems += self._check_state(s, org.id, records)
            return VerifyResult(org_name, not problems, len(events), problems,
                                cp.tree_size if cp else None)

    @staticmethod
    def _check_state(s: Session, org_id: str,
                     records: list[tuple[int, dict[str, Any]]]) -> list[str]:
        """Lots created by this organisation must match their signed events (``records``:
        the log's (sequence number, event) pairs, already parsed)."""
        problems = []
        declared: dict[str, dict[str, Any]] = {}
        for seq, ev in records:
            if ev.get("type") == "create":
                declared[ev["lot"]] = {"mass_kg": ev["mass_kg"], "cfp": ev["cfp"]["total"],
                                       "seq": seq}
            elif ev.get("type") == "redeclare" and ev.get("cfp") and ev["lot"] in declared:
                declared[ev["lot"]]["cfp"] = ev["cfp"]["total"]
            elif ev.get("type") in ("merge", "blend", "process"):
                declared[ev["lot"]] = {"mass_kg": ev["mass_kg"], "seq": seq}
            elif ev.get("type") == "split":  # each output is a lot of its own
                for out in ev.get("outputs", []):
                    declared[out["lot"]] = {"mass_kg": out["mass_kg"], "seq": seq}
        for lot in s.scalars(select(TraceLot).where(TraceLot.creator_org == org_id)):
            d = declared.get(lot.lot)
            if d is None:
                problems.append(f"lot {lot.lot}: no event in the log created it")
                continue
            if abs(d["mass_kg"] - lot.mass_kg) > 1e-9:
                problems.append(f"lot {lot.lot}: mass {lot.mass_kg} differs from event "
                                f"{d['seq']} ({d['mass_kg']})")
            if "cfp" in d and lot.custody == "declared" and abs(d["cfp"] - lot.cfp_total) > 1e-9:
                problems.append(f"lot {lot.lot}: CFP {lot.cfp_total} differs from its signed "
                                f"declaration ({d['cfp']})")
        return problems

    # ---- reads (data sovereignty) -------------------------------------------------------------
    def show(self, viewer: str, lot_ref: str) -> dict[str, Any]:
        """A lot as ``viewer`` may see it: its creator sees everything; the organisation
        holding it (or it was shipped to) sees CFP, recycled shares and claims, not the
        composition or the inputs; an active agreement grants its fields; anyone else gets
        the same 'not found' as for a missing lot. ``lot_ref``: the id as the viewer refers
        to it (its own lot first, then one it holds, then one granted to it), or
        ``organisation/id``. Lot ids in the answer are written the same way; an input the
        viewer may not see has ``"visible": false``."""
        with self.db.session() as s:
            org = self._org(s, viewer)
            view = _View(s, org)
            lot = view.resolve(lot_ref)
            if lot is None:
                raise not_found("lot", lot_ref)
            full = org.id == lot.creator_org  # custodians downstream see no composition
            holder = org.id in (lot.owner_org, lot.shipped_to)
            granted = set() if full else view.granted(lot)
            fields = set(GRANTABLE) if full else set(granted) | (
                HOLDER_FIELDS if holder else set())
            doc = lot_view(lot, view.names, fields)
            doc["lot"] = view.display(lot)[0]
            doc["access"] = "creator" if full else "holder" if holder else "agreement"
            doc["inputs"], doc["outputs"] = [], []
            if "inputs" in fields:
                doc["inputs"] = [view.link(other, m) for other, m in s.execute(
                    select(TraceLot, TraceInput.mass_kg).join(
                        TraceInput, TraceLot.seq == TraceInput.src_seq).where(
                        TraceInput.dst_seq == lot.seq)).all()]
            if full:
                doc["outputs"] = [view.link(other, m) for other, m in s.execute(
                    select(TraceLot, TraceInput.mass_kg).join(
                        TraceInput, TraceLot.seq == TraceInput.dst_seq).where(
                        TraceInput.src_seq == lot.seq)).all()]
                doc["own_process"] = lot.own
                doc["consumed_kg"] = lot.consumed_kg
            return doc

    @staticmethod
    def _granted(s: Session, org_id: str, lot: TraceLot) -> set[str]:
        """Fields an active (not revoked, not expired) agreement grants ``org_id``."""
        now = datetime.now(UTC)
        out: set[str] = set()
        for ag in s.scalars(select(TraceAgreement).where(
                TraceAgreement.grantee_org == org_id,
                TraceAgreement.grantor_org == lot.creator_org,
                TraceAgreement.revoked_at.is_(None))):
            expires = ag.expires_at if ag.expires_at.tzinfo else ag.expires_at.replace(
                tzinfo=UTC)
            if expires > now and ("*" in ag.lots or lot.lot in ag.lots):
                out |= set(ag.fields)
        return out

    # ---- catalogue and agreements -----------------------------------------------------------
    def offer(self, org_name: str, name: str, *, lots: list[str], fields: list[str],
              description: str = "", policy: dict[str, Any] | None = None) -> int:
        """Publish a catalogue entry (metadata and policy only; the data stays here)."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            self._check_grant(s, org, lots, fields)
            ds = TraceDataset(org_id=org.id, name=name, description=description, lots=lots,
                              fields=fields, policy=policy or {})
            s.add(ds)
            s.flush()
            return int(ds.id)

    def catalogue(self, viewer: str) -> list[dict[str, Any]]:
        """Other organisations' offers: name, description, fields, policy, lot count."""
        with self.db.session() as s:
            org = self._org(s, viewer)
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            return [{"id": d.id, "provider": names[d.org_id], "name": d.name,
                     "description": d.description, "fields": d.fields, "policy": d.policy,
                     "lots": "all" if "*" in d.lots else len(d.lots)}
                    for d in s.scalars(select(TraceDataset).where(TraceDataset.org_id != org.id)
                                       .order_by(TraceDataset.id))]

    def grant(self, grantor: str, grantee: str, *, lots: list[str], fields: list[str],
              purpose: str, expires_at: datetime) -> int:
        """A bilateral agreement; only lots the grantor made can be granted."""
        with self.db.session() as s:
            g = self._org(s, grantor)
            e = self._org(s, grantee)
            if g.id == e.id:
                raise TraceError("an agreement needs two different organisations")
            if expires_at.tzinfo is None:
                raise TraceError("expires_at needs a time zone")
            if expires_at <= datetime.now(UTC):
                raise TraceError("expires_at is in the past")
            if not purpose.strip():
                raise TraceError("purpose is required (what the data may be used for)")
            self._check_grant(s, g, lots, fields)
            ag = TraceAgreement(grantor_org=g.id, grantee_org=e.id, lots=lots, fields=fields,
                                purpose=purpose, expires_at=expires_at)
            s.add(ag)
            s.flush()
            return int(ag.id)

    def revoke(self, grantor: str, agreement_id: int) -> None:
        with self.db.session() as s:
            g = self._org(s, grantor)
            ag = s.get(TraceAgreement, agreement_id)
            if ag is None or ag.grantor_org != g.id:
                raise TraceError(f"agreement {agreement_id} not found")
            ag.revoked_at = datetime.now(UTC)

    def agreements(self, org_name: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            org = self._org(s, org_name)
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            rows = s.scalars(select(TraceAgreement).where(
                (TraceAgreement.grantor_org == org.id) | (TraceAgreement.grantee_org == org.id))
                .order_by(TraceAgreement.id))
            return [{"id": a.id, "grantor": names[a.grantor_org],
                     "grantee": names[a.grantee_org], "lots": a.lots, "fields": a.fields,
                     "purpose": a.purpose, "expires_at": a.expires_at.isoformat(),
                     "revoked": a.revoked_at is not None} for a in rows]

    @staticmethod
    def _check_grant(s: Session, org: Organisation, lots: list[str], fields: list[str]) -> None:
        bad = sorted(set(fields) - set(GRANTABLE))
        if bad or not fields:
            raise TraceError(f"fields: {bad or 'none given'}; choose from {list(GRANTABLE)}")
        if not lots:
            raise TraceError("lots: give lot ids or '*' for every lot you made")
        if "*" not in lots:
            mine = set(s.scalars(select(TraceLot.lot).where(TraceLot.creator_org == org.id,
                                                            TraceLot.lot.in_(lots))))
            missing = sorted(set(lots) - mine)
            if missing:
                raise TraceError(f"lots not made by {org.name!r}: {missing}")

    def notifications(self, org_name: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            org = self._org(s, org_name)
            return [{"id": n.id, "lot": n.lot, "message": n.message, "payload": n.payload,
                     "read": n.read, "webhook": n.webhook_status,
                     "created_at": n.created_at.isoformat()}
                    for n in s.scalars(select(TraceNotification).where(
                        TraceNotification.org_id == org.id).order_by(TraceNotification.id))]

