"""The first routes of the column generation (junkan.market.start.first_routes): every lot
and every pooled-shipment variable is in, each buyer's best-paying routes are in, and the
column generation started from them still ends at the optimum of the LP over every route
(random instances, checked against one LP over all columns)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from junkan.market import start
from junkan.market.colgen import Session, relax


def _instance(
    seed: int, n_lot: int, n_buy: int
) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Routes of lots to buyers (a few per pair, as direct and pooled routes are), lot rows
    Σ_a∈i f_a ≤ 1 first, then buyer capacities (t) and one blend-like row per buyer."""
    rng = np.random.default_rng(seed)
    lot_l, cond_l = [], []
    for i in range(n_lot):
        for b in rng.choice(n_buy, size=int(rng.integers(1, n_buy + 1)), replace=False):
            k = int(rng.integers(1, 4))
            lot_l += [i] * k
            cond_l += [int(b)] * k
    lot, cond = np.array(lot_l), np.array(cond_l)
    mass = rng.uniform(0.3, 30.0, n_lot)
    m_a = mass[lot]
    c = -m_a * rng.uniform(-5.0, 40.0, len(lot))
    quality = rng.uniform(-1.0, 1.0, n_lot)
    n = len(lot)
    rows = np.concatenate([lot, n_lot + cond, n_lot + n_buy + cond])
    cols = np.tile(np.arange(n), 3)
    vals = np.concatenate([np.ones(n), m_a, m_a * (quality[lot] - 0.2)])
    a = sp.csr_matrix((vals, (rows, cols)), shape=(n_lot + 2 * n_buy, n))
    cap = rng.uniform(5.0, 60.0, n_buy)
    hi = np.concatenate([np.ones(n_lot), cap, np.zeros(n_buy)])
    return c, a, hi, lot, cond, cap, m_a


def test_every_lot_and_each_buyers_best_route_start() -> None:
    c, _, _, lot, cond, cap, m_a = _instance(3, 40, 5)
    extra = 4  # columns past the routes (pooled-shipment variables)
    c_all = np.concatenate([c, np.zeros(extra)])
    mask = start.first_routes(c_all, len(c), lot, cond, m_a, cap)
    assert mask[len(c) :].all()
    assert set(lot[mask[: len(c)]]) == set(lot)
    per_kg = c / m_a
    for b in np.unique(cond):
        mine = np.flatnonzero(cond == b)
        assert mask[mine[np.argmin(per_kg[mine])]]
    assert not mask[: len(c)].all()  # a start, not every route


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_lot=st.integers(2, 40),
    n_buy=st.integers(1, 6),
    cover=st.floats(0.0, 3.0),
    per_lot=st.integers(1, 2),
)
def test_column_generation_from_the_start_reaches_the_full_lp(
    seed: int, n_lot: int, n_buy: int, cover: float, per_lot: int
) -> None:
    c, a, hi, lot, cond, cap, m_a = _instance(seed, n_lot, n_buy)
    full = linprog(c, A_ub=a, b_ub=hi, bounds=(0, 1), method="highs")
    assert full.status == 0
    old = (start.COVER, start.PER_LOT)
    start.COVER, start.PER_LOT = cover, per_lot
    try:
        mask = start.first_routes(c, len(c), lot, cond, m_a, cap)
    finally:
        start.COVER, start.PER_LOT = old
    lp = Session(c, a, np.full(len(hi), -np.inf), hi, np.ones(len(c)))
    lp.gub = (np.arange(n_lot), lot)
    x, val, low, _ = relax(lp, mask, deadline=np.inf, tol=0.0, group=lot)
    assert x is not None
    scale = max(1.0, abs(full.fun))
    assert abs(val - full.fun) <= 1e-6 * scale
    assert low <= full.fun + 1e-6 * scale
