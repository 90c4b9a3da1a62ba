"""A model's uncertainty section resolved against its document: every parameter's path,
nominal value and unit in every scenario, its marginal distribution, and the documents of
a draw.

A parameter that a scenario sets itself (``scenarios.<name>.set`` names its path or a parent
of it) is that scenario's decision, not an uncertainty: it keeps the scenario's value there,
unless the parameter is ``relative`` (a factor on each scenario's own value). A relative
parameter acts in the scenarios that have its field (one may introduce the entry: a
``reuse`` route only a scenario adds) and not in the others; any other parameter must be
in every scenario that does not set it itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.core.errors import ModelError, Problem, coded, short
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.comparison import headline_unit
from junkan.lifecycle.loader import key_in, located, path_tokens, scenario_document, set_path
from junkan.lifecycle.results import figure_units
from junkan.lifecycle.uncertainty.distributions import Marginal, marginal
from junkan.lifecycle.uncertainty.figures import figure_names, figure_problem, observation_path
from junkan.lifecycle.uncertainty.spec import (
    MISSING_SECTION,
    Group,
    UncertainParameter,
    UncertaintySection,
)

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def get_path(doc: Any, path: str) -> Any:
    """The value at a document path (``products.x.maintenance[0].collection.rate``);
    KeyError if it does not exist, ValueError if it is not a path."""
    try:
        tokens = path_tokens(path)
    except ValueError:
        raise ValueError("not a document path; write e.g. products.kettle.eol.collection.rate "
                         "(names joined by dots, list items as [0])") from None
    node = doc
    for key in tokens:
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                raise KeyError(path)
        else:
            if not isinstance(node, dict):
                raise KeyError(path)
            key = key_in(node, key)  # a year key, e.g. ``products.x.sales.2030``
            if key not in node:
                raise KeyError(path)
        node = node[key]
    return node


def split_number(value: Any) -> tuple[float, str]:
    """A numeric field's number and unit text (``"1.5 kgCO2e/piece"`` → 1.5, ``kgCO2e/piece``;
    ``0.4`` → 0.4, ``""``); ValueError if it is not a single number."""
    if isinstance(value, bool):
        raise ValueError("a yes/no value")
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m:
            return float(m.group(1)), m.group(2)
    raise ValueError(f"not a number or a quantity: {short(value)}")


def join_number(x: float, unit: str) -> float | str:
    return float(x) if not unit else f"{float(x)!r} {unit}"


def scenario_sets(raw: dict[str, Any], name: str) -> set[str]:
    """Every path a scenario (with the ones it extends) sets."""
    scen = raw.get("scenarios") or {}
    out: set[str] = set()
    seen: set[str] = set()  # scenario names apart from paths: a scenario may be 'processes'
    cur: str | None = name
    while cur is not None and cur in scen and cur not in seen:
        out |= {str(k) for k in ((scen[cur] or {}).get("set") or {})}
        seen.add(cur)
        cur = (scen[cur] or {}).get("extends")
    return out


def covers(key: str, path: str) -> bool:
    """Whether document path ``key`` is ``path`` or a parent of it, as written."""
    return path == key or path.startswith(key + ".") or path.startswith(key + "[")


def sets_field(doc: dict[str, Any], keys: set[str], path: str) -> bool:
    """Whether one of the paths ``keys`` (a scenario's settings) is document path ``path``
    or a parent of it in ``doc``, however either is spelt (:func:`located`)."""
    field = located(doc, path)
    for key in keys:
        at = located(doc, key)
        if covers(key, path) or (field is not None and at is not None
                                 and field[:len(at)] == at):
            return True
    return False


@dataclass
class Binding:
    """Where a parameter acts in one scenario."""

    nominal: float  # the scenario's own value (in the model's unit)
    unit: str
    active: bool  # False: the scenario sets this value itself (kept fixed)


@dataclass
class Study:
    """The resolved uncertainty section of a loaded model."""

    model: ModelFile
    section: UncertaintySection
    marginals: list[Marginal]
    bindings: dict[str, list[Binding]]  # scenario -> per parameter
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def parameters(self) -> list[UncertainParameter]:
        return self.section.parameters

    @property
    def names(self) -> list[str]:
        return [p.parameter for p in self.section.parameters]

    @property
    def scenarios(self) -> list[str]:
        return self.model.scenarios

    def nominal(self) -> np.ndarray:
        """The baseline's own values (factors of 1 for relative parameters)."""
        base = self.bindings[self.model.baseline.baseline_name]
        return np.array(
            [1.0 if p.relative else b.nominal for p, b in zip(self.parameters, base, strict=True)]
        )

    def parameter_unit(self, i: int) -> str:
        """The unit of parameter ``i``'s draws: ``factor`` for a relative one, else the unit
        written in the baseline (``""`` for a plain number such as a share)."""
        if self.parameters[i].relative:
            return "factor"
        return self.bindings[self.model.baseline.baseline_name][i].unit

    def figure_unit(self, figure: str) -> str:
        """The unit of an output figure (:func:`figure_unit`)."""
        return figure_unit(self.model, figure)

    def active(self, scenario: str) -> list[int]:
        return [i for i, b in enumerate(self.bindings[scenario]) if b.active]

    def document(
        self, scenario: str, theta: np.ndarray, columns: list[int] | None = None
    ) -> dict[str, Any]:
        """The scenario's document with draw ``theta`` (one value per parameter) set (only
        the parameters ``columns``, if given: they must be active in the scenario)."""
        doc = dict(self.docs[scenario])  # shares what the draw leaves alone
        for i in self.active(scenario) if columns is None else columns:
            p, b = self.parameters[i], self.bindings[scenario][i]
            x = b.nominal * theta[i] if p.relative else theta[i]
            set_path(doc, p.parameter, join_number(float(x), b.unit), fresh=True)
        return doc


def locate(model: ModelFile, section: UncertaintySection) -> tuple[str, str]:
    """The file a section's errors name and the prefix of paths inside it: the spec file
    (``--spec``) and ``""``, or the model and ``"uncertainty."``."""
    if section.origin is not None:
        return section.origin, ""
    return model.source, "uncertainty."


def _same_field(doc: dict[str, Any], section: UncertaintySection, prefix: str,
                problems: list[Problem]) -> None:
    """A problem for each parameter that is an earlier one's field written another way in
    ``doc`` (``sales.02020`` and ``sales.2020`` of ``sales: {2020: …}``): the field was drawn
    twice and the last draw used (review 258; the spec alone sees only list positions)."""
    first: dict[tuple[Any, ...], int] = {}
    for i, p in enumerate(section.parameters):
        at = located(doc, p.parameter)
        if at is not None and (j := first.setdefault(at, i)) != i:
            problems.append(coded(
                f"{prefix}parameters[{i}].parameter", "unc-parameter-same-field",
                "{parameter} is the field of parameters[{first}] ({other}) written another "
                "way; list it once", parameter=short(p.parameter), first=j,
                other=short(section.parameters[j].parameter)))


def _bind(
    model: ModelFile, section: UncertaintySection, prefix: str, problems: list[Problem]
) -> tuple[dict[str, list[Binding]], dict[str, dict[str, Any]]]:
    """Every parameter's binding in every scenario, and the scenarios' documents; a path
    missing in some scenarios is one problem naming them (all: 'in the model')."""
    bindings: dict[str, list[Binding]] = {}
    docs: dict[str, dict[str, Any]] = {}
    missing: dict[int, list[str]] = {}  # scenarios that should have the field
    absent: dict[int, list[str]] = {}  # scenarios without the field
    for name in model.scenarios:
        doc = scenario_document(model.raw, name, model.source)
        docs[name] = doc
        sets = scenario_sets(model.raw, name)
        _same_field(doc, section, prefix, problems)
        row = []
        for i, p in enumerate(section.parameters):
            own = sets_field(doc, sets, p.parameter)
            try:
                x, unit = split_number(get_path(doc, p.parameter))
            except KeyError:
                # the scenario's own decision leaves the field out, or (for a factor on
                # each scenario's own value) the scenario has no such field: nothing to draw
                absent.setdefault(i, []).append(name)
                if own or p.relative:
                    row.append(Binding(float("nan"), "", False))
                    continue
                missing.setdefault(i, []).append(name)
                x, unit = float("nan"), ""
            except ValueError as exc:
                problems.append(
                    Problem(f"{prefix}parameters[{i}].parameter", f"{short(p.parameter)}: {exc}")
                )
                x, unit = float("nan"), ""
            row.append(Binding(x, unit, p.relative or not own))
        bindings[name] = row
    for i, names in absent.items():
        if len(names) == len(model.scenarios):  # in no scenario at all
            missing[i] = names
    for i, names in missing.items():
        at = f"{prefix}parameters[{i}].parameter"
        parameter = short(section.parameters[i].parameter)
        problems.append(
            coded(at, "parameter-not-in-model", "{parameter} does not exist in the model; check "
                  "it against the model file", parameter=parameter)
            if len(names) == len(model.scenarios)
            else coded(at, "parameter-not-in-scenarios", "{parameter} does not exist in "
                       "scenario {scenarios} of the model", parameter=parameter,
                       scenarios=", ".join(f"'{n}'" for n in names))
        )
    return bindings, docs


def resolve(model: ModelFile, section: UncertaintySection | None = None,
            observed: bool = True) -> Study:
    """Resolve ``section`` (default: the model's own ``uncertainty`` section) against the
    model; ModelError naming every unknown or non-numeric path, and (``observed``) every
    observation of no figure."""
    if section is None:
        raw_sec = model.raw.get("uncertainty")
        if not raw_sec:
            raise ModelError([MISSING_SECTION], model.source)
        section = UncertaintySection.model_validate(raw_sec)
    source, prefix = locate(model, section)
    problems: list[Problem] = []
    marginals: list[Marginal] = []
    for i, p in enumerate(section.parameters):
        try:
            marginals.append(marginal(p))
        except ValueError as exc:
            problems.append(Problem(f"{prefix}parameters[{i}]", str(exc)))
    bindings, docs = _bind(model, section, prefix, problems)
    if observed:  # every analysis, as validate (which adds them after its own checks)
        problems += _observation_problems(model, section, prefix)
    for g in {p.group for p in section.parameters if p.group} - set(section.groups):
        section.groups[g] = Group()  # a shared source without a stated correlation: 1
    if problems:
        uniq = list({(q.path, q.message): q for q in problems}.values())  # once per scenario
        raise ModelError(uniq, source)
    return Study(model, section, marginals, bindings, docs)


def figure_unit(model: ModelFile, figure: str) -> str:
    """The unit of an output figure — a headline key, ``totals.<key>`` or
    ``actors.<actor>.<key>`` — as ``junkan compare`` reports it (``""`` if unknown)."""
    cur = model.baseline.currency
    if figure.startswith(("totals.", "actors.")):
        section = "totals" if figure.startswith("totals.") else "by_actor"
        return str(figure_units(cur)[section].get(figure.rsplit(".", 1)[1], ""))
    h = model.baseline.headline.get(figure)
    return headline_unit(h, cur) if h is not None else ""


def _observation_problems(model: ModelFile, section: UncertaintySection, prefix: str
                          ) -> list[Problem]:
    """Every observation that names no figure its scenario computes
    (:func:`~.figures.figure_problem`), and every share observed as a percentage: refused
    by every analysis, as by ``junkan validate`` (review 231: a typo ran uncertainty and
    sensitivity with exit 0)."""
    if not section.observations:
        return []
    names = figure_names(model)
    found = [figure_problem(names, model.scenarios, o.scenario, o.figure,
                            observation_path(prefix, j, o, model.scenarios))
             for j, o in enumerate(section.observations)]
    # a share (a figure in 'fraction', 0 to 1) observed beyond ±1: a percentage written as its
    # number (review 259: 35.8 for 35.8 % was only found out of reach, by −99 %)
    shares = [coded(f"{prefix}observations[{j}].value", "unc-observation-share-above-1",
                    "{figure} is a share (from 0 to 1), and {value} is beyond 1: a "
                    "percentage? write it as a share ({share})", figure=o.figure,
                    value=f"{o.value:g}", share=f"{o.value / 100:g}")
              for j, (o, known) in enumerate(zip(section.observations, found, strict=True))
              if known is None and figure_unit(model, o.figure) == "fraction"
              and abs(o.value) > 1]
    return [p for p in found if p is not None] + shares


def check(model: ModelFile) -> Study | None:
    """The model's own ``uncertainty`` section resolved against it, as ``junkan validate``
    checks it without simulating: every parameter a numeric field of every scenario it
    applies to (:func:`resolve`) and every observation a figure its scenario computes
    (:func:`~.figures.figure_problem`, as calibration checks them), and no distribution
    drawing a value its field refuses (:func:`~.evaluate.check_draws`) nor a calibrated one
    fitted outside it (:func:`~.calibration.check_fit_bounds`); ``None`` when the model
    has no such section. ModelError names every problem. Whether the figure is defined (a
    number) at the parameters' nominal values is known once it runs (``junkan calibrate``)."""
    if not model.raw.get("uncertainty"):
        return None
    from junkan.lifecycle.uncertainty.calibration import check_fit_bounds  # (they import
    from junkan.lifecycle.uncertainty.evaluate import check_draws  # this module)

    problems: list[Problem] = []
    study = None
    try:
        study = resolve(model, observed=False)
        check_draws(study)
        check_fit_bounds(study)
    except ModelError as exc:
        problems += exc.problems
    section = study.section if study is not None else \
        UncertaintySection.model_validate(model.raw["uncertainty"])
    problems += _observation_problems(model, section, locate(model, section)[1])
    if problems:
        raise ModelError(problems, model.source)
    return study

