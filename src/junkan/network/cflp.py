"""Capacitated facility location with split demand, solved to optimality by HiGHS (through
:func:`scipy.optimize.milp`).

Variables: y_i ∈ {0, 1} (site i open), x_ij ∈ [0, 1] (share of customer j's demand served by
i). Minimise Σ f_i y_i + Σ c_ij x_ij subject to Σ_i x_ij = 1 (every customer served),
Σ_j d_j x_ij ≤ s_i y_i (capacity) and the strong linking constraints x_ij ≤ y_i, which
tighten the LP relaxation (Beasley 1988)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from junkan.core.errors import JunkanError
from junkan.network.orlib import CFLPInstance

CFLP_TIME_LIMIT_S = 300.0
"""Seconds ``junkan network cflp`` lets a solve take unless told (an assumption): the
OR-Library instances it was tested on solve in under a second (``tests/network/test_cflp.py``);
an instance within :attr:`~junkan.core.limits.Limits.cflp_pairs` that takes longer stops
with its best plan and its gap rather than holding the terminal."""


@dataclass(frozen=True)
class CFLPSolution:
    """An optimal (within the gap) facility location: cost, sites opened, shares served."""

    objective: float
    open_sites: list[int]  # 1-based, as OR-Library numbers them
    assignment: np.ndarray  # (m, n) shares
    mip_gap: float
    seconds: float
    status: str
    instance: str = ""

    def to_json(self) -> dict[str, Any]:
        """The solution's JSON-ready document (what ``junkan network cflp`` prints)."""
        return {"instance": self.instance, "objective": self.objective,
                "open_sites": self.open_sites, "mip_gap": self.mip_gap,
                "seconds": self.seconds, "status": self.status}

    def to_frame(self) -> Any:
        """Served shares as a table: site (1-based), customer (1-based), share of demand."""
        import pandas as pd

        site, cust = np.nonzero(self.assignment > 1e-9)
        return pd.DataFrame({"site": site + 1, "customer": cust + 1,
                             "share": self.assignment[site, cust]})


def solve_cflp(inst: CFLPInstance, *, capacity: float | None = None, mip_rel_gap: float = 1e-9,
               time_limit: float | None = None) -> CFLPSolution:
    """Solve ``inst`` (optionally with every site's capacity set to ``capacity``)."""
    m, n = inst.cost.shape
    if capacity is not None and not (np.isfinite(capacity) and capacity >= 0):
        raise JunkanError(f"capacity {capacity}: give a finite capacity ≥ 0")
    cap = np.full(m, float(capacity)) if capacity is not None else inst.capacity
    if cap.sum() < inst.demand.sum():
        raise JunkanError(f"infeasible: total capacity {cap.sum():g} is below total demand "
                          f"{inst.demand.sum():g} (the capacity constraint binds for every site)")
    nx = m * n
    c = np.concatenate([inst.fixed_cost, inst.cost.ravel()])  # y then x (row-major i, j)
    # Σ_i x_ij = 1
    rows = np.repeat(np.arange(n), m)
    cols = m + (np.tile(np.arange(m), n) * n + rows)
    a_assign = sparse.csr_matrix((np.ones(nx), (rows, cols)), shape=(n, m + nx))
    # Σ_j d_j x_ij − s_i y_i ≤ 0
    r = np.concatenate([np.repeat(np.arange(m), n), np.arange(m)])
    k = np.concatenate([m + np.arange(nx), np.arange(m)])
    v = np.concatenate([np.tile(inst.demand, m), -cap])
    a_cap = sparse.csr_matrix((v, (r, k)), shape=(m, m + nx))
    # x_ij − y_i ≤ 0
    r2 = np.concatenate([np.arange(nx), np.arange(nx)])
    k2 = np.concatenate([m + np.arange(nx), np.repeat(np.arange(m), n)])
    v2 = np.concatenate([np.ones(nx), -np.ones(nx)])
    a_link = sparse.csr_matrix((v2, (r2, k2)), shape=(nx, m + nx))
    cons = [LinearConstraint(a_assign, 1, 1), LinearConstraint(a_cap, -np.inf, 0),
            LinearConstraint(a_link, -np.inf, 0)]
    integrality = np.concatenate([np.ones(m), np.zeros(nx)])
    opts: dict[str, float | bool] = {"mip_rel_gap": mip_rel_gap, "disp": False}
    if time_limit is not None:
        opts["time_limit"] = time_limit
    t0 = time.perf_counter()
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(0, 1), options=opts)
    dt = time.perf_counter() - t0
    if res.x is None:
        limit = f" within the time limit of {time_limit:g} s" if res.status == 1 else ""
        raise JunkanError(f"no solution{limit}: {res.message}")
    y = res.x[:m]
    x = res.x[m:].reshape(m, n)
    return CFLPSolution(objective=float(res.fun), open_sites=[i + 1 for i in range(m)
                                                              if y[i] > 0.5],
                        assignment=x, mip_gap=float(getattr(res, "mip_gap", 0.0) or 0.0),
                        seconds=dt, status=str(res.message), instance=inst.name)
