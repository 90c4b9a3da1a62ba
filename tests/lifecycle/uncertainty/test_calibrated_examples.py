"""The seed-003 examples calibrated (issue 17, item 4; review 213 found them never written
back): ``examples/calibrated/*.yaml`` are the models with the fitted values set, each marked
calibrated; they reproduce the seed's published figures within ±15 % where the fitted
model can, and the two it cannot are out of reach as chapter 9 of the user guide says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.documents import read_document
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.loader import set_path
from junkan.lifecycle.uncertainty.study import get_path
from tests.conftest import EXAMPLES
from tests.lifecycle.uncertainty.test_steps_and_spellings import MODEL

SEED = {
    "compressor_magnet": {("A", "recycled_rare_earth_share"): 0.15,
                          ("B", "recycled_rare_earth_share"): 0.43,
                          ("A", "co2_reduction_t"): 72, ("B", "co2_reduction_t"): 521,
                          ("A", "magnet_cost_index"): 1.06, ("B", "magnet_cost_index"): 1.28},
    "atm_reuse": {("current", "co2_change_t_per_year"): 40,
                  ("current", "new_resource_change_t_per_year"): -4,
                  ("improvement_1", "new_resource_change_t_per_year"): -41,
                  ("improvement_2", "new_resource_change_t_per_year"): -61},
}


def _headlines(mf: lifecycle.ModelFile) -> dict[str, dict[str, float]]:
    return {s["name"]: s["headline"] for s in lifecycle.compare(mf).to_json()["scenarios"]}


@pytest.mark.parametrize("name", sorted(SEED))
def test_the_calibrated_examples_reproduce_the_seed(name: str) -> None:
    got = _headlines(lifecycle.load(EXAMPLES / "calibrated" / f"{name}.yaml"))
    for (scenario, key), seed in SEED[name].items():
        assert got[scenario][key] == pytest.approx(seed, rel=0.15), (scenario, key)


def test_the_atm_co2_savings_the_seed_gives_are_out_of_reach_as_said() -> None:
    """Chapter 9: within the ranges the improvements save at least 220 and 315 t/yr."""
    got = _headlines(lifecycle.load(EXAMPLES / "calibrated" / "atm_reuse.yaml"))
    assert got["improvement_1"]["co2_change_t_per_year"] < -79 * 2.5
    assert got["improvement_2"]["co2_change_t_per_year"] < -126 * 2.3


def _without_sources(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_sources(v) for k, v in node.items() if k != "source"}
    if isinstance(node, list):
        return [_without_sources(v) for v in node]
    return node


@pytest.mark.parametrize("name", sorted(SEED))
def test_a_calibrated_example_is_its_model_with_the_fitted_values(name: str) -> None:
    """Everything but the calibrated values (and the sources marking them) is the
    model's own: a change to the model without calibrating again fails here."""
    calibrated = read_document(EXAMPLES / "calibrated" / f"{name}.yaml")
    model = read_document(EXAMPLES / f"{name}.yaml")
    fitted = [p for p in calibrated["uncertainty"]["parameters"]
              if p["source"].startswith("calibrated ")]
    assert fitted
    for p in fitted:
        set_path(model, p["parameter"], get_path(calibrated, p["parameter"]))
    spec = read_document(EXAMPLES / "uncertainty" / f"{name}.yaml")
    assert _without_sources(calibrated.pop("uncertainty")) == _without_sources(spec)
    assert _without_sources(calibrated) == _without_sources(model)


def test_write_model_sets_and_marks_the_fitted_values(tmp_path: Path) -> None:
    """A pickup footprint of 10 kgCO2e/piece fitted to a total observed at 14 per piece:
    the written model holds the fitted value in its unit, says so in the parameter's and
    the process's source, and calibrating it again starts where it ended."""
    doc = yaml.safe_load(MODEL)
    doc["products"]["machine"]["lifetime"]["mean"] = "3 year"
    model = tmp_path / "pump.yaml"
    model.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    mf = lifecycle.load(model)
    pickup = "processes.pickup.co2e"
    target = lifecycle.run(lifecycle.load(text=yaml.safe_dump(
        {**doc, "processes": {**doc["processes"], "pickup": {
            **doc["processes"]["pickup"], "co2e": "14 kgCO2e/piece"}}}), source="t.yaml"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "parameters": [{"parameter": pickup, "distribution": "uniform", "min": 5, "max": 20,
                        "calibrate": True, "source": "assumption: 5-20 kgCO2e a pickup"}],
        "observations": [{"total": "co2e_t", "scenario": "baseline", "sigma": 0.01,
                          "value": float(target.totals()["co2e_t"]), "source": "synthetic"}]}),
        encoding="utf-8")
    out = tmp_path / "calibrated.yaml"
    res = CliRunner().invoke(app, ["calibrate", str(model), "--spec", str(spec),
                                   "--write-model", str(out)], terminal_width=200)
    assert res.exit_code == 0, res.output
    written = read_document(out)
    value = float(written["processes"]["pickup"]["co2e"].split()[0])
    assert value == pytest.approx(14.0, rel=1e-4)
    assert written["processes"]["pickup"]["co2e"].endswith(" kgCO2e/piece")
    assert "co2e calibrated" in written["processes"]["pickup"]["source"]
    entry = written["uncertainty"]["parameters"][0]
    assert entry["source"].startswith("calibrated ") and "start 10 kgCO2e/piece" in \
        entry["source"] and "Range: assumption: 5-20" in entry["source"]
    assert out.read_text(encoding="utf-8").startswith("# Calibrated model written by")
    again = U.calibrate(lifecycle.load(out))
    assert again.start[0] == pytest.approx(value) and again.fitted[0] == pytest.approx(value)
    assert mf.baseline.processes["pickup"].co2e != pytest.approx(value)  # the model untouched
    res = CliRunner().invoke(app, ["calibrate", str(model), "--spec", str(spec),
                                   "--write-model", str(model)])
    assert res.exit_code == 2 and "is the model being read" in res.output


SHORT = MODEL.replace("lifetime: {distribution: fixed, mean: 10 year}",
                      "lifetime: {distribution: fixed, mean: 3 year}")


def test_write_model_refuses_what_it_would_break(tmp_path: Path) -> None:
    """Review 215: the spec could be written over, and a .json path got YAML that did not
    load as JSON; the model is made and checked before --out is written."""
    model = tmp_path / "pump.yaml"
    model.write_text(SHORT, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    text = yaml.safe_dump({"parameters": [{
        "parameter": "processes.pickup.co2e", "distribution": "uniform", "min": 5, "max": 20,
        "calibrate": True, "source": "assumption"}], "observations": [
        {"total": "co2e_t", "scenario": "baseline", "value": 40.0, "source": "synthetic"}]})
    spec.write_text(text, encoding="utf-8")
    run = CliRunner().invoke
    res = run(app, ["calibrate", str(model), "--spec", str(spec), "--write-model", str(spec)])
    assert res.exit_code == 2 and "is the spec being read" in res.output
    assert spec.read_text(encoding="utf-8") == text
    res = run(app, ["calibrate", str(model), "--spec", str(spec), "--write-model",
                    str(tmp_path / "m.json")])
    assert res.exit_code == 2 and "give a .yaml or .yml path" in res.output
    out = tmp_path / "out"
    res = run(app, ["calibrate", str(model), "--spec", str(spec), "--out", str(out),
                    "--write-model", str(tmp_path / "w.yaml")])
    assert res.exit_code == 0, res.output
    assert out.is_dir() and (tmp_path / "w.yaml").is_file()


def test_a_relative_parameter_is_written_as_the_value_it_stands_for(tmp_path: Path) -> None:
    model = tmp_path / "pump.yaml"
    model.write_text(SHORT, encoding="utf-8")
    target = lifecycle.run(lifecycle.load(text=SHORT.replace(
        "co2e: 10 kgCO2e/piece", "co2e: 14 kgCO2e/piece"), source="t.yaml"))
    spec = tmp_path / "rel.yaml"
    spec.write_text(yaml.safe_dump({"parameters": [{
        "parameter": "processes.pickup.co2e", "distribution": "uniform", "min": 0.5, "max": 2,
        "relative": True, "calibrate": True, "source": "assumption"}], "observations": [
        {"total": "co2e_t", "scenario": "baseline", "sigma": 0.01,
         "value": float(target.totals()["co2e_t"]), "source": "synthetic"}]}),
        encoding="utf-8")
    out = tmp_path / "w.yaml"
    res = CliRunner().invoke(app, ["calibrate", str(model), "--spec", str(spec),
                                   "--write-model", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "#   processes.pickup.co2e = 14\n" in text  # the value, not the factor 1.4
    assert read_document(out)["processes"]["pickup"]["co2e"] == "14.0 kgCO2e/piece"
    assert "factor 1.4" in read_document(out)["uncertainty"]["parameters"][0]["source"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SEED))
def test_the_command_in_the_header_writes_the_shipped_file_again(name: str,
                                                                 tmp_path: Path) -> None:
    """Review 261: the magnet model written again by the command its header gives differed
    from the shipped one in the 7 values the fit does not identify (13,552 against 13,532
    JPY/kg): written before a change of the fit, never again. Each fitted value agrees to 6
    digits (the header's)."""
    out = tmp_path / f"{name}.yaml"
    res = CliRunner().invoke(app, [
        "calibrate", str(EXAMPLES / f"{name}.yaml"), "--spec",
        str(EXAMPLES / "uncertainty" / f"{name}.yaml"), "--write-model", str(out)])
    assert res.exit_code == 0, res.output

    def header(path: Path) -> list[str]:
        return [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("#   ")]

    assert header(out) == header(EXAMPLES / "calibrated" / f"{name}.yaml")
