"""Results of the optimiser: a simulated :class:`Point` (a combination of choices with its
figures and each actor's gain or loss against the model as given), :class:`Optimum` and
:class:`ParetoFront`, each with ``to_json()``, ``to_frame()`` and ``report(path)``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from junkan.lifecycle.optimise.features import value, yearly
from junkan.lifecycle.optimise.spec import MAX_SIMULATIONS, Constraint, Objective, OptimiseSpec
from junkan.lifecycle.optimise.together import split_notes, splits

if TYPE_CHECKING:
    from junkan import lifecycle
    from junkan.lifecycle.optimise.solve import _Problem
    from junkan.lifecycle.optimise.surrogate import Choice

NETWORK = ("co2e", "cost", "revenue", "margin", "virgin_input", "recycled_input")
LOWER_IS_BETTER = ("co2e", "cost", "virgin_input")
"""The figures of :data:`NETWORK` where less is better; for the rest more is (a chart of
the best loop colours each change by it)."""


def window(model: lifecycle.ModelFile, spec: OptimiseSpec) -> list[int]:
    """The years the figures cover: the spec's ``years``, else the model's whole horizon
    (RAP is always whole-horizon)."""
    if spec.years is not None:
        return list(spec.years)
    return [model.baseline.years.start, model.baseline.years.end]


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


@dataclass
class Point:
    """One combination of choices, simulated."""

    choices: list[dict[str, Any]]
    raw: dict[str, float]
    feasible: bool
    predicted: dict[str, float] | None
    picked: tuple[Choice, ...] = ()
    """The choices themselves (what ``choices`` reports of them), for a point built again
    from this one."""

    @classmethod
    def of(
        cls,
        p: _Problem,
        choices: list[Choice],
        figures: dict[str, float],
        predicted: np.ndarray | None,
    ) -> Point:
        rows = [
            {"decision": e.decision.name, "option": c.label, "value": c.value, "set": c.overrides,
             **({"unit": c.unit} if c.unit else {})}
            for e, c in zip(p.expanded, choices, strict=False)
        ]
        pred = None
        if predicted is not None and p.sur is not None:
            pred = {
                n: float(v) for n, v in zip(p.sur.names, predicted, strict=True) if n in p.relevant
            }
        return cls(rows, figures, p.feasible(figures), pred, tuple(choices))

    def actors(self, base: Point) -> list[dict[str, Any]]:
        names = sorted(k.split("@", 1)[1] for k in self.raw if k.startswith("margin@"))
        return [
            {
                "actor": a,
                "co2e_t": _num(self.raw[f"co2e@{a}"]),
                "co2e_change_t": _num(self.raw[f"co2e@{a}"] - base.raw.get(f"co2e@{a}", 0)),
                "margin": _num(self.raw[f"margin@{a}"]),
                "margin_change": _num(self.raw[f"margin@{a}"] - base.raw.get(f"margin@{a}", 0)),
            }
            for a in names
        ]

    def network(self) -> dict[str, float | None]:
        return {k: _num(self.raw.get(k, float("nan"))) for k in NETWORK}

    def label(self) -> str:
        return ", ".join(f"{c['decision']}={c['option']}" for c in self.choices)


def money_columns(currency: str) -> dict[str, str]:
    """An actor's money columns in a table, named with the ``currency`` (review 248:
    ``actors.csv`` said ``margin`` in no currency)."""
    return {"margin": f"margin_{currency}", "margin_change": f"margin_change_{currency}"}


def _point_column(o: Objective, currency: str) -> str:
    """A Pareto point's column of objective ``o``: ``point_cost_JPY`` for money."""
    return f"point_{o.label()}" + (f"_{currency}" if o.unit(currency) == currency else "")


def constraints_doc(spec: OptimiseSpec, point: Point, currency: str) -> list[dict[str, Any]]:
    """The spec's constraints at ``point``: each bound, the point's value and whether it is
    met (within a relative 1e-9, the solver's own tolerance). A per-year figure (activity)
    must hold in every year of the window: ``value`` and ``year`` are those of the binding
    year — the one furthest below ``min`` or above ``max``, or, when all are met, the one
    closest to a bound; ``year`` is ``None`` for a figure over the whole window. ``unit`` is
    the figure's (an activity's is ``kg/year`` or ``piece/year``, money the ``currency``)."""
    out = []
    for c in spec.constraints:
        values = yearly(c, point.raw) or [(None, 0.0)]
        year, v = min(values, key=lambda yv: _slack(c, yv[1]))
        met = all(_slack(c, x) >= -1e-9 * max(1.0, abs(x)) for _, x in values)
        out.append({"figure": c.label(), "min": c.min, "max": c.max, "value": _num(v),
                    "unit": c.unit(currency), "year": year, "met": bool(met)})
    return out


def _slack(c: Constraint, v: float) -> float:
    """How far ``v`` lies inside ``c``'s bounds (negative: outside; −inf for NaN)."""
    if not np.isfinite(v):
        return -np.inf
    lo = v - c.min if c.min is not None else np.inf
    hi = c.max - v if c.max is not None else np.inf
    return float(min(lo, hi))


def _objective_doc(
    o: Objective, pt: Point, ref: Point, base: Point, currency: str
) -> dict[str, Any]:
    return {
        "figure": o.label(),
        "sense": "max" if o.maximise else "min",
        "unit": o.unit(currency),
        "definition": o.definition(),
        "value": _num(value(o, pt.raw)),
        "reference": _num(value(o, ref.raw)),
        "as_modelled": _num(value(o, base.raw)),
    }


@dataclass
class Optimum:
    """The best combination for the spec's objective, simulated."""

    PAGE: ClassVar[str] = "optimise.html"
    """The page :meth:`report` writes into a folder."""

    model: lifecycle.ModelFile
    spec: OptimiseSpec
    best: Point
    reference: Point
    as_modelled: Point
    method: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        cur = self.model.baseline.currency
        return {
            "model": self.model.name,
            "years": window(self.model, self.spec),
            "scenario": self.spec.scenario or self.model.baseline.baseline_name,
            "objective": _objective_doc(
                self.spec.objective, self.best, self.reference, self.as_modelled, cur
            ),
            "choices": self.best.choices,
            "constraints": constraints_doc(self.spec, self.best, cur),
            "as_modelled_constraints": constraints_doc(self.spec, self.as_modelled, cur),
            "network": self.best.network(),
            "as_modelled": self.as_modelled.network(),
            "lower_is_better": list(LOWER_IS_BETTER),
            "actors": self.best.actors(self.as_modelled),
            "units": {
                "co2e": "t",
                "virgin_input": "t",
                "recycled_input": "t",
                "cost": cur,
                "revenue": cur,
                "margin": cur,
                "money": cur,
                "actors": {"co2e_t": "t", "co2e_change_t": "t", "margin": cur,
                           "margin_change": cur},
            },
            "method": self.method,
            "notes": split_notes(found := splits(self.spec, self.best.choices)),
            "scenario_splits": found,
        }

    def to_frame(self) -> pd.DataFrame:
        """Each actor's figures and change against the model as given (money columns
        named with the model's currency, as ``actors.csv`` gives them)."""
        return pd.DataFrame(self.best.actors(self.as_modelled)).rename(
            columns=money_columns(self.model.baseline.currency))

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.optimise.report import optimum_page

        return optimum_page(self, Path(path))


@dataclass
class ParetoFront:
    """Non-dominated combinations between two objectives, each simulated."""

    PAGE: ClassVar[str] = "pareto.html"
    """The page :meth:`report` writes into a folder."""

    model: lifecycle.ModelFile
    spec: OptimiseSpec
    points: list[Point]
    as_modelled: Point
    method: dict[str, Any]

    @property
    def objectives(self) -> tuple[Objective, Objective]:
        assert self.spec.pareto is not None
        return self.spec.pareto.objectives

    def to_json(self) -> dict[str, Any]:
        o1, o2 = self.objectives
        cur = self.model.baseline.currency
        return {
            "model": self.model.name,
            "scenario": self.spec.scenario or self.model.baseline.baseline_name,  # review 251
            "years": window(self.model, self.spec),
            "objectives": [
                {
                    "figure": o.label(),
                    "sense": "max" if o.maximise else "min",
                    "unit": o.unit(cur),
                    "definition": o.definition(),
                }
                for o in (o1, o2)
            ],
            "as_modelled": {o.label(): _num(value(o, self.as_modelled.raw)) for o in (o1, o2)},
            "as_modelled_constraints": constraints_doc(self.spec, self.as_modelled, cur),
            "points": [
                {
                    o1.label(): _num(value(o1, p.raw)),
                    o2.label(): _num(value(o2, p.raw)),
                    "choices": p.choices,
                    "network": p.network(),
                    "actors": p.actors(self.as_modelled),
                    "scenario_splits": splits(self.spec, p.choices),
                }
                for p in self.points
            ],
            "units": {"money": cur, "actors": {"co2e_change_t": "t", "margin_change": cur}},
            "method": self.method,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per point and actor: both objectives and the actor's change (money
        columns named with the model's currency: ``point_cost_JPY``, ``margin_JPY``)."""
        o1, o2 = self.objectives
        cur = self.model.baseline.currency
        rows = []
        for i, p in enumerate(self.points):
            for a in p.actors(self.as_modelled):
                # the point's objectives under their own names: an actor's columns (co2e_t,
                # margin, …) overwrote an objective of the same name (--pareto co2e,margin
                # wrote each actor's margin in the front's margin column)
                rows.append({"point": i, **{_point_column(o, cur): value(o, p.raw)
                                            for o in (o1, o2)}, **a})
        return pd.DataFrame(rows).rename(columns=money_columns(cur))

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.optimise.report import pareto_page

        return pareto_page(self, Path(path))


FRONT_EQUAL = 1e-6
"""Relative difference under which two values of the second objective count as equal on a
front, and under which the additive model's deviation from simulation leaves a complete
front complete."""


def front_doc(finite: bool, complete: bool, n: int, spec: OptimiseSpec,
              stepped: list[str] | None = None,
              refined: list[dict[str, Any]] | None = None,
              enumerated: bool = False, deviation: float = 0.0,
              stopped: int | None = None) -> dict[str, Any]:
    """What a Pareto front is: complete (every non-dominated combination), incomplete
    (beyond ``max_points``) or sampled (a continuous range); ``stepped``: ranges taken at
    their levels, over which alone a complete front is complete (``over_levels_of``);
    ``refined``: the points then found between those levels (``refined``, each with the
    combination it came from, the objective it improved, the ranges it moved and whether it
    is on the front); ``enumerated``: every combination simulated, the front those that no
    other beats; ``deviation``: the additive model's largest relative deviation from
    simulation — above :data:`FRONT_EQUAL` a front complete in that model is not said
    complete (``approximate``; review 259: 4 points of 10, two beaten); ``stopped``: the
    simulations run when the refinement of the points stopped short of the limit."""
    assert spec.pareto is not None
    approximate = complete and not enumerated and deviation > FRONT_EQUAL
    if approximate:
        complete = False
        within = ("within the spec's tolerance" if deviation <= spec.tolerance else
                  "more than the spec's tolerance, with more combinations than max_enumerate "
                  f"({spec.max_enumerate:,}) to simulate them all; tolerance")
        text = (f"complete in the additive model only ({n} points): its effects differ from "
                f"simulation by up to {deviation:.2%} ({within} {spec.tolerance:g}), so the "
                "simulated front may hold other points and beat some of these; raise "
                "max_enumerate (or lower the tolerance) for the exact front")
    elif complete and enumerated:
        text = (f"complete — every non-dominated combination ({n} points; every combination "
                "simulated, those no other beats on both objectives)")
    elif complete:
        text = (
            f"complete — every non-dominated combination ({n} points; ε-constraint stepped "
            "from the first objective's optimum with lexicographic tie-breaking, until the "
            "second cannot improve; values of the second within 1e-6 of the front's span or "
            "magnitude count as equal)"
        )
    elif finite:
        text = (
            f"incomplete — more than max_points ({spec.pareto.max_points}) points; the first "
            f"of them and {spec.pareto.points} ε levels across the front are given ({n} "
            "points); raise pareto.max_points for all"
        )
    else:
        text = (
            f"sampled — the second objective bounded at {spec.pareto.points} levels between "
            f"its extremes ({n} points); a continuous range makes the front a continuum, so "
            "points between them may exist"
        )
    if complete and stepped:
        text += f"; complete over the levels of the ranges {', '.join(stepped)} only: " \
            "combinations between those levels are not searched"
    if refined:
        kept = sum(bool(r.get("on_front")) for r in refined)
        text += f"; {len(refined)} point{'s' if len(refined) > 1 else ''} found between the " \
            f"levels of the ranges held at them ({kept} on the front): a point holding one " \
            "at a level, moved by a golden-section search of the first objective under the " \
            "bound on the second it was found with (at the second's own optimum, of the " \
            "second), simulated, constraints checked; local: the points it came from stay " \
            "where no point found beats them"
    if stopped is not None:
        text += f"; the refinement of the points stopped at {stopped:,} simulations, short " \
            f"of the {MAX_SIMULATIONS:,} a front may take: the points after it stay at their " \
            "levels"
    return {"complete": complete, "points": n, "text": text,
            **({"approximate": True} if approximate else {}),
            **({"refining_stopped_at": stopped} if stopped is not None else {}),
            **({"over_levels_of": stepped} if stepped else {}),
            **({"refined": refined} if refined else {})}
