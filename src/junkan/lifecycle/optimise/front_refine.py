"""The local search of :mod:`.refine` on a Pareto front (:func:`~.solve.pareto`): points
found at the levels of a range held at them are moved between the levels, each under the
bound on the second objective it was found with."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from junkan.lifecycle.optimise import brackets, refine
from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.front import Step, evenly
from junkan.lifecycle.optimise.milp import Program, choices_key
from junkan.lifecycle.optimise.result import Point
from junkan.lifecycle.optimise.spec import MAX_SIMULATIONS, Objective, OptimiseSpec
from junkan.lifecycle.optimise.surrogate import Choice

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.solve import _Problem
    from junkan.lifecycle.optimise.surrogate import Simulator

__all__ = ["ALTERNATIVES", "SPARE", "as_referenced", "referenced_most", "refined_front",
           "refining_budget", "searches_most"]


ALTERNATIVES = 2
"""At a front point that holds no range at a level (its option keeps the range continuous),
the most combinations holding one (found at other points, best first) searched under its
bound: the held option between its levels may beat the continuous one there."""


def refining_budget(spec: OptimiseSpec, held: int) -> int:
    """The most simulations :func:`refined_front` runs at one point of a front whose points hold
    at most ``held`` ranges at a level: its own search, or the levels and the search of each
    of :data:`ALTERNATIVES` combinations."""
    levels = sum(d.steps for d in spec.decisions if d.range is not None)
    every = sum(d.range is not None for d in spec.decisions)
    return max(refine.most_simulations(held, every),
               ALTERNATIVES * (levels + refine.most_simulations(held, every)))


SPARE = 2_000
"""The simulations the refinement of a front's points leaves of :data:`~.spec.MAX_SIMULATIONS`
for what follows it (each objective's own best, the points' first options): past that it
stops, and the front says so (review 262: 51 points of 6 ranges needed 18,496 in all)."""


class _Spent(Exception):
    """The refinement reached its share of the simulations."""


class _Capped:
    """A simulator that raises :class:`_Spent` once a new simulation takes its cache past
    ``cap``."""

    def __init__(self, sim: Any, cap: int) -> None:
        self.sim, self.cap = sim, cap

    def __getattr__(self, name: str) -> Any:  # the simulator's own (cache, spec, paced …)
        return getattr(self.sim, name)

    def __call__(self, choices: list[Choice]) -> dict[str, float]:
        figures: dict[str, float] = self.sim(choices)
        if len(self.sim.cache) > self.cap:
            raise _Spent
        return figures


def refined_front(p: _Problem, prog: Program, steps: list[Step], budget: int
                  ) -> tuple[list[Point], list[dict[str, Any]], int | None]:
    """The front's points that hold a range at a level (at most ``budget`` of them, evenly
    along the front), each moved off its levels by the local search of :mod:`.refine`: the
    first objective improved under the bound on the second it was solved with (the second's
    own optimum: the second improved), every constraint met, simulated. At a point holding
    none, the best :data:`ALTERNATIVES` combinations that hold one are searched under its
    bound, each from its best level there. The points found, and which moved, from where
    and how; and the simulations run when it stopped at :data:`SPARE` short of the limit
    (``None``: it did not)."""
    try:
        return (*_refined(p, prog, steps, budget), None)
    except _Spent as spent:
        found, moved = spent.args
        return found, moved, len(p.sim.cache)


def _refined(p: _Problem, prog: Program, steps: list[Step], budget: int
             ) -> tuple[list[Point], list[dict[str, Any]]]:
    """The points :func:`refined_front` finds; :class:`_Spent` (with those found so far)
    once the simulations reach their share."""
    assert p.spec.pareto is not None
    o1, o2 = p.spec.pareto.objectives
    terms = (o1, o2, *p.spec.constraints)
    sign, sign1 = (-1.0 if o.maximise else 1.0 for o in (o2, o1))
    found: list[Point] = []
    moved: list[dict[str, Any]] = []
    done: set[tuple[str, float | None]] = set()
    reached: set[str] = set()
    holding: dict[str, tuple[list[Choice], list[int]]] = {}
    for z, _ in steps:
        if held := prog.at_levels(z):
            choices = prog.decode(z)
            holding.setdefault(choices_key(choices), (choices, held))
    others = sorted(holding.values(), key=lambda ch: sign1 * value(o1, p.sim(ch[0])))
    for i in p.sim.paced(evenly(len(steps), budget)):
        z, limit = steps[i]
        own = prog.at_levels(z)
        starts = [(prog.decode(z), own)] if own else \
            others[:ALTERNATIVES] if limit is not None else []
        for choices, held in starts:
            if (choices_key(choices), limit) in done:
                continue
            done.add((choices_key(choices), limit))
            bound = limit
            if own and bound is not None:  # the start meets its own bound as simulated
                bound = max(bound, sign * value(o2, p.sim(choices)))

            def ok(f: dict[str, float], bound: float | None = bound) -> bool:
                return p.feasible(f) and p.meaningful(f, terms) and (
                    bound is None or sign * value(o2, f) <= bound)

            def room(f: dict[str, float], bound: float | None = bound) -> float:
                """The bound on the second objective's slack, relative to its size."""
                assert bound is not None
                return (bound - sign * value(o2, f)) / max(abs(bound), 1e-12)

            o = o1 if bound is not None else o2
            start = choices if own else _best_level(p, choices, held, o, ok)
            if start is None:
                continue
            try:
                new, m = refine.refine(
                    cast("Simulator", _Capped(p.sim, MAX_SIMULATIONS - SPARE)), p.expanded,
                    start, held, o, ok,
                    constraints=p.spec.constraints, extra=room if bound is not None else None)
            except _Spent:
                raise _Spent(found, moved) from None
            to = choices_key(new)
            if m and to not in reached:  # bounds that do not bind: one point
                reached.add(to)
                found.append(p.point(new))
                moved.append({"from": ", ".join(f"{e.decision.name}={c.label}" for e, c in
                                                zip(p.expanded, start, strict=True)),
                              "improving": o.label(), "moved": [x.to_json() for x in m]})
    return found, moved


def _best_level(p: _Problem, choices: list[Choice], held: list[int], o: Objective,
                ok: Callable[[dict[str, float]], bool]) -> list[Choice] | None:
    """``choices`` with each range ``held`` at its best level for ``o`` where ``ok`` holds
    (one range after the other, simulated); ``None`` where no level does."""
    sign = -1.0 if o.maximise else 1.0
    best: list[Choice] | None = None
    for r in held:
        scored = []
        for lv in p.expanded[r].levels():
            trial = [*(best or choices)[:r], lv, *(best or choices)[r + 1:]]
            f = p.sim(trial)
            v = sign * value(o, f)
            if ok(f) and math.isfinite(v):
                scored.append((v, trial))
        if not scored:
            return None
        best = min(scored, key=lambda t: t[0])[1]
    return best


def as_referenced(p: _Problem, points: list[Point]) -> list[Point]:
    """``points`` with each decision whose first option (the reference) gives the very same
    simulated figures set to it, as the best loop keeps it (review 259: a front point equal
    to the optimum named option 'c' of a decision whose options change nothing, the optimum
    'a'). A range is left where it is. At most a simulation for each point and decision
    that is no range (:func:`referenced_most`)."""
    out = []
    for pt in points:
        choices = list(pt.picked)
        changed = False
        for i, (e, ref) in enumerate(zip(p.expanded, p.reference, strict=True)):
            if e.bounds is not None or choices[i].label == ref.label:
                continue
            trial = [*choices[:i], ref, *choices[i + 1:]]
            f = p.sim(trial)
            if f.keys() == pt.raw.keys() and all(
                    math.isclose(f[k], pt.raw[k], rel_tol=1e-12, abs_tol=1e-12)
                    or (math.isnan(f[k]) and math.isnan(pt.raw[k])) for k in f):
                choices, changed = trial, True
        out.append(p.point(choices) if changed else pt)
    return out


def referenced_most(spec: OptimiseSpec) -> int:
    """The most simulations :func:`as_referenced` runs: one for each decision that is no
    range at each point a front may have (``max_points``, the ``points`` levels, the points
    refined and the two objectives' own optima)."""
    if spec.pareto is None:
        return 0
    most = spec.pareto.max_points + 2 * spec.pareto.points + 4
    return most * sum(d.range is None for d in spec.decisions)


def searches_most(p: _Problem) -> int:
    """The most simulations :func:`~.solve.pareto` adds after the front:
    :func:`~.solve._search` for each objective, and each point's first options
    (:func:`as_referenced`)."""
    ranges = sum(e.bounds is not None for e in p.expanded)
    return 2 * (1 + p.spec.verify + p.neighbours + refine.most_simulations(ranges)
                + brackets.most_simulations(ranges) + refine.most_recombined(p.expanded)) \
        + referenced_most(p.spec)
