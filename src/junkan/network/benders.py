"""Benders decomposition of the multi-period model (:mod:`junkan.network.multiperiod`) for
instances whose monolithic MILP is too big: the hub decisions in a master MILP, the transport
of each period in its own LP.

**Master.** The binaries u, v, w of every hub, level and period (open, capital spent,
closed) with their rows — nesting, lead time, closing — and costs (yearly operating cost,
capital, salvage), plus one variable θ_t ≥ 0 per period for that period's discounted
transport cost, bounded below by the cuts found so far (*multi-cut*: one cut per period and
iteration, not one for their sum). Two families of rows valid for every feasible plan tighten
it from the start: in each period the capacity running covers the supply
(Σ_i Σ_l Δcap_il u[i,l,t] ≥ Σ_k,p S[k,p,t]), and every zone with supply can reach a running
hub.

**Subproblem.** For hub levels ū fixed, period t's rows of the monolithic model — supply,
hub balance, hub capacity, zone–hub linking, destination capacity — are an LP in the flows
f, g whose right-hand sides depend on ū. It is taken row for row from the monolithic
matrix, so both models are the same by construction. To make every subproblem feasible
whatever the master proposes, each supply row gets a slack (supply left uncollected) priced
at a penalty P_t JPY/t: with f = g = 0 and the slack = S every row holds. The penalised value
Q_t^P(ū) never exceeds the true one, so cuts on it are valid for the original model.

**Cuts.** LP duality (HiGHS through :func:`scipy.optimize.linprog`, duals from
``res.eqlin.marginals`` and ``res.ineqlin.marginals``): with y the row duals at ū,
θ_t ≥ y·(b − R u) holds for every u (weak duality — y stays dual feasible, only the
right-hand side b − R u moves) and is tight at ū.

**Bounds.** The master's dual bound is a lower bound (LB) on the monolithic optimum: the
master relaxes it (fewer cuts than the full value function, penalised subproblems).
A plan whose subproblems leave nothing uncollected is feasible for the monolithic model; its
cost is an upper bound (UB). The loop stops when (UB − LB) / UB ≤ the requested gap or the
time is up, and says which.

**Exactness of the penalty.** If the master converges (its plan adds no violated cut) while
that plan leaves supply uncollected, P was too small; it is multiplied by 10 and the loop
goes on. The cuts found stay valid (Q_t^P grows with P). An LP penalty is exact above the
largest supply dual, so this ends.

**Phases.** First a cut loop on the master's LP relaxation (cheap LPs, fractional ū,
stabilised in-out) gathers cuts, and the LP optimum rounded up gives a first plan; then the
MILP master, each solved to half the requested gap (tightened when it repeats a plan) and
warm-started from the best plan. Every plan found is trimmed to the hub levels its flows
need (:func:`improve_plan`). References: Benders (1962), Numer. Math. 4, 238–252;
multi-cut: Birge & Louveaux (1988), EJOR 34, 384–392; LP phase: McDaniel & Devine (1977),
Management Science 24, 312–319; in-out: Fischetti, Ljubić & Sinnl (2017), Management
Science 63, 2146–2162."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from junkan.core.errors import JunkanError
from junkan.network.solver import MilpProblem, MilpResult, Progress, solve_milp

if TYPE_CHECKING:
    from junkan.network.multiperiod import PeriodModel, _Cols

PENALTY_FACTOR = 10.0
"""P_t = factor × twice the dearest flow cost of period t (discounted JPY/t): leaving a tonne
is dearer than any route for it; raised ×10 while too small to pay for capacity (above)."""
MAX_ESCALATIONS = 8
LP_PHASE_SHARE = 0.3
"""Share of the time limit the LP cut loop may use."""
LP_PHASE_ITERATIONS = 40
LP_STALL = 1e-4
LP_STALL_ROUNDS = 3
"""The LP phase ends when the master's LP bound gains less than ``LP_STALL`` (a share) over
``LP_STALL_ROUNDS`` rounds."""
IN_OUT_LAMBDA = 0.2
"""Weight of the LP optimum in the in-out separation point (Fischetti et al. 2017 use 0.2)."""
MASTER_SHARE = 0.34
MASTER_MIN_S = 20.0
"""A master MILP may use this share of the time left (at least ``MASTER_MIN_S``): one that
stops on time still hands back its best plan, whose cuts the next master gets."""
CUT_TOL = 1e-7
"""Relative violation θ_t < Q_t (1 − tol) below which a cut is not added again."""


@dataclass
class Block:
    """Period t's transport LP: min c·x + P·slack  s.t.  A_ub x ≤ b_ub − R_ub u,
    A_eq x + E slack = b_eq − R_eq u,  x, slack ≥ 0 (one slack per supply row)."""

    t: int
    cols: np.ndarray  # monolithic columns of the flows (x without the slacks)
    c: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    r_ub: sparse.csr_matrix  # (rows, 3·I·L·T) coefficients of the master columns
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    r_eq: sparse.csr_matrix
    n_slack: int
    penalty: float


@dataclass
class Evaluation:
    value: float  # Q_t^P(ū), discounted JPY
    const: float  # the cut θ_t ≥ const + coef · u
    coef: np.ndarray
    x: np.ndarray  # flows (monolithic columns of the block)
    unmet_t: float


@dataclass
class BendersState:
    lb: float = -np.inf
    ub: float = np.inf
    best: np.ndarray | None = None  # full monolithic x of the best plan
    best_master: np.ndarray | None = None
    cuts: list[tuple[int, float, np.ndarray]] = field(default_factory=list)
    iterations: int = 0
    escalations: int = 0
    scale: float = 1.0  # the master's unit of money, JPY


def build_blocks(prob: MilpProblem, cc: _Cols) -> list[Block]:
    """One transport LP per period, rows and columns taken from the monolithic ``prob``."""
    nb = 3 * cc.nb
    a = prob.a.tocsc()
    period = np.full(prob.n, -1)
    period[nb:] = (np.arange(nb, prob.n) - nb) % cc.t  # t runs fastest in f and g
    blocks = []
    for t in range(cc.t):
        cols = np.flatnonzero((period == t) & (prob.col_hi > 0))
        rows = np.unique(a[:, np.flatnonzero(period == t)].tocoo().row)
        sub = prob.a.tocsr()[rows]
        lo, hi = prob.row_lo[rows], prob.row_hi[rows]
        eq = lo == hi
        ub, lb = ~eq & np.isfinite(hi), ~eq & np.isfinite(lo)
        a_flow, r = sub[:, cols], sub[:, :nb]
        a_ub = sparse.vstack([a_flow[ub], -a_flow[lb]]).tocsr()
        r_ub = sparse.vstack([r[ub], -r[lb]]).tocsr()
        b_ub = np.concatenate([hi[ub], -lo[lb]])
        b_eq = lo[eq]
        # a slack on every equality row with a right-hand side (the supply rows): x = 0 and
        # the slack = that side satisfy all rows, whatever the master proposes
        need = np.flatnonzero(np.abs(b_eq) > 0)
        if r[eq].nnz or (b_ub < 0).any() or (r_ub.data > 0).any():
            raise JunkanError("Benders: a period's rows are not of the transport form "
                              "(supply rows free of hub decisions, capacity rows ≥ 0)")
        slack = sparse.csr_matrix((np.sign(b_eq[need]), (need, np.arange(need.size))),
                                  shape=(b_eq.size, need.size))
        c_flow = prob.c[cols]
        if (c_flow < 0).any():
            raise JunkanError("Benders needs non-negative flow costs")
        penalty = PENALTY_FACTOR * 2 * float(c_flow.max(initial=1.0))
        blocks.append(Block(
            t=t, cols=cols, c=c_flow,
            a_ub=sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], need.size))]).tocsr(),
            b_ub=b_ub, r_ub=r_ub,
            a_eq=sparse.hstack([a_flow[eq], slack]).tocsr(), b_eq=b_eq, r_eq=r[eq].tocsr(),
            n_slack=need.size, penalty=penalty))
    return blocks


def evaluate(block: Block, u: np.ndarray) -> Evaluation:
    """Q_t^P at master columns ``u`` (possibly fractional) and the cut tight there."""
    b_ub = block.b_ub - block.r_ub @ u
    b_eq = block.b_eq - block.r_eq @ u
    c = np.concatenate([block.c, np.full(block.n_slack, block.penalty)])
    res = linprog(c, A_ub=block.a_ub if b_ub.size else None, b_ub=b_ub if b_ub.size else None,
                  A_eq=block.a_eq if b_eq.size else None, b_eq=b_eq if b_eq.size else None,
                  bounds=(0, None), method="highs")
    if res.status != 0:  # cannot happen with the slacks; say so rather than cut wrongly
        raise JunkanError(f"Benders subproblem of period {block.t}: {res.message}")
    y_ub = np.asarray(res.ineqlin.marginals) if b_ub.size else np.zeros(0)
    y_eq = np.asarray(res.eqlin.marginals) if b_eq.size else np.zeros(0)
    const = float(y_ub @ block.b_ub + y_eq @ block.b_eq)
    coef = -(block.r_ub.T @ y_ub + block.r_eq.T @ y_eq)
    x = np.asarray(res.x)
    unmet = float(x[x.size - block.n_slack:].sum()) if block.n_slack else 0.0
    return Evaluation(value=float(res.fun), const=const, coef=np.asarray(coef).ravel(),
                      x=x[:block.cols.size], unmet_t=unmet)


def cover_rows(m: PeriodModel, cc: _Cols) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows A u ≥ b valid for every feasible plan: per period, capacity running ≥ supply;
    per period and zone with supply, at least one reachable hub running."""
    nb = 3 * cc.nb
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []
    for t in range(cc.t):
        s = float(m.supply[:, :, t].sum())
        if s > 0:
            for i in range(cc.i):
                for lv in range(cc.l):
                    if m.d_cap[i, lv] > 0:
                        rows.append(len(rhs))
                        cols.append(int(cc.u(i, lv, t)))
                        vals.append(float(m.d_cap[i, lv]))
            rhs.append(s)
        for k in range(cc.k):
            if m.supply[k, :, t].sum() > 0:
                for h in np.flatnonzero(m.ok_f[k]):
                    rows.append(len(rhs))
                    cols.append(int(cc.u(int(h), 0, t)))
                    vals.append(1.0)
                rhs.append(1.0)
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(rhs), nb + cc.t))
    return a, np.array(rhs)


def money_scale(prob: MilpProblem, nb: int) -> float:
    """The master's unit of money (a power of 10 JPY near its largest cost): cuts carry duals
    as large as the penalty times the supply, and HiGHS keeps its accuracy better on
    numbers near 1."""
    top = float(np.abs(prob.c[:nb]).max(initial=1.0))
    return float(10 ** np.floor(np.log10(max(top, 1.0))))


def master_problem(prob: MilpProblem, cc: _Cols, m: PeriodModel,
                   scale: float = 1.0) -> MilpProblem:
    """The master without cuts: hub columns, rows and costs of ``prob`` (money in units of
    ``scale`` JPY), one θ per period (cost 1: θ_t is already discounted), and the cover
    rows of :func:`cover_rows`."""
    nb = 3 * cc.nb
    a = prob.a.tocsr()
    last_col = np.maximum.reduceat(a.indices, a.indptr[:-1]) if a.nnz else np.zeros(0)
    empty = np.diff(a.indptr) == 0
    hub = np.flatnonzero(~empty & (last_col < nb))
    hub_a = sparse.hstack([a[hub][:, :nb], sparse.csr_matrix((hub.size, cc.t))]).tocsr()
    cov_a, cov_b = cover_rows(m, cc)
    integer = np.zeros(nb + cc.t, dtype=bool)
    integer[:nb] = prob.integer[:nb]
    return MilpProblem(
        c=np.concatenate([prob.c[:nb] / scale, np.ones(cc.t)]),
        a=sparse.vstack([hub_a, cov_a]).tocsr(),
        row_lo=np.concatenate([prob.row_lo[hub], cov_b]),
        row_hi=np.concatenate([prob.row_hi[hub], np.full(cov_b.size, np.inf)]),
        col_lo=np.concatenate([prob.col_lo[:nb], np.zeros(cc.t)]),
        col_hi=np.concatenate([prob.col_hi[:nb], np.full(cc.t, np.inf)]),
        integer=integer)


def with_cuts(base: MilpProblem, cuts: list[tuple[int, float, np.ndarray]],
              scale: float = 1.0) -> MilpProblem:
    """``base`` with the rows θ_t − coef·u ≥ const of every cut (money / ``scale``)."""
    if not cuts:
        return base
    nb = base.n - int((~base.integer).sum())
    theta = np.zeros((len(cuts), base.n - nb))
    theta[np.arange(len(cuts)), [t for t, _, _ in cuts]] = 1
    rows = sparse.hstack([sparse.csr_matrix(np.vstack([-c / scale for _, _, c in cuts])),
                          sparse.csr_matrix(theta)]).tocsr()
    return replace(base, a=sparse.vstack([base.a, rows]).tocsr(),
                   row_lo=np.concatenate([base.row_lo, [k / scale for _, k, _ in cuts]]),
                   row_hi=np.concatenate([base.row_hi, np.full(len(cuts), np.inf)]))


def _add_cuts(st: BendersState, evs: list[Evaluation], theta: np.ndarray,
              u: np.ndarray) -> int:
    """Add the cuts of ``evs`` that the master point (θ, u) violates; how many."""
    added = 0
    for ev, (t, th) in zip(evs, enumerate(theta), strict=True):
        q = ev.const + float(ev.coef @ u)
        if th * st.scale < q - CUT_TOL * max(1.0, abs(q)):
            st.cuts.append(_clean(ev.const, ev.coef, t))
            added += 1
    return added


def _clean(const: float, coef: np.ndarray, t: int) -> tuple[int, float, np.ndarray]:
    """The cut without coefficients below 1e-10 of its largest (noise of the LP duals),
    kept valid: a dropped positive one only weakens it; a dropped negative one is moved to
    the constant at u = 1, where it is lowest."""
    small = np.abs(coef) < 1e-10 * max(float(np.abs(coef).max(initial=0.0)), abs(const))
    out = np.where(small, 0.0, coef)
    return t, const + float(np.minimum(coef[small], 0.0).sum()), out


def _unmet(blocks: list[Block], evs: list[Evaluation]) -> bool:
    """True when a plan leaves supply uncollected (beyond the LP tolerance) in a period."""
    return any(ev.unmet_t > 1e-6 * max(1.0, float(np.abs(b.b_eq).max(initial=0.0)))
               for b, ev in zip(blocks, evs, strict=True))


def _consider(st: BendersState, prob: MilpProblem, blocks: list[Block], u: np.ndarray,
              evs: list[Evaluation]) -> np.ndarray | None:
    """The plan ``u`` with its flows (a point of ``prob``) when it leaves nothing
    uncollected, else None; kept as the best when it beats it."""
    if _unmet(blocks, evs):
        return None
    x = np.zeros(prob.n)
    x[:u.size] = u
    for b, ev in zip(blocks, evs, strict=True):
        x[b.cols] = ev.x
    cost = float(prob.c @ x)
    if cost < st.ub:
        st.ub, st.best = cost, x
        st.best_master = np.concatenate([u, [ev.value / st.scale for ev in evs]])
    return x


def plan_columns(cc: _Cols, lead: int, running: np.ndarray) -> np.ndarray:
    """The u, v, w columns of hub levels ``running`` (I, L, T bool, nested, none before
    ``lead``): capital spent ``lead`` periods before a level starts, w where it stops."""
    u = running.astype(float)
    prev = np.concatenate([np.zeros((cc.i, cc.l, 1)), u[:, :, :-1]], axis=2)
    start = np.maximum(u - prev, 0.0)
    v = np.zeros_like(u)
    if lead < cc.t:
        v[:, :, :cc.t - lead] = start[:, :, lead:]
    w = np.maximum(prev - u, 0.0)
    w[:, :, 0] = 0
    return np.concatenate([u.ravel(), v.ravel(), w.ravel()])


def _try_plan(st: BendersState, prob: MilpProblem, base: MilpProblem, blocks: list[Block],
              cc: _Cols, lead: int, running: np.ndarray) -> np.ndarray | None:
    """Evaluate the hub levels ``running`` (I, L, T bool); keep the plan when it satisfies
    the hub rows, collects everything and beats the best; its full x, or None."""
    x = plan_columns(cc, lead, running)
    ax = base.a[:, :x.size] @ x  # hub and cover rows (no θ in them)
    if not ((x <= base.col_hi[:x.size] + 1e-9).all() and (ax <= base.row_hi + 1e-6).all()
            and (ax >= base.row_lo - 1e-6).all()):
        return None
    return _consider(st, prob, blocks, x, [evaluate(b, x) for b in blocks])


def improve_plan(st: BendersState, prob: MilpProblem, base: MilpProblem, blocks: list[Block],
                 cc: _Cols, m: PeriodModel, x: np.ndarray) -> None:
    """Primal heuristic: cut every hub down to the level its flows need — per period, and
    (fewer re-openings) over the span of periods it is used at its peak level — and keep
    what is cheaper; repeated while it improves (the flows move with the hubs)."""
    cum = np.cumsum(m.d_cap, axis=1)  # (I, L) capacity at each level
    nf = cc.k * cc.i * cc.p * cc.t
    levels = np.arange(cc.l)[None, :, None]
    for _ in range(3):
        ub = st.ub
        f = x[3 * cc.nb:3 * cc.nb + nf].reshape(cc.k, cc.i, cc.p, cc.t).sum(axis=(0, 2))
        tol = 1e-6 * max(1.0, float(f.max(initial=0.0)))
        need = np.where(f > tol, (cum[:, :, None] < f[:, None, :] - tol).sum(axis=1), -1)
        span = need.copy()
        for i in range(cc.i):
            used = np.flatnonzero(need[i] >= 0)
            if used.size:
                span[i, used[0]:used[-1] + 1] = need[i].max()
        best = None
        for lv in (need, span):
            y = _try_plan(st, prob, base, blocks, cc, m.lead, levels <= lv[:, None, :])
            if y is not None and st.ub < ub:
                best, ub = y, st.ub
        if best is None:
            return
        x = best


def _gap(st: BendersState) -> float:
    if not np.isfinite(st.ub):
        return float("inf")
    return max(0.0, (st.ub - st.lb) / max(abs(st.ub), 1e-12))


def _lp_phase(base: MilpProblem, blocks: list[Block], prob: MilpProblem, st: BendersState,
              deadline: float, report: Progress) -> tuple[int, np.ndarray | None]:
    """Cuts for the master's LP relaxation, stabilised in-out (Ben-Ameur & Neto 2007;
    Fischetti, Ljubić & Sinnl 2017, Management Science 63, 2146–2162): each round cuts at
    λ·(LP optimum) + (1 − λ)·(core point), the core point moving halfway to the LP optimum;
    λ = 1 once such a cut no longer cuts the LP optimum off. Ends when the bound gains less
    than :data:`LP_STALL` over :data:`LP_STALL_ROUNDS` rounds; returns the rounds and the
    last LP optimum's hub columns."""
    nb = int(base.integer.sum())
    core = np.minimum(base.col_hi[:nb], 1.0)  # every level of every hub running
    lam, rounds, bounds, u = IN_OUT_LAMBDA, 0, [], None
    while rounds < LP_PHASE_ITERATIONS and time.perf_counter() < deadline:
        mp = with_cuts(base, st.cuts, st.scale)
        res = milp(mp.c, constraints=LinearConstraint(mp.a, mp.row_lo, mp.row_hi),
                   bounds=Bounds(mp.col_lo, mp.col_hi), options={"disp": False})
        if res.status != 0 or res.x is None:  # numerical trouble: leave it to the MILP master
            break
        rounds += 1
        st.lb = max(st.lb, float(res.fun) * st.scale)
        bounds.append(float(res.fun))
        u = res.x[:nb]
        sep = lam * u + (1 - lam) * core
        evs = [evaluate(b, sep) for b in blocks]
        if np.allclose(sep, np.round(sep), atol=1e-9):
            _consider(st, prob, blocks, np.round(sep), evs)
        added = _add_cuts(st, evs, res.x[nb:], u)
        core = (core + u) / 2
        report({"gap": _gap(st), "objective": st.ub, "bound": st.lb})
        if not added:
            if lam >= 1:
                break
            lam = 1.0
        elif (len(bounds) > LP_STALL_ROUNDS and bounds[-1] - bounds[-1 - LP_STALL_ROUNDS]
              <= LP_STALL * abs(bounds[-1])):
            break
    return rounds, u


def _milp_phase(base: MilpProblem, blocks: list[Block], prob: MilpProblem, st: BendersState,
                gap: float, deadline: float, report: Progress,
                polish: Callable[[np.ndarray], None]) -> str:
    """Master MILPs until the gap, the time limit or no feasible plan; returns why it
    stopped."""
    nb = int(base.integer.sum())
    mgap = gap / 2
    while _gap(st) > gap:
        left = deadline - time.perf_counter()
        if left <= 0.05:
            return "time limit"
        try:
            res = solve_milp(with_cuts(base, st.cuts, st.scale), gap=mgap,
                             time_limit=max(min(MASTER_MIN_S, left), MASTER_SHARE * left),
                             start=st.best_master)
        except JunkanError as exc:  # no master plan: out of time, or none exists
            if "nfeasible" in str(exc):
                raise
            return "time limit"
        st.iterations += 1
        st.lb = max(st.lb, res.bound * st.scale)
        u = np.round(res.x[:nb])
        evs = [evaluate(b, u) for b in blocks]
        x = _consider(st, prob, blocks, u, evs)
        if x is not None and _gap(st) > gap:
            polish(x)
        added = _add_cuts(st, evs, res.x[nb:], u)
        report({"gap": _gap(st), "objective": st.ub, "bound": st.lb})
        if added or not res.optimal:  # new cuts, or the master stopped on time
            continue
        if _unmet(blocks, evs):  # converged on a penalised plan: P too small
            st.escalations += 1
            if st.escalations > MAX_ESCALATIONS:
                raise JunkanError("no feasible plan: Benders' master keeps leaving supply "
                                  "uncollected (no hub plan can serve every zone)")
            for b in blocks:
                b.penalty *= 10
            _add_cuts(st, [evaluate(b, u) for b in blocks], res.x[nb:], u)
        elif mgap > 1e-9:  # the master's own gap hides the better plan
            mgap = max(1e-9, mgap / 10)
        else:
            break
    return "gap reached" if _gap(st) <= gap else "stalled"


def solve_benders(prob: MilpProblem, cc: _Cols, m: PeriodModel, *, gap: float,
                  time_limit: float, progress: Progress | None = None) -> MilpResult:
    """The monolithic ``prob`` of ``m`` by Benders decomposition to the relative ``gap``
    (UB − LB) / UB or ``time_limit`` (s); ``progress`` gets elapsed, gap, objective (UB,
    ``inf`` before the first plan) and bound (LB) after every master solve. The answer's x
    is a point of ``prob`` (hub decisions and flows) feasible for it."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    blocks = build_blocks(prob, cc)
    st = BendersState(scale=money_scale(prob, 3 * cc.nb))
    base = master_problem(prob, cc, m, st.scale)

    def report(ev: dict[str, float]) -> None:
        if progress is not None:
            progress({"elapsed": time.perf_counter() - t0, **ev})

    rounds, u_lp = _lp_phase(base, blocks, prob, st, t0 + LP_PHASE_SHARE * time_limit, report)
    if u_lp is not None:  # a first plan: every level the LP runs at all, run whole
        running = u_lp[:cc.nb].reshape(cc.i, cc.l, cc.t) > 1e-6
        x0 = _try_plan(st, prob, base, blocks, cc, m.lead, running)
        if x0 is not None and _gap(st) > gap:
            improve_plan(st, prob, base, blocks, cc, m, x0)
    why = "gap reached" if _gap(st) <= gap else _milp_phase(
        base, blocks, prob, st, gap, deadline, report,
        lambda x: improve_plan(st, prob, base, blocks, cc, m, x))
    if st.best is None:
        raise JunkanError(f"no feasible plan found by Benders decomposition in {time_limit:g} "
                          "s; give it more time (--time-limit) or use the monolithic model")
    reached = _gap(st)
    return MilpResult(
        x=st.best, objective=st.ub, bound=st.lb, gap=reached,
        seconds=time.perf_counter() - t0, optimal=reached <= gap,
        status=(f"Benders ({why}; {rounds} LP rounds, {st.iterations} master MILPs, "
                f"{len(st.cuts)} cuts" + (f", penalty raised {st.escalations}×"
                                           if st.escalations else "") + ")"))
