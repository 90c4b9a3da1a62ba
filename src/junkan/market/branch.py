"""Branch and cut on the matching MILP with HiGHS (highspy), started from a known feasible
assignment and stopped as soon as the gap to an outside bound is met.

:func:`scipy.optimize.milp` starts HiGHS cold: on the benchmark's instances its own first
heuristics find assignments worth a quarter of the LP's margin, and most of the time goes
on finding what the LP rounding (:mod:`junkan.market.colgen`) already has. Here the
rounding's assignment is handed to HiGHS as its first incumbent (``setSolution``), columns
fixed at zero are left out before presolve, and a callback interrupts the search when the
incumbent is within the requested gap of the certified bound of the *full* problem (the
column-generation LP bound): the restricted problem's own dual bound can only be lower, so
HiGHS alone would keep going after the answer already meets the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from junkan.market.highs import quiet_highs

HEURISTIC_EFFORT = 0.3
"""HiGHS's share of effort on primal heuristics (default 0.05): the bound is already known
from the LP, what the search lacks is better assignments near the start (RINS, RENS)."""


@dataclass
class Outcome:
    x: np.ndarray | None
    """Solution at the full length of the model (None when HiGHS found none)."""
    dual: float | None
    """HiGHS's bound on the restricted problem (minimisation; None if it has none)."""
    status: str


def branch_and_cut(
    c: np.ndarray,
    a: sp.csc_matrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    integrality: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    cols: np.ndarray,
    time_limit: float,
    gap: float,
    start: np.ndarray | None = None,
    outer_bound: float = -np.inf,
    inner_gap: float | None = None,
    log: bool = False,
) -> Outcome:
    """Minimise ``c x`` over the columns ``cols`` (the others held at zero) within
    ``lb``/``ub``; ``start`` (full length) is a feasible point given as the first incumbent;
    the search stops when the incumbent is within ``gap`` (relative) of ``outer_bound``, a
    lower bound of the minimum valid for the whole problem, or within ``inner_gap`` (default
    ``gap``) of HiGHS's own bound. On a restricted problem HiGHS's bound lies below the
    outer one, so stopping at ``gap`` of it would stop short of ``gap`` of the outer bound:
    give a smaller ``inner_gap`` there."""
    cols = cols[ub[cols] > 0]  # columns fixed at zero only slow presolve down
    n = len(c)
    if len(cols) == 0:
        return Outcome(np.zeros(n), None, "optimal")
    h = quiet_highs()
    h.setOptionValue("output_flag", bool(log))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", float(inner_gap if inner_gap is not None else gap))
    h.setOptionValue("mip_heuristic_effort", HEURISTIC_EFFORT)
    h.setOptionValue("time_limit", max(0.5, float(time_limit)))
    inf = highspy.kHighsInf
    h.addRows(
        len(row_lo),
        np.where(np.isfinite(row_lo), row_lo, -inf),
        np.where(np.isfinite(row_hi), row_hi, inf),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    sub = a[:, cols].tocsc()
    h.addCols(
        len(cols),
        c[cols],
        lb[cols],
        ub[cols],
        sub.nnz,
        sub.indptr[:-1].astype(np.int32),
        sub.indices.astype(np.int32),
        sub.data.astype(float),
    )
    kinds = integrality[cols]
    if (kinds > 0).any():
        # scipy's codes are HiGHS's: 0 continuous, 1 integer, 2 semi-continuous
        h.changeColsIntegrality(
            len(cols), np.arange(len(cols), dtype=np.int32), kinds.astype(np.uint8)
        )
    if start is not None:
        _give_start(h, start[cols])
    if np.isfinite(outer_bound):
        _stop_at(h, outer_bound, gap)
    h.run()
    status = _status(h)
    info = h.getInfo()
    dual = float(info.mip_dual_bound)
    dual_out = dual if np.isfinite(dual) else None
    if info.primal_solution_status == 0:  # no feasible point
        return Outcome(None, dual_out, status)
    x = np.zeros(n)
    x[cols] = np.asarray(h.getSolution().col_value)
    return Outcome(x, dual_out, status)


def _give_start(h: highspy.Highs, x: np.ndarray) -> None:
    sol = highspy.HighsSolution()
    sol.col_value = list(map(float, x))
    sol.value_valid = True
    h.setSolution(sol)


def _stop_at(h: highspy.Highs, outer_bound: float, gap: float) -> None:
    """Interrupt once the incumbent is within ``gap`` of ``outer_bound`` (minimisation)."""
    scale = max(abs(outer_bound), 1e-9)

    def check(e: highspy.highs.HighsCallbackEvent) -> None:
        primal = float(e.data_out.mip_primal_bound)
        if np.isfinite(primal) and (primal - outer_bound) / scale <= gap:
            e.interrupt()

    h.cbMipInterrupt.subscribe(check)


def _status(h: highspy.Highs) -> str:
    s = h.getModelStatus()
    if s == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if s == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if s == highspy.HighsModelStatus.kInterrupt:
        return "optimal"  # interrupted only when the gap to the outer bound is met
    if s == highspy.HighsModelStatus.kTimeLimit:
        return "time limit"
    return h.modelStatusToString(s)
