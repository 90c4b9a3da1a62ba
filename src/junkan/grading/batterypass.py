"""Battery Pass export and import: a grading record of a traction (EV) battery as the
attribute subset of the Battery Pass Data Model v1.2.0 listed, with its source, in
``data/grading/batterypass.yaml`` — published payload names, nesting and units — and back.

    doc = grading.to_batterypass(item)        # {"GeneralProductInformation": {...}, ...}
    item = grading.from_batterypass(doc)      # a dict or JSON text
    grading.batterypass_unmapped(doc)         # attributes outside junkan's subset

Values are written in the published units (``ratedCapacity`` in Ah, ``batteryMass`` in kg,
shares in %). Export refuses a record whose value is missing where the subset needs it, is
in the wrong unit or out of range, naming the record's field (``item.properties.
rated_capacity.value``); import refuses the same naming the attribute path
(``PerformanceAndDurability.batteryTechicalProperties.ratedCapacity``). Pure Python: no
extra needed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from junkan.core.errors import Problem, coded, short
from junkan.core.quantities import UnitParseError, to_unit
from junkan.grading.batterypass_rules import contradictions, note
from junkan.grading.catalogue import GradingError, properties, property_value
from junkan.grading.schema import Item

META = "junkan:batteryPass"
"""Top-level key of an export that names the model version, aspects and source."""
MAX_DOCUMENT = 5_000_000
"""Largest Battery Pass JSON text :func:`from_batterypass` reads (characters)."""
MAX_DEPTH = 20
_SEGMENT = re.compile(r"([A-Za-z][A-Za-z0-9]*)(?:\[([A-Za-z]+)=([A-Za-z0-9]+)\])?")
_NUMBER_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
_MISSING = object()


class BatteryPassError(GradingError):
    """A record that cannot be written as, or a document that is not, a Battery Pass
    record of junkan's subset; each problem names the field or attribute path."""


@dataclass(frozen=True)
class Attribute:
    """One Battery Pass attribute of the subset and where it lives in a grading record."""

    path: str
    urn: str
    junkan: str
    type: Literal["text", "enum", "number"]
    pint: str | None = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    allowed: tuple[str, ...] = ()
    required: bool = False
    dated: bool = False

    @property
    def parent(self) -> str:
        return self.path.rsplit(".", 1)[0]


@lru_cache(maxsize=1)
def attribute_set() -> dict[str, Any]:
    """The data file: model version, aspects, source, the attributes and what is left out."""
    text = (resources.files("junkan.data") / "grading" / "batterypass.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


@lru_cache(maxsize=1)
def attributes() -> tuple[Attribute, ...]:
    """The subset's attributes; a property the data file maps must be stored in the
    published unit (checked here, so export and import never convert)."""
    out = []
    props = properties()
    for a in attribute_set()["attributes"]:
        attr = Attribute(
            a["path"],
            a["urn"],
            a["junkan"],
            a["type"],
            a.get("pint"),
            a.get("min"),
            a.get("max"),
            bool(a.get("min_exclusive", False)),
            tuple(a.get("allowed", ())),
            bool(a.get("required", False)),
            bool(a.get("dated", False)),
        )
        if attr.junkan.startswith("properties."):
            spec = props[attr.junkan.split(".", 1)[1]]
            if (spec.unit, spec.scale) != (attr.pint, 1.0):
                raise ValueError(f"{attr.path}: property {spec.name} is not stored in {attr.pint}")
        out.append(attr)
    return tuple(out)


def _segments(path: str) -> list[tuple[str, tuple[str, str] | None]]:
    out = []
    for seg in path.split("."):
        m = _SEGMENT.fullmatch(seg)
        if m is None:
            raise ValueError(f"bad attribute path {path!r}")
        out.append((m[1], (m[2], m[3]) if m[2] else None))
    return out


def _check_value(a: Attribute, v: Any, where: str, export: bool = False) -> Problem | None:
    """Why ``v`` (already in the published unit) is not acceptable, as a problem at ``where``
    (on export, its message starts with the attribute's path), or None."""
    at = {"attribute": a.path} if export else {}
    if a.type == "number":
        low = a.lo is not None and (v < a.lo or (a.lo_open and v == a.lo))
        if math.isfinite(v) and not low and (a.hi is None or v <= a.hi):
            return None
        if not math.isfinite(v):
            rule = "must be a finite number"
            if export:
                return coded(where, "pass-finite-number", "{attribute}: " + rule, **at)
            return coded(where, "finite-number", rule)
        op, limit = (">" if a.lo_open else ">=", a.lo) if low else ("<=", a.hi)
        q = {"value": f"{v:g}", "unit": str(a.pint), "op": op, "limit": f"{limit:g}", **at}
        rule = "out of range: {value} {unit}; must be {op} {limit} {unit}"
        if export:
            return coded(where, "pass-out-of-range", "{attribute}: " + rule, **q)
        return coded(where, "out-of-range", rule, **q)
    if not isinstance(v, str) or not v.strip() or len(v) > 200:
        rule, q = "expected text of 1 to 200 characters, got {value}", {"value": short(v), **at}
        if export:
            return coded(where, "pass-text-expected", "{attribute}: " + rule, **q)
        return coded(where, "text-expected", rule, **q)
    if a.allowed and v not in a.allowed:
        rule, q = "{value} is not one of {allowed}", {"value": short(v), **at}
        q["allowed"] = str(list(a.allowed))
        if export:
            return coded(where, "pass-not-allowed", "{attribute}: " + rule, **q)
        return coded(where, "not-allowed", rule, **q)
    return None


# ---- export --------------------------------------------------------------------------


def _from_item(item: Item, a: Attribute) -> Any:
    """The attribute's value taken from the record (in the published unit), or None."""
    where, _, key = a.junkan.partition(".")
    if a.junkan == "id":
        return item.id
    if where == "attributes":
        v = item.attributes.get(key)
        if isinstance(v, list):
            raise BatteryPassError(
                [coded(f"item.{a.junkan}", "one-value-expected", "expected one value, not a list")]
            )
        return v
    if a.junkan == "material.family":
        return item.material.family
    if a.junkan == "quantity.mass":
        return item.quantity.mass
    if a.junkan == "environment.absolute":
        env = item.environment
        return None if env is None else env.cfp_kgco2e_per_kg * item.quantity.mass
    if where == "properties":
        pv = item.properties.get(key)
        if pv is None:
            return None
        return property_value(key, pv.value, f"item.properties.{key}.value")
    raise ValueError(f"{a.path}: unknown junkan location {a.junkan!r}")


def _field(a: Attribute) -> str:
    return f"item.{a.junkan}" + (".value" if a.junkan.startswith("properties.") else "")


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    node: Any = doc
    segs = _segments(path)
    for i, (name, sel) in enumerate(segs):
        last = i == len(segs) - 1
        if sel is None:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        rows = node.setdefault(name, [])
        row = next((r for r in rows if r.get(sel[0]) == sel[1]), None)
        if row is None:
            row = {sel[0]: sel[1]}
            rows.append(row)
        node = row
    raise ValueError(f"bad attribute path {path!r}")


def _stamp(item: Item) -> str | None:
    key = attribute_set()["last_update"].split(".", 1)[1]
    v = item.attributes.get(key)
    if v is None:
        return None
    if not isinstance(v, str) or _datetime(v) is None:
        where = f"item.attributes.{key}"
        raise BatteryPassError(
            [coded(where, "stamp-unreadable", "expected an ISO 8601 date-time with its zone")]
        )
    return v


def _datetime(v: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(v)
    except ValueError:
        return None
    return t if "T" in v and t.tzinfo is not None else None


def to_batterypass(item: Item) -> dict[str, Any]:
    """The record as a Battery Pass document (a JSON-serialisable dict) of junkan's subset:
    one object per aspect with the published payload names, plus :data:`META`."""
    meta = attribute_set()
    doc: dict[str, Any] = {
        META: {
            "model": f"{meta['model']} {meta['version']}",
            "aspects": meta["aspects"],
            "source": meta["source"],
            "subset": "junkan's traction-battery subset (data/grading/batterypass.yaml)",
        }
    }
    problems: list[Problem] = []
    found: dict[str, tuple[float, str]] = {}
    stamp = _stamp(item)
    for a in attributes():
        try:
            v = _from_item(item, a)
        except GradingError as exc:
            problems.extend(exc.problems)
            continue
        if v is None:
            if a.required:
                need = "missing: the Battery Pass needs {attribute}"
                problems.append(coded(_field(a), "pass-needs", need, attribute=a.path))
            continue
        why = _check_value(a, v, _field(a), export=True)
        if why:
            problems.append(why)
            continue
        _put(doc, a.path, v)
        note(found, a.junkan, v, _field(a))
        if a.dated and stamp is not None:
            _put(doc, a.parent + ".lastUpdate", stamp)
    problems += contradictions(found, _soce_max())
    if problems:
        raise BatteryPassError(problems)
    return doc


def _soce_max() -> float:
    return next(a.hi or math.inf for a in attributes() if a.junkan.endswith("certified_energy"))


# ---- import --------------------------------------------------------------------------


class _Shape(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _get(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    done: list[str] = []
    for name, sel in _segments(path):
        if not isinstance(node, Mapping):
            got = "expected an object, got {value}"
            raise _Shape(coded(".".join(done), "object-expected", got, value=short(node)))
        done.append(name)
        node = node.get(name, _MISSING)
        if node is _MISSING or node is None:
            return _MISSING
        if sel is not None:
            if not isinstance(node, list):
                got = "expected a list, got {value}"
                raise _Shape(coded(".".join(done), "list-expected", got, value=short(node)))
            rows = [r for r in node if isinstance(r, Mapping) and r.get(sel[0]) == sel[1]]
            done[-1] += f"[{sel[0]}={sel[1]}]"
            if len(rows) > 1:
                many = "{count} entries for {name}; give one"
                raise _Shape(
                    coded(".".join(done), "entries-repeated", many, count=len(rows), name=sel[1])
                )
            if not rows:
                return _MISSING
            node = rows[0]
    return node


def _number(a: Attribute, v: Any) -> float:
    """A number in the published unit, or text with a unit converted to it."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        got = "expected a number in {unit}, got {value}"
        raise _Shape(
            coded(a.path, "number-in-unit-expected", got, unit=str(a.pint), value=short(v))
        )
    if isinstance(v, str):
        if _NUMBER_TEXT.fullmatch(v):
            raise _Shape(
                coded(
                    a.path,
                    "number-as-text",
                    "a number written as text ({value}): give a JSON number in {unit} or the "
                    "value with its unit",
                    value=short(v),
                    unit=str(a.pint),
                )
            )
        try:
            return to_unit(v, a.pint or "", what=a.path.rsplit(".", 1)[-1])
        except UnitParseError as exc:
            raise _Shape(
                Problem(a.path, f"unit mismatch: {exc} (published unit: {a.pint})")
            ) from None
    return float(v)


def _parse(doc: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(doc, Mapping):
        return doc
    text = doc.decode("utf-8") if isinstance(doc, bytes) else doc
    if len(text) > MAX_DOCUMENT:
        big = "document of {size} characters, above {limit}"
        raise BatteryPassError(
            [coded("", "pass-too-long", big, size=len(text), limit=MAX_DOCUMENT)]
        )
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BatteryPassError([Problem("", f"not JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise BatteryPassError(
            [coded("", "pass-not-object", "a Battery Pass document is a JSON object")]
        )
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a Battery Pass value may hold")


def _record(a: Attribute, v: Any, rec: dict[str, Any]) -> None:
    """Put an accepted value into the record being built."""
    where, _, key = a.junkan.partition(".")
    if a.junkan == "id":
        rec["id"] = v
    elif where == "attributes":
        rec["attributes"][key] = v
    elif a.junkan == "material.family":
        rec["material"]["family"] = v
    elif a.junkan == "quantity.mass":
        rec["quantity"]["mass"] = v
    elif a.junkan == "environment.absolute":
        rec["absolute"] = v
    elif where == "properties":
        rec["properties"][key] = {"value": f"{v!r} {a.pint}"}


def _read_attributes(data: Mapping[str, Any], rec: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    stamps: dict[str, str] = {}
    found: dict[str, tuple[float, str]] = {}
    for a in attributes():
        try:
            v = _get(data, a.path)
            if v is _MISSING:
                if a.required:
                    problems.append(
                        coded(a.path, "subset-needs", "missing: junkan's subset needs it")
                    )
                continue
            if a.type == "number":
                v = _number(a, v)
            why = _check_value(a, v, a.path)
            if why:
                raise _Shape(why)
            if a.dated:
                t = _get(data, a.parent + ".lastUpdate")
                if t is not _MISSING:
                    if not isinstance(t, str) or _datetime(t) is None:
                        raise _Shape(
                            coded(
                                a.parent + ".lastUpdate",
                                "last-update-unreadable",
                                "expected an ISO 8601 date-time with its zone, got {value}",
                                value=short(t),
                            )
                        )
                    stamps[a.parent + ".lastUpdate"] = t
        except _Shape as exc:  # a list entry given twice is one problem of all its attributes
            problems += [] if exc.problem in problems else [exc.problem]
            continue
        _record(a, v, rec)
        note(found, a.junkan, v, a.path)
    if len({_datetime(t) for t in stamps.values()}) > 1:
        first, *_ = stamps
        problems.extend(
            coded(
                p,
                "stamps-differ",
                "{stamp}: differs from {first} ({first_stamp}); a grading record keeps one "
                "time stamp for the battery condition",
                stamp=t,
                first=first,
                first_stamp=stamps[first],
            )
            for p, t in stamps.items()
            if _datetime(t) != _datetime(stamps[first])
        )
    elif stamps:
        key = attribute_set()["last_update"].split(".", 1)[1]
        rec["attributes"][key] = next(iter(stamps.values()))
    return problems + contradictions(found, _soce_max())


def from_batterypass(doc: Mapping[str, Any] | str | bytes) -> Item:
    """The grading record of a Battery Pass document (as :func:`to_batterypass` writes it,
    or any document holding the subset's attributes): a ``used_product`` whose material is
    ``battery``. Attributes outside the subset are ignored (:func:`batterypass_unmapped`)."""
    data = _parse(doc)
    if not set(aspects := attribute_set()["aspects"]) & set(data):
        none = "not a Battery Pass document: it has none of the aspects {aspects}"
        raise BatteryPassError([coded("", "pass-no-aspect", none, aspects=", ".join(aspects))])
    rec: dict[str, Any] = {
        "kind": "used_product",
        "material": {"name": "battery", "use": "traction"},
        "properties": {},
        "attributes": {},
        "quantity": {},
    }
    problems = _read_attributes(data, rec)
    if problems:
        raise BatteryPassError(problems)
    absolute = rec.pop("absolute", None)
    if absolute is not None:
        rec["environment"] = {
            "cfp_kgco2e_per_kg": absolute / rec["quantity"]["mass"],
            "source": "batterypass:absoluteCarbonFootprint",
        }
    try:
        return Item.model_validate(rec)
    except ValidationError as exc:
        raise BatteryPassError(
            [Problem(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        ) from None


def _leaves(node: Any, path: str, depth: int = 0) -> list[str]:
    if depth > MAX_DEPTH:
        return [path + ".…"]
    if isinstance(node, Mapping):
        return [
            q
            for k, v in node.items()
            for q in _leaves(v, f"{path}.{k}" if path else str(k), depth + 1)
        ]
    if isinstance(node, list) and any(isinstance(x, Mapping) for x in node):
        out = []
        for i, x in enumerate(node):
            tag = next((f"[{k}={v}]" for k, v in x.items() if k == "recycledMaterial"),
                       f"[{i}]") if isinstance(x, Mapping) else f"[{i}]"  # plain values too
            out += _leaves(x, path + tag, depth + 1) if isinstance(x, Mapping) else [path + tag]
        return out
    return [path]


def batterypass_unmapped(doc: Mapping[str, Any] | str | bytes) -> list[str]:
    """Attribute paths of a Battery Pass document outside junkan's subset (ignored on
    import), sorted."""
    data = _parse(doc)
    known = {a.path for a in attributes()}
    known |= {a.parent + ".lastUpdate" for a in attributes() if a.dated}
    keys = {
        a.parent + "." + a.path.split("[", 1)[1].split("=")[0]
        for a in attributes()
        if "[" in a.path
    }
    rest = {k: v for k, v in data.items() if k != META}
    return sorted(p for p in _leaves(rest, "") if p not in known and p not in keys)
