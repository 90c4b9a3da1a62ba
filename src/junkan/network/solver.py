"""One MILP/LP entry point for the planners: HiGHS through ``highspy`` (progress callbacks, a
warm start, an interrupt) with :func:`scipy.optimize.milp` as the fallback when ``highspy``
is not installed (no live progress, cold start).

:func:`solve_milp` stops at the requested relative gap or time limit and returns what it
reached (objective, dual bound, gap); :func:`solve_fixed` fixes the integer columns and
solves the remaining LP exactly, with its row duals (shadow prices)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from junkan.core.errors import JunkanError
from junkan.core.quiet import c_stdout_silenced

Progress = Callable[[dict[str, float]], None]
"""Called during a solve with ``elapsed`` (s), ``gap`` (relative), ``objective`` (best found,
``inf`` before the first) and ``bound`` (dual bound)."""

Incumbent = Callable[[np.ndarray, dict[str, float]], None]
"""Called with every improving feasible point HiGHS finds (a copy of the column values) and
``elapsed``, ``gap``, ``objective``, ``bound``: the answer streamed before the solve ends."""

HEURISTIC_EFFORT = 0.3
"""HiGHS's share of effort on primal heuristics (its default 0.05): on the ELV example it cut
the time to a 0.5 % gap from 8 to 7 s uncapped and from 38 to 15–19 s under a CO2 cap."""

PROGRESS_EVERY_S = 0.5
"""Seconds between two progress calls of one solve."""


@dataclass(frozen=True)
class MilpProblem:
    """min c·x  s.t.  row_lo ≤ A x ≤ row_hi,  col_lo ≤ x ≤ col_hi,  x_j integer where
    ``integer[j]``."""

    c: np.ndarray
    a: sparse.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool mask

    @property
    def n(self) -> int:
        return int(self.c.size)


@dataclass(frozen=True)
class MilpResult:
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    status: str
    optimal: bool
    """True when the requested gap was reached (not stopped by the time limit)."""
    row_dual: np.ndarray | None = None
    nodes: int = 0
    """Branch-and-bound nodes (with one thread a deterministic measure of the work done)."""
    lp_iterations: int = 0
    """Simplex iterations over all LPs of the solve (deterministic with one thread)."""
    cpu_seconds: float = 0.0
    """CPU time of this process during the solve: unlike wall time, barely changed by the
    load of other processes on a shared machine."""


def _have_highspy() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def backend() -> str:
    """``"highspy"`` (live progress and warm starts) or ``"scipy"`` (fallback)."""
    return "highspy" if _have_highspy() else "scipy"


def _highs_model(prob: MilpProblem, integer: bool) -> Any:
    import highspy

    a = prob.a.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = prob.n
    lp.num_row_ = a.shape[0]
    lp.col_cost_ = prob.c
    lp.col_lower_ = prob.col_lo
    lp.col_upper_ = np.where(np.isinf(prob.col_hi), highspy.kHighsInf, prob.col_hi)
    lp.row_lower_ = np.where(np.isinf(prob.row_lo), -highspy.kHighsInf, prob.row_lo)
    lp.row_upper_ = np.where(np.isinf(prob.row_hi), highspy.kHighsInf, prob.row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = prob.n
    lp.a_matrix_.num_row_ = a.shape[0]
    if integer and prob.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in prob.integer]
    return lp


def _solve_highspy(prob: MilpProblem, gap: float, time_limit: float,
                   start: np.ndarray | None, progress: Progress | None,
                   incumbent: Incumbent | None = None) -> MilpResult:
    import highspy

    # one thread per solve (sweeps run solves in parallel processes); HiGHS's scheduler is
    # per process and refuses a thread count other than the one it started with (highspy
    # 1.16: the run ends with status "Not Set" after another solver in the process, e.g.
    # junkan.market's, started it with the default), so it is started afresh for this one
    highspy.Highs.resetGlobalScheduler(True)
    with quiet_stdout():  # highspy 1.16 prints a banner to stdout when constructed
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_heuristic_effort", HEURISTIC_EFFORT)
    h.passModel(_highs_model(prob, integer=True))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    t0, c0 = time.perf_counter(), time.process_time()
    last = [-PROGRESS_EVERY_S]

    def tick(e: object) -> None:
        now = time.perf_counter() - t0
        if progress is None or now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        d = e.data_out  # type: ignore[attr-defined]
        progress({"elapsed": now, "gap": float(d.mip_gap), "objective":
                  float(d.mip_primal_bound), "bound": float(d.mip_dual_bound)})

    def improved(e: object) -> None:
        d = e.data_out  # type: ignore[attr-defined]
        x = np.array(d.mip_solution, dtype=float)
        if incumbent is not None and x.size == prob.n:
            incumbent(x, {"elapsed": time.perf_counter() - t0, "gap": float(d.mip_gap),
                          "objective": float(d.mip_primal_bound),
                          "bound": float(d.mip_dual_bound)})

    if progress is not None:
        h.cbMipInterrupt.subscribe(tick)
    if incumbent is not None:
        h.cbMipImprovingSolution.subscribe(improved)
    h.run()
    dt = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    if info.primal_solution_status != 2 or x.size != prob.n:  # kSolutionStatusFeasible
        raise JunkanError(f"no feasible plan: {h.modelStatusToString(status)}")
    optimal = status == highspy.HighsModelStatus.kOptimal
    reached = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("inf")
    if progress is not None:
        progress({"elapsed": dt, "gap": reached, "objective": float(info.objective_function_value),
                  "bound": float(info.mip_dual_bound)})
    return MilpResult(x=x, objective=float(info.objective_function_value),
                      bound=float(info.mip_dual_bound), gap=reached, seconds=dt,
                      status=h.modelStatusToString(status), optimal=optimal,
                      nodes=int(info.mip_node_count), lp_iterations=int(
                          info.simplex_iteration_count),
                      cpu_seconds=time.process_time() - c0)


def _solve_scipy(prob: MilpProblem, gap: float, time_limit: float,
                 progress: Progress | None) -> MilpResult:
    t0, c0 = time.perf_counter(), time.process_time()
    res = milp(prob.c, constraints=LinearConstraint(prob.a, prob.row_lo, prob.row_hi),
               integrality=prob.integer.astype(int), bounds=Bounds(prob.col_lo, prob.col_hi),
               options={"mip_rel_gap": gap, "disp": False, "time_limit": time_limit})
    dt = time.perf_counter() - t0
    if res.x is None:
        raise JunkanError(f"no feasible plan: {res.message}")
    reached = float(getattr(res, "mip_gap", 0.0) or 0.0)
    bound = float(getattr(res, "mip_dual_bound", res.fun) or res.fun)
    if progress is not None:
        progress({"elapsed": dt, "gap": reached, "objective": float(res.fun), "bound": bound})
    return MilpResult(x=np.asarray(res.x), objective=float(res.fun), bound=bound, gap=reached,
                      seconds=dt, status=str(res.message), optimal=res.status == 0,
                      nodes=int(getattr(res, "mip_node_count", 0) or 0),
                      cpu_seconds=time.process_time() - c0)


def solve_milp(prob: MilpProblem, *, gap: float, time_limit: float,
               start: np.ndarray | None = None, progress: Progress | None = None,
               incumbent: Incumbent | None = None, use: str | None = None) -> MilpResult:
    """Solve to the relative ``gap`` or until ``time_limit`` (s), whichever first; ``start``
    is a feasible point handed to HiGHS as its first incumbent (ignored by the scipy
    fallback); ``incumbent`` is called with every improving point found (highspy only: the
    scipy fallback has no callbacks). Raises :class:`JunkanError` when no feasible point was
    found."""
    use = use or backend()
    if use == "highspy":
        return _solve_highspy(prob, gap, time_limit, start, progress, incumbent)
    return _solve_scipy(prob, gap, time_limit, progress)


def solve_fixed(prob: MilpProblem, values: np.ndarray) -> MilpResult | None:
    """Fix every integer column at ``values`` (rounded) and solve the LP in the rest exactly;
    ``None`` when that LP is infeasible. The result carries the row duals (marginal change of
    the objective per unit of each row's bound)."""
    fixed = np.round(values[prob.integer])
    lo, hi = prob.col_lo.copy(), prob.col_hi.copy()
    lo[prob.integer] = fixed
    hi[prob.integer] = fixed
    lp = replace(prob, col_lo=lo, col_hi=hi, integer=np.zeros(prob.n, dtype=bool))
    t0 = time.perf_counter()
    eq = lp.row_lo == lp.row_hi
    a = lp.a.tocsr()
    ub_rows = np.flatnonzero(~eq & np.isfinite(lp.row_hi))
    lb_rows = np.flatnonzero(~eq & np.isfinite(lp.row_lo))
    a_ub = sparse.vstack([a[ub_rows], -a[lb_rows]]).tocsr()
    b_ub = np.concatenate([lp.row_hi[ub_rows], -lp.row_lo[lb_rows]])
    res = linprog(lp.c, A_ub=a_ub if a_ub.shape[0] else None,
                  b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=a[np.flatnonzero(eq)] if eq.any() else None,
                  b_eq=lp.row_lo[eq] if eq.any() else None,
                  bounds=np.column_stack([lo, hi]), method="highs")
    if res.status != 0:
        return None
    dual = np.zeros(a.shape[0])
    if eq.any():
        dual[eq] = res.eqlin.marginals
    if a_ub.shape[0]:
        m = res.ineqlin.marginals
        dual[ub_rows] += m[:ub_rows.size]
        dual[lb_rows] -= m[ub_rows.size:]
    return MilpResult(x=np.asarray(res.x), objective=float(res.fun), bound=float(res.fun),
                      gap=0.0, seconds=time.perf_counter() - t0, status="LP optimal",
                      optimal=True, row_dual=dual)


def quiet_stdout() -> contextlib.AbstractContextManager[None]:
    """Silence C-level writes to stdout (HiGHS prints debug lines there even with
    ``disp=False``), so machine-readable CLI output stays clean; safe when solves overlap in
    threads (:func:`junkan.core.quiet.c_stdout_silenced`)."""
    return c_stdout_silenced()
