"""Checks of a network scenario before its arrays are built or solved: its size (the
``network_flows`` limit), names given twice, coordinates far from their prefecture, and
feasibility within each group of zones that reach the same destinations or hubs (the
binding constraint named)."""

from __future__ import annotations

import numpy as np

from junkan.core.errors import ModelError, Problem, coded, short
from junkan.core.limits import limits
from junkan.network.geo import (
    Place,
    distance_to_polygon_km,
    ports,
    prefecture_polygons,
    prefectures,
)
from junkan.network.scenario import NetworkScenario

MAX_SITE_OFFSET_KM = 50.0
"""Farthest a hub or destination given by ``lat``/``lon`` may lie from the outline of the
prefecture it names, km (an assumption). The shipped outlines hold each prefecture's main area
(the one with its prefectural office, coasts simplified at 1 km): the bridge-linked islands lie
within 35 km of it (Awaji, Sumoto: 34 km; Amakusa, Ushibuka: 31 km), the shipped sites within
25 km; islands trucks cannot reach lie farther (Oki 70 km, Tsushima 96 km, Ishigaki 402 km),
as do coordinates typed in the wrong prefecture or the wrong sign. The planner sends trucks to
a site from every zone of its prefecture's road-connected land, so a site farther out would be
planned as reached by road."""


def check_size(sc: NetworkScenario, source: str) -> None:
    """Refuse a scenario whose zone → hub flows (zones × candidate hubs × commodities) exceed
    the ``network_flows`` limit, before any hub is placed."""
    n_hubs = (len(ports()) if sc.hubs.ports else 0) + \
        (len(prefectures()) if sc.hubs.prefectural_capitals else 0) + len(sc.hubs.extra)
    flows = len(prefectures()) * n_hubs * len(sc.commodities)
    lim = limits()
    if flows > lim.network_flows:
        raise ModelError([coded("hubs.extra", "network-too-large", "{hubs} candidate hubs "
                                "({extra} in hubs.extra) × {zones} zones × {commodities} "
                                "commodities make {flows} zone → hub flows, more than the limit "
                                "{limit} ({setting})",
                                hubs=f"{n_hubs:,}", extra=f"{len(sc.hubs.extra):,}",
                                zones=len(prefectures()), commodities=len(sc.commodities),
                                flows=f"{flows:,}", limit=f"{lim.network_flows:,}",
                                setting=lim.env("network_flows"))],
                         source)


def _twice(names: list[tuple[str, str]], problems: list[Problem]) -> None:
    """``names``: (path, name) in order; a name met again (case and surrounding spaces
    ignored) is refused at its later path, naming the first."""
    seen: dict[str, str] = {}
    for path, name in names:
        key = name.strip().casefold()
        if key in seen:
            problems.append(coded(path, "name-twice", "{name} is already the name of {other}; "
                                  "give every hub and every destination its own name",
                                  name=short(name), other=seen[key]))
        else:
            seen[key] = path


def duplicate_names(sc: NetworkScenario, shipped: list[Place],
                    problems: list[Problem]) -> None:
    """Every candidate hub (the shipped ones included) and every destination needs its own
    name: plans, periods tables and demand factors refer to them by name."""
    _twice([(f"hubs.{'ports' if h.port else 'prefectural_capitals'} ({h.name})", h.name)
            for h in shipped] +
           [(f"hubs.extra[{n}].name", h.name) for n, h in enumerate(sc.hubs.extra)], problems)
    _twice([(f"destinations[{j}].name", d.name) for j, d in enumerate(sc.destinations)],
           problems)


def far_from_prefecture(place: Place, path: str, problems: list[Problem]) -> None:
    """Refuse coordinates more than :data:`MAX_SITE_OFFSET_KM` from the outline of the
    place's prefecture."""
    km = distance_to_polygon_km(prefecture_polygons()[place.prefecture], place.lon, place.lat)
    if km > MAX_SITE_OFFSET_KM:
        office = prefectures()[place.prefecture - 1]
        problems.append(coded(f"{path}.lat", "site-far-from-prefecture", "lat {lat}, lon {lon} "
                              "lie {km} km from {prefecture}; a site may lie at most {limit} km "
                              "from its prefecture (for an island trucks cannot reach, use a "
                              "port hub)", lat=f"{place.lat:g}", lon=f"{place.lon:g}",
                              km=f"{km:,.0f}", prefecture=office.name,
                              limit=f"{MAX_SITE_OFFSET_KM:g}"))


def _groups(reach: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(zones, targets) for each distinct set of targets a zone reaches (``reach``: (K, T)
    bool): the zones counted are every zone that reaches nothing outside that set."""
    out = []
    for row in {tuple(r) for r in reach if r.any()}:
        targets = np.array(row)
        zones = ~(reach & ~targets[None, :]).any(axis=1) & reach.any(axis=1)
        out.append((zones, targets))
    return out


def _names(places: list[Place], mask: np.ndarray) -> str:
    return ", ".join(p.name for p, m in zip(places, mask, strict=True) if m)


def check_reach(sc: NetworkScenario, zones: list[Place], dests: list[Place],
                collected: np.ndarray, dcap: np.ndarray, tiers: list[list[tuple[float, float]]],
                zone_hub_ok: np.ndarray, cost_hd: np.ndarray, modes: list[str],
                source: str) -> None:
    """Feasibility per group of zones: the supply of the zones that reach only some
    destinations (by truck to a hub, then by any mode the commodity may use) must fit those
    destinations' capacity, and the supply of the zones whose trucks reach only some hubs must
    fit those hubs' largest tiers. Raises naming the zones and the binding constraint."""
    hub_out = np.isfinite(cost_hd).any(axis=(1, 2))
    usable = zone_hub_ok & hub_out[None, :]
    cap = np.array([max(c for c, _ in t) for t in tiers])
    supplied = collected.sum(axis=1) > 0
    for zmask, hmask in _groups(usable[supplied]):
        zfull = np.zeros(len(zones), dtype=bool)
        zfull[np.flatnonzero(supplied)[zmask]] = True
        total = collected[zfull].sum()
        if total > cap[hmask].sum() * 1.0000001:
            raise ModelError([coded("hubs.tiers", "reachable-hubs-too-small", "infeasible: "
                                    "{collected} t/yr collected in {zones} can reach by truck "
                                    "only hubs whose largest tiers handle {capacity} t/yr (the "
                                    "hub-capacity constraint binds for them; trucks stay on "
                                    "road-connected land)", collected=f"{total:,.0f}",
                                    zones=_names(zones, zfull),
                                    capacity=f"{cap[hmask].sum():,.0f}")], source)
    for p, cname in enumerate(sc.commodities):
        h = sc.commodities[cname].handling
        allowed = np.array([h is None or h.modes is None or m in h.modes for m in modes])
        hub_dest = (np.isfinite(cost_hd) & allowed[None, None, :]).any(axis=2)  # (I, J)
        reach = (usable.astype(int) @ hub_dest.astype(int)) > 0  # (K, J)
        has = collected[:, p] > 0
        stuck = has & ~reach.any(axis=1)
        if stuck.any():
            raise ModelError([coded(
                f"commodities.{cname}.handling.modes", "commodity-stuck", "infeasible: {name} "
                "collected in {zones} can reach no destination by the modes it may use "
                "({modes}); allow another mode or add a destination it can reach",
                name=short(cname, 40), zones=_names(zones, stuck),
                modes=", ".join(m for m, a in zip(modes, allowed, strict=True) if a))], source)
        for zmask, dmask in _groups(reach[has]):
            zfull = np.zeros(len(zones), dtype=bool)
            zfull[np.flatnonzero(has)[zmask]] = True
            delivered = collected[zfull, p].sum() * (1 - sc.hubs.loss)
            accept = dcap[dmask, p].sum()
            if delivered > accept * 1.0000001:
                at = np.flatnonzero(dmask)
                path = f"destinations[{at[0]}]" if len(at) == 1 else "destinations[*]"
                raise ModelError([coded(
                    f"{path}.capacity.{cname}", "reachable-destinations-too-small",
                    "infeasible: {delivered} t/yr of {name} from {zones} can reach only "
                    "{destinations}, which accept {capacity} t/yr (the destination-capacity "
                    "constraint binds for them; trucks stay on road-connected land, ship needs "
                    "a port hub and a destination port); add capacity there or a way on to "
                    "other destinations", delivered=f"{delivered:,.0f}", name=short(cname, 40),
                    zones=_names(zones, zfull), destinations=_names(dests, dmask),
                    capacity=f"{accept:,.0f}")], source)
