"""The property registry and the shipped criteria sets (``junkan/data/grading``), and the
checks that turn a criteria set into bounds in stored units: unknown property, unit
mismatch, contradictory rules and bounds a blend cannot honour are errors naming the set and
the rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from junkan.core.errors import ModelError, Problem, coded, listed, short
from junkan.core.quantities import convert, parse_quantity, to_unit, written_unit
from junkan.core.registry import UnitParseError
from junkan.grading.schema import CriteriaSet, Family, Rule

MixRule = Literal["mass", "log", "inverse", "min"]
ENUM_ATTRIBUTES = (
    "material.name",
    "material.family",
    "material.use",
    "process.route",
    "collection.source",
    "kind",
)
"""Attributes an ``enum`` rule may test, besides ``attributes.<key>``."""


@dataclass(frozen=True)
class PropertySpec:
    name: str
    unit: str
    scale: float
    display: str
    rule: MixRule
    method: str
    source: str
    max_ratio: float | None = None


class GradingError(ModelError):
    """Bad grading input: names the document or set, the path and the field."""


def _data(name: str) -> dict[str, Any]:
    text = (resources.files("junkan.data") / "grading" / name).read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


@lru_cache(maxsize=1)
def properties() -> dict[str, PropertySpec]:
    """The property registry: stored unit, mixing rule, test method and source."""
    doc = _data("properties.yaml")
    return {
        k: PropertySpec(
            k,
            v["unit"],
            float(v.get("scale", 1.0)),
            v["display"],
            v["rule"],
            v["method"],
            v["source"],
            v.get("max_ratio"),
        )
        for k, v in doc["properties"].items()
    }


@lru_cache(maxsize=1)
def substances() -> frozenset[str]:
    """Restricted substances known to the registry (concentrations in mg/kg)."""
    return frozenset(_data("properties.yaml")["substances"])


TOLERANCE = 1e-9
"""Relative tolerance of a limit: a value within 1e-9 of a limit (relative to the limit)
meets it, so that a value written in another unit (930 kg/m**3 against 0.93 g/cm³; 0.035 %
against 350 mg/kg) is not failed by the rounding of its conversion."""


def _unit_problem(where: str, exc: UnitParseError, stored: str | None = None) -> GradingError:
    """The error of a value that could not be read in its unit: a wrong dimension is a
    ``unit mismatch``; anything else (beyond the magnitude limit, unreadable) says so."""
    if exc.rule == "unit-mismatch":
        tail = f" (stored in {stored})" if stored else ""
        return GradingError([Problem(where, f"unit mismatch: {exc}{tail}")])
    return GradingError([exc.problem(where)])


def _read(value: str, unit: str, what: str, where: str, stored: str | None = None
          ) -> tuple[float, bool]:
    """``value`` (text) in ``unit``, and whether it names a unit. Text naming none (``"75"``,
    ``"1.8"``) gives the number it spells, to be read as that bare number is (review A1: a
    unitless ``"75"`` was read as a fraction, 7500 %)."""
    try:
        if written_unit(value):  # "<number> <unit>": the fast path
            return to_unit(value, unit, what=what), True
        q = parse_quantity(value)
        if q.unitless:
            return float(q.to("dimensionless").magnitude), False
        return convert(q, unit, value=value, what=what), True
    except UnitParseError as exc:
        raise _unit_problem(where, exc, stored) from None


@lru_cache(maxsize=1)
def share_limits() -> dict[str, tuple[float, str]]:
    """The upper bound of each property stored in percent, with its reason: a mass share
    (shown in wt %) is at most 100 wt %; a Battery Pass percentage has the bound the Battery
    Pass subset gives it (``batterypass.yaml``: published, or an assumption said there). A
    property in % with neither (water content: water / dry solids) has none."""
    out = {k: (100.0, "") for k, p in properties().items() if p.display == "wt %"}
    bp = _data("batterypass.yaml")
    for a in bp.get("attributes", []):
        name = str(a.get("junkan", "")).removeprefix("properties.")
        spec = properties().get(name)
        if spec is not None and spec.unit == "%" and a.get("max") is not None:
            why = (bp.get("bounds") or {}).get(a.get("bounds"), "the Battery Pass subset's")
            out[name] = (float(a["max"]), str(why))
    return out


def _within_share(name: str, v: float, where: str) -> None:
    limit = share_limits().get(name)
    if limit is None or v <= limit[0]:
        return
    if not limit[1]:
        raise GradingError([coded(where, "mass-share-above-100", "{name} = {value} wt % is "
                                  "out of range: must be <= 100 wt % (a mass share is at "
                                  "most all of the mass)", name=name, value=f"{v:.6g}")])
    raise GradingError([coded(where, "percent-above-bound", "{name} = {value} % is out of "
                              "range: must be <= {limit} % ({why})", name=name,
                              value=f"{v:.6g}", limit=f"{limit[0]:g}", why=limit[1])])


def property_value(name: str, value: Any, where: str) -> float:
    """A property value in its stored unit; ``where`` names the field in errors. A number
    (``75``, or the text ``"75"``) is in the stored unit when that is percent (``ash``,
    ``state_of_certified_energy``) and refused for every other unit (write the unit)."""
    spec = properties().get(name)
    if spec is None:
        raise GradingError(
            [
                coded(
                    where,
                    "unknown-property",
                    "unknown property {name}; known: {known}",
                    name=short(name),
                    known=listed(sorted(properties())),
                )
            ]
        )
    if isinstance(value, bool):
        raise GradingError(
            [
                coded(
                    where,
                    "quantity-expected",
                    "expected a quantity, got {value}",
                    value=short(value),
                )
            ]
        )
    v, named = (_read(value, spec.unit, name, where, spec.display) if isinstance(value, str)
                else (float(value), False))
    if not named and spec.unit != "%":
        raise GradingError(
            [
                coded(
                    where,
                    "unit-needed",
                    "write the unit, e.g. '{value} {unit}' ({name} is stored in {unit})",
                    value=value.strip() if isinstance(value, str) else value,
                    unit=spec.display,
                    name=name,
                )
            ]
        )
    if named:
        v *= spec.scale
    if not math.isfinite(v) or v < 0:
        raise GradingError(
            [
                coded(
                    where,
                    "finite-non-negative",
                    "{name} must be a finite, non-negative value",
                    name=name,
                )
            ]
        )
    _within_share(name, v, where)
    if spec.rule in ("log", "inverse") and v <= 0:
        raise GradingError(
            [
                coded(
                    where,
                    "mix-needs-positive",
                    "{name} must be greater than 0 (it mixes by the {rule} rule)",
                    name=name,
                    rule=spec.rule,
                )
            ]
        )
    return v


def concentration(value: Any, where: str) -> float:
    """A concentration in mg/kg (``"120 mg/kg"``, ``"0.1 %"``, or a number in mg/kg)."""
    if isinstance(value, bool):
        raise GradingError(
            [
                coded(
                    where,
                    "concentration-expected",
                    "expected a concentration, got {value}",
                    value=short(value),
                )
            ]
        )
    # a number, or text naming no unit ("40"), is in mg/kg
    v = float(value) if isinstance(value, int | float) else _read(value, "mg/kg",
                                                                  "concentration", where)[0]
    if not math.isfinite(v) or not 0 <= v <= 1e6:
        raise GradingError(
            [
                coded(
                    where, "concentration-range", "a concentration is between 0 and 1,000,000 mg/kg"
                )
            ]
        )
    return v


@dataclass(frozen=True)
class Bound:
    """A range rule in stored units: the feature it reads and its window."""

    feature: str
    lo: float
    hi: float
    rule: MixRule
    index: int

    @property
    def lo_ok(self) -> float:
        """The least value that meets the bound: ``lo`` less its tolerance (:data:`TOLERANCE`)."""
        return self.lo - TOLERANCE * abs(self.lo) if math.isfinite(self.lo) else self.lo

    @property
    def hi_ok(self) -> float:
        """The greatest value that meets the bound: ``hi`` plus its tolerance."""
        return self.hi + TOLERANCE * abs(self.hi) if math.isfinite(self.hi) else self.hi


def feature_of(rule: Rule, where: str) -> tuple[str, MixRule]:
    """The feature a range rule reads (``mfr``, ``composition.Fe``, ``restricted.pbde_sum``
    for the mean, ``restricted_max.pbde_sum`` for the worst input) and how it mixes."""
    name = rule.property or ""
    head, _, tail = name.partition(".")
    if head == "composition" and tail:
        return name, "mass"
    if head == "restricted" and tail:
        if tail not in substances():
            raise GradingError(
                [
                    coded(
                        where,
                        "unknown-substance",
                        "unknown restricted substance {name}; known: {known}",
                        name=short(tail),
                        known=", ".join(sorted(substances())),
                    )
                ]
            )
        return (f"restricted_max.{tail}", "min") if rule.basis == "max" else (name, "mass")
    spec = properties().get(name)
    if spec is None:
        raise GradingError(
            [
                coded(
                    where,
                    "unregistered-property",
                    "unknown property {name}; use a registered property, "
                    "composition.<element> or restricted.<substance>",
                    name=short(name),
                )
            ]
        )
    return name, spec.rule


def _bound_value(rule: Rule, side: str, feature: str, where: str) -> float:
    v = getattr(rule, side)
    if feature.startswith("composition."):
        # a number, or text naming no unit ("0.5"), is in wt %
        read = _read(v, "%", "wt %", where)[0] if isinstance(v, str) else float(v)
        if not 0 <= read <= 100:
            raise GradingError([coded(where, "composition-bound-range", "{feature}: a bound on "
                                      "a composition is between 0 and 100 wt %, got {value}",
                                      feature=feature, value=f"{read:.6g}")])
        return read
    if feature.startswith("restricted"):
        return concentration(v, where)
    return property_value(feature, v, where)


def bounds(cs: CriteriaSet, as_of: date | None = None
           ) -> tuple[list[Bound], list[tuple[str, frozenset[str]]], list[str]]:
    """A set's range bounds, enum tests and required certificates on ``as_of`` (default
    today: a rule with a period counts only within it), checked: unknown names, units, min >
    max, two windows on one feature that do not overlap, and an upper bound on a worst-case
    (``min``-rule) property — which no blend could be graded by. Every rule is checked, in
    force or not: the problems of all come in one :class:`GradingError`."""
    day = as_of or date.today()
    ranges: dict[str, Bound] = {}
    enums: list[tuple[str, frozenset[str]]] = []
    certs: list[str] = []
    problems: list[Problem] = []
    for i, rule in enumerate(cs.rules):
        where = f"{cs.id}.rules[{i}]"
        live = rule.in_force(day)
        try:
            if rule.type == "range":
                ranges_add(ranges if live else {}, rule, i, where)
            elif rule.type == "enum":
                test = _enum_test(rule, where)
                enums += [test] if live else []
            else:
                if not rule.kind:
                    raise GradingError([coded(where + ".kind", "certificate-kind-needed",
                                              "name the certificate kind")])
                certs += [rule.kind] if live else []
        except GradingError as exc:
            problems.extend(exc.problems)
    if problems:
        raise GradingError(problems)
    return list(ranges.values()), enums, certs


def _enum_test(rule: Rule, where: str) -> tuple[str, frozenset[str]]:
    attr = rule.attribute or ""
    if not (attr in ENUM_ATTRIBUTES or attr.startswith("attributes.")):
        raise GradingError(
            [
                coded(
                    where + ".attribute",
                    "unknown-attribute",
                    "unknown attribute {name}; use {known} or attributes.<key>",
                    name=short(attr),
                    known=", ".join(ENUM_ATTRIBUTES),
                )
            ]
        )
    if not rule.allowed:
        raise GradingError(
            [coded(where + ".allowed", "allowed-needed", "list the allowed values")]
        )
    return attr, frozenset(rule.allowed)


def ranges_add(ranges: dict[str, Bound], rule: Rule, i: int, where: str) -> None:
    if rule.property is None:
        raise GradingError(
            [coded(where + ".property", "range-property-needed", "a range rule needs a property")]
        )
    if rule.min is None and rule.max is None:
        raise GradingError(
            [coded(where, "range-bounds-needed", "a range rule needs min, max or both")]
        )
    feature, mix = feature_of(rule, where + ".property")
    lo = -math.inf if rule.min is None else _bound_value(rule, "min", feature, where + ".min")
    hi = math.inf if rule.max is None else _bound_value(rule, "max", feature, where + ".max")
    if lo > hi:
        raise GradingError(
            [
                coded(
                    where,
                    "min-above-max",
                    "contradictory: min {min} is above max {max}",
                    min=f"{lo:g}",
                    max=f"{hi:g}",
                )
            ]
        )
    if mix == "min" and not feature.startswith("restricted_max") and hi < math.inf:
        raise GradingError(
            [
                coded(
                    where + ".max",
                    "worst-case-max",
                    "{feature} mixes by worst case (the weakest input): a blend can only be "
                    "held to a minimum; remove max",
                    feature=feature,
                )
            ]
        )
    if mix == "min" and feature.startswith("restricted_max") and lo > -math.inf:
        raise GradingError(
            [
                coded(
                    where + ".min",
                    "restricted-min",
                    "a restricted substance is held to a maximum; remove min",
                )
            ]
        )
    old = ranges.get(feature)
    if old is not None:
        lo, hi = max(lo, old.lo), min(hi, old.hi)
        if lo > hi:
            raise GradingError(
                [
                    coded(
                        where,
                        "windows-disjoint",
                        "contradictory: the window on {feature} does not overlap rule {rule}'s",
                        feature=feature,
                        rule=old.index,
                    )
                ]
            )
    ranges[feature] = Bound(feature, lo, hi, mix, i)


def check_periods(cs: CriteriaSet) -> None:
    """:func:`bounds` on the first day of each period a set's dated rules make (before the
    first ``since`` or ``until``, and from each), so rules in force together are checked
    together whatever the day; each problem once."""
    days = sorted({date.min, *(d for r in cs.rules for d in (r.since, r.until) if d)})
    problems: dict[tuple[str, str], Problem] = {}
    for day in days:
        try:
            bounds(cs, day)
        except GradingError as exc:
            problems.update({(p.path, p.message): p for p in exc.problems})
    if problems:
        raise GradingError(list(problems.values()))


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, CriteriaSet], dict[str, Family]]:
    sets: dict[str, CriteriaSet] = {}
    families: dict[str, Family] = {}
    names: dict[str, list[str]] = {}
    for name in ("scrap.yaml", "plastics.yaml", "soil.yaml"):
        doc = _data(f"criteria/{name}")
        names.update(doc.get("names") or {})
        for raw in doc["sets"]:
            cs = CriteriaSet.model_validate(raw)
            check_periods(cs)  # shipped sets pass the same checks as users'
            sets[cs.id] = cs
        for key, raw in (doc.get("families") or {}).items():
            families[key] = Family.model_validate(raw)
    sets.update(alloy_buyer_sets(names["aluminium"]))
    return sets, families


def alloy_buyer_sets(aluminium: list[str]) -> dict[str, CriteriaSet]:
    """The alloy buyers' windows (``junkan.alloys``' library) as sets ``alloy-buyer.<key>``,
    for ``aluminium`` (scrap.yaml's names): a window says nothing of what the material is (a
    PP lot with an aluminium-like analysis passed, review); ``[aluminium]`` refused Aluminum."""
    from junkan.alloys import load_alloy_library

    out = {}
    for key, buyer in load_alloy_library().buyers.items():
        rules = [
            Rule(type="range", property=f"composition.{el}", max=float(v))
            for el, v in buyer.max.items()
        ]
        for el, v in buyer.min.items():
            rules.append(Rule(type="range", property=f"composition.{el}", min=float(v)))
        uses_assumption = "assumption" in buyer.source.lower()
        out[f"alloy-buyer.{key}"] = CriteriaSet(
            id=f"alloy-buyer.{key}",
            version="data/alloys/market.yaml",
            title=buyer.name,
            status="partial" if uses_assumption else "sourced",
            source=buyer.source,
            materials=aluminium,
            rules=rules,
        )
    return out


def shipped_sets() -> dict[str, CriteriaSet]:
    """Every shipped criteria set by id."""
    return dict(_shipped()[0])


def families() -> dict[str, Family]:
    """Ranked families of shipped sets (``soil-mlit``)."""
    return dict(_shipped()[1])
