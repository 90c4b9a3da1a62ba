"""Planning over time: which hubs open, expand or close, where and when — a multi-period
facility-location MILP solved by HiGHS (:mod:`junkan.network.solver`).

Tiers are nested levels: a hub at level l has the capacity, yearly operating cost and
capital cost of tier l; an upgrade pays the difference to the level below. Binary
variables per hub i, level l, period t: u (runs at ≥ l), v (capital spent on level l at t,
on line ``lead_time`` periods later), w (level l closed at t). Flows f[k,i,p,t] (zone →
hub, truck) and g[i,j,p,t] (hub → destination, by the mode cheapest at the carbon price —
exact, as modes have no capacity)::

    Σ_i f = S[k,p,t];   Σ_j g[i,j,p,t] = (1 − loss) Σ_k f[k,i,p,t];   Σ_i g ≤ cap[j,p,t]
    Σ_{k,p} f[k,i,p,t] ≤ Σ_l Δcap_il u[i,l,t];   Σ_p f[k,i,p,t] ≤ S[k,t] u[i,0,t]
    u[i,l,t] ≤ u[i,l−1,t];   u[i,l,t] − u[i,l,t−1] ≤ v[i,l,t−lead]   (nothing before lead)
    w[i,l,t] = max(0, u[i,l,t−1] − u[i,l,t])  (three linear rows)

    min Σ_t A_t (Σ Δopex·u + transport) + Σ_t δ_t Δcapex (v − salvage·w)
        − δ_end salvage Σ Δcapex u[·,·,T−1]

with δ_t = (1 + r)^−(year_t − year_0) and A_t the sum of δ over the years of period t.
S (supply per area, commodity and period) and cap (destination capacity per period) come from
:mod:`junkan.network.periods_data`: ``supply_factor`` or ``supply_by_year``, and
``demand_factor`` or ``demand_by_year``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from junkan.core.errors import JunkanError, ModelError, Problem
from junkan.network.benders import solve_benders
from junkan.network.model import Network
from junkan.network.periods_data import period_checks, period_demand, period_supply
from junkan.network.rolling import solve_rolling
from junkan.network.solver import MilpProblem, MilpResult, Progress, solve_milp

__all__ = ["METHODS", "PeriodModel", "PeriodPlan", "formulate_periods", "period_model",
           "read_plan", "solve_benders", "solve_periods", "solve_rolling"]

METHODS = ("monolithic", "rolling", "benders")
"""How :func:`solve_periods` solves: the whole MILP, a rolling horizon, or Benders."""


@dataclass
class PeriodModel:
    """The arrays of a multi-period question (money in JPY, mass in t)."""

    years: list[int]
    annuity: np.ndarray  # (T,) Σ discount factors over each period's years
    delta: np.ndarray  # (T,) discount factor at each period's start
    delta_end: float
    supply: np.ndarray  # (K, P, T) t/yr collected per area, commodity, period
    c_f: np.ndarray  # (K, I, P) JPY/t zone → hub incl. handling and carbon
    ok_f: np.ndarray  # (K, I) bool
    c_g: np.ndarray  # (I, J, P) JPY/t hub → destination, best mode (inf: none)
    mode_g: np.ndarray  # (I, J, P) index of that mode
    dest_cap: np.ndarray  # (J, P, T) destination capacity × demand factors
    loss: float
    d_cap: np.ndarray  # (I, L) capacity increments (0 past a hub's last tier)
    d_opex: np.ndarray  # (I, L)
    d_capex: np.ndarray  # (I, L)
    levels: np.ndarray  # (I,) number of tiers per hub
    salvage: float
    lead: int


def _discounting(years: list[int], rate: float) -> tuple[np.ndarray, np.ndarray, float]:
    y0 = years[0]
    lengths = [b - a for a, b in zip(years, years[1:], strict=False)]
    lengths.append(lengths[-1] if lengths else 1)
    disc = [(1 + rate) ** -(y - y0) for y in years]
    ann = [sum((1 + rate) ** -(y - y0 + s) for s in range(n)) for y, n in
           zip(years, lengths, strict=True)]
    return np.array(ann), np.array(disc), (1 + rate) ** -(years[-1] + lengths[-1] - y0)


def period_model(net: Network, source: str = "<scenario>") -> PeriodModel:
    """The multi-period arrays of a scenario with a ``periods`` section; problems (no
    section, factors for unknown commodities, areas or destinations, tiers that shrink, a
    year whose supply cannot be served) are all named at once
    (:mod:`junkan.network.periods_data`)."""
    sc = net.scenario
    per = sc.periods
    if per is None:
        raise ModelError([Problem("periods", "add a periods section (years, discount_rate, "
                                  "lead_time, salvage, supply_factor or supply_by_year, "
                                  "demand_factor or demand_by_year)")], source)
    supply, problems = period_supply(net, per)
    dest_cap, more = period_demand(net, per)
    problems += more
    n_i, n_l = len(net.hubs), max(len(t) for t in net.hub_tiers)
    d_cap, d_opex, d_capex = (np.zeros((n_i, n_l)) for _ in range(3))
    for i, tl in enumerate(net.hub_tiers):
        caps = [c for c, _ in tl]
        if any(b <= a for a, b in zip(caps, caps[1:], strict=False)):
            problems.append(Problem(f"hubs ({net.hubs[i].name})", "tiers must grow in "
                                    "capacity to be used as levels over time"))
        raw = _raw_tiers(net, i) or list(sc.hubs.tiers)
        capex = [t.capital_cost for t in raw]
        prev = (0.0, 0.0, 0.0)
        for lvl, (cap, fixed) in enumerate(tl):
            cx = capex[lvl] if lvl < len(capex) else 0.0
            d_cap[i, lvl], d_opex[i, lvl], d_capex[i, lvl] = (cap - prev[0], fixed - prev[1],
                                                               cx - prev[2])
            prev = (cap, fixed, cx)
        if (d_capex[i] < -1e-9).any() or (d_opex[i] < -1e-9).any():
            problems.append(Problem(f"hubs ({net.hubs[i].name})", "a higher tier must not "
                                    "cost less (capital or yearly) than the one below"))
    if problems:
        raise ModelError(problems, source)
    problems = period_checks(net, per, supply, dest_cap)
    if problems:
        raise ModelError(problems, source)
    price = sc.carbon_price
    ann, disc, d_end = _discounting(per.years, per.discount_rate)
    cost_f, co2_f, cost_g, co2_g = net.legs_by_commodity()  # handling per commodity
    with np.errstate(invalid="ignore"):  # 0 × inf where a mode cannot run: no leg
        trunk = cost_g + price * co2_g / 1000  # (I, J, M, P)
    trunk = np.where(np.isfinite(trunk), trunk, np.inf)
    return PeriodModel(
        years=list(per.years), annuity=ann, delta=disc, delta_end=d_end,
        supply=supply,
        c_f=cost_f + price * co2_f / 1000, ok_f=net.zone_hub_ok,
        c_g=trunk.min(axis=2), mode_g=trunk.argmin(axis=2), dest_cap=dest_cap,
        loss=sc.hubs.loss, d_cap=d_cap, d_opex=d_opex, d_capex=d_capex,
        levels=np.array([len(t) for t in net.hub_tiers]), salvage=per.salvage,
        lead=per.lead_time)


def _raw_tiers(net: Network, i: int) -> list[Any]:
    name = net.hubs[i].name
    for h in net.scenario.hubs.extra:
        if h.name == name and h.tiers:
            return list(h.tiers)
    return []


@dataclass(frozen=True)
class _Cols:
    i: int
    l: int  # noqa: E741 - the level index of the model
    t: int
    k: int
    p: int
    j: int

    @property
    def nb(self) -> int:
        return self.i * self.l * self.t

    def u(self, i: Any, l: Any, t: Any) -> Any:  # noqa: E741
        return (np.asarray(i) * self.l + l) * self.t + t

    def v(self, i: Any, l: Any, t: Any) -> Any:  # noqa: E741
        return self.nb + self.u(i, l, t)

    def w(self, i: Any, l: Any, t: Any) -> Any:  # noqa: E741
        return 2 * self.nb + self.u(i, l, t)

    def f(self, k: Any, i: Any, p: Any, t: Any) -> Any:
        return 3 * self.nb + ((np.asarray(k) * self.i + i) * self.p + p) * self.t + t

    def g(self, i: Any, j: Any, p: Any, t: Any) -> Any:
        return (3 * self.nb + self.k * self.i * self.p * self.t
                + ((np.asarray(i) * self.j + j) * self.p + p) * self.t + t)

    @property
    def n(self) -> int:
        return 3 * self.nb + (self.k + self.j) * self.i * self.p * self.t


class _Rows:
    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def row(self, cols: list[Any], vals: list[float], lo: float, hi: float) -> None:
        n = len(self.lo)
        for c, v in zip(cols, vals, strict=True):
            self.r.append(n)
            self.c.append(int(c))
            self.v.append(float(v))
        self.lo.append(lo)
        self.hi.append(hi)


def _hub_rows(m: PeriodModel, cc: _Cols, rows: _Rows, hi: np.ndarray) -> None:
    """Nesting, lead time and closing rows; unused levels and late decisions fixed at 0."""
    for i in range(cc.i):
        for lv in range(cc.l):
            for t in range(cc.t):
                if lv >= m.levels[i]:
                    hi[[cc.u(i, lv, t), cc.v(i, lv, t), cc.w(i, lv, t)]] = 0
                    continue
                if lv > 0:
                    rows.row([cc.u(i, lv, t), cc.u(i, lv - 1, t)], [1, -1], -np.inf, 0)
                prev = [cc.u(i, lv, t - 1)] if t > 0 else []
                src = [cc.v(i, lv, t - m.lead)] if t - m.lead >= 0 else []
                rows.row([cc.u(i, lv, t), *prev, *src], [1, *(-1,) * len(prev),
                                                          *(-1,) * len(src)], -np.inf, 0)
                if t + m.lead >= cc.t:
                    hi[cc.v(i, lv, t)] = 0  # would come on line after the horizon
                if t == 0:
                    hi[cc.w(i, lv, t)] = 0
                    continue
                w, u0, u1 = cc.w(i, lv, t), cc.u(i, lv, t - 1), cc.u(i, lv, t)
                rows.row([w, u0, u1], [1, -1, 1], 0, np.inf)
                rows.row([w, u0], [1, -1], -np.inf, 0)
                rows.row([w, u1], [1, 1], -np.inf, 1)


def _flow_rows(m: PeriodModel, cc: _Cols, rows: _Rows, hi: np.ndarray) -> None:
    """Supply, hub balance, capacity, linking and destination rows of every period."""
    for t in range(cc.t):
        for k in range(cc.k):
            for p in range(cc.p):
                s = float(m.supply[k, p, t])
                rows.row([cc.f(k, i, p, t) for i in range(cc.i)], [1.0] * cc.i, s, s)
        for i in range(cc.i):
            for p in range(cc.p):
                rows.row([*(cc.g(i, j, p, t) for j in range(cc.j)),
                          *(cc.f(k, i, p, t) for k in range(cc.k))],
                         [1.0] * cc.j + [-(1 - m.loss)] * cc.k, 0, 0)
            rows.row([*(cc.f(k, i, p, t) for k in range(cc.k) for p in range(cc.p)),
                      *(cc.u(i, lv, t) for lv in range(cc.l))],
                     [1.0] * (cc.k * cc.p) + list(-m.d_cap[i]), -np.inf, 0)
            for k in range(cc.k):
                tot = float(m.supply[k, :, t].sum())
                if not m.ok_f[k, i]:
                    hi[[cc.f(k, i, p, t) for p in range(cc.p)]] = 0
                elif tot > 0:
                    rows.row([*(cc.f(k, i, p, t) for p in range(cc.p)), cc.u(i, 0, t)],
                             [1.0] * cc.p + [-min(tot, float(m.d_cap[i].sum()))], -np.inf, 0)
            for j in range(cc.j):
                for p in range(cc.p):
                    if not np.isfinite(m.c_g[i, j, p]):
                        hi[cc.g(i, j, p, t)] = 0
        for j in range(cc.j):
            for p in range(cc.p):
                rows.row([cc.g(i, j, p, t) for i in range(cc.i)], [1.0] * cc.i, -np.inf,
                         float(m.dest_cap[j, p, t]))


def formulate_periods(m: PeriodModel) -> tuple[MilpProblem, _Cols]:
    """The MILP of :class:`PeriodModel` ``m``."""
    k_, p_, t_ = m.supply.shape
    i_, l_ = m.d_cap.shape
    cc = _Cols(i=i_, l=l_, t=t_, k=k_, p=p_, j=m.dest_cap.shape[0])
    c = np.zeros(cc.n)
    hi = np.full(cc.n, np.inf)
    hi[:3 * cc.nb] = 1
    ii, ll, tt = (a.ravel() for a in np.meshgrid(np.arange(i_), np.arange(l_), np.arange(t_),
                                                  indexing="ij"))
    c[cc.u(ii, ll, tt)] = m.annuity[tt] * m.d_opex[ii, ll]
    c[cc.u(ii, ll, tt)] -= np.where(tt == t_ - 1, m.delta_end * m.salvage * m.d_capex[ii, ll], 0)
    c[cc.v(ii, ll, tt)] = m.delta[tt] * m.d_capex[ii, ll]
    c[cc.w(ii, ll, tt)] = -m.delta[tt] * m.salvage * m.d_capex[ii, ll]
    kk, i2, pp, t2 = (a.ravel() for a in np.meshgrid(np.arange(k_), np.arange(i_),
                                                      np.arange(p_), np.arange(t_),
                                                      indexing="ij"))
    c[cc.f(kk, i2, pp, t2)] = m.annuity[t2] * np.where(m.ok_f[kk, i2], m.c_f[kk, i2, pp], 0)
    i3, jj, p3, t3 = (a.ravel() for a in np.meshgrid(np.arange(i_), np.arange(cc.j),
                                                      np.arange(p_), np.arange(t_),
                                                      indexing="ij"))
    cg = m.c_g[i3, jj, p3]
    c[cc.g(i3, jj, p3, t3)] = m.annuity[t3] * np.where(np.isfinite(cg), cg, 0)
    rows = _Rows()
    _hub_rows(m, cc, rows, hi)
    _flow_rows(m, cc, rows, hi)
    a = sparse.csr_matrix((rows.v, (rows.r, rows.c)), shape=(len(rows.lo), cc.n))
    integer = np.zeros(cc.n, dtype=bool)
    integer[:3 * cc.nb] = True
    return MilpProblem(c=c, a=a, row_lo=np.array(rows.lo), row_hi=np.array(rows.hi),
                       col_lo=np.zeros(cc.n), col_hi=hi, integer=integer), cc


@dataclass
class PeriodPlan:
    """Which hubs, where, when: per period the level of every hub that runs, with the
    capital spent, the net present cost and what the solver reached."""

    years: list[int]
    npv_cost: float
    mip_gap: float
    bound: float
    stopped: str
    seconds: float
    schedule: list[dict[str, Any]]  # one row per hub that ever runs
    periods: list[dict[str, Any]]
    """Per period: hubs running and their capacity, the supply used (total, by commodity
    and by area), the demand (destination capacity, per destination and commodity),
    collected and delivered tonnes."""
    levels: np.ndarray  # (I, T) level per hub and period, −1 closed
    method: str = "monolithic"
    """``monolithic``, ``rolling horizon, window N`` (then ``mip_gap`` is measured against
    the first window's bound, a lower bound on the monolithic optimum, and ``solver`` says
    how many steps and fix-and-optimize improvements it took) or ``benders`` (``bound`` is
    the master's lower bound, ``solver`` says how many LP rounds, master MILPs and cuts)."""
    solver: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"years": self.years, "npv_cost_JPY": self.npv_cost, "mip_gap": self.mip_gap,
                "method": self.method, "solver": self.solver,
                "bound": self.bound, "stopped": self.stopped, "seconds": self.seconds,
                "schedule": self.schedule, "periods": self.periods}


def levels_of(cc: _Cols, x: np.ndarray) -> np.ndarray:
    """(I, T) highest level running per hub and period (−1: closed)."""
    u = x[:cc.nb].reshape(cc.i, cc.l, cc.t) > 0.5
    return u.sum(axis=1) - 1


def _stopped(res: MilpResult) -> str:
    if res.optimal:
        return "gap reached"
    if res.status.startswith("rolling"):  # finished, but further from the bound than asked
        return "rolling horizon done, gap to the bound above the requested"
    if res.status.startswith("Benders (stalled"):
        return "Benders stalled, gap to the bound above the requested"
    return "time limit"


def _period_rows(net: Network, m: PeriodModel, cc: _Cols, x: np.ndarray,
                 lv: np.ndarray) -> list[dict[str, Any]]:
    """Per period: hubs running, the supply and demand used (by commodity, area and
    destination) and what was collected and delivered."""
    nf = cc.k * cc.i * cc.p * cc.t
    f = x[3 * cc.nb:3 * cc.nb + nf].reshape(cc.k, cc.i, cc.p, cc.t)
    g = x[3 * cc.nb + nf:].reshape(cc.i, cc.j, cc.p, cc.t)
    names = [d.name for d in net.scenario.destinations]
    rows = []
    for t, y in enumerate(m.years):
        by_area = m.supply[:, :, t].sum(axis=1)
        rows.append({
            "year": y, "hubs_running": int((lv[:, t] >= 0).sum()),
            "supply_t": float(m.supply[:, :, t].sum()),
            "supply_t_by_commodity": {c: float(m.supply[:, p, t].sum())
                                      for p, c in enumerate(net.commodities)},
            "supply_t_by_area": {net.zones[k].name: float(by_area[k])
                                 for k in np.flatnonzero(by_area > 0)},
            "capacity_t": float(sum(net.hub_tiers[i][lv[i, t]][0]
                                    for i in range(cc.i) if lv[i, t] >= 0)),
            "collected_t": float(f[:, :, :, t].sum()),
            "demand_t": float(m.dest_cap[:, :, t].sum()),
            "delivered_t": float(g[:, :, :, t].sum()),
            "destinations": {n: {"demand_t_by_commodity": {
                c: float(m.dest_cap[j, p, t]) for p, c in enumerate(net.commodities)
                if net.dest_cap[j, p] > 0 or m.dest_cap[j, p].any()},
                "delivered_t": float(g[:, j, :, t].sum())} for j, n in enumerate(names)}})
    return rows


def read_plan(net: Network, m: PeriodModel, cc: _Cols, res: MilpResult) -> PeriodPlan:
    x = res.x
    lv = levels_of(cc, x)
    v = x[cc.nb:2 * cc.nb].reshape(cc.i, cc.l, cc.t) > 0.5
    schedule = []
    for i in np.flatnonzero((lv >= 0).any(axis=1)):
        tiers = net.hub_tiers[i]
        schedule.append({"hub": net.hubs[i].name, "prefecture": net.hubs[i].prefecture,
                         "lat": net.hubs[i].lat, "lon": net.hubs[i].lon,
                         "capacity_t_by_year": {str(y): (tiers[lv[i, t]][0] if lv[i, t] >= 0
                                                         else 0.0)
                                                for t, y in enumerate(m.years)},
                         "decided": [str(m.years[t]) for t in range(cc.t) if v[i, :, t].any()]})
    return PeriodPlan(years=m.years, npv_cost=res.objective, mip_gap=res.gap, bound=res.bound,
                      stopped=_stopped(res), seconds=res.seconds, schedule=schedule,
                      periods=_period_rows(net, m, cc, x, lv), levels=lv, solver=res.status)


def solve_periods(net: Network, *, mip_rel_gap: float | None = None,
                  time_limit: float | None = None, progress: Progress | None = None,
                  source: str = "<scenario>", window: int | None = None,
                  improve: bool = True, method: str | None = None) -> PeriodPlan:
    """Which hubs to open, expand or close, and when, at least net present cost.

    ``method``: ``monolithic`` (the whole MILP), ``rolling`` (the rolling horizon of
    :func:`junkan.network.rolling.solve_rolling` with ``window`` periods, default 2:
    relax-and-fix, then with ``improve`` fix-and-optimize) or ``benders``
    (:func:`junkan.network.benders.solve_benders`: hub decisions in a master MILP, each
    period's transport as an LP, exact to the gap). Default: ``rolling`` when a ``window``
    is given, else ``monolithic``; a window covering the horizon is the monolithic model."""
    method = method or ("rolling" if window is not None else "monolithic")
    if method not in METHODS:
        raise JunkanError(f"method '{method}': use one of {', '.join(METHODS)}")
    m = period_model(net, source)
    prob, cc = formulate_periods(m)
    gap = mip_rel_gap or net.scenario.mip_rel_gap
    limit = time_limit or net.scenario.time_limit_s
    if method == "rolling" and (window or 2) < cc.t:
        window = window or 2
        res = solve_rolling(prob, cc, window, gap=gap, time_limit=limit, progress=progress,
                            lead=m.lead, improve=improve)
        label = f"rolling horizon, window {window}"
    elif method == "benders":
        res, label = solve_benders(prob, cc, m, gap=gap, time_limit=limit,
                                   progress=progress), "benders"
    else:
        res, label = solve_milp(prob, gap=gap, time_limit=limit, progress=progress), \
            "monolithic"
    plan = read_plan(net, m, cc, res)
    plan.method = label
    return plan
