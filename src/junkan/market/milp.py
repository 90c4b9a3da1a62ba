"""Matching and pooling as a mixed-integer linear programme, solved by HiGHS (column
generation for the LP bound, LP rounding, then branch and cut from the rounding:
:mod:`junkan.market.colgen`, :mod:`junkan.market.branch`).

Variables: f_a, the share of lot i sent along route a (directly to a condition's buyer, or
through a pooling point to it) — continuous for divisible lots (a direct route is
semi-continuous: 0 or at least the buyer's minimum lot), binary for lots sold whole — and
u_pb ∈ {0, 1}, "pooling point p ships to buyer b". Each pooling point's consolidated lot
for one buyer is a named blend, so the problem stays linear (no pool is split between
buyers with its mixed quality; references/grading-and-market.md §7).

    maximise   Σ_a m_i (price − transport − handling)_a f_a − Σ_pb fixed_p u_pb
    subject to Σ_a∈i f_a ≤ 1                                   (each lot once)
               Σ_a→b m_i f_a ≤ capacity_b                       (buyer capacity)
               Σ_a via p m_i f_a ≤ capacity_p                   (pooling point capacity)
               min_lot_b u_pb ≤ Σ_a via p→b m_i f_a ≤ M u_pb    (minimum lot by pooling)
               Σ_a→b m_i a_ik f_a ≤ 0 for every blend row k     (quality window of the blend)

The blend rows hold each window at its true limits, so a blend exactly on a limit — which
grading calls met — is allowed; every delivered blend is then graded again
(:mod:`junkan.market.verify`), and only when grading refuses one (the solver's feasibility
tolerance let it a hair past a limit) are the flows polished, or the problem solved again,
with the rows held inside their limits (:func:`solve`) — that assignment then reported
against the bound of the true problem, never as optimal for a tightened one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import Bounds, milp

from junkan.market import lns
from junkan.market.arcs import Arcs, Setting
from junkan.market.branch import branch_and_cut
from junkan.market.colgen import TRACE, Session, Structure, heuristic, objective, relax
from junkan.market.dive import dive, refill
from junkan.market.restrict import lns_columns, restricted, with_vub
from junkan.market.schema import Market
from junkan.market.sparse_rows import Rows as _Rows
from junkan.market.start import first_routes
from junkan.market.verify import refused, without

FULL_MAX = 20_000
"""Up to this many routes, branch and cut runs over all of them (the answer is exact within
the gap); above it, over the routes the LP relaxation priced in."""
LP_SHARE = 0.6
"""Share of the time limit the column generation may take (it stops with the bound of its
last round); the rest is for the rounding and branch and cut."""
INNER_GAP = 0.2
"""On a restricted model, HiGHS's own gap target as a share of the requested gap (its bound
is that of the restriction; the callback stops it at the requested gap to the LP bound)."""
DIVE = True
"""Round the LP solution by diving (:mod:`junkan.market.dive`) before the one-shot repair."""
DIVE_SHARE = 0.7
"""Share of the time left after the LP that the dive may take (the repair gets the rest)."""
FIRST_PLAN_GRACE = 0.25
"""Share of the time limit the repair that completes the *first* assignment may run past the
deadline (only when no assignment exists yet): on a slower or loaded machine an assignment a
few seconds late is worth more than none. Measured 2026-12-01 on the benchmark's seed 0 at
30 s (5,000 × 50 × 20, load ≈ 1, a machine about half as fast as the one of stop 33): the
repair stopped one LP short of an assignment, so the run ended with none."""
REFILLS = 0
"""Most dives again from the rounding (:func:`junkan.market.dive.refill`) while they gain: on
1,000 × 10 × 4 instances (seeds 0–11) the mean gap fell from 0.96 % to 0.56 %, but on the
5,000 × 50 × 20 seed 5 three of them gained 0.1 % in 20 CPU s; the search of
:mod:`junkan.market.lns` gains more per second there, so they are off."""
VUB = True
"""Give branch and cut the rows f_a ≤ u_pb of the pooled routes it works on."""
VUB_LP = False
"""Separate the rows f_a ≤ u_pb into the column-generation LP too: measured on the
benchmark's seed 0, they lowered the full LP bound by only 0.04 % (6,366,895 → 6,364,546
thousand JPY) while every pricing round grew slower, so they are off."""
LP_MAX = 0.8
"""Share of the time limit the column generation may take when, at :data:`LP_SHARE`, its
bound is still more than :data:`FAR` times the requested gap from the LP value (under load
the LP may not be near its optimum by then, and a rounding of it is poor)."""
FAR = 10.0
LP_TOL = 0.2
"""The column generation stops when its bound is within this share of the requested gap
of the LP value (the bound is the gap's denominator: a looser one costs gap directly)."""
DEBUG = False
SAFETY = 1e-6
"""Relative margin by which blend rows are held inside their limits in the second solve,
the one made only when grading refuses a blend of the first (true limits; :func:`solve`)."""
POLISH = (1e-9, 1e-6)
"""The margins (relative, as :data:`SAFETY`) by which the polishing LP of :func:`solve` holds
the blend rows inside their limits, tried in turn until grading accepts every blend. On the
test instances ``random_instance(seed, 14, True)``, seeds 0–5, half of the assignments at
the true limits had a blend 1.2·10⁻⁹ past a limit; 10⁻⁹ cured all, costing at most 2·10⁻⁸
of the margin (measured 2026-12-03)."""
GAP_FLOOR = 1e-7
"""A gap this far above the requested one still counts as ``optimal`` after a blend row was
tightened: below the solver's own feasibility tolerance (10⁻⁷), not a difference it can
resolve. The reported ``gap`` is the true figure."""
RETRY_SHARE = 0.25
"""Least share of the time limit the second solve gets (it may run that far past the limit
when the first used all of it: an assignment grading accepts is worth the wait)."""


@dataclass
class Solution:
    share: np.ndarray
    """f_a per route."""
    pairs: list[tuple[int, int]]
    """(pool, condition) pairs with a shipment variable."""
    ship: np.ndarray
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    variables: int
    integers: int
    constraints: int


@dataclass
class Model:
    """The MILP in scipy's form (masses in t, money in thousand JPY for conditioning)."""

    c: np.ndarray
    integrality: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    rows: _Rows
    n_arc: int
    pairs: list[tuple[int, int]]
    members: list[np.ndarray]
    """Per pair, the routes (arc indices) through it."""
    m_a: np.ndarray
    pair_col: np.ndarray
    """Per variable, the column of the pooled shipment the route travels in (−1 if none)."""


def build(market: Market, arcs: Arcs, safety: float = 0.0) -> Model:
    """The model; ``safety`` > 0 holds the blend rows that much (relative) inside their
    limits (0: the buyer's true limits)."""
    mass = np.array([lot.mass for lot in market.lots]) / 1000.0
    divisible = np.array([lot.divisible for lot in market.lots], dtype=bool)
    cap_b = np.array([c.capacity for c in market.conditions]) / 1000.0
    min_b = np.array([c.min_lot for c in market.conditions]) / 1000.0
    n_arc = len(arcs.lot)
    via = arcs.pool >= 0
    nb = max(1, len(market.conditions))
    uniq, pair_of = np.unique(arcs.pool[via] * nb + arcs.cond[via], return_inverse=True)
    pairs = [(int(k // nb), int(k % nb)) for k in uniq]
    n_var = n_arc + len(pairs)
    m_a = mass[arcs.lot]
    c = np.concatenate(
        [-(m_a * arcs.margin), [market.pools[p].fixed_cost / 1000.0 for p, _ in pairs]]
    )
    lb, ub = np.zeros(n_var), np.ones(n_var)
    integ = np.zeros(n_var, dtype=np.uint8)
    integ[n_arc:] = 1
    whole = ~divisible[arcs.lot]
    integ[:n_arc][whole] = 1
    direct = ~via & ~whole & (min_b[arcs.cond] > 0)
    lb[:n_arc][direct] = min_b[arcs.cond[direct]] / m_a[direct]
    integ[:n_arc][direct] = 2  # semi-continuous: 0 or [min_lot / mass, 1]
    rows = _Rows()
    idx = np.arange(n_arc)
    rows.grouped(arcs.lot, idx, np.ones(n_arc), -np.inf, 1.0, len(market.lots))
    rows.grouped(arcs.cond, idx, m_a, -np.inf, cap_b, len(market.conditions))
    if len(market.pools):
        cap_p = np.array([p.capacity for p in market.pools]) / 1000.0
        rows.grouped(arcs.pool[via], idx[via], m_a[via], -np.inf, cap_p, len(market.pools))
    members_of = (
        np.split(
            idx[via][np.argsort(pair_of, kind="stable")],
            np.searchsorted(np.sort(pair_of), np.arange(1, len(pairs))),
        )
        if pairs
        else []
    )
    for q, (p, b) in enumerate(pairs):
        members = members_of[q]
        big = min(
            float(market.pools[p].capacity) / 1000.0, float(cap_b[b]), float(m_a[members].sum())
        )
        cols = np.append(members, n_arc + q)
        rows.add(cols, np.append(m_a[members], -big), -np.inf, 0.0)
        if min_b[b] > 0:
            rows.add(cols, np.append(m_a[members], -min_b[b]), 0.0, np.inf)
    _quality_rows(rows, arcs, m_a, idx, safety)
    pair_col = np.full(n_var, -1, dtype=np.int64)
    pair_col[idx[via]] = n_arc + pair_of
    return Model(c, integ, lb, ub, rows, n_arc, pairs, members_of, m_a, pair_col)


def _quality_rows(rows: _Rows, arcs: Arcs, m_a: np.ndarray, idx: np.ndarray, safety: float) -> None:
    for b, a in enumerate(arcs.rows):
        if a.shape[1] == 0:
            continue
        members = idx[arcs.cond == b]
        if len(members) == 0:
            continue
        if safety > 0:  # held a hair inside each limit (the second solve of :func:`solve`)
            a = a + safety * (1.0 + np.abs(a).max(axis=0))
        coef = m_a[members, None] * a[arcs.lot[members]]
        for k in range(a.shape[1]):
            nz = coef[:, k] != 0
            if nz.any():
                scale = float(np.abs(coef[nz, k]).max())
                rows.add(members[nz], coef[nz, k] / scale, -np.inf, 0.0)


def solve(market: Market, arcs: Arcs, st: Setting) -> Solution:
    """The assignment of :func:`_solve` at the buyers' true limits, each delivered blend
    graded again (:func:`junkan.market.verify.refused`). When grading refuses one (the
    solver's feasibility tolerance, about 10⁻⁷ on a row, is wider than grading's 10⁻⁹ on a
    limit), the assignment is first polished — its flows moved by an LP with every route,
    shipment and whole lot kept as they are and the blend rows held :data:`POLISH` inside
    their limits — and only if that fails solved again with the rows held :data:`SAFETY`
    inside (a delivery grading still refuses is then taken out whole). Either is reported
    against the bound of the *true* problem, so its gap is honest; its status is
    ``optimal`` only within the requested gap (plus :data:`GAP_FLOOR`) of that bound, else
    ``feasible`` (``time limit`` when the second solve ran out of time)."""
    t0 = time.perf_counter()
    first = _solve(market, arcs, st, 0.0)
    bad = refused(market, arcs, first.share)
    if not bad:
        return first
    second = None
    for safety in POLISH:
        second = _polish(market, arcs, first, safety, RETRY_SHARE * st.time_limit)
        if second is not None and not refused(market, arcs, second.share):
            break
        second = None
    if second is None:
        left = st.time_limit - (time.perf_counter() - t0)
        again = replace(st, time_limit=max(left, RETRY_SHARE * st.time_limit))
        second = _solve(market, arcs, again, SAFETY)
        if not np.isfinite(second.gap):  # no assignment: the first, less what grading refuses
            second = without(first, market, arcs, bad)
        still = refused(market, arcs, second.share)
        if still:
            second = without(second, market, arcs, still)
    # a tightened problem's own bound is not one of the user's: the first solve's holds
    bound = max(first.bound, second.objective)
    gap = _gap(second.objective, bound) if np.isfinite(bound) else np.inf
    status = "optimal" if gap <= st.gap + GAP_FLOOR else "feasible"
    if status == "feasible" and second.status == "time limit":
        status = "time limit"
    seconds = time.perf_counter() - t0
    return replace(second, status=status, bound=bound, gap=gap, seconds=seconds)


def _polish(
    market: Market, arcs: Arcs, sol: Solution, safety: float, time_limit: float
) -> Solution | None:
    """``sol`` re-solved as an LP with the blend rows held ``safety`` inside their limits,
    every route it does not use closed, its shipments and whole lots fixed and its direct
    deliveries kept at or above their minimum: its flows re-optimised over the routes it
    uses, within the tighter rows. None when that LP has no solution (within ``time_limit``
    seconds)."""
    model = build(market, arcs, safety)
    cons = model.rows.constraint(len(model.c))
    x = np.concatenate([sol.share, sol.ship])
    used = x > 1e-9
    lb = np.where(used & (model.integrality == 2), model.lb, 0.0)
    ub = np.where(used, model.ub, 0.0)
    fixed = model.integrality == 1
    lb[fixed] = ub[fixed] = np.round(x[fixed])
    limit = {"time_limit": max(1.0, time_limit)}
    out = milp(model.c, constraints=cons, bounds=Bounds(lb, ub), options=limit)
    if out.status != 0 or out.x is None:
        return None
    y = np.clip(out.x, lb, ub)
    obj = objective(model.c, _structure(model, market), y) * 1000.0
    return replace(sol, share=y[: model.n_arc], ship=y[model.n_arc :], objective=obj)


def _solve(market: Market, arcs: Arcs, st: Setting, safety: float) -> Solution:
    """The LP relaxation by column generation (a certified bound), a primal solution by
    LP rounding and repair, and — when its gap to the bound is above ``st.gap`` — the MILP
    (a neighbourhood search, :mod:`junkan.market.lns`, then HiGHS branch and cut, started
    from the best assignment so far) for the remaining time: over every
    route when the model has at most :data:`FULL_MAX` of them (exact), else the search over
    the routes of :func:`junkan.market.restrict.lns_columns` and the branch and cut over
    the routes the LP solution or the incumbent use (the gap is still to the bound of the
    full LP: a restriction only limits the assignments found, never the bound)."""
    t0 = time.perf_counter()
    deadline = t0 + st.time_limit
    if len(arcs.lot) == 0:
        return _answer(None, -np.inf, 0.0, "no candidate routes", [], 0, t0, (0, 0, 0))
    model = build(market, arcs, safety)
    cons = model.rows.constraint(len(model.c))
    n_int = int((model.integrality > 0).sum())
    size = (len(model.c), n_int, len(model.rows.lo))
    TRACE.clear()
    lp = Session(model.c, cons.A, cons.lb, cons.ub, model.ub)
    group = np.concatenate([arcs.lot, np.full(len(model.pairs), -1)])
    # the first rows are Σ_a∈i f_a ≤ 1, one per lot with routes, in the order of the lots
    lots = np.unique(arcs.lot)
    lp.gub = (
        np.arange(len(lots)),
        np.concatenate([np.searchsorted(lots, arcs.lot), group[model.n_arc :]]),
    )
    lp.vub = model.pair_col if VUB_LP else None
    TRACE.append(("model built", time.perf_counter(), 0.0, 0.0))
    x_lp, low = _lp_bound(lp, model, market, arcs, st, t0, group)
    bound = -low if x_lp is not None else np.inf
    best_x, best_obj = None, -np.inf
    s = _structure(model, market)
    whole = bool((model.integrality[: model.n_arc] == 1).any())
    # the rounding first (a solution whatever the load), then branch and cut
    if x_lp is not None and not whole:
        grace = FIRST_PLAN_GRACE * st.time_limit
        best_x, best_obj = _rounding(lp, s, x_lp, deadline, model.c, bound, st.gap, grace)
    if best_x is not None and x_lp is not None and time.perf_counter() < deadline - 0.5:
        near = lns_columns(model, lp, x_lp, best_x, arcs.lot) if model.n_arc > FULL_MAX else None
        best_x = lns.from_model(model, cons, arcs, s, best_x, x_lp, deadline, bound, st.gap, near)
        best_obj = objective(model.c, s, best_x)
    status = "optimal"
    if _gap(best_obj, bound) > st.gap + 1e-9 and time.perf_counter() < deadline - 0.5:
        cols, lb, ub = restricted(model, s, x_lp, best_x, FULL_MAX)
        a_bc, lo_bc, hi_bc = with_vub(model, cons, cols, ub, VUB)
        out = branch_and_cut(
            model.c,
            a_bc,
            lo_bc,
            hi_bc,
            model.integrality,
            lb,
            ub,
            cols=cols,
            time_limit=deadline - time.perf_counter(),
            gap=st.gap,
            start=best_x,
            outer_bound=-bound if np.isfinite(bound) else -np.inf,
            inner_gap=st.gap if model.n_arc <= FULL_MAX else st.gap * INNER_GAP,
            log=DEBUG,
        )
        status = out.status
        if out.x is not None and objective(model.c, s, out.x) > best_obj:
            best_x, best_obj = out.x, objective(model.c, s, out.x)
        if out.dual is not None and model.n_arc <= FULL_MAX:
            bound = min(bound, -out.dual)
        TRACE.append(("branch and cut", time.perf_counter(), best_obj, bound))
    if best_x is not None:  # whole lots and shipments exactly 0 or 1 (graded blends)
        ints = model.integrality == 1
        best_x = best_x.copy()
        best_x[ints] = np.round(best_x[ints])
        best_obj = objective(model.c, s, best_x)
    return _answer(best_x, best_obj, bound, status, model.pairs, model.n_arc, t0, size, st.gap)


def _lp_bound(
    lp: Session,
    model: Model,
    market: Market,
    arcs: Arcs,
    st: Setting,
    t0: float,
    group: np.ndarray,
) -> tuple[np.ndarray | None, float]:
    """The LP solution by column generation and its certified bound (minimisation)."""
    # the LP may not take all the time: the rounding must still find an assignment
    lp_deadline = t0 + LP_SHARE * st.time_limit
    cap = np.array([c.capacity for c in market.conditions]) / 1000.0
    start = first_routes(model.c, model.n_arc, arcs.lot, arcs.cond, model.m_a, cap)
    x_lp, val, low, _ = relax(lp, start, lp_deadline, st.gap * LP_TOL, group)
    if x_lp is not None and val - low > FAR * st.gap * max(1.0, abs(val)):
        # far from the LP optimum, neither bound nor rounding is worth much: more time
        more = relax(
            lp,
            np.zeros(len(model.c), dtype=bool),
            t0 + LP_MAX * st.time_limit,
            st.gap * LP_TOL,
            group,
        )
        if more[0] is not None:
            x_lp, low = more[0], max(low, more[2])
    return x_lp, low


def _answer(
    x: np.ndarray | None,
    obj: float,
    bound: float,
    status: str,
    pairs: list[tuple[int, int]],
    n_arc: int,
    t0: float,
    size: tuple[int, int, int],
    gap: float = 0.0,
) -> Solution:
    """The solution in JPY (the model counts thousands)."""
    secs = time.perf_counter() - t0
    if x is None:
        status = "no solution found" if status == "optimal" else status
        return Solution(
            np.zeros(n_arc),
            pairs,
            np.zeros(len(pairs)),
            status,
            0.0,
            bound * 1000.0,
            float("nan"),
            secs,
            *size,
        )
    bound = max(bound, obj)
    if _gap(obj, bound) > gap + 1e-9 and status == "optimal":
        status = "time limit"
    x = np.clip(x, 0.0, 1.0)
    return Solution(
        x[:n_arc],
        pairs,
        x[n_arc:],
        status,
        obj * 1000.0,
        bound * 1000.0,
        _gap(obj, bound),
        secs,
        *size,
    )


def _rounding(
    lp: Session,
    s: Structure,
    x_lp: np.ndarray,
    deadline: float,
    c: np.ndarray,
    bound: float,
    gap: float = 0.0,
    grace: float = 0.0,
) -> tuple[np.ndarray | None, float]:
    """The dive, then the repair from where it got to; the repair may run ``grace`` seconds
    past ``deadline`` (:data:`FIRST_PLAN_GRACE`): it gives the first assignment."""
    # the dive may take a share of what is left: the one-shot repair must still have time
    now = time.perf_counter()
    xh, last = dive(lp, s, x_lp, now + DIVE_SHARE * (deadline - now)) if DIVE else (None, x_lp)
    if xh is None:  # repair from where the dive got to (few shipments left to close)
        xh = heuristic(lp, s, last, max(deadline, time.perf_counter() + grace))
    obj = objective(c, s, xh) if xh is not None else -np.inf
    TRACE.append(("rounding", time.perf_counter(), obj, bound))
    for _ in range(REFILLS):
        if xh is None or _gap(obj, bound) <= gap or time.perf_counter() > deadline:
            break
        x2, _ = refill(lp, s, xh, deadline)
        obj2 = objective(c, s, x2) if x2 is not None else -np.inf
        TRACE.append(("refill", time.perf_counter(), obj2, bound))
        if obj2 <= obj * (1 + 1e-6):
            break
        xh, obj = x2, obj2
    return xh, obj


def _structure(model: Model, market: Market) -> Structure:
    n = model.n_arc
    semi = np.where(model.integrality[:n] == 2, model.lb[:n], 0.0)
    return Structure(
        n,
        model.members,
        np.array([market.conditions[b].min_lot / 1000.0 for _, b in model.pairs]),
        semi,
        model.m_a,
        np.array([market.pools[p].fixed_cost / 1000.0 for p, _ in model.pairs]),
    )


def _gap(obj: float, bound: float) -> float:
    return float((bound - obj) / max(abs(bound), 1e-9)) if np.isfinite(obj) else np.inf
