"""Every value that Monte Carlo, sensitivity and calibration evaluate is one its field accepts,
not only the first two draws (review of issue 17, round 17); a scenario's name is not a path;
sensitivity designs span each distribution's 0.1 … 99.9 % quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty import gsa
from junkan.lifecycle.uncertainty.distributions import marginal
from junkan.lifecycle.uncertainty.sampling import draw

MODEL = """
junkan: 1
name: toy
currency: JPY
years: {start: 2020, end: 2029}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
  dump: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 100 JPY/kg, source: assumption}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 80 JPY/kg, source: assumption}
    buyer: maker
parts:
  motor:
    bom: [{material: steel, mass: 1 kg}]
    recovery:
      reuse: {share: 0.3}
      remanufacture: {share: 0.3}
products:
  kettle:
    sales: 1000
    lifetime: {distribution: fixed, mean: 2 year}
    bom:
      - {part: motor, quantity: 1}
      - {material: steel, mass: 2 kg}
    eol:
      collection: {rate: 0.5, processes: [pickup]}
      dismantling: {extract: [motor], residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
  fan:
    sales: 500
    lifetime: {distribution: fixed, mean: 3 year}
    bom:
      - {material: steel, mass: 4 kg}
    eol:
      collection: {rate: 0.3, processes: [pickup]}
      dismantling: {residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
processes:
  pickup: {actor: recycler, stage: collection, co2e: 1 kgCO2e/piece, cost: 100 JPY/piece,
           source: assumption}
  steel_recycling: {kind: recycling, actor: recycler, stage: recycling, yields: {steel: 0.9},
                    residue: {landfill: 1}, closed_loop: true, co2e: 0.2 kgCO2e/kg,
                    cost: 20 JPY/kg, revenue: 30 JPY/kg, source: assumption}
  landfill: {kind: landfill, actor: dump, stage: disposal, co2e: 0.01 kgCO2e/kg,
             cost: 10 JPY/kg, source: assumption}
scenarios:
  more:
    set: {products.kettle.eol.collection.rate: 0.8}
  processes:
    set: {products.fan.eol.collection.rate: 0.4}
"""
RATE = "products.kettle.eol.collection.rate"


@pytest.fixture(scope="module")
def toy() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="toy.yaml")


def _section(*params: dict[str, object], **extra: object) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate(
        {"parameters": [{"source": "test", **p} for p in params], **extra}
    )


def _rate(**kw: object) -> dict[str, object]:
    return {"parameter": RATE, "distribution": "normal", "mean": 0.8, "std": 0.08, **kw}


def test_a_draw_past_the_limit_after_the_first_two_is_refused(toy: lifecycle.ModelFile) -> None:
    """Only the first two draws were compiled (and so validated): collection rates up to 1.1
    went through 1,000 runs unchecked, the run's arrays extrapolated from the probes."""
    section = _section(_rate())
    theta = draw(U.resolve(toy, section), 1000, 1)
    assert (theta[:2, 0] <= 1).all() and (theta[:, 0] > 1).sum() >= 5  # the case reported
    with pytest.raises(ModelError) as err:
        U.propagate(toy, runs=1000, seed=1, section=section)
    msg = str(err.value)
    assert f"toy.yaml:{RATE}: must be between 0 and 1, got 1.1001" in msg  # the largest
    assert "the value is a draw of toy.yaml:uncertainty.parameters[0]: bound its" in msg
    with pytest.raises(ModelError, match=r"its 'range' \[0.0, 1.2\] goes beyond the field's "
                       "limits: give one inside them"):  # review 218: it had a range
        U.propagate(toy, runs=1000, seed=1, section=_section(_rate(range=[0.0, 1.2])))
    bounded = U.propagate(toy, runs=1000, seed=1, section=_section(_rate(range=[0.0, 1.0])))
    assert bounded.theta[:, 0].max() <= 1.0


def test_a_parameter_outside_the_entries_is_checked_as_a_whole(
        toy: lifecycle.ModelFile) -> None:
    """Past bug: a parameter of a section that is not made of entries (years.end) was taken for
    the entry 'end' of a section 'years': an IndexError (exit 1; 'internal error' as a job).
    Then it was refused after the draw ('Input should be a valid integer'); now the spec
    refuses it: the horizon is no uncertain quantity."""
    with pytest.raises(ValueError, match=r"years\.end is not an uncertain quantity"):
        _section({"parameter": "years.end", "distribution": "uniform", "min": 2030,
                  "max": 2032})


def test_sensitivity_without_outputs_is_refused_before_any_run(
        toy: lifecycle.ModelFile) -> None:
    """A model without headline figures, no outputs named: all the design's runs were made
    for an empty result (12,288 evaluations as a job)."""
    assert not toy.baseline.headline
    with pytest.raises(ValueError, match="no headline figures to analyse"):
        U.sensitivity(toy, "sobol", n=64, section=_section(_rate(range=[0.0, 1.0])))


def test_negative_sales_are_refused_as_when_compiled(toy: lifecycle.ModelFile) -> None:
    """A check made while compiling (sales not negative) saw only the first two draws."""
    section = _section(
        {"parameter": "products.fan.sales", "distribution": "normal", "mean": 500, "std": 200}
    )
    theta = draw(U.resolve(toy, section), 400, 4)
    assert (theta[:2, 0] >= 0).all() and (theta[:, 0] < 0).any()
    with pytest.raises(ModelError, match=r"products\.fan\.sales: sales must not be negative"):
        U.propagate(toy, runs=400, seed=4, section=section)


def test_a_rule_across_two_drawn_fields_names_both(toy: lifecycle.ModelFile) -> None:
    """reuse.share + remanufacture.share above 1 in some draw: refused, naming both
    parameters (each share alone is within 0 … 1)."""
    section = _section(
        *(
            {
                "parameter": f"parts.motor.recovery.{k}.share",
                "distribution": "uniform",
                "min": 0.1,
                "max": 0.6,
            }
            for k in ("reuse", "remanufacture")
        )
    )
    with pytest.raises(ModelError) as err:
        U.propagate(toy, runs=200, seed=1, section=section)
    msg = str(err.value)
    assert "above 1" in msg and "parameters[0] and toy.yaml:uncertainty.parameters[1]" in msg


def test_calibration_refuses_a_range_past_the_fields_limits(toy: lifecycle.ModelFile) -> None:
    """A range [0.2, 1.5] on a share was fitted to 1.5 and reported as a success."""
    section = _section(
        _rate(mean=0.5, std=0.1, range=[0.2, 1.5], calibrate=True),
        observations=[
            {"total": "recycled_input_t", "scenario": "baseline", "value": 40.0, "source": "t"}
        ],
    )
    with pytest.raises(ModelError) as err:
        U.calibrate(toy, section=section)
    msg = str(err.value)
    assert "uncertainty.parameters[0].range: the fit would try" in msg
    assert "from 0.2 to 1.5" in msg and "must be between 0 and 1, got 1.5" in msg


def test_morris_and_sobol_designs_span_the_documented_support() -> None:
    """Morris's outer levels were the 1e-12 and 1 − 1e-12 quantiles (a normal 2 ± 0.2 at
    0.593 and 3.407); designs now span the 0.1 % … 99.9 % quantiles (Marginal.support)."""
    params = [
        U.UncertainParameter.model_validate(
            {"parameter": "a", "distribution": "normal", "mean": 2.0, "std": 0.2, "source": "t"}
        ),
        U.UncertainParameter.model_validate(
            {
                "parameter": "b",
                "distribution": "lognormal",
                "median": 4.0,
                "gsd": 1.5,
                "source": "t",
            }
        ),
    ]
    marg = [marginal(p) for p in params]
    z = stats.norm.ppf(0.999)
    expect = [(2 - 0.2 * z, 2 + 0.2 * z), (4 * 1.5**-z, 4 * 1.5**z)]  # 1.382 … 2.618, …
    for (lo, hi), m in zip(expect, marg, strict=True):
        assert m.support() == pytest.approx((lo, hi), rel=1e-9)
    for method in ("morris", "sobol"):
        seen: list[np.ndarray] = []

        def fn(theta: np.ndarray, seen: list[np.ndarray] = seen) -> dict[str, np.ndarray]:
            seen.append(theta)
            return {"y": theta[:, 0] + theta[:, 1]}

        gsa.analyse(["a", "b"], marg, fn, method=method, n=16, seed=1)
        th = np.vstack(seen)
        for j, (lo, hi) in enumerate(expect):
            assert th[:, j].min() >= lo * (1 - 1e-9) and th[:, j].max() <= hi * (1 + 1e-9)
            if method == "morris":  # the outer levels are the support's bounds
                assert th[:, j].min() == pytest.approx(lo) and th[:, j].max() == pytest.approx(hi)


def test_morris_of_a_model_stays_within_the_fields_limits(toy: lifecycle.ModelFile) -> None:
    """A normal 0.5 ± 0.1 collection rate was evaluated at −0.203 and 1.203 (unchecked)."""
    sa = U.sensitivity(
        toy,
        "morris",
        n=16,
        section=_section(_rate(mean=0.5, std=0.1)),
        outputs=["baseline:totals.co2e_t"],
    )
    assert sa.evaluations > 0
    with pytest.raises(ModelError, match=r"must be between 0 and 1[\s\S]*parameters\[0\]"):
        U.sensitivity(  # its 99.9 % quantile is 1.08: refused, naming the parameter
            toy,
            "morris",
            n=16,
            section=_section(_rate(mean=0.7, std=0.12)),
            outputs=["baseline:totals.co2e_t"],
        )


def test_a_scenario_named_like_a_section_freezes_nothing(toy: lifecycle.ModelFile) -> None:
    """A scenario called 'processes' counted as setting every path under processes.*, so
    the pickup's uncertain CO2e was held at its nominal value there."""
    section = _section(
        {"parameter": "processes.pickup.co2e", "distribution": "uniform", "min": 0.5, "max": 1.5}
    )
    st = U.resolve(toy, section)
    assert st.active("processes") == [0]
    mc = U.propagate(toy, runs=50, seed=1, section=section)
    base, scen = (mc.outputs.totals[s]["co2e_t"] for s in ("baseline", "processes"))
    assert np.ptp(scen) > 0
    # the pickups per kg CO2e are the scenario's own: co2e = fixed part + pickups × value
    slope = np.polyfit(mc.theta[:, 0], scen, 1)[0]
    pickups = lifecycle.run(toy, "processes").to_frame("processes")
    n = pickups[pickups.process == "pickup"].activity_piece.sum()
    assert slope == pytest.approx(n / 1000, rel=1e-9)
    assert np.polyfit(mc.theta[:, 0], base, 1)[0] < slope  # fewer fans collected there
