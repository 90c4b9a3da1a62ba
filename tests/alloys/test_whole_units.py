"""Plans in whole vehicles and whole removals: the MILP against enumeration of every whole
plan, the rounding of the core method above ``DIRECT_UNITS``, the example plans, the chance
constraint checked on the whole plan, fractional stock refused."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan.alloys import chance, lpcore, wholeplan
from junkan.alloys.data import load_library
from junkan.alloys.plan import PlanError, Setting, Task, plan, solve_setting
from junkan.cli.main import app
from tests.conftest import EXAMPLES

LIB = load_library()
SMALL: dict[str, float] = {"makerA_kei_2008_icev": 3, "makerA_compact_2012_hev": 3,
                           "makerC_kei_2014_icev": 3}


def small_lp() -> lpcore.BlockLP:
    """3 vehicle types × 3 on hand, 2 removable parts, at most 5 shredded, the chance rows
    linearised at κ = Φ⁻¹(0.9): 9 units, LP optimum fractional."""
    task = Task(LIB, SMALL, LIB.buyers["adc12_feed"], 0.9, 5, 0.0, 200, 0, None)
    oc = solve_setting(task, Setting(65.0, None, "al", ("engine_block", "transmission")))
    m = oc.model
    kappa = chance.chance_bounds(0.9, len(m.els))[0]
    return chance.chance_lp(m, oc.stats, kappa, oc.extra_a, oc.extra_b)


def enumerate_best(lp: lpcore.BlockLP) -> tuple[np.ndarray, float]:
    """The best whole plan by trying them all: per block every 0 ≤ kept ≤ shredded ≤ stock."""
    nb = lp.n_blocks
    per_block = []
    for blk in range(nb):
        parts = np.nonzero(lp.unit_block[nb:] == blk)[0] + nb
        s = int(lp.ub[blk])
        per_block.append([(x, parts, ys) for x in range(s + 1)
                          for ys in itertools.product(range(x + 1), repeat=parts.size)])
    plans = []
    for combo in itertools.product(*per_block):
        z = np.zeros(lp.unit_block.size)
        for blk, (x, parts, ys) in enumerate(combo):
            z[blk] = x
            z[parts] = ys
        plans.append(z)
    zs = np.array(plans)
    ok = np.all(zs @ lp.a.T <= lp.b + 1e-9 * (1 + np.abs(lp.b)), axis=1)
    value = np.where(ok, zs @ lp.c, -np.inf)
    best = int(np.argmax(value))
    return zs[best], float(value[best])


def test_milp_plan_is_the_best_whole_plan_by_enumeration(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr(wholeplan, "MILP_REL_GAP", 0.0)  # proven optimal, to compare
    lp = small_lp()
    sol = wholeplan.solve_whole(lp)
    relaxed = sol.relaxation.z
    assert np.any(np.abs(relaxed - np.round(relaxed)) > 1e-3)  # the LP plan is fractional
    z_best, v_best = enumerate_best(lp)
    assert sol.method == "milp" and sol.status == "optimal"
    assert np.array_equal(sol.z, np.round(sol.z))
    assert sol.objective == pytest.approx(v_best, rel=1e-9)
    assert np.array_equal(sol.z, z_best)
    gap = sol.gap()
    assert gap["lp_bound_JPY"] == pytest.approx(sol.relaxation.objective)
    assert gap["gap_JPY"] == pytest.approx(sol.relaxation.objective - v_best)
    assert gap["gap_JPY"] > 0


def random_whole_lp(seed: int) -> lpcore.BlockLP:
    """Random block LP with whole stock (the shape of test_plan_levers' random LPs)."""
    rng = np.random.default_rng(seed)
    nb, parts, m = 60, 4, 4
    ub = rng.integers(3, 15, nb).astype(float)
    unit_block = np.concatenate([np.arange(nb), np.repeat(np.arange(nb), parts)])
    c = np.concatenate([rng.normal(2000, 1500, nb), rng.normal(-50, 200, nb * parts)])
    a = rng.normal(0.1, 1.0, (m, unit_block.size))
    a[:, :nb] += rng.normal(0, 3, (m, nb))
    cap = (unit_block < nb).astype(float)
    floor = -rng.uniform(0.5, 2.0, unit_block.size)  # a minimum-product row
    b = np.concatenate([np.zeros(m), [ub.sum() / 3, -0.05 * float(-floor @ ub[unit_block])]])
    return lpcore.BlockLP(c, np.vstack([a, cap, floor]), b, unit_block, ub)


@pytest.mark.parametrize("seed", range(3))
def test_rounding_above_direct_units_gives_a_feasible_whole_plan(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    lp = random_whole_lp(seed)
    exact = wholeplan.solve_whole(lp)  # 300 units: the MILP
    monkeypatch.setattr(lpcore, "DIRECT_UNITS", 50)  # the core method and the rounding
    sol = wholeplan.solve_whole(lp)
    assert sol.method == "rounding" and sol.status == "feasible"
    z, nb = sol.z, lp.n_blocks
    assert np.array_equal(z, np.round(z))
    assert (lp.a @ z <= lp.b + 1e-6 * (1 + np.abs(lp.b))).all()
    assert (z >= 0).all() and (z[:nb] <= lp.ub).all()
    assert (z[nb:] <= z[lp.unit_block[nb:]]).all()
    gap = sol.gap()
    assert gap["method"] == "rounding"
    assert gap["lp_bound_JPY"] == pytest.approx(exact.relaxation.objective, rel=1e-7)
    assert gap["gap_JPY"] == pytest.approx(gap["lp_bound_JPY"] - sol.objective)
    assert gap["gap_JPY"] >= 0 and sol.objective <= exact.objective + 1e-6
    assert gap["gap_pct"] < 5  # rounding loses little against the bound


def whole(counts: Mapping[str, object]) -> bool:
    return all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())


@pytest.mark.slow
def test_example_plan_is_in_whole_vehicles_and_checked_on_the_samples() -> None:
    res = CliRunner().invoke(app, ["alloy", "plan", str(EXAMPLES / "alloys" / "plan.yaml"),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert whole(doc["vehicles"]) and all(whole(r) for r in doc["removals"].values())
    assert all(isinstance(r["vehicles"], int) for r in doc["legal_removals"].values())
    assert sum(doc["vehicles"].values()) <= 150 and doc["probability_met"] >= 0.9
    w = doc["whole_units"]
    assert w["method"] == "milp" and w["gap_JPY"] >= 0
    assert doc["margin_JPY"] == pytest.approx(w["lp_bound_JPY"] - w["gap_JPY"])
    table = CliRunner().invoke(app, ["alloy", "plan", str(EXAMPLES / "alloys" / "plan.yaml")])
    assert table.exit_code == 0
    assert not re.search(r"×[\d,]+\.\d|│ [\d,]+\.\d+ +│", table.stdout)
    assert re.search(r"battery_cells removed from \d+ vehicles", table.stdout)
    assert "below the LP bound" in " ".join(table.stdout.split())


def test_the_whole_plan_is_the_one_checked_on_the_samples(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    stock: dict[str, float] = {"makerA_kei_2008_icev": 60, "makerA_compact_2012_hev": 40,
             "makerC_sedan_2010_icev": 30, "makerC_kei_2014_icev": 40,
             "makerA_midsize_2019_phev": 15}
    monkeypatch.setattr(lpcore, "DIRECT_UNITS", 20)  # the rounding path, on the real model
    res = plan(stock, "adc12_feed", capacity_vehicles=150, n=300, levers=False)
    assert res.detail["whole_units"]["method"] == "rounding"
    assert whole(res.counts) and all(whole(r) for r in res.removals.values())
    assert res.probability_all >= 0.9
    feed = res.feed_plan()
    assert all(float(line.count).is_integer() for line in feed.vehicles)
    assert sum(line.count for line in feed.vehicles) == sum(res.counts.values())
    # the plan the κ search kept is whole, and its P(met) on the samples is the one reported
    task = Task(LIB, stock, LIB.buyers["adc12_feed"], 0.9, 150, 0.0, 300, 0, None)
    oc = solve_setting(task, Setting(65.0, None, "al", None))
    assert oc.kappa.best is not None
    z = oc.kappa.best[0]
    assert np.array_equal(z, np.round(z))
    assert oc.model.met(z).all(axis=1).mean() == pytest.approx(res.probability_all)


def test_fractional_stock_is_refused_naming_it() -> None:
    with pytest.raises(PlanError, match="whole vehicles") as err:
        plan({"makerA_kei_2008_icev": 2.5, "makerC_kei_2014_icev": 3}, "adc12_feed", n=100)
    assert "makerA_kei_2008_icev" in str(err.value)
    assert err.value.problems[0].path == "stock"
