"""The analytic claims on a second model (review of issue 17): through junkan's own
pipeline, on the kettle model (tests/lifecycle/test_optimise.py), whose CO2e total is
linear in its processes' unit factors with the processes' activities as coefficients:

* Sobol' indices of a linear model y = c + Σ aᵢxᵢ with independent xᵢ are
  Sᵢ = STᵢ = aᵢ² var(xᵢ) / Σⱼ aⱼ² var(xⱼ);
* the percentiles of y for a normal x are c + a·(μ + zσ);
* P(B has less CO2e than A) on paired draws is P(x < x*) where the two lines cross."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from junkan import lifecycle
from junkan.lifecycle import uncertainty as U
from tests.lifecycle.test_optimise import MODEL

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kettle() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="kettle.yaml")


def _slope(result: lifecycle.Result, process: str) -> float:
    """t CO2e per (kg CO2e/piece) of ``process``: its activity over the horizon / 1000."""
    frame = result.to_frame("processes")
    return float(frame[frame.process == process].activity_piece.sum()) / 1000


def _section(params: list[dict[str, object]]) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate(
        {"parameters": [{"source": "test", **p} for p in params]}
    )


def test_sobol_indices_of_a_linear_model(kettle: lifecycle.ModelFile) -> None:
    pytest.importorskip("SALib")
    bounds = {"assembly": (1.0, 3.0), "pickup": (0.2, 2.0), "dismantle": (0.0, 0.4)}
    base = lifecycle.run(kettle)
    a = np.array([_slope(base, p) for p in bounds])
    var = np.array([(hi - lo) ** 2 / 12 for lo, hi in bounds.values()])
    expected = a**2 * var / (a**2 * var).sum()
    section = _section(
        [
            {"parameter": f"processes.{p}.co2e", "distribution": "uniform", "min": lo, "max": hi}
            for p, (lo, hi) in bounds.items()
        ]
    )
    sa = U.sensitivity(kettle, "sobol", 2048, section=section, outputs=["baseline:totals.co2e_t"])
    got = sa.indices["baseline:totals.co2e_t"]
    np.testing.assert_allclose(got["S1"], expected, atol=0.04)
    np.testing.assert_allclose(got["ST"], expected, atol=0.04)
    assert sa.ranking("baseline:totals.co2e_t") == [f"processes.{p}.co2e" for p in bounds]


def test_percentiles_and_p_b_beats_a_on_paired_draws(kettle: lifecycle.ModelFile) -> None:
    a, b = lifecycle.run(kettle), lifecycle.run(kettle, "more")
    slope_a, slope_b = _slope(a, "pickup"), _slope(b, "pickup")
    nominal = 0.8  # the model's pickup factor, kg CO2e/piece
    const_a = a.totals()["co2e_t"] - slope_a * nominal
    const_b = b.totals()["co2e_t"] - slope_b * nominal
    cross = (const_a - const_b) / (slope_b - slope_a)  # B has less CO2e below this factor
    mu, sd, runs = cross + 0.3, 0.6, 8000
    section = _section(
        [{"parameter": "processes.pickup.co2e", "distribution": "normal", "mean": mu, "std": sd}]
    )
    mc = U.propagate(kettle, runs=runs, seed=5, section=section)
    p = stats.norm(mu, sd).cdf(cross)
    assert mc.beats("baseline", "more", "co2e_t") == pytest.approx(
        p, abs=4 * np.sqrt(p * (1 - p) / runs)
    )
    doc = next(s for s in mc.to_json()["scenarios"] if s["name"] == "baseline")
    for q in (5, 25, 50, 75, 95):
        z = stats.norm.ppf(q / 100)
        # the standard error of a sample percentile: √(q(1−q)/n) / density
        se = np.sqrt(q / 100 * (1 - q / 100) / runs) / stats.norm.pdf(z) * sd * slope_a
        want = const_a + slope_a * (mu + z * sd)
        assert doc["totals"]["co2e_t"][f"p{q}"] == pytest.approx(want, abs=4 * se)
