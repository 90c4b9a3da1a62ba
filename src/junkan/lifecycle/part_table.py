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

import re
from collections.abc import Iterator, Mapping
from functools import partial
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
    """Every part's fields, in one pass over the entries: each part's objects are visited
    once, not once per column (on the 1,000-product benchmark 0.36 s of CPU against 0.39 s,
    interleaved runs on a loaded machine, 2026-12-02; reading each field of all parts with
    ``map(dict.get, entries, repeat(key))`` in C took 0.40–0.55 s against 0.18–0.27 s, and
    msgspec records filled into columns 0.22–0.27 s); raises :class:`_Slow` at the first
    value in a form it does not take (then :func:`_read_each` reads them)."""
    if not _types(names, _STR):
        raise _Slow
    table = PartTable()
    table.names = names
    table.index = dict(zip(names, range(len(names)), strict=True))
    title, maker, buyer, make = table.title, table.maker, table.buyer, table.make
    price, reuse, reman, residual = table.price, table.reuse, table.remanufacture, \
        table.residual
    lines = _Lines(table)
    shared: dict[Any, Any] = {}  # equal lists and mixes are one object (read-only)
    part_keys, recovery_keys, str_none = _PART_KEYS.issuperset, _RECOVERY_KEYS.issuperset, \
        _STR_NONE
    for e in entries:
        if type(e) is not dict or not part_keys(e):
            raise _Slow
        get = e.get
        t, mk, b, pr = get("title"), get("maker"), get("buyer"), get("price")
        if type(t) not in str_none or type(mk) not in str_none or type(b) not in str_none \
                or type(pr) not in _PRICE:
            raise _Slow
        title.append(t)
        maker.append(mk)
        buyer.append(b)
        price.append(pr)
        make.append(_names_of(get("make", _NONE), shared))
        rec = get("recovery", _NO_RECOVERY)
        if type(rec) is not dict or not recovery_keys(rec):
            raise _Slow
        ru = _option_of(rec.get("reuse"), shared)
        rm = _option_of(rec.get("remanufacture"), shared)
        if ru is not None and rm is not None and ru[0] + rm[0] > 1.0 + 1e-9:
            raise _Slow
        reuse.append(ru)
        reman.append(rm)
        residual.append(_residual_of(rec.get("residual"), shared))
        lines.add(get("bom"))
    lines.done()
    return table


class _Lines:
    """Reads the BOM lines of part after part into the table's line columns."""

    def __init__(self, table: PartTable) -> None:
        self.table = table
        self.part, self.material, self.qty, self.mass = (
            table.line_part, table.line_material, table.line_qty, table.line_mass)
        self.raw_mass: list[Any] = []

    def add(self, bom: Any) -> None:
        """One part's BOM (a non-empty list of lines)."""
        if type(bom) is not list or not bom:
            raise _Slow
        parts, materials, qty, masses = self.part, self.material, self.qty, self.raw_mass
        line_keys = _LINE_KEYS.issuperset
        for line in bom:
            if type(line) is not dict or not line_keys(line):
                raise _Slow
            get = line.get
            p, m, x = get("part"), get("material"), get("mass")
            if p is not None:  # a part (no material, no mass) or a material with a mass
                if type(p) is not str or m is not None or x is not None:
                    raise _Slow
            elif type(m) is not str or x is None:
                raise _Slow
            parts.append(p)
            materials.append(m)
            masses.append(x)
            qty.append(get("quantity", 1.0))
        self.table.bom_start.append(len(parts))

    def done(self) -> None:
        """Check the quantities and read the masses, all lines at once."""
        table, raw_qty = self.table, self.qty
        if not raw_qty:
            return
        if not _types(raw_qty, _FLOAT):
            if not _types(raw_qty, _NUMBER):
                raise _Slow
            table.line_qty = raw_qty = [float(x) for x in raw_qty]
        if not (min(raw_qty) > 0.0 and _within(raw_qty, 0.0, 1e6)):
            raise _Slow
        table.line_mass = _masses(self.raw_mass)


def _names_of(names: Any, shared: dict[Any, Any]) -> list[str]:
    """A list of names (``_NONE`` where absent: an empty list), copied; equal lists are one
    object, checked once."""
    if type(names) is not list:
        raise _Slow
    key = tuple(names)
    try:
        got = shared.get(key)
    except TypeError:  # an unhashable item: not a name
        raise _Slow from None
    if got is None:
        if not _types(names, _STR):
            raise _Slow
        got = shared[key] = list(names)
    return got


def _option_of(opt: Any, shared: dict[Any, Any]) -> Option | None:
    """A reuse or remanufacture route (or ``None``)."""
    if opt is None:
        return None
    if type(opt) is not dict or not _OPTION_KEYS.issuperset(opt):
        raise _Slow
    get = opt.get
    share, pass_rate, into = get("share", 0.0), get("pass_rate", 1.0), \
        get("into", "new_products")
    if type(share) is not float or not 0.0 <= share <= 1.0:
        share = _share(share)
    if type(pass_rate) is not float or not 0.0 <= pass_rate <= 1.0:
        pass_rate = _share(pass_rate)
    if type(into) is not str or into not in _INTO:
        raise _Slow
    return _OPTION((share, pass_rate, _names_of(get("processes", _NONE), shared), into))


def _residual_of(mix: Any, shared: dict[Any, Any]) -> dict[str, float] | None:
    """A part's residual mix (or ``None``); equal mixes are one object."""
    if mix is None:
        return None
    if type(mix) is not dict:
        raise _Slow
    checked = _mix(mix)
    return shared.setdefault((dict, *checked.items()), checked)


_STR, _FLOAT = frozenset({str}), frozenset({float})
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


def _mix(mix: dict[Any, Any]) -> dict[str, float]:
    for k, v in mix.items():
        if type(k) is not str or type(v) is not float or not 0.0 <= v <= 1.0:
            return {_key(k): _share(v) for k, v in mix.items()}
    return dict(mix)


def _key(k: Any) -> str:
    if type(k) is not str:
        raise _Slow
    return k


_KG_SEGMENT = re.compile(r"(?:(?<=\0)|\A)\s*\+?((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
                         r"(?:[eE][-+]?[0-9]+)?)\s*kg\s*(?=\0|\Z)")
"""A mass written ``"<number> kg"`` that fills a whole segment of masses joined by NUL
characters (which ``\\s`` does not match, so no match spans two segments, and each segment
holds at most one): what :data:`~junkan.lifecycle.schema_types._KG` matches, its number
captured."""


def _masses(raw: list[Any]) -> list[float | None]:
    """Masses as :data:`~junkan.lifecycle.schema_types.Mass` reads them (``None`` stays):
    each distinct ``"<number> kg"`` string is checked and its number found by one search
    over them all joined (:data:`_KG_SEGMENT`) and read by ``float``, from C; any other
    spelling is read one by one (:func:`_masses_each`). Equal spellings are read once (the
    benchmark's 40,000 masses, 4,900 distinct: 0.013 against 0.027 s, 2026-12-02)."""
    try:
        distinct = dict.fromkeys(raw)
    except TypeError:  # an unhashable value: not a mass
        return _masses_each(raw)
    given = [x for x in distinct if x is not None]
    if not given or not _types(given, _STR) or \
            max(map(len, given)) > limits().quantity_length:
        return _masses_each(raw)
    joined = "\0".join(given)
    # every segment matched (as many matches as segments) and no NUL inside a string (as
    # many segments as strings): one pass of the pattern, from C (about half the CPU of a
    # full match of the joined text followed by a search for its numbers)
    values = list(map(float, _KG_SEGMENT.findall(joined)))
    if len(values) != len(given) or joined.count("\0") != len(given) - 1 or \
            max(values) > limits().quantity_magnitude:
        return _masses_each(raw)  # another spelling, or a value the converter refuses
    value_of: dict[Any, float | None] = {None: None, **dict(zip(given, values, strict=True))}
    return list(map(value_of.__getitem__, raw))


def _masses_each(raw: list[Any]) -> list[float | None]:
    """:func:`_masses` string by string."""
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
