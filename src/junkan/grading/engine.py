"""Vectorised grade evaluation: criteria sets are compiled once to bound arrays, items to a
feature table (stored units, NaN where unknown), and every (item, set) pair is evaluated
with numpy. A value the item does not give is *not measured* — an element its composition
leaves out too, never 0 wt % (a lot analysed for Si alone does not meet a limit on Fe) —
and the verdict is then three-valued (:func:`unmeasured_unknown`, the one rule): unknown
under a limit with no minimum, failed under a minimum; a measured value that fails its
limit makes the verdict "no" whatever else is missing. An attribute an enumeration reads
that the item does not state is unknown the same way (:func:`unstated_unknown`); a
certificate it does not hold is failed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from junkan.core.elements import SYMBOLS, complete
from junkan.core.errors import Problem, coded
from junkan.grading.catalogue import (
    Bound,
    GradingError,
    bounds,
    concentration,
    property_value,
    substances,
)
from junkan.grading.schema import Attestation, CriteriaSet, Item, material_key


@dataclass
class CompiledSet:
    """A set's bounds as arrays: ``lo`` / ``hi`` are the least and greatest values that meet
    each bound, its limit widened by the relative tolerance (:attr:`Bound.lo_ok`)."""

    cs: CriteriaSet
    bounds: list[Bound]
    cols: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    enums: list[tuple[str, frozenset[str]]]
    certs: list[str]
    as_of: date
    """The day the set was compiled for: its rules with a period count only within it."""

    def dated(self) -> list[int]:
        """Indices of the set's rules with a period (``since`` / ``until``) in force."""
        return [i for i, r in enumerate(self.cs.rules)
                if (r.since or r.until) and r.in_force(self.as_of)]


@dataclass
class Compiled:
    """Criteria sets compiled against one feature list."""

    sets: list[CompiledSet]
    features: list[str]
    attributes: list[str]


def compile_sets(sets: Sequence[CriteriaSet], as_of: date | None = None) -> Compiled:
    """The sets' rules in force on ``as_of`` (default today) as bound arrays."""
    day = as_of or date.today()
    features: dict[str, int] = {}
    attrs: dict[str, None] = {}
    out = []
    for cs in sets:
        bs, enums, certs = bounds(cs, day)
        cols = np.array([features.setdefault(b.feature, len(features)) for b in bs], dtype=int)
        for a, _ in enums:
            attrs.setdefault(a)
        out.append(
            CompiledSet(
                cs,
                bs,
                cols,
                np.array([b.lo_ok for b in bs]),
                np.array([b.hi_ok for b in bs]),
                enums,
                certs,
                day,
            )
        )
    return Compiled(out, list(features), list(attrs))


def stored_values(item: Item, where: str) -> dict[str, float]:
    """Every numeric fact of an item in stored units, keyed as features are; unknown
    properties and substances and unit mismatches are errors naming the field — every one
    of the item's, in one :class:`GradingError`, so a user fixes them in one go."""
    out: dict[str, float] = {}
    problems: list[Problem] = []

    def read(key: str, fn: Callable[..., float], *args: Any) -> None:
        try:
            out[key] = fn(*args)
        except GradingError as exc:
            problems.extend(exc.problems)

    for name, pv in item.properties.items():
        read(name, property_value, name, pv.value, f"{where}.properties.{name}.value")
    problems.extend(_element_keys(item.composition, f"{where}.composition"))
    for el, v in item.composition.items():
        out[f"composition.{el}"] = float(v)
    known = substances()
    for group in ("restricted", "restricted_max"):
        for s, v in getattr(item, group).items():
            if s not in known:
                problems.append(Problem(f"{where}.{group}.{s}", f"unknown restricted substance "
                                        f"{s!r}; known: {', '.join(sorted(known))}"))
                continue
            read(f"{group}.{s}", concentration, v, f"{where}.{group}.{s}")
    if problems:
        raise GradingError(problems)
    for s, v in list(out.items()):
        if s.startswith("restricted.") and "restricted_max." + s[11:] not in out:
            out["restricted_max." + s[11:]] = v
    return out


_BY_CASE = {s.lower(): s for s in SYMBOLS}
"""Element symbols by their lower-case spelling (``fe`` → ``Fe``)."""


def _element_keys(composition: dict[str, float], where: str) -> list[Problem]:
    """A composition that states any chemical element (by its symbol) is elemental: each of
    its keys must be a symbol. A misspelt one (``fe``, ``Iron``) would be graded by no rule,
    and the element it means left unmeasured (it was read as 0 wt %, and a dirty lot passed:
    review A2; now it fails every limit on the element, for want of a value).
    The words are the criteria side's (:func:`junkan.core.elements.unstated_key`). A case
    slip (``fe``, ``si``) is refused in any composition; a composition of polymers (``PP``,
    ``PE``: all capitals) names no element and is left as it is. Returns the problems, one
    per key."""
    elements = sorted(k for k in composition if k in SYMBOLS)
    problems: list[Problem] = []
    for key in composition:
        if key in SYMBOLS:
            continue
        symbol = _BY_CASE.get(key.lower())
        if symbol is not None and key != key.upper():
            problems.append(coded(f"{where}.{key}", "composition-symbol-case",
                                  "'{key}' is no chemical element: write its symbol "
                                  "'{symbol}' (symbols are case-sensitive)",
                                  key=key, symbol=symbol))
            continue
        if elements:
            problems.append(coded(
                f"{where}.{key}", "composition-not-element", "'{key}' is no chemical element, "
                "and this composition states elements ({elements}), so '{key}' would be "
                "graded by no rule and the element it means left unmeasured: write each "
                "element by its symbol (Fe for iron)", key=key, elements=", ".join(elements)))
    return problems


def categorical(item: Item, attr: str) -> frozenset[str]:
    """The value(s) of an attribute (a blend of different inputs carries each)."""
    head, _, tail = attr.partition(".")
    v: object
    if attr in item.attributes:  # a blend's mixed material names / families
        v = item.attributes[attr]
    elif head == "attributes":
        v = item.attributes.get(tail)
    elif head == "kind":
        v = item.kind
    else:
        obj = getattr(item, head, None)
        v = None if obj is None else getattr(obj, tail, None)
    if v is None:
        return frozenset()
    return frozenset(v) if isinstance(v, list) else frozenset([str(v)])


def lasts(a: Attestation) -> date:
    """The last day attestation ``a`` is valid (:data:`datetime.date.max` without an expiry)."""
    return date.max if a.valid_until is None else a.valid_until


def attested(item: Item) -> dict[str, tuple[str, Attestation]]:
    """Each kind of attestation the item holds (its certificates and social attestations
    together), with the group it is in and the one of that kind that lasts longest: the
    item holds the kind on a day iff that one is valid then — another of the kind, expired,
    takes nothing away. The one rule of :func:`attestations` (grading and the market's
    per-input gates) and of a blend's attestations (:func:`junkan.grading.blend`)."""
    out: dict[str, tuple[str, Attestation]] = {}
    for group in ("certificates", "social"):
        for a in getattr(item, group):
            held = out.get(a.kind)
            if held is None or lasts(a) > lasts(held[1]):
                out[a.kind] = (group, a)
    return out


def attestations(item: Item, as_of: date) -> frozenset[str]:
    """Kinds of the item's certificates and attestations valid on ``as_of``."""
    return frozenset(k for k, (_, a) in attested(item).items() if lasts(a) >= as_of)


@dataclass
class Table:
    """Items as arrays: ``x`` (n, features) in stored units with NaN where unknown; per
    attribute, integer codes into ``values``; certificate kinds per item."""

    x: np.ndarray
    codes: dict[str, np.ndarray]
    values: dict[str, list[frozenset[str]]]
    certs: list[frozenset[str]]
    ids: list[str] = field(default_factory=list)
    materials: list[frozenset[str]] = field(default_factory=list)
    """Each item's material name(s) as a scope compares them (:func:`outside`)."""


def build_table(
    compiled: Compiled,
    items: Sequence[Item],
    as_of: date,
    stored: Sequence[dict[str, float]] | None = None,
) -> Table:
    if stored is None:
        stored = [stored_values(it, f"items[{i}]") for i, it in enumerate(items)]
    idx = {f: j for j, f in enumerate(compiled.features)}
    x = np.full((len(items), len(idx)), np.nan)
    for i, (it, vals) in enumerate(zip(items, stored, strict=True)):
        whole = complete(it.composition)  # what a whole composition leaves out is 0 wt %
        for f, j in idx.items():
            v = vals.get(f)  # an element the composition leaves out is not measured: NaN
            if v is None and whole and f.startswith("composition."):
                v = 0.0
            if v is not None:
                x[i, j] = v
    codes, values = {}, {}
    for a in compiled.attributes:
        uniq: dict[frozenset[str], int] = {}
        codes[a] = np.array(
            [uniq.setdefault(categorical(it, a), len(uniq)) for it in items], dtype=int
        )
        values[a] = list(uniq)
    certs = [attestations(it, as_of) for it in items]
    names = [frozenset(map(material_key, categorical(it, "material.name"))) for it in items]
    return Table(x, codes, values, certs, [it.id for it in items], names)


def outside(cs: CriteriaSet, table: Table) -> np.ndarray:
    """(n,) Whether each item is of a material the set is not for (its ``materials``): a
    blend is in scope when every input's name is one the set accepts. Such an item does
    not meet the set, whatever its rules read — never unknown for it (review 311: a PP lot
    was told to measure free Zn to know whether it is ISRI Twitch)."""
    scope = cs.scope()
    if scope is None:
        return np.zeros(len(table.materials), dtype=bool)
    return np.array([not names <= scope for names in table.materials], dtype=bool)


def unmeasured_unknown(lo: float | np.ndarray) -> bool | np.ndarray:
    """The rule for a limit whose value the item does not give (not measured), in one
    place: under a window with no minimum (``lo`` −inf: a maximum only) the answer is not
    known — measured, the value may meet it or not; under a minimum it is failed (nothing
    shows the value reaches it). As :func:`junkan.alloys.grade.grade_composition` answers an
    unmeasured element under a buyer's maximum (unknown) and minimum (not met)."""
    return np.isneginf(lo)


def unstated_unknown(rule_type: str) -> bool:
    """The rule for a categorical fact a rule reads that the item does not state, beside
    :func:`unmeasured_unknown`: under an enumeration (``attribute`` among ``allowed``: the
    material family, a separation route, a soil type) the answer is not known — stated,
    the value may be one allowed or not; a certificate the item does not hold is failed
    (not holding one is a fact, not a gap in the record)."""
    return rule_type == "enum"


@dataclass
class Verdicts:
    """Per set: ``rule_ok`` (n, rules of the set) in the set's rule order, ``met`` (n, S):
    every rule met; ``unknown`` (n, S): no rule failed, but a limit's value is not measured
    or an enumerated attribute not stated (``rule_unknown``, per rule, by
    :func:`unmeasured_unknown` and :func:`unstated_unknown`) — neither met nor failed.
    A pair neither met nor unknown is failed (:meth:`verdict`), as is one ``outside``."""

    met: np.ndarray
    rule_ok: list[np.ndarray]
    unknown: np.ndarray
    rule_unknown: list[np.ndarray]
    outside: np.ndarray
    """(n, S) the item is of a material the set is not for (:func:`outside`): not met."""

    def verdict(self, i: int, s: int) -> bool | None:
        """Item ``i`` against set ``s``: True (met), None (unknown) or False (not met)."""
        return True if self.met[i, s] else None if self.unknown[i, s] else False


STATUS = {True: "met", False: "not met", None: "unknown"}
"""A verdict (:meth:`Verdicts.verdict`) in words, as ``junkan alloy grade`` says its own."""
YES_NO = {True: "yes", False: "no", None: "unknown"}
"""A verdict in a table's ``met`` column (the command line's, as ``junkan alloy grade``)."""


def evaluate(compiled: Compiled, table: Table) -> Verdicts:
    n = table.x.shape[0]
    met = np.empty((n, len(compiled.sets)), dtype=bool)
    unknown = np.zeros_like(met)
    other = np.zeros_like(met)
    per_rule, per_unknown = [], []
    cert_index = {k: j for j, k in enumerate(sorted({c for s in compiled.sets for c in s.certs}))}
    have = np.zeros((n, len(cert_index)), dtype=bool)
    for i, kinds in enumerate(table.certs):
        for k in kinds:
            j = cert_index.get(k)
            if j is not None:
                have[i, j] = True
    for s, cs in enumerate(compiled.sets):
        xv = table.x[:, cs.cols]
        with np.errstate(invalid="ignore"):
            ok_r = (xv >= cs.lo) & (xv <= cs.hi)
        cols = [ok_r]
        unk_cols = [np.isnan(xv) & unmeasured_unknown(cs.lo)]
        for attr, allowed in cs.enums:
            ok_code = np.array([bool(v) and v <= allowed for v in table.values[attr]], dtype=bool)
            unstated = np.array([not v for v in table.values[attr]], dtype=bool)
            cols.append(ok_code[table.codes[attr]][:, None])
            unk_cols.append(unstated[table.codes[attr]][:, None] & unstated_unknown("enum"))
        for kind in cs.certs:
            cols.append(have[:, cert_index[kind]][:, None])
            unk_cols.append(~have[:, cert_index[kind]][:, None] & unstated_unknown("certificate"))
        ok = np.concatenate(cols, axis=1) if len(cols) > 1 else ok_r
        unk = np.concatenate(unk_cols, axis=1)
        per_rule.append(ok)
        per_unknown.append(unk)
        other[:, s] = outside(cs.cs, table)
        met[:, s] = ok.all(axis=1) & ~other[:, s]
        unknown[:, s] = ~met[:, s] & (ok | unk).all(axis=1) & ~other[:, s]
    return Verdicts(met, per_rule, unknown, per_unknown, other)


def rule_order(cs: CompiledSet) -> list[int]:
    """Indices into ``cs.cs.rules`` of the columns of ``Verdicts.rule_ok`` for the set."""
    live = [(i, r) for i, r in enumerate(cs.cs.rules) if r.in_force(cs.as_of)]
    enum_rules = [i for i, r in live if r.type == "enum"]
    cert_rules = [i for i, r in live if r.type == "certificate"]
    return [b.index for b in cs.bounds] + enum_rules + cert_rules
