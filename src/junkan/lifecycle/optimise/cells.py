"""Starts inside cells of two ranges whose four corners all fail the constraints.

:mod:`~.brackets` searches a range between two levels with the other decisions at their
levels. A point that meets every constraint only with *two* ranges between their levels
(a recycled-share window met along a diagonal of collection and reuse rates, review 230)
lies in no such bracket: every combination at the levels fails, and so does every bracket.
Here each cell of two ranges (the other decisions at their levels) whose four corners all
fail is read as bilinear between them — each bound's slack at the corners, interpolated on
a :data:`GRID` × :data:`GRID` grid of the cell's interior — and where the grid finds points
meeting every bound, the search starts from the one that meets them by the widest margin
(its slacks relative to their spread at the corners) and from the one with the best
interpolated objective (a thin strip of such points is followed by neither range alone),
both with that best as their promise. A cell where some bound fails at all four corners
cannot hold one (a bilinear value lies between its corners') and is skipped without the
grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.spec import Constraint, Objective
from junkan.lifecycle.optimise.unmet import slacks

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.result import Point
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded

GRID = 32
"""Interior points per side of a cell (a window 1/64 of a cell wide is still seen)."""

Start = tuple[float, list["Choice"], tuple[tuple[int, float, float], ...]]
"""(promise, the choices to start from, each range set off its levels: (range, the level
below, the level above))."""


def cell_starts(expanded: list[Expanded], points: Sequence[Point], objective: Objective,
                constraints: Sequence[Constraint]) -> list[Start]:
    """Starts inside the cells of every two ranges whose corners all fail the constraints
    (``points``: every combination at the levels, in ``itertools.product`` order)."""
    ranges = [i for i, e in enumerate(expanded) if e.bounds is not None]
    if len(ranges) < 2 or not constraints:
        return []
    levels = [e.levels() for e in expanded]
    sizes = [len(lv) for lv in levels]
    strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    sign = -1.0 if objective.maximise else 1.0
    memo: dict[int, np.ndarray | None] = {}

    def slack(k: int) -> np.ndarray | None:
        if k not in memo:
            s = np.array(slacks(constraints, points[k].raw), dtype=float)
            memo[k] = s if s.size and np.all(np.isfinite(s)) else None
        return memo[k]

    t = (np.arange(GRID) + 0.5) / GRID
    u, v = (g.ravel() for g in np.meshgrid(t, t, indexing="ij"))
    weights = np.stack([(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v], axis=1)
    out: list[Start] = []
    for k in range(len(points)):
        at = [k // strides[d] % sizes[d] for d in range(len(sizes))]
        for a, b in itertools.combinations(ranges, 2):
            if at[a] + 1 >= sizes[a] or at[b] + 1 >= sizes[b]:
                continue
            corners = (k, k + strides[a], k + strides[b], k + strides[a] + strides[b])
            if any(points[c].feasible for c in corners):
                continue  # a corner meets them: brackets and refine start there
            s = [slack(c) for c in corners]
            if any(x is None for x in s):
                continue
            corner = np.stack(s)  # type: ignore[arg-type]  # (4, bounds)
            if np.any(np.all(corner < 0, axis=0)):
                continue  # a bound failed at every corner fails inside too
            inside = weights @ corner  # (grid, bounds)
            ok = np.all(inside >= 0, axis=1)
            if not ok.any():
                continue
            o = np.array([sign * value(objective, points[c].raw) for c in corners])
            if not np.isfinite(o).any():
                continue
            o = np.where(np.isfinite(o), o, np.nanmean(np.where(np.isfinite(o), o, np.nan)))
            spread = np.maximum(np.abs(corner).max(axis=0), 1e-300)
            scores = np.where(ok, weights @ o, np.inf)
            widest = int(np.argmax(np.where(ok, (inside / spread).min(axis=1), -np.inf)))
            for g in dict.fromkeys((widest, int(np.argmin(scores)))):
                choices = [levels[d][at[d]] for d in range(len(sizes))]
                moved = []
                for r, w in ((a, u[g]), (b, v[g])):
                    lo, hi = float(levels[r][at[r]].value), float(levels[r][at[r] + 1].value)
                    choices[r] = expanded[r].at(lo + float(w) * (hi - lo))
                    moved.append((r, lo, hi))
                out.append((float(scores.min()), choices, tuple(moved)))
    return out
