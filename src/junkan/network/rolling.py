"""Rolling horizon for the multi-period model (:mod:`junkan.network.multiperiod`) when the
monolithic MILP is too big: relax-and-fix, then fix-and-optimize.

**Relax-and-fix.** Step s solves the MILP with the hub decisions of periods s … s+N−1
binary, those of later periods relaxed to [0, 1] (an LP look-ahead) and those of earlier
periods fixed at the values chosen before; period s is then fixed and the window moves on
by one. The last step makes every remaining decision binary, so the answer is feasible for
the monolithic model. A capital decision v[t] is counted in the period its capacity comes on
line (t + lead time), not the period it is spent in: fixing it earlier would decide an
investment while the capacity it buys is still fractional in the look-ahead.

**Why relax-and-fix alone can end worse than the monolithic model.** It has no end effect
to blame — every step carries the whole horizon, with the salvage of the capital still in
use at its end — but each step commits period s while later periods are an LP: there a hub
can run at a fraction of a tier and pay that fraction of its capital and fixed cost, so the
look-ahead under-prices capacity that later periods will need whole, and early periods are
committed to hubs that the later, binary periods then work around. Committed periods are
never revisited.

**Fix-and-optimize** revisits them: windows of the horizon are freed in turn, every other
decision fixed at the incumbent, and solved as a MILP warm-started from it; an improvement
is kept. Passes repeat until one improves nothing or the time is up. The plan can only get
better than relax-and-fix's. The first relax-and-fix step relaxes the monolithic model, so
its dual bound is a valid lower bound on the monolithic optimum and the gap returned is
measured against it: the answer is never worse than that gap from the true optimum."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from junkan.core.errors import JunkanError
from junkan.network.solver import MilpProblem, MilpResult, Progress, solve_milp

if TYPE_CHECKING:
    from junkan.network.multiperiod import _Cols

RELAX_SHARE = 0.8
"""Share of the time limit relax-and-fix may use when fix-and-optimize follows."""


def effect_periods(cc: _Cols, lead: int = 0) -> np.ndarray:
    """(3·I·L·T,) the period each binary acts in: u and w their own, v (capital spent at t)
    the period its capacity comes on line, t + ``lead`` (u, v, w come first, t fastest)."""
    t = np.arange(cc.t)
    block = cc.i * cc.l
    return np.concatenate([np.tile(t, block), np.tile(t + lead, block), np.tile(t, block)])


def relax_and_fix(
    prob: MilpProblem,
    per: np.ndarray,
    t_: int,
    window: int,
    *,
    gap: float,
    time_limit: float,
    progress: Progress | None = None,
) -> tuple[MilpResult, float, float]:
    """(last step's result, first step's dual bound, seconds) of relax-and-fix."""
    nb = per.size
    lo, hi = prob.col_lo.copy(), prob.col_hi.copy()
    seconds, bound = 0.0, -np.inf
    res: MilpResult | None = None
    steps = max(1, t_ - window + 1)
    for s in range(steps):
        last = s == steps - 1
        integer = np.zeros(prob.n, dtype=bool)
        integer[:nb] = (per >= s) & ((per < s + window) | last)
        step = replace(prob, col_lo=lo, col_hi=hi, integer=integer)
        left = max(1.0, time_limit - seconds)
        res = solve_milp(step, gap=gap, time_limit=left / (steps - s), progress=progress)
        seconds += res.seconds
        if s == 0:
            bound = res.bound
        fix = np.flatnonzero(per >= s) if last else np.flatnonzero(per == s)
        lo[fix] = hi[fix] = np.round(res.x[fix])
    assert res is not None
    return res, bound, seconds


def fix_and_optimize(
    prob: MilpProblem,
    per: np.ndarray,
    t_: int,
    size: int,
    x: np.ndarray,
    objective: float,
    *,
    gap: float,
    time_limit: float,
    progress: Progress | None = None,
) -> tuple[np.ndarray, float, int, float]:
    """(x, objective, improvements, seconds): windows of ``size`` periods freed in turn, the
    rest of the binaries fixed at ``x``, each solved warm-started from ``x``; passes until
    one improves nothing or ``time_limit`` is spent."""
    nb = per.size
    size = max(1, min(size, t_))
    starts = list(range(0, t_ - size + 1))
    seconds, improvements = 0.0, 0
    while seconds < time_limit:
        better = False
        for n, a in enumerate(starts):
            left = time_limit - seconds
            if left <= 0.5:
                break
            free = (per >= a) & (per < a + size)
            if a == starts[-1]:
                free |= per >= a  # v columns acting past the horizon stay with the last
            lo, hi = prob.col_lo.copy(), prob.col_hi.copy()
            fixed = np.flatnonzero(~free)
            lo[fixed] = hi[fixed] = np.round(x[fixed])
            integer = np.zeros(prob.n, dtype=bool)
            integer[:nb] = True
            sub = replace(prob, col_lo=lo, col_hi=hi, integer=integer)
            res = solve_milp(
                sub, gap=gap, time_limit=left / (len(starts) - n), start=x, progress=progress
            )
            seconds += res.seconds
            if res.objective < objective - 1e-9 * max(1.0, abs(objective)):
                x, objective, better = res.x, res.objective, True
                improvements += 1
        if not better:
            break
    return x, objective, improvements, seconds


def solve_rolling(
    prob: MilpProblem,
    cc: _Cols,
    window: int,
    *,
    gap: float,
    time_limit: float,
    progress: Progress | None = None,
    lead: int = 0,
    improve: bool = True,
) -> MilpResult:
    """Relax-and-fix with a ``window`` of periods, then (``improve``) fix-and-optimize over
    windows of the same size (at least 2 periods); the gap is against the first step's dual
    bound, a valid lower bound on the monolithic optimum."""
    if window < 1:
        raise JunkanError(f"rolling window {window}: give at least 1 period")
    per = effect_periods(cc, lead)
    budget = time_limit * (RELAX_SHARE if improve else 1.0)
    res, bound, seconds = relax_and_fix(
        prob, per, cc.t, window, gap=gap, time_limit=budget, progress=progress
    )
    x, objective, improvements = res.x, res.objective, 0
    if improve and cc.t > 1:
        x, objective, improvements, more = fix_and_optimize(
            prob,
            per,
            cc.t,
            max(2, window),
            x,
            objective,
            gap=gap,
            time_limit=max(1.0, time_limit - seconds),
            progress=progress,
        )
        seconds += more
    rel = max(0.0, (objective - bound) / max(abs(objective), 1e-12))
    steps = max(1, cc.t - window + 1)
    status = f"rolling horizon ({steps} steps" + (
        f", {improvements} improvement(s) by fix-and-optimize)" if improve else ")"
    )
    return MilpResult(
        x=x,
        objective=objective,
        bound=bound,
        gap=rel,
        seconds=seconds,
        status=status,
        optimal=rel <= gap,
    )
