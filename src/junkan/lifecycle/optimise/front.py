"""The Pareto front's steps by the ε-constraint method on the program
(:mod:`~junkan.lifecycle.optimise.milp`): the walk along a finite front, the ε grid across a
continuous one, the lexicographic tie-break, the non-dominated filter of simulated points,
and which points of a long front the local search refines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.milp import Goal, Program, Row
from junkan.lifecycle.optimise.result import FRONT_EQUAL, Point
from junkan.lifecycle.optimise.spec import Objective

__all__ = ["Step", "bound", "evenly", "grid", "nondominated", "tiebreak", "walk"]


def bound(goal: Goal, eps: float) -> Row:
    """``goal`` at ``eps`` or better."""
    return Row(goal, eps) if goal.maximise else Row(goal, -np.inf, eps)


Step = tuple[np.ndarray, "float | None"]
"""A solution of the program on the front and the bound on the second objective it was
solved under, as ``sign · value`` (lower is better; ``inf``: none): what a local search
of the first objective may use (:func:`~junkan.lifecycle.optimise.solve.pareto`). ``None``
marks the second objective's own optimum, which the search improves on that objective."""


def grid(prog: Program, g1: Goal, g2: Goal, z1: np.ndarray, z2: np.ndarray, rows: list[Row],
         points: int, pace: Callable[[int, int], None] | None = None) -> list[Step]:
    """Optima of ``g1`` with ``g2`` bounded at ``points`` levels between its values at the
    two extremes (both included), from ``z1`` to ``z2``; ``pace`` told (level, ``points``)
    before each (two programs solved: with a large block, seconds each; review 246)."""
    a, b = g2.of(prog.figures(z2)), g2.of(prog.figures(z1))
    sign = -1.0 if g2.maximise else 1.0
    out: list[Step] = [(z1, np.inf)]
    for n, eps in enumerate(np.linspace(b, a, points)):
        if pace is not None:
            pace(n, points)
        eps += 1e-9 * max(abs(eps), 1.0) * sign
        z = prog.solve(g1, [*rows, bound(g2, eps)])
        if z is not None:
            out.append((tiebreak(prog, g1, g2, z, [*rows, bound(g2, eps)]), sign * eps))
    return [*out, (z2, None)]


def walk(prog: Program, g1: Goal, g2: Goal, z1: np.ndarray, z2: np.ndarray, rows: list[Row],
         limit: int) -> tuple[list[Step], bool]:
    """Every point of a finite front, from ``z1`` (best for ``g1``) to ``z2`` (best for
    ``g2``): each step is the lexicographic optimum (``g1``, then ``g2``) with ``g2`` better
    than at the last point by ``step`` — 1e-6 of the larger of the front's span and the
    magnitude of ``g2``, well above the solver's tolerance. Whether it ended (not at
    ``limit``)."""
    sign = -1.0 if g2.maximise else 1.0  # sign · g2 is minimised
    last, end = sign * g2.of(prog.figures(z1)), sign * g2.of(prog.figures(z2))
    step = FRONT_EQUAL * max(abs(last - end), abs(last), abs(end), 1e-300)
    out: list[Step] = [(z1, np.inf)]
    while last > end + step / 2:
        if len(out) >= limit:
            return out, False
        row = bound(g2, sign * (last - step))
        z = prog.solve(g1, [*rows, row])
        if z is None:
            break
        z = tiebreak(prog, g1, g2, z, [*rows, row])
        reached = sign * g2.of(prog.figures(z))
        out.append((z, last - step))
        last = min(reached, last - step)  # never stalls, even at the solver's tolerance
    return out, True


def tiebreak(prog: Program, g1: Goal, g2: Goal, z: np.ndarray, rows: list[Row]) -> np.ndarray:
    """Among the optima of ``g1``, the best for ``g2`` (no weakly dominated points)."""
    v = g1.of(prog.figures(z))
    slack = 1e-9 * max(abs(v), 1.0)
    keep = Row(g1, v - slack) if g1.maximise else Row(g1, -np.inf, v + slack)
    z2 = prog.solve(g2, [*rows, keep])
    return z if z2 is None else z2


def nondominated(points: list[Point], o1: Objective, o2: Objective) -> list[Point]:
    """The simulated points no other point beats on both objectives, by the first. Values
    within 1e-6 of the larger of the front's span and magnitude count as equal (the solver's
    tolerance moves a continuous range by less): of equal points the first is kept."""

    def vals(pt: Point) -> tuple[float, float]:
        return (
            (-1 if o1.maximise else 1) * value(o1, pt.raw),
            (-1 if o2.maximise else 1) * value(o2, pt.raw),
        )

    ordered = sorted(points, key=vals)
    v = [vals(pt) for pt in ordered]
    tol = [
        FRONT_EQUAL * max(max(x) - min(x), max(abs(y) for y in x)) if x else 0.0
        for x in ([a for a, _ in v if np.isfinite(a)], [b for _, b in v if np.isfinite(b)])
    ]

    def beaten(i: int) -> bool:
        (a, b) = v[i]
        return any(
            j != i and c <= a + tol[0] and d <= b + tol[1]
            and (j < i or c < a - tol[0] or d < b - tol[1])
            for j, (c, d) in enumerate(v)
        )

    return [pt for i, pt in enumerate(ordered) if not beaten(i)]


def evenly(n: int, most: int) -> list[int]:
    """Positions of at most ``most`` of ``n`` points in a row, evenly spaced, both ends
    included (all of them when there are no more than ``most``)."""
    if n <= most:
        return list(range(n))
    if most <= 1:
        return [0][:most]
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})
