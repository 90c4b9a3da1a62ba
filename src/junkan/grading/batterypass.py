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

from junkan.core.errors import Problem, short
from junkan.core.quantities import UnitParseError, to_unit
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


def _check_value(a: Attribute, v: Any) -> str | None:
    """Why ``v`` (already in the published unit) is not acceptable, or None."""
    if a.type == "number":
        if not math.isfinite(v):
            return "must be a finite number"
        if a.lo is not None and (v < a.lo or (a.lo_open and v == a.lo)):
            op = ">" if a.lo_open else ">="
            return f"out of range: {v:g} {a.pint}; must be {op} {a.lo:g} {a.pint}"
        if a.hi is not None and v > a.hi:
            return f"out of range: {v:g} {a.pint}; must be <= {a.hi:g} {a.pint}"
        return None
    if not isinstance(v, str) or not v.strip() or len(v) > 200:
        return f"expected text of 1 to 200 characters, got {short(v)}"
    if a.allowed and v not in a.allowed:
        return f"{v!r} is not one of {list(a.allowed)}"
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
            raise BatteryPassError([Problem(f"item.{a.junkan}", "expected one value, not a list")])
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
        raise BatteryPassError(
            [Problem(f"item.attributes.{key}", "expected an ISO 8601 date-time with its zone")]
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
    stamp = _stamp(item)
    for a in attributes():
        try:
            v = _from_item(item, a)
        except GradingError as exc:
            problems.extend(exc.problems)
            continue
        if v is None:
            if a.required:
                problems.append(Problem(_field(a), f"missing: the Battery Pass needs {a.path}"))
            continue
        why = _check_value(a, v)
        if why:
            problems.append(Problem(_field(a), f"{a.path}: {why}"))
            continue
        _put(doc, a.path, v)
        if a.dated and stamp is not None:
            _put(doc, a.parent + ".lastUpdate", stamp)
    if problems:
        raise BatteryPassError(problems)
    return doc


# ---- import --------------------------------------------------------------------------


class _Shape(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def _get(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    done: list[str] = []
    for name, sel in _segments(path):
        if not isinstance(node, Mapping):
            raise _Shape(".".join(done), f"expected an object, got {short(node)}")
        done.append(name)
        node = node.get(name, _MISSING)
        if node is _MISSING or node is None:
            return _MISSING
        if sel is not None:
            if not isinstance(node, list):
                raise _Shape(".".join(done), f"expected a list, got {short(node)}")
            rows = [r for r in node if isinstance(r, Mapping) and r.get(sel[0]) == sel[1]]
            done[-1] += f"[{sel[0]}={sel[1]}]"
            if len(rows) > 1:
                raise _Shape(".".join(done), f"{len(rows)} entries for {sel[1]}; give one")
            if not rows:
                return _MISSING
            node = rows[0]
    return node


def _number(a: Attribute, v: Any) -> float:
    """A number in the published unit, or text with a unit converted to it."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise _Shape(a.path, f"expected a number in {a.pint}, got {short(v)}")
    if isinstance(v, str):
        if _NUMBER_TEXT.fullmatch(v):
            raise _Shape(
                a.path,
                f"a number written as text ({v!r}): give a JSON number in "
                f"{a.pint} or the value with its unit",
            )
        try:
            return to_unit(v, a.pint or "", what=a.path.rsplit(".", 1)[-1])
        except UnitParseError as exc:
            raise _Shape(a.path, f"unit mismatch: {exc} (published unit: {a.pint})") from None
    return float(v)


def _parse(doc: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(doc, Mapping):
        return doc
    text = doc.decode("utf-8") if isinstance(doc, bytes) else doc
    if len(text) > MAX_DOCUMENT:
        raise BatteryPassError(
            [Problem("", f"document of {len(text)} characters, above {MAX_DOCUMENT}")]
        )
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BatteryPassError([Problem("", f"not JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise BatteryPassError([Problem("", "a Battery Pass document is a JSON object")])
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
    for a in attributes():
        try:
            v = _get(data, a.path)
            if v is _MISSING:
                if a.required:
                    problems.append(Problem(a.path, "missing: junkan's subset needs it"))
                continue
            if a.type == "number":
                v = _number(a, v)
            why = _check_value(a, v)
            if why:
                raise _Shape(a.path, why)
            if a.dated:
                t = _get(data, a.parent + ".lastUpdate")
                if t is not _MISSING:
                    if not isinstance(t, str) or _datetime(t) is None:
                        raise _Shape(
                            a.parent + ".lastUpdate",
                            f"expected an ISO 8601 date-time with its zone, got {short(t)}",
                        )
                    stamps[a.parent + ".lastUpdate"] = t
        except _Shape as exc:
            problems.append(Problem(exc.path, exc.message))
            continue
        _record(a, v, rec)
    if len({_datetime(t) for t in stamps.values()}) > 1:
        first, *_ = stamps
        problems.extend(
            Problem(
                p,
                f"{t}: differs from {first} ({stamps[first]}); a grading record keeps "
                "one time stamp for the battery condition",
            )
            for p, t in stamps.items()
            if _datetime(t) != _datetime(stamps[first])
        )
    elif stamps:
        key = attribute_set()["last_update"].split(".", 1)[1]
        rec["attributes"][key] = next(iter(stamps.values()))
    return problems


def from_batterypass(doc: Mapping[str, Any] | str | bytes) -> Item:
    """The grading record of a Battery Pass document (as :func:`to_batterypass` writes it,
    or any document holding the subset's attributes): a ``used_product`` whose material is
    ``battery``. Attributes outside the subset are ignored (:func:`batterypass_unmapped`)."""
    data = _parse(doc)
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
            tag = next((f"[{k}={v}]" for k, v in x.items() if k == "recycledMaterial"), f"[{i}]")
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
