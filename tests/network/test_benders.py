"""Benders decomposition of the multi-period model (issue 25, item 2): the same optimum as
the monolithic MILP and as brute force, a lower bound below and an upper bound above the
optimum at every iteration, valid cuts, and an exact answer even when the penalty on
uncollected supply starts too small."""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
import pytest

from junkan.network import benders
from junkan.network.multiperiod import formulate_periods, period_model, solve_periods
from junkan.network.solver import solve_milp
from tests.network.test_periods import TINY, _net

PREFS = ("Aichi", "Osaka", "Hyogo", "Okayama", "Hiroshima", "Kagawa", "Ehime", "Shiga",
         "Kyoto", "Mie", "Gifu", "Nara")


def _random_doc(seed: int) -> dict[str, Any]:
    """A random small instance: 5 supply zones, 4 candidate hubs with two tiers, 3 or 4
    periods with random supply factors and capital costs, lead time 0 or 1."""
    rnd = random.Random(seed)
    doc: dict[str, Any] = copy.deepcopy(TINY)
    zones = rnd.sample(PREFS, 5)
    doc["commodities"]["panel"]["supply"]["by_prefecture"] = {
        z: f"{rnd.randint(5, 30) * 1000} t" for z in zones}
    doc["hubs"]["extra"] = [{"name": f"H {p}", "prefecture": p} for p in rnd.sample(PREFS, 4)]
    doc["destinations"][0]["capacity"]["panel"] = "500000 t"
    doc["hubs"]["tiers"][0]["capital_cost"] = f"{rnd.randint(2, 8)}e8 JPY"
    doc["hubs"]["tiers"][1]["capital_cost"] = f"{rnd.randint(9, 20)}e8 JPY"
    lead = rnd.randint(0, 1)
    t_ = rnd.randint(3, 4)
    factor = [round(rnd.uniform(0.4, 1.3), 2) for _ in range(t_)]
    if lead:
        factor[0] = 0.0
    doc["periods"].update(years=[2030 + 5 * t for t in range(t_)], lead_time=lead,
                          salvage=round(rnd.uniform(0, 0.4), 2),
                          supply_factor={"panel": factor})
    return doc


def _check(doc: dict[str, Any]) -> tuple[float, Any]:
    """Benders against the monolithic optimum: the same cost, a plan feasible for the
    monolithic rows, LB ≤ optimum ≤ UB after every master solve."""
    m = period_model(_net(doc))
    prob, cc = formulate_periods(m)
    mono = solve_milp(prob, gap=1e-9, time_limit=60)
    seen: list[dict[str, float]] = []
    res = benders.solve_benders(prob, cc, m, gap=1e-7, time_limit=60, progress=seen.append)
    opt = mono.objective
    assert res.optimal and res.objective == pytest.approx(opt, rel=1e-6)
    assert res.bound <= opt * (1 + 1e-9) and res.gap <= 1e-7
    assert float(prob.c @ res.x) == pytest.approx(res.objective, rel=1e-9)
    ax, tol = prob.a @ res.x, 1e-6 * float(m.supply.max())
    assert (ax <= prob.row_hi + tol).all() and (ax >= prob.row_lo - tol).all()
    assert np.allclose(res.x[prob.integer], np.round(res.x[prob.integer]))
    assert seen, "no progress reported"
    for ev in seen:
        assert ev["bound"] <= opt * (1 + 1e-9) and opt <= ev["objective"] * (1 + 1e-9)
        assert ev["elapsed"] >= 0
    return opt, res


@pytest.mark.parametrize("lead,factor", [(0, [0.3, 1.0, 0.5]), (1, [0.0, 1.0, 0.6])])
def test_benders_equals_the_monolithic_optimum_on_3_sites_3_periods(lead: int,
                                                                    factor: list[float]) -> None:
    doc: dict[str, Any] = copy.deepcopy(TINY)
    doc["periods"]["lead_time"] = lead
    doc["periods"]["supply_factor"]["panel"] = factor
    _, res = _check(doc)  # brute force: test_periods.py's slow test checks Benders too
    assert res.status.startswith("Benders (gap reached")


def test_benders_equals_the_monolithic_optimum_on_a_random_small_instance() -> None:
    _check(_random_doc(4))  # 4 periods, lead time 1 (seeds 1–8 all agree)


def test_a_too_small_penalty_is_raised_until_the_answer_is_exact(monkeypatch: Any) -> None:
    """With P near 0 the master first prefers leaving supply uncollected; the loop notices,
    raises P and still ends at the monolithic optimum."""
    monkeypatch.setattr(benders, "PENALTY_FACTOR", 0.2)
    _, res = _check(copy.deepcopy(TINY))
    assert "penalty raised" in res.status


def test_cuts_are_valid_for_every_hub_plan() -> None:
    """A cut taken at one plan never exceeds the transport cost at another (weak duality),
    and is tight where it was taken."""
    m = period_model(_net(_random_doc(3)))
    prob, cc = formulate_periods(m)
    blocks = benders.build_blocks(prob, cc)
    rng = np.random.default_rng(0)
    plans = [(rng.random(3 * cc.nb) < 0.5).astype(float) for _ in range(4)]
    for b in blocks:
        evs = [benders.evaluate(b, u) for u in plans]
        for ev, u in zip(evs, plans, strict=True):
            assert ev.const + ev.coef @ u == pytest.approx(ev.value, rel=1e-6, abs=1e-3)
            for other, q in zip(plans, evs, strict=True):
                assert ev.const + ev.coef @ other <= q.value * (1 + 1e-7) + 1e-3


def test_unknown_method_is_named() -> None:
    from junkan.core.errors import JunkanError

    with pytest.raises(JunkanError, match="method 'dual': use one of monolithic, rolling"):
        solve_periods(_net(TINY), method="dual")
