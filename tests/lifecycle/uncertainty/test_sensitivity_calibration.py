"""Sensitivity (issue 17, item 3): Sobol' indices of the Ishigami function through junkan's
own distributions, sampling and analysis; Morris and the model path. Calibration (item 4):
known parameters recovered from synthetic observations."""

from __future__ import annotations

import json

import numpy as np
import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty.distributions import marginal
from junkan.lifecycle.uncertainty.evaluate import Evaluator
from tests.conftest import EXAMPLES

pytest.importorskip("SALib")

# Ishigami (a = 7, b = 0.1), inputs U(−π, π): the known indices (Ishigami & Homma 1990;
# Saltelli et al., Global Sensitivity Analysis: The Primer, 2008, §4.6)
S1 = (0.3139, 0.4424, 0.0)
ST = (0.5576, 0.4424, 0.2437)


def _ishigami(theta: np.ndarray) -> dict[str, np.ndarray]:
    x1, x2, x3 = theta.T
    return {"y": np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)}


def _uniform_pi(name: str) -> U.UncertainParameter:
    return U.UncertainParameter(
        parameter=name,
        distribution="uniform",
        min=-np.pi,
        max=np.pi,
        source="Ishigami & Homma 1990",
    )


def test_sobol_indices_of_the_ishigami_function() -> None:
    params = [_uniform_pi(f"x{i}") for i in (1, 2, 3)]
    sa = U.analyse(
        [p.parameter for p in params],
        [marginal(p) for p in params],
        _ishigami,
        method="sobol",
        n=4096,
        seed=1,
        nominal=np.zeros(3),
    )
    idx = sa.indices["y"]
    np.testing.assert_allclose(idx["S1"], S1, atol=0.03)
    np.testing.assert_allclose(idx["ST"], ST, atol=0.03)
    assert sa.ranking("y")[0] == "x1"
    assert set(sa.tornado["y"]) == {"low", "high", "nominal"}


def test_morris_screens_out_the_inert_input() -> None:
    params = [_uniform_pi(f"x{i}") for i in (1, 2, 3)] + [_uniform_pi("inert")]

    def f(theta: np.ndarray) -> dict[str, np.ndarray]:
        return _ishigami(theta[:, :3])

    sa = U.analyse(
        [p.parameter for p in params],
        [marginal(p) for p in params],
        f,
        method="morris",
        n=200,
        seed=2,
    )
    mu_star = sa.indices["y"]["mu_star"]
    assert mu_star[3] == 0.0 and min(mu_star[:3]) > 0.5
    with pytest.raises(ValueError, match="unknown method"):
        U.analyse(["a"], [marginal(params[0])], f, method="fast")


@pytest.fixture(scope="module")
def magnet() -> lifecycle.ModelFile:
    return lifecycle.load(EXAMPLES / "compressor_magnet.yaml")


def _section(observations: list[dict] | None = None) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate(
        {
            "parameters": [
                {
                    "parameter": "products.room_ac.eol.collection.rate",
                    "distribution": "triangular",
                    "min": 0.2,
                    "mode": 0.4,
                    "max": 0.7,
                    "source": "test",
                    "calibrate": True,
                },
                {
                    "parameter": "products.room_ac.maintenance[0].replacement_rate",
                    "distribution": "uniform",
                    "min": 0.01,
                    "max": 0.05,
                    "source": "test",
                    "calibrate": True,
                },
                {
                    "parameter": "processes.magnet_extraction.cost",
                    "distribution": "uniform",
                    "min": 500,
                    "max": 1500,
                    "source": "test",
                },
            ],
            "observations": observations or [],
        }
    )


@pytest.mark.slow
def test_sensitivity_of_a_model_names_the_drivers(magnet: lifecycle.ModelFile) -> None:
    sa = U.sensitivity(
        magnet,
        "sobol",
        n=16,
        seed=0,
        section=_section(),
        outputs=["B:recycled_rare_earth_share", "B:totals.cost_JPY"],
    )
    doc = sa.to_json()
    json.dumps(doc)
    share = doc["outputs"]["B:recycled_rare_earth_share"]
    # the extraction cost cannot move a mass share: ranked last, and no driver (rv17 #2)
    assert sa.ranking("B:recycled_rare_earth_share")[-1] == "processes.magnet_extraction.cost"
    assert "processes.magnet_extraction.cost" not in share["top_drivers"]
    assert abs(share["ST"][2]) < 0.05
    assert share["unit"] == "fraction" and doc["outputs"]["B:totals.cost_JPY"]["unit"] == "JPY"
    assert doc["parameter_units"]["processes.magnet_extraction.cost"] == "JPY/piece"


@pytest.mark.slow
def test_calibration_recovers_known_parameters(magnet: lifecycle.ModelFile) -> None:
    truth = np.array([0.55, 0.032, 840.0])
    st = U.resolve(magnet, _section())
    out = Evaluator(st).evaluate(truth[None, :])
    figures = [
        ("A", "recycled_rare_earth_share"),
        ("B", "recycled_rare_earth_share"),
        ("B", "co2_reduction_t"),
        ("A", "co2_reduction_t"),
    ]
    obs = [
        {"headline": f, "scenario": s, "value": float(out.figure(s, f)[0]), "source": "synthetic"}
        for s, f in figures
    ]
    cal = U.calibrate(magnet, section=_section(obs))
    np.testing.assert_allclose(cal.fitted, truth[:2], rtol=1e-3)
    doc = cal.to_json()
    assert all(o["within_15_percent"] for o in doc["observations"])
    assert all(p["ci95"][0] <= p["fitted"] <= p["ci95"][1] for p in doc["parameters"])
    assert doc["parameters"][0]["source"].startswith("calibrated: bounded least squares")
    # review 222: the attainable range was a list written as text in observations.csv, and
    # the chart drew shares (0.4) and tonnes (500) on one axis: now each as % of observed
    frame = cal.to_frame()
    assert "attainable" not in frame and (frame.attainable_low <= frame.fitted).all()
    assert (frame.fitted <= frame.attainable_high).all()
    from junkan.lifecycle.uncertainty.report import _observed_vs_fitted

    fig = _observed_vs_fitted(frame)
    assert list(fig.data[0].x) == [100] * len(frame)
    np.testing.assert_allclose(fig.data[2].x, 100 * frame.fitted / frame.observed)


def test_calibration_refuses_unknown_figures(magnet: lifecycle.ModelFile) -> None:
    bad = _section(
        [
            {"headline": "nope", "scenario": "B", "value": 1, "source": "s"},
            {"headline": "co2_reduction_t", "scenario": "Z", "value": 1, "source": "s"},
        ]
    )
    with pytest.raises(ModelError, match=r"observations\[0\]\.headline.*\n.*observations\[1\]"):
        U.calibrate(magnet, section=bad)


def test_each_analysis_tells_its_progress(magnet: lifecycle.ModelFile) -> None:
    """A job's page shows runs done of runs (a fit: evaluations of at most): each analysis
    tells ``(done, of)`` as it goes, rising to the end."""
    from junkan.lifecycle.uncertainty import evaluate

    told: dict[str, list[tuple[int, int]]] = {"mc": [], "sa": [], "cal": []}
    old = evaluate.CHUNK
    evaluate.CHUNK = 4  # several chunks of a small sample
    try:
        U.propagate(magnet, 10, 0, section=_section(),
                    progress=lambda d, o: told["mc"].append((d, o)))
        U.sensitivity(magnet, "morris", n=4, seed=0, section=_section(),
                      outputs=["B:recycled_rare_earth_share"],
                      progress=lambda d, o: told["sa"].append((d, o)))
    finally:
        evaluate.CHUNK = old
    assert told["mc"] == [(4, 10), (8, 10), (10, 10)]
    assert told["sa"] and told["sa"][-1][0] == told["sa"][-1][1]
    assert all(d <= o for d, o in told["sa"])
    section = _section([{"headline": "recycled_rare_earth_share", "scenario": "B", "value": 0.3,
                         "source": "synthetic"}])
    cal = U.calibrate(magnet, section=section, max_evaluations=5,
                      progress=lambda d, o: told["cal"].append((d, o)))
    # every model evaluation the result counts, of at most a number that only tightens, up
    # to the result's count (review 219: 108 of 200 objective evaluations, then 1,299)
    assert [d for d, _ in told["cal"]] == sorted(d for d, _ in told["cal"])
    assert [o for _, o in told["cal"]] == sorted((o for _, o in told["cal"]), reverse=True)
    assert all(d <= o for d, o in told["cal"])
    assert told["cal"][-1] == (cal.evaluations, cal.evaluations)


def test_the_relative_error_has_the_sign_of_the_residual() -> None:
    """Past bug: an observation of −79 fitted at −220 showed '+178 %' (divided by the signed
    observation), which reads as a fit above what was observed."""
    from types import SimpleNamespace

    from junkan.lifecycle.uncertainty.calibration import Calibration

    obs = [U.Observation.model_validate({"headline": h, "scenario": "B", "value": v,
                                         "source": "test"})
           for h, v in (("co2", -79.0), ("cost", 50.0))]
    one = np.array([1.0])
    years = SimpleNamespace(start=2020, end=2030)
    study = SimpleNamespace(model=SimpleNamespace(name="m", baseline=SimpleNamespace(years=years)),
                            names=["p"], nominal=lambda: one,
                            figure_unit=lambda figure: "tCO2e", parameter_unit=lambda i: "")
    cal = Calibration(study=study,  # type: ignore[arg-type]
                      names=["p"], fitted=one, start=one, lower=one * 0, upper=one * 2,
                      ci95=np.array([[0.5, 1.5]]), observations=obs,
                      predicted=np.array([-220.0, 40.0]), predicted_start=np.array([-79.0, 50.0]),
                      cost=0.0, success=True, message="", evaluations=1)
    got = [o["relative_error"] for o in cal.to_json()["observations"]]
    assert got == pytest.approx([-141 / 79, -10 / 50])


@pytest.mark.slow
def test_an_observation_out_of_reach_is_shown_and_can_be_left_unfitted(
        magnet: lifecycle.ModelFile) -> None:
    """Issue 17, item 4: a figure that no values within the ranges give is shown as out of
    reach (its attainable range beside it); marked 'fit: false' it is reported, not fitted,
    and does not pull the fit away from the parameters the other figures recover."""
    truth = np.array([0.55, 0.032, 840.0])
    st = U.resolve(magnet, _section())
    out = Evaluator(st).evaluate(truth[None, :])
    pairs = [("A", "recycled_rare_earth_share"), ("B", "recycled_rare_earth_share"),
             ("B", "co2_reduction_t")]
    obs = [{"headline": f, "scenario": s, "value": float(out.figure(s, f)[0]),
            "source": "synthetic"} for s, f in pairs]
    # a share no values within the ranges give (10 × the share was 2.3: no share at all,
    # refused since review 259)
    far = {"headline": "recycled_rare_earth_share", "scenario": "A", "source": "synthetic",
           "value": 0.95, "fit": False}
    cal = U.calibrate(magnet, section=_section([*obs, far]))
    np.testing.assert_allclose(cal.fitted, truth[:2], rtol=1e-3)
    doc = cal.to_json()["observations"]
    assert [o["fitted_to"] for o in doc] == [True, True, True, False]
    assert [o["reachable"] for o in doc] == [True, True, True, False]
    for o in doc:
        lo, hi = o["attainable"]
        assert lo <= o["fitted"] <= hi and lo <= o["start"] <= hi
    assert doc[3]["observed"] > doc[3]["attainable"][1]
    with pytest.raises(ModelError, match="no observed figures to fit"):
        U.calibrate(magnet, section=_section([far]))


@pytest.mark.slow
def test_a_parameter_that_matters_away_from_the_start_is_fitted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review: a cost that moves no figure while the collection rate starts at 0 was frozen
    as 'uninformed', and the rate stalled on its bound (B's share −64 %); both are fitted
    from a start just inside the ranges. (The attainable ranges, sampled after the fit, are
    not this test's concern: 32 points instead of 256, each a whole compilation here, cut
    the test from ~26 s to a few on a loaded CI machine.)"""
    import yaml

    from junkan.lifecycle.uncertainty import calibration

    monkeypatch.setattr(calibration, "REACH_POINTS", 32)

    doc = yaml.safe_load((EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8"))
    doc["products"]["room_ac"]["eol"]["collection"]["rate"] = 0.0
    model = lifecycle.load(text=yaml.safe_dump(doc), source="zero_rate.yaml")
    params = [{"parameter": "products.room_ac.eol.collection.rate", "distribution": "uniform",
               "min": 0.0, "max": 0.6, "source": "test", "calibrate": True},
              {"parameter": "processes.eol_compressor_collection.cost",
               "distribution": "uniform", "min": 1000, "max": 3000, "source": "test",
               "calibrate": True}]
    figures = [("B", "recycled_rare_earth_share"), ("B", "magnet_cost_index")]
    probe = U.UncertaintySection.model_validate({"parameters": params, "observations": [
        {"headline": f, "scenario": s, "value": 1.0, "source": "x"} for s, f in figures]})
    st = U.resolve(model, probe)
    row = st.nominal().copy()
    row[:2] = [0.4, 2800.0]
    out = Evaluator(st).evaluate(row[None, :])
    section = U.UncertaintySection.model_validate({"parameters": params, "observations": [
        {"headline": f, "scenario": s, "value": float(out.figure(s, f)[0]), "source": "x"}
        for s, f in figures]})
    cal = U.calibrate(model, section=section)
    np.testing.assert_allclose(cal.fitted, [0.4, 2800.0], rtol=1e-6)
    assert all(p["informed"] for p in cal.to_json()["parameters"])


def test_sobol_with_seed_0_gives_the_same_indices_and_intervals_every_time() -> None:
    """SALib seeds its bootstrap only with a truthy seed: the default seed 0 used to give
    other confidence intervals (and so other drivers) on every call."""
    params = [_uniform_pi(f"x{i}") for i in (1, 2, 3)]

    def run() -> U.Sensitivity:
        return U.analyse([p.parameter for p in params], [marginal(p) for p in params],
                         _ishigami, method="sobol", n=64, seed=0)

    first, second = run(), run()
    assert first.indices == second.indices
    assert first.drivers("y") == second.drivers("y")
