"""Branch and cut from a start (junkan.market.branch): the start is used, an outer bound
stops the search, semi-continuous columns keep their meaning, the restriction to columns
holds — each checked against enumeration on a small knapsack-like model."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from junkan.market.branch import branch_and_cut


def _knapsack(seed: int, n: int = 10) -> tuple[np.ndarray, sp.csc_matrix, float, np.ndarray]:
    rng = np.random.default_rng(seed)
    value = rng.integers(5, 40, n).astype(float)
    weight = rng.integers(3, 20, n).astype(float)
    cap = float(weight.sum() / 2)
    return -value, sp.csc_matrix(weight[None, :]), cap, weight


def _best(value: np.ndarray, weight: np.ndarray, cap: float, cols: np.ndarray) -> float:
    best = 0.0
    for pick in itertools.product([0, 1], repeat=len(cols)):
        p = np.array(pick, dtype=bool)
        if weight[cols][p].sum() <= cap:
            best = max(best, float(value[cols][p].sum()))
    return best


def _run(seed: int, **kw: object) -> tuple[object, float, np.ndarray, float, np.ndarray]:
    c, a, cap, w = _knapsack(seed)
    n = len(c)
    cols = kw.pop("cols", np.arange(n))
    out = branch_and_cut(
        c,
        a,
        np.array([-np.inf]),
        np.array([cap]),
        np.ones(n, dtype=np.uint8),
        np.zeros(n),
        np.ones(n),
        cols=cols,  # type: ignore[arg-type]
        time_limit=30,
        gap=0.0,
        **kw,  # type: ignore[arg-type]
    )
    return out, cap, w, _best(-c, w, cap, cols), c  # type: ignore[arg-type]


def test_optimal_from_a_start_and_restricted_to_columns() -> None:
    for seed in range(4):
        c, a, cap, w = _knapsack(seed)
        start = np.zeros(len(c))
        start[int(np.argmin(w))] = 1.0  # feasible: one light item
        out, cap, w, best, c = _run(seed, start=start)
        assert out.x is not None and out.status == "optimal"  # type: ignore[attr-defined]
        assert -(c @ out.x) == best  # type: ignore[attr-defined]
        assert w @ out.x <= cap + 1e-9  # type: ignore[attr-defined]
        sub = np.arange(0, len(c), 2)
        out2, _, _, best2, _ = _run(seed, cols=sub)
        x2 = out2.x  # type: ignore[attr-defined]
        assert -(c @ x2) == best2 and best2 <= best
        assert np.all(x2[1::2] == 0)  # the other columns stay at zero


def test_outer_bound_stops_at_the_gap() -> None:
    # a weak start (one light item) and an outer bound 10 % beyond its value: the start is
    # within the 20 % gap, so the search stops with it although better exists
    c, a, cap, w = _knapsack(1)
    best = _best(-c, w, cap, np.arange(len(c)))
    start = np.zeros(len(c))
    start[int(np.argmin(w))] = 1.0
    v0 = float(-(c @ start))
    assert v0 < best
    res = branch_and_cut(
        c,
        a,
        np.array([-np.inf]),
        np.array([cap]),
        np.ones(len(c), dtype=np.uint8),
        np.zeros(len(c)),
        np.ones(len(c)),
        cols=np.arange(len(c)),
        time_limit=30,
        gap=0.2,
        inner_gap=0.0,
        start=start,
        outer_bound=-v0 * 1.1,
    )
    assert res.x is not None and res.status == "optimal"
    assert v0 <= -(c @ res.x) <= v0 * 1.1 / 0.8 + 1e-9
    # with an outer bound the start cannot reach, HiGHS runs to its own gap and proves it
    res2 = branch_and_cut(
        c,
        a,
        np.array([-np.inf]),
        np.array([cap]),
        np.ones(len(c), dtype=np.uint8),
        np.zeros(len(c)),
        np.ones(len(c)),
        cols=np.arange(len(c)),
        time_limit=30,
        gap=0.0,
        outer_bound=-best * 2,
    )
    assert res2.status == "optimal" and res2.dual is not None
    assert -res2.dual >= best - 1e-6


def test_semi_continuous_columns() -> None:
    # x0 semi-continuous in {0} ∪ [0.6, 1]; x0 + x1 <= 0.5 with x0 worth more: the answer
    # is x1 = 0.5 (x0 cannot be taken at 0.5)
    res = branch_and_cut(
        np.array([-3.0, -1.0]),
        sp.csc_matrix(np.array([[1.0, 1.0]])),
        np.array([-np.inf]),
        np.array([0.5]),
        np.array([2, 0], dtype=np.uint8),
        np.array([0.6, 0.0]),
        np.array([1.0, 1.0]),
        cols=np.arange(2),
        time_limit=10,
        gap=0.0,
    )
    assert res.x is not None
    assert res.x[0] == 0.0 and abs(res.x[1] - 0.5) < 1e-9
