"""The first routes of the column generation (:func:`junkan.market.colgen.relax`).

Where the first restricted LP starts decides how many pricing rounds follow and how large
the restricted LP grows; every simplex iteration prices the row of the tableau over every
column present, so a large master is slow in every round. In the optimal LP basis of the
benchmark's instances (5,000 lots × 50 buyers × 20 pools, seed 1) only 2,092 routes carry
flow, and they are far down their lot's list (median: the 26th best route of the lot by
margin, buyers' capacity is scarce) but near the top of their *buyer's* list. So the start
takes, for every buyer, its best-paying routes (by margin per kg) until they offer
:data:`COVER` times its capacity, and for every lot its :data:`PER_LOT` best routes (so every
lot is in the first LP). The start only changes how fast the LP converges: the pricing
rounds still bring in every route with a negative reduced cost, and the bound is that of
the full LP.

Measured 2026-12-01 on seed 1 (load average 4.4–5.3, CPU seconds of the column
generation to the stop at 0.1 % of the LP value): the old start (each lot's best route to
each of its 8 best-paying buyers, 41,000 routes) took 22–24 CPU s in 7 rounds and ended at
89,796 routes; this one (15,433 routes) 8.0 CPU s in 4 rounds at 38,946 (8.8 CPU s in a
rerun at load 5). Tried: adding, for every blend row of a buyer, the lots that dilute it most
(its first LP fills 8 of 50 buyers not at all: the best-paying lots alone seldom meet a
window) — round 1 reached 5.52 instead of 3.95 G JPY, but the larger start cost 14 CPU s.
"""

from __future__ import annotations

import numpy as np

COVER = 5.0
"""Each buyer's best routes offering this many times its capacity join the first LP."""
PER_LOT = 2
"""Each lot's best routes (by total margin, one per buyer) that join the first LP."""


def first_routes(
    c: np.ndarray,
    n_arc: int,
    lot: np.ndarray,
    cond: np.ndarray,
    m_a: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
    """A bool mask over the model's columns (``c``: objective, minimisation; the first
    ``n_arc`` are routes with their ``lot``, condition ``cond`` and lot mass ``m_a``; the
    others are pooled-shipment variables, all of which join). ``capacity`` is per
    condition, in the unit of ``m_a``."""
    mask = np.zeros(len(c), dtype=bool)
    mask[n_arc:] = True
    if n_arc == 0:
        return mask
    per_kg = c[:n_arc] / np.maximum(m_a, 1e-12)
    # one route per (lot, buyer): the best paying
    order = np.lexsort((per_kg, cond, lot))
    key = lot[order] * (int(cond.max()) + 1) + cond[order]
    first = np.ones(n_arc, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    best = order[first]
    # per buyer, best paying per kg first, until COVER × capacity is offered
    by_b = best[np.lexsort((per_kg[best], cond[best]))]
    cs = cond[by_b]
    cum = np.cumsum(m_a[by_b])
    head = np.searchsorted(cs, cs, side="left")
    before = cum - m_a[by_b] - np.where(head > 0, cum[head - 1], 0.0)
    mask[by_b[before < COVER * capacity[cs]]] = True
    # per lot, its best routes by total margin
    by_i = best[np.lexsort((c[best], lot[best]))]
    ls = lot[by_i]
    rank = np.arange(len(by_i)) - np.searchsorted(ls, ls, side="left")
    mask[by_i[rank < PER_LOT]] = True
    return mask
