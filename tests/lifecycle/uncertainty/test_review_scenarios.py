"""An independent review of uncertainty, sensitivity and calibration (2026-12-05): one test
per defect it found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.cli.out_record import RECORD
from junkan.cli.uncertainty import WRITES
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from tests.lifecycle.test_optimise import MODEL

REUSE = "parts.heater.recovery.reuse.share"


def _with_no_reuse() -> str:
    """The kettle with a scenario whose own decision drops the heater's reuse route."""
    doc = yaml.safe_load(MODEL)
    doc["scenarios"]["no_reuse"] = {
        "set": {"parts.heater.recovery": {"residual": {"steel_recycling": 1}}}}
    return yaml.safe_dump(doc, sort_keys=False)


def _section() -> U.UncertaintySection:
    return U.UncertaintySection.model_validate({"parameters": [
        {"parameter": REUSE, "distribution": "uniform", "min": 0.1, "max": 0.5, "source": "t"}]})


def test_a_scenario_that_drops_the_drawn_field_leaves_it_out() -> None:
    """A scenario setting a parent of the parameter (without the field) used to stop the
    whole study with "does not exist in scenario 'no_reuse'": the parameter does not act
    there, and that scenario's figures are its own simulation's in every run."""
    mf = lifecycle.load(text=_with_no_reuse(), source="kettle.yaml")
    ens = U.propagate(mf, 16, 3, section=_section())
    doc = ens.to_json()
    by = {s["name"]: s for s in doc["scenarios"]}
    assert doc["methods"]["no_reuse"] == "fixed (no drawn parameter acts here)"
    alone = lifecycle.run(mf, scenario="no_reuse").totals()["co2e_t"]
    assert by["no_reuse"]["totals"]["co2e_t"]["p5"] == pytest.approx(alone, rel=1e-9)
    assert by["no_reuse"]["totals"]["co2e_t"]["p95"] == pytest.approx(alone, rel=1e-9)
    # where the parameter acts, it does: the baseline's CO2e varies over the runs
    base = by["baseline"]["totals"]["co2e_t"]
    assert base["p95"] > base["p5"]


def test_an_observed_zero_fitted_exactly_is_within() -> None:
    """``within_15_percent`` of an observed 0 was ``abs(nan) <= 0.15``: false, even for a
    perfect fit; an observed 0 is met within its sigma."""
    mf = lifecycle.load(text=MODEL, source="kettle.yaml")
    section = U.UncertaintySection.model_validate({
        "parameters": [{"parameter": "products.kettle.eol.collection.rate",
                        "distribution": "uniform", "min": 0.2, "max": 0.9, "source": "t",
                        "calibrate": True}],
        "observations": [
            {"total": "co2e_t", "scenario": "baseline", "value": 800.0, "source": "t"},
            {"total": "export_t", "scenario": "baseline", "value": 0, "sigma": 0.1,
             "source": "t"}]})
    cal = U.calibrate(mf, section=section).to_json()
    zero = next(o for o in cal["observations"] if o["observed"] == 0)
    assert zero["fitted"] == 0
    assert zero["within_15_percent"] is True


def test_an_empty_group_name_is_refused() -> None:
    """``group: ""`` passed validation and was then taken as no group: the draws it was
    meant to correlate came out independent."""
    drawn = {"distribution": "uniform", "min": 0.1, "max": 0.5, "source": "t", "group": ""}
    with pytest.raises(ValueError, match=r"parameters\.0\.group[\s\S]*at least 1 character"):
        U.UncertaintySection.model_validate({
            "parameters": [{"parameter": REUSE, **drawn},
                           {"parameter": "products.kettle.eol.collection.rate", **drawn}],
            "groups": {"": {"correlation": 1, "source": "t"}}})


@pytest.mark.parametrize("command", ["uncertainty", "sensitivity", "calibrate", "optimise"])
def test_out_holding_other_files_is_refused_before_the_analysis(tmp_path: Path,
                                                                 command: str) -> None:
    """``--out`` onto a folder with the user's own files failed only after the whole
    analysis (17 s of a 3,000-run study, thrown away): it is refused before anything runs,
    and the folder is left as it was."""
    model = tmp_path / "kettle.yaml"
    model.write_text(MODEL, encoding="utf-8")
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    res = CliRunner().invoke(app, [command, str(model), "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "holds notes.txt but no record of junkan's results" in said, res.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_out_written_before_is_replaced(tmp_path: Path) -> None:
    """A folder the same command wrote before holds only the names it writes: not refused
    by the early check, replaced by the new results."""
    model = tmp_path / "kettle.yaml"
    model.write_text(MODEL, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_section().model_dump(exclude_defaults=True)),
                    encoding="utf-8")
    out = tmp_path / "mc"
    args = ["uncertainty", str(model), "--spec", str(spec), "--runs", "8", "--out", str(out)]
    for _ in range(2):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "runs.csv", "percentiles.csv"} <= names
    assert names <= {*WRITES["uncertainty"], RECORD}  # what the early check allows


def test_one_scenario_prints_no_empty_comparison(tmp_path: Path) -> None:
    """A model with one scenario printed an empty "P(B has less … than A)" table."""
    doc = yaml.safe_load(MODEL)
    doc.pop("scenarios", None)
    model = tmp_path / "one.yaml"
    model.write_text(yaml.safe_dump(doc), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_section().model_dump(exclude_defaults=True)),
                    encoding="utf-8")
    res = CliRunner().invoke(app, ["uncertainty", str(model), "--spec", str(spec),
                                   "--runs", "8"])
    assert res.exit_code == 0, res.output
    assert "has less life-cycle CO2e" not in res.output


def test_a_figure_no_run_defines_draws_no_bands_and_no_warning() -> None:
    """The HTML report's fan chart of a figure undefined in every run of a scenario took
    an all-NaN percentile ("RuntimeWarning: All-NaN slice encountered")."""
    import warnings

    from junkan.lifecycle.uncertainty.report import fan_chart

    doc = yaml.safe_load(_with_no_reuse())
    doc["headline"] = {"co2": {"description": "co2", "metric": "co2e", "unit": "t"}}
    mf = lifecycle.load(text=yaml.safe_dump(doc), source="kettle.yaml")
    ens = U.propagate(mf, 8, 1, section=_section())
    key = "co2"
    ens.outputs.headline["no_reuse"][key] = ens.outputs.headline["no_reuse"][key] * np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fan_chart(ens, key)
    assert "no_reuse" not in list(fig.data[0].x) and "baseline" in list(fig.data[0].x)


def test_validate_refuses_fitting_bounds_that_calibrate_refuses(tmp_path: Path) -> None:
    """``junkan validate`` passed a calibrated rate with ``range: [0.2, 1.3]``, which
    ``junkan calibrate`` then refused: it names the range as calibrate does."""
    doc = yaml.safe_load(MODEL)
    doc["uncertainty"] = {
        "parameters": [{"parameter": "products.kettle.eol.collection.rate",
                        "distribution": "normal", "mean": 0.5, "std": 0.05,
                        "range": [0.2, 1.3], "source": "t", "calibrate": True}],
        "observations": [{"total": "co2e_t", "scenario": "baseline", "value": 800.0,
                          "source": "t"}]}
    model = tmp_path / "k.yaml"
    model.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(model)])
    assert res.exit_code == 2, res.output
    assert "uncertainty.parameters[0].range: the fit would try" in res.output
    doc["uncertainty"]["parameters"][0]["range"] = [0.2, 0.9]
    model.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert CliRunner().invoke(app, ["validate", str(model)]).exit_code == 0


def test_every_analysis_says_the_years_its_figures_cover() -> None:
    """The results did not say which years their totals cover (the page could not either):
    the model's horizon, or an optimisation's window."""
    from junkan.lifecycle import optimise as opt

    mf = lifecycle.load(text=_with_no_reuse(), source="kettle.yaml")
    horizon = [mf.baseline.years.start, mf.baseline.years.end]
    assert U.propagate(mf, 4, 0, section=_section()).to_json()["years"] == horizon
    spec = opt.load_spec(doc={"objective": "co2e", "years": [2022, 2026], "decisions": [
        {"name": "c", "parameter": "products.kettle.eol.collection.rate", "values": [0.5, 0.9]}]})
    assert opt.optimise(mf, spec).to_json()["years"] == [2022, 2026]


REMAN = "parts.heater.recovery.remanufacture.share"


def _with_reman() -> str:
    """The kettle with a scenario that introduces the heater's remanufacture route."""
    doc = yaml.safe_load(MODEL)
    doc["scenarios"]["reman"] = {"set": {"parts.heater.recovery.remanufacture": {
        "share": 0.3, "pass_rate": 0.9, "processes": ["reman"]}}}
    return yaml.safe_dump(doc, sort_keys=False)


def _factor(relative: bool = True, path: str = REMAN) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate({"parameters": [
        {"parameter": path, "distribution": "uniform", "min": 0.5, "max": 1.5, "source": "t",
         "relative": relative}]})


def test_a_relative_parameter_acts_where_a_scenario_introduces_its_entry() -> None:
    """A factor on the share of a route only one scenario adds was refused ("does not exist
    in scenario 'baseline'"): its nominal was taken from the baseline, which a factor does
    not need. It now acts in that scenario and leaves the others to their own values."""
    mf = lifecycle.load(text=_with_reman(), source="kettle.yaml")
    doc = U.propagate(mf, 32, 5, section=_factor()).to_json()
    by = {s["name"]: s for s in doc["scenarios"]}
    assert doc["methods"]["baseline"] == "fixed (no drawn parameter acts here)"
    alone = lifecycle.run(mf).totals()["co2e_t"]
    assert by["baseline"]["totals"]["co2e_t"]["p95"] == pytest.approx(alone, rel=1e-9)
    reman = by["reman"]["totals"]["co2e_t"]
    assert reman["p95"] > reman["p5"]  # 0.15 … 0.45 of the heaters remanufactured


def test_an_absolute_parameter_on_a_scenario_entry_is_still_refused() -> None:
    """Without ``relative`` the scenario's own setting is its decision, and the scenarios
    that lack the field are named."""
    mf = lifecycle.load(text=_with_reman(), source="kettle.yaml")
    with pytest.raises(ModelError) as err:
        U.propagate(mf, 8, 1, section=_factor(relative=False))
    text = str(err.value)
    assert "does not exist in scenario 'baseline', 'more'" in text
    assert "'reman'" not in text


def test_a_relative_parameter_in_no_scenario_is_refused() -> None:
    mf = lifecycle.load(text=_with_reman(), source="kettle.yaml")
    with pytest.raises(ModelError, match="does not exist in the model"):
        U.propagate(mf, 8, 1, section=_factor(path="parts.heater.recovery.remanufacture.shar"))


def test_a_calibrated_factor_observed_only_where_it_is_absent_says_where_it_acts() -> None:
    """A factor on the reman route, calibrated to a baseline figure, was refused as "no
    calibrated parameter changes a fitted figure" without saying why (review of
    2026-12-05): it acts only in 'reman', and the problem says so."""
    mf = lifecycle.load(text=_with_reman(), source="kettle.yaml")
    section = U.UncertaintySection.model_validate({
        "parameters": [{"parameter": REMAN, "distribution": "fixed", "range": [0.5, 1.5],
                        "source": "t", "relative": True, "calibrate": True}],
        "observations": [{"total": "co2e_t", "scenario": "baseline", "value": 800.0,
                          "source": "t"}]})
    with pytest.raises(ModelError) as err:
        U.calibrate(mf, section=section)
    (first, second) = err.value.problems
    assert first.kind == "unc-calibrated-change-nothing"
    assert second.kind == "unc-calibrated-acts-elsewhere"
    assert second.path == "uncertainty.parameters[0].parameter"
    assert "acts only in scenario 'reman', where no figure is fitted" in second.message


def test_the_table_of_a_model_without_headline_figures_shows_its_totals(tmp_path: Path) -> None:
    """The kettle declares no headline figures: the table was empty (review of 2026-12-05)."""
    (tmp_path / "kettle.yaml").write_text(MODEL, "utf-8")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({"parameters": [
        {"parameter": REUSE, "distribution": "uniform", "min": 0.3, "max": 0.7,
         "source": "t"}]}), "utf-8")
    res = CliRunner().invoke(app, ["uncertainty", str(tmp_path / "kettle.yaml"), "--runs", "20",
                                   "--spec", str(tmp_path / "spec.yaml")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "total" in res.output and "co2e_t" in res.output and "tCO2e" in res.output


def test_a_bounded_distribution_beyond_a_share_names_its_min_and_max() -> None:
    """Review 241 (low): a uniform from 0.1 to 1.5 on a share was told to 'bound its
    distribution with range'; a uniform is bounded by its own min and max (range truncates
    only normal and lognormal draws)."""
    mf = lifecycle.load(text=MODEL, source="kettle.yaml")
    sec = U.UncertaintySection.model_validate({"parameters": [
        {"parameter": REUSE, "distribution": "uniform", "min": 0.1, "max": 1.5, "source": "t"}]})
    with pytest.raises(ModelError) as info:
        U.propagate(mf, 16, 3, section=sec)
    assert "its 'min' … 'max' [0.1, 1.5] goes beyond the field's limits" in str(info.value)
    assert "range" not in str(info.value)


def test_morris_table_gives_each_outputs_unit() -> None:
    """Review 241 (low): μ* and σ are in the output's unit, which the table did not say."""
    model = Path(__file__).parents[3] / "examples" / "calibrated" / "compressor_magnet.yaml"
    res = CliRunner().invoke(app, ["sensitivity", str(model), "--method", "morris", "--n", "4",
                                   "--output", "A:co2_reduction_t"], terminal_width=200)
    assert res.exit_code == 0, res.output
    first = "".join(line.split("│")[1] for line in res.stdout.splitlines()
                    if line.startswith("│"))  # the output column, however narrow
    assert "A:co2_reduction_t(tCO2e/year)" in "".join(first.split())
