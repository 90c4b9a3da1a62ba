"""Fans over the years (issue 17: "fan charts"): a Monte Carlo study keeps the network's CO2e,
virgin input and recycled share per year and run, and gives their percentiles per year — each
run's years adding up to its total, the percentiles in order, the model's years (not their
index) on the chart; an analysis that evaluates many runs for other ends (sensitivity,
calibration) keeps none of them."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty.evaluate import YEARLY, Evaluator
from junkan.lifecycle.uncertainty.report import yearly_fan
from junkan.lifecycle.uncertainty.sampling import draw
from tests.conftest import EXAMPLES

SPEC = EXAMPLES / "uncertainty" / "compressor_magnet.yaml"


@pytest.fixture(scope="module")
def ensemble() -> U.Ensemble:
    model = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    section = U.UncertaintySection.model_validate(yaml.safe_load(SPEC.read_text("utf-8")))
    return U.propagate(model, 40, 3, section=section)


def test_each_runs_years_add_up_to_its_total(ensemble: U.Ensemble) -> None:
    o = ensemble.outputs
    assert set(o.yearly) == set(ensemble.study.scenarios)
    for s in o.yearly:
        assert set(o.yearly[s]) == set(YEARLY)
        co2 = o.yearly[s]["co2e_t"]
        assert co2.shape == (40, 45)  # runs × 2000–2044
        np.testing.assert_allclose(co2.sum(axis=1), o.totals[s]["co2e_t"], rtol=1e-9)
        np.testing.assert_allclose(o.yearly[s]["virgin_input_t"].sum(axis=1),
                                   o.totals[s]["virgin_input_t"], rtol=1e-9)
        assert np.ptp(co2[:, -1]) > 0  # the runs differ: a spread, not one line


def test_percentiles_per_year_in_order_over_the_models_years(ensemble: U.Ensemble) -> None:
    doc = ensemble.to_json()
    for scen in doc["scenarios"]:
        fan = scen["yearly"]
        assert fan["years"] == list(range(2000, 2045))
        for key in YEARLY:
            q = fan[key]
            assert len(q["p50"]) == 45
            for i in range(45):
                values = [q[p][i] for p in ("p5", "p25", "p50", "p75", "p95")]
                if values[0] is None:  # a year no run defines (a share of 0 t)
                    assert key.endswith("share") and values == [None] * 5
                    continue
                assert values == sorted(values), (scen["name"], key, i, values)
        # the median of the last year, from the runs themselves
        runs = ensemble.outputs.yearly[scen["name"]]["co2e_t"][:, -1]
        assert fan["co2e_t"]["p50"][-1] == pytest.approx(float(np.median(runs)))


def test_the_fan_chart_has_the_years_on_its_axis(ensemble: U.Ensemble) -> None:
    fig = yearly_fan(ensemble, "co2e_t")
    medians = [d for d in fig.data if d.mode == "lines"]
    assert len(medians) == len(ensemble.study.scenarios)
    assert list(medians[0].x) == list(range(2000, 2045))
    assert fig.layout.yaxis.title.text == "co2e_t [tCO2e/year]"
    assert yearly_fan(ensemble, "recycled_share").layout.yaxis.title.text == "recycled_share [%]"


def test_other_analyses_keep_no_figures_per_year(ensemble: U.Ensemble) -> None:
    st = ensemble.study
    assert Evaluator(st).evaluate(draw(st, 4, 0)).yearly == {}
