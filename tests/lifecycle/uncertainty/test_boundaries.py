"""Hostile input at the boundary of uncertainty, sensitivity and calibration: each is
refused before any heavy work, naming the file and the field, and saying what to do
(review of issue 17; one test per bug found)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.errors import JunkanError, ModelError
from junkan.lifecycle import uncertainty as U
from tests.conftest import EXAMPLES
from tests.lifecycle.test_optimise import MODEL

RATE = "products.kettle.eol.collection.rate"


@pytest.fixture(scope="module")
def kettle() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="kettle.yaml")


def _param(**kw: object) -> dict[str, object]:
    return {"parameter": RATE, "source": "test", **kw}


def _obs(**kw: object) -> dict[str, object]:
    return {"total": "co2e_t", "scenario": "baseline", "value": 800.0, "source": "t", **kw}


@pytest.mark.parametrize("std", [0, -1])
def test_a_normal_with_zero_std_is_refused_by_name(std: float) -> None:
    """It used to draw NaN and stop with 'parameter draws must be finite numbers'; a
    negative std was refused as 'greater than or equal to 0', as if 0 would do (review
    280): both are told alike."""
    with pytest.raises(ValueError, match=r"parameters\.0[\s\S]*std above 0"):
        U.UncertaintySection.model_validate(
            {"parameters": [_param(distribution="normal", mean=0.5, std=std)]}
        )


def test_a_range_without_probability_is_refused_when_resolved(kettle: lifecycle.ModelFile) -> None:
    """It used to pass resolution and fail at the first draw without naming the parameter."""
    section = U.UncertaintySection.model_validate(
        {"parameters": [_param(distribution="normal", mean=0.5, std=0.01, range=[0.8, 0.9])]}
    )
    with pytest.raises(ModelError, match=r"uncertainty\.parameters\[0\]: range .* holds none"):
        U.resolve(kettle, section)


def test_errors_of_a_spec_file_name_that_file(kettle: lifecycle.ModelFile, tmp_path: Path) -> None:
    """With --spec, errors named the model file and a path 'uncertainty.…' it does not have;
    a path missing in every scenario was said to be missing in the last one."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "parameters": [
                    _param(parameter="products.kettle.nope", distribution="uniform", min=0, max=1)
                ]
            }
        ),
        encoding="utf-8",
    )
    section = U.UncertaintySection.model_validate(yaml.safe_load(spec.read_text()))
    with pytest.raises(ModelError) as err:
        U.resolve(kettle, section.located(str(spec)))
    assert str(err.value) == (
        f"{spec}:parameters[0].parameter: 'products.kettle.nope' does not exist in the "
        "model; check it against the model file"
    )  # it said 'in scenario 'more'' for a path missing in every scenario
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    res = CliRunner().invoke(
        app, ["uncertainty", str(tmp_path / "m.yaml"), "--spec", str(spec), "--runs", "2"]
    )
    assert res.exit_code == 2 and f"{spec}:parameters[0].parameter" in res.output


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("nope", "give scenario:figure"),
        ("Z:totals.co2e_t", "unknown scenario 'Z'; the model has: baseline, more"),
        ("baseline:totals.nope", "unknown total 'nope'; totals are: "),
        ("baseline:actors.maker", "write actors.<actor>.<key> with an actor"),
        ("baseline:co2e", "unknown figure 'co2e'"),
    ],
)
def test_sensitivity_outputs_are_checked_before_the_design(
    kettle: lifecycle.ModelFile, output: str, message: str
) -> None:
    """A bad output used to cost the whole design, then stop with a bare KeyError ('nope')
    or a TypeError traceback."""
    section = U.UncertaintySection.model_validate(
        {"parameters": [_param(distribution="uniform", min=0.3, max=0.6)]}
    )
    with pytest.raises(JunkanError, match=f"output '{output}': .*{message}"):
        U.sensitivity(kettle, "sobol", 4, section=section, outputs=[output])


def test_calibration_refuses_unknown_totals_and_zero_without_sigma(
    kettle: lifecycle.ModelFile,
) -> None:
    """An unknown total was a bare KeyError after the fit began; an observed 0 was fitted
    with a weight of 10¹³; a fixed parameter without a range a ValueError traceback."""
    cal = _param(distribution="uniform", min=0.3, max=0.6, calibrate=True)
    section = U.UncertaintySection.model_validate(
        {"parameters": [cal], "observations": [_obs(total="nope")]}
    )
    with pytest.raises(ModelError, match=r"observations\[0\]\.total: unknown total 'nope'"):
        U.calibrate(kettle, section=section)
    with pytest.raises(ValueError, match="observed value of 0 .* give 'sigma'"):
        U.UncertaintySection.model_validate({"parameters": [cal], "observations": [_obs(value=0)]})
    U.UncertaintySection.model_validate(
        {"parameters": [cal], "observations": [_obs(value=0, sigma=5)]}
    )
    with pytest.raises(ValueError, match="calibrated parameter needs a plausible 'range'"):
        U.UncertaintySection.model_validate(
            {"parameters": [_param(distribution="fixed", calibrate=True)]}
        )


def test_calibrate_cli_reports_value_errors_in_one_line(tmp_path: Path) -> None:
    """`junkan calibrate` caught only JunkanError: a ValueError was a traceback."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "parameters": [
                    {
                        "parameter": "products.room_ac.eol.collection.rate",
                        "distribution": "normal",
                        "mean": 0.4,
                        "std": 0.01,
                        "range": [0.8, 0.9],
                        "calibrate": True,
                        "source": "t",
                    }
                ],
                "observations": [
                    {"headline": "co2_reduction_t", "scenario": "B", "value": 5, "source": "t"}
                ],
            }
        ),
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        app, ["calibrate", str(EXAMPLES / "compressor_magnet.yaml"), "--spec", str(spec)]
    )
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and f"{spec}:parameters[0]: range" in res.output


def test_a_draw_outside_the_fields_limits_names_the_uncertain_parameter(
    kettle: lifecycle.ModelFile,
) -> None:
    """The model's refusal ('must be between 0 and 1') did not say that the value was a
    draw, nor of which parameter, nor what to do."""
    section = U.UncertaintySection.model_validate(
        {"parameters": [_param(distribution="uniform", min=0.5, max=1.5)]}
    )
    with pytest.raises(ModelError, match=r"draw of kettle\.yaml:uncertainty\.parameters\[0\]"):
        U.propagate(kettle, runs=50, seed=1, section=section)


def test_an_out_folder_that_cannot_be_made_stops_before_the_analysis(tmp_path: Path) -> None:
    """A missing parent folder of --out was found only after the analysis, as a
    FileNotFoundError traceback; then it was refused, though ``simulate --out`` makes missing
    folders (and the user guide's ``--out out/mc`` failed in a fresh checkout). Missing
    folders are now made; a file standing where a folder would be stops before the
    analysis."""
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump({"parameters": [_param(distribution="uniform", min=0.3, max=0.6)]}),
        encoding="utf-8",
    )
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    runs = {"uncertainty": ["uncertainty", str(tmp_path / "m.yaml"), "--spec", str(spec),
                            "--runs", "2"],
            "optimise": ["optimise", str(tmp_path / "m.yaml")]}
    for name, args in runs.items():
        blocked = tmp_path / "a_file" / name / "out"
        res = CliRunner().invoke(app, [*args, "--out", str(blocked)])
        assert res.exit_code == 2, res.output
        assert f"{tmp_path / 'a_file'} is a file, so no folder can be made" in \
            " ".join(res.output.split())
    res = CliRunner().invoke(app, [*runs["uncertainty"], "--out",
                                   str(tmp_path / "no" / "such" / "out")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "no" / "such" / "out" / "summary.json").is_file()


def test_a_year_key_is_a_parameter_path(kettle: lifecycle.ModelFile) -> None:
    """``products.kettle.sales.2028`` was refused as 'does not exist' (YAML reads the key
    as the number 2028), though scenarios and overrides accept the same path."""
    section = U.UncertaintySection.model_validate(
        {
            "parameters": [
                _param(
                    parameter="products.kettle.sales.2028",
                    distribution="uniform",
                    min=10000,
                    max=10001,
                )
            ]
        }
    )
    mc = U.propagate(kettle, runs=2, seed=1, section=section)
    for sales, got in zip(mc.theta[:, 0], mc.outputs.totals["baseline"]["co2e_t"], strict=True):
        direct = lifecycle.run(kettle, overrides={"products.kettle.sales.2028": float(sales)})
        assert got == pytest.approx(direct.totals()["co2e_t"], rel=1e-9)


def test_an_output_without_indices_says_why() -> None:
    """A constant or undefined output used to vanish from the answer without a word."""
    pytest.importorskip("SALib")
    import numpy as np

    from junkan.lifecycle.uncertainty.distributions import marginal

    m = marginal(U.UncertainParameter.model_validate(_param(distribution="uniform", min=0, max=1)))

    def fn(theta: np.ndarray) -> dict[str, np.ndarray]:
        x = theta[:, 0]
        return {"moves": x, "flat": np.ones_like(x), "holes": np.where(x < 0.5, np.nan, x)}

    sa = U.analyse(["x"], [m], fn, n=8)
    assert list(sa.indices) == ["moves"]
    skipped = sa.to_json()["skipped"]
    assert skipped["flat"] == "the same in every run: no parameter moves it"
    assert skipped["holes"].startswith("undefined (not a number) in ")
    assert skipped["holes"].endswith(f" of {sa.evaluations} runs")


def test_a_large_model_is_simulated_in_smaller_chunks(
    kettle: lifecycle.ModelFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every model was simulated 250 runs at a time: a 400-product × 20-part × 50-year model
    took 1.6 GiB for 50 runs (and ~5 GiB at 250); the chunk now follows the arrays' size
    (same numbers)."""
    import numpy as np

    from junkan.lifecycle.uncertainty import evaluate as E
    from junkan.lifecycle.uncertainty.sampling import draw

    section = U.UncertaintySection.model_validate(
        {"parameters": [_param(distribution="uniform", min=0.3, max=0.6)]}
    )
    st = U.resolve(kettle, section)
    theta = draw(st, 7, seed=2)
    assert E.chunk_size(st) == E.CHUNK  # a small model: the most
    whole = E.Evaluator(st).evaluate(theta)
    monkeypatch.setattr(E, "CHUNK_BYTES", 3 * E.run_bytes(st) + 1)
    assert E.chunk_size(st) == 3
    calls: list[int] = []
    chunk = E.Evaluator._chunk

    def counted(self: E.Evaluator, th: np.ndarray) -> U.Outputs:
        calls.append(len(th))
        return chunk(self, th)

    monkeypatch.setattr(E.Evaluator, "_chunk", counted)
    parts = E.Evaluator(st).evaluate(theta)
    assert calls == [3, 3, 1]
    np.testing.assert_allclose(parts.totals["more"]["co2e_t"], whole.totals["more"]["co2e_t"])


def test_one_field_under_two_spellings_is_listed_twice() -> None:
    """``maintenance[0]`` and ``maintenance[00]`` are one field: both were drawn and the
    second silently won (the first showed as a parameter that does nothing, in sensitivity
    too). Positions are written as the document reads them, so the repeat is refused."""
    first = "products.kettle.maintenance[0].replacement_rate"
    with pytest.raises(ValueError, match=r"parameter products\.kettle\.maintenance\[0\]"
                                         r"\.replacement_rate is listed twice: "
                                         r"parameters\[0\] and parameters\[1\]"):
        U.UncertaintySection.model_validate({"parameters": [
            _param(parameter=first, distribution="uniform", min=0.01, max=0.011),
            _param(parameter=first.replace("[0]", "[00]"), distribution="uniform", min=0.03,
                   max=0.031)]})
    one = U.UncertaintySection.model_validate({"parameters": [
        _param(parameter="products.kettle.bom[007].quantity", distribution="uniform", min=1,
               max=2)]})
    assert one.parameters[0].parameter == "products.kettle.bom[7].quantity"


@pytest.mark.parametrize(("error", "said"), [({"sigma": 1e-200}, "a standard error of 1e-200"),
                                             ({"rel_sigma": 1e-300}, "a standard error of 4e-301")])
def test_an_observation_error_too_small_to_weigh_is_refused(error: dict[str, float],
                                                             said: str) -> None:
    """``sigma: 1e-200`` overflowed the fit ('array must not contain infs or NaNs', blamed on
    the model); such an error is refused on the observation, saying why."""
    from junkan.lifecycle.uncertainty.spec import Observation

    seen = {"headline": "recycled_rare_earth_share", "scenario": "B", "value": 0.4,
            "source": "t"}
    with pytest.raises(ValueError, match=said + r" for the observed 0\.4 is no measurement's"):
        Observation.model_validate({**seen, **error})
    assert Observation.model_validate({**seen, "sigma": 1e-9}).error == 1e-9


def test_validate_checks_the_inline_uncertainty_section_against_the_model(
        tmp_path: Path) -> None:
    """``junkan validate`` said 'ok' for a model whose own uncertainty section drew a field
    the model does not have, a field that is no number, or fitted a figure of a scenario
    the model does not have (``junkan uncertainty`` refused them later). It now checks them
    as the analyses do, naming each, and counts the section in its summary."""
    doc = yaml.safe_load(MODEL)
    doc["uncertainty"] = {
        "parameters": [_param(distribution="uniform", min=0.3, max=0.7),
                       _param(parameter="products.nope.x", distribution="uniform", min=0,
                              max=1),
                       _param(parameter="products.kettle.make", distribution="uniform", min=0,
                              max=1)],
        "observations": [_obs(scenario="Q")]}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "uncertainty.parameters[1].parameter: 'products.nope.x' does not exist" in said
    assert "uncertainty.parameters[2].parameter" in said
    assert "uncertainty.observations[0].scenario: unknown scenario 'Q'" in said
    doc["uncertainty"]["parameters"] = doc["uncertainty"]["parameters"][:1]
    doc["uncertainty"]["observations"] = [_obs()]
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(bad)])
    assert res.exit_code == 0, res.output
    assert "1 uncertain parameter(s), 1 observation(s)" in " ".join(res.output.split())


@pytest.mark.parametrize("path", ["years.start", "junkan", "scenarios.B.set.x", "headline[0]"])
def test_a_field_describing_the_model_is_no_uncertain_parameter(path: str) -> None:
    """Drawing ``years.start`` or ``junkan`` failed after the draw, as 'must be one of 1'
    with advice to bound the distribution; such a path is refused up front, saying why."""
    with pytest.raises(ValueError, match=rf"{re.escape(path)} is not an uncertain quantity"):
        U.UncertaintySection.model_validate({"parameters": [
            _param(parameter=path, distribution="uniform", min=1, max=2)]})


def test_sensitivity_names_its_method_option() -> None:
    res = CliRunner().invoke(app, ["sensitivity", "no-such-model.yaml", "--method", "foo"])
    assert res.exit_code == 2 and "--method" in res.output and "sobol or morris" in res.output


@pytest.mark.parametrize(("seen", "said"), [
    ({"total": "co2e"},
     "observations[0].total: unknown total 'co2e'; totals are: circular_inflow_share, co2e_t,"),
    ({"total": None, "headline": "co2e_reduction"},
     "observations[0].headline: unknown figure 'co2e_reduction'; give a headline figure"),
    ({"total": None, "headline": "actors.nobody.co2e_t"},
     "observations[0].headline: 'actors.nobody.co2e_t': write actors.<actor>.<key> with an "
     "actor of the model:"),
    ({"total": None, "headline": "actors.maker.co2"},
     "observations[0].headline: unknown actor figure 'co2'; there are: co2e_t, cost, margin, "
     "revenue")])
def test_validate_names_an_observed_figure_the_model_does_not_compute(
        tmp_path: Path, seen: dict[str, object], said: str) -> None:
    """``junkan validate`` said 'ok' for an inline observation of a figure no scenario
    computes (a misspelt total, headline or actor figure): only ``junkan calibrate`` refused
    it, after evaluating the model. It is named now, without a run, in calibration's words."""
    doc = yaml.safe_load(MODEL)
    doc["uncertainty"] = {"parameters": [_param(distribution="uniform", min=0.3, max=0.7)],
                          "observations": [{k: v for k, v in _obs(**seen).items()
                                            if v is not None}]}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2, res.output
    assert f"uncertainty.{said}" in " ".join(res.output.split())


@pytest.mark.parametrize("example", ["compressor_magnet.yaml", "atm_reuse.yaml"])
def test_the_figures_known_without_a_run_are_those_a_run_computes(example: str) -> None:
    """:func:`figure_names` (what ``validate`` checks observations against) lists, per
    scenario, exactly the headline figures, totals and actor figures an evaluation fills."""
    from junkan.lifecycle.uncertainty.figures import figure_names

    model = lifecycle.load(EXAMPLES / example)
    section = model.raw.get("uncertainty") or {"parameters": [
        _param(parameter=f"products.{next(iter(model.baseline.products))}.eol.collection.rate",
               distribution="uniform", min=0.1, max=0.2)]}
    study = U.resolve(model, U.UncertaintySection.model_validate(section))
    ev = U.Evaluator(study)
    out = ev.evaluate(study.nominal()[None, :])
    names = figure_names(model)
    for s in model.scenarios:
        assert set(names.headline[s]) == set(out.headline[s]), s
        assert set(names.totals[s]) == set(out.totals[s]), s
        assert {a: set(k) for a, k in names.actors[s].items()} == \
            {a: set(k) for a, k in out.actors[s].items()}, s
    assert any(set(names.headline[s]) != set(names.headline[model.scenarios[0]])
               for s in model.scenarios) or example == "atm_reuse.yaml"


@pytest.mark.parametrize("path", [f"{RATE}.", "products.kettle.eol..collection.rate",
                                  "products.kettle.eol.collection[.rate"])
def test_a_malformed_parameter_path_is_refused_as_such(kettle: lifecycle.ModelFile,
                                                       path: str) -> None:
    """A trailing dot or an empty name used to pass the existence check, then validating the
    changed entry blamed the valid model for missing 'name', 'years', 'actors'…"""
    section = U.UncertaintySection.model_validate(
        {"parameters": [_param(parameter=path, distribution="uniform", min=0.4, max=0.6)]}
    )
    with pytest.raises(ModelError) as info:
        U.resolve(kettle, section)
    messages = [f"{p.path}: {p.message}" for p in info.value.problems]
    assert len(messages) == 1 and "parameters[0].parameter" in messages[0]
    assert "not a document path" in messages[0]


@pytest.mark.parametrize(("spread", "bad"), [
    ({"distribution": "uniform", "min": -0.5, "max": 0.6}, True),
    ({"distribution": "triangular", "min": 0.2, "mode": 0.5, "max": 1.5}, True),
    ({"distribution": "normal", "mean": 0.5, "std": 0.2}, True),  # ±7 sd drawn at most
    ({"distribution": "normal", "mean": 0.5, "std": 0.2, "range": [0.1, 0.9]}, False),
    ({"distribution": "uniform", "min": 0.3, "max": 0.7}, False),
])
def test_validate_refuses_a_distribution_drawing_what_its_field_refuses(
        tmp_path: Path, spread: dict[str, object], bad: bool) -> None:
    """``junkan validate`` said 'ok' for a uniform from -0.5 on a collection rate; every
    analysis then refused its first draw below 0."""
    doc = yaml.safe_load(MODEL)
    doc["uncertainty"] = {"parameters": [_param(**spread)]}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    said = " ".join(res.output.split())
    assert res.exit_code == (2 if bad else 0), said
    if bad:
        assert f"{RATE}: must be between 0 and 1" in said
        assert "the value is a draw of" in said and "uncertainty.parameters[0]" in said
