"""Constraints checked on simulated figures, and why a bound is not met: the one test of a
figure against its bounds (every verb's), the best value a figure reaches over the options,
and the messages that name what cannot be met; with the other refusals of a result (a RAP
that means nothing there, a ``years`` window outside the model's horizon)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from junkan import lifecycle
from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.lifecycle.optimise.features import forms, refuse_negative_rap
from junkan.lifecycle.optimise.method import stepped
from junkan.lifecycle.optimise.milp import Goal
from junkan.lifecycle.optimise.result import Point
from junkan.lifecycle.optimise.spec import MAX_SIMULATIONS, Constraint, OptimiseSpec, Term

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.solve import _Problem

__all__ = ["at_levels", "beyond", "brackets_of", "check_years", "constraint_values",
           "infeasible", "meets", "ratio_of", "reach", "refuse_negative_rap_at",
           "refuse_negative_rap_bounds", "refuse_unmet", "slack_interval", "slacks",
           "stepped_ranges"]


def meets(constraints: Sequence[Constraint], figures: dict[str, float]) -> bool:
    """Whether simulated ``figures`` meet every one of ``constraints`` (a ratio of 0/0
    meets no bound: the result says so too)."""
    return all(math.isfinite(v) and not beyond(c, v)
               for c in constraints for v in constraint_values(c, figures))


def constraint_values(c: Constraint, figures: dict[str, float]) -> list[float]:
    """Constraint ``c``'s figure in ``figures`` (one per year for a per-year figure)."""
    nums, den = forms(c, figures)
    return [ratio_of(n, den, figures) for n in nums]


def beyond(c: Constraint, v: float) -> bool:
    """Whether a finite value lies outside ``c``'s bounds by more than rounding."""
    tol = 1e-9 * max(abs(v), 1.0)
    return (c.min is not None and v < c.min - tol) or (c.max is not None and v > c.max + tol)


def ratio_of(num: dict[str, float], den: dict[str, float] | None,
             figures: dict[str, float]) -> float:
    n = sum(c * figures.get(k, 0.0) for k, c in num.items())
    if den is None:
        return n
    d = sum(c * figures.get(k, 0.0) for k, c in den.items())
    return n / d if d else float("nan")


def reach(p: _Problem, c: Constraint, maximise: bool, points: list[Point] | None) -> float:
    """The highest (``maximise``) or lowest value constraint ``c``'s figure reaches over
    the options (the simulated ``points``, else the additive model), ignoring the other
    constraints; NaN when it cannot be found."""
    pick = max if maximise else min
    if points is not None:
        vals = []
        for pt in points:
            each = constraint_values(c, pt.raw)  # every row of c must reach it
            vals.append((min if maximise else max)(each) if each else float("nan"))
        vals = [v for v in vals if np.isfinite(v)]
        return pick(vals) if vals else float("nan")
    prog = p.program()
    best: list[float] = []
    for row in p.rows([c]):
        goal = Goal(row.goal.num, row.goal.den, maximise, row.goal.label)
        try:
            z = prog.solve(goal, [])
        except JunkanError:
            z = None
        best.append(goal.of(prog.figures(z)) if z is not None else float("nan"))
    additive = (min if maximise else max)(best) if best else float("nan")
    # a combination simulated on the way may reach further than the additive model says
    # (review 251: "at least 380,266,205 JPY" where one simulated cost 293,122,547)
    seen = [(min if maximise else max)(each) for figures in p.sim.cache.values()
            if (each := constraint_values(c, figures))]
    return pick([v for v in (additive, *seen) if np.isfinite(v)], default=float("nan"))


def apart(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` written with the fewest significant digits (at least 6) that tell
    them apart: a budget of 897,212,600 against 897,212,618 read "8.97213e+08" twice
    (review 225). A 0 beside a large figure leaves it whole (review 315: "≤ 0 JPY …
    at least 5.55411e+07 JPY", where a budget of 1e7 read 55,541,066)."""
    whole = all(v == 0 or 1e4 <= abs(v) < 1e15 for v in (a, b)) and any((a, b))
    for digits in range(0 if whole else 6, 18):
        x, y = ((f"{a:,.{digits}f}", f"{b:,.{digits}f}") if whole
                else (f"{a:.{digits}g}", f"{b:.{digits}g}"))
        if x != y:
            return x, y
    return x, y


def infeasible(p: _Problem, points: list[Point] | None = None,
               between: bool = False) -> ModelError:
    """Why no combination satisfies the constraints: each constraint that cannot be met
    even alone, with the best value its figure reaches; else that they conflict.
    ``between``: the ranges were searched between their levels too (:func:`at_levels`)."""
    cur = p.model.baseline.currency
    problems = []
    for i, c in enumerate(p.spec.constraints):
        unit = c.unit(cur)
        for bound, maximise, word in ((c.min, True, "at most"), (c.max, False, "at least")):
            if bound is None:
                continue
            best = reach(p, c, maximise, points)
            tol = 1e-9 * max(abs(best), 1.0)
            if np.isfinite(best) and (best < bound - tol if maximise else best > bound + tol):
                side = "min" if maximise else "max"
                said, got = apart(bound, best)
                problems.append(Problem(
                    f"constraints[{i}].{side}",
                    f"{c.label()} {'≥' if maximise else '≤'} {said} {unit} cannot be met: "
                    f"the options reach {word} {got} {unit}" + at_levels(p, between)
                    + _additive(p, points)))
    if not problems:  # a constraint with two bounds, or one per year, may still be unmet
        prog = p.program()
        for i, c in enumerate(p.spec.constraints):
            if (not any(meets([c], pt.raw) for pt in points) if points is not None else
                    prog.solve(Goal(np.zeros(len(prog.sur.names))), p.rows([c])) is None) \
                    and not (between and points is not None and any(
                        slack_interval(points[k].raw, points[n].raw, [c]) is not None
                        for k, _, _, n in brackets_of(p.expanded, points))):
                problems.append(Problem(f"constraints[{i}]", f"{c.label()} cannot be met even "
                                        "alone: no combination of the options keeps it within "
                                        "its bounds" + (" in every year of the window"
                                                        if c.metric == "activity" else "")
                                        + at_levels(p, between) + _additive(p, points)))
    if not problems:
        labels = ", ".join(f"constraints[{i}] ({c.label()})"
                           for i, c in enumerate(p.spec.constraints))
        one = len(p.spec.constraints) == 1  # review 251: "each … alone but … not all" of one
        problems.append(Problem("constraints", (
            f"no combination of the options meets {labels}" if one else
            f"each constraint can be met alone but no combination of the options meets them "
            f"all: {labels}") + at_levels(p, between) + _additive(p, points)
            + ("; relax it" if one else "; relax one of them")))
    return ModelError(problems, p.spec.origin)


def refuse_unmet(p: _Problem, best: Point, violated: bool = True) -> None:
    """ModelError at the constraint the best choice does not meet when simulated — above
    all a share of 0/0 (a recycled share of a material the window never uses), which the
    program took as met (0 ≤ 0) and the result as unmet: it was reported, exit 0, as the
    optimum (review 212). With ``violated`` false, only a figure of 0/0 is refused (a
    front point's constraints are reported with it)."""
    for i, c in enumerate(p.spec.constraints):
        for v in constraint_values(c, best.raw):
            if math.isfinite(v) and not (violated and beyond(c, v)):
                continue
            why = ("its figure is 0/0 there (nothing in its denominator within the years), so "
                   "a bound on it means nothing; remove the constraint or bound a figure "
                   "the model has" if not math.isfinite(v) else
                   f"simulated, it is {v:.6g}: the options' effects are not additive enough "
                   "for the program; raise max_enumerate to simulate every combination")
            raise ModelError([Problem(f"constraints[{i}]", f"{c.label()}: the best choice "
                                      f"found, {short(best.label() or 'as modelled', 200)}, "
                                      f"does not meet it — {why}")], p.spec.origin)


def stepped_ranges(p: _Problem, said: bool = False) -> list[str]:
    """The ranges taken at their levels only (:func:`~.method.stepped`)."""
    return stepped(p.sur.checks if p.sur is not None else {}, said)


def at_levels(p: _Problem, between: bool = False) -> str:
    """What a limit reached holds for when ranges were taken at their levels only;
    ``between``: every combination was simulated and each range, and each two, searched
    between their levels (the others at theirs) where the constraints' figures, taken as
    linear, say one holds (:mod:`~.brackets`, :mod:`~.cells`)."""
    names = ([e.decision.name for e in p.expanded if e.bounds is not None] if between
             else stepped_ranges(p, said=True))
    if not names:
        return ""
    return f" at the levels of the ranges {', '.join(names)} " + (
        "(and between the levels of one or two ranges at a time, the others at theirs, the "
        "figures taken as linear there: a point with three ranges between their levels, one "
        "in a window narrower than 1/64 of a cell of two (an equality), or where the figures "
        "bend, may not be seen — more steps may find one)" if between else
        "(points between them are not searched: give more steps)")


def slacks(constraints: Sequence[Constraint], figures: dict[str, float]) -> list[float]:
    """How far each bound of each constraint's figures is met (negative: failed by)."""
    return [s for c in constraints for v in constraint_values(c, figures)
            for s in ((v - c.min) if c.min is not None else None,
                      (c.max - v) if c.max is not None else None) if s is not None]


def slack_interval(a: dict[str, float], b: dict[str, float],
                   constraints: Sequence[Constraint]) -> tuple[float, float] | None:
    """Where between figures ``a`` (0) and ``b`` (1) every constraint holds, each bound's
    slack taken as linear between them; ``None`` where nowhere (or a figure has no value)."""
    lo, hi = 0.0, 1.0
    for sa, sb in zip(slacks(constraints, a), slacks(constraints, b), strict=True):
        if not (math.isfinite(sa) and math.isfinite(sb)) or (sa < 0 and sb < 0):
            return None
        if sa < 0 <= sb:
            lo = max(lo, sa / (sa - sb))
        elif sb < 0 <= sa:
            hi = min(hi, sa / (sa - sb))
    return (lo, hi) if lo <= hi else None


def brackets_of(expanded: Sequence[Any], points: Sequence[Point]
                ) -> Iterator[tuple[int, int, int, int]]:
    """Every bracket of a range with the other decisions at their levels: (the combination,
    the range, its level, the combination at the range's next level), positions in
    ``points`` (every combination at the levels, in ``itertools.product`` order)."""
    sizes = [len(e.levels()) for e in expanded]
    strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    for k in range(len(points)):
        for i, e in enumerate(expanded):
            j = k // strides[i] % sizes[i]
            if e.bounds is not None and j + 1 < sizes[i]:
                yield k, i, j, k + strides[i]


def _additive(p: _Problem, points: list[Point] | None) -> str:
    """What a limit found in the additive model (no ``points`` simulated) holds for: an
    interaction it misses may reach further (review 216: a bound one combination meets was
    called unmeetable)."""
    if points is not None:
        return ""
    more = (f"raise max_enumerate to {p.size:,} to simulate every combination"
            if p.size <= MAX_SIMULATIONS else f"its {p.size:,} combinations are more than "
            f"{MAX_SIMULATIONS:,} simulations: fewer options or steps would let them all be")
    return (" in the additive model of the options' effects, which may miss an interaction "
            f"that reaches further ({more})")


def check_years(model: lifecycle.ModelFile, spec: OptimiseSpec) -> None:
    """JunkanError when the spec's ``years`` window is not within the model's horizon: its
    figures would leave out the years the model does not simulate (or all be 0)."""
    if spec.years is None:
        return
    first, last = model.baseline.years.start, model.baseline.years.end
    if spec.years[0] < first or spec.years[1] > last:
        raise ModelError([Problem(
            "years", f"[{spec.years[0]}, {spec.years[1]}] is not within the model's horizon "
            f"{first}–{last} ({short(model.name)}); give years within it")],
            spec.origin)


def refuse_negative_rap_at(p: _Problem, o: Term, path: str, points: list[Point]) -> None:
    """:func:`refuse_negative_rap` at each point, naming its choices, scenario and model."""
    scen = p.spec.scenario or p.model.baseline.baseline_name
    for pt in points:
        where = (f"the choice {short(pt.label() or 'as modelled', 200)} of scenario "
                 f"{short(scen)} of the model {short(p.model.name)}")
        refuse_negative_rap(o, path, pt.raw, where, p.model.baseline.currency, p.spec.origin)


def refuse_negative_rap_bounds(p: _Problem, points: list[Point]) -> None:
    """A RAP constraint is met only where RAP means something: refused at a point whose
    value added is negative (a negative ratio met ``rap ≥ -1`` by spending more)."""
    for i, c in enumerate(p.spec.constraints):
        refuse_negative_rap_at(p, c, f"constraints[{i}]", points)
