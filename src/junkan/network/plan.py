"""Build and solve the multi-echelon reverse-logistics MILP with HiGHS (scipy.optimize.milp).

Sets: k zones (47 prefectures), i candidate hubs, l capacity tiers, j destinations,
m modes, p commodities. Variables: f[k,i,p] ≥ 0 collected t/yr by truck from zone to hub;
g[i,j,m,p] ≥ 0 t/yr from hub to destination by mode (ship only port → port, rail only
between rail terminals); z[i,l] ∈ {0,1}. Constraints::

    Σ_i f[k,i,p] = r_p · S[k,p]                    every collected tonne goes to a hub
    Σ_{j,m} g[i,j,m,p] = (1 − loss) Σ_k f[k,i,p]   hub balance
    Σ_{k,p} f[k,i,p] ≤ Σ_l cap_l z[i,l]            hub capacity (tier chosen)
    Σ_l z[i,l] ≤ 1                                  one tier per hub
    Σ_{i,m} g[i,j,m,p] ≤ cap[j,p]                   destination capacity
    f[k,i,p] ≤ r_p S[k,p] Σ_l z[i,l]                strong linking (optional, tighter LP)

Objective: Σ fixed·z + Σ (handling + c_truck d_ki) f + Σ (c_m d_ijm + handling_m) g
+ carbon price · CO2, with CO2 = Σ ef_m · t · km. An optional CO2 cap gives the
ε-constraint used for the cost–CO2 Pareto front (Haimes, Lasdon & Wismer 1971)."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from junkan.core.errors import JunkanError
from junkan.network.model import Network, build

__all__ = ["Network", "Plan", "build", "pareto", "quiet_stdout", "sensitivity", "solve"]


@dataclass
class Plan:
    """A solved plan: hubs opened (with tier, inflow, utilisation), flows per leg, cost and
    CO2e (t/yr). ``to_json()`` is the document the CLI and the API return."""

    status: str
    objective: float
    cost: float
    co2_t: float
    mip_gap: float
    seconds: float
    open_hubs: list[dict[str, Any]]
    flows: list[dict[str, Any]] = field(default_factory=list)
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    network: Network | None = None

    def to_json(self, *, flows: bool = True, places: bool = False) -> dict[str, Any]:
        """The plan's JSON-ready document (``junkan.network.report.plan_document``):
        ``flows=False`` leaves the flow list out (the CLI's ``--format json``),
        ``places=True`` adds destinations and the coordinates of every zone and hub (what
        the service's map needs)."""
        from junkan.core.encoding import jsonable
        from junkan.network.report import plan_document

        doc = plan_document(self)
        if not flows:
            doc = {k: v for k, v in doc.items() if k != "flows"}
        if places and self.network is not None:
            net = self.network
            doc["destinations"] = [{"name": d.name, "lat": d.lat, "lon": d.lon}
                                   for d in net.dests]
            doc["places"] = {p.name: [p.lon, p.lat] for p in (*net.zones, *net.hubs)}
        return dict(jsonable(doc))

    def to_frame(self) -> Any:
        """The flows as a table: leg, from, to, mode, commodity, t (t/yr), km."""
        import pandas as pd

        return pd.DataFrame(self.flows, columns=["leg", "from", "to", "mode", "commodity", "t",
                                                 "km"])

    def hubs_frame(self) -> Any:
        """The hubs opened as a table (hub, prefecture, tier, capacity_t, inflow_t, …)."""
        import pandas as pd

        return pd.DataFrame(self.open_hubs)

    def report(self, out: str | Path, title: str | None = None,
               pareto_front: list[Plan] | None = None,
               sensitivity_rows: list[dict[str, Any]] | None = None) -> Path:
        """Write maps (PNG, SVG), ``report.html`` and ``plan.json`` into ``out`` (through
        :mod:`junkan.network.report`); returns the page's path."""
        from junkan.network.report import write_report

        out = Path(out)
        if title is None:
            sc = self.network.scenario if self.network is not None else None
            title = (sc.title or sc.name) if sc is not None else "Network plan"
        write_report(self, out, title, pareto_front, sensitivity_rows)
        return out / "report.html"


@dataclass(frozen=True)
class _Layout:
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
    def of(cls, net: Network) -> _Layout:
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


class _Rows:
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


def _flow_constraints(net: Network, lay: _Layout, rows: _Rows) -> None:
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


def _linking(net: Network, lay: _Layout, rows: _Rows) -> None:
    """(6) strong linking: f[k,i,p] − coll[k,p] Σ_l z[i,l] ≤ 0 (only where supply > 0),
    per commodity or summed over commodities (``linking`` in the scenario)."""
    p_ = lay.p
    n_tiers = lay.n_tiers
    if net.scenario.linking == "aggregated":
        # Σ_p f[k,i,p] − (Σ_p coll[k,p]) Σ_l z[i,l] ≤ 0 for reachable (k, i)
        ki = np.argwhere(net.zone_hub_ok & (net.collected.sum(axis=1) > 0)[:, None])
        nl = len(ki)
        rr = np.arange(nl)
        kz, hz = ki[:, 0], ki[:, 1]
        f_rows = np.repeat(rr, p_)
        f_cols = lay.fidx(np.repeat(kz, p_), np.repeat(hz, p_), np.tile(np.arange(p_), nl))
        z_rows = np.repeat(rr, n_tiers[hz])
        tot = net.collected.sum(axis=1)[kz]
        rows.add(np.concatenate([f_rows, z_rows]),
                 np.concatenate([f_cols, lay.tier_columns(hz)]),
                 np.concatenate([np.ones(nl * p_), -np.repeat(tot, n_tiers[hz])]),
                 np.full(nl, -np.inf), np.zeros(nl), nl)
    elif net.scenario.linking == "per_commodity":
        grid = np.meshgrid(np.arange(lay.k), np.arange(lay.i), np.arange(p_), indexing="ij")
        kk, ii, pp = (g_.ravel() for g_ in grid)
        coll = net.collected[kk, pp]
        rk = np.flatnonzero(coll > 0)
        nl = len(rk)
        rr = np.arange(nl)
        z_rows = np.repeat(rr, n_tiers[ii[rk]])
        rows.add(np.concatenate([rr, z_rows]),
                 np.concatenate([lay.fidx(kk[rk], ii[rk], pp[rk]), lay.tier_columns(ii[rk])]),
                 np.concatenate([np.ones(nl), -np.repeat(coll[rk], n_tiers[ii[rk]])]),
                 np.full(nl, -np.inf), np.zeros(nl), nl)


def _open_hubs(net: Network, lay: _Layout, z: np.ndarray, f: np.ndarray
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


def _flows(net: Network, lay: _Layout, f: np.ndarray, g: np.ndarray) -> list[dict[str, Any]]:
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


def solve(net: Network, *, carbon_price: float | None = None, co2_cap_t: float | None = None,
          minimise: str = "cost", time_limit: float | None = None,
          mip_rel_gap: float | None = None) -> Plan:
    """Solve; ``minimise='co2'`` gives the CO2-minimal plan (for the Pareto front)."""
    sc = net.scenario
    price = sc.carbon_price if carbon_price is None else carbon_price  # JPY per tCO2e
    cap_t = sc.co2_cap_t if co2_cap_t is None else co2_cap_t
    lay = _Layout.of(net)
    arcs, p_ = lay.arcs, lay.p
    fixed = np.concatenate([[c for _, c in t] for t in net.hub_tiers])
    f_cost = np.repeat(net.cost_zone_hub.ravel(), p_)
    f_co2 = np.repeat(net.co2_zone_hub.ravel(), p_) / 1000  # t CO2e per t
    g_cost = np.repeat(net.cost_hub_dest[arcs[:, 0], arcs[:, 1], arcs[:, 2]], p_)
    g_co2 = np.repeat(net.co2_hub_dest[arcs[:, 0], arcs[:, 1], arcs[:, 2]], p_) / 1000
    co2_vec = np.concatenate([np.zeros(lay.nz), f_co2, g_co2])
    cost_vec = np.concatenate([fixed, f_cost, g_cost])
    c = co2_vec.copy() if minimise == "co2" else cost_vec + price * co2_vec
    rows = _Rows()
    _flow_constraints(net, lay, rows)
    _linking(net, lay, rows)
    if cap_t is not None:
        nzc = np.flatnonzero(co2_vec)
        rows.add(np.zeros(len(nzc), dtype=int), nzc, co2_vec[nzc], np.array([-np.inf]),
                 np.array([cap_t]), 1)
    integrality = np.concatenate([np.ones(lay.nz), np.zeros(lay.nf + lay.ng)])
    f_upper = np.where(np.repeat(net.zone_hub_ok.ravel(), p_), np.inf, 0.0)
    upper = np.concatenate([np.ones(lay.nz), f_upper, np.full(lay.ng, np.inf)])
    t0 = time.perf_counter()
    with quiet_stdout():
        res = milp(c, constraints=rows.constraint(lay.n), integrality=integrality,
                   bounds=Bounds(np.zeros(lay.n), upper),
                   options={"mip_rel_gap": mip_rel_gap or sc.mip_rel_gap, "disp": False,
                            "time_limit": time_limit or sc.time_limit_s})
    dt = time.perf_counter() - t0
    if res.x is None:
        hint = " (the CO2 cap binds: raise co2_cap_t)" if cap_t is not None else ""
        raise JunkanError(f"no feasible plan: {res.message}{hint}")
    x = res.x
    f = x[lay.f0:lay.g0].reshape(lay.k, lay.i, p_)
    g = x[lay.g0:].reshape(len(arcs), p_)
    co2 = float(co2_vec @ x)
    breakdown = {"fixed": float(fixed @ x[:lay.nz]),
                 "collection_transport": float(f_cost @ x[lay.f0:lay.g0]),
                 "trunk_transport": float(g_cost @ x[lay.g0:]), "carbon": price * co2}
    return Plan(status=str(res.message), objective=float(res.fun), cost=float(cost_vec @ x),
                co2_t=co2, mip_gap=float(getattr(res, "mip_gap", 0.0) or 0.0), seconds=dt,
                open_hubs=_open_hubs(net, lay, x[:lay.nz], f), flows=_flows(net, lay, f, g),
                cost_breakdown=breakdown, network=net)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout (HiGHS prints debug lines there even with
    ``disp=False``), so machine-readable CLI output stays clean."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
def sensitivity(net: Network, *, carbon_prices: list[float] | None = None,
                collection_rates: list[float] | None = None) -> list[dict[str, Any]]:
    """Cost, CO2 and hubs opened across carbon prices (JPY/tCO2e) and collection-rate
    multipliers (applied to every commodity's collected supply)."""
    rows = []
    for price in carbon_prices or []:
        p = solve(net, carbon_price=price)
        rows.append({"parameter": "carbon_price_JPY_per_tCO2e", "value": price,
                     "cost_JPY": p.cost, "co2_t": p.co2_t, "hubs": len(p.open_hubs)})
    base = net.collected.copy()
    try:
        for rate in collection_rates or []:
            net.collected = base * rate
            p = solve(net)
            rows.append({"parameter": "collection_rate_multiplier", "value": rate,
                         "cost_JPY": p.cost, "co2_t": p.co2_t, "hubs": len(p.open_hubs)})
    finally:
        net.collected = base
    return rows


def pareto(net: Network, points: int = 6) -> list[Plan]:
    """Cost–CO2 Pareto front by the ε-constraint method: the cost-minimal plan, the
    CO2-minimal plan, and cost-minimal plans under evenly spaced CO2 caps in between."""
    cheapest = solve(net, carbon_price=0.0)
    greenest = solve(net, minimise="co2")
    out = [cheapest]
    hi, lo = cheapest.co2_t, greenest.co2_t
    for cap in np.linspace(hi, lo, points)[1:-1]:
        out.append(solve(net, carbon_price=0.0, co2_cap_t=float(cap)))
    out.append(solve(net, carbon_price=0.0, co2_cap_t=lo * (1 + 1e-7) + 1e-9))
    return out
