"""Ranges searched between their levels from other combinations than the levels' optimum.

When every combination is simulated at the ranges' levels, :func:`~.refine.refine` moves
the ranges of the best one between its neighbouring levels. The best point between two
levels may belong to another combination: one that meets the constraints at one level of a
range and not at the next, where the next is better (a higher collection rate reaching a
minimum recycled share with a cheaper option: the best value is where the constraint
binds, between the two; review 225). Such a bracket is searched from its feasible end,
most promising first (the better its infeasible end), while that end beats the best found.
Where a range's effect is linear between two levels (``ranges_continuous_in_blocks``) the
objective there lies between its values at the levels, so a bracket whose ends are both no
better than the best cannot hold a better point: skipping it loses nothing.

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

from junkan.lifecycle.optimise import refine
from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.milp import choices_key, json_key
from junkan.lifecycle.optimise.spec import Constraint, Objective
from junkan.lifecycle.optimise.unmet import constraint_values

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.result import Point
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Simulator

MOST_STARTS = 16
"""The most other combinations a range is searched from (each costs at most
:func:`refine.most_simulations` simulations)."""


def most_simulations(ranges: int) -> int:
    """The most simulations :func:`better_between` runs for ``ranges`` ranges."""
    return MOST_STARTS * refine.most_simulations(ranges) if ranges else 0


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
    for promise, start, inside in _starts(expanded, points, objective, held, constraints):
        if not promise < _better_than(best_v):
            break  # no bracket left whose better end beats the best found
        choices, m = refine.refine(sim, expanded, start, held, objective, feasible)
        if inside is not None:  # the start is no level: the range moved from the nearer
            m = [inside, *(x for x in m if x.decision != inside.decision)]  # to its value
            inside.value = next((float(c.value) for c, e in zip(choices, expanded, strict=True)
                                 if e.decision.name == inside.decision), inside.value)
        v = score(choices)
        if v < _better_than(best_v):
            best, moved, best_v = choices, m, v
    return None if best is None else (best, moved)


def _better_than(v: float) -> float:
    """A score below which another is better than ``v`` (not by rounding alone)."""
    return v - 1e-12 * max(abs(v), 1.0) if math.isfinite(v) else math.inf


def _starts(expanded: list[Expanded], points: Sequence[Point], objective: Objective,
            held: list[int], constraints: Sequence[Constraint] = ()
            ) -> list[tuple[float, list[Choice], refine.Moved | None]]:
    """Where to search from, best first, at most :data:`MOST_STARTS`: the feasible
    combinations whose neighbour at the next level of a range (the other decisions held)
    does not meet the constraints and has an objective, with that objective's score (lower
    is better); and the points inside brackets that fail at both ends
    (:func:`_inside`), with the score at the better end of their feasible part and the
    range's move from the nearer level to there."""
    levels = [e.levels() for e in expanded]
    combos = [list(c) for c in itertools.product(*levels)]
    at = {choices_key(c): k for k, c in enumerate(combos)}
    keys = {i: [json_key(c) for c in levels[i]] for i in held}
    sign = -1.0 if objective.maximise else 1.0
    promise: dict[str, tuple[float, list[Choice], refine.Moved | None]] = {}
    for k, combo in enumerate(combos):
        for i in held:
            j = keys[i].index(json_key(combo[i]))
            for n in (j - 1, j + 1):
                if not 0 <= n < len(keys[i]):
                    continue
                other = points[at[choices_key([*combo[:i], levels[i][n], *combo[i + 1:]])]]
                v = sign * value(objective, other.raw)
                if other.feasible or not math.isfinite(v):
                    continue
                if points[k].feasible:
                    key = choices_key(combo)
                    if key not in promise or v < promise[key][0]:
                        promise[key] = (v, combo, None)
                elif n == j + 1 and constraints:  # each bracket once
                    s = _inside(points[k].raw, other.raw, constraints, objective)
                    if s is not None:
                        lo, hi = float(levels[i][j].value), float(levels[i][n].value)
                        x = lo + s[1] * (hi - lo)
                        moved = refine.Moved(expanded[i].decision.name,
                                             lo if s[1] <= 0.5 else hi, x)
                        promise[f"{choices_key(combo)}|{i}"] = (
                            s[0], [*combo[:i], expanded[i].at(x), *combo[i + 1:]], moved)
    return sorted(promise.values(), key=lambda s: s[0])[:MOST_STARTS]


def _inside(a: dict[str, float], b: dict[str, float], constraints: Sequence[Constraint],
            objective: Objective) -> tuple[float, float] | None:
    """For a bracket between figures ``a`` and ``b`` that both fail the constraints: taking
    every figure as linear between them, the objective's score at the better end of the
    part where all constraints hold, and the middle of that part (0 at ``a``, 1 at ``b``);
    ``None`` where there is no such part (or a figure has no value)."""
    lo, hi = 0.0, 1.0
    for sa, sb in zip(_slacks(constraints, a), _slacks(constraints, b), strict=True):
        if not (math.isfinite(sa) and math.isfinite(sb)) or (sa < 0 and sb < 0):
            return None
        if sa < 0 <= sb:
            lo = max(lo, sa / (sa - sb))
        elif sb < 0 <= sa:
            hi = min(hi, sa / (sa - sb))
    sign = -1.0 if objective.maximise else 1.0
    va, vb = sign * value(objective, a), sign * value(objective, b)
    if not (lo < hi and math.isfinite(va) and math.isfinite(vb)):
        return None
    return min(va + (vb - va) * lo, va + (vb - va) * hi), (lo + hi) / 2


def _slacks(constraints: Sequence[Constraint], figures: dict[str, float]) -> list[float]:
    """How far each bound of each constraint's figures is met (negative: failed by)."""
    return [s for c in constraints for v in constraint_values(c, figures)
            for s in ((v - c.min) if c.min is not None else None,
                      (c.max - v) if c.max is not None else None) if s is not None]
