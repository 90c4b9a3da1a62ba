"""The verbs: :func:`optimise` (the best combination of loop options), :func:`pareto` (the
front between two objectives, ε-constraint method) and :func:`enumerate_options` (every
combination simulated: the exact reference the tests compare with, and the fallback when
the effects do not add up)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from junkan import lifecycle
from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.lifecycle.optimise import refine
from junkan.lifecycle.optimise.features import (
    forms,
    rap_meaningful,
    refuse_negative_rap,
    value,
    vector,
)
from junkan.lifecycle.optimise.front import grid, nondominated, tiebreak, walk
from junkan.lifecycle.optimise.front_refine import refined_front, refining_budget
from junkan.lifecycle.optimise.method import describe, stepped
from junkan.lifecycle.optimise.milp import Goal, Program, Row, choices_key, json_key
from junkan.lifecycle.optimise.result import Optimum, ParetoFront, Point, front_doc
from junkan.lifecycle.optimise.spec import Constraint, Objective, OptimiseSpec, Term
from junkan.lifecycle.optimise.surrogate import (
    Choice,
    Expanded,
    Simulator,
    Surrogate,
    build,
    check_tests,
    expand,
    planned,
)


class _Problem:
    """A spec bound to a model: simulator, additive model and program."""

    def __init__(
        self, model: lifecycle.ModelFile, spec: OptimiseSpec, extra: Sequence[Objective] = (),
        progress: Callable[[int, int], None] | None = None, after: int = 0,
        enumeration: bool = False, refining: int = 0,
    ) -> None:
        """``after``: the most simulations the verb runs once the additive model is built,
        besides the check of :func:`_verify` and either (``enumeration``) every combination
        or the ``refining`` search (for the total ``progress`` is told)."""
        self.model, self.spec = model, spec
        located: list[tuple[str, Term]] = [
            ("objective", spec.objective),
            *((f"constraints[{i}]", c) for i, c in enumerate(spec.constraints)),
            *(("objective", o) for o in extra),
            *((f"pareto.objectives[{j}]", o) for j, o in
              enumerate(spec.pareto.objectives if spec.pareto else ())),
        ]
        terms = [t for _, t in located]
        activity = {(t.process, t.basis) for t in terms if t.metric == "activity"}
        rap = any(t.metric == "rap" for t in terms)
        _check_years(model, spec)
        self.sim = Simulator(model, spec, activity, rap, progress)  # type: ignore[arg-type]
        check_tests(spec)
        self.expanded = expand(model, spec)
        size = math.prod(len(lv) for lv in _levels(self.expanded))
        self.enumerable = size if size <= spec.max_enumerate else 0
        """How many combinations :func:`_enumerate` would simulate (0: too many to)."""
        self.neighbours = sum(len(lv) - 1 for lv in _levels(self.expanded))
        """Combinations one choice away from a solution, which :func:`_verify` simulates."""
        self.after = after + 1 + spec.verify + self.neighbours + max(
            self.enumerable if enumeration else 0, refining)
        self.sim.expect(1 + planned(self.expanded) + self.after)
        self.as_modelled = self.sim([])
        keys = set(self.as_modelled)
        self._check_terms(located, keys)
        relevant: set[str] = set()
        for t in terms:
            nums, den = forms(t, keys)
            for f in [*nums, den or {}]:
                relevant.update(f)
        self.relevant = relevant
        self.sur: Surrogate | None = None
        self.prog: Program | None = None

    def _check_terms(self, terms: list[tuple[str, Term]], keys: set[str]) -> None:
        """ModelError naming the spec's field of every actor, material or process the model
        does not have."""
        problems = []
        for path, t in terms:
            for who, what, field, prefix in (
                (t.actor, "actor", "actor", "margin@"),
                (t.material, "material", "material", "virgin_input@"),
                (t.process if t.metric == "activity" else None, "process", "process",
                 "activity@"),
            ):
                if who is None:
                    continue
                if any(k.startswith(f"{prefix}{who}@") or k == f"{prefix}{who}" for k in keys):
                    continue
                known = sorted({k[len(prefix):].split("@")[0] for k in keys
                                if k.startswith(prefix)} if what != "process"
                               else self.model.baseline.processes)
                more = ", …" if len(known) > 20 else ""
                problems.append(Problem(
                    f"{path}.{field}",
                    f"unknown {what} {short(who)} in the model {short(self.model.name)}"
                    + (f"; known: {', '.join(known[:20])}{more}" if known else "")))
        if problems:
            raise ModelError(problems, self.spec.origin)

    def program(self) -> Program:
        if self.prog is None:
            self.sur = build(self.sim, self.expanded, self.relevant, self.after)
            self.prog = Program.of(self.sur)
        return self.prog

    def goal(self, term: Term, maximise: bool = False) -> Goal:
        names = self.program().sur.names
        nums, den = forms(term, names)
        den_v = None if den is None else vector(den, names)
        return Goal(vector(nums[0], names), den_v, maximise, term.label())

    def rows(self, constraints: Sequence[Constraint]) -> list[Row]:
        names = self.program().sur.names
        out = []
        for c in constraints:
            nums, den = forms(c, names)
            lo = -np.inf if c.min is None else c.min
            hi = np.inf if c.max is None else c.max
            den_v = None if den is None else vector(den, names)
            out += [Row(Goal(vector(n, names), den_v, False, c.label()), lo, hi) for n in nums]
        return out

    def point(self, choices: list[Choice], predicted: np.ndarray | None = None) -> Point:
        figures = self.sim(choices)
        return Point.of(self, choices, figures, predicted)

    def feasible(self, figures: dict[str, float]) -> bool:
        return _meets(self.spec.constraints, figures)

    def meaningful(self, figures: dict[str, float], terms: Sequence[Term] | None = None
                   ) -> bool:
        """Whether the RAP ``terms`` (default: the objective and the constraints) mean
        something with ``figures`` (:func:`refuse_negative_rap` would not refuse them)."""
        return all(rap_meaningful(t, figures)
                   for t in terms or (self.spec.objective, *self.spec.constraints))


def _check_years(model: lifecycle.ModelFile, spec: OptimiseSpec) -> None:
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


def _reach(p: _Problem, c: Constraint, maximise: bool, points: list[Point] | None) -> float:
    """The highest (``maximise``) or lowest value constraint ``c``'s figure reaches over
    the options (the simulated ``points``, else the additive model), ignoring the other
    constraints; NaN when it cannot be found."""
    pick = max if maximise else min
    if points is not None:
        vals = []
        for pt in points:
            each = _values(c, pt.raw)  # every row of c must reach it
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
    return (min if maximise else max)(best) if best else float("nan")


def _infeasible(p: _Problem, points: list[Point] | None = None) -> ModelError:
    """Why no combination satisfies the constraints: each constraint that cannot be met
    even alone, with the best value its figure reaches; else that they conflict."""
    cur = p.model.baseline.currency
    problems = []
    for i, c in enumerate(p.spec.constraints):
        unit = c.unit(cur)
        for bound, maximise, word in ((c.min, True, "at most"), (c.max, False, "at least")):
            if bound is None:
                continue
            best = _reach(p, c, maximise, points)
            tol = 1e-9 * max(abs(best), 1.0)
            if np.isfinite(best) and (best < bound - tol if maximise else best > bound + tol):
                side = "min" if maximise else "max"
                problems.append(Problem(
                    f"constraints[{i}].{side}",
                    f"{c.label()} {'≥' if maximise else '≤'} {bound:g} {unit} cannot be met: "
                    f"the options reach {word} {best:.6g} {unit}" + _at_levels(p)))
    if not problems:  # a constraint with two bounds, or one per year, may still be unmet
        prog = p.program()
        for i, c in enumerate(p.spec.constraints):
            if (not any(_meets([c], pt.raw) for pt in points) if points is not None else
                    prog.solve(Goal(np.zeros(len(prog.sur.names))), p.rows([c])) is None):
                problems.append(Problem(f"constraints[{i}]", f"{c.label()} cannot be met even "
                                        "alone: no combination of the options keeps it within "
                                        "its bounds" + (" in every year of the window"
                                                        if c.metric == "activity" else "")
                                        + _at_levels(p)))
    if not problems:
        labels = ", ".join(f"constraints[{i}] ({c.label()})"
                           for i, c in enumerate(p.spec.constraints))
        problems.append(Problem("constraints", f"each constraint can be met alone but no "
                                f"combination of the options meets them all: {labels}; "
                                "relax one of them"))
    return ModelError(problems, p.spec.origin)


def _meets(constraints: Sequence[Constraint], figures: dict[str, float]) -> bool:
    """Whether simulated ``figures`` meet every one of ``constraints`` (a ratio of 0/0
    meets no bound: the result says so too)."""
    return all(math.isfinite(v) and not _beyond(c, v)
               for c in constraints for v in _values(c, figures))


def _values(c: Constraint, figures: dict[str, float]) -> list[float]:
    """Constraint ``c``'s figure in ``figures`` (one per year for a per-year figure)."""
    nums, den = forms(c, figures)
    return [_ratio(n, den, figures) for n in nums]


def _beyond(c: Constraint, v: float) -> bool:
    """Whether a finite value lies outside ``c``'s bounds by more than rounding."""
    tol = 1e-9 * max(abs(v), 1.0)
    return (c.min is not None and v < c.min - tol) or (c.max is not None and v > c.max + tol)


def _stepped(p: _Problem, said: bool = False) -> list[str]:
    """The ranges taken at their levels only (:func:`~.method.stepped`)."""
    return stepped(p.sur.checks if p.sur is not None else {}, said)


def _at_levels(p: _Problem) -> str:
    """What a limit reached holds for when ranges were taken at their levels only."""
    names = _stepped(p, said=True)
    return (f" at the levels of the ranges {', '.join(names)} (points between them are not "
            "searched: give more steps)") if names else ""


def _ratio(num: dict[str, float], den: dict[str, float] | None, figures: dict[str, float]) -> float:
    n = sum(c * figures.get(k, 0.0) for k, c in num.items())
    if den is None:
        return n
    d = sum(c * figures.get(k, 0.0) for k, c in den.items())
    return n / d if d else float("nan")


def _levels(expanded: list[Expanded]) -> list[list[Choice]]:
    return [e.levels() for e in expanded]


def _verify(p: _Problem, z: np.ndarray) -> float:
    """Largest relative deviation of the additive prediction from simulation, at ``z`` and
    at ``verify`` random combinations."""
    prog = p.program()
    sur = prog.sur
    rng = np.random.default_rng(0)
    points = [z]
    levels = _levels(p.expanded)
    for _ in range(p.spec.verify):
        combo = [lv[int(rng.integers(len(lv)))] for lv in levels]
        points.append(prog.encode(combo))
    # and every combination one choice away from z: an interaction of three or more
    # decisions that no pair shows from the reference shows there (review: a cleaner
    # refurbishing option that matters only with collection and reuse both on)
    here = prog.decode(z)
    for i, lv in enumerate(levels):
        for c in lv:
            if json_key(c) != json_key(here[i]):
                points.append(prog.encode([*here[:i], c, *here[i + 1:]]))
    dev = 0.0
    for zz in points:
        sim = p.sim(prog.decode(zz))
        actual = np.array([sim.get(n, 0.0) for n in sur.names])
        scale = sur.scale(p.sim)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scale > 0, np.abs(prog.figures(zz) - actual) / scale, 0.0)
        dev = max(dev, float(rel.max(initial=0.0)))
    return dev


def enumerate_options(
    model: lifecycle.ModelFile, spec: OptimiseSpec, objective: Objective | None = None
) -> tuple[Point, list[Point]]:
    """Simulate every combination (ranges at their ``steps`` levels); the best feasible one
    and all of them."""
    p = _Problem(model, spec)
    return _enumerate(p, objective or spec.objective)


def _enumerate(p: _Problem, objective: Objective) -> tuple[Point, list[Point]]:
    levels = _levels(p.expanded)
    size = int(np.prod([len(lv) for lv in levels]))
    if size > p.spec.max_enumerate:
        raise JunkanError(f"{size:,} combinations exceed max_enumerate ({p.spec.max_enumerate:,})")
    points = [p.point(list(c)) for c in itertools.product(*levels)]
    ok = [pt for pt in points if pt.feasible]
    if not ok:
        raise _infeasible(p, points)
    sign = -1 if objective.maximise else 1
    best = min(ok, key=lambda pt: sign * value(objective, pt.raw))
    return best, points


def optimise(model: lifecycle.ModelFile, spec: OptimiseSpec, *,
             progress: Callable[[int, int], None] | None = None) -> Optimum:
    """The best combination of the decisions' options for ``spec.objective`` under
    ``spec.constraints`` (see the package docs for the method). ``progress`` is told
    (simulations so far, the most there may be) after each new simulation, and (simulations
    run, the same) when done; the most there may be tightens as the stages become known."""
    ranges = sum(d.range is not None for d in spec.decisions)  # the most refine may move
    p = _Problem(model, spec, progress=progress, after=1, enumeration=True,
                 refining=refine.most_simulations(ranges))
    prog = p.program()
    goal = p.goal(spec.objective, spec.objective.maximise)
    z = prog.solve(goal, p.rows(spec.constraints))
    if z is None and not p.enumerable:
        raise _infeasible(p)
    # no combination feasible in the additive model: simulate them all before saying so
    # (an interaction it misses may make one feasible); _enumerate names what cannot be met
    deviation = _verify(p, z) if z is not None else math.inf
    enumerate_all = deviation > spec.tolerance and p.enumerable
    if z is None:
        z = prog.encode([e.choices[0] for e in p.expanded])
    held = [] if enumerate_all else prog.at_levels(z)
    p.sim.expect(1 + (p.enumerable if enumerate_all else refine.most_simulations(len(held))))
    choices, moved = refine.refine(p.sim, p.expanded, prog.decode(z), held, spec.objective,
                                   lambda f: p.feasible(f) and p.meaningful(f))
    best = p.point(choices, None if moved else prog.figures(z))
    method = _method(p, deviation, goal.den is not None)
    if moved:
        method["refined"] = [m.to_json() for m in moved]
        method["text"] += "; then " + ", ".join(
            f"{m.decision} moved from its level {m.level:.6g} to {m.value:.6g}" for m in moved
        ) + " by a golden-section search of the simulated objective between its levels " \
            "(constraints checked by simulation; local: never worse than the levels' optimum)"
    if enumerate_all:
        best, _ = _enumerate(p, spec.objective)
        method["name"] = "enumeration"
        why = ("the additive model found no combination that meets the constraints"
               if math.isinf(deviation) else
               f"the effects of the options are not additive: deviation {deviation:.2g}")
        method["text"] = f"every combination simulated ({why}); exact over the ranges' levels"
    _refuse_negative_rap(p, spec.objective, "objective", [best])
    _refuse_negative_rap_bounds(p, [best])
    _refuse_unmet(p, best)
    result = Optimum(
        model, spec, best, p.point([e.choices[0] for e in p.expanded]), _as_modelled(p), method
    )
    p.sim.finish()
    return result


def _refuse_unmet(p: _Problem, best: Point, violated: bool = True) -> None:
    """ModelError at the constraint the best choice does not meet when simulated — above
    all a share of 0/0 (a recycled share of a material the window never uses), which the
    program took as met (0 ≤ 0) and the result as unmet: it was reported, exit 0, as the
    optimum (review 212). With ``violated`` false, only a figure of 0/0 is refused (a
    front point's constraints are reported with it)."""
    for i, c in enumerate(p.spec.constraints):
        for v in _values(c, best.raw):
            if math.isfinite(v) and not (violated and _beyond(c, v)):
                continue
            why = ("its figure is 0/0 there (nothing in its denominator within the years), so "
                   "a bound on it means nothing; remove the constraint or bound a figure "
                   "the model has" if not math.isfinite(v) else
                   f"simulated, it is {v:.6g}: the options' effects are not additive enough "
                   "for the program; raise max_enumerate to simulate every combination")
            raise ModelError([Problem(f"constraints[{i}]", f"{c.label()}: the best choice "
                                      f"found, {short(best.label() or 'as modelled', 200)}, "
                                      f"does not meet it — {why}")], p.spec.origin)


def _refuse_negative_rap_bounds(p: _Problem, points: list[Point]) -> None:
    """A RAP constraint is met only where RAP means something: refused at a point whose
    value added is negative (a negative ratio met ``rap ≥ -1`` by spending more)."""
    for i, c in enumerate(p.spec.constraints):
        _refuse_negative_rap(p, c, f"constraints[{i}]", points)


def _refuse_negative_rap(p: _Problem, o: Term, path: str, points: list[Point]) -> None:
    """:func:`refuse_negative_rap` at each point, naming its choices, scenario and model."""
    scen = p.spec.scenario or p.model.baseline.baseline_name
    for pt in points:
        where = (f"the choice {short(pt.label() or 'as modelled', 200)} of scenario "
                 f"{short(scen)} of the model {short(p.model.name)}")
        refuse_negative_rap(o, path, pt.raw, where, p.model.baseline.currency, p.spec.origin)


def _as_modelled(p: _Problem) -> Point:
    return Point.of(p, [], p.as_modelled, None)


def _method(p: _Problem, deviation: float, ratio: bool) -> dict[str, Any]:
    assert p.sur is not None
    return describe(p.sur.checks, p.spec, len(p.sim.cache), deviation, ratio)


def pareto(model: lifecycle.ModelFile, spec: OptimiseSpec, *,
           progress: Callable[[int, int], None] | None = None) -> ParetoFront:
    """The Pareto front of ``spec.pareto.objectives`` by the ε-constraint method, ties broken
    lexicographically (among the optima of the first objective, the best for the second), each
    point simulated. When every choice is discrete (no continuous range) the front is finite
    and complete: walking from the first objective's optimum, each step requires the second to
    improve on the last point, until it cannot (at most ``max_points`` points; beyond, the
    ``points`` levels below are added and the method says the front is incomplete). With a
    continuous range the front is a continuum, sampled with the second objective bounded at
    ``points`` levels between its best and its value at the first's optimum. Points holding
    a range at a level are then refined between its levels
    (:func:`~.front_refine.refined_front`). ``progress``
    is told as by :func:`optimise`."""
    if spec.pareto is None:
        raise JunkanError("give pareto: {objectives: [co2e, cost]} in the spec (or --pareto)")
    o1, o2 = spec.pareto.objectives
    ranges = sum(d.range is not None for d in spec.decisions)
    budget = spec.pareto.points + 2  # the most front points the local search refines
    p = _Problem(model, spec, progress=progress, enumeration=True,
                 after=spec.pareto.max_points + budget + budget * refining_budget(spec, ranges))
    prog = p.program()
    g1, g2 = p.goal(o1, o1.maximise), p.goal(o2, o2.maximise)
    # a front point has both figures: where a ratio objective is 0/0 there is no point
    rows = [*p.rows(spec.constraints), *prog.defined(g1), *prog.defined(g2)]
    z1, z2 = prog.solve(g1, rows), prog.solve(g2, rows)
    if z1 is None or z2 is None:
        raise _infeasible(p)
    z1 = tiebreak(prog, g1, g2, z1, rows)
    z2 = tiebreak(prog, g2, g1, z2, rows)
    finite = bool(np.all(prog.integrality == 1))
    steps, complete = walk(prog, g1, g2, z1, z2, rows, spec.pareto.max_points) if finite \
        else ([], False)
    steps = [*steps, (z2, None)] if complete else \
        steps + grid(prog, g1, g2, z1, z2, rows, spec.pareto.points)
    held = max((len(prog.at_levels(z)) for z, _ in steps), default=0)
    p.sim.expect(len(steps) + 1 + spec.verify + p.neighbours + p.enumerable +
                 min(len(steps), budget) * refining_budget(spec, held))
    seen: dict[str, Point] = {}
    for z, _ in steps:
        choices = prog.decode(z)
        key = choices_key(choices)
        if key not in seen:
            seen[key] = p.point(choices, prog.figures(z))
    deviation = _verify(p, z1)
    enumerated = deviation > spec.tolerance and bool(p.enumerable)
    found, moved = refined_front(p, prog, steps, budget)
    # a point that breaks a constraint when simulated is no point of the front
    ok = [pt for pt in [*seen.values(), *found] if pt.feasible]
    if enumerated:  # not additive: every combination of the levels too
        every = [p.point(list(c)) for c in itertools.product(*_levels(p.expanded))]
        ok += [pt for pt in every if pt.feasible and p.meaningful(pt.raw, (o1, o2))]
        complete = finite
        if not ok:
            raise _infeasible(p, every)
    points = nondominated(ok, o1, o2)
    for pt, m in zip(found, moved, strict=True):
        m["on_front"] = any(pt is q for q in points)
    for j, o in enumerate((o1, o2)):
        _refuse_negative_rap(p, o, f"pareto.objectives[{j}]", points)
    _refuse_negative_rap_bounds(p, points)
    for pt in points:
        _refuse_unmet(p, pt, violated=False)
    method = _method(p, deviation, g1.den is not None or g2.den is not None)
    if enumerated:
        method["name"] = "enumeration"
        method["text"] = ("every combination simulated (the effects of the options are not "
                          f"additive: deviation {deviation:.2g}); exact over the ranges' levels"
                          + ("; points between them by the search below" if found else ""))
    method["front"] = front_doc(finite, complete, len(points), spec, _stepped(p), moved)
    method["text"] += "; Pareto front: " + method["front"]["text"]
    p.sim.finish()
    return ParetoFront(model, spec, points, _as_modelled(p), method)
