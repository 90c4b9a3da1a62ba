"""The ``parts`` section of a validated model as columns, not as pydantic object trees.

A large model has tens of thousands of parts (the 1,000-product benchmark: 20,000, each with
its BOM lines and recovery routes); validating them as :class:`~junkan.lifecycle.schema.Part`
objects took most of the validation time and half of the loaded model's memory. Here each
part is read straight from the document into columns (one entry per part, and the BOM lines of
all parts one after the other), applying exactly the schema's rules and conversions (the same
field converters; a mass ``"0.25 kg"`` becomes 0.25). A part the fast reader does not
recognise — an unusual but valid spelling, or any error — is validated by pydantic itself, so
values and error messages are those of the schema (:func:`read_parts`).

:class:`PartTable` is a read-only mapping ``name → Part``: code that wants objects gets them
(built on first access, then kept); the compiler reads the columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from itertools import chain
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import TypeAdapter, ValidationError

from junkan.core.limits import limits
from junkan.lifecycle.compiled import INTO
from junkan.lifecycle.schema import BomItem, Part, PartRecovery, PartReuseOption
from junkan.lifecycle.schema_types import _KG, _fast_fraction, _fast_mass

__all__ = ["Option", "PartTable", "part_table", "read_parts"]

_INF = float("inf")
_PART_KEYS = frozenset(Part.model_fields)
_LINE_KEYS = frozenset(BomItem.model_fields)
_RECOVERY_KEYS = frozenset(PartRecovery.model_fields)
_OPTION_KEYS = frozenset(PartReuseOption.model_fields)
_INTO = frozenset(INTO)
_PART_ADAPTER: TypeAdapter[Part] = TypeAdapter(Part)


class Option(NamedTuple):
    """A part's reuse or remanufacture route (:class:`~junkan.lifecycle.schema
    .PartReuseOption`): shares in [0, 1], processes and destination."""

    share: float
    pass_rate: float
    processes: list[str]
    into: Literal["new_products", "spares", "both"]


class _Slow(Exception):
    """The fast reader does not take this entry: pydantic validates it."""


class PartTable(Mapping[str, Part]):
    """Parts by name, in document order, as columns (part ``q`` is the ``q``-th name).

    Per part: ``title``, ``maker``, ``buyer``, ``make``, ``price``, ``reuse`` and
    ``remanufacture`` (:class:`Option` or ``None``) and ``residual`` (a mix or ``None``).
    BOM lines of part ``q`` are ``bom_start[q]`` to ``bom_start[q + 1]`` of ``line_part`` /
    ``line_material`` (one of them set), ``line_qty`` (pieces per parent) and ``line_mass``
    (kg per parent, material lines). Treat every column as read-only."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.title: list[str | None] = []
        self.maker: list[str | None] = []
        self.buyer: list[str | None] = []
        self.make: list[list[str]] = []
        self.price: list[str | float | None] = []
        self.reuse: list[Option | None] = []
        self.remanufacture: list[Option | None] = []
        self.residual: list[dict[str, float] | None] = []
        self.bom_start: list[int] = [0]
        self.line_part: list[str | None] = []
        self.line_material: list[str | None] = []
        self.line_qty: list[float] = []
        self.line_mass: list[float | None] = []
        self._objects: dict[int, Part] = {}
        self._owner: list[int] | None = None

    # -- the mapping -------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Part:
        q = self.index[name]
        obj = self._objects.get(q)
        if obj is None:
            obj = self._objects[q] = self._build(q)
        return obj

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PartTable):
            return self._columns() == other._columns()
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PartTable({len(self.names):,} parts, {len(self.line_qty):,} BOM lines)"

    def _columns(self) -> tuple[Any, ...]:
        return (self.names, self.title, self.maker, self.buyer, self.make, self.price,
                self.reuse, self.remanufacture, self.residual, self.bom_start, self.line_part,
                self.line_material, self.line_qty, self.line_mass)

    def _build(self, q: int) -> Part:
        """The :class:`Part` object of part ``q``, from its columns."""
        lines = [BomItem.model_construct(part=self.line_part[g], quantity=self.line_qty[g],
                                         material=self.line_material[g],
                                         mass=self.line_mass[g])
                 for g in range(self.bom_start[q], self.bom_start[q + 1])]
        opts = [None if o is None else PartReuseOption.model_construct(
            share=o.share, pass_rate=o.pass_rate, processes=list(o.processes), into=o.into)
            for o in (self.reuse[q], self.remanufacture[q])]
        residual = self.residual[q]
        recovery = PartRecovery.model_construct(
            reuse=opts[0], remanufacture=opts[1],
            residual=None if residual is None else dict(residual))
        return Part.model_construct(title=self.title[q], maker=self.maker[q],
                                    make=list(self.make[q]), price=self.price[q],
                                    buyer=self.buyer[q], bom=lines, recovery=recovery)

    # -- columns -----------------------------------------------------------------------------

    def line_owner(self) -> list[int]:
        """The part of each BOM line (computed once per number of lines: the columns are
        read-only once built, and only appended to while building)."""
        start = self.bom_start
        if self._owner is None or len(self._owner) != start[-1]:
            self._owner = np.repeat(np.arange(len(self.names)), np.diff(start)).tolist()
        return self._owner

    def lines_of(self, q: int) -> range:
        """Positions of part ``q``'s BOM lines in the line columns."""
        return range(self.bom_start[q], self.bom_start[q + 1])

    def append_part(self, name: str, part: Part) -> None:
        """Add a validated :class:`Part` (kept as the object ``self[name]`` returns)."""
        q = len(self.names)
        self.names.append(name)
        self.index[name] = q
        self.title.append(part.title)
        self.maker.append(part.maker)
        self.buyer.append(part.buyer)
        self.make.append(part.make)
        self.price.append(part.price)
        rec = part.recovery
        self.reuse.append(_option(rec.reuse))
        self.remanufacture.append(_option(rec.remanufacture))
        self.residual.append(rec.residual)
        for item in part.bom:
            self.line_part.append(item.part)
            self.line_material.append(item.material)
            self.line_qty.append(item.quantity)
            self.line_mass.append(item.mass)
        self.bom_start.append(len(self.line_qty))
        self._objects[q] = part

    @classmethod
    def of(cls, parts: Mapping[str, Part]) -> PartTable:
        """The table of validated :class:`Part` objects."""
        if isinstance(parts, PartTable):
            return parts
        table = cls()
        for name, part in parts.items():
            table.append_part(name, part)
        return table

    def replaced(self, changed: Mapping[str, Part]) -> PartTable:
        """A new table with the entries of ``changed`` (existing names) replaced."""
        table = PartTable()
        for q, name in enumerate(self.names):
            part = changed.get(name)
            if part is not None:
                table.append_part(name, part)
            else:
                table._copy_part(self, q)
        return table

    def _copy_part(self, other: PartTable, q: int) -> None:
        name = other.names[q]
        self.index[name] = len(self.names)
        self.names.append(name)
        for col in ("title", "maker", "buyer", "make", "price", "reuse", "remanufacture",
                    "residual"):
            getattr(self, col).append(getattr(other, col)[q])
        s, e = other.bom_start[q], other.bom_start[q + 1]
        self.line_part += other.line_part[s:e]
        self.line_material += other.line_material[s:e]
        self.line_qty += other.line_qty[s:e]
        self.line_mass += other.line_mass[s:e]
        self.bom_start.append(len(self.line_qty))
        if (obj := other._objects.get(q)) is not None:
            self._objects[len(self.names) - 1] = obj


def _option(opt: PartReuseOption | None) -> Option | None:
    return None if opt is None else Option(opt.share, opt.pass_rate, opt.processes, opt.into)


def part_table(model: Any) -> PartTable:
    """The parts of a validated model as a :class:`PartTable` (models validated by
    :func:`junkan.lifecycle.loader.validate` hold one; others are converted)."""
    parts = model.parts
    return parts if isinstance(parts, PartTable) else PartTable.of(parts)


# ---------------------------------------------------------------------------------------------
# Reading


def read_parts(doc_parts: dict[str, Any]) -> PartTable | None:
    """The ``parts`` section of a document (a mapping) as a :class:`PartTable`; ``None`` if
    an entry is invalid (the caller then validates the document with pydantic, which reports
    every problem with its path).

    All parts are read at once, column by column (:func:`_read_columns`); if any entry is
    not in the forms that reader takes, each entry is read on its own (:func:`_read_each`)
    and those it does not take either are validated by pydantic."""
    try:
        table = _read_columns(list(doc_parts), list(doc_parts.values()))
    except _Slow:
        table = None
    return table if table is not None else _read_each(doc_parts)


def _read_each(doc_parts: dict[str, Any]) -> PartTable | None:
    """:func:`read_parts` entry by entry: each part by :func:`_read_columns` alone, or by
    pydantic when that does not take it."""
    table = PartTable()
    for name, entry in doc_parts.items():
        if type(name) is not str:
            return None
        try:
            table._copy_part(_read_columns([name], [entry]), 0)
        except _Slow:
            try:
                part = _PART_ADAPTER.validate_python(entry)
            except ValidationError:
                return None
            table.append_part(name, part)
    return table


def _names(v: Any) -> list[str]:
    if type(v) is not list:
        raise _Slow
    for x in v:
        if type(x) is not str:
            raise _Slow
    return list(v)


def _share(v: Any) -> float:
    """A Fraction field as pydantic reads it (its converter), finite."""
    try:
        x = _fast_fraction(v)
    except Exception:  # pydantic reports it, with its message
        raise _Slow from None
    if type(x) is not float:
        raise _Slow
    return x


_NO_RECOVERY: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
# All parts at once


def _read_columns(names: list[Any], entries: list[Any]) -> PartTable:
    """Every part's fields, each column read and checked in one pass; raises :class:`_Slow`
    at the first value in a form it does not take (then :func:`_read_each` reads them)."""
    if not _types(names, _STR) or not _types(entries, _DICT) or not all(
            map(_PART_KEYS.issuperset, entries)):
        raise _Slow
    table = PartTable()
    table.names = names
    table.index = {n: q for q, n in enumerate(names)}
    for col in ("title", "maker", "buyer"):
        values = [e.get(col) for e in entries]
        if not _types(values, _STR_NONE):
            raise _Slow
        setattr(table, col, values)
    shared: dict[Any, Any] = {}  # equal lists and mixes are one object (read-only)
    table.make = _name_lists([e.get("make", _NONE) for e in entries], shared)
    table.price = [e.get("price") for e in entries]
    if not _types(table.price, _PRICE):
        raise _Slow
    _recovery_columns(table, [e.get("recovery", _NO_RECOVERY) for e in entries], shared)
    _line_columns(table, [e.get("bom") for e in entries])
    return table


_STR, _DICT, _LIST, _FLOAT = frozenset({str}), frozenset({dict}), frozenset({list}), \
    frozenset({float})
_STR_NONE: frozenset[type] = frozenset({str, type(None)})
_PRICE: frozenset[type] = frozenset({str, float, type(None)})
_NUMBER: frozenset[type] = frozenset({float, int})


def _types(values: list[Any], allowed: frozenset[type]) -> bool:
    """Every value is of exactly one of the ``allowed`` types (``bool`` is not ``int``)."""
    return allowed.issuperset(map(type, values))


def _within(values: list[float], lo: float, hi: float) -> bool:
    """Every value (all floats) is finite and in ``[lo, hi]``."""
    total = sum(values)  # NaN if any is: min and max may pass over a NaN
    return total == total and min(values) >= lo and max(values) <= hi


_NONE: list[str] = []
_OPTION = partial(tuple.__new__, Option)  # Option(*values), without the arity check


def _name_lists(lists: list[Any], shared: dict[Any, Any]) -> list[list[str]]:
    """Lists of names (``_NONE`` where absent: an empty list), copied; equal lists are one
    object."""
    if not _types(lists, _LIST) or not _types(list(chain.from_iterable(lists)), _STR):
        raise _Slow
    return [shared[t] if (t := tuple(x)) in shared else shared.setdefault(t, list(x))
            for x in lists]


def _recovery_columns(table: PartTable, recs: list[Any], shared: dict[Any, Any]) -> None:
    if not _types(recs, _DICT) or not all(map(_RECOVERY_KEYS.issuperset, recs)):
        raise _Slow
    table.reuse = _option_column([r.get("reuse") for r in recs], shared)
    table.remanufacture = _option_column([r.get("remanufacture") for r in recs], shared)
    for a, b in zip(table.reuse, table.remanufacture, strict=True):
        if a is not None and b is not None and a.share + b.share > 1.0 + 1e-9:
            raise _Slow
    residual = [r.get("residual") for r in recs]
    if not all(m is None or type(m) is dict for m in residual):
        raise _Slow
    mixes = [None if m is None else _mix(m) for m in residual]
    table.residual = [None if m is None else shared.setdefault((dict, *m.items()), m)
                      for m in mixes]


def _mix(mix: dict[Any, Any]) -> dict[str, float]:
    for k, v in mix.items():
        if type(k) is not str or type(v) is not float or not 0.0 <= v <= 1.0:
            return {_key(k): _share(v) for k, v in mix.items()}
    return dict(mix)


def _key(k: Any) -> str:
    if type(k) is not str:
        raise _Slow
    return k


def _option_column(opts: list[Any], shared: dict[Any, Any]) -> list[Option | None]:
    given = [o for o in opts if o is not None]
    if not _types(given, _DICT) or not all(map(_OPTION_KEYS.issuperset, given)):
        raise _Slow
    shares = _fractions([o.get("share", 0.0) for o in given])
    passes = _fractions([o.get("pass_rate", 1.0) for o in given])
    procs = _name_lists([o.get("processes", _NONE) for o in given], shared)
    into = [o.get("into", "new_products") for o in given]
    if not _types(into, _STR) or not _INTO.issuperset(into):
        raise _Slow
    made = map(_OPTION, zip(shares, passes, procs, into, strict=True))
    if len(given) == len(opts):
        return list(made)
    return [None if o is None else next(made) for o in opts]


def _fractions(values: list[Any]) -> list[float]:
    """Fraction fields as pydantic reads them (floats in [0, 1] as they are)."""
    if _types(values, _FLOAT) and (not values or _within(values, 0.0, 1.0)):
        return values
    return [_share(v) for v in values]


def _line_columns(table: PartTable, boms: list[Any]) -> None:
    if not _types(boms, _LIST) or not all(boms):
        raise _Slow
    lines = [line for b in boms for line in b]
    if not _types(lines, _DICT) or not all(map(_LINE_KEYS.issuperset, lines)):
        raise _Slow
    start = [0]
    total = 0
    for b in boms:
        total += len(b)
        start.append(total)
    table.bom_start = start
    parts = table.line_part = [line.get("part") for line in lines]
    materials = table.line_material = [line.get("material") for line in lines]
    raw_qty = [line.get("quantity", 1.0) for line in lines]
    if not _types(raw_qty, _NUMBER):
        raise _Slow
    qty = table.line_qty = raw_qty if _types(raw_qty, _FLOAT) else [float(x) for x in raw_qty]
    if not (min(qty) > 0.0 and _within(qty, 0.0, 1e6)):
        raise _Slow
    masses = [line.get("mass") for line in lines]
    if not all((type(p) is str and m is None and x is None) if p is not None else
               (type(m) is str and x is not None)
               for p, m, x in zip(parts, materials, masses, strict=True)):
        raise _Slow
    table.line_mass = _masses(masses)


def _masses(raw: list[Any]) -> list[float | None]:
    """Masses as :data:`~junkan.lifecycle.schema_types.Mass` reads them (``None`` stays)."""
    lim = limits()
    match, longest, largest = _KG.match, lim.quantity_length, lim.quantity_magnitude
    out: list[float | None] = [
        None if x is None else float(m[1]) if type(x) is str and len(x) <= longest and (
            m := match(x)) is not None else _mass(x) for x in raw]
    if not all(x is None or x <= largest for x in out):
        raise _Slow
    return out


def _mass(value: Any) -> float:
    try:
        x = _fast_mass(value)
    except Exception:  # pydantic reports it, with its message
        raise _Slow from None
    if type(x) is not float or not -_INF < x < _INF:
        raise _Slow
    return x
