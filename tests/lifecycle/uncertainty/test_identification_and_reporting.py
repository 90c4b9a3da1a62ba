"""Review rv17 (uncertainty analyses): calibration reports parameters the observations do
not identify with their bounds as range; sensitivity lists only drivers above their noise,
with their index values, the n it used, and the correlations it leaves out; P(B beats A)
counts ties as half; a distribution too large for floating point is refused by name.

The model: one product, 1,000 sold in each of 5 years, one kg-scale BOM line, so the
life-cycle CO2e is 5 · mass · co2e t (mass in kg, co2e in kgCO2e/kg); scenario 'heavy'
sets the mass to 2 kg itself, so there it is 10 · co2e t."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty.distributions import marginal
from junkan.lifecycle.uncertainty.identification import ranges
from junkan.lifecycle.uncertainty.montecarlo import compare

MODEL = """
junkan: 1
name: lin2
currency: JPY
years: {start: 2020, end: 2024}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 150 JPY/kg, source: "assumption"}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 120 JPY/kg, source: "assumption"}
products:
  box:
    sales: {2020: 1000}
    lifetime: {distribution: normal, mean: 60 year, std: 1 year}
    bom:
      - {material: steel, mass: 1 kg}
    eol:
      collection: {rate: 0.5, processes: []}
      dismantling: {residual: {landfill: 1}}
      uncollected: {landfill: 1}
processes:
  landfill: {kind: landfill, actor: recycler, stage: disposal, source: "assumption"}
headline:
  total_co2: {description: co2e, metric: co2e, unit: t}
scenarios:
  heavy:
    set:
      products.box.bom[0].mass: 2 kg
"""
CO2E = {"parameter": "materials.steel.virgin.co2e", "distribution": "uniform", "min": 1,
        "max": 4, "calibrate": True, "source": "test"}
MASS = {"parameter": "products.box.bom[0].mass", "distribution": "uniform", "min": 0.5,
        "max": 3, "calibrate": True, "source": "test"}
RATE = {"parameter": "products.box.eol.collection.rate", "distribution": "uniform",
        "min": 0.2, "max": 0.8, "source": "test"}


def _obs(scenario: str, value: float) -> dict:
    return {"headline": "total_co2", "scenario": scenario, "value": value, "source": "synthetic"}


@pytest.fixture(scope="module")
def model() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="lin2.yaml")


def _section(doc: dict) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate(doc)


# --- calibration ---------------------------------------------------------------------------


def test_the_ranges_leave_out_only_what_the_observations_do_not_see() -> None:
    """Hand case: figure 1 sees p0 + p1, figure 2 sees p2. p0 − p1 moves no figure: p0 and
    p1 are not identified (range = bounds); p2 is, with 1.96 / 1 of its span."""
    jac = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 8.0]])  # weighted, per unit of the span
    lo, hi = np.zeros(3), np.full(3, 10.0)
    ci, identified, rank = ranges(jac, np.full(3, 5.0), lo, hi)
    assert rank == 2
    assert identified.tolist() == [False, False, True]
    np.testing.assert_allclose(ci[:2], [[0, 10], [0, 10]])
    np.testing.assert_allclose(ci[2], [5 - 1.96 * 10 / 8, 5 + 1.96 * 10 / 8])
    # with a third figure that sees p0 alone, all three are identified
    ci, identified, rank = ranges(np.vstack([jac, [2.0, 0.0, 0.0]]), np.full(3, 5.0), lo, hi)
    assert rank == 3 and identified.all()


def test_precise_and_rough_figures_apart_identify_both() -> None:
    """Review 211 D3: p0 fitted to a cost known to ±0.2 yen (its weighted column 1.25e7
    per span), p1 to its own figure known to ±0.05 t (100): the Jacobian is diagonal, so
    both are identified — the rank was counted against the largest singular value over the
    whole matrix, and p1 reported 'not identified' with its bounds as its range."""
    jac = np.array([[1.25e7, 0.0], [0.0, 100.0]])
    lo, hi = np.zeros(2), np.full(2, 2.9)
    ci, identified, rank = ranges(jac, np.array([1.0, 1.3]), lo, hi)
    assert rank == 2 and identified.all()
    np.testing.assert_allclose(ci[1], [1.3 - 1.96 * 2.9 / 100, 1.3 + 1.96 * 2.9 / 100])
    np.testing.assert_allclose(ci[0], [1.0 - 1.96 * 2.9 / 1.25e7, 1.0 + 1.96 * 2.9 / 1.25e7])
    # a figure of their sum alone still leaves them unidentified, however precise
    ci, identified, rank = ranges(np.array([[1.25e7, 100.0]]), np.array([1.0, 1.3]), lo, hi)
    assert rank == 1 and not identified.any()


def test_one_observation_of_a_product_identifies_neither_factor(
        model: lifecycle.ModelFile) -> None:
    """Review rv17 #1: 15 t = 5 · mass · co2e fixes only mass · co2e = 3; co2e can be
    anywhere in 1 … 3 (mass 3 … 1) and was reported as 2.19 … 2.41."""
    cal = U.calibrate(model, section=_section({"parameters": [CO2E, MASS],
                                               "observations": [_obs("baseline", 15.0)]}))
    assert cal.fitted[0] * cal.fitted[1] == pytest.approx(3.0, rel=1e-6)
    doc = cal.to_json()
    assert doc["rank"] == 1
    for p, bounds in zip(doc["parameters"], ([1, 4], [0.5, 3]), strict=True):
        assert p["identified"] is False and p["informed"] is True
        assert p["ci95"] == bounds
        assert "not identified" in p["source"]
    assert any("2 calibrated parameters" in w and "only 1 observed" in w
               for w in doc["warnings"])
    assert any("not identified" in w for w in doc["warnings"])


def test_two_observations_identify_both_with_the_hand_ranges(
        model: lifecycle.ModelFile) -> None:
    """heavy: 10 · co2e = 20 fixes co2e = 2; baseline: 5 · mass · 2 = 15 fixes mass = 1.5.
    Weighted Jacobian (σ = 10 %: 1.5 and 2): [[7.5, 10] / 1.5, [10, 0] / 2]; its
    (JᵀJ)⁻¹ has variances 0.04 (co2e) and 0.045 (mass): ±0.392 and ±0.4158."""
    cal = U.calibrate(model, section=_section({
        "parameters": [CO2E, MASS], "observations": [_obs("baseline", 15.0),
                                                     _obs("heavy", 20.0)]}))
    np.testing.assert_allclose(cal.fitted, [2.0, 1.5], rtol=1e-5)
    doc = cal.to_json()
    assert doc["rank"] == 2 and doc["warnings"] == []
    assert [p["identified"] for p in doc["parameters"]] == [True, True]
    np.testing.assert_allclose(cal.ci95, [[2 - 0.392, 2 + 0.392],
                                          [1.5 - 1.96 * 0.045**0.5, 1.5 + 1.96 * 0.045**0.5]],
                               rtol=1e-4)


def test_the_cli_says_a_parameter_is_not_identified(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(json.dumps(
        {"parameters": [CO2E, MASS], "observations": [_obs("baseline", 15.0)]}),
        encoding="utf-8")
    res = CliRunner().invoke(app, ["calibrate", str(tmp_path / "m.yaml"), "--spec",
                                   str(tmp_path / "s.yaml")], terminal_width=200)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the notes wrap at the console's width
    assert text.count("not identified") >= 3  # two rows and the warning
    assert "only 1 observed figure is fitted" in text


# --- sensitivity ---------------------------------------------------------------------------


def _linear(theta: np.ndarray) -> dict[str, np.ndarray]:
    return {"y": 3 * theta[:, 0] + theta[:, 1]}  # x2 has no effect


def _params(k: int) -> list:
    return [marginal(U.UncertainParameter(parameter=f"x{i}", distribution="uniform", min=0,
                                          max=1, source="test")) for i in range(k)]


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_a_parameter_without_effect_is_no_driver(method: str) -> None:
    """Review rv17 #2: y = 3 x0 + x1 (x2 inert): x2's index is exactly 0 and it was listed
    among the top drivers."""
    pytest.importorskip("SALib")
    sa = U.analyse(["x0", "x1", "x2"], _params(3), _linear, method=method, n=512, seed=1)
    assert sa.ranking("y")[-1] == "x2"  # still ranked, with its index of 0
    assert sa.drivers("y") == ["x0", "x1"]
    assert sa.to_json()["outputs"]["y"]["top_drivers"] == ["x0", "x1"]
    assert "confidence interval" in sa.to_json()["driver_rule"]


def test_sobol_says_the_n_it_used_and_warns_when_it_is_too_small() -> None:
    """Review rv17 #6: n 5 ran as 8 without a word, and gave unstable indices."""
    pytest.importorskip("SALib")
    sa = U.analyse(["x0", "x1", "x2"], _params(3), _linear, method="sobol", n=5, seed=1)
    doc = sa.to_json()
    assert (doc["n"], doc["n_requested"], doc["evaluations"]) == (8, 5, 8 * 5)
    assert any("rounded up to 8" in note for note in doc["notes"])
    assert any("unstable" in note and "raise --n" in note for note in doc["notes"])
    # the outputs it names, as a field the page says in its own language (no rule copied there)
    assert doc["unstable"] and set(doc["unstable"]) <= set(doc["outputs"])
    assert doc["unstable_limit"] == 0.1
    big = U.analyse(["x0", "x1", "x2"], _params(3), _linear, method="sobol", n=1024, seed=1)
    assert big.to_json()["notes"] == [] and big.to_json()["unstable"] == []


def test_sensitivity_says_it_leaves_out_a_groups_correlation(
        model: lifecycle.ModelFile, tmp_path: Path) -> None:
    """Review rv17 #3: a group with correlation 0.7 was treated as independent silently."""
    pytest.importorskip("SALib")
    doc = {"parameters": [{**CO2E, "group": "g"}, {**MASS, "group": "g"}, RATE],
           "groups": {"g": {"correlation": 0.7, "source": "x"}}}
    for p in doc["parameters"]:
        p.pop("calibrate", None)
    sa = U.sensitivity(model, "sobol", 64, outputs=["baseline:total_co2"], section=_section(doc))
    out = sa.to_json()
    assert out["correlated_groups"] == [{"group": "g", "correlation": 0.7, "parameters": [
        CO2E["parameter"], MASS["parameter"]]}]
    assert any("group g" in n and "independent" in n for n in out["notes"])
    # and the terminal table shows the index values and the note
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["sensitivity", str(tmp_path / "m.yaml"), "--spec",
                                   str(tmp_path / "s.yaml"), "--n", "64", "--output",
                                   "baseline:total_co2"], terminal_width=200)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the notes wrap at the console's width
    st = out["outputs"]["baseline:total_co2"]["ST"]
    assert f"{st[0]:,.4g}" in text and "n 64" in text
    assert "analysed as independent" in text
    assert RATE["parameter"] not in text  # no effect on CO2e: not a driver


# --- Monte Carlo ---------------------------------------------------------------------------


def test_ties_count_as_half() -> None:
    """Review rv17 #5: identical figures gave P(B beats A) = 0 both ways."""
    same = np.array([0.0, 1.0, 2.0, 3.0])
    assert compare(same, same.copy(), True) == (0.5, 1.0)
    assert compare(same, same + 1, False) == (1.0, 0.0)
    assert compare(same, np.array([0.0, 1.0, 3.0, 4.0]), True) == (0.25, 0.5)


def test_a_total_equal_in_both_scenarios_is_a_tie(model: lifecycle.ModelFile) -> None:
    """Nothing in the model uses energy: energy_GJ is 0 in both scenarios in every run."""
    ens = U.propagate(model, 20, seed=1, section=_section({"parameters": [
        {k: v for k, v in CO2E.items() if k != "calibrate"}]}))
    c = ens.to_json()["comparisons"][0]
    assert c["p_b_beats_a"]["energy_GJ"] == 0.5 and c["p_equal"]["energy_GJ"] == 1.0
    assert ens.beats("baseline", "heavy", "energy_GJ") == 0.5
    assert ens.ties("baseline", "heavy", "energy_GJ") == 1.0
    assert c["p_equal"]["co2e_t"] == 0.0  # heavy (2 kg) always emits more than 1 kg
    assert c["p_b_beats_a"]["co2e_t"] == 0.0
    assert "half" in ens.to_json()["comparison_ties"]


# --- a distribution too large for floating point -------------------------------------------


def test_a_distribution_beyond_floating_point_is_refused_by_name(
        model: lifecycle.ModelFile) -> None:
    """Review rv17 #4: normal(1e308, 1e308) leaked two overflow warnings and then 'parameter
    draws must be finite numbers', naming no file and no parameter."""
    section = _section({"parameters": [{"parameter": CO2E["parameter"], "distribution":
                                        "normal", "mean": 1e308, "std": 1e308,
                                        "source": "test"}]}).located("huge.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelError) as err:
            U.resolve(model, section)
    assert err.value.source == "huge.yaml"
    assert err.value.problems[0].path == "parameters[0]"
    assert CO2E["parameter"] in err.value.problems[0].message
    assert "finite" in err.value.problems[0].message
