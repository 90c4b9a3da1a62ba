"""A network scenario resolved into arrays: zones (the 47 prefectures), candidate hubs with
capacity tiers, destinations, distances and unit costs and emissions per leg and mode.

:func:`build` reports every problem it finds at once, and names the binding constraint
when the scenario cannot be feasible (destination capacity, hub capacity, a zone with no
hub that can send on)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from junkan.core.errors import ModelError, Problem, coded, listed, short
from junkan.core.transport import ModeField
from junkan.network.checks import check_reach, check_size, duplicate_names, far_from_prefecture
from junkan.network.geo import (
    Place,
    UnknownPrefecture,
    great_circle_km,
    ports,
    prefecture_code,
    prefectures,
    road_group,
    sites,
)
from junkan.network.proxy import ProxyTable
from junkan.network.scenario import NetworkScenario

Tiers = list[tuple[float, float]]
"""Capacity tiers of one hub: (capacity t/yr, annualised fixed cost JPY/yr)."""


@dataclass(frozen=True)
class Leg:
    """A transport mode's factors in the units the planner computes in."""

    cost: float  # JPY/(t*km)
    co2e: float  # kgCO2e/(t*km)
    detour_factor: float
    handling: float  # JPY/t per leg


@dataclass
class Network:
    """Arrays of one scenario (units: t/yr, km, JPY, kgCO2e)."""

    scenario: NetworkScenario
    zones: list[Place]
    hubs: list[Place]
    hub_tiers: list[Tiers]  # per hub: (capacity, fixed cost)
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
    mode_handling: np.ndarray | None = None  # (M,) JPY/t per trunk leg (in cost_hub_dest)

    def legs_by_commodity(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Unit cost (JPY/t) and CO2e (kg/t) per commodity: zone → hub (K, I, P) and
        hub → destination (I, J, M, P), with each commodity's :class:`Handling` applied
        (on-site and hub handling added, transport cost × cost_factor ÷ load_factor, CO2e ÷
        load_factor, inf where a trunk mode is not allowed for it)."""
        sc = self.scenario
        hub_h = sc.hubs.handling
        mh = self.mode_handling if self.mode_handling is not None else \
            np.zeros(len(self.modes))
        ok = self.zone_hub_ok[:, :, None]
        base_f = np.where(self.zone_hub_ok, self.cost_zone_hub - hub_h, 0.0)[:, :, None]
        base_g = (self.cost_hub_dest - mh[None, None, :])[..., None]
        cost_f, co2_f, cost_g, co2_g = [], [], [], []
        for name in self.commodities:
            h = sc.commodities[name].handling
            cf, lf = (h.cost_factor, h.load_factor) if h else (1.0, 1.0)
            extra = (h.on_site + h.at_hub) if h else 0.0
            cost_f.append(base_f[..., 0] * cf / lf + hub_h + extra)
            co2_f.append(self.co2_zone_hub / lf)
            allowed = np.array([h is None or h.modes is None or m in h.modes
                                for m in self.modes])
            g = np.where(allowed[None, None, :], base_g[..., 0] * cf / lf + mh[None, None, :],
                         np.inf)
            cost_g.append(g)
            co2_g.append(np.where(allowed[None, None, :], self.co2_hub_dest / lf, np.inf))
        return (np.where(ok, np.stack(cost_f, axis=-1), 0.0), np.stack(co2_f, axis=-1),
                np.stack(cost_g, axis=-1), np.stack(co2_g, axis=-1))


def _site_place(name: str, key: str, path: str, problems: list[Problem]) -> Place | None:
    site = sites().get(key.lower())
    if site is None:
        problems.append(coded(f"{path}.site", "unknown-site", "unknown site {name}; known: "
                              "{known}", name=short(key), known=listed(sites())))
        return None
    return Place(key=f"hub:{name}", name=name, ja=site.ja, prefecture=site.prefecture,
                 lat=site.lat, lon=site.lon, port=site.quay or site.port is not None)


def _place_for(name: str, prefecture: str | int | None, lat: float | None, lon: float | None,
               port: str | None, path: str, problems: list[Problem],
               site: str | None = None) -> Place | None:
    if site is not None:
        return _site_place(name, site, path, problems)
    if port is not None:
        for p in ports():
            if port.lower() in (p.name.lower(), p.name.lower().removesuffix(" port"), p.ja,
                                p.ja.removesuffix("港")):
                return Place(key=f"hub:{name}", name=name, ja=p.ja, prefecture=p.prefecture,
                             lat=p.lat, lon=p.lon, port=True)
        problems.append(coded(f"{path}.port", "unknown-port", "unknown port {name}; known: "
                              "{known}", name=short(port),
                              known=listed(p.name.removesuffix(' port') for p in ports())))
        return None
    if prefecture is None:
        problems.append(coded(path, "place-needed", "give a port or a prefecture (and "
                              "optionally lat/lon)"))
        return None
    try:
        code = prefecture_code(prefecture)
    except UnknownPrefecture as exc:
        problems.append(exc.problem(f"{path}.prefecture"))
        return None
    if (lat is None) != (lon is None):
        problems.append(coded(f"{path}.{'lon' if lon is None else 'lat'}", "lat-lon-pair",
                              "give both lat and lon, or neither (the prefectural office)"))
        return None
    office = prefectures()[code - 1]
    place = Place(key=f"hub:{name}", name=name, ja=office.ja, prefecture=code,
                  lat=lat if lat is not None else office.lat,
                  lon=lon if lon is not None else office.lon, port=False)
    if lat is not None:
        far_from_prefecture(place, path, problems)
    return place


def _collected(sc: NetworkScenario, zones: list[Place], problems: list[Problem]) -> np.ndarray:
    """(K, P) t/yr collected per zone and commodity."""
    collected = np.zeros((len(zones), len(sc.commodities)))
    pop = np.array([z.population for z in zones])
    for p, (cname, c) in enumerate(sc.commodities.items()):
        s = c.supply
        if s.national_total is not None:
            base = pop
            if isinstance(s.distribute_by, ProxyTable):  # caller's sourced proxy, all 47
                base = np.array(s.distribute_by.weights())[[z.prefecture - 1 for z in zones]]
            weight = base.copy()
            if s.within:
                mask = np.zeros(len(zones), dtype=bool)
                for n, key in enumerate(s.within):
                    try:
                        mask[prefecture_code(key) - 1] = True
                    except UnknownPrefecture as exc:
                        problems.append(exc.problem(f"commodities.{cname}.supply.within[{n}]"))
                weight = np.where(mask, base, 0.0)
            share = weight.sum() / base.sum() if s.regional_share else 1.0
            if weight.sum() > 0:
                collected[:, p] = (c.collection_rate * s.national_total / 1000 * share
                                   * weight / weight.sum())
        seen: dict[int, str] = {}
        for key, mass in s.by_prefecture.items():
            field = f"commodities.{cname}.supply.by_prefecture.{key}"
            try:
                code = prefecture_code(key)
            except UnknownPrefecture as exc:
                problems.append(exc.problem(field))
                continue
            if code in seen:
                problems.append(coded(field, "prefecture-twice", "{name} is the same "
                                      "prefecture as {other}; give it once",
                                      name=short(key), other=short(seen[code])))
                continue
            seen[code] = key
            collected[code - 1, p] = c.collection_rate * mass / 1000
    return collected


def _hubs(sc: NetworkScenario, zones: list[Place],
          problems: list[Problem]) -> tuple[list[Place], list[Tiers]]:
    """Candidate hubs (ports, prefectural offices, extra) and their tiers."""
    hubs: list[Place] = []
    tiers: list[Tiers] = []
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
    shipped = list(hubs)
    for n, h in enumerate(sc.hubs.extra):
        place = _place_for(h.name, h.prefecture, h.lat, h.lon, h.port, f"hubs.extra[{n}]",
                           problems, site=h.site)
        if place is not None:
            hubs.append(place)
            tiers.append([(t.capacity / 1000, t.fixed_cost) for t in h.tiers] if h.tiers
                         else default)
    duplicate_names(sc, shipped, problems)
    if not hubs:
        problems.append(coded("hubs", "no-hubs", "no candidate hubs: set ports or "
                              "prefectural_capitals to true, or list extra hubs"))
    return hubs, tiers


def _destinations(sc: NetworkScenario, comms: list[str], problems: list[Problem]
                  ) -> tuple[list[Place], list[Place | None], np.ndarray]:
    """Destinations, the port each may be reached by ship through, (J, P) capacity t/yr."""
    dests: list[Place] = []
    dports: list[Place | None] = []
    dcap = np.zeros((len(sc.destinations), len(comms)))
    for j, d in enumerate(sc.destinations):
        place = _place_for(d.name, d.prefecture, d.lat, d.lon, None, f"destinations[{j}]",
                           problems, site=d.site)
        if place is not None:
            dests.append(place)
        dp = None
        if d.port is not None:
            dp = _place_for(d.name, None, None, None, d.port, f"destinations[{j}]", problems)
        elif d.site is not None and place is not None and place.port:
            site = sites()[d.site.lower()]
            dp = place if site.quay or site.port is None else \
                _place_for(d.name, None, None, None, site.port, f"destinations[{j}]", problems)
        dports.append(dp)
        for cname, cap in d.capacity.items():
            if cname not in comms:
                problems.append(coded(f"destinations[{j}].capacity.{cname}",
                                      "unknown-commodity", "unknown commodity {name}; known: "
                                      "{known}", name=short(cname), known=listed(comms)))
            else:
                dcap[j, comms.index(cname)] = cap / 1000
    return dests, dports, dcap


LEG_FACTORS: tuple[tuple[ModeField, str, str], ...] = (
    ("cost", "JPY/(t*km)", "cost per t·km"), ("co2e", "kgCO2e/(t*km)", "emission factor"),
    ("handling", "JPY/t", "cost per tonne"))
"""The mode factors the planner reads: field, unit, and the name used in messages."""


def _legs(sc: NetworkScenario, problems: list[Problem]) -> dict[str, Leg]:
    """Each mode's cost, CO2e, detour factor and handling (cost, CO2e and the detour factor
    are required)."""
    out: dict[str, Leg] = {}
    for name, mode in sc.modes.items():
        got: dict[str, float | None] = {}
        for key, unit, what in LEG_FACTORS:
            try:
                got[key] = mode.quantity(key, unit, what)
            except ValueError as exc:
                problems.append(Problem(f"modes.{name}.{key}", str(exc)))
                got[key] = 0.0
        missing = [k for k in ("cost", "co2e") if got[k] is None]
        if mode.detour_factor is None:
            missing.append("detour_factor")
        problems.extend(Problem(f"modes.{name}.{key}", "required field is missing; add it",
                                "missing")  # pydantic's rule: the page says it in Japanese
                        for key in missing)
        out[name] = Leg(cost=got["cost"] or 0.0, co2e=got["co2e"] or 0.0,
                        detour_factor=mode.detour_factor or 1.0,
                        handling=got["handling"] or 0.0)
    return out


def _check_capacities(sc: NetworkScenario, comms: list[str], collected: np.ndarray,
                      dcap: np.ndarray, tiers: list[Tiers], source: str) -> None:
    """Feasibility: name the binding constraint."""
    total = collected.sum(axis=0)
    delivered = total * (1 - sc.hubs.loss)
    for p, cname in enumerate(comms):
        if delivered[p] > dcap[:, p].sum() * 1.0000001:
            raise ModelError([coded(
                f"destinations[*].capacity.{cname}", "destinations-too-small", "infeasible: "
                "{delivered} t/yr of {name} reach but destinations accept only {capacity} t/yr "
                "(the destination-capacity constraint binds); add capacity or lower the "
                "collection rate", delivered=f"{delivered[p]:,.0f}", name=short(cname, 40),
                capacity=f"{dcap[:, p].sum():,.0f}")], source)
    max_cap = sum(max(c for c, _ in t) for t in tiers)
    if total.sum() > max_cap * 1.0000001:
        raise ModelError([coded("hubs.tiers", "hubs-too-small", "infeasible: {collected} t/yr "
                                "collected but all candidate hubs at their largest tier handle "
                                "{capacity} t/yr (the hub-capacity constraint binds)",
                                collected=f"{total.sum():,.0f}", capacity=f"{max_cap:,.0f}")],
                         source)


def _trunk_arrays(sc: NetworkScenario, legs: dict[str, Leg], hubs: list[Place],
                  dests: list[Place], dports: list[Place | None]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(I, J, M) km, JPY/t and kgCO2e/t hub → destination per mode (inf where the mode
    cannot run: trucks stay on road-connected land, ships need a port hub and a
    destination port, rail needs rail terminals at both ends)."""
    truck = legs["truck"]
    hl, ho = np.array([h.lat for h in hubs]), np.array([h.lon for h in hubs])
    dl, do = np.array([d.lat for d in dests]), np.array([d.lon for d in dests])
    h_grp = np.array([road_group(h.prefecture) for h in hubs])
    d_grp = np.array([road_group(d.prefecture) for d in dests])
    same_hd = h_grp[:, None] == d_grp[None, :]
    gc_hd = great_circle_km(hl[:, None], ho[:, None], dl[None, :], do[None, :])
    d_hd = np.full((len(hubs), len(dests), len(legs)), np.inf)
    cost_hd = np.full_like(d_hd, np.inf)
    co2_hd = np.full_like(d_hd, np.inf)
    for m, (name, mode) in enumerate(legs.items()):
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
            # the extra hubs come last, in order (build refuses a scenario with a problem)
            hub_rail = np.array([False] * (len(hubs) - len(sc.hubs.extra)) +
                                [x.rail for x in sc.hubs.extra], dtype=bool)
            for j, d in enumerate(sc.destinations):
                if d.rail:
                    ok = hub_rail
                    d_hd[ok, j, m] = gc_hd[ok, j] * mode.detour_factor
                    cost_hd[ok, j, m] = d_hd[ok, j, m] * mode.cost + mode.handling
                    co2_hd[ok, j, m] = d_hd[ok, j, m] * mode.co2e
    return d_hd, cost_hd, co2_hd


def build(sc: NetworkScenario, source: str = "<scenario>") -> Network:
    """Resolve places, supply, distances and unit costs; report every problem at once."""
    check_size(sc, source)
    problems: list[Problem] = []
    zones = prefectures()
    comms = list(sc.commodities)
    collected = _collected(sc, zones, problems)
    hubs, tiers = _hubs(sc, zones, problems)
    dests, dports, dcap = _destinations(sc, comms, problems)
    legs = _legs(sc, problems)
    if problems:
        raise ModelError(problems, source)
    _check_capacities(sc, comms, collected, dcap, tiers, source)
    truck = legs["truck"]
    zl, zo = np.array([z.lat for z in zones]), np.array([z.lon for z in zones])
    hl, ho = np.array([h.lat for h in hubs]), np.array([h.lon for h in hubs])
    d_zh = great_circle_km(zl[:, None], zo[:, None], hl[None, :], ho[None, :]) * \
        truck.detour_factor
    z_grp = np.array([road_group(z.prefecture) for z in zones])
    h_grp = np.array([road_group(h.prefecture) for h in hubs])
    zone_hub_ok = z_grp[:, None] == h_grp[None, :]
    d_hd, cost_hd, co2_hd = _trunk_arrays(sc, legs, hubs, dests, dports)
    # every zone with supply must reach a hub that reaches a destination
    hub_out = np.isfinite(cost_hd).any(axis=(1, 2))
    stuck = [zones[k].name for k in np.flatnonzero(collected.sum(axis=1) > 0)
             if not (zone_hub_ok[k] & hub_out).any()]
    if stuck:
        raise ModelError([coded("hubs", "zones-stuck", "infeasible: no hub reachable by truck "
                                "from {zones} can send on to a destination (trucks stay on "
                                "road-connected land; ship needs a port hub and a destination "
                                "port) — add a port hub there or a destination",
                                zones=", ".join(stuck))], source)  # prefectures: at most 47
    if sc.periods is None:  # a plan over periods replaces these supplies and capacities
        check_reach(sc, zones, dests, collected, dcap, tiers, zone_hub_ok, cost_hd,
                    list(legs), source)
    return Network(scenario=sc, zones=zones, hubs=hubs, hub_tiers=tiers, dests=dests,
                   dest_port=dports, commodities=comms, modes=list(legs), collected=collected,
                   dest_cap=dcap, d_zone_hub=d_zh, d_hub_dest=d_hd, cost_hub_dest=cost_hd,
                   co2_hub_dest=co2_hd,
                   cost_zone_hub=np.where(zone_hub_ok, d_zh * truck.cost + sc.hubs.handling, 0),
                   co2_zone_hub=np.where(zone_hub_ok, d_zh * truck.co2e, 0),
                   zone_hub_ok=zone_hub_ok,
                   mode_handling=np.array([leg.handling for leg in legs.values()]))
