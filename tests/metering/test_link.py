"""Labour time per model × step and measured factors referenced by a lifecycle model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from junkan import metering

pytest.importorskip("ruptures")
ROOT = Path(__file__).resolve().parents[2]
STEPS = ["rotor_removal", "coil_extraction", "case_cutting", "demagnetising"]


@pytest.fixture(scope="module")
def factors() -> tuple[metering.Day, pd.DataFrame]:
    day = metering.compressor_day(n_units=8, seed=7)
    plant = metering.plant_from_dict(day.circuits)
    return day, metering.run_frames(day.readings, day.scans, plant).factors


def test_labour_time_is_the_scan_window_per_model_and_step(factors) -> None:
    day, f = factors
    truth = day.truth.assign(d=day.truth["end"] - day.truth["start"])
    want = truth.groupby(["model", "step"])["d"].mean()
    got = f.set_index(["model", "step"])["labour_s_mean"]
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=6.0)  # scans are late / early by N(0, 3 s)
    assert (f["labour_s_p05"] <= f["labour_s_p50"]).all()
    assert (f["labour_s_p50"] <= f["labour_s_p95"]).all()
    doc = metering.library_template(f, {"sha256": "x"})
    dist = next(iter(doc["unit_factors"]["distributions"].values()))
    assert {"labour_s_mean", "labour_s_sd"} <= set(dist)


def _compressor_model() -> dict:
    doc = yaml.safe_load((ROOT / "examples" / "compressor_magnet.yaml").read_text("utf-8"))
    proc = doc["processes"]["magnet_extraction"]
    for k in ("energy", "co2e"):
        proc.pop(k)  # measured instead; its cost (labour, consumables) stays the model's own
    proc["measured"] = {"model": "CMP-A", "steps": STEPS}
    return doc


def test_link_fills_the_process_and_its_uncertainty(factors) -> None:
    _, f = factors
    linked = metering.link(_compressor_model(), f, set_id="abc")
    proc = linked["processes"]["magnet_extraction"]
    rows = f.set_index(["model", "step"])
    kwh = sum(rows.at[("CMP-A", s), "kwh_mean"] for s in STEPS)
    assert proc["energy"] == f"{kwh:.6g} kWh/piece"
    assert proc["cost"] == "840 JPY/piece"  # the model's own entry wins
    assert "measured" not in proc and "factor set abc" in proc["source"]
    params = {p["parameter"]: p for p in linked["uncertainty"]["parameters"]}
    e = params["processes.magnet_extraction.energy"]
    sd = np.sqrt(sum(rows.at[("CMP-A", s), "kwh_sd"] ** 2 for s in STEPS))
    n = min(rows.at[("CMP-A", s), "units"] for s in STEPS)
    assert e["mean"] == pytest.approx(kwh) and e["std"] == pytest.approx(sd / np.sqrt(n))
    assert params["processes.magnet_extraction.co2e"]["group"] == e["group"]
    assert "processes.magnet_extraction.cost" not in params
    unit = metering.link(_compressor_model(), f, spread="unit")
    e_unit = {p["parameter"]: p for p in unit["uncertainty"]["parameters"]}
    assert e_unit["processes.magnet_extraction.energy"]["std"] == pytest.approx(sd)


def test_the_lifecycle_uncertainty_analysis_draws_the_measured_factors(factors) -> None:
    from junkan import lifecycle
    from junkan.lifecycle import uncertainty

    _, f = factors
    linked = metering.link(_compressor_model(), f, spread="unit")
    model = lifecycle.load(text=yaml.safe_dump(linked), source="linked.yaml")
    ens = uncertainty.propagate(model, runs=40, seed=1)
    names = [p["parameter"] for p in ens.to_json()["parameters"]]
    assert "processes.magnet_extraction.energy" in names
    k = names.index("processes.magnet_extraction.co2e")
    assert np.std(ens.theta[:, k]) > 0
    co2 = ens.outputs.totals["B"]["co2e_t"]
    assert np.std(co2) > 0  # the measured spread reaches the model's results


def test_link_errors_name_the_process_and_field(factors) -> None:
    _, f = factors
    doc = _compressor_model()
    doc["processes"]["magnet_extraction"]["measured"] = {"model": "NOPE", "step": "x"}
    with pytest.raises(metering.MeteringError, match="magnet_extraction.measured.*NOPE/x"):
        metering.link(doc, f)
    doc["processes"]["magnet_extraction"]["measured"] = {"model": "CMP-A"}
    with pytest.raises(metering.MeteringError, match="give"):
        metering.link(doc, f)
    with pytest.raises(metering.MeteringError, match="no process"):
        metering.link({"processes": {}}, f)


def test_cli_link(tmp_path: Path, factors) -> None:
    from junkan.cli.meter import app

    _, f = factors
    f.to_csv(tmp_path / "factors.csv", index=False)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(_compressor_model()), "utf-8")
    args = ["link", str(tmp_path / "m.yaml"), "--factors", str(tmp_path / "factors.csv")]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out.yaml")])
    assert r.exit_code == 0, r.output
    out = yaml.safe_load((tmp_path / "out.yaml").read_text("utf-8"))
    assert "kWh/piece" in out["processes"]["magnet_extraction"]["energy"]
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o.yaml"), "--spread", "x"])
    assert bad.exit_code == 2 and "spread" in bad.output
