"""Why a lot stays unmatched: the first reason that holds, per lot, from the seller's side of
the market (the conditions granted to it).

1. no condition is granted to the seller (conditions are shared bilaterally);
2. every granted condition's window is closed (delivery window) or its criteria fail on the
   lot itself (a worst-case property, a restricted substance, an enumeration, a certificate,
   a missing measurement under a minimum) — the failed rules are named; or, for one at
   least, the lot's verdict is unknown (it meets every limit it gives a value for, but its
   analysis leaves out one a maximum reads, or it does not state an attribute an
   enumeration reads: ``grade_unknown``, naming what to measure or state);
3. no granted condition's price formula can price it: a premium reads a value the lot does
   not give (an element its analysis leaves out is not measured, never 0 wt %) — named;
   else no route earns a positive margin (best margin, price, transport and handling named);
4. the lot is sold whole (``divisible: false``) and heavier than the capacity of every
   buyer it could go to — all or nothing, it fits none;
5. the lot is smaller than every reachable buyer's minimum lot and no pooled shipment to
   that buyer reached it;
6. routes exist but the optimum used others: the buyer's capacity or a pooling point's is
   taken by better-paying lots, or the lot would push the buyer's blend out of its window
   (its own value outside the window: it needs cleaner lots to dilute it).

Each reason carries an English ``message`` and its ``figures`` (ids, kg, JPY/kg) apart, so
a page can word the same figures in its own language."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.grading import grade as grade_items
from junkan.grading import stated, stored_values
from junkan.market.arcs import Arcs
from junkan.market.milp import Solution
from junkan.market.reach import one_delivery, only, priceable, reach
from junkan.market.schema import Market
from junkan.market.verify import KG_TOL, carries

TOL = 1e-6


def _gate_row(arcs: Arcs, b: int, i: int, market: Market) -> dict[str, Any]:
    """Lot i graded on its own against condition b's criteria: ``met`` (None: unknown),
    the rules it fails (``failed``) and the values it does not give (``unmeasured``)."""
    res = grade_items([market.lots[i].item], [arcs.compiled.sets[b].cs], as_of=market.as_of)
    return res.rows()[0]


def _not_admitted(market: Market, arcs: Arcs, i: int, open_b: list[int]) -> dict[str, Any]:
    """Lot ``i`` may enter none of the open conditions' blends: it fails their criteria
    (``grade``), or — for one at least — its verdict is unknown, as grading says it: it
    meets every limit it gives a value for but leaves out one a limit reads
    (``grade_unknown``, naming what to measure; never told as a fail, nor admitted)."""
    conds = market.conditions
    rows = {conds[b].id: _gate_row(arcs, b, i, market) for b in open_b[:5]}
    details = {k: r["failed"] for k, r in rows.items() if r["met"] is False}
    unknown = {k: r.get("unmeasured", []) for k, r in rows.items() if r["met"] is None}
    if unknown:
        measure = "; ".join(f"{k}: {', '.join(v)}" for k, v in unknown.items())
        others = "; ".join(f"{k}: {', '.join(v) or 'a blend rule'}" for k, v in details.items())
        asks = any(stated(p) for v in unknown.values() for p in v)
        return {
            "code": "grade_unknown",
            "message": f"not known to meet the criteria of {', '.join(unknown)}: "
            + (f"the lot does not give what they read ({measure}); give those values: "
               "measured (0 for what the analysis finds none of) or, for an attribute, stated"
               if asks else f"its analysis does not give what they limit ({measure}); "
               "analyse the lot and give those values (0 for what the analysis finds none of)")
            + (f"; it fails the others': {others}" if others else ""),
            "unmeasured": unknown,
            "failed": details,
            "figures": {"measure": measure},
        }
    return {
        "code": "grade",
        "message": "fails every granted condition's criteria on its own: "
        + "; ".join(f"{k}: {', '.join(v) or 'a blend rule'}" for k, v in details.items()),
        "failed": details,
        "figures": {
            "failed": "; ".join(f"{k}: {', '.join(v) or '—'}" for k, v in details.items())
        },
    }


def explain(
    market: Market, arcs: Arcs, sol: Solution, delivered_b: np.ndarray
) -> dict[int, dict[str, Any]]:
    """Reason codes and messages for every lot that is (almost) entirely unmatched, and for
    the remainder of every lot matched in part (its ``kg`` left)."""
    n = len(market.lots)
    used = np.zeros(n)
    np.add.at(used, arcs.lot, sol.share)
    conds = market.conditions
    cap_full = (
        delivered_b >= np.array([c.capacity for c in conds]) * (1 - 1e-6)
        if conds
        else np.zeros(0, dtype=bool)
    )
    out: dict[int, dict[str, Any]] = {}
    has_arc = np.zeros(n, dtype=bool)
    has_arc[arcs.lot] = True
    mass = np.array([lot.mass for lot in market.lots])
    none = (used < TOL) & (used * mass <= KG_TOL)  # a few kg of a huge lot are matched
    for i in (int(k) for k in np.flatnonzero(none)):
        lot = market.lots[i]
        granted = np.flatnonzero(arcs.granted[i])
        if len(granted) == 0:
            out[int(i)] = {
                "code": "not_granted",
                "message": f"no buyer has granted a condition to seller {lot.seller!r}",
                "figures": {"seller": lot.seller},
            }
            continue
        open_b = [int(b) for b in granted if arcs.timing[i, b]]
        if not open_b:
            out[int(i)] = {
                "code": "delivery_window",
                "message": "the lot's availability "
                "misses every granted condition's delivery window",
                "figures": {"conditions": ", ".join(conds[b].id for b in granted)},
            }
            continue
        passing = [b for b in open_b if arcs.gate[i, b]]
        if not passing:
            out[int(i)] = _not_admitted(market, arcs, i, open_b)
            continue
        out[int(i)] = (_unpriced(market, i, passing)
                       or _economic(market, arcs, sol, i, passing, has_arc[i], cap_full))
    for i in (int(k) for k in np.flatnonzero(~none & (used < 1 - 1e-6))):
        out[i] = _remainder(market, arcs, sol, i, float(used[i]), cap_full)
    return out


def _remainder(market: Market, arcs: Arcs, sol: Solution, i: int, used: float,
               cap_full: np.ndarray) -> dict[str, Any]:
    """Why part of lot ``i`` (the share ``1 - used``) is left: the conditions it went to
    are full, or taking more would lower the total margin (a buyer's window, a minimum lot
    or capacity shared with other lots)."""
    lot = market.lots[i]
    mine = arcs.lot == i
    on = carries(sol.share[: len(arcs.lot)][mine], lot.mass)
    took = sorted({int(b) for b in arcs.cond[mine][on]})
    names = ", ".join(market.conditions[b].id for b in took)
    figures: dict[str, Any] = {"kg": (1 - used) * lot.mass, "of_kg": lot.mass,
                               "conditions": names}
    if took and all(cap_full[b] for b in took):
        return {"code": "remainder_capacity", "kg": figures["kg"], "figures": figures,
                "message": f"{figures['kg']:,.0f} kg of its {lot.mass:,.0f} kg left: the "
                           f"conditions it went to ({names}) are full"}
    return {"code": "remainder", "kg": figures["kg"], "figures": figures,
            "message": f"{figures['kg']:,.0f} kg of its {lot.mass:,.0f} kg left: more of it "
                       f"at {names} would lower the total margin (a buyer's window, capacity "
                       "or minimum lot shared with other lots)"}


def _unpriced(market: Market, i: int, passing: list[int]) -> dict[str, Any] | None:
    """Lot ``i`` lacks a value that a price premium of every condition it passes reads (it
    was told as 'no route earns a positive margin'); ``None`` when one of them prices it."""
    have = stored_values(market.lots[i].item, f"lots[{i}].item")
    lacks = {market.conditions[b].id: [p.property for p in market.conditions[b].price.premiums
                                       if p.property not in have] for b in passing}
    if not all(lacks.values()):
        return None
    said = "; ".join(f"{c}: {', '.join(v)}" for c, v in lacks.items())
    return {
        "code": "no_price",
        "message": "no price: the price premiums of every condition it meets read a value "
        f"the lot does not give ({said}; an element its analysis leaves out is not measured)",
        "figures": {"missing": said},
    }


def _economic(
    market: Market,
    arcs: Arcs,
    sol: Solution,
    i: int,
    passing: list[int],
    routed: bool,
    cap_full: np.ndarray,
) -> dict[str, Any]:
    conds = market.conditions
    lot = market.lots[i]
    best = arcs.best_margin[i, passing]
    if np.all(np.isnan(best)):
        return _no_route(market, i, passing)
    if not lot.divisible:  # sold whole: only a condition with room for all of it can take it
        fits = [b for b in passing if lot.mass <= conds[b].capacity]
        if not fits:
            return _above_capacity(market, i, passing)
        passing, best = fits, arcs.best_margin[i, fits]
        if np.all(np.isnan(best)):
            return _no_route(market, i, passing)
    b = passing[int(np.nanargmax(best))]
    c = conds[b]
    if not routed:
        return {
            "code": "not_in_candidates",
            "message": f"best margin "
            f"{np.nanmax(best):.1f} JPY/kg ({c.id}) but the route was left out by "
            "max_buyers_per_lot / max_pools_per_lot",
            "figures": {"margin_JPY_per_kg": float(np.nanmax(best)), "condition": c.id},
        }
    if cap_full[b]:
        return {
            "code": "capacity",
            "message": f"{c.id}'s capacity {c.capacity:,.0f} kg is "
            "filled by lots with better margins or blending value",
            "figures": {"condition": c.id, "capacity_kg": c.capacity},
        }
    mine = arcs.lot == i
    pool_used = [
        market.pools[p].id for p in set(arcs.pool[mine & (arcs.cond == b)].tolist()) if p >= 0
    ]
    if lot.mass < c.min_lot:
        via = f" through {', '.join(pool_used)}" if pool_used else ""
        return {
            "code": "min_lot",
            "message": f"{lot.mass:,.0f} kg is below {c.id}'s minimum "
            f"lot {c.min_lot:,.0f} kg and pooling{via} did not gather enough "
            "compatible lots",
            "figures": {
                "kg": lot.mass,
                "condition": c.id,
                "min_lot_kg": c.min_lot,
                **({"pools": ", ".join(sorted(pool_used))} if pool_used else {}),
            },
        }
    a = arcs.rows[b][i]
    over = [arcs.row_labels[b][k] for k in np.flatnonzero(a > 0)]
    if over:
        return {
            "code": "blend_window",
            "message": f"on its own it is outside {c.id}'s window "
            f"({', '.join(over)}); there is not enough cleaner material to dilute it",
            "rows": over,
            "figures": {"condition": c.id, "rows": ", ".join(over)},
        }
    return {
        "code": "outbid",
        "message": f"best margin {np.nanmax(best):.1f} JPY/kg ({c.id}); "
        "the optimum gives the buyers' capacity and windows to other lots",
        "figures": {"margin_JPY_per_kg": float(np.nanmax(best)), "condition": c.id},
    }


def _above_capacity(market: Market, i: int, passing: list[int]) -> dict[str, Any]:
    """Lot ``i``, sold whole, is heavier than the capacity of every condition it could go
    to (granted, open, criteria met): all or nothing, it fits none of them."""
    lot, conds = market.lots[i], market.conditions
    b = max(passing, key=lambda k: conds[k].capacity)
    return {
        "code": "whole_above_capacity",
        "message": f"sold whole, its {lot.mass:,.0f} kg is more than the capacity of every "
        f"condition it could go to (the largest: {conds[b].id}, {conds[b].capacity:,.0f} kg); "
        "offer it as divisible or split it into smaller lots",
        "figures": {"kg": lot.mass, "condition": conds[b].id, "capacity_kg": conds[b].capacity},
    }


def _no_route(market: Market, i: int, passing: list[int]) -> dict[str, Any]:
    """No route to a buyer whose criteria the lot passes earns a positive margin."""
    conds = market.conditions
    lot = market.lots[i]
    direct_only = [b for b in passing if lot.mass < conds[b].min_lot]
    if direct_only and len(market.pools) == 0:
        b = direct_only[0]
        return {
            "code": "min_lot",
            "message": f"{lot.mass:,.0f} kg is below "
            f"{conds[b].id}'s minimum lot {conds[b].min_lot:,.0f} kg and there is "
            "no pooling point",
            "figures": {
                "kg": lot.mass,
                "condition": conds[b].id,
                "min_lot_kg": conds[b].min_lot,
            },
        }
    return {
        "code": "no_margin",
        "message": "no route earns a positive margin (transport and handling exceed the price)",
        "figures": {},
    }


def unserved(
    market: Market, arcs: Arcs, delivered_b: np.ndarray, pooling: bool = True
) -> list[dict[str, Any]]:
    """Conditions that received nothing because their ``min_lot`` is above the most one
    delivery could carry from the lots that may enter them — granted to its seller,
    available within the delivery window, passing the criteria's per-lot rules and priced
    by its formula (sold whole, within its capacity): the largest such lot or, with
    ``pooling``, one pooled shipment of them
    (at most its pooling point's capacity; :mod:`junkan.market.reach`). The minimum cannot
    be reached by any assignment, whatever the prices (the load refuses what is unreachable
    without the criteria; this catches what the criteria leave)."""
    if not market.lots:
        return []
    idle = [
        b for b, c in enumerate(market.conditions) if delivered_b[b] <= TOL and c.min_lot > 0
    ]
    if not idle:  # every condition got a delivery: nothing to price again
        return []
    # only the conditions that got nothing: pricing every lot again is not free
    sub, compiled = only(market, arcs.compiled, idle)
    priced = priceable(sub, compiled=compiled)
    ok = (arcs.gate & arcs.granted & arcs.timing)[:, idle]
    r = reach(sub, ok, pooling=pooling, priced=priced)
    out = []
    for k, b in enumerate(idle):
        c = market.conditions[b]
        if c.min_lot <= r.most[k]:
            continue
        how = (
            "what one delivery can carry from the lots that may enter it (granted, within "
            "its delivery window, meeting its per-lot rules, priced by its formula, fitting "
            f"its capacity if sold whole: "
            f"{r.eligible[k]:,.0f} kg): " + one_delivery(market, r, k, pooling)
        )
        out.append(
            {
                "condition": c.id,
                "buyer": c.buyer,
                "field": f"conditions[{b}].min_lot",
                "code": "min_lot_unreachable",
                "message": f"min_lot {c.min_lot:,.0f} kg is more than {how}",
                "figures": {
                    "min_lot_kg": c.min_lot,
                    "eligible_kg": float(r.eligible[k]),
                    "largest_lot_kg": float(r.largest[k]),
                    "pooled_kg": float(r.pooled[k]),
                    **(
                        {"pool": market.pools[int(r.pool[k])].id}
                        if pooling and r.pool[k] >= 0
                        else {}
                    ),
                },
            }
        )
    return out
