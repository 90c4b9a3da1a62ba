"""The verbs: :func:`optimise` (the best combination of loop options), :func:`pareto` (the
front between two objectives, ε-constraint method) and :func:`enumerate_options` (every
combination simulated: the tests' exact reference, and the fallback when effects do not add)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from junkan import lifecycle
from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.lifecycle.optimise import brackets, front_refine, refine, surrogate
from junkan.lifecycle.optimise.features import forms, rap_meaningful, value, vector
from junkan.lifecycle.optimise.front import grid, nondominated, tiebreak, walk
from junkan.lifecycle.optimise.front_refine import as_referenced, refined_front, refining_budget
from junkan.lifecycle.optimise.method import describe
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
from junkan.lifecycle.optimise.unmet import (
    check_years,
    infeasible,
    meets,
    refuse_negative_rap_at,
    refuse_negative_rap_bounds,
    refuse_unmet,
    stepped_ranges,
)

TWO_AWAY = 512
"""The most combinations two choices away from a solution :func:`_verify` simulates: an
interaction of three decisions, one of them on at the solution, shows there (review 217: a
refurbishing option that matters only with collection and reuse both on, two choices from
the additive optimum, was missed at 72 combinations and more)."""

Told = Callable[[int, int], None]  # told (done, of): progress and pace
FEW = 64
"""Combinations simulated all, whatever the additive model says, when there are no more
(or no more than the simulations it took)."""


class _Problem:
    """A spec bound to a model: simulator, additive model and program."""

    def __init__(
        self, model: lifecycle.ModelFile, spec: OptimiseSpec, extra: Sequence[Objective] = (),
        progress: Callable[[int, int], None] | None = None, after: int = 0,
        enumeration: bool = False, refining: int = 0, pace: Told | None = None,
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
        check_years(model, spec)
        self.sim = Simulator(model, spec, activity, rap, progress, pace)  # type: ignore[arg-type]
        check_tests(spec)
        self.expanded = expand(model, spec)
        self.reference = surrogate.reference(self.expanded)  # kept when none does better
        self.size = size = math.prod(len(lv) for lv in _levels(self.expanded))
        """How many combinations of the options (ranges at their levels) there are."""
        self.enumerable = size if size <= spec.max_enumerate else 0
        """How many combinations :func:`_enumerate` would simulate (0: too many to)."""
        sizes = [len(lv) for lv in _levels(self.expanded)]
        two = refine.pairs_of(sizes)
        self.two_away = two <= TWO_AWAY
        """Whether :func:`_verify` simulates every combination two choices away too."""
        self.neighbours = sum(sizes) + (two if self.two_away else 0)
        """The most combinations one (and two) choices away from a solution, which
        :func:`_verify` simulates (every level of a range the solution holds between two)."""
        self.checked = 0
        """How many combinations :func:`_verify` compared with the additive model."""
        self.after = after + 1 + spec.verify + self.neighbours + (
            self.enumerable if enumeration else 0) + refining
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
        return meets(self.spec.constraints, figures)

    def meaningful(self, figures: dict[str, float], terms: Sequence[Term] | None = None
                   ) -> bool:
        """Whether the RAP ``terms`` (default: the objective and the constraints) mean
        something with ``figures`` (:func:`refuse_negative_rap` would not refuse them)."""
        return all(rap_meaningful(t, figures)
                   for t in terms or (self.spec.objective, *self.spec.constraints))


def _levels(expanded: list[Expanded]) -> list[list[Choice]]:
    return [e.levels() for e in expanded]


def _verify(p: _Problem, z: np.ndarray) -> float:
    """Largest relative deviation of the additive prediction from simulation, at ``z``, at
    ``verify`` random combinations and at every combination one choice away from ``z``, and
    two away where there are at most :data:`TWO_AWAY` (how many distinct ones:
    ``p.checked``)."""
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
    away = [[(i, c) for c in lv if json_key(c) != json_key(here[i])]
            for i, lv in enumerate(levels)]
    for i, c in (x for a in away for x in a):
        points.append(prog.encode([*here[:i], c, *here[i + 1:]]))
    if p.two_away:  # and two away: an interaction of three shows there
        for n, first in enumerate(away):
            for i, c in first:
                for j, d in (x for a in away[n + 1:] for x in a):
                    two = list(here)
                    two[i], two[j] = c, d
                    points.append(prog.encode(two))
    p.checked = len({choices_key(prog.decode(zz)) for zz in points})
    dev = 0.0
    for zz in p.sim.paced(points):
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
    best, points, _ = _enumerate(p, objective or spec.objective)
    return best, points


def _enumerate(p: _Problem, objective: Objective, refuse: bool = True
               ) -> tuple[Point, list[Point], list[Choice] | None]:
    """The best feasible combination where the objective has a value, every combination
    simulated, and the best one's choices (``None`` when none is feasible and not to
    ``refuse``: a range's brackets may hold one, :func:`_search`)."""
    levels = _levels(p.expanded)
    size = int(np.prod([len(lv) for lv in levels]))
    if size > p.spec.max_enumerate:
        raise JunkanError(f"{size:,} combinations exceed max_enumerate ({p.spec.max_enumerate:,})")
    combos = [list(c) for c in itertools.product(*levels)]
    points = [p.point(c) for c in p.sim.paced(combos)]
    ok = [pt for pt in points if pt.feasible]
    if not ok and refuse:
        raise infeasible(p, points)
    if not ok:
        return points[0], points, None
    # a ratio of 0/0 (or a RAP that means nothing) is no value: not the best (its NaN key
    # compared false with every other, so the first combination won; review 216)
    # none with a value: the best of those with a figure (a negative RAP: refused, naming
    # its value added), else the first (0/0: optimise says so)
    valued = (_valued(p, ok, (objective,))
              or [pt for pt in ok if math.isfinite(value(objective, pt.raw))] or ok[:1])
    sign = -1 if objective.maximise else 1
    best = min(valued, key=lambda pt: sign * value(objective, pt.raw))
    return best, points, next(c for c, pt in zip(combos, points, strict=True) if pt is best)


def _valued(p: _Problem, points: list[Point], objectives: Sequence[Objective]) -> list[Point]:
    """The ``points`` where each of ``objectives`` has a finite value that means something."""
    return [pt for pt in points if p.meaningful(pt.raw, objectives)
            and all(math.isfinite(value(o, pt.raw)) for o in objectives)]


def _all_simulated(p: _Problem, deviation: float) -> str | None:
    """Why every combination is simulated (``None``: it is not): the additive model found
    none that meets the constraints (``deviation`` infinite), the effects do not add up, or
    every decision is discrete and there are few enough combinations — no more than
    :data:`FEW` or the simulations the additive model took — for the optimum to be exact,
    not exact only as far as the combinations checked show (an interaction of three
    decisions two choices away from the additive optimum is seen by none of them; review
    216)."""
    if not p.enumerable:
        return None
    if math.isinf(deviation):
        return "the additive model found no combination that meets the constraints"
    if deviation > p.spec.tolerance:
        return f"the effects of the options are not additive: deviation {deviation:.2g}"
    # (with a range, the program's optimum is continuous in it: not taken at its levels)
    if all(e.bounds is None for e in p.expanded) and p.enumerable <= max(FEW, len(p.sim.cache)):
        return f"{p.enumerable:,} combinations, few enough to simulate them all"
    return None


def _search(p: _Problem, objective: Objective, expect: bool = True
            ) -> tuple[Point, float, str | None, list[refine.Moved], list[str]]:
    """The best combination for ``objective`` under the constraints: the program's optimum
    checked by simulation (every combination instead where :func:`_all_simulated` says so),
    its ranges moved between their levels and the options tried again with them; with the
    additive model's deviation, why every combination was simulated (``None``: not), the
    ranges moved and the options changed. ``expect``: tell the progress the most
    simulations still to come."""
    prog = p.program()
    goal = p.goal(objective, objective.maximise)
    z = prog.solve(goal, p.rows(p.spec.constraints))
    if z is None and not p.enumerable:
        raise infeasible(p)
    # no combination feasible in the additive model: simulate them all before saying so
    # (an interaction it misses may make one feasible); _enumerate names what cannot be met
    deviation = _verify(p, z) if z is not None else math.inf
    why = _all_simulated(p, deviation)
    ranges = [i for i, e in enumerate(p.expanded) if e.bounds is not None]
    if why is not None:  # every combination; then the ranges between their levels
        if expect:
            p.sim.expect(1 + p.enumerable + refine.most_simulations(len(ranges))
                         + brackets.most_simulations(len(ranges))
                         + refine.most_recombined(p.expanded))
        _, every, at = _enumerate(p, objective, refuse=False)
        held = ranges
    else:
        assert z is not None
        at, held = prog.decode(z), prog.at_levels(z)
        if expect:
            p.sim.expect(1 + refine.most_simulations(len(held), len(ranges))
                         + refine.most_recombined(p.expanded))
    ok = lambda f: p.feasible(f) and p.meaningful(f, (objective, *p.spec.constraints))  # noqa: E731
    found = None if at is None else refine.refine(p.sim, p.expanded, at, held, objective, ok,
                                                  constraints=p.spec.constraints)
    if why is not None:  # another combination's ranges may do better between their levels
        found = brackets.better_between(p.sim, p.expanded, every, objective, ok, found,
                                        p.spec.constraints)
    if found is None:  # none at the levels, nor between them
        raise infeasible(p, every, between=True)
    choices, moved = found
    # the options again by simulation, with the ranges where they are: after a range moved,
    # or where a range continuous with one option is held at its levels with another (the
    # program saw (0.25, std, no reuse), never (0.25, green, reuse); review 217)
    choices, changed = refine.recombine(p.sim, p.expanded, choices, objective, ok)
    again = {c.split(": ", 1)[0] for c in changed}  # a range moved to a level again
    moved = [m for m in moved if m.decision not in again]
    if refine.no_better_than_reference(p.sim, p.reference, choices, objective, ok):
        choices, moved, changed, z = p.reference, [], [], None
    best = p.point(choices, None if moved or changed or why is not None or z is None
                   else prog.figures(z))
    return best, deviation, why, moved, changed


def optimise(model: lifecycle.ModelFile, spec: OptimiseSpec, *,
             progress: Told | None = None, pace: Told | None = None) -> Optimum:
    """The best combination of the decisions' options for ``spec.objective`` under
    ``spec.constraints`` (see the package docs for the method). ``progress`` is told
    (simulations so far, the most there may be) after each new simulation, and (simulations
    run, the same) when done; the most there may be tightens as the stages become known;
    ``pace`` (done, of) in each loop of known length (:meth:`.Simulator.paced`)."""
    ranges = sum(d.range is not None for d in spec.decisions)  # the most refine may move
    p = _Problem(model, spec, progress=progress, after=1, enumeration=True, pace=pace,
                 refining=refine.most_simulations(ranges) + brackets.most_simulations(ranges))
    best, deviation, why, moved, changed = _search(p, spec.objective)
    ratio = p.goal(spec.objective).den is not None
    method = _method(p, deviation, ratio)
    if why is not None:
        method["name"] = "enumeration"
        method["text"] = f"every combination simulated ({why}); {_exact(spec)}"
    if moved:
        method["refined"] = [m.to_json() for m in moved]
        method["text"] += refine.told(moved)
    if [c["option"] for c in best.choices] == [c.label for c in p.reference]:
        method["text"] += "; no combination does better than the first option of every " \
            "decision, which is kept"
    if changed:
        method["recombined"] = changed
        if why is None:  # the program's choice was not the best: said first
            method["name"] = "milp, then search"
        method["text"] += "; then, tried again by simulation, " + ", ".join(changed) + \
            " (each option and range level alone and in pairs, the others where they were: " \
            "better than the choice before)"
    refuse_negative_rap_at(p, spec.objective, "objective", [best])
    refuse_negative_rap_bounds(p, [best])
    refuse_unmet(p, best)
    if not math.isfinite(value(spec.objective, best.raw)):
        raise ModelError([Problem("objective", f"{spec.objective.label()} has no value (0/0) "
                                  f"at the best choice found, {short(best.label(), 200)}"
                                  + (", nor at any combination that meets the constraints"
                                     if why is not None else "")
                                  + "; optimise its numerator instead")], spec.origin)
    result = Optimum(model, spec, best, p.point(p.reference),
                     Point.of(p, [], p.as_modelled, None), method)
    p.sim.finish()
    return result


def _exact(spec: Any) -> str:
    """How exact an enumeration is: over the levels a range was stepped at, or, with only
    discrete options, exact (review 280: it spoke of ranges a problem did not have)."""
    if any(d.range is not None for d in spec.decisions):
        return "exact over the ranges' levels"
    return "exact"


def _method(p: _Problem, deviation: float, ratio: bool) -> dict[str, Any]:
    assert p.sur is not None
    return describe(p.sur.checks, p.spec, len(p.sim.cache), deviation, ratio, p.checked,
                    p.two_away)


def pareto(model: lifecycle.ModelFile, spec: OptimiseSpec, *,
           progress: Told | None = None, pace: Told | None = None) -> ParetoFront:
    """The Pareto front of ``spec.pareto.objectives`` by the ε-constraint method, ties broken
    lexicographically (among the optima of the first objective, the best for the second), each
    point simulated. When every choice is discrete (no continuous range) the front is finite
    and complete: walking from the first objective's optimum, each step requires the second to
    improve on the last point, until it cannot (at most ``max_points`` points; beyond, the
    ``points`` levels below are added and the method says the front is incomplete). With a
    continuous range the front is a continuum, sampled with the second objective bounded at
    ``points`` levels between its best and its value at the first's optimum. Points holding
    a range at a level are then refined between its levels
    (:func:`~.front_refine.refined_front`). Every combination of the levels is simulated too
    when :func:`_all_simulated` says so (the additive model finds no point, its effects do
    not add up, or there are few combinations). ``progress``, ``pace``: as in :func:`optimise`."""
    if spec.pareto is None:
        raise JunkanError("give pareto: {objectives: [co2e, cost]} in the spec (or --pareto)")
    o1, o2 = spec.pareto.objectives
    ranges = sum(d.range is not None for d in spec.decisions)
    budget = spec.pareto.points + 2  # the most front points the local search refines
    p = _Problem(model, spec, progress=progress, enumeration=True, pace=pace,
                 after=spec.pareto.max_points + budget + budget * refining_budget(spec, ranges))
    prog = p.program()
    finite = bool(np.all(prog.integrality == 1))
    steps, complete, seen, deviation = _front_steps(p, prog, budget)
    why = _all_simulated(p, deviation)
    found, moved, stopped = refined_front(p, prog, steps, budget) if steps else ([], [], None)
    # a point that breaks a constraint when simulated, or where an objective has no value,
    # is no point of the front
    met = [pt for pt in [*seen.values(), *found] if pt.feasible]  # the constraints held
    ok = _valued(p, met, (o1, o2))
    if why is not None:  # every combination of the levels too: the front is complete
        ok += _every_valued(p, (o1, o2))
        complete = finite
    for o in (o1, o2):  # each objective's own best, as optimise finds it (review 217: a
        best = _search(p, o, expect=False)[0]  # front with a range, all beaten by it)
        met += [best] if best.feasible else []
        ok += [pt for pt in _valued(p, [best], (o1, o2)) if pt.feasible]
    points = nondominated(ok, o1, o2)
    for pt, m in zip(found, moved, strict=True):
        m["on_front"] = any(pt is q for q in points)
    for j, o in enumerate((o1, o2)):  # every point met when none has a value (review 315)
        refuse_negative_rap_at(p, o, f"pareto.objectives[{j}]", points or met)
    refuse_negative_rap_bounds(p, points)
    for pt in points:
        refuse_unmet(p, pt, violated=False)
    points = _valued(p, as_referenced(p, points), (o1, o2))
    if not points:
        raise ModelError([Problem("pareto.objectives", f"{o1.label()} and {o2.label()} have "
                                  "no value together (0/0) at any combination found that "
                                  "meets the constraints")], spec.origin)
    ratio = any(p.goal(o).den is not None for o in (o1, o2))
    method = _method(p, deviation, ratio)
    if why is not None:
        method["name"] = "enumeration"
        method["text"] = (f"every combination simulated ({why}); {_exact(spec)}"
                          + ("; points between them by the search below" if found else ""))
    method["front"] = front_doc(finite, complete, len(points), spec, stepped_ranges(p), moved,
                                why is not None, deviation, stopped)
    method["text"] += "; Pareto front: " + method["front"]["text"]
    p.sim.finish()
    return ParetoFront(model, spec, points, Point.of(p, [], p.as_modelled, None), method)


def _front_steps(p: _Problem, prog: Program, budget: int
                 ) -> tuple[list[Any], bool, dict[str, Point], float]:
    """The ε-constraint steps of the front in the additive model, whether they are all of
    it, their points simulated, and the additive model's largest deviation from simulation
    (infinite, and no steps, when it finds no point: :func:`_every_valued` then looks)."""
    assert p.spec.pareto is not None
    o1, o2 = p.spec.pareto.objectives
    g1, g2 = p.goal(o1, o1.maximise), p.goal(o2, o2.maximise)
    # a front point has both figures: where a ratio objective is 0/0 there is no point
    rows = [*p.rows(p.spec.constraints), *prog.defined(g1), *prog.defined(g2)]
    z1, z2 = prog.solve(g1, rows), prog.solve(g2, rows)
    if z1 is None or z2 is None:
        if not p.enumerable:
            raise infeasible(p)
        p.sim.expect(1 + p.enumerable + front_refine.searches_most(p))
        return [], False, {}, math.inf
    z1 = tiebreak(prog, g1, g2, z1, rows)
    z2 = tiebreak(prog, g2, g1, z2, rows)
    finite = bool(np.all(prog.integrality == 1))
    steps, complete = walk(prog, g1, g2, z1, z2, rows, p.spec.pareto.max_points) if finite \
        else ([], False)
    steps = [*steps, (z2, None)] if complete else \
        steps + grid(prog, g1, g2, z1, z2, rows, p.spec.pareto.points, p.sim.pace)
    held = max((len(prog.at_levels(z)) for z, _ in steps), default=0)
    p.sim.expect(len(steps) + 1 + p.spec.verify + p.neighbours + p.enumerable +
                 min(len(steps), budget) * refining_budget(p.spec, held)
                 + front_refine.searches_most(p))
    seen: dict[str, Point] = {}
    for z, _ in p.sim.paced(steps):
        choices = prog.decode(z)
        key = choices_key(choices)
        if key not in seen:
            seen[key] = p.point(choices, prog.figures(z))
    return steps, complete, seen, _verify(p, z1)


def _every_valued(p: _Problem, objectives: Sequence[Objective]) -> list[Point]:
    """Every combination of the levels, simulated: those that meet the constraints and where
    each of ``objectives`` has a value (if none has, all that meet them: :func:`pareto`
    says why; none meets them: each objective's :func:`_search` looks between the levels,
    and names what cannot be met)."""
    every = p.sim.paced(itertools.product(*_levels(p.expanded)))
    ok = [pt for c in every if (pt := p.point(list(c))).feasible]
    return _valued(p, ok, objectives) or ok
