"""A JSON model document read with its ``parts`` decoded straight into typed records.

``json.loads`` builds a dict per part, per BOM line and per recovery route (on the 1,000-product
benchmark: 20,000 parts, 60,000 lines, 53 MiB held), which :func:`~junkan.lifecycle.part_table
.read_parts` then walks entry by entry in Python. Here msgspec (C) decodes the document against
records that spell the schema's part types — unknown keys, wrong types and shares outside
[0, 1] are refused while decoding — and the :class:`~junkan.lifecycle.part_table.PartTable`
columns are read from the records by C-level attribute maps: 0.035–0.053 s to decode and
0.10–0.14 s to read (the masses' text included) against 0.10–0.115 s and 0.14 s, with
37 MiB held while decoding against 53 MiB (2026-12-02, medians of 7 on a quiet machine).

The records are strictly narrower than what the schema accepts (no ``"40%"`` shares, no
unusual spellings): :func:`decode` returns ``None`` for any document they do not take, and the
caller reads it the ordinary way (:func:`~junkan.core.documents.parse_document`, then
:func:`~junkan.lifecycle.loader.validate`), which reports every problem as always. What the
records take, they read to exactly the columns the ordinary reader makes (tested on the
examples, the benchmark and generated documents).
"""

from __future__ import annotations

import json
import math
import threading
from functools import lru_cache
from itertools import accumulate, chain
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import UNSET, Meta, field

from junkan.core.documents import data_within, json_key_twice, text_within_size, too_deep
from junkan.core.errors import ModelError
from junkan.core.limits import Limits, limits
from junkan.lifecycle.gc_pause import paused_gc
from junkan.lifecycle.loader import apply_library
from junkan.lifecycle.part_table import _OPTION, _PRICE, PartTable, _masses, _Slow, _types
from junkan.lifecycle.schema import LifecycleModel

__all__ = ["Decoded", "LazyDocument", "decode"]

_Share = Annotated[float, Meta(ge=0.0, le=1.0)]
_Quantity = Annotated[float, Meta(gt=0.0, le=1e6)]
_INTO = Literal["new_products", "spares", "both"]


def _records(longest: int, largest: float) -> tuple[Any, ...]:
    """The record types — part, BOM line, recovery, route (each spelling a schema type:
    :class:`~junkan.lifecycle.schema.Part`, :class:`~junkan.lifecycle.schema.BomItem`,
    :class:`~junkan.lifecycle.schema.PartRecovery`,
    :class:`~junkan.lifecycle.schema.PartReuseOption`) and the whole document — with every
    string (part names, titles, makers, processes, sinks…) at most ``longest`` characters
    and every price given as a number within ±``largest``: msgspec checks the limits
    while it decodes, in C, which a walk over the columns did after it (0.017 s on the
    benchmark under load, 2026-12-03). The mass of a line is taken as written (a number or
    text): :func:`~junkan.lifecycle.part_table._masses` reads and checks it."""
    text = Annotated[str, Meta(max_length=longest)]
    bound = float(largest)  # msgspec compares with a double: the largest not above the limit
    bound = math.nextafter(bound, 0.0) if bound > largest else bound  # (review 228: 2**53+3)
    price = Annotated[float, Meta(ge=-bound, le=bound)]
    kw: dict[str, Any] = {"forbid_unknown_fields": True, "gc": False}
    option = msgspec.defstruct("_Option", [
        ("share", _Share, 0.0), ("pass_rate", _Share, 1.0), ("processes", list[text], []),
        ("into", _INTO, "new_products")], **kw)
    recovery = msgspec.defstruct("_Recovery", [
        ("reuse", option | None, None), ("remanufacture", option | None, None),
        ("residual", dict[text, _Share] | None, None)], **kw)
    line = msgspec.defstruct("_Line", [
        ("part", text | None, None), ("quantity", _Quantity, 1.0),
        ("material", text | None, None), ("mass", str | int | float | None, None)], **kw)
    part = msgspec.defstruct("_Part", [
        ("bom", Annotated[list[line], Meta(min_length=1)]),  # type: ignore[valid-type]
        ("title", text | None, None), ("maker", text | None, None), ("make", list[text], []),
        ("price", text | int | price | None, None), ("buyer", text | None, None),
        ("recovery", recovery, field(default_factory=recovery))], **kw)
    document = msgspec.defstruct("_Document", [
        (name, dict[text, part] if name == "parts" else Any, UNSET)  # type: ignore[valid-type]
        for name in LifecycleModel.model_fields], forbid_unknown_fields=True)
    return part, line, recovery, option, document


@lru_cache(maxsize=4)
def _decoder(longest: int, largest: float) -> msgspec.json.Decoder[Any]:
    """A decoder of whole documents within the given limits (:func:`_records`): the
    document's parts as records, every other section as plain data (what ``json.loads``
    gives); keys outside the schema are refused."""
    return msgspec.json.Decoder(_records(longest, largest)[-1])


KEYS_TWICE_CHECKED_UP_TO = 2 * 2**20
"""Characters up to which a document is read a second time, by the standard parser, for a
key given twice in one object, which msgspec would keep the last of silently (YAML and the
ordinary JSON reader refuse it). Above, the second read would add ~40 % to a load (0.2 s on
the 9.5 MB benchmark model); such documents are written by programs, which do not repeat
keys, and are read as msgspec reads them: the last of a repeated key wins."""

_FIELDS = tuple(LifecycleModel.model_fields)


class Decoded(NamedTuple):
    """A document read by :func:`decode`."""

    head: dict[str, Any]
    """Every section but ``parts``, as ``json.loads`` reads them."""
    parts: PartTable
    """The parts, as :func:`~junkan.lifecycle.part_table.read_parts` reads them."""


def decode(text: str) -> Decoded | None:
    """The document in JSON ``text`` with its parts as a table, or ``None`` if the records
    do not take it (then read it the ordinary way, which reports its problems). Only
    documents with parts, and certainly within the document limits, are read here: the
    size of the text and the limits' bearing on the records (:func:`_records_within`),
    the parts' strings and prices as they are decoded (:func:`_records`), then the walk
    over the other sections (:func:`~junkan.core.documents.data_within`)."""
    lim = limits()
    if not (text_within_size(text, lim) and _records_within(lim)):
        return None
    if len(text) <= KEYS_TWICE_CHECKED_UP_TO and json_key_twice(text):
        return None  # the ordinary reader names the key given twice
    try:
        doc: Any = _decoder(lim.string_length, lim.integer_magnitude).decode(text)
    except (msgspec.MsgspecError, RecursionError, UnicodeError):
        return None  # a lone surrogate, which msgspec cannot encode to read: see json.loads
    parts = doc.parts
    if parts is UNSET or not parts:
        return None
    head = {name: v for name in _FIELDS if name != "parts" and (v := getattr(doc, name))
            is not UNSET}
    del doc
    try:
        table = _table(parts)
    except _Slow:
        return None
    if not data_within(head, lim):
        return None
    return Decoded(head, table)


_DEPTH = 6
"""Nesting of the parts' records in a document: ``parts`` (2), a part (3), its
``recovery`` (4), a route (5) and the route's ``processes`` (6)."""


_KEYS = max(len(name) for record in _records(1, 1.0)[:4]
            for name in record.__struct_fields__)
"""The longest key the records take (``remanufacture``): keys count as strings."""


def _records_within(lim: Limits) -> bool:
    """Whether the limits leave the records' shape alone, so that what the records take
    keeps every limit the walk over JSON data checks: their nesting (:data:`_DEPTH`), their
    keys, their numbers (shares, quantities up to a million) and masses read from text up
    to ``quantity_length`` characters; the strings and prices are checked while decoding
    (:func:`_records`)."""
    return lim.nesting_depth >= _DEPTH and lim.integer_magnitude >= 1e6 and \
        lim.quantity_length <= lim.string_length and lim.string_length >= _KEYS


_RECORD_FIELDS = ("title", "maker", "buyer", "price", "make", "recovery", "bom")
"""A record's fields, in the order :func:`_table` unpacks them."""


def _table(parts: dict[str, Any]) -> PartTable:
    """The parts' columns, as :func:`~junkan.lifecycle.part_table.read_parts` makes them
    (equal lists and mixes one object); raises :class:`_Slow` where that reader would hand
    the part to pydantic."""
    table = PartTable()
    table.names = names = list(parts)
    table.index = dict(zip(names, range(len(names)), strict=True))
    records = list(parts.values())  # one pass per field: half the time of a zip of rows
    title, maker, buyer, price, make, recovery, boms = (
        list(map(attrgetter(f), records)) for f in _RECORD_FIELDS)
    if not _types(price, _PRICE):
        raise _Slow  # an integer price: pydantic says what it wants
    table.title, table.maker, table.buyer, table.price = title, maker, buyer, price
    shared: dict[Any, Any] = {}
    keep = shared.setdefault
    table.make = [keep(tuple(m), m) for m in make]
    reuse, reman = ([None if o is None else _OPTION((
        o.share, o.pass_rate, keep(tuple(o.processes), o.processes), o.into))
        for o in map(attrgetter(route), recovery)] for route in ("reuse", "remanufacture"))
    if any(a is not None and b is not None and a[0] + b[0] > 1.0 + 1e-9
           for a, b in zip(reuse, reman, strict=True)):
        raise _Slow  # reuse and remanufacture shares above 1 together
    table.reuse, table.remanufacture = reuse, reman
    table.residual = [None if m is None else keep((dict, *m.items()), m)
                      for m in map(attrgetter("residual"), recovery)]
    table.bom_start = [0, *accumulate(map(len, boms))]
    lines = list(chain.from_iterable(boms))
    part, material, mass = (list(map(attrgetter(f), lines)) for f in ("part", "material", "mass"))
    if any(m is not None or x is not None if p is not None else m is None or x is None
           for p, m, x in zip(part, material, mass, strict=True)):
        raise _Slow  # a line naming both a part and a material, or a material without a mass
    table.line_part, table.line_material = part, material
    table.line_qty = list(map(attrgetter("quantity"), lines))
    table.line_mass = _masses(mass)
    return table


class LazyDocument:
    """A model's document as plain data, parsed from its text on first use.

    A document read by :func:`decode` is validated and compiled from its records; the plain
    data (what scenario overrides, forms and studies read) is parsed only when asked for —
    a model that is loaded and simulated never builds it (on the benchmark: 0.1 s and
    ~40 MiB less), and until then only the text is held."""

    __slots__ = ("_doc", "_lock", "_source", "_text")

    def __init__(self, text: str, source: str) -> None:
        """``text``: JSON that :func:`decode` read; the document is that text with its
        library templates applied (:func:`~junkan.lifecycle.loader.apply_library`)."""
        self._doc: dict[str, Any] | None = None
        self._text: str | None = text
        self._source = source
        self._lock = threading.Lock()

    @property
    def parsed(self) -> bool:
        """Whether the document has been parsed (asked for) yet."""
        return self._doc is not None

    def get(self) -> dict[str, Any]:
        """The document (parsed once; the same object after that: treat it as read-only)."""
        doc = self._doc
        if doc is None:
            with self._lock, paused_gc():
                if (doc := self._doc) is None:
                    assert self._text is not None
                    # the text was read and its limits checked when it was loaded:
                    # parsed as it was then, whatever the limits in force now
                    try:
                        doc = json.loads(self._text)
                    except RecursionError:  # msgspec read a few levels deeper (review 228)
                        raise ModelError([too_deep(limits()).problem("")],
                                         self._source) from None
                    doc = self._doc = apply_library(doc, self._source)
                    self._text = None
        return doc
