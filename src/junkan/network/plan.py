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
ε-constraint used for the cost–CO2 Pareto front."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.network.geo import (
    Place,
    great_circle_km,
    ports,
    prefecture_code,
    prefectures,
    road_group,
)
from junkan.network.scenario import NetworkScenario


@dataclass
class Network:
    """Arrays of one scenario (units: t/yr, km, JPY, kgCO2e)."""

    scenario: NetworkScenario
    zones: list[Place]
    hubs: list[Place]
    hub_tiers: list[list[tuple[float, float]]]  # per hub: (capacity, fixed cost)
    dests: list[Place]
    dest_port: list[Place | None]
    commodities: list[str]
    modes: list[str]
    collected: np.ndarray  # (K, P)
    dest_cap: np.ndarray  # (J, P)
    d_zone_hub: np.ndarray  # (K, I) km by truck
    d_hub_dest: np.ndarray  # (I, J, M) km, inf where the mode is unavailable
    cost_hub_dest: np.ndarray  # (I, J, M) JPY/t
    co2_hub_dest: np.ndarray  # (I, J, M) kgCO2e/t
    cost_zone_hub: np.ndarray  # (K, I) JPY/t
    co2_zone_hub: np.ndarray  # (K, I) kgCO2e/t
    zone_hub_ok: np.ndarray  # (K, I) bool: a truck can drive it (same road-connected land)


@dataclass
class Plan:
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


def _place_for(name: str, prefecture: str | int | None, lat: float | None, lon: float | None,
               port: str | None, path: str, problems: list[Problem],
               rail: bool = False) -> Place | None:
    if port is not None:
        for p in ports():
            if port.lower() in (p.name.lower(), p.name.lower().removesuffix(" port"), p.ja,
                                p.ja.removesuffix("港")):
                return Place(key=f"hub:{name}", name=name, ja=p.ja, prefecture=p.prefecture,
                             lat=p.lat, lon=p.lon, port=True)
        problems.append(Problem(f"{path}.port", f"unknown port {short(port)}; known: "
                                + ", ".join(p.name.removesuffix(' port') for p in ports())))
        return None
    if prefecture is None:
        problems.append(Problem(path, "give a port or a prefecture (and optionally lat/lon)"))
        return None
    try:
        code = prefecture_code(prefecture)
    except KeyError as exc:
        problems.append(Problem(f"{path}.prefecture", str(exc.args[0])))
        return None
    office = prefectures()[code - 1]
    return Place(key=f"hub:{name}", name=name, ja=office.ja, prefecture=code,
                 lat=lat if lat is not None else office.lat,
                 lon=lon if lon is not None else office.lon, port=False)


def build(sc: NetworkScenario, source: str = "<scenario>") -> Network:
    """Resolve places, supply, distances and unit costs; report every problem at once."""
    problems: list[Problem] = []
    zones = prefectures()
    comms = list(sc.commodities)
    collected = np.zeros((len(zones), len(comms)))
    pop = np.array([z.population for z in zones])
    for p, (cname, c) in enumerate(sc.commodities.items()):
        s = c.supply
        if s.national_total is not None:
            collected[:, p] = c.collection_rate * s.national_total / 1000 * pop / pop.sum()
        for key, mass in s.by_prefecture.items():
            try:
                collected[prefecture_code(key) - 1, p] = c.collection_rate * mass / 1000
            except KeyError as exc:
                problems.append(Problem(f"commodities.{cname}.supply.by_prefecture.{key}",
                                        str(exc.args[0])))
    hubs: list[Place] = []
    tiers: list[list[tuple[float, float]]] = []
    default = [(t.capacity / 1000, t.fixed_cost) for t in sc.hubs.tiers]
    if sc.hubs.ports:
        for pt in ports():
            hubs.append(pt)
            tiers.append(default)
    if sc.hubs.prefectural_capitals:
        for z in zones:
            hubs.append(Place(key=f"hub:{z.name}", name=f"{z.name} (prefectural office)",
                              ja=z.ja, prefecture=z.prefecture, lat=z.lat, lon=z.lon,
                              port=False))
            tiers.append(default)
    for n, h in enumerate(sc.hubs.extra):
        place = _place_for(h.name, h.prefecture, h.lat, h.lon, h.port, f"hubs.extra[{n}]",
                           problems)
        if place is not None:
            hubs.append(place)
            tiers.append([(t.capacity / 1000, t.fixed_cost) for t in h.tiers] if h.tiers
                         else default)
    if not hubs:
        problems.append(Problem("hubs", "no candidate hubs: set ports or prefectural_capitals "
                                        "to true, or list extra hubs"))
    dests: list[Place] = []
    dports: list[Place | None] = []
    dcap = np.zeros((len(sc.destinations), len(comms)))
    for j, d in enumerate(sc.destinations):
        place = _place_for(d.name, d.prefecture, d.lat, d.lon, None, f"destinations[{j}]",
                           problems)
        if place is not None:
            dests.append(place)
        dp = None
        if d.port is not None:
            dp = _place_for(d.name, None, None, None, d.port, f"destinations[{j}]", problems)
        dports.append(dp)
        for cname, cap in d.capacity.items():
            if cname not in comms:
                problems.append(Problem(f"destinations[{j}].capacity.{cname}",
                                        f"unknown commodity '{cname}'; known: {', '.join(comms)}"))
            else:
                dcap[j, comms.index(cname)] = cap / 1000
    if problems:
        raise ModelError(problems, source)
    # feasibility: name the binding constraint
    total = collected.sum(axis=0)
    delivered = total * (1 - sc.hubs.loss)
    for p, cname in enumerate(comms):
        if delivered[p] > dcap[:, p].sum() * 1.0000001:
            raise ModelError([Problem(f"destinations[*].capacity.{cname}",
                                      f"infeasible: {delivered[p]:,.0f} t/yr of {cname} reach "
                                      f"but destinations accept only {dcap[:, p].sum():,.0f} t/yr "
                                      "(the destination-capacity constraint binds); add capacity "
                                      "or lower the collection rate")], source)
    max_cap = sum(max(c for c, _ in t) for t in tiers)
    if total.sum() > max_cap * 1.0000001:
        raise ModelError([Problem("hubs.tiers", f"infeasible: {total.sum():,.0f} t/yr collected "
                                  f"but all candidate hubs at their largest tier handle "
                                  f"{max_cap:,.0f} t/yr (the hub-capacity constraint binds)")],
                         source)
    modes: list[str] = list(sc.modes)
    truck = sc.modes["truck"]
    zl, zo = np.array([z.lat for z in zones]), np.array([z.lon for z in zones])
    hl, ho = np.array([h.lat for h in hubs]), np.array([h.lon for h in hubs])
    dl, do = np.array([d.lat for d in dests]), np.array([d.lon for d in dests])
    d_zh = great_circle_km(zl[:, None], zo[:, None], hl[None, :], ho[None, :]) * \
        truck.detour_factor
    z_grp = np.array([road_group(z.prefecture) for z in zones])
    h_grp = np.array([road_group(h.prefecture) for h in hubs])
    d_grp = np.array([road_group(d.prefecture) for d in dests])
    zone_hub_ok = z_grp[:, None] == h_grp[None, :]
    same_hd = h_grp[:, None] == d_grp[None, :]
    gc_hd = great_circle_km(hl[:, None], ho[:, None], dl[None, :], do[None, :])
    d_hd = np.full((len(hubs), len(dests), len(modes)), np.inf)
    cost_hd = np.full_like(d_hd, np.inf)
    co2_hd = np.full_like(d_hd, np.inf)
    for m, (name, mode) in enumerate(sc.modes.items()):
        if name == "truck":
            d_hd[:, :, m] = np.where(same_hd, gc_hd * mode.detour_factor, np.inf)
            cost_hd[:, :, m] = d_hd[:, :, m] * mode.cost + mode.handling
            co2_hd[:, :, m] = d_hd[:, :, m] * mode.co2e
        elif name == "ship":
            for j, dp in enumerate(dports):
                if dp is None:
                    continue
                sea = great_circle_km(hl, ho, dp.lat, dp.lon) * mode.detour_factor
                last = great_circle_km(dp.lat, dp.lon, dests[j].lat, dests[j].lon) * \
                    truck.detour_factor
                ok = np.array([h.port for h in hubs]) & (sea > 0)
                d_hd[ok, j, m] = (sea + last)[ok]
                cost_hd[ok, j, m] = (sea * mode.cost + mode.handling + last * truck.cost)[ok]
                co2_hd[ok, j, m] = (sea * mode.co2e + last * truck.co2e)[ok]
        elif name == "rail":
            hub_rail = np.array([any(h.name == x.name and x.rail for x in sc.hubs.extra)
                                 for h in hubs])
            for j, d in enumerate(sc.destinations):
                if d.rail:
                    ok = hub_rail
                    d_hd[ok, j, m] = gc_hd[ok, j] * mode.detour_factor
                    cost_hd[ok, j, m] = d_hd[ok, j, m] * mode.cost + mode.handling
                    co2_hd[ok, j, m] = d_hd[ok, j, m] * mode.co2e
    # every zone with supply must reach a hub that reaches a destination
    hub_out = np.isfinite(cost_hd).any(axis=(1, 2))
    stuck = [zones[k].name for k in np.flatnonzero(collected.sum(axis=1) > 0)
             if not (zone_hub_ok[k] & hub_out).any()]
    if stuck:
        raise ModelError([Problem("hubs", f"infeasible: no hub reachable by truck from "
                                  f"{', '.join(stuck)} can send on to a destination (trucks stay "
                                  "on road-connected land; ship needs a port hub and a "
                                  "destination port) — add a port hub there or a destination")],
                         source)
    return Network(scenario=sc, zones=zones, hubs=hubs, hub_tiers=tiers, dests=dests,
                   dest_port=dports, commodities=comms, modes=modes, collected=collected,
                   dest_cap=dcap, d_zone_hub=d_zh, d_hub_dest=d_hd, cost_hub_dest=cost_hd,
                   co2_hub_dest=co2_hd,
                   cost_zone_hub=np.where(zone_hub_ok, d_zh * truck.cost + sc.hubs.handling, 0),
                   co2_zone_hub=np.where(zone_hub_ok, d_zh * truck.co2e, 0),
                   zone_hub_ok=zone_hub_ok)


def solve(net: Network, *, carbon_price: float | None = None, co2_cap_t: float | None = None,
          minimise: str = "cost", time_limit: float | None = None,
          mip_rel_gap: float | None = None) -> Plan:
    """Solve; ``minimise='co2'`` gives the CO2-minimal plan (for the Pareto front)."""
    sc = net.scenario
    price = sc.carbon_price if carbon_price is None else carbon_price  # JPY per tCO2e
    cap_t = sc.co2_cap_t if co2_cap_t is None else co2_cap_t
    k_, i_, p_ = net.collected.shape[0], len(net.hubs), len(net.commodities)
    j_ = len(net.dests)
    n_tiers = [len(t) for t in net.hub_tiers]
    z_off = np.concatenate([[0], np.cumsum(n_tiers)])
    nz = int(z_off[-1])
    # allowed hub→destination arcs (i, j, m) — same for every commodity
    arcs = np.argwhere(np.isfinite(net.cost_hub_dest))
    na = len(arcs)
    nf = k_ * i_ * p_
    ng = na * p_
    n = nz + nf + ng
    f0, g0 = nz, nz + nf

    def fidx(k: np.ndarray, i: np.ndarray, p: np.ndarray) -> np.ndarray:
        return f0 + (k * i_ + i) * p_ + p

    def gidx(a: np.ndarray, p: np.ndarray) -> np.ndarray:
        return g0 + a * p_ + p

    fixed = np.concatenate([[c for _, c in t] for t in net.hub_tiers])
    caps = np.concatenate([[c for c, _ in t] for t in net.hub_tiers])
    f_cost = np.repeat(net.cost_zone_hub.ravel(), p_)
    f_co2 = np.repeat(net.co2_zone_hub.ravel(), p_) / 1000  # t CO2e per t
    g_cost = np.repeat(net.cost_hub_dest[arcs[:, 0], arcs[:, 1], arcs[:, 2]], p_)
    g_co2 = np.repeat(net.co2_hub_dest[arcs[:, 0], arcs[:, 1], arcs[:, 2]], p_) / 1000
    co2_vec = np.concatenate([np.zeros(nz), f_co2, g_co2])
    cost_vec = np.concatenate([fixed, f_cost, g_cost])
    c = co2_vec.copy() if minimise == "co2" else cost_vec + price * co2_vec
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    r0 = 0

    def add(r: np.ndarray, cc: np.ndarray, v: np.ndarray, lower: np.ndarray,
            upper: np.ndarray, count: int) -> None:
        nonlocal r0
        rows.append(r + r0)
        cols.append(cc)
        vals.append(v)
        lo.append(lower)
        hi.append(upper)
        r0 += count

    grid = np.meshgrid(np.arange(k_), np.arange(i_), np.arange(p_), indexing="ij")
    kk, ii, pp = (g_.ravel() for g_ in grid)
    # (1) Σ_i f = collected[k, p]
    add(kk * p_ + pp, fidx(kk, ii, pp), np.ones(nf), net.collected.ravel(),
        net.collected.ravel(), k_ * p_)
    # (2) hub balance per (i, p): Σ g − (1 − loss) Σ f = 0
    loss = sc.hubs.loss
    a_idx = np.repeat(np.arange(na), p_)
    p_idx = np.tile(np.arange(p_), na)
    bal_r = np.concatenate([arcs[a_idx, 0] * p_ + p_idx, ii * p_ + pp])
    bal_c = np.concatenate([gidx(a_idx, p_idx), fidx(kk, ii, pp)])
    bal_v = np.concatenate([np.ones(ng), -(1 - loss) * np.ones(nf)])
    add(bal_r, bal_c, bal_v, np.zeros(i_ * p_), np.zeros(i_ * p_), i_ * p_)
    # (3) hub capacity: Σ_{k,p} f − Σ_l cap z ≤ 0
    hub_of_z = np.repeat(np.arange(i_), n_tiers)
    add(np.concatenate([ii, hub_of_z]), np.concatenate([fidx(kk, ii, pp), np.arange(nz)]),
        np.concatenate([np.ones(nf), -caps]), np.full(i_, -np.inf), np.zeros(i_), i_)
    # (4) one tier per hub
    add(hub_of_z, np.arange(nz), np.ones(nz), np.full(i_, -np.inf), np.ones(i_), i_)
    # (5) destination capacity per (j, p)
    add(arcs[a_idx, 1] * p_ + p_idx, gidx(a_idx, p_idx), np.ones(ng),
        np.full(j_ * p_, -np.inf), net.dest_cap.ravel(), j_ * p_)
    # (6) strong linking: f[k,i,p] − coll[k,p] Σ_l z[i,l] ≤ 0 (only where supply > 0)
    if sc.linking == "aggregated":
        # Σ_p f[k,i,p] − (Σ_p coll[k,p]) Σ_l z[i,l] ≤ 0 for reachable (k, i)
        ki = np.argwhere(net.zone_hub_ok & (net.collected.sum(axis=1) > 0)[:, None])
        nl = len(ki)
        rr = np.arange(nl)
        kz, hz = ki[:, 0], ki[:, 1]
        f_rows = np.repeat(rr, p_)
        f_cols = fidx(np.repeat(kz, p_), np.repeat(hz, p_), np.tile(np.arange(p_), nl))
        z_rows = np.repeat(rr, np.array(n_tiers)[hz])
        z_cols = np.concatenate([np.arange(z_off[h], z_off[h + 1]) for h in hz]) \
            if nl else np.zeros(0, dtype=int)
        tot = net.collected.sum(axis=1)[kz]
        add(np.concatenate([f_rows, z_rows]), np.concatenate([f_cols, z_cols]),
            np.concatenate([np.ones(nl * p_), -np.repeat(tot, np.array(n_tiers)[hz])]),
            np.full(nl, -np.inf), np.zeros(nl), nl)
    elif sc.linking == "per_commodity":
        coll = net.collected[kk, pp]
        keep = coll > 0
        rk = np.flatnonzero(keep)
        nl = len(rk)
        rr = np.arange(nl)
        z_rows = np.repeat(rr, np.array(n_tiers)[ii[rk]])
        z_cols = np.concatenate([np.arange(z_off[h], z_off[h + 1]) for h in ii[rk]]) \
            if nl else np.zeros(0, dtype=int)
        add(np.concatenate([rr, z_rows]), np.concatenate([fidx(kk[rk], ii[rk], pp[rk]),
                                                         z_cols]),
            np.concatenate([np.ones(nl), -np.repeat(coll[rk], np.array(n_tiers)[ii[rk]])]),
            np.full(nl, -np.inf), np.zeros(nl), nl)
    if cap_t is not None:
        nzc = np.flatnonzero(co2_vec)
        add(np.zeros(len(nzc), dtype=int), nzc, co2_vec[nzc], np.array([-np.inf]),
            np.array([cap_t]), 1)
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r0, n))
    integrality = np.concatenate([np.ones(nz), np.zeros(nf + ng)])
    f_upper = np.where(np.repeat(net.zone_hub_ok.ravel(), p_), np.inf, 0.0)
    upper = np.concatenate([np.ones(nz), f_upper, np.full(ng, np.inf)])
    t0 = time.perf_counter()
    with quiet_stdout():
        res = milp(c, constraints=LinearConstraint(a, np.concatenate(lo), np.concatenate(hi)),
                   integrality=integrality, bounds=Bounds(np.zeros(n), upper),
                   options={"mip_rel_gap": mip_rel_gap or sc.mip_rel_gap, "disp": False,
                            "time_limit": time_limit or sc.time_limit_s})
    dt = time.perf_counter() - t0
    if res.x is None:
        hint = " (the CO2 cap binds: raise co2_cap_t)" if cap_t is not None else ""
        raise JunkanError(f"no feasible plan: {res.message}{hint}")
    x = res.x
    z = x[:nz]
    f = x[f0:g0].reshape(k_, i_, p_)
    g = x[g0:].reshape(na, p_)
    cost = float(cost_vec @ x)
    co2 = float(co2_vec @ x)
    open_hubs = []
    for h in range(i_):
        zl = z[z_off[h]:z_off[h + 1]]
        if zl.max(initial=0) > 0.5:
            tier = int(np.argmax(zl))
            cap_h, fc = net.hub_tiers[h][tier]
            inflow = float(f[:, h, :].sum())
            open_hubs.append({"hub": net.hubs[h].name, "prefecture": net.hubs[h].prefecture,
                              "lat": net.hubs[h].lat, "lon": net.hubs[h].lon,
                              "port": net.hubs[h].port, "tier": tier, "capacity_t": cap_h,
                              "fixed_cost": fc, "inflow_t": inflow,
                              "utilisation": inflow / cap_h})
    flows = []
    for (h, j, m), row in zip(arcs, g, strict=True):
        for p in range(p_):
            if row[p] > 1e-6:
                flows.append({"leg": "trunk", "from": net.hubs[h].name,
                              "to": net.dests[j].name, "mode": net.modes[m],
                              "commodity": net.commodities[p], "t": float(row[p]),
                              "km": float(net.d_hub_dest[h, j, m])})
    for zk in range(k_):
        for h in range(i_):
            for p in range(p_):
                if f[zk, h, p] > 1e-6:
                    flows.append({"leg": "collection", "from": net.zones[zk].name,
                                  "to": net.hubs[h].name, "mode": "truck",
                                  "commodity": net.commodities[p], "t": float(f[zk, h, p]),
                                  "km": float(net.d_zone_hub[zk, h])})
    breakdown = {"fixed": float(fixed @ z), "collection_transport": float(f_cost @ x[f0:g0]),
                 "trunk_transport": float(g_cost @ x[g0:]), "carbon": price * co2}
    return Plan(status=str(res.message), objective=float(res.fun), cost=cost, co2_t=co2,
                mip_gap=float(getattr(res, "mip_gap", 0.0) or 0.0), seconds=dt,
                open_hubs=open_hubs, flows=flows, cost_breakdown=breakdown, network=net)


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
