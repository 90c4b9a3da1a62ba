"""The dive rounding (junkan.market.dive) and the cuts f_a ≤ u_pb (junkan.market.colgen
.separate, junkan.market.restrict.with_vub) on small instances: the dive's assignment meets every
row and every minimum lot and earns no more than the LP; the cuts only remove fractional
points (the LP value moves towards the MILP optimum, never past it)."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import numpy as np
import pytest

from junkan import market
from junkan.market import milp
from junkan.market.api import setting
from junkan.market.arcs import build_arcs
from junkan.market.colgen import Session, objective, relax, separate
from junkan.market.dive import dive
from tests.market.test_match import random_instance

TOL = 1e-6


def _setup(seed: int) -> tuple[Any, ...]:
    doc = random_instance(seed, n_lots=14, divisible=True)
    m = market.load(text=json.dumps(doc))
    arcs = build_arcs(m, setting(m), date(2026, 12, 1))
    model = milp.build(m, arcs)
    cons = model.rows.constraint(len(model.c))
    lp = Session(model.c, cons.A, cons.lb, cons.ub, model.ub)
    x, val, _, _ = relax(lp, np.ones(len(model.c), dtype=bool), time.perf_counter() + 30, 0.0)
    assert x is not None
    return doc, m, model, cons, lp, x, val


def _flows(model: Any, x: np.ndarray) -> np.ndarray:
    return np.array([model.m_a[mm] @ x[mm] for mm in model.members])


@pytest.mark.parametrize("seed", range(6))
def test_dive_is_feasible_and_below_the_lp(seed: int) -> None:
    _, m, model, cons, lp, x, val = _setup(seed)
    s = milp._structure(model, m)
    xd, _ = dive(lp, s, x, time.perf_counter() + 30)
    assert xd is not None
    ax = cons.A @ xd
    assert np.all(ax >= cons.lb - TOL) and np.all(ax <= cons.ub + TOL)
    f = _flows(model, xd)
    assert np.all((f <= TOL) | (f >= s.pair_min - TOL))  # every shipment 0 or ≥ minimum
    d = xd[: model.n_arc]
    assert np.all((s.semi_lb == 0) | (d <= TOL) | (d >= s.semi_lb - TOL))
    assert objective(model.c, s, xd) <= -val + TOL * max(1.0, abs(val))


def test_some_lp_breaks_a_minimum() -> None:
    """The instances above exercise the dive: some LP optimum has a pooled shipment below its
    minimum (else the dive would have nothing to do)."""
    broken = 0
    for seed in range(6):
        _, m, model, _, _, x, _ = _setup(seed)
        f = _flows(model, x)
        mins = milp._structure(model, m).pair_min
        broken += int(((f > TOL) & (f < mins - TOL)).sum())
    assert broken > 0


@pytest.mark.parametrize("seed", range(4))
def test_cuts_tighten_the_lp_but_keep_the_optimum(seed: int) -> None:
    doc, m, model, _, lp, x, val = _setup(seed)
    lp.vub = model.pair_col
    added = separate(lp, x)
    x2, val2, _ = lp.solve(30)
    assert x2 is not None
    if added:
        cut_cols = np.flatnonzero(lp.cut)
        assert np.all(x2[cut_cols] <= x2[model.pair_col[cut_cols]] + TOL)
    assert val2 >= val - TOL * max(1.0, abs(val))  # minimisation: never below the old LP
    doc["solver"]["mip_rel_gap"] = 0.0
    best = market.run(market.load(text=json.dumps(doc))).summary()["margin_JPY"] / 1000.0
    assert -val2 >= best - 1e-6 * max(1.0, abs(best))  # still a bound of the MILP


@pytest.mark.parametrize("seed", range(4))
def test_dive_pricing_routes_in_is_feasible(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With :data:`junkan.market.dive.PRICE_ROUNDS` on, routes not yet in the LP may join
    each dive LP; the assignment still meets every row and minimum, below the LP."""
    from junkan.market import dive as dive_mod
    from junkan.market.start import first_routes

    doc = random_instance(seed, n_lots=14, divisible=True)
    m = market.load(text=json.dumps(doc))
    arcs = build_arcs(m, setting(m), date(2026, 12, 1))
    model = milp.build(m, arcs)
    cons = model.rows.constraint(len(model.c))
    lp = Session(model.c, cons.A, cons.lb, cons.ub, model.ub)
    cap = np.array([c.capacity for c in m.conditions]) / 1000.0
    first = first_routes(model.c, model.n_arc, arcs.lot, arcs.cond, model.m_a, cap)
    x, val, _, _ = relax(lp, first, time.perf_counter() + 30, 0.0)
    assert x is not None
    monkeypatch.setattr(dive_mod, "PRICE_ROUNDS", 1)
    s = milp._structure(model, m)
    xd, _ = dive_mod.dive(lp, s, x, time.perf_counter() + 30)
    if xd is None:  # the dive may give up; it must never return an infeasible point
        return
    ax = cons.A @ xd
    assert np.all(ax >= cons.lb - TOL) and np.all(ax <= cons.ub + TOL)
    f = _flows(model, xd)
    assert np.all((f <= TOL) | (f >= s.pair_min - TOL))
    d = xd[: model.n_arc]
    assert np.all((s.semi_lb == 0) | (d <= TOL) | (d >= s.semi_lb - TOL))
    assert objective(model.c, s, xd) <= -val + TOL * max(1.0, abs(val))
