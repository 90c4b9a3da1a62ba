"""The single-period hub planner's MILP in arrays: column layout, constraint rows and the
cost/CO2e vectors (:func:`formulate`), and reading a solution back into hubs and flows.

Sets: k zones (47 prefectures), i candidate hubs, l capacity tiers, j destinations,
m modes, p commodities. Variables: f[k,i,p] ≥ 0 collected t/yr by truck from zone to hub;
g[i,j,m,p] ≥ 0 t/yr from hub to destination by mode (ship only port → port, rail only
between rail terminals); z[i,l] ∈ {0,1}. Constraints::

    Σ_i f[k,i,p] = r_p · S[k,p]                    every collected tonne goes to a hub
    Σ_{j,m} g[i,j,m,p] = (1 − loss) Σ_k f[k,i,p]   hub balance
    Σ_{k,p} f[k,i,p] ≤ Σ_l cap_l z[i,l]            hub capacity (tier chosen)
    Σ_l z[i,l] ≤ 1                                  one tier per hub
    Σ_{i,m} g[i,j,m,p] ≤ cap[j,p]                   destination capacity
    Σ_p f[k,i,p] ≤ Σ_l min(Σ_p r_p S[k,p], cap_l) z[i,l]   strong linking (tighter LP)

Objective: Σ fixed·z + Σ (handling + c_truck d_ki) f + Σ (c_m d_ijm + handling_m) g
+ carbon price · CO2, with CO2 = Σ ef_m · t · km. An optional CO2 cap gives the
ε-constraint used for the cost–CO2 Pareto front (Haimes, Lasdon & Wismer 1971)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import LinearConstraint

from junkan.network.model import Network
from junkan.network.solver import MilpProblem


@dataclass(frozen=True)
class Layout:
    """Column layout of the MILP: z (tiers of every hub), then f (k, i, p), then g (arc, p)
    for the allowed hub → destination arcs (i, j, m)."""

    k: int
    i: int
    p: int
    j: int
    n_tiers: np.ndarray
    z_off: np.ndarray
    arcs: np.ndarray

    @classmethod
    def of(cls, net: Network) -> Layout:
        n_tiers = np.array([len(t) for t in net.hub_tiers])
        return cls(k=net.collected.shape[0], i=len(net.hubs), p=len(net.commodities),
                   j=len(net.dests), n_tiers=n_tiers,
                   z_off=np.concatenate([[0], np.cumsum(n_tiers)]),
                   arcs=np.argwhere(np.isfinite(net.cost_hub_dest)))

    @property
    def nz(self) -> int:
        return int(self.z_off[-1])

    @property
    def nf(self) -> int:
        return self.k * self.i * self.p

    @property
    def ng(self) -> int:
        return len(self.arcs) * self.p

    @property
    def f0(self) -> int:
        return self.nz

    @property
    def g0(self) -> int:
        return self.nz + self.nf

    @property
    def n(self) -> int:
        return self.nz + self.nf + self.ng

    def fidx(self, k: np.ndarray, i: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.f0 + (k * self.i + i) * self.p + p

    def gidx(self, a: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.g0 + a * self.p + p

    def tier_columns(self, hubs: np.ndarray) -> np.ndarray:
        """z columns of every tier of each hub in ``hubs``, concatenated."""
        return np.concatenate([np.arange(self.z_off[h], self.z_off[h + 1]) for h in hubs]) \
            if len(hubs) else np.zeros(0, dtype=int)


class Rows:
    """Sparse constraint rows lo ≤ A x ≤ hi, added block by block."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.count = 0

    def add(self, r: np.ndarray, cc: np.ndarray, v: np.ndarray, lower: np.ndarray,
            upper: np.ndarray, count: int) -> None:
        self.rows.append(r + self.count)
        self.cols.append(cc)
        self.vals.append(v)
        self.lo.append(lower)
        self.hi.append(upper)
        self.count += count

    def constraint(self, n: int) -> LinearConstraint:
        a = sparse.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows),
                                                           np.concatenate(self.cols))),
                              shape=(self.count, n))
        return LinearConstraint(a, np.concatenate(self.lo), np.concatenate(self.hi))


def flow_constraints(net: Network, lay: Layout, rows: Rows) -> None:
    """Supply, hub balance, hub capacity, one tier per hub, destination capacity."""
    k_, i_, p_, j_ = lay.k, lay.i, lay.p, lay.j
    na, nf, ng, nz = len(lay.arcs), lay.nf, lay.ng, lay.nz
    grid = np.meshgrid(np.arange(k_), np.arange(i_), np.arange(p_), indexing="ij")
    kk, ii, pp = (g_.ravel() for g_ in grid)
    # (1) Σ_i f = collected[k, p]
    rows.add(kk * p_ + pp, lay.fidx(kk, ii, pp), np.ones(nf), net.collected.ravel(),
             net.collected.ravel(), k_ * p_)
    # (2) hub balance per (i, p): Σ g − (1 − loss) Σ f = 0
    loss = net.scenario.hubs.loss
    a_idx = np.repeat(np.arange(na), p_)
    p_idx = np.tile(np.arange(p_), na)
    bal_r = np.concatenate([lay.arcs[a_idx, 0] * p_ + p_idx, ii * p_ + pp])
    bal_c = np.concatenate([lay.gidx(a_idx, p_idx), lay.fidx(kk, ii, pp)])
    bal_v = np.concatenate([np.ones(ng), -(1 - loss) * np.ones(nf)])
    rows.add(bal_r, bal_c, bal_v, np.zeros(i_ * p_), np.zeros(i_ * p_), i_ * p_)
    # (3) hub capacity: Σ_{k,p} f − Σ_l cap z ≤ 0
    caps = np.concatenate([[c for c, _ in t] for t in net.hub_tiers])
    hub_of_z = np.repeat(np.arange(i_), lay.n_tiers)
    rows.add(np.concatenate([ii, hub_of_z]),
             np.concatenate([lay.fidx(kk, ii, pp), np.arange(nz)]),
             np.concatenate([np.ones(nf), -caps]), np.full(i_, -np.inf), np.zeros(i_), i_)
    # (4) one tier per hub
    rows.add(hub_of_z, np.arange(nz), np.ones(nz), np.full(i_, -np.inf), np.ones(i_), i_)
    # (5) destination capacity per (j, p)
    rows.add(lay.arcs[a_idx, 1] * p_ + p_idx, lay.gidx(a_idx, p_idx), np.ones(ng),
             np.full(j_ * p_, -np.inf), net.dest_cap.ravel(), j_ * p_)


def _tier_caps(net: Network) -> np.ndarray:
    return np.concatenate([[c for c, _ in t] for t in net.hub_tiers])


def linking(net: Network, lay: Layout, rows: Rows) -> None:
    """(6) strong linking, per (zone, hub) summed over commodities (``linking: aggregated``)
    or per (zone, hub, commodity): flow ≤ Σ_l min(supply, cap_l) z[i,l] where supply > 0.
    Taking the smaller of supply and tier capacity keeps it valid and tightens the LP."""
    p_ = lay.p
    n_tiers = lay.n_tiers
    caps = _tier_caps(net)
    if net.scenario.linking == "aggregated":
        ki = np.argwhere(net.zone_hub_ok & (net.collected.sum(axis=1) > 0)[:, None])
        kz, hz = ki[:, 0], ki[:, 1]
        kk, ii = np.repeat(kz, p_), np.repeat(hz, p_)
        pp = np.tile(np.arange(p_), len(ki))
        f_rows = np.repeat(np.arange(len(ki)), p_)
        supply = net.collected.sum(axis=1)[kz]
    elif net.scenario.linking == "per_commodity":
        grid = np.meshgrid(np.arange(lay.k), np.arange(lay.i), np.arange(p_), indexing="ij")
        kk, ii, pp = (g_.ravel() for g_ in grid)
        keep = net.collected[kk, pp] > 0
        kk, ii, pp = kk[keep], ii[keep], pp[keep]
        f_rows = np.arange(kk.size)
        hz, supply = ii, net.collected[kk, pp]
    else:
        return
    nl = hz.size
    zc = lay.tier_columns(hz)
    coef = np.minimum(np.repeat(supply, n_tiers[hz]), caps[zc])
    rows.add(np.concatenate([f_rows, np.repeat(np.arange(nl), n_tiers[hz])]),
             np.concatenate([lay.fidx(kk, ii, pp), zc]),
             np.concatenate([np.ones(kk.size), -coef]), np.full(nl, -np.inf), np.zeros(nl), nl)


@dataclass(frozen=True)
class Formulation:
    """The MILP of one planning question and the vectors to read a solution with."""

    problem: MilpProblem
    layout: Layout
    cost: np.ndarray  # JPY/yr per unit of each column
    co2: np.ndarray  # tCO2e/yr per unit of each column
    carbon_price: float
    cap_row: int | None  # index of the CO2-cap row, if any


def formulate(net: Network, *, carbon_price: float, co2_cap_t: float | None,
              minimise: str = "cost") -> Formulation:
    """Build the MILP (cost + carbon price × CO2e, or CO2e alone for ``minimise='co2'``)."""
    lay = Layout.of(net)
    arcs, p_ = lay.arcs, lay.p
    fixed = np.concatenate([[c for _, c in t] for t in net.hub_tiers])
    cf, ef, cg, eg = net.legs_by_commodity()  # per commodity, handling applied
    f_cost = cf.ravel()
    f_co2 = ef.ravel() / 1000  # t CO2e per t
    g_cost = cg[arcs[:, 0], arcs[:, 1], arcs[:, 2]].ravel()  # (arc, p) order
    g_co2 = eg[arcs[:, 0], arcs[:, 1], arcs[:, 2]].ravel() / 1000
    g_ok = np.isfinite(g_cost)  # a commodity barred from a mode (its handling)
    g_cost, g_co2 = np.where(g_ok, g_cost, 0.0), np.where(g_ok, g_co2, 0.0)
    co2_vec = np.concatenate([np.zeros(lay.nz), f_co2, g_co2])
    cost_vec = np.concatenate([fixed, f_cost, g_cost])
    c = co2_vec.copy() if minimise == "co2" else cost_vec + carbon_price * co2_vec
    rows = Rows()
    flow_constraints(net, lay, rows)
    linking(net, lay, rows)
    cap_row = None
    if co2_cap_t is not None:
        nzc = np.flatnonzero(co2_vec)
        cap_row = rows.count
        rows.add(np.zeros(nzc.size, dtype=int), nzc, co2_vec[nzc], np.array([-np.inf]),
                 np.array([co2_cap_t]), 1)
    cons = rows.constraint(lay.n)
    f_upper = np.where(np.repeat(net.zone_hub_ok.ravel(), p_), np.inf, 0.0)
    upper = np.concatenate([np.ones(lay.nz), f_upper, np.where(g_ok, np.inf, 0.0)])
    integer = np.concatenate([np.ones(lay.nz, dtype=bool), np.zeros(lay.nf + lay.ng, dtype=bool)])
    prob = MilpProblem(c=c, a=sparse.csr_matrix(cons.A), row_lo=np.asarray(cons.lb, float),
                       row_hi=np.asarray(cons.ub, float), col_lo=np.zeros(lay.n), col_hi=upper,
                       integer=integer)
    return Formulation(problem=prob, layout=lay, cost=cost_vec, co2=co2_vec,
                       carbon_price=carbon_price, cap_row=cap_row)


def open_hubs(net: Network, lay: Layout, z: np.ndarray, f: np.ndarray
               ) -> list[dict[str, Any]]:
    out = []
    for h in range(lay.i):
        zl = z[lay.z_off[h]:lay.z_off[h + 1]]
        if zl.max(initial=0) > 0.5:
            tier = int(np.argmax(zl))
            cap_h, fc = net.hub_tiers[h][tier]
            inflow = float(f[:, h, :].sum())
            out.append({"hub": net.hubs[h].name, "prefecture": net.hubs[h].prefecture,
                        "lat": net.hubs[h].lat, "lon": net.hubs[h].lon,
                        "port": net.hubs[h].port, "tier": tier, "capacity_t": cap_h,
                        "fixed_cost": fc, "inflow_t": inflow, "utilisation": inflow / cap_h})
    return out


def flows(net: Network, lay: Layout, f: np.ndarray, g: np.ndarray) -> list[dict[str, Any]]:
    """Trunk flows (hub → destination) first, then collection flows (zone → hub)."""
    flows = []
    for (h, j, m), row in zip(lay.arcs, g, strict=True):
        for p in range(lay.p):
            if row[p] > 1e-6:
                flows.append({"leg": "trunk", "from": net.hubs[h].name,
                              "to": net.dests[j].name, "mode": net.modes[m],
                              "commodity": net.commodities[p], "t": float(row[p]),
                              "km": float(net.d_hub_dest[h, j, m])})
    for zk in range(lay.k):
        for h in range(lay.i):
            for p in range(lay.p):
                if f[zk, h, p] > 1e-6:
                    flows.append({"leg": "collection", "from": net.zones[zk].name,
                                  "to": net.hubs[h].name, "mode": "truck",
                                  "commodity": net.commodities[p], "t": float(f[zk, h, p]),
                                  "km": float(net.d_zone_hub[zk, h])})
    return flows


