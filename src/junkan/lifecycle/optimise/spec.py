"""The optimisation document: decisions (the loop options a product or part may take),
the objective, constraints and an optional Pareto pair.

A *decision* is one choice among options; each option is a set of document-path overrides
applied to the model (as a scenario's ``set``). Shorthands: ``parameter`` with ``values``
(discrete) or ``range`` (continuous, e.g. a collection rate within bounds). Without a
document, :func:`auto_spec` derives the decisions from the model's scenarios.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal, get_args

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from junkan.core import UnitParseError, parse_quantity, to_unit
from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError, Problem, coded, short
from junkan.core.quantities import written_unit
from junkan.lifecycle.loader import located, path_tokens
from junkan.lifecycle.optimise.together import overlapping_groups
from junkan.lifecycle.optimise.values import repeated
from junkan.lifecycle.uncertainty.spec import describing

Metric = Literal[
    "co2e",
    "cost",
    "revenue",
    "margin",
    "virgin_input",
    "recycled_input",
    "recycled_share",
    "activity",
    "rap",
]
OBJECTIVES = tuple(m for m in get_args(Metric) if m != "activity")
"""Metrics an objective may be (activity, a capacity, is a constraint only)."""


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"


MAXIMISED = ("revenue", "margin", "recycled_input", "recycled_share", "rap")
"""Metrics an objective maximises unless it says ``sense: min``."""
UNITS = {
    "co2e": "t CO2e",
    "virgin_input": "t",
    "recycled_input": "t",
    "recycled_share": "fraction",
    "rap": "ratio",
}
"""Units of the metrics (money is in the model's currency; activity per basis)."""
DEFINITIONS = {
    "rap": (
        "RAP's formula (value added ÷ circulation cost) applied to all the model's actors "
        "together, whole horizon: Σ value added ÷ Σ circulation cost over the actors, each as "
        "junkan indicators reads it per actor (actor.NAME.rap: value added = revenue − "
        "purchases of material supply and parts; circulation cost = cost of the actor's "
        "collection, transport, reuse, remanufacturing, dismantling and recycling processes; "
        "no capex, a simulation has none) — the ratio of the sums, not a sum or mean of the "
        "actors' ratios"
    ),
    "rap:actor": (
        "the actor's RAP as junkan indicators reads it (actor.NAME.rap), whole horizon: "
        "(revenue − purchases of material supply and parts) ÷ cost of its circulation-stage "
        "processes"
    ),
    "recycled_share": "recycled ÷ (recycled + virgin) input over the window, in t",
}
"""What the ratio metrics are, in words (the figure documents say it beside the value)."""

MAX_SIMULATIONS = 20_000
"""Most simulations one optimisation runs (tests, joint blocks, enumeration, verification):
``max_tests`` and ``max_enumerate`` are at most this (a run that reaches it stops, naming
it)."""
MAX_DECISIONS = 40
MAX_OPTIONS = 64
MAX_POINTS = 51
MAX_FRONT = 2000
_NAME = r"^[A-Za-z0-9_.:-]{1,64}$"


class Option(Strict):
    """One option of a decision: overrides (``set``) and/or a scenario's settings."""

    title: str | None = None
    set: dict[str, Any] = Field(default_factory=dict, max_length=200)
    """Document path → value, applied on top of the model (like a scenario's ``set``)."""
    scenario: str | None = None
    """Apply this scenario's settings (its ``set``, after those of what it ``extends``)."""


class Decision(Strict):
    """A choice for one product or part: ``options``, or ``parameter`` with ``values`` or a
    ``range``."""

    name: str = Field(pattern=_NAME)
    title: str | None = None
    options: dict[str, Option] | None = Field(default=None, min_length=1, max_length=MAX_OPTIONS)
    parameter: str | None = Field(default=None, max_length=300)
    """A document path, e.g. ``products.ac.eol.collection.rate``."""
    values: list[Any] | None = Field(default=None, min_length=1, max_length=MAX_OPTIONS)
    """Discrete values of ``parameter``."""
    range: tuple[float | str, float | str] | None = None
    """Bounds of a continuous ``parameter`` (the first is the reference): numbers, in the
    unit the model writes the field in, or both quantities with a unit (``["0.5 kg",
    "2 kg"]``), converted to the field's unit."""
    steps: int = Field(default=5, ge=2, le=21)
    """Levels of a ``range`` where it has to be discretised (interactions, non-linearity)."""

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[Any] | None) -> list[Any] | None:
        """Each value once (review 253: [0.4, 0.4, 0.5] ran as three combinations)."""
        if values and (twice := repeated(values)) is not None:
            raise ValueError(f"items {twice[0]} and {twice[1]} ({short(str(values[twice[0]]))}, "
                             f"{short(str(values[twice[1]]))}) are the same value; list each once")
        return values

    @model_validator(mode="after")
    def _loops_only(self) -> Decision:
        """A decision changes the model's loops, not what describes the model: choosing
        ``years.end`` compared different horizons and "chose" the shorter one."""
        paths = [self.parameter] if self.parameter is not None else \
            [p for o in (self.options or {}).values() for p in o.set]
        for path in paths:
            try:
                path_tokens(path)
            except ValueError:
                raise ValueError(f"{short(path)} is not a document path; write e.g. "
                                 "products.kettle.eol.collection.rate (names joined by dots, "
                                 "list items as [0])") from None
            if (section := describing(path)) is not None:
                raise ValueError(f"{short(path)}: the section '{section}' describes the model "
                                 "itself (its horizon, currency, scenarios…), not a loop "
                                 "option; decide shares, rates, routes, processes or yields")
        return self

    @model_validator(mode="after")
    def _one_form(self) -> Decision:
        if (self.options is None) == (self.parameter is None):
            raise ValueError("give 'options', or 'parameter' with 'values' or 'range'")
        if self.parameter is not None and (self.values is None) == (self.range is None):
            raise ValueError("a 'parameter' decision needs exactly one of 'values' or 'range'")
        if self.range is not None and not _ascending(self.range):
            raise ValueError(
                f"range {list(self.range)}: the lower bound must be below the upper one"
            )
        return self

    def range_in(self, unit: str) -> tuple[float, float]:
        """The bounds as numbers in ``unit`` (the field's unit, ``""`` for a bare number);
        ValueError saying why they cannot be."""
        assert self.range is not None
        bare = [isinstance(b, int | float) or _number_text(b) for b in self.range]
        if all(bare):  # numbers, or numbers written as text ("0.5"), as they were taken
            return float(self.range[0]), float(self.range[1])
        if any(bare):
            raise ValueError("give both bounds with a unit (e.g. ['0.5 kg', '2 kg']) or both "
                             "as numbers in the field's unit")
        if not unit:
            raise ValueError(f"the model writes this field as a bare number (or leaves it "
                             f"out), not with a unit; give the bounds as numbers, not "
                             f"{list(self.range)}")
        try:
            lo, hi = (to_unit(b, unit, what="bound") for b in self.range)
        except UnitParseError as exc:
            raise ValueError(f"{exc} (the unit the model writes this field in)") from None
        return lo, hi


def _ascending(bounds: tuple[float | str, float | str]) -> bool:
    """Whether the lower bound is below the upper one (quantities compared in one unit);
    ValueError when a bound is no quantity or they differ in dimension."""
    lo, hi = bounds
    if isinstance(lo, str) or isinstance(hi, str):
        try:
            q_lo, q_hi = parse_quantity(lo), parse_quantity(hi)
            return bool(q_lo < q_hi.to(q_lo.units))
        except UnitParseError as exc:
            raise ValueError(f"range {list(bounds)}: {exc}") from None
        except Exception as exc:  # pint: the two bounds differ in dimension
            raise ValueError(f"range {list(bounds)}: the bounds are not in comparable units "
                             f"({short(str(exc), 120)})") from None
    return lo < hi


class Term(Strict):
    """A figure of a run: ``metric`` of the network or of one ``actor``, ``material`` or
    ``process`` (activity), over the spec's ``years``."""

    metric: Metric
    actor: str | None = None
    material: str | None = None
    process: str | None = None
    basis: Literal["kg", "piece"] = "kg"
    """Activity only: kg or pieces handled per year."""

    @model_validator(mode="after")
    def _fits(self) -> Term:
        if self.metric == "activity" and self.process is None:
            raise ValueError("an 'activity' figure names its 'process'")
        if self.material is not None and self.metric not in (
            "virgin_input",
            "recycled_input",
            "recycled_share",
        ):
            raise ValueError(f"'material' does not apply to metric {self.metric!r}")
        if self.actor is not None and self.metric not in (
            "co2e",
            "cost",
            "revenue",
            "margin",
            "rap",
        ):
            raise ValueError(f"'actor' does not apply to metric {self.metric!r}")
        return self

    def label(self) -> str:
        who = self.actor or self.material or self.process
        return f"{self.metric}:{who}" if who else self.metric

    def unit(self, currency: str) -> str:
        """The figure's unit: an activity is a mass or a count handled per year (its
        ``basis``), money is in the model's ``currency``."""
        if self.metric == "activity":
            return f"{self.basis}/year"
        return UNITS.get(self.metric, currency)

    def definition(self) -> str | None:
        """What a ratio figure is, in words (``None`` for a plain sum)."""
        if self.metric == "rap" and self.actor:
            return DEFINITIONS["rap:actor"]
        return DEFINITIONS.get(self.metric)


def _term(value: Any) -> Any:
    """``"co2e"`` or ``"rap:recycler"`` as a term document."""
    if isinstance(value, str):
        metric, _, who = value.partition(":")
        doc: dict[str, Any] = {"metric": metric}
        if who:
            key = {
                "virgin_input": "material",
                "recycled_input": "material",
                "recycled_share": "material",
                "activity": "process",
            }.get(metric, "actor")
            doc[key] = who
        return doc
    return value


class Objective(Term):
    sense: Literal["min", "max"] | None = None
    """Default: ``max`` for revenue, margin, recycled input and share and RAP, else ``min``."""

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _term(value)

    @field_validator("metric", mode="before")
    @classmethod
    def _an_objective(cls, metric: Any) -> Any:
        if metric == "activity":
            raise ValueError("activity (a capacity) is a constraint, not an objective")
        if not isinstance(metric, str) or metric not in OBJECTIVES:
            # the list pydantic gives names 'activity', which no objective may be
            raise PydanticCustomError("literal_error", "must be one of {expected}",  # as
                                      {"expected": _names(OBJECTIVES)})  # pydantic's (256)
        return metric

    @property
    def maximise(self) -> bool:
        return self.sense == "max" if self.sense else self.metric in MAXIMISED


class Constraint(Term):
    """``min`` ≤ figure ≤ ``max``. Activity (capacity) holds in every year of the window."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bound(self) -> Constraint:
        if self.min is None and self.max is None:
            raise ValueError("a constraint needs 'min' or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g}): no value fits")
        return self


class Pareto(Strict):
    objectives: tuple[Objective, Objective]
    points: int = Field(default=9, ge=2, le=MAX_POINTS)
    """ε levels where the front is sampled: with a continuous range (the front is then a
    continuum), or beyond ``max_points``. Also, plus 2, the most points found with a range
    held at a level that are then refined between its levels."""
    max_points: int = Field(default=200, ge=2, le=MAX_FRONT)
    """Most points of a finite front (every choice discrete) found exactly, one by one."""

    @model_validator(mode="after")
    def _two(self) -> Pareto:
        a, b = self.objectives
        if a.label() == b.label() and a.maximise == b.maximise:
            raise ValueError(f"the two objectives are the same ({a.label()}); name two figures")
        if a.label() == b.label():  # every choice is on the front of a figure and its opposite
            raise ValueError(f"the two objectives are one figure ({a.label()}), minimised and "
                             "maximised: every choice would be on that front; name two figures")
        return self


class OptimiseSpec(Strict):
    """The document of ``junkan optimise --spec``."""

    objective: Objective = Field(default_factory=lambda: Objective(metric="co2e"))
    decisions: list[Decision] = Field(default_factory=list, max_length=MAX_DECISIONS)
    constraints: list[Constraint] = Field(default_factory=list, max_length=200)
    pareto: Pareto | None = None
    scenario: str | None = None
    """The scenario the decisions are applied to (default: the baseline)."""
    years: tuple[int, int] | None = None
    """Window of every figure (default: the whole horizon; RAP is always whole-horizon)."""
    tolerance: float = Field(default=1e-6, gt=0, le=0.1)
    """Relative deviation under which effects count as additive (linear in the choices)."""
    max_enumerate: int = Field(default=4096, ge=1, le=MAX_SIMULATIONS)
    """Largest joint block (and exhaustive fallback) simulated option by option."""
    max_tests: int = Field(default=10_000, ge=1, le=MAX_SIMULATIONS)
    """Most simulations the test of the options' effects may take (the reference, each
    option alone, each range's midpoint and each pair of options of two decisions): a spec
    needing more is refused before anything runs (12 decisions of 30 values each would
    simulate 55,000 pairs, some ten minutes on a small model)."""
    verify: int = Field(default=4, ge=0, le=200)
    """Random combinations simulated to check the additive model."""
    _origin: str = PrivateAttr(default="optimisation spec")
    _together: dict[str, dict[str, str]] = PrivateAttr(default_factory=dict)
    """Decisions read from scenarios (:func:`auto_spec`): per scenario, per decision, the
    option that holds its settings there (:func:`~.together.split_notes`)."""

    def located(self, source: str) -> OptimiseSpec:
        """This spec, read from ``source`` (errors about its decisions name it)."""
        self._origin = source
        return self

    def scenarios_of(self, other: OptimiseSpec) -> OptimiseSpec:
        """This spec with the decisions' scenarios of ``other`` (the spec it was made from,
        with another objective: the command line's --objective): :func:`auto_spec`'s."""
        self._together = dict(other._together)
        return self

    @property
    def origin(self) -> str:
        """Where the spec comes from: its file, or the model whose scenarios gave it."""
        return self._origin

    @field_validator("years")
    @classmethod
    def _window(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and v[0] > v[1]:
            raise ValueError(f"years [{v[0]}, {v[1]}]: the first year must not come after the last")
        return v

    @field_validator("decisions")
    @classmethod
    def _unique(cls, v: list[Decision]) -> list[Decision]:
        names = [d.name for d in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"decision names must be unique: {', '.join(dup)}")
        return v


def overlaps(a: str, b: str) -> bool:
    """Whether one path is the other or inside it (both document paths: the spec's are
    checked when it is read, the scenarios' when the model is)."""
    ta, tb = path_tokens(a), path_tokens(b)
    n = min(len(ta), len(tb))
    return ta[:n] == tb[:n]


def scenario_set(raw: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """A scenario's overrides, those of what it ``extends`` first."""
    scenarios = raw.get("scenarios") or {}
    chain: list[str] = []
    while name:
        if name in chain or name not in scenarios:
            raise ModelError(
                [
                    Problem(
                        "scenarios",
                        f"unknown or cyclic scenario {short(name)}; known: {', '.join(scenarios)}",
                    )
                ],
                source,
            )
        chain.append(name)
        name = (scenarios[name] or {}).get("extends") or ""
    out: dict[str, Any] = {}
    for n in reversed(chain):
        out.update((scenarios[n] or {}).get("set") or {})
    return out


def auto_spec(raw: dict[str, Any], source: str, objective: str = "co2e") -> OptimiseSpec:
    """Decisions from a model's scenarios: every group of overlapping paths the scenarios set
    is one decision, whose options are the baseline (no override, under the model's
    ``baseline_name``) and each scenario's distinct settings of those paths."""
    base = str(raw.get("baseline_name") or "baseline")  # review 261: 'baseline' for 'reference'
    sets = {n: scenario_set(raw, n, source) for n in (raw.get("scenarios") or {}) if n != base}
    # what describes the model (a scenario's horizon) is no loop option
    groups = overlapping_groups(list(dict.fromkeys(
        p for s in sets.values() for p in s if describing(p) is None)))
    decisions: list[dict[str, Any]] = []
    labels: set[str] = set()
    together: dict[str, dict[str, str]] = {}  # scenario → decision → its option there
    for group in groups:
        options: dict[str, dict[str, Any]] = {base: {}}
        seen = {json.dumps({}, sort_keys=True): base}
        members, mine = set(group), {}
        for name, s in sets.items():
            opt = {p: s[p] for p in s if p in members}
            key = json.dumps(opt, sort_keys=True, default=str)
            if opt and key not in seen:
                seen[key] = name
                options[name] = {"set": opt}
            mine[name] = seen[key] if opt else None
        if len(options) > 1:
            decisions.append({"name": _label(min(group, key=len), labels),
                              "options": options})
            for name, option in mine.items():
                if option is not None:  # the scenario sets something here
                    together.setdefault(name, {})[decisions[-1]["name"]] = option
    where = f"{source} (decisions from its scenarios)"
    if len(decisions) > MAX_DECISIONS:
        raise ModelError([coded("scenarios", "opt-too-many-decisions", "the scenarios set "
                                "{count} separate groups of fields, each a decision: more "
                                "than the {limit} one optimisation takes; give a spec with "
                                "the decisions to choose between",
                                count=str(len(decisions)), limit=str(MAX_DECISIONS))], source)
    spec = validate_with(OptimiseSpec, {"objective": objective, "decisions": decisions}, where)
    spec._together = {n: d for n, d in together.items() if len(d) > 1}
    return spec.located(where)


def token_key(path: str, doc: dict[str, Any] | None = None) -> tuple[tuple[int, Any], ...]:
    """Sort key of a path's tokens, numbers first (paths inside it follow it); in ``doc``."""
    tokens = path_tokens(path) if doc is None else located(doc, path) or path_tokens(path)
    return tuple((0, t) if isinstance(t, int) else (1, str(t)) for t in tokens)


def _label(path: str, taken: set[str]) -> str:
    """A decision's name from a path it sets: the characters a name takes, the rest as
    ``_``, at most 64, numbered ``-2``, ``-3`` … when another decision has it (two
    products named in Japanese both read ``products.____.eol.collection.rate``)."""
    base = re.sub(r"[^A-Za-z0-9_.:-]", "_", path)[:64]
    label, n = base, 2
    while label in taken:
        label = f"{base[:64 - len(str(n)) - 1]}-{n}"
        n += 1
    taken.add(label)
    return label


def require_decisions(spec: OptimiseSpec, spec_source: str | None) -> None:
    """Refuse a spec with nothing to choose between, saying where the decisions were to come
    from: the spec named ``spec_source`` (which has no ``decisions``), or, with ``None``,
    the model's scenarios (which set nothing that differs)."""
    if spec.decisions:
        return
    if spec_source is None:  # the spec's origin names the model its scenarios are of
        raise ModelError([coded("", "optimise-no-scenario-decisions", "no decisions: the "
                                "model's scenarios set nothing to choose between; give a "
                                "spec with 'decisions'")], spec.origin)
    raise ModelError([coded("decisions", "optimise-no-decisions", "no decisions: list the "
                            "choices to optimise under 'decisions' (user guide, chapter 10), "
                            "or leave the spec out to take them from the model's scenarios")],
                     spec_source)


def _number_text(b: object) -> bool:
    """Whether ``b`` is a finite number written as text (``"0.5"``), with no unit."""
    return isinstance(b, str) and written_unit(b) == "" and math.isfinite(float(b))
