"""Lots of a batch as plain objects and the bulk row readers and writers of the
ingest path (driver-level on SQLite), the ledger's write lock and version."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from junkan.store.repo_base import begin_immediate
from junkan.store.tables import Base

T = TypeVar("T")


class NewLot:
    """A lot touched by the current batch as a plain object (ORM instances cost ~100 µs
    each): new lots are inserted in bulk at the end with their ``seq`` returned, loaded
    ones written back in one executemany."""

    COLUMNS = ("lot", "creator_org", "owner_org", "shipped_to", "received", "material",
               "mass_kg", "consumed_kg", "site", "custody", "declared", "own", "own_cfp",
               "mb_period", "created_at")
    """Columns of ``trace_lots`` (``seq`` is assigned by the store)."""
    VALUES = ("cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post", "updated_at")
    """Columns of ``trace_values`` besides ``seq``."""

    lot: str
    loaded_as: tuple[Any, ...] = ()
    """The MUTABLE columns as loaded from the store (empty for a new lot)."""
    loaded_biogenic: float | None = None
    """``cfp_biogenic`` as loaded from the store (None for a new lot)."""

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


MUTABLE = ("owner_org", "shipped_to", "received", "consumed_kg", "site", "mb_period")
"""Columns of ``trace_lots`` an event may change (and ``declared``, on re-declaration)."""


def select_lots() -> Any:
    """Every column of a lot: its record joined with its derived values."""
    lots, values = (Base.metadata.tables[t] for t in ("trace_lots", "trace_values"))
    return select(lots, *[values.c[c] for c in NewLot.VALUES]).join_from(
        lots, values, lots.c.seq == values.c.seq)


_LOT_SELECT = ("SELECT l.seq, " + ", ".join(f"l.{c}" for c in NewLot.COLUMNS) + ", "
               + ", ".join(f"v.{c}" for c in NewLot.VALUES)
               + " FROM trace_lots AS l JOIN trace_values AS v ON v.seq = l.seq WHERE "
               "(+l.creator_org = ? OR +l.owner_org = ? OR +l.shipped_to = ?) AND l.lot IN ")
"""Lots by id among those an organisation may refer to. The unary ``+`` keeps SQLite from
answering the OR through the organisation indexes (every lot of the organisation, ~1.5 ms
for 10,000) instead of the id index (~10 µs)."""


def sqlite_lots(s: Session, org_id: str, lot_ids: list[str]) -> list[NewLot]:
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


_SQLITE_JSON = frozenset({"declared", "own"})
_SQLITE_TIME = frozenset({"created_at", "updated_at"})
_json_text = json.JSONEncoder(separators=(",", ":")).encode
_json_text_pg = json.JSONEncoder().encode


def stored_json(doc: Any, postgres: bool) -> str:
    """``doc`` as the text of a JSON column as the store writes it on each database: SQLite
    compact and ASCII (:func:`insert_rows`, :func:`update_lots`), PostgreSQL as SQLAlchemy
    writes it (``json.dumps``: ", " and ": "). The audit's quick comparison reads these
    forms (:mod:`junkan.store.trace_compare`)."""
    return _json_text_pg(doc) if postgres else _json_text(doc)


@lru_cache(maxsize=64)
def _stamp(at: datetime) -> str:
    """A time as SQLAlchemy stores a DateTime on SQLite: naive UTC text."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def attrs(objs: list[Any], cols: tuple[str, ...]) -> list[tuple[Any, ...]]:
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


def insert_rows(s: Session, table_name: str, cols: tuple[str, ...],
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


def update_lots(s: Session, table_name: str, cols: tuple[str, ...],
                 lots: list[NewLot]) -> None:
    """Write ``cols`` of ``lots`` back to ``table_name`` by ``seq`` in one executemany."""
    if not lots:
        return
    rows = attrs(lots, (*cols, "seq"))
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
def collector_paused() -> Iterator[None]:
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


def begin_write(s: Session) -> int:
    """Take the ledger's write lock for this transaction and return the newest event id.
    SQLite: BEGIN IMMEDIATE, so what the batch reads (lots left, the log's length) is what
    it writes over (the driver would begin only at the first insert). PostgreSQL: an
    EXCLUSIVE lock on the event log (ingests queue; readers go on)."""
    conn = s.connection()
    if not begin_immediate(s) and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE trace_events IN EXCLUSIVE MODE")
    return ledger_version(conn)


def ledger_version(conn: Connection) -> int:
    """The ledger's version: the newest event id (0 when empty), one indexed lookup."""
    return int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM trace_events"
                                    ).scalar() or 0)


IN_CHUNK = 900
"""Values bound in one ``IN (…)`` list: under SQLite's 999 bound parameters."""


def chunks(items: list[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """``items`` in slices of ``size``, for ``IN (…)`` lists."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
