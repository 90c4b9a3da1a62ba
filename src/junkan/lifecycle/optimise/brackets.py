"""Ranges searched between their levels from other combinations than the levels' optimum.

When every combination is simulated at the ranges' levels, :func:`~.refine.refine` moves
the ranges of the best one between its neighbouring levels. The best point between two
levels may belong to another combination: one that meets the constraints at one level of a
range and not at the next, where the next is better (a higher collection rate reaching a
minimum recycled share with a cheaper option: the best value is where the constraint
binds, between the two; review 225). Such a bracket is searched from its feasible end,
most promising first (the better its infeasible end); every start kept (at most
:data:`MOST_STARTS`) is searched, since the search from one moves every range and may reach
better than its own bracket's ends.

A bracket whose two ends both fail the constraints may still hold points that meet them all,
when the ends fail different ones (a minimum recycled share short at the lower collection
rate, a budget over at the higher — left open after review 225; on its case every
combination failed at the levels and optimise refused a problem met at a collection rate of
0.35). Each constraint's slack is taken as linear between the ends; where their intervals
of positive slack meet, the search starts in the middle of the meeting, if that beats the
best found at its better end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from junkan.lifecycle.optimise import cells, refine
from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.spec import Constraint, Objective
from junkan.lifecycle.optimise.unmet import brackets_of, slack_interval, slacks

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.result import Point
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Simulator

MOST_STARTS = 16
"""The most other combinations a range is searched from (each costs at most
:func:`refine.most_simulations` simulations)."""


ROOT_STEPS = 60
"""The most bisection steps from a start inside a bracket to where its constraints hold
(:func:`_onto`): 2⁻⁶⁰ of the bracket, below any tolerance."""


def most_simulations(ranges: int) -> int:
    """The most simulations :func:`better_between` runs for ``ranges`` ranges."""
    return MOST_STARTS * (refine.most_simulations(ranges) + 2 * (ROOT_STEPS + 3)) \
        if ranges else 0


def better_between(sim: Simulator, expanded: list[Expanded], points: Sequence[Point],
                   objective: Objective, feasible: Callable[[dict[str, float]], bool],
                   found: tuple[list[Choice], list[refine.Moved]] | None,
                   constraints: Sequence[Constraint] = ()
                   ) -> tuple[list[Choice], list[refine.Moved]] | None:
    """``found`` (the levels' optimum refined; ``None``: no combination meets the
    constraints at the levels), or a better point between the levels of a range of another
    combination (``None`` if there is none either). ``points``: every combination at the
    levels, simulated, in the order of ``itertools.product`` over the decisions' levels;
    ``constraints``: those ``feasible`` tests, for the brackets that fail at both ends."""
    held = [i for i, e in enumerate(expanded) if e.bounds is not None]
    if not held:
        return found
    score = refine.scorer(sim, objective, feasible)
    best, moved = found if found is not None else (None, [])
    best_v = score(best) if best is not None else math.inf
    # every start is tried (at most MOST_STARTS): its promise, the better end of its own
    # bracket, does not bound what refine reaches moving every range (review 233: a start
    # cut off because another had beaten its promise would have done better still)
    for _, start, inside in sim.paced(_starts(expanded, points, objective, held, constraints)):
        for i, lo, hi in inside:
            start = _onto(sim, expanded[i], start, i, (lo, hi), constraints, feasible)
        choices, m = refine.refine(sim, expanded, start, held, objective, feasible, both=False)
        v = score(choices)
        if not v < _better_than(best_v):
            continue
        for i, lo, hi in reversed(inside):  # the start was no level: say between which
            name, x = expanded[i].decision.name, float(choices[i].value)  # it was set
            m = [refine.Moved(name, lo if x - lo <= hi - x else hi, x, (lo, hi)),
                 *(r for r in m if r.decision != name)]
        if found is not None and m:  # the options the levels' best had not
            m[0].others = [f"{e.decision.name}: {c.label}" for e, a, c in zip(
                expanded, found[0], choices, strict=True)
                if e.bounds is None and a.label != c.label]
        best, moved, best_v = choices, m, v
    if best is None or (found is not None and best is found[0]):
        return None if best is None else (best, moved)  # (found: moved by refine already)
    # a start's best moved with the others along the constraints, as refine moves the
    # levels' best (review 262: a bracket's winner never was)
    by_name = {m.decision: m for m in moved}
    best = refine.jointly(sim, expanded, best, by_name, objective, feasible, constraints)
    return best, list(by_name.values())


def _onto(sim: Simulator, e: Expanded, start: list[Choice], i: int,
          bracket: tuple[float, float], constraints: Sequence[Constraint],
          feasible: Callable[[dict[str, float]], bool]) -> list[Choice]:
    """``start`` — its range ``i`` set inside ``bracket`` where every constraint holds if
    their slacks are linear between its levels — with the range moved, by bisection on the
    *simulated* figure of the bound it fails most, to where every constraint does hold; a
    figure that is not linear between the levels misses there a bound the linear guess
    meets (review 251: an equality co2e = 1150 was called unmeetable, though a collection
    rate of 0.6877 meets it). ``start`` itself if it holds, or if no such point is found."""
    def figures(x: float) -> dict[str, float]:
        return sim([*start[:i], e.at(x), *start[i + 1:]])

    at_start = figures(float(start[i].value))
    here = slacks(constraints, at_start)
    if not constraints or feasible(at_start) or not all(map(math.isfinite, here)):
        return start
    k = min(range(len(here)), key=lambda j: here[j])  # the bound failed most
    good = [y for y in bracket if (math.isfinite(v := slacks(constraints, figures(y))[k])
                                   and v >= 0)]
    if not good:
        return start
    bad, ok = float(start[i].value), good[0]
    for _ in range(ROOT_STEPS):
        mid = (bad + ok) / 2
        for y in (ok, mid):
            if feasible(figures(y)):
                return [*start[:i], e.at(y), *start[i + 1:]]
        bad, ok = (bad, mid) if slacks(constraints, figures(mid))[k] >= 0 else (mid, ok)
    return start


def _better_than(v: float) -> float:
    """A score below which another is better than ``v`` (not by rounding alone)."""
    return v - 1e-12 * max(abs(v), 1.0) if math.isfinite(v) else math.inf


def _starts(expanded: list[Expanded], points: Sequence[Point], objective: Objective,
            held: list[int], constraints: Sequence[Constraint] = ()
            ) -> list[cells.Start]:
    """Where to search from, best first, at most :data:`MOST_STARTS`: the feasible
    combinations whose neighbour at the next level of a range (the other decisions held)
    does not meet the constraints and has an objective, with that objective's score (lower
    is better); and the middles of the stretches inside brackets failing at both ends where
    every constraint holds (:func:`~.unmet.slack_interval`), with the score there at the
    better end (where one end's objective has no value, 0/0: the other's), and the range
    and its two levels; and the starts inside cells of two ranges
    (:func:`~.cells.cell_starts`)."""
    sign = -1.0 if objective.maximise else 1.0
    promise: dict[tuple[int, int], cells.Start] = {}
    combos = [list(c) for c in itertools.product(*(e.levels() for e in expanded))]
    for k, i, _, n in brackets_of(expanded, points):
        for at, to in ((k, n), (n, k)):  # either end may be the feasible one
            v = sign * value(objective, points[to].raw)
            if points[at].feasible and not points[to].feasible and math.isfinite(v) \
                    and ((at, -1) not in promise or v < promise[at, -1][0]):
                promise[at, -1] = (v, combos[at], ())
        if points[k].feasible or points[n].feasible or not constraints:
            continue
        stretch = slack_interval(points[k].raw, points[n].raw, constraints)
        va, vb = (sign * value(objective, points[x].raw) for x in (k, n))
        if stretch is None or not (math.isfinite(va) or math.isfinite(vb)):
            continue
        va, vb = (va if math.isfinite(va) else vb), (vb if math.isfinite(vb) else va)
        lo, hi = float(combos[k][i].value), float(combos[n][i].value)
        x = lo + (stretch[0] + stretch[1]) / 2 * (hi - lo)
        promise[k, i] = (min(va + (vb - va) * t for t in stretch),
                         [*combos[k][:i], expanded[i].at(x), *combos[k][i + 1:]],
                         ((i, lo, hi),))
    starts = [*promise.values(), *cells.cell_starts(expanded, points, objective, constraints)]
    return sorted(starts, key=lambda s: s[0])[:MOST_STARTS]
