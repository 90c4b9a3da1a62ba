"""Unit factors per model × step, the library template, and the seed's compressor day."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from junkan import lifecycle, metering

pytest.importorskip("ruptures")
EXAMPLE = Path(__file__).resolve().parents[2] / "src/junkan/data/examples/compressor_magnet.yaml"


def attribution(rows: list[tuple[str, str, float, float]]) -> metering.Attribution:
    ev = pd.DataFrame(rows, columns=["model", "step", "wh", "operating_s"]).assign(
        unit_id=[f"u{i}" for i in range(len(rows))], shared=False
    )
    return metering.Attribution(
        ev, pd.DataFrame(columns=["circuit", "step", "start", "end", "wh"]), {}, {}
    )


def test_unit_factors_by_hand() -> None:
    att = attribution([("m", "cut", 100, 60), ("m", "cut", 300, 120), ("n", "cut", 50, 30)])
    f = metering.unit_factors(att).set_index("model")
    assert f.at["m", "units"] == 2
    assert f.at["m", "kwh_mean"] == pytest.approx(0.2)
    assert f.at["m", "kwh_sd"] == pytest.approx(0.141421, rel=1e-4)  # sd of 0.1, 0.3
    assert f.at["m", "operating_s_mean"] == pytest.approx(90)
    assert f.at["m", "kg_co2e"] == pytest.approx(0.2 * 0.423)
    assert f.at["m", "jpy"] == pytest.approx(0.2 * 16.53)
    assert math.isnan(f.at["n", "kwh_sd"]) and f.at["n", "sd_note"]  # one unit: no sd


def test_library_template_loads_in_a_lifecycle_model(tmp_path: Path) -> None:
    att = attribution([("CMP-A", "case cutting", 120, 100), ("CMP-A", "case cutting", 110, 90)])
    lib = metering.library_template(metering.unit_factors(att), {"sha256": "ab" * 32})
    ((name, proc),) = lib["processes"].items()
    assert name == "cmp_a_case_cutting" and proc["energy"] == "0.115 kWh/piece"
    assert "0.423 kg/kWh" in proc["source"] and "tariff" in proc["source"]
    assert lib["unit_factors"]["distributions"][name]["units"] == 2
    doc = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    doc["actors"].update(lib["actors"])
    doc["processes"].update(lib["processes"])
    doc["products"]["room_ac"]["eol"]["dismantling"]["processes"].append(name)
    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    without = lifecycle.run(lifecycle.load(EXAMPLE), "A").to_json()["totals"]
    withit = lifecycle.run(lifecycle.load(model), "A").to_json()["totals"]
    assert withit != without  # the metered process is charged


def test_no_scans_no_factors() -> None:
    with pytest.raises(metering.MeteringError, match="need scan events"):
        metering.unit_factors(attribution([]))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_compressor_day_recovers_the_seed_within_5_percent(seed: int) -> None:
    day = metering.compressor_day(n_units=24, seed=seed)
    assert day.truth_kwh_per_step() == pytest.approx(metering.SEED_KWH_PER_DAY)
    res = metering.run_frames(day.readings, day.scans, metering.plant_from_dict(day.circuits))
    got = res.totals.set_index("step")["kwh"].to_dict()
    for step, truth in metering.SEED_KWH_PER_DAY.items():
        assert got[step] == pytest.approx(truth, rel=0.05), step
    assert res.attribution.events["shared"].any()  # the overlaps were exercised
    truth = day.truth.groupby(["model", "step"])["wh"].mean() / 1000
    f = res.factors.set_index(["model", "step"])["kwh_mean"]
    for key, v in truth.items():
        assert f[key] == pytest.approx(v, rel=0.05), key


def test_generator_is_deterministic_and_sized() -> None:
    a, b = metering.compressor_day(4, 3), metering.compressor_day(4, 3)
    pd.testing.assert_frame_equal(a.readings, b.readings)
    assert len(a.scans) == 16 and set(a.scans["step"]) == set(metering.SEED_KWH_PER_DAY)
    with pytest.raises(ValueError, match="n_units"):
        metering.compressor_day(1)


def test_a_day_of_500_units_gives_scans_the_pipeline_reads() -> None:
    """Before: with 500 units a step lasts a few seconds and the scanner's jitter turned
    windows around ("line 16: end is before start" from the generated file)."""
    day = metering.compressor_day(500, 0)
    assert (day.scans["end"] >= day.scans["start"]).all()  # ISO text of one zone sorts by time
    res = metering.run_frames(day.readings, day.scans, metering.plant_from_dict(day.circuits))
    assert res.factors["units"].sum() == 500 * 4
