"""The least-squares search of a calibration, with a second start where the first stalls.

A local search (scipy's trust-region reflective least squares) from the model's own values
finds the fit when the observed figures change smoothly with the parameters. Where they
change in steps — a fixed lifetime decides whether a whole cohort retires within the
horizon — the figures are flat around the model's values and the search stays there, its
Jacobian zero (review 211: a lifetime of 10 years, observed CO2e that needs 3.3). So the
weighted misfit is also evaluated at :data:`START_POINTS` points of a scrambled Sobol'
design over the ranges (Owen 1998, through :mod:`scipy.stats.qmc`; seed 0, so the same
fit every time); if one fits better than the first search's answer, the search runs again
from the best of them and the better answer is kept. A problem the first search solves
keeps its answer (no design point beats an optimum), so this changes nothing there; where
its fit is within the observations' errors (a mean squared weighted residual of at most 1)
the design is not even evaluated.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

START_POINTS = 32
"""Design points at which a second start is looked for (one in each 1/32 of a single
parameter's range: a step at least that wide is found)."""


class Misfit(Protocol):
    """What the search needs of a calibration's least-squares problem (in the unit cube
    of the calibrated parameters' ranges)."""

    x0: np.ndarray

    def fun(self, x: np.ndarray) -> np.ndarray: ...

    def jac(self, x: np.ndarray) -> np.ndarray: ...

    def residuals(self, xs: np.ndarray) -> np.ndarray: ...


def search(problem: Misfit, most: int) -> Any:
    """The better of the search from the model's values and, when a design point fits
    better than that, the search from the best design point, within ``most`` evaluations
    of the misfit in all (the design's aside; scipy's ``OptimizeResult``; ``cost`` is half
    the sum of the squared weighted residuals)."""
    fit = _local(problem, problem.x0, most)
    if float(fit.cost) <= 0.5 * np.size(fit.fun):
        return fit  # every figure within its error on average: nothing stalled to escape
    left = most - int(fit.nfev)  # the evaluations the first search left to the second
    start = better_start(problem, float(fit.cost)) if left > 0 else None
    if start is not None:
        again = _local(problem, start, left)
        if again.cost < fit.cost:
            return again
    return fit


def _local(problem: Misfit, x: np.ndarray, most: int) -> Any:
    from scipy.optimize import least_squares

    # the search starts just inside the ranges: a start on a bound (a share at 0) stalls it
    return least_squares(problem.fun, np.clip(x, 1e-3, 1 - 1e-3), jac=problem.jac,
                         bounds=(0.0, 1.0), method="trf", max_nfev=most, x_scale="jac")


def better_start(problem: Misfit, cost: float) -> np.ndarray | None:
    """The design point with the least misfit, if it is below ``cost`` (by more than
    rounding), else ``None``."""
    from scipy.stats import qmc

    k = len(problem.x0)
    points = qmc.Sobol(d=k, scramble=True, seed=0).random(START_POINTS)
    r = problem.residuals(points)
    costs = 0.5 * np.sum(r * r, axis=1)
    costs[~np.isfinite(costs)] = np.inf
    best = int(np.argmin(costs))
    return points[best] if costs[best] < cost * (1 - 1e-9) - 1e-300 else None
