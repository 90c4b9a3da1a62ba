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
from junkan.market import lns, milp
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
