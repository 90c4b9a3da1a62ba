"""A joint move of every range of a combination, along the constraints that bind it.

:mod:`~.refine` moves one range at a time. Where a constraint binds, no such move may
improve while a trade between two ranges does: a collection rate held at a level with a
CO2e cap met by another rate's value, where lowering the first and raising the second keeps
the cap and raises the margin 4 % (review 259). Here the ranges are moved together by
COBYLA (Powell 1994; :func:`scipy.optimize.minimize`), a derivative-free method that
models the objective and each bound's slack linearly from simulations and so follows a
binding constraint: the simulated objective is minimised, every bound's simulated slack
kept at or above 0, each range within its bounds. COBYLA may end a little outside a bound;
the point is then drawn back along the segment from the start to the first point where
every constraint holds in simulation. The move is taken only where it improves the
simulated objective; like :mod:`~.refine`, it is local.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize

from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.spec import Constraint, Objective
from junkan.lifecycle.optimise.unmet import constraint_values, slacks

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Simulator

STEP = 0.05
"""COBYLA's first step (``rhobeg``), as a share of each range's width."""
END = 1e-4
"""COBYLA's last step (``tol``), as a share of each range's width."""
BACK = 12
"""Bisection steps drawing a point that fails a constraint back towards the start."""


def most_simulations(ranges: int) -> int:
    """The most simulations :func:`slide` runs over ``ranges`` ranges (none below two)."""
    return 0 if ranges < 2 else evaluations(ranges) + BACK + 2


def evaluations(ranges: int) -> int:
    """COBYLA's most evaluations over ``ranges`` ranges."""
    return 40 + 20 * ranges


def slide(sim: Simulator, expanded: list[Expanded], choices: list[Choice],
          objective: Objective, feasible: Callable[[dict[str, float]], bool],
          constraints: Sequence[Constraint] = (),
          extra: Callable[[dict[str, float]], float] | None = None
          ) -> tuple[list[Choice], float] | None:
    """``choices`` with every range moved together to where COBYLA finds the simulated
    ``objective`` best, every bound of ``constraints`` held (and ``extra``'s slack,
    relative to the size of a bound the caller adds, at or above 0), and its score (lower
    is better); ``None`` where there are fewer than two ranges or nothing better is found.
    ``feasible``: the caller's test of a simulation's figures, which the point taken
    passes."""
    ranges = [i for i, e in enumerate(expanded) if e.bounds is not None]
    if len(ranges) < 2:
        return None
    sign = -1.0 if objective.maximise else 1.0
    lows = np.array([expanded[i].bounds[0] for i in ranges])  # type: ignore[index]
    widths = np.array([expanded[i].bounds[1] for i in ranges]) - lows  # type: ignore[index]
    if not np.all(widths > 0):
        return None

    u0 = (np.array([float(choices[i].value) for i in ranges]) - lows) / widths

    def trial(u: np.ndarray) -> list[Choice]:
        """The choices at ``u`` (shares of each range's width): a range within 1e-9 of its
        start is where it was, one at or past a bound at that bound exactly (review 262:
        0.9000000000000001, 'moved from 0.9 to 0.9')."""
        out = list(choices)
        for k, (i, uu) in enumerate(zip(ranges, u, strict=True)):
            if abs(uu - u0[k]) > 1e-9:
                lo, hi = expanded[i].bounds  # type: ignore[misc]
                out[i] = expanded[i].at(lo if uu <= 0 else hi if uu >= 1
                                        else float(lows[k] + widths[k] * uu))
        return out

    score = scorer(sim, objective, feasible)
    f0 = sim(choices)
    v0 = sign * value(objective, f0)
    if not (feasible(f0) and math.isfinite(v0)):
        return None
    scale = max(abs(v0), 1e-12)
    sizes = _sizes(constraints, f0)

    def objective_at(u: np.ndarray) -> float:
        v = sign * value(objective, sim(trial(u)))
        return v / scale if math.isfinite(v) else 10.0  # no value: far worse than the start

    def slack_at(u: np.ndarray) -> np.ndarray:
        f = sim(trial(u))
        own = [s / z if math.isfinite(s) else -1.0
               for s, z in zip(slacks(constraints, f), sizes, strict=True)]
        return np.array([*own, *([extra(f)] if extra else []), *u, *(1.0 - u)], dtype=float)

    res = minimize(objective_at, u0, method="COBYLA",
                   constraints=[{"type": "ineq", "fun": slack_at}],
                   options={"rhobeg": STEP, "tol": END, "maxiter": evaluations(len(ranges))})
    u = np.clip(np.asarray(res.x, dtype=float), 0.0, 1.0)
    best = trial(u)
    v = score(best)
    if not math.isfinite(v):  # drawn back towards the start, which holds every bound
        inside, outside = 0.0, 1.0
        for _ in range(BACK):
            mid = (inside + outside) / 2
            if math.isfinite(score(trial(u0 + mid * (u - u0)))):
                inside = mid
            else:
                outside = mid
        best = trial(u0 + inside * (u - u0))
        v = score(best)
    return (best, v) if v < v0 - 1e-12 * max(abs(v0), 1.0) else None


def scorer(sim: Simulator, objective: Objective,
           feasible: Callable[[dict[str, float]], bool]) -> Callable[[list[Choice]], float]:
    """The score of a combination, lower is better: the simulated objective (negated when
    maximised), infinite where a constraint fails or the objective has no value (also
    :func:`~.refine.scorer`, which the one-range searches use)."""
    sign = -1.0 if objective.maximise else 1.0

    def score(trial: list[Choice]) -> float:
        figures = sim(trial)
        v = sign * value(objective, figures)
        return v if feasible(figures) and math.isfinite(v) else math.inf

    return score


def _sizes(constraints: Sequence[Constraint], figures: dict[str, float]) -> list[float]:
    """The size each bound's slack is measured in (as :func:`~.unmet.slacks` lists them):
    the larger of the bound and its figure at the start (so that a bound of 0 and one of
    4e11 weigh alike in COBYLA's model)."""
    out = []
    for c in constraints:
        for v in constraint_values(c, figures):
            out += [max(abs(b), abs(v) if math.isfinite(v) else 0.0, 1e-12)
                    for b in (c.min, c.max) if b is not None]
    return out
