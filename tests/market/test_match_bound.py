"""The column-generation bound (junkan.market.colgen.Session.lagrangian): from the duals of
an LP over a few columns, a lower bound of the LP over all of them — the lot-row (GUB) form
never weaker than the plain one and never above the true optimum (checked by solving the
full LP)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from junkan.market.colgen import Session


def _model(seed: int) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Lots 0..L−1 with several routes each to B buyers: Σ_a∈i f_a ≤ 1 (first rows), buyer
    capacities and one blend-like row per buyer; c < 0 (margins)."""
    rng = np.random.default_rng(seed)
    n_lot, n_buy, per = 30, 4, 6
    lot = np.repeat(np.arange(n_lot), per)
    buy = rng.integers(0, n_buy, len(lot))
    mass = rng.uniform(1, 5, n_lot)[lot]
    c = -rng.uniform(1, 10, len(lot)) * mass
    rows, cols, vals = [], [], []
    for a in range(len(lot)):
        rows += [lot[a], n_lot + buy[a], n_lot + n_buy + buy[a]]
        cols += [a, a, a]
        vals += [1.0, mass[a], mass[a] * rng.uniform(-1, 1)]
    a_m = sp.csr_matrix((vals, (rows, cols)), shape=(n_lot + 2 * n_buy, len(lot)))
    lo = np.full(a_m.shape[0], -np.inf)
    hi = np.concatenate([np.ones(n_lot), np.full(n_buy, 20.0), np.zeros(n_buy)])
    return c, a_m, lo, hi, lot


@pytest.mark.parametrize("seed", range(5))
def test_gub_bound_is_valid_and_tighter(seed: int) -> None:
    c, a, lo, hi, lot = _model(seed)
    full = linprog(c, A_ub=a.toarray(), b_ub=hi, bounds=(0, 1), method="highs")
    assert full.status == 0
    lp = Session(c, a, lo, hi, np.ones(len(c)))
    lp.add(np.arange(0, len(c), 6))  # one route per lot: far from the optimum
    x, val, y = lp.solve(10)
    assert x is not None
    plain, rc = lp.lagrangian(y)
    lp.gub = (np.arange(30), lot)
    tight, rc2 = lp.lagrangian(y)
    np.testing.assert_allclose(rc, rc2)  # pricing unchanged
    assert plain <= tight + 1e-9
    assert tight <= full.fun + 1e-6 * abs(full.fun)
    assert val >= full.fun - 1e-6 * abs(full.fun)
