"""The most one delivery can carry to each buyer condition: what the load checks a
condition's ``min_lot`` against (lots granted and within the delivery window) and what the
match result checks it against after grading (the criteria's per-lot rules too).

A condition's ``min_lot`` is the smallest delivery it takes from *one* origin
(:class:`junkan.market.schema.Condition`), and the MILP (:mod:`junkan.market.milp`) holds
every delivery to it to that:

- a direct delivery is part or all of one lot — at most the largest lot that may enter;
- a pooled shipment gathers lots at one pooling point: at most that point's ``capacity``
  (the row Σ via p ≤ capacity_p, shared by all its buyers, so for one buyer at most the
  capacity) and at most the lots that may enter (a lot sold whole that does not fit a
  pooling point cannot pass it, but such a lot reaches any minimum up to that capacity on
  its own, so it changes nothing here);
- a lot whose price under the condition's formula is NaN (a premium on a property the lot
  does not have) has no route to it at all (:func:`junkan.market.arcs.build_arcs`);
- a lot sold whole (``divisible: false``) heavier than the condition's ``capacity`` cannot
  go to it at all (its route share is 0 or 1, and Σ to b ≤ capacity_b).

Which pooling points a lot may travel through is also cut by ``solver.max_pools_per_lot``
(the nearest ones); that is a solver setting, so it is not counted here: what is refused
here no setting can reach, and what is not refused may still be left unserved by one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from junkan.grading import Compiled, compile_sets, resolve, stored_values
from junkan.market.arcs import prices
from junkan.market.schema import Market


@dataclass
class Reach:
    """Per condition (arrays of length n conditions), masses in kg."""

    eligible: np.ndarray
    """The lots the mask lets in that the condition's price formula can price, together."""
    unpriced: np.ndarray
    """The lots the mask lets in that its price formula cannot price (NaN: no route)."""
    too_big: np.ndarray
    """The priced lots sold whole that are heavier than the condition's capacity."""
    largest: np.ndarray
    """The largest eligible lot: the most one direct delivery carries."""
    pooled: np.ndarray
    """The most one pooled shipment carries (0 without pooling)."""
    pool: np.ndarray
    """The pooling point of that shipment: the largest (−1 without pooling)."""
    capped: np.ndarray
    """That pooling point's capacity is what holds the shipment below ``eligible``."""

    @property
    def most(self) -> np.ndarray:
        """The most one delivery — one lot, or one pooled shipment — carries, kg."""
        return np.asarray(np.maximum(self.largest, self.pooled))


def priceable(
    market: Market,
    values: list[dict[str, float]] | None = None,
    compiled: Compiled | None = None,
) -> np.ndarray:
    """(n lots, n conditions): the lot has a price under the condition's formula (not NaN —
    a premium on a property the lot lacks has none). ``values``: the lots' stored values
    (:func:`junkan.grading.stored_values`), computed when not given. Raises
    :class:`junkan.grading.GradingError` naming a premium on a property that does not mix
    by mass."""
    out = np.ones((len(market.lots), len(market.conditions)), dtype=bool)
    cols = [b for b, c in enumerate(market.conditions) if c.price.premiums]
    if not cols or not market.lots:  # a base price alone prices every lot
        return out
    if values is None:
        values = [stored_values(lot.item, f"lots[{i}].item") for i, lot in enumerate(market.lots)]
    if compiled is None:
        compiled = compile_sets([resolve([c.criteria])[0] for c in market.conditions])
    out[:, cols] = ~np.isnan(prices(*only(market, compiled, cols), values))
    return out


def only(market: Market, compiled: Compiled, cols: list[int]) -> tuple[Market, Compiled]:
    """The market with only the conditions ``cols`` (in that order; lots and pools as
    they are) and their compiled criteria — to price or reach a few conditions."""
    sub = market.model_copy(update={"conditions": [market.conditions[b] for b in cols]})
    return sub, Compiled([compiled.sets[b] for b in cols], compiled.features, compiled.attributes)


def reach(
    market: Market,
    eligible: np.ndarray,
    *,
    pooling: bool,
    priced: np.ndarray | None = None,
) -> Reach:
    """The most one delivery can carry to each condition from the lots ``eligible`` (n lots,
    n conditions; bool) lets in, of those its price formula can price (``priced``, from
    :func:`priceable` when not given). ``pooling``: whether lots may be gathered at the
    market's pooling points at all."""
    lots, pools = market.lots, market.pools
    nb = len(market.conditions)
    mass = np.array([lot.mass for lot in lots], dtype=float)
    if priced is None:
        priced = priceable(market) if len(lots) and nb else np.ones((len(lots), nb), bool)
    mask = np.asarray(eligible, dtype=bool)
    cap_b = np.array([c.capacity for c in market.conditions], dtype=float)
    whole = ~np.array([lot.divisible for lot in lots], dtype=bool)
    fits = ~(whole[:, None] & (mass[:, None] > cap_b[None, :]))
    ok = mask & priced & fits
    unpriced = (mask & ~priced).T @ mass
    too_big = (mask & priced & ~fits).T @ mass
    total = ok.T @ mass
    largest = np.where(ok, mass[:, None], 0.0).max(axis=0) if len(lots) else np.zeros(nb)
    pooled, at, capped = np.zeros(nb), np.full(nb, -1), np.zeros(nb, dtype=bool)
    if pooling and pools and len(lots):
        cap = np.array([p.capacity for p in pools])
        at = np.full(nb, int(np.argmax(cap)))  # the largest pooling point gathers the most
        pooled = np.minimum(total, cap[at])
        capped = cap[at] < total
    return Reach(total, unpriced, too_big, largest, pooled, at, capped)


def one_delivery(market: Market, r: Reach, b: int, pooling: bool) -> str:
    """What holds one delivery to condition ``b`` below its minimum, in English: the largest
    lot and the pooled shipment, naming the pooling point whose capacity binds."""
    kg = f"the largest lot that may enter it is {r.largest[b]:,.0f} kg"
    if not pooling:
        if market.pools:
            return f"{kg} and pooling is off (solver.max_pools_per_lot is 0)"
        return f"{kg} and there is no pooling point"
    p = market.pools[int(r.pool[b])]
    if r.capped[b]:
        return (
            f"{kg}, and one pooled shipment carries at most {r.pooled[b]:,.0f} kg (the "
            f"capacity of {p.id!r}, the largest pooling point)"
        )
    return f"{kg}, and all of them pooled together make {r.eligible[b]:,.0f} kg"
