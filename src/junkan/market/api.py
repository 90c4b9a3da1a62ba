"""The verbs of :mod:`junkan.market`: ``load``, ``run`` (= ``match``), ``offer`` (what a
seller's lots meet among the conditions granted to it), ``visible_conditions`` and
``seen_by`` (a condition as one organisation sees it)."""

from __future__ import annotations

import time
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem, brief, coded, listed, nearest
from junkan.core.transport import Mode
from junkan.grading import (
    GradeResult,
    GradingError,
    compile_sets,
    grade,
    resolve,
    stored_values,
)
from junkan.market.arcs import Setting, access, build_arcs
from junkan.market.explain import explain, unserved
from junkan.market.milp import solve
from junkan.market.odrl import granted, to_odrl
from junkan.market.reach import one_delivery, priceable, reach
from junkan.market.result import MatchResult
from junkan.market.schema import Condition, Market, Solver
from junkan.market.usable import condition_problems


@lru_cache(maxsize=1)
def defaults() -> dict[str, Any]:
    """``data/market/defaults.yaml``: the transport mode and solver settings used when a
    document gives none (the truck cost there is an assumption; see its source)."""
    text = (resources.files("junkan.data") / "market" / "defaults.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def load(path: str | Path | None = None, *, text: str | None = None) -> Market:
    """Read a market document (lots, conditions, pools, transport, solver); errors name the
    file, the path and the field — unknown properties, unit mismatches, contradictory
    criteria and unreachable minimum lots included."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    doc = read_document(path) if path is not None else parse_document(text or "", source=source)
    market = validate_with(Market, doc, source)
    try:
        check(market)
    except ModelError as exc:
        raise GradingError(exc.problems, source) from None
    return market


def check(market: Market) -> None:
    """Checks that need the catalogue: lots' values and units, conditions' criteria and
    price premiums, and minimum lots no set of offers could reach."""
    if market.transport is not None:
        _detour_at_least_one(market.transport)
        _transport_quantities(market.transport)
    values = [stored_values(lot.item, f"lots[{i}].item") for i, lot in enumerate(market.lots)]
    # what a condition gets wrong on its own, lots or none (a condition is posted alone)
    wrong = [Problem(f"conditions[{b}].{p.path}", p.message, p.kind, p.limits)
             for b, c in enumerate(market.conditions) for p in condition_problems(c)]
    if wrong:
        raise GradingError(wrong)
    if market.lots and market.conditions:
        sets = [resolve([c.criteria])[0] for c in market.conditions]
        problems = _unreachable(market, priceable(market, values, compile_sets(sets)))
        if problems:
            raise GradingError(problems)


def _unreachable(market: Market, priced: np.ndarray) -> list[Problem]:
    """Conditions whose ``min_lot`` is above the most one delivery could carry from the lots
    that may ever reach them — lots of the partners they are granted to, available within
    their delivery window, that their price formula can price (and, sold whole, that fit
    their capacity) — whatever the solver
    settings: the largest such lot, or what one pooling point gathers of them (at most its
    capacity; none without a pooling point). The message names the mass each filter left,
    so the buyer knows whether to ask for grants, widen the window or change the lot."""
    granted, timing = access(market)
    pooling = bool(market.pools)
    r = reach(market, granted & timing, pooling=pooling, priced=priced)
    mass = np.array([lot.mass for lot in market.lots])
    offered, by_grant, in_time = float(mass.sum()), granted.T @ mass, (granted & timing).T @ mass
    out = []
    for b, c in enumerate(market.conditions):
        if c.min_lot <= r.most[b]:
            continue
        if c.min_lot > offered:
            why = f"all lots offered together ({offered:,.0f} kg)"
        else:
            sellers = sorted({market.lots[i].seller for i in np.flatnonzero(granted[:, b])})
            shown = ", ".join(sellers[:5]) + (
                f" and {len(sellers) - 5} more" if len(sellers) > 5 else ""
            )
            why = (
                f"one delivery to condition {c.id!r} can carry: the partners it is granted "
                f"to ({shown or 'none has lots here'}) offer {by_grant[b]:,.0f} kg"
                + (f", of which {in_time[b]:,.0f} kg within its delivery window" if c.delivery
                   else "")
                + (f", of which {r.eligible[b] + r.too_big[b]:,.0f} kg can be priced (the "
                   "rest lacks a property its price premiums need)" if r.unpriced[b] > 0
                   else "")
                + (f", of which {r.eligible[b]:,.0f} kg can go to it (a lot sold whole must "
                   f"fit its capacity, {c.capacity:,.0f} kg)" if r.too_big[b] > 0 else "")
                + ("; " + one_delivery(market, r, b, pooling) if r.eligible[b] > 0 else "")
            )
        out.append(
            Problem(
                f"conditions[{b}].min_lot",
                f"unreachable minimum lot: {c.min_lot:,.0f} kg is more than {why}",
            )
        )
    return out


MAX_DETOUR = 5.0
"""Largest detour factor, as for soil hauls (``Haul.detour_factor``): road networks run
about 1.2–1.4 times the straight line, mountain roads 2–3 (an assumption); beyond 5, a
typing error."""


def _detour_at_least_one(mode: Mode) -> None:
    """Refuse a detour factor below 1: a road is never shorter than the straight line, and
    one below 1 shortened every route and raised the margin (a reviewer's 0.5)."""
    f = mode.detour_factor
    if f is not None and f < 1:
        raise GradingError([coded(
            "transport.detour_factor", "detour-below-one",
            "detour factor {value}: the road distance divided by the straight-line distance "
            "is at least 1 (a road is never shorter than the straight line)", value=f"{f:g}")])
    if f is not None and f > MAX_DETOUR:
        raise GradingError([coded(
            "transport.detour_factor", "detour-above-limit",
            "detour factor {value}: the road distance divided by the straight-line distance "
            "is at most {limit} (a 1e300 left every lot without a route, as if each were "
            "beyond reach)", value=f"{f:g}", limit=f"{MAX_DETOUR:g}")])


def _transport_quantities(mode: Mode) -> tuple[float, float | None]:
    """The mode's cost (JPY/(kg·km), required) and CO2e (kg/(kg·km)); an unreadable or
    negative one is refused naming its field (checked on load too: a negative cost loaded,
    and only the match refused it, under ``transport`` and without the file)."""
    out: list[float | None] = []
    for field, unit, what in (("cost", "JPY/(kg*km)", "transport cost"),
                              ("co2e", "kgCO2e/(kg*km)", "transport co2e")):
        try:
            out.append(mode.quantity(field, unit, what))  # type: ignore[arg-type]
        except ValueError as exc:
            raise GradingError([Problem(f"transport.{field}", str(exc))]) from None
    if out[0] is None:
        raise GradingError([Problem("transport.cost", "give a cost such as '30 JPY/(t*km)'")])
    return out[0], out[1]


def setting(market: Market) -> Setting:
    d = defaults()
    mode = market.transport or Mode.model_validate(d["transport"])
    _detour_at_least_one(mode)
    sv = market.solver or Solver.model_validate(d["solver"])
    cost, co2 = _transport_quantities(mode)
    return Setting(
        cost,
        co2 or 0.0,
        mode.detour_factor or 1.0,
        sv.mip_rel_gap,
        sv.time_limit_s,
        sv.max_pools_per_lot,
        sv.max_buyers_per_lot,
        sv.prune_negative,
    )


def run(market: Market) -> MatchResult:
    """Match lots to the conditions granted to their sellers, pooling small lots at
    consolidation points, maximising the total margin (MILP, HiGHS). A market without lots
    or without conditions has nothing to match: refused, naming which (an empty document
    printed an empty table and exit 0)."""
    empty = [Problem(what, f"no {what} to match: give at least one")
             for what, rows in (("lots", market.lots), ("conditions", market.conditions))
             if not rows]
    if empty:
        raise GradingError(empty)
    t0 = time.perf_counter()
    st = setting(market)
    arcs = build_arcs(market, st, market.as_of or date.today())
    _not_too_many(market, st, len(arcs.lot))
    sol = solve(market, arcs, st)
    res = MatchResult(market, arcs, sol, st)
    delivered = res.delivered()
    res.unmatched = explain(market, arcs, sol, delivered)
    pooling = bool(market.pools) and st.max_pools > 0
    res.unserved = unserved(market, arcs, delivered, pooling)
    res.seconds_total = time.perf_counter() - t0
    return res


match = run

MAX_ROUTES = 1_000_000
"""Candidate routes of one match, counted once they are priced and before the MILP is
built: 8 million (2,000 lots, 20 conditions, 200 pooling points and
``max_pools_per_lot: 200``, a 580 KB document) took 115 s and 7.1 GB with a 30 s time
limit, and ended at a 96 % gap; 960,000 (``max_pools_per_lot: 23``) took 14 s and 0.95 GB
to a 0.05 % gap, the benchmark's 316,000 about 20 s (benchmarks/results/market.json;
docs/security.md)."""


def _not_too_many(market: Market, st: Setting, n: int) -> None:
    if n > MAX_ROUTES:
        raise GradingError([Problem("", (
            f"{n:,} candidate routes ({len(market.lots):,} lots, {len(market.conditions):,} "
            f"conditions, {len(market.pools):,} pooling points, up to {st.max_pools} per lot) "
            f"are more than the {MAX_ROUTES:,} one match may solve; lower "
            "solver.max_pools_per_lot or solver.max_buyers_per_lot, or split the document "
            "by region"))])


def seen_by(c: Condition, org: str) -> Condition:
    """The condition as ``org`` sees it. Conditions are shared bilaterally: the buyer sees
    the whole ``granted_to`` list; anyone else sees it (and so the ODRL access policy's
    BusinessPartnerNumber constraint) cut down to its own organisation — never the names of
    the other partners the condition is granted to."""
    if c.buyer == org:
        return c
    return c.model_copy(update={"granted_to": [g for g in c.granted_to if g == org][:1]})


def visible_conditions(conditions: list[Condition], org: str) -> list[Condition]:
    """The conditions ``org`` may see — its own (as buyer) and those whose ODRL access
    policy grants it — each as ``org`` sees it (:func:`seen_by`)."""
    return [
        seen_by(c, org) for c in conditions if c.buyer == org or granted(to_odrl(c)["access"], org)
    ]


def organisations(market: Market) -> list[str]:
    """Every organisation ``market`` names — buyers, the partners its conditions are granted
    to, sellers and pool owners — sorted (what a partner's name is checked against)."""
    names = {c.buyer for c in market.conditions}
    names.update(g for c in market.conditions for g in c.granted_to)
    names.update(lot.seller for lot in market.lots)
    names.update(p.owner for p in market.pools if p.owner is not None)
    return sorted(names)


def offer(market: Market, seller: str) -> GradeResult:
    """Grade ``seller``'s lots against the conditions granted to it (each condition's
    criteria), so a seller sees what its lots meet without seeing other conditions."""
    mine = [lot.item for lot in market.lots if lot.seller == seller]
    if not mine:
        sellers = sorted({lot.seller for lot in market.lots})
        near = nearest(seller, sellers, 0.6)
        raise GradingError([Problem(
            "lots", f"no lots of seller {brief(seller)}"
            + (f" (did you mean {near!r}?)" if near else "")
            + (f"; sellers: {listed(sellers)}" if sellers else ""))])
    crit = []
    seen: set[str] = set()
    for c in visible_conditions(market.conditions, seller):
        for cs in resolve([c.criteria]):
            if cs.id not in seen:
                seen.add(cs.id)
                crit.append(cs)
    if not crit:
        raise GradingError([Problem("conditions", f"no condition is granted to {seller!r}")])
    return grade(mine, crit, as_of=market.as_of)
