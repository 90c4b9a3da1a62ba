"""The neighbourhood search (junkan.market.lns) on small instances: from the dive's
assignment, every step keeps every row, minimum lot and semi-continuous delivery of the full
model and never loses margin; a neighbourhood of every buyer is the whole MILP, so one step
reaches its optimum (the exact branch and cut of market.run)."""

from __future__ import annotations

import json
import time
from datetime import date

import numpy as np
import pytest

from junkan import market
from junkan.market import lns, milp, restrict
from junkan.market.api import setting
from junkan.market.arcs import build_arcs
from junkan.market.colgen import objective
from junkan.market.dive import dive
from tests.market.test_match import random_instance
from tests.market.test_match_dive import TOL, _flows, _setup


def _searched(seed: int, width: int, monkeypatch: pytest.MonkeyPatch) -> tuple[float, ...]:
    monkeypatch.setattr(lns, "WIDTH", width)
    _, m, model, cons, lp, x_lp, val = _setup(seed)
    s = milp._structure(model, m)
    start, _ = dive(lp, s, x_lp, time.perf_counter() + 30)
    assert start is not None
    # gap 0 against the LP value: the search goes on while any buyer lost margin
    arcs = build_arcs(m, setting(m), date(2026, 12, 1))
    x = lns.from_model(model, cons, arcs, s, start, x_lp, time.perf_counter() + 30, -val, 0.0)
    ax = cons.A @ x
    assert np.all(ax >= cons.lb - TOL) and np.all(ax <= cons.ub + TOL)
    f = _flows(model, x)
    assert np.all((f <= TOL) | (f >= s.pair_min - TOL))  # every shipment 0 or ≥ minimum
    d = x[: model.n_arc]
    assert np.all((s.semi_lb == 0) | (d <= TOL) | (d >= s.semi_lb - TOL))
    ships = x[model.n_arc :]
    assert np.all((np.abs(ships) <= TOL) | (np.abs(ships - 1) <= TOL))
    assert np.all((f <= TOL) | (ships >= 1 - TOL))  # flow only through an open shipment
    return objective(model.c, s, start), objective(model.c, s, x), -val


@pytest.mark.parametrize("seed", range(3))
def test_one_buyer_steps_keep_every_row(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after, lp_value = _searched(seed, 1, monkeypatch)
    assert before - TOL <= after <= lp_value + TOL * max(1.0, abs(lp_value))


@pytest.mark.parametrize("seed", range(4))
def test_every_buyer_at_once_is_the_milp(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _, after, _ = _searched(seed, 2, monkeypatch)
    exact = market.run(market.load(text=json.dumps(random_instance(seed, 14, True))))
    assert exact.solution.status == "optimal"
    assert after * 1000.0 == pytest.approx(exact.solution.objective, rel=1e-6, abs=1e-2)


@pytest.mark.parametrize("seed", range(3))
def test_large_model_search_keeps_every_row_and_a_true_gap(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path of models above FULL_MAX routes (the search over each lot's routes of least
    reduced cost, then the restricted branch and cut): every delivery meets its window, the
    margin is at most the exact optimum and the bound at least it (the gap is a proof)."""
    doc = json.dumps(random_instance(seed, 14, True))
    exact = market.run(market.load(text=doc)).solution
    assert exact.status == "optimal"
    seen: list[object] = []
    search = lns.from_model

    def spy(*args: object) -> np.ndarray:
        seen.append(args[-1])
        return search(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(milp, "FULL_MAX", 0)
    monkeypatch.setattr(restrict, "PER_LOT", 1)
    monkeypatch.setattr(lns, "from_model", spy)
    res = market.run(market.load(text=doc))
    got = res.solution
    assert seen and seen[0] is not None  # the search ran over the kept columns only
    assert all(d["met"] for d in res.deliveries())
    scale = max(1.0, abs(exact.objective))
    assert got.objective <= exact.objective + 1e-6 * scale
    assert got.bound >= exact.objective - 1e-6 * scale
    assert got.gap == pytest.approx((got.bound - got.objective) / abs(got.bound), abs=1e-9)
