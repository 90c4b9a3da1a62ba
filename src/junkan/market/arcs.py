"""Candidate routes of the matching problem: for every lot and every condition granted to its
seller, the lot's price under the condition's formula, the per-input gates of its criteria
(worst-case properties, enumerations, certificates), the blend rows that are linear in mass,
and the margin of shipping directly or through one of the nearest pooling points.

A route is kept only when it can earn a positive margin; the reasons it was dropped are kept
too, for the explanation of unmatched lots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from junkan.core.elements import complete, unstated_key
from junkan.core.errors import Problem, coded, short
from junkan.grading import (
    Compiled,
    GradingError,
    build_table,
    compile_sets,
    linear_terms,
    properties,
    resolve,
    stored_values,
)
from junkan.market.schema import Market, Place

EARTH_KM = 6371.0088


def great_circle_km(a: list[Place], b: list[Place]) -> np.ndarray:
    """(len(a), len(b)) great-circle distances in km (haversine)."""
    la1 = np.radians([p.lat for p in a])[:, None]
    lo1 = np.radians([p.lon for p in a])[:, None]
    la2 = np.radians([p.lat for p in b])[None, :]
    lo2 = np.radians([p.lon for p in b])[None, :]
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


@dataclass
class Setting:
    """Transport and solver settings in the units the model computes in."""

    yen_per_kg_km: float
    co2e_kg_per_kg_km: float
    detour: float
    gap: float
    time_limit: float
    max_pools: int
    max_buyers: int | None
    prune_negative: bool = True


@dataclass
class Arcs:
    """Routes: lot index, condition index, pool index (−1 direct) and JPY/kg terms."""

    lot: np.ndarray
    cond: np.ndarray
    pool: np.ndarray
    price: np.ndarray
    transport: np.ndarray
    handling: np.ndarray
    km: np.ndarray
    rows: list[np.ndarray]
    """Per condition: (n lots, K) blend-row coefficients (x @ rows ≤ 0 on masses)."""
    row_labels: list[list[str]]
    gate: np.ndarray
    """(n lots, n conditions): the lot may enter the condition's blend at all."""
    granted: np.ndarray
    timing: np.ndarray
    best_margin: np.ndarray
    """(n lots, n conditions): best margin JPY/kg over routes (NaN if none)."""
    compiled: Compiled

    @property
    def margin(self) -> np.ndarray:
        return np.asarray(self.price - self.transport - self.handling)


def mixing_problem(path: str, name: str) -> Problem | None:
    """The problem at ``path`` when a price premium reads property ``name`` that does not mix
    by mass (the price must stay linear in mass); ``None`` for ``composition.<key>`` and a
    wt % share. Needs no lots: a condition is refused for it when it is posted."""
    specs = properties()
    rule = "mass" if name.startswith("composition.") else (
        specs[name].rule if name in specs else None)
    if rule == "mass":
        return None
    return coded(path, "premium-not-by-mass", "{name}: a premium needs a property that mixes "
                 "by mass (composition.<element> or a wt % share), so that price stays linear "
                 "in mass", name=short(name))


def prices(market: Market, compiled: Compiled, values: list[dict[str, float]]) -> np.ndarray:
    """(n lots, n conditions) price JPY/kg under each condition's formula (NaN when a premium
    needs a value the lot lacks, an element its composition leaves out among them)."""
    out = np.empty((len(market.lots), len(market.conditions)))
    stated = {k for lot in market.lots for k in lot.item.composition}
    wholes = [complete(lot.item.composition) for lot in market.lots]
    for b, c in enumerate(market.conditions):
        out[:, b] = c.price.base
        for k, pr in enumerate(c.price.premiums):
            name = pr.property
            where = f"conditions[{b}].price.premiums[{k}].property"
            bad = mixing_problem(where, name) or unstated_key(where, name, stated, "lots")
            if bad is not None:
                raise GradingError([bad])
            # an element the lot's analysis leaves out is not measured (never 0 wt %),
            # unless the analysis is whole (core.elements.complete: it is 0 wt %)
            q = np.array([v.get(name, 0.0 if whole and name.startswith("composition.")
                                else math.nan) for v, whole in zip(values, wholes, strict=True)])
            out[:, b] += pr.adjustment(q)
    return out


def access(market: Market) -> tuple[np.ndarray, np.ndarray]:
    """(n lots, n conditions): the condition is granted to the lot's seller; the lot's
    availability meets the condition's delivery window."""
    lots, conds = market.lots, market.conditions
    n, nb = len(lots), len(conds)
    seller_ix: dict[str, int] = {}
    seller_of = np.array(
        [seller_ix.setdefault(lot.seller, len(seller_ix)) for lot in lots], dtype=int
    )
    allowed = np.zeros((len(seller_ix), nb), dtype=bool)
    for b, c in enumerate(conds):
        for org in c.granted_to:
            k = seller_ix.get(org)
            if k is not None:
                allowed[k, b] = True
    granted = allowed[seller_of] if n else np.zeros((0, nb), dtype=bool)
    timing = np.ones((n, nb), dtype=bool)
    for b, c in enumerate(conds):
        if c.delivery is None:
            continue
        for i, lot in enumerate(lots):
            w = lot.available
            if w is not None and (w.end < c.delivery.start or w.start > c.delivery.end):
                timing[i, b] = False
    return granted, timing


def _criteria(
    market: Market, when: date
) -> tuple[Any, list[dict[str, float]], np.ndarray, list[np.ndarray], list[list[str]]]:
    """Compiled criteria of the conditions, the lots' stored values, the per-input gates
    (n, B) and each condition's blend rows."""
    sets = [resolve([c.criteria])[0] for c in market.conditions]
    compiled = compile_sets(sets, when)
    items = [lot.item for lot in market.lots]
    values = [stored_values(it, f"lots[{i}].item") for i, it in enumerate(items)]
    table = build_table(compiled, items, when, values)
    gate = np.zeros((len(items), len(sets)), dtype=bool)
    rows, labels = [], []
    for b, cs in enumerate(compiled.sets):
        gate[:, b], a, lab = linear_terms(cs, table)
        rows.append(a)
        labels.append(lab)
    return compiled, values, gate, rows, labels


def build_arcs(market: Market, st: Setting, when: date) -> Arcs:
    lots, conds, pools = market.lots, market.conditions, market.pools
    n = len(lots)
    compiled, values, gate, rows, labels = _criteria(market, when)
    granted, timing = access(market)
    price = prices(market, compiled, values)
    mass = np.array([lot.mass for lot in lots])
    here = [lot.location for lot in lots]
    km_direct = great_circle_km(here, [c.location for c in conds]) * st.detour
    hb = np.array([c.handling for c in conds])
    min_lot = np.array([c.min_lot for c in conds])
    ok = gate & granted & timing & ~np.isnan(price)
    direct_m = price - km_direct * st.yen_per_kg_km - hb[None, :]
    pos = direct_m > 0 if st.prune_negative else np.ones_like(ok)
    direct_ok = ok & pos & (mass[:, None] >= min_lot[None, :])
    best = np.where(direct_ok & (direct_m > 0), direct_m, np.nan)
    ii, bb = np.nonzero(direct_ok)
    arcs_l, arcs_b, arcs_p = [ii], [bb], [np.full(len(ii), -1)]
    use_pools = bool(pools) and st.max_pools > 0
    if use_pools:
        km_lp = great_circle_km(here, [p.location for p in pools]) * st.detour
        km_pb = great_circle_km([p.location for p in pools], [c.location for c in conds])
        km_pb = km_pb * st.detour
        hp = np.array([p.handling for p in pools])
        near = np.argsort(km_lp, axis=1, kind="stable")[:, : min(st.max_pools, len(pools))]
        for p in near.T:
            km = km_lp[np.arange(n), p][:, None] + km_pb[p]
            m = price - km * st.yen_per_kg_km - hp[p][:, None] - hb[None, :]
            good = ok & ((m > 0) if st.prune_negative else True)
            best = np.where(good & (m > 0) & ~(best >= m), m, best)
            ii, bb = np.nonzero(good)
            arcs_l.append(ii)
            arcs_b.append(bb)
            arcs_p.append(p[ii])
    lot_a, cond_a, pool_a = (np.concatenate(x) for x in (arcs_l, arcs_b, arcs_p))
    if st.max_buyers is not None and len(conds) > st.max_buyers and st.prune_negative:
        sel = _top_buyers(best, st.max_buyers)[lot_a, cond_a]
        lot_a, cond_a, pool_a = lot_a[sel], cond_a[sel], pool_a[sel]
    dist = km_direct[lot_a, cond_a].copy()
    hand = hb[cond_a].copy()
    if use_pools:
        via = pool_a >= 0
        dist[via] = km_lp[lot_a[via], pool_a[via]] + km_pb[pool_a[via], cond_a[via]]
        hand[via] += hp[pool_a[via]]
    return Arcs(
        lot_a,
        cond_a,
        pool_a,
        price[lot_a, cond_a],
        dist * st.yen_per_kg_km,
        hand,
        dist,
        rows,
        labels,
        gate,
        granted,
        timing,
        best,
        compiled,
    )


def _top_buyers(best: np.ndarray, k: int) -> np.ndarray:
    """(n, B) mask of each lot's ``k`` conditions with the best route margins."""
    filled = np.where(np.isnan(best), -np.inf, best)
    idx = np.argsort(-filled, axis=1, kind="stable")[:, :k]
    mask = np.zeros_like(best, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask & ~np.isnan(best)
