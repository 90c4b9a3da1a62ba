"""Column generation for the LP relaxation of the matching MILP, and a primal heuristic.

The full set of candidate routes (every granted buyer × direct or the nearest pooling
points, for every lot) is large, but an optimal LP basis uses few of them. The LP is solved
over a restricted set of routes (each lot's best few by margin, and every pooled-shipment
variable); the duals price every other route in one sparse product, routes with negative
reduced cost join (each lot's few most negative, so every round reaches every lot whose
routes price in rather than the heaviest lots only), and the loop stops when none is left
— then the restricted LP's optimum is the full LP's. Every round also gives a valid bound
(Lagrangian: bᵀy + Σ min(0, rc)·ub), so a time limit still leaves a certified gap.

The heuristic turns the LP solution into a feasible assignment: pooled shipments whose LP
flow reaches the buyer's minimum lot stay open, the others close with their routes; direct
deliveries below the minimum drop; the LP is solved again on what is left, and again until
no flow breaks a minimum (a repair loop); then one more LP over every route of the open
shipments (a feasible start, so never worse)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from junkan.market.highs import quiet_highs

ROUND_MAX = 30
"""Most pricing rounds."""
ADD_MAX = 25_000
"""Most routes added in one round."""
PER_GROUP = 2
"""Most routes of one lot added in one round (when routes are grouped by lot)."""
CUT_MAX = 20_000
"""Most rows f_a ≤ u_pb added in one round."""
PRIMAL = False
"""Primal simplex in the pricing rounds after the first."""
REPRICE_ROUNDS = 8
"""Most pricing rounds after a rounding (:func:`reprice`)."""
TRACE: list[tuple[str, float, float, float]] = []
"""(step, seconds, value, bound) of the last solve, for benchmarks and tuning."""


class Session:
    """The LP relaxation in one HiGHS instance (highspy): columns are added as they are
    priced in and bounds changed in place, so every solve starts from the last basis."""

    def __init__(
        self, c: np.ndarray, a: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray, ub: np.ndarray
    ) -> None:
        self.h = quiet_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("random_seed", 0)
        inf = highspy.kHighsInf
        self.lo = np.where(np.isfinite(lo), lo, -inf)
        self.hi = np.where(np.isfinite(hi), hi, inf)
        self.h.addRows(
            len(lo), self.lo, self.hi, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        self.c, self.a, self.ub = c, a.tocsc(), ub
        self.cols = np.zeros(0, dtype=np.int64)
        self.present = np.zeros(len(c), dtype=bool)
        self.gub: tuple[np.ndarray, np.ndarray] | None = None
        """(rows Σ_a∈i f_a ≤ 1, the group i of each column or −1) for a tighter bound."""
        self.vub: np.ndarray | None = None
        """Per column, the column of the pooled shipment it travels in (−1 if none): the
        cuts f_a ≤ u_pb are separated against it (:func:`separate`)."""
        self.cut = np.zeros(len(c), dtype=bool)
        """Columns whose f_a ≤ u_pb row is in the model."""
        self.y: np.ndarray | None = None
        """Row duals of the last LP of :func:`relax` (to price routes after it)."""

    def add(self, idx: np.ndarray) -> None:
        idx = idx[~self.present[idx]]
        if len(idx) == 0:
            return
        sub = self.a[:, idx].tocsc()
        self.h.addCols(
            len(idx),
            self.c[idx],
            np.zeros(len(idx)),
            self.ub[idx],
            sub.nnz,
            sub.indptr[:-1].astype(np.int32),
            sub.indices.astype(np.int32),
            sub.data.astype(float),
        )
        self.cols = np.concatenate([self.cols, idx])
        self.present[idx] = True

    def add_rows(self, rows: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray) -> None:
        """Append rows over every column (cuts valid for the MILP): HiGHS gets their entries
        on the columns already in, later columns bring theirs along (:meth:`add`)."""
        pos = np.full(len(self.c), -1, dtype=np.int64)
        pos[self.cols] = np.arange(len(self.cols))
        coo = rows.tocoo()
        keep = pos[coo.col] >= 0
        local = sp.csr_matrix(
            (coo.data[keep], (coo.row[keep], pos[coo.col[keep]])),
            shape=(rows.shape[0], len(self.cols)),
        )
        inf = highspy.kHighsInf
        lo = np.where(np.isfinite(lo), lo, -inf)
        hi = np.where(np.isfinite(hi), hi, inf)
        self.h.addRows(
            rows.shape[0],
            lo,
            hi,
            local.nnz,
            local.indptr[:-1].astype(np.int32),
            local.indices.astype(np.int32),
            local.data.astype(float),
        )
        self.a = sp.vstack([self.a, rows.tocsc()], format="csc")
        self.lo = np.concatenate([self.lo, lo])
        self.hi = np.concatenate([self.hi, hi])

    def bounds(self, lb: np.ndarray, ub: np.ndarray) -> None:
        k = len(self.cols)
        self.h.changeColsBounds(k, np.arange(k, dtype=np.int32), lb[self.cols], ub[self.cols])

    def solve(
        self, time_limit: float, primal: bool = False
    ) -> tuple[np.ndarray | None, float, np.ndarray]:
        """(solution at full length or None, objective, row duals). ``primal``: primal
        simplex, the natural choice after adding columns (the basis stays primal feasible);
        else dual simplex, natural after changing bounds."""
        self.h.setOptionValue("simplex_strategy", 4 if primal else 1)
        # HiGHS's time limit counts the instance's total run time, over every solve
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.5, float(time_limit)))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            TRACE.append((f"LP status {self.h.getModelStatus()}", time.perf_counter(), 0, 0))
            return None, np.inf, np.zeros(len(self.lo))
        sol = self.h.getSolution()
        x = np.zeros(len(self.c))
        x[self.cols] = np.asarray(sol.col_value)
        return x, float(self.h.getInfo().objective_function_value), np.asarray(sol.row_dual)

    def lagrangian(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """A lower bound of the full LP from row duals ``y`` (any y is valid), and the
        reduced costs of every column.

        With :attr:`gub` set (the rows Σ_a∈i f_a ≤ 1 of each lot and the lot of every
        column), those rows stay out of the Lagrangian: over {f ≥ 0, Σ_a∈i f_a ≤ 1} the
        routes of lot i contribute at least min(0, min_a rc_a), where the plain bound
        charges Σ_a min(0, rc_a) — never weaker, and far stronger while many routes of a
        lot still price in (a time limit in early rounds leaves a usable bound)."""
        rc = self.c - self.a.T @ y
        low = self._bound(y, rc, None)
        if self.gub is not None:
            rows, group = self.gub
            y2 = y.copy()
            y2[rows] = 0.0
            low = max(low, self._bound(y2, self.c - self.a.T @ y2, group))
        return low, rc

    def _bound(self, y: np.ndarray, rc: np.ndarray, group: np.ndarray | None) -> float:
        lo = np.where(np.isfinite(self.lo) & (np.abs(self.lo) < 1e20), self.lo, 0.0)
        hi = np.where(np.isfinite(self.hi) & (np.abs(self.hi) < 1e20), self.hi, 0.0)
        rows = np.where(y > 0, y * lo, y * hi)
        wrong = ((y > 0) & (lo == 0) & ~(np.abs(self.lo) < 1e20)) | (
            (y < 0) & (hi == 0) & ~(np.abs(self.hi) < 1e20)
        )
        if wrong.any():  # a dual on an infinite side (round-off): drop it, any y is valid
            y = np.where(wrong, 0.0, y)
            rows = np.where(y > 0, y * lo, y * hi)
            rc = self.c - self.a.T @ y
        if group is None:
            return float(rows.sum() + np.minimum(rc, 0.0) @ self.ub)
        free = group < 0
        per = np.zeros(int(group.max()) + 1 if len(group) else 0)
        np.minimum.at(per, group[~free], rc[~free])
        return float(rows.sum() + per.sum() + np.minimum(rc[free], 0.0) @ self.ub[free])


def relax(
    lp: Session,
    start: np.ndarray,
    deadline: float,
    tol: float,
    group: np.ndarray | None = None,
) -> tuple[np.ndarray | None, float, float, int]:
    """Column generation from the routes in ``start`` (a bool mask) until no route prices
    in, or the bound is within ``tol`` (relative) of the value. Returns the LP solution (full
    length), its value, a valid lower bound of the full LP (minimisation) and the rounds."""
    lp.add(np.flatnonzero(start))
    x_full, value, bound = None, np.inf, -np.inf
    rounds = 0
    for _ in range(ROUND_MAX):
        rounds += 1
        x, val, y = lp.solve(deadline - time.perf_counter(), primal=PRIMAL and rounds > 1)
        if x is None:
            break
        x_full, value = x, val
        lp.y = y
        low, rc = lp.lagrangian(y)
        bound = max(bound, low)
        TRACE.append((f"round {rounds}: {len(lp.cols)} routes", time.perf_counter(), value, bound))
        scale = max(1.0, abs(value))
        new = np.flatnonzero(~lp.present & (rc < -1e-9 * scale) & (lp.ub > 0))
        late = time.perf_counter() > deadline
        cuts = 0 if late else separate(lp, x)
        if len(new) == 0:
            # nothing prices in: the restricted LP is the full LP (with the cuts so far)
            bound = max(bound, value)
            if cuts == 0:
                break
            continue
        if (value - bound <= tol * scale and cuts == 0) or late:
            break
        lp.add(_pick(new, rc, group))
    return x_full, value, min(bound, value), rounds


def separate(lp: Session, x: np.ndarray, tol: float = 1e-6) -> int:
    """Add the rows f_a ≤ u_pb (a route's share at most its pooled shipment's opening)
    that the LP solution ``x`` breaks, at most :data:`CUT_MAX` of the most broken; returns
    how many. Valid for the MILP (f_a ≤ 1), they are the disaggregated form of the
    big-M row Σ m_a f_a ≤ M u_pb, which lets the LP open a shipment by a sliver and
    so ignore the minimum lot and the fixed cost."""
    if lp.vub is None:
        return 0
    cand = np.flatnonzero(lp.present & (lp.vub >= 0) & ~lp.cut)
    by = x[cand] - x[lp.vub[cand]]
    hit = by > tol
    cand, by = cand[hit], by[hit]
    if len(cand) > CUT_MAX:
        cand = cand[np.argsort(-by, kind="stable")[:CUT_MAX]]
    k = len(cand)
    if k == 0:
        return 0
    rows = sp.csr_matrix(
        (
            np.tile([1.0, -1.0], k),
            (np.repeat(np.arange(k), 2), np.column_stack([cand, lp.vub[cand]]).ravel()),
        ),
        shape=(k, len(lp.c)),
    )
    lp.add_rows(rows, np.full(k, -np.inf), np.zeros(k))
    lp.cut[cand] = True
    TRACE.append((f"{k} cuts f_a <= u_pb", time.perf_counter(), 0.0, 0.0))
    return k


def _pick(new: np.ndarray, rc: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    """The routes that join the LP from the candidates ``new``: with ``group`` (the lot of
    each route, −1 for other columns), each lot's :data:`PER_GROUP` most negative reduced
    costs — spread over lots, so one round reaches every lot whose routes price in, not
    only the heaviest — and every other column; at most :data:`ADD_MAX` in all."""
    if group is not None:
        g = group[new]
        order = np.lexsort((rc[new], g))
        gs = g[order]
        rank = np.arange(len(order)) - np.searchsorted(gs, gs, side="left")
        new = new[order[(rank < PER_GROUP) | (gs < 0)]]
    if len(new) > ADD_MAX:
        new = new[np.argsort(rc[new], kind="stable")[:ADD_MAX]]
    return new


@dataclass
class Structure:
    """What the heuristic needs to know of the model's variables."""

    n_arc: int
    members: list[np.ndarray]
    """Routes through each pooled shipment (pool, buyer)."""
    pair_min: np.ndarray
    """Minimum lot (t) of each pooled shipment's buyer."""
    semi_lb: np.ndarray
    """Per route: the smallest non-zero share of a direct delivery (0 if none)."""
    m_a: np.ndarray
    fixed: np.ndarray
    """Fixed cost of each pooled shipment (the model's money unit)."""


def objective(c: np.ndarray, s: Structure, x: np.ndarray) -> float:
    """Margin (positive) of an assignment: routes' margins less the fixed cost of each
    pooled shipment used."""
    flows = np.array([s.m_a[m] @ x[m] for m in s.members]) if s.members else np.zeros(0)
    return float(-(c[: s.n_arc] @ x[: s.n_arc]) - s.fixed @ (flows > 1e-9))


def _broken(s: Structure, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Routes to close: those of pooled shipments below the minimum, and direct deliveries
    below it."""
    close = np.zeros(len(x), dtype=bool)
    shut = np.zeros(len(s.members), dtype=bool)
    for q, m in enumerate(s.members):
        flow = float(s.m_a[m] @ x[m])
        if 1e-9 < flow < s.pair_min[q] * (1 - 1e-9) or flow <= 1e-9:
            shut[q] = True
            close[m] = True
    small = (s.semi_lb > 0) & (x[: s.n_arc] > 1e-9) & (x[: s.n_arc] < s.semi_lb * (1 - 1e-9))
    close[: s.n_arc] |= small
    return close, shut


def heuristic(lp: Session, s: Structure, x: np.ndarray, deadline: float) -> np.ndarray | None:
    """:func:`repaired` rounding of the LP solution (:func:`forced`, all at once, was
    infeasible on the benchmark's instances and is kept for experiments; the dive of
    :mod:`junkan.market.dive` is tried first by :mod:`junkan.market.milp`)."""
    return repaired(lp, s, x, deadline)


def forced(
    lp: Session, s: Structure, x: np.ndarray, deadline: float, share: float = 0.5
) -> np.ndarray | None:
    """Open every pooled shipment whose LP flow reaches ``share`` of the minimum lot (its
    minimum then binds, with every route through it), keep direct deliveries the LP sends
    at least ``share`` of the minimum (at the minimum or more), close the rest; one LP.
    None when that LP is infeasible."""
    n = s.n_arc
    lb = np.zeros(len(lp.c))
    ub = np.where(lp.present, lp.ub, 0.0)
    for q, m in enumerate(s.members):
        if float(s.m_a[m] @ x[m]) >= share * s.pair_min[q]:
            lb[n + q] = 1.0
            lp.add(m)
            ub[m] = lp.ub[m]
        else:
            ub[m] = 0.0
            ub[n + q] = 0.0
    semi = s.semi_lb > 0
    keep = semi & (x[:n] >= share * s.semi_lb)
    ub[:n][semi & ~keep] = 0.0
    lb[:n][keep] = s.semi_lb[keep]
    lp.bounds(lb, ub)
    out, _, _ = lp.solve(deadline - time.perf_counter())
    return out


def repaired(lp: Session, s: Structure, x: np.ndarray, deadline: float) -> np.ndarray | None:
    """Close what breaks a minimum and solve again, until nothing does; then one LP over
    every route of the open shipments."""
    n = s.n_arc
    ub = np.where(lp.present, lp.ub, 0.0)
    lb = np.zeros_like(ub)
    cur = x.copy()
    for _ in range(12):
        close, shut = _broken(s, cur)
        ub[:n][(s.semi_lb > 0) & (cur[:n] <= 1e-9)] = 0.0
        if not (close & (cur > 1e-9))[:n].any():
            break
        ub[close] = 0.0
        ub[n:][shut] = 0.0
        flows = np.array([s.m_a[m] @ cur[m] for m in s.members])
        frac = int(((flows > 1e-9) & (flows < s.pair_min * (1 - 1e-9))).sum())
        semis = int(((s.semi_lb > 0) & (cur[:n] > 1e-9) & (cur[:n] < s.semi_lb)).sum())
        TRACE.append(
            (
                f"repair: {frac} pairs, {semis} direct below min; "
                f"{int((flows >= s.pair_min * (1 - 1e-9)).sum())} open",
                time.perf_counter(),
                0.0,
                0.0,
            )
        )
        lp.bounds(lb, ub)
        nxt, _, _ = lp.solve(deadline - time.perf_counter())
        if nxt is None:
            return None
        cur = nxt
    else:
        return None
    return polish(lp, s, cur, lb, deadline)


def polish(
    lp: Session, s: Structure, cur: np.ndarray, lb: np.ndarray, deadline: float
) -> np.ndarray:
    """From an assignment ``cur`` that breaks no minimum: one more LP over every route of its
    open shipments (each held open, so its minimum lot binds) and its direct deliveries (each
    at least its minimum); the better of the two. ``lb`` is modified."""
    n = s.n_arc
    _, shut = _broken(s, cur)
    ub2 = lp.ub.copy()
    for q, m in enumerate(s.members):
        if shut[q]:
            ub2[m] = 0.0
            ub2[n + q] = 0.0
        else:
            lb[n + q] = 1.0  # open: its minimum-lot row now binds
            lp.add(m)
    keep_direct = (s.semi_lb > 0) & (cur[:n] >= s.semi_lb * (1 - 1e-9))
    ub2[:n][(s.semi_lb > 0) & ~keep_direct] = 0.0
    ub2[:n][~lp.present[:n] & (s.semi_lb > 0)] = 0.0
    lb[:n][keep_direct] = s.semi_lb[keep_direct]
    lp.bounds(lb, ub2)
    better = reprice(lp, ub2, deadline)
    if better is not None and objective(lp.c, s, better) >= objective(lp.c, s, cur):
        return better
    return cur


def reprice(
    lp: Session,
    ub: np.ndarray,
    deadline: float,
    group: np.ndarray | None = None,
    rounds: int | None = None,
) -> np.ndarray | None:
    """Solve the LP under the bounds set (``ub`` at full length: which routes may carry
    flow), pricing in the routes not yet in the LP whose reduced cost is negative under its
    duals, until none is left (or :data:`REPRICE_ROUNDS`, or the deadline). A rounding
    changes the duals (a closed shipment frees its buyer's capacity for other lots): routes
    the relaxation never needed are then worth taking. ``rounds``: most pricing rounds
    (default :data:`REPRICE_ROUNDS`). None when an LP fails."""
    x, _, y = lp.solve(deadline - time.perf_counter())
    for _ in range(REPRICE_ROUNDS if rounds is None else rounds):
        if x is None or time.perf_counter() > deadline:
            break
        rc = lp.c - lp.a.T @ y
        scale = max(1.0, abs(float(lp.c @ x)))
        new = np.flatnonzero(~lp.present & (ub > 0) & (rc < -1e-9 * scale))
        if len(new) == 0:
            break
        lp.add(_pick(new, rc, group))
        TRACE.append((f"reprice: {len(new)} routes price in", time.perf_counter(), 0.0, 0.0))
        nxt, _, y2 = lp.solve(deadline - time.perf_counter())
        if nxt is None:
            break
        x, y = nxt, y2
    return x
