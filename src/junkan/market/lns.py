"""Large-neighbourhood search on a matching assignment: buyer by buyer, re-optimise
everything a few buyers receive (all their routes, direct and pooled, and the opening of
their pooled shipments) with every other buyer's deliveries held, as a small MILP
(HiGHS branch and cut, :mod:`junkan.market.branch`) started from the assignment itself — so
a step never loses margin and every constraint of the full model still holds.

Why: the LP relaxation spreads scarce diluent lots (a low Fe share, say) over many buyers in
pieces below the minimum lot; rounding closes those pieces and leaves buyers whose quality
window then binds with capacity no open route can fill (on the benchmark's seed 5, ten buyers
lose 1.6 % of the LP's margin). The branch and cut over the whole model is too large to
repair that in seconds; over the routes of the two or three buyers that lost most and the
buyers holding the lots they need, it is small (thousands of routes, tens of shipments).

Measured 2026-12-01 (benchmarks/market_bench.py, shared machine at load 6–12): seed 5 from
1.66 % (the rounding) to 1.11 % with about 20 CPU s of search; on 1,000 lots × 10 buyers ×
4 pools, seeds 0–11, the mean gap after the rounding from 0.96 % to 0.60 %.

On a large model the columns of a step are those of :attr:`Problem.keep` only (the routes
the LP and the incumbent use, and each lot's few routes of least LP reduced cost:
:func:`junkan.market.restrict.lns_columns`): a step over every route of three buyers
(about 19,000 columns on the benchmark) ran into its time limit with little gain; over the
kept routes of eight buyers it is a MILP of a few thousand columns, done in one or two
seconds, and the kept routes still let a lot whose shipment closed go to any buyer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint

from junkan.market.arcs import Arcs
from junkan.market.branch import branch_and_cut
from junkan.market.colgen import TRACE, Structure, objective

if TYPE_CHECKING:
    from junkan.market.milp import Model

SHARE = 0.8
"""Share of the time left after the rounding that the search may take (the branch and cut
over the whole model gets the rest)."""
STEP_S = 5.0
"""Most seconds one neighbourhood's branch and cut may take."""
WIDTH = 8
"""Buyers in one neighbourhood: the one that lost most against the LP, the buyers that now
hold most of the lots it took in the LP (up to half of them), then the buyers that lost most.
Measured 2026-12-02 on the benchmark's seed 3 with the search over the kept columns (load
7–8, ``nice``, 60 s): 3 buyers (the former width) moved the rounding from 2.05 % to 1.84 % in
12 steps; 8 buyers, filled with the buyers that lost most, to 0.56 %."""
STEPS = 40
"""Most neighbourhoods tried (each buyer leads one at most)."""


@dataclass
class Problem:
    """The full MILP (minimisation, model units) and what maps its columns to buyers."""

    c: np.ndarray
    a: sp.csc_matrix
    lo: np.ndarray
    hi: np.ndarray
    integrality: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    n_arc: int
    cond: np.ndarray
    """Per route, its buyer (condition index)."""
    lot: np.ndarray
    """Per route, its lot."""
    pair_cond: np.ndarray
    """Per pooled shipment, its buyer."""
    pair_col: np.ndarray
    """Per column, the column of the pooled shipment its route travels in (−1 if none)."""
    keep: np.ndarray | None = None
    """Columns a neighbourhood may use (None: all)."""


def _margin_by_buyer(p: Problem, x: np.ndarray, nb: int) -> np.ndarray:
    n = p.n_arc
    out = np.bincount(p.cond, -p.c[:n] * x[:n], minlength=nb)
    out -= np.bincount(p.pair_cond, p.c[n:] * (x[n:] > 0.5), minlength=nb)
    return np.asarray(out)


def _neighbourhood(
    p: Problem, x: np.ndarray, x_lp: np.ndarray, b0: int, loss: np.ndarray
) -> list[int]:
    """``b0``, the buyers that now take most of the lots ``b0`` received in the LP (up to
    half the width), then the buyers that lost most against the LP."""
    n, nb = p.n_arc, len(loss)
    mine = np.zeros(int(p.lot.max()) + 1)
    sel = p.cond == b0
    np.add.at(mine, p.lot[sel], x_lp[:n][sel])
    held = np.bincount(p.cond, mine[p.lot] * x[:n], minlength=nb)
    held[b0] = 0.0
    out = [b0]
    for b in np.argsort(-held, kind="stable")[: min(WIDTH - 1, WIDTH // 2)]:
        if held[b] > 1e-9:
            out.append(int(b))
    for b in np.argsort(-loss, kind="stable"):
        if len(out) >= WIDTH:
            break
        if int(b) not in out:
            out.append(int(b))
    return out


def _of_buyers(p: Problem, buyers: list[int]) -> np.ndarray:
    """Mask of the columns of ``buyers``: their routes and pooled shipments."""
    n = p.n_arc
    inside = np.zeros(len(p.c), dtype=bool)
    inside[:n] = np.isin(p.cond, buyers)
    inside[n:] = np.isin(p.pair_cond, buyers)
    return inside


def _step(p: Problem, x: np.ndarray, inside: np.ndarray, limit: float) -> np.ndarray | None:
    """Re-optimise the columns of the mask ``inside`` with every other column held at
    ``x``."""
    n = p.n_arc
    if p.keep is not None:
        inside = inside & p.keep
    held = np.where(inside, 0.0, x)
    # a route whose lot the held buyers already take whole can carry nothing
    left = 1.0 - np.bincount(p.lot, held[:n], minlength=int(p.lot.max()) + 1)
    need = np.where(p.integrality[:n] == 2, p.lb[:n] * (1 - 1e-9), 0.0)
    inside[:n] &= (left[p.lot] > 1e-9) & (left[p.lot] >= need)
    cols = np.flatnonzero(inside & (p.ub > 0))
    used = np.asarray(p.a @ held)
    sub = p.a[:, cols].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[rows]
    lo = p.lo[rows] - used[rows]
    hi = p.hi[rows] - used[rows]
    # the rows f_a ≤ u_pb of the pooled routes inside (the disaggregated big-M row)
    local = np.full(len(p.c), -1, dtype=np.int64)
    local[cols] = np.arange(len(cols))
    r = cols[(cols < n) & (p.pair_col[cols] >= 0)]
    r = r[local[p.pair_col[r]] >= 0]
    ends = np.column_stack([local[r], local[p.pair_col[r]]]).ravel()
    vub = sp.csr_matrix(
        (np.tile([1.0, -1.0], len(r)), (np.repeat(np.arange(len(r)), 2), ends)),
        shape=(len(r), len(cols)),
    )
    out = branch_and_cut(
        p.c[cols],
        sp.vstack([sub, vub], format="csc"),
        np.concatenate([lo, np.full(len(r), -np.inf)]),
        np.concatenate([hi, np.zeros(len(r))]),
        p.integrality[cols],
        p.lb[cols],
        np.maximum(p.ub[cols], x[cols]),
        cols=np.arange(len(cols)),
        time_limit=limit,
        gap=1e-4,
        start=x[cols],
    )
    if out.x is None:
        return None
    new = held.copy()
    new[cols] = out.x
    return new


def improve(
    p: Problem,
    x: np.ndarray,
    x_lp: np.ndarray,
    deadline: float,
    value: Callable[[np.ndarray], float],
    target: float,
    log: list[tuple[str, float, float, float]] | None = None,
) -> np.ndarray:
    """Improve the feasible assignment ``x`` neighbourhood by neighbourhood until ``value``
    (the margin, to maximise) reaches ``target``, the steps run out or the deadline passes;
    the buyers that lost most margin against the LP solution ``x_lp`` go first."""
    nb = int(max(p.cond.max(initial=0), p.pair_cond.max(initial=0))) + 1
    best = value(x)
    tried: set[int] = set()
    for _ in range(STEPS):
        left = deadline - time.perf_counter()
        if best >= target or left < 0.5:
            break
        loss = _margin_by_buyer(p, x_lp, nb) - _margin_by_buyer(p, x, nb)
        pick = loss.copy()
        pick[list(tried)] = -np.inf
        b0 = int(np.argmax(pick))
        if not np.isfinite(pick[b0]) or pick[b0] <= 0:
            break
        tried.add(b0)
        buyers = _neighbourhood(p, x, x_lp, b0, loss)
        x, best = _try(p, x, best, _of_buyers(p, buyers), f"lns {buyers}", left, value, log)
    return x


def _try(
    p: Problem,
    x: np.ndarray,
    best: float,
    inside: np.ndarray,
    label: str,
    left: float,
    value: Callable[[np.ndarray], float],
    log: list[tuple[str, float, float, float]] | None,
) -> tuple[np.ndarray, float]:
    """One neighbourhood: the better of ``x`` and its re-optimisation."""
    new = _step(p, x, inside, min(STEP_S, left))
    got = value(new) if new is not None else -np.inf
    if log is not None:
        log.append((label, time.perf_counter(), got, best))
    if new is not None and got > best:
        return new, got
    return x, best


def from_model(
    model: Model,
    cons: LinearConstraint,
    arcs: Arcs,
    s: Structure,
    x: np.ndarray,
    x_lp: np.ndarray,
    deadline: float,
    bound: float,
    gap: float,
    restrict: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """:func:`improve` on the model of :mod:`junkan.market.milp` for :data:`SHARE` of the
    time left, stopping once the assignment is within ``gap`` of ``bound`` (model units)."""
    value = lambda v: objective(model.c, s, v)  # noqa: E731
    if SHARE <= 0 or value(x) >= bound * (1 - gap):
        return x
    keep, lb, ub = (None, model.lb, model.ub) if restrict is None else restrict
    prob = Problem(
        model.c,
        sp.csc_matrix(cons.A),
        np.asarray(cons.lb, dtype=float),
        np.asarray(cons.ub, dtype=float),
        model.integrality,
        lb,
        ub,
        model.n_arc,
        arcs.cond,
        arcs.lot,
        np.array([b for _, b in model.pairs], dtype=np.int64),
        model.pair_col,
        keep,
    )
    now = time.perf_counter()
    end = now + SHARE * (deadline - now)
    return improve(prob, x, x_lp, end, value, bound * (1 - gap), TRACE)
