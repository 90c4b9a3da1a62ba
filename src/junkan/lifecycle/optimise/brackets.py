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
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from junkan.lifecycle.optimise import refine
from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.milp import choices_key, json_key
from junkan.lifecycle.optimise.spec import Objective

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
                   found: tuple[list[Choice], list[refine.Moved]]
                   ) -> tuple[list[Choice], list[refine.Moved]]:
    """``found`` (the levels' optimum refined), or a better point between the levels of a
    range of another combination. ``points``: every combination at the levels, simulated,
    in the order of ``itertools.product`` over the decisions' levels."""
    held = [i for i, e in enumerate(expanded) if e.bounds is not None]
    if not held:
        return found
    score = refine.scorer(sim, objective, feasible)
    best, moved = found
    best_v = score(best)
    for start in _starts(expanded, points, objective, held):
        if not start[0] < best_v - 1e-12 * max(abs(best_v), 1.0):
            break  # no bracket left whose better end beats the best found
        choices, m = refine.refine(sim, expanded, start[1], held, objective, feasible)
        v = score(choices)
        if v < best_v - 1e-12 * max(abs(best_v), 1.0):
            best, moved, best_v = choices, m, v
    return best, moved


def _starts(expanded: list[Expanded], points: Sequence[Point], objective: Objective,
            held: list[int]) -> list[tuple[float, list[Choice]]]:
    """Feasible combinations whose neighbour at the next level of a range (the other
    decisions held) does not meet the constraints and has an objective, with that
    objective's score (lower is better), best first; at most :data:`MOST_STARTS`."""
    levels = [e.levels() for e in expanded]
    combos = [list(c) for c in itertools.product(*levels)]
    at = {choices_key(c): k for k, c in enumerate(combos)}
    keys = {i: [json_key(c) for c in levels[i]] for i in held}
    sign = -1.0 if objective.maximise else 1.0
    promise: dict[str, tuple[float, list[Choice]]] = {}
    for k, combo in enumerate(combos):
        if not points[k].feasible:
            continue
        for i in held:
            j = keys[i].index(json_key(combo[i]))
            for n in (j - 1, j + 1):
                if not 0 <= n < len(keys[i]):
                    continue
                other = points[at[choices_key([*combo[:i], levels[i][n], *combo[i + 1:]])]]
                v = sign * value(objective, other.raw)
                if other.feasible or not math.isfinite(v):
                    continue
                key = choices_key(combo)
                if key not in promise or v < promise[key][0]:
                    promise[key] = (v, combo)
    return sorted(promise.values(), key=lambda s: s[0])[:MOST_STARTS]
