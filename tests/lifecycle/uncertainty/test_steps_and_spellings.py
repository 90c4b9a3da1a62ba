"""Review 211 (an independent check of the uncertainty analyses): a fixed lifetime is a
step the multilinear form missed, and a scenario's own setting spelt ``[00]`` was
overwritten by the draw."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty import family
from junkan.lifecycle.uncertainty.evaluate import Evaluator
from junkan.lifecycle.uncertainty.sampling import draw

MODEL = """
junkan: 1
name: pump
years: {start: 2020, end: 2024}
actors:
  maker: {role: product_maker}
  waste: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 150 JPY/kg, source: assumption}
parts:
  seal:
    make: [seal_making]
    bom: [{material: steel, mass: 100 g}]
products:
  machine:
    make: [assembly]
    sales: 1000
    lifetime: {distribution: fixed, mean: 10 year}
    bom:
      - {part: seal, quantity: 1}
      - {material: steel, mass: 1 kg}
    maintenance:
      - part: seal
        lifetime: {distribution: fixed, mean: 8 year}
        collection: {rate: 0.0}
        uncollected: {landfill: 1}
        residual: {landfill: 1}
    eol:
      collection: {rate: 0.5, processes: [pickup]}
      uncollected: {landfill: 1}
      dismantling: {residual: {landfill: 1}}
processes:
  assembly: {actor: maker, stage: manufacturing, co2e: 2 kgCO2e/piece, source: assumption}
  seal_making: {actor: maker, stage: manufacturing, co2e: 5 kgCO2e/piece, source: assumption}
  pickup: {actor: maker, stage: collection, co2e: 10 kgCO2e/piece, source: assumption}
  landfill: {kind: landfill, actor: waste, stage: disposal, co2e: 0.02 kgCO2e/kg,
             source: assumption}
scenarios:
  C:
    set:
      "products.machine.maintenance[00].lifetime.mean": 3 year
  D:
    set:
      "products.machine.maintenance[0].lifetime.mean": 3 year
"""


@pytest.fixture(scope="module")
def pump() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="pump.yaml")


def _uniform(path: str, lo: float, hi: float) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate({"parameters": [
        {"parameter": path, "distribution": "uniform", "min": lo, "max": hi,
         "source": "test"}]})


def _each_compiled(st: U.Study, theta: np.ndarray) -> U.Outputs:
    ev = Evaluator(st)
    ev.engine_only = set(st.scenarios)  # one compiled model per run
    return ev.evaluate(theta)


@pytest.mark.parametrize("path", ["products.machine.lifetime.mean",
                                  "products.machine.maintenance[0].lifetime.mean"])
def test_a_drawn_fixed_lifetime_is_compiled_run_by_run(pump: lifecycle.ModelFile,
                                                       path: str) -> None:
    """Lifetimes uniform on 3 … 30 years over 2020–2024: the probes (10 % and 90 %
    quantiles, 5.7 and 27.3, and the model's own value) and the first two draws (seed 4:
    9.95 and 14.63) all showed no effect, so every run was given the baseline's figures
    where the draws below 4.5 years (5 of 60) retire cohorts within the horizon."""
    st = U.resolve(pump, _uniform(path, 3.0, 30.0))
    theta = draw(st, 60, seed=4)
    assert theta[:2, 0].min() > 5.0 and (theta[:, 0] < 4.5).sum() == 5
    got = Evaluator(st).evaluate(theta)
    assert got.methods["baseline"] == "compiled per run"
    want = _each_compiled(st, theta)
    co2e = got.totals["baseline"]["co2e_t"]
    np.testing.assert_allclose(co2e, want.totals["baseline"]["co2e_t"], rtol=1e-9)
    assert np.ptp(co2e) > 1.0  # short lifetimes add pickups or replacements


def test_a_step_beyond_the_probes_is_found_by_the_ends_of_the_range(
        pump: lifecycle.ModelFile) -> None:
    """The form is also checked with each parameter alone at the ends of its distribution:
    with lifetimes let through (as another step-like parameter would be), the short end
    of the range finds the step the probes miss."""
    st = U.resolve(pump, _uniform("products.machine.lifetime.mean", 3.0, 30.0))
    theta = draw(st, 60, seed=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(family, "through_survival", lambda path: False)
        got = Evaluator(st).evaluate(theta)
    assert got.methods["baseline"] == "compiled per run"
    np.testing.assert_allclose(got.totals["baseline"]["co2e_t"],
                               _each_compiled(st, theta).totals["baseline"]["co2e_t"],
                               rtol=1e-9)


def test_a_scenario_setting_spelt_with_leading_zeros_is_its_own(
        pump: lifecycle.ModelFile) -> None:
    """Scenario C sets ``maintenance[00]`` and D ``maintenance[0]`` — the same field: both
    keep their own 3 years, the draw acts only in the baseline."""
    st = U.resolve(pump, _uniform("products.machine.maintenance[0].lifetime.mean", 10, 30))
    assert [b.active for b in st.bindings["C"]] == [False]
    assert [b.active for b in st.bindings["D"]] == [False]
    assert [b.active for b in st.bindings["baseline"]] == [True]
    out = Evaluator(st).evaluate(draw(st, 5, seed=0))
    fixed = out.totals["C"]["co2e_t"]
    assert np.ptp(fixed) == 0.0
    np.testing.assert_allclose(fixed, out.totals["D"]["co2e_t"])


def test_a_sales_year_spelt_with_a_leading_zero_is_the_scenarios_own() -> None:
    doc = yaml.safe_load(MODEL)
    doc["products"]["machine"]["sales"] = {2020: 1000, 2024: 1200}
    doc["scenarios"] = {"E": {"set": {"products.machine.sales.02024": 900}}}
    mf = lifecycle.load(text=yaml.safe_dump(doc), source="pump2.yaml")
    st = U.resolve(mf, _uniform("products.machine.sales.2024", 1000, 1400))
    assert [b.active for b in st.bindings["E"]] == [False]


def test_a_fixed_lifetime_is_calibrated_from_a_start_where_it_changes_nothing() -> None:
    """Observed CO2e of a 3.27-year lifetime, the model's 10 years: around 10 nothing
    changes (no cohort retires within 2020–2024), so the local search stopped there and
    the calibration was refused ("no calibrated parameter changes a fitted figure"); the
    second start from the design finds the step that reproduces the figure."""
    doc = yaml.safe_load(MODEL)
    doc["products"]["machine"]["lifetime"]["mean"] = "3.27 year"
    observed = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="short.yaml"))
    co2e = observed.totals()["co2e_t"]
    mf = lifecycle.load(text=MODEL, source="pump.yaml")
    section = U.UncertaintySection.model_validate({
        "parameters": [{"parameter": "products.machine.lifetime.mean",
                        "distribution": "uniform", "min": 3, "max": 30, "calibrate": True,
                        "source": "test"}],
        "observations": [{"total": "co2e_t", "scenario": "baseline", "value": co2e,
                          "sigma": 0.5, "source": "the model at 3.27 years"}]})
    assert co2e > lifecycle.run(mf).totals()["co2e_t"] + 1.0
    cal = U.calibrate(mf, section=section)
    assert cal.predicted[0] == pytest.approx(co2e, rel=1e-9)
    assert 3.0 <= cal.fitted[0] < 4.5


def test_the_second_start_keeps_within_the_evaluations_given() -> None:
    """Review 215: the search from the design's best point had its own max_evaluations, so
    a fit given 3 evaluated its misfit 4 times."""
    doc = yaml.safe_load(MODEL)
    doc["products"]["machine"]["lifetime"]["mean"] = "3.27 year"
    doc["processes"]["pickup"]["co2e"] = "14 kgCO2e/piece"
    co2e = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="s.yaml")).totals()
    section = U.UncertaintySection.model_validate({
        "parameters": [{"parameter": "products.machine.lifetime.mean", "distribution":
                        "uniform", "min": 3, "max": 30, "calibrate": True, "source": "t"},
                       {"parameter": "processes.pickup.co2e", "distribution": "uniform",
                        "min": 5, "max": 20, "calibrate": True, "source": "t"}],
        "observations": [{"total": "co2e_t", "scenario": "baseline", "sigma": 0.5,
                          "value": co2e["co2e_t"], "source": "synthetic"}]})
    from junkan.lifecycle.uncertainty import calibration

    mf = lifecycle.load(text=MODEL, source="pump.yaml")
    misfit = calibration._Fit.fun
    for most in (3, 6):
        calls: list[int] = []

        def counted(fit: Any, x: Any, told: list[int] = calls) -> Any:
            told.append(1)
            return misfit(fit, x)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(calibration._Fit, "fun", counted)
            U.calibrate(mf, section=section, max_evaluations=most)
        assert 0 < len(calls) <= most
