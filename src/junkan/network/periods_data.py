"""Supply and demand per period for planning over time (:mod:`junkan.network.multiperiod`).

Supply of period t, per area (prefecture) and commodity, in t/yr collected:

- ``periods.supply_by_year`` gives it per commodity and area (× the commodity's collection
  rate), replacing the commodity's spread — supply may grow in one region and shrink in
  another; areas not listed have none;
- otherwise the scenario's supply × ``periods.supply_factor`` of the commodity (default 1),
  every area alike.

Demand, per destination and commodity, in t/yr accepted:

- ``periods.demand_by_year`` gives it per commodity and destination, replacing that
  commodity's ``capacity`` at every destination (destinations not listed accept none);
- otherwise the destinations' capacity × the ``periods.demand_factor`` of the destination
  and of the commodity (default 1).

Each period is checked before any solver time is spent: supply arriving before a hub can be
on line (lead time), a year in which the destinations accept less than arrives, or the hubs
at their largest tier cannot carry the supply, an area with supply that no hub can serve —
each named with its field and year.

A scenario read from a file may give ``supply_by_year`` and ``demand_by_year`` as the names
of CSV files beside it (:mod:`junkan.network.periods_tables`: :func:`read_supply_csv`,
:func:`read_demand_csv`; errors name the file, line and column)::

    area,year,commodity,t                 destination,year,commodity,t
    Aichi,2030,panel,40000                Recycler Kanto,2030,panel,150000
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from junkan.core.errors import Problem, short
from junkan.network.geo import UnknownPrefecture, prefecture_code
from junkan.network.periods_tables import (
    read_demand_csv,
    read_supply_csv,
    resolve_table_files,
)

__all__ = ["MIN_SUPPLY_T", "period_checks", "period_demand", "period_supply", "read_demand_csv",
           "read_supply_csv", "resolve_supply_file", "resolve_table_files"]

if TYPE_CHECKING:
    from junkan.network.model import Network
    from junkan.network.scenario import Periods

MAX_PROBLEMS = 20
MIN_SUPPLY_T = 1e-3
"""The smallest non-zero supply of an area in a year (1 kg/yr): below it the MILP's
feasibility tolerance cannot tell it from 0, so one method would ignore it while another
opened a hub for it."""
resolve_supply_file = resolve_table_files
"""The former name of :func:`junkan.network.periods_tables.resolve_table_files`."""


def _unknown_commodity(field: str, name: str, net: Network) -> Problem:
    return Problem(field, f"unknown commodity {short(name)}; known: {', '.join(net.commodities)}")


def period_supply(net: Network, per: Periods) -> tuple[np.ndarray, list[Problem]]:
    """(K, P, T) t/yr collected per area, commodity and period, and the problems found."""
    problems = [_unknown_commodity(f"periods.supply_factor.{c}", c, net)
                for c in per.supply_factor if c not in net.commodities]
    t_ = len(per.years)
    factor = np.ones((len(net.commodities), t_))
    for c, f in per.supply_factor.items():
        if c in net.commodities:
            factor[net.commodities.index(c)] = f
    supply = net.collected[:, :, None] * factor[None, :, :]
    zone_of = {z.prefecture: k for k, z in enumerate(net.zones)}
    for c, table in per.supply_by_year.items():
        if c not in net.commodities:
            problems.append(_unknown_commodity(f"periods.supply_by_year.{c}", c, net))
            continue
        p = net.commodities.index(c)
        rate = net.scenario.commodities[c].collection_rate
        col = np.zeros((len(net.zones), t_))
        seen: dict[int, str] = {}
        for area, values in table.items():
            field = f"periods.supply_by_year.{c}.{area}"
            try:
                code = prefecture_code(area)
            except UnknownPrefecture as exc:
                problems.append(exc.problem(field))
                continue
            if code in seen:
                problems.append(Problem(field, f"the same prefecture as '{seen[code]}'"))
                continue
            seen[code] = area
            given = np.asarray(values, dtype=float)
            tiny = [y for y, v in zip(per.years, given, strict=True) if 0 < v < MIN_SUPPLY_T]
            if tiny:
                problems.append(Problem(field, f"{', '.join(map(str, tiny))}: below "
                                        f"{MIN_SUPPLY_T:g} t (1 kg) a supply is within the "
                                        "solver's tolerance of 0; give 0 or at least 0.001 t"))
            col[zone_of[code]] = rate * given
        supply[:, p, :] = col
    return supply, problems


def period_demand(net: Network, per: Periods) -> tuple[np.ndarray, list[Problem]]:
    """(J, P, T) t/yr the destinations accept per commodity and period, and the problems
    found (a ``demand_factor`` key that is no destination or commodity, or both; a
    ``demand_by_year`` commodity or destination that is not in the scenario)."""
    cap = np.repeat(net.dest_cap[:, :, None], len(per.years), axis=2)
    names = [d.name for d in net.scenario.destinations]
    problems: list[Problem] = []
    for key, f in per.demand_factor.items():
        field = f"periods.demand_factor.{key}"
        is_dest, is_comm = key in names, key in net.commodities
        if is_dest and is_comm:
            problems.append(Problem(field, f"'{key}' is both a destination and a commodity; "
                                    "rename one"))
        elif is_dest:
            cap[[j for j, n in enumerate(names) if n == key]] *= np.asarray(f)[None, None, :]
        elif is_comm:
            cap[:, net.commodities.index(key), :] *= np.asarray(f)[None, :]
        else:
            problems.append(Problem(field, f"unknown destination or commodity {short(key)}; "
                                    f"destinations: {', '.join(names)}; commodities: "
                                    f"{', '.join(net.commodities)}"))
    for c, table in per.demand_by_year.items():
        if c not in net.commodities:
            problems.append(_unknown_commodity(f"periods.demand_by_year.{c}", c, net))
            continue
        p = net.commodities.index(c)
        cap[:, p, :] = 0
        for dest, values in table.items():
            if dest not in names:
                problems.append(Problem(f"periods.demand_by_year.{c}.{dest}", f"unknown "
                                        f"destination {short(dest)}; destinations: "
                                        f"{', '.join(names)}"))
                continue
            cap[[j for j, n in enumerate(names) if n == dest], p, :] = np.asarray(values)
    return cap, problems


def _demand_field(per: Periods, c: str) -> str:
    if c in per.demand_by_year:
        return f"periods.demand_by_year.{c}"
    return "periods.demand_factor" if per.demand_factor else f"destinations[*].capacity.{c}"


def _supply_field(per: Periods, c: str) -> str:
    if c in per.supply_by_year:
        return f"periods.supply_by_year.{c}"
    return f"periods.supply_factor.{c}" if c in per.supply_factor else f"commodities.{c}"


def period_checks(net: Network, per: Periods, supply: np.ndarray,
                  cap: np.ndarray) -> list[Problem]:
    """Why the periods' supply and demand cannot be served, each named (field and year)."""
    problems: list[Problem] = []
    if per.lead_time and supply[:, :, :per.lead_time].any():
        problems.append(Problem("periods.lead_time", f"infeasible: supply arrives in "
                                f"{per.years[0]} but no hub can be on line before "
                                f"{per.years[min(per.lead_time, len(per.years) - 1)]}; set the "
                                "first periods' supply to 0 (supply_factor or supply_by_year) "
                                "or shorten the lead time"))
    loss = net.scenario.hubs.loss
    max_hub = sum(max(c for c, _ in t) for t in net.hub_tiers)
    hub_out = np.isfinite(net.cost_hub_dest).any(axis=(1, 2))
    served = (net.zone_hub_ok & hub_out[None, :]).any(axis=1)
    for t, year in enumerate(per.years):
        for p, c in enumerate(net.commodities):
            arrive, accept = supply[:, p, t].sum() * (1 - loss), cap[:, p, t].sum()
            if arrive > accept * 1.0000001 + 1e-9:
                field = _demand_field(per, c)
                problems.append(Problem(field, f"infeasible in {year}: {arrive:,.0f} t of {c} "
                                        f"reach the destinations but they accept only "
                                        f"{accept:,.0f} t that year ({_supply_field(per, c)} "
                                        "against the destination capacity)"))
        total = float(supply[:, :, t].sum())
        if total > max_hub * 1.0000001:
            problems.append(Problem("hubs.tiers", f"infeasible in {year}: {total:,.0f} t "
                                    "collected but all candidate hubs at their largest tier "
                                    f"handle {max_hub:,.0f} t/yr"))
    stuck = np.flatnonzero((supply.sum(axis=(1, 2)) > 0) & ~served)
    for k in stuck:
        c = net.commodities[int(np.argmax(supply[k].sum(axis=1)))]
        problems.append(Problem(_supply_field(per, c), f"infeasible: {net.zones[k].name} has "
                                "supply but no hub reachable by truck from it can send on to a "
                                "destination; add a hub there or a destination"))
    if not len(stuck):
        problems += _unreachable_in_a_year(net, per, supply, cap)
    return problems


def _unreachable_in_a_year(net: Network, per: Periods, supply: np.ndarray,
                           cap: np.ndarray) -> list[Problem]:
    """Areas whose supply of a commodity, in a year, can reach by truck only hubs whose
    destinations accept none of it that year (a ``demand_factor`` of 0, or a destination
    that opens later): each named with the year and the field to change."""
    linked = np.isfinite(net.cost_hub_dest).any(axis=2)  # (I, J): some mode connects them
    problems: list[Problem] = []
    for t, year in enumerate(per.years):
        for p, c in enumerate(net.commodities):
            open_dest = cap[:, p, t] > 0
            hub_ok = (linked & open_dest[None, :]).any(axis=1)
            reach = (net.zone_hub_ok & hub_ok[None, :]).any(axis=1)
            for k in np.flatnonzero((supply[:, p, t] > 0) & ~reach):
                field = _demand_field(per, c)
                problems.append(Problem(field, f"infeasible in {year}: {net.zones[k].name} "
                                        f"has {supply[k, p, t]:,.6g} t of {c} but no destination "
                                        "its hubs reach accepts any that year "
                                        f"({_supply_field(per, c)})"))
                if len(problems) >= MAX_PROBLEMS:
                    return problems
    return problems
