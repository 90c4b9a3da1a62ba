"""The property registry and the shipped criteria sets (``junkan/data/grading``), and the
checks that turn a criteria set into bounds in stored units: unknown property, unit
mismatch, contradictory rules and bounds a blend cannot honour are errors naming the set and
the rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from junkan.core.errors import ModelError, Problem, coded, listed, short
from junkan.core.quantities import to_unit
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


def property_value(name: str, value: Any, where: str) -> float:
    """A property value in its stored unit; ``where`` names the field in errors."""
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
    if isinstance(value, int | float):
        if spec.unit != "%":
            raise GradingError(
                [
                    coded(
                        where,
                        "unit-needed",
                        "write the unit, e.g. '{value} {unit}' ({name} is stored in {unit})",
                        value=value,
                        unit=spec.display,
                        name=name,
                    )
                ]
            )
        v = float(value)
    else:
        try:
            v = to_unit(value, spec.unit, what=name) * spec.scale
        except UnitParseError as exc:
            raise GradingError(
                [Problem(where, f"unit mismatch: {exc} (stored in {spec.display})")]
            ) from None
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
    if isinstance(value, int | float):
        v = float(value)
    else:
        try:
            v = to_unit(value, "mg/kg", what="concentration")
        except UnitParseError as exc:
            raise GradingError([Problem(where, f"unit mismatch: {exc}")]) from None
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
        if isinstance(v, str):
            try:
                return to_unit(v, "%", what="wt %")
            except UnitParseError as exc:
                raise GradingError([Problem(where, f"unit mismatch: {exc}")]) from None
        return float(v)
    if feature.startswith("restricted"):
        return concentration(v, where)
    return property_value(feature, v, where)


def bounds(cs: CriteriaSet) -> tuple[list[Bound], list[tuple[str, frozenset[str]]], list[str]]:
    """A set's range bounds, enum tests and required certificates, checked: unknown names,
    units, min > max, two windows on one feature that do not overlap, and an upper bound on a
    worst-case (``min``-rule) property — which no blend could be graded by."""
    ranges: dict[str, Bound] = {}
    enums: list[tuple[str, frozenset[str]]] = []
    certs: list[str] = []
    for i, rule in enumerate(cs.rules):
        where = f"{cs.id}.rules[{i}]"
        if rule.type == "range":
            ranges_add(ranges, rule, i, where)
        elif rule.type == "enum":
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
            enums.append((attr, frozenset(rule.allowed)))
        else:
            if not rule.kind:
                raise GradingError(
                    [coded(where + ".kind", "certificate-kind-needed", "name the certificate kind")]
                )
            certs.append(rule.kind)
    return list(ranges.values()), enums, certs


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


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, CriteriaSet], dict[str, Family]]:
    sets: dict[str, CriteriaSet] = {}
    families: dict[str, Family] = {}
    for name in ("scrap.yaml", "plastics.yaml", "soil.yaml"):
        doc = _data(f"criteria/{name}")
        for raw in doc["sets"]:
            cs = CriteriaSet.model_validate(raw)
            bounds(cs)  # shipped sets pass the same checks as users'
            sets[cs.id] = cs
        for key, raw in (doc.get("families") or {}).items():
            families[key] = Family.model_validate(raw)
    sets.update(alloy_buyer_sets())
    return sets, families


def alloy_buyer_sets() -> dict[str, CriteriaSet]:
    """The alloy buyers' composition windows (``junkan.alloys``' library) as criteria sets
    ``alloy-buyer.<key>``: one source for both capabilities."""
    from junkan.alloys import load_alloy_library

    out = {}
    for key, buyer in load_alloy_library().buyers.items():
        # a composition window says nothing of what the material is: a plastic lot that
        # states an aluminium-like composition must not pass an alloy buyer (review)
        rules = [Rule(type="enum", attribute="material.name", allowed=["aluminium"])]
        rules += [
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
            rules=rules,
        )
    return out


def shipped_sets() -> dict[str, CriteriaSet]:
    """Every shipped criteria set by id."""
    return dict(_shipped()[0])


def families() -> dict[str, Family]:
    """Ranked families of shipped sets (``soil-mlit``)."""
    return dict(_shipped()[1])
