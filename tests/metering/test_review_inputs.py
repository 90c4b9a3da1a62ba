"""Past review findings (2026-12-03) on reverse-chain metering's inputs and outputs:

- A4: a circuit (or meter, catalogue model, reference number) given twice was silently
  replaced by the second (c1 single-phase then three-phase: energy ×√3);
- A5: a repeated scan row counted as a second unit (the factor halved), and two units scanned
  inside one machine cycle gave one unit everything and the other 0 kWh;
- B: ``--penalty`` -5, 0 or nan ended in ruptures' AssertionError (a traceback);
- C: a factor from one unit showed sd 0 instead of "no sd".
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from junkan import metering
from junkan.cli.main import app
from junkan.metering.segment import Segment, Segmentation

pytest.importorskip("ruptures")
runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metering"


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


# --- A4: a key given twice ---------------------------------------------------------------


def test_a_circuit_defined_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "circuits.yaml", "circuits:\n  c1: {phases: 1, steps: [s1]}\n"
                                          "  c1: {phases: 3, steps: [s1]}\n")
    with pytest.raises(metering.MeteringError) as exc:
        metering.load_plant(f)
    msg = str(exc.value)
    assert msg.startswith(f"{f}: circuits.c1: ") and "given twice" in msg
    assert "lines 2 and 3" in msg
    assert exc.value.problems[0].kind == "duplicate-key"  # the page says it in its language


def test_the_cli_refuses_a_circuit_defined_twice(tmp_path: Path) -> None:
    circuits = write(tmp_path / "c.yaml", (EXAMPLE / "circuits.yaml").read_text("utf-8")
                     + "  cutter: {phases: 3, steps: [case_cutting]}\n")
    r = runner.invoke(app, ["meter", "factors", str(EXAMPLE / "readings.csv"), "-c",
                            str(circuits), "--scans", str(EXAMPLE / "scans.csv"),
                            "-o", str(tmp_path / "o")])
    assert r.exit_code != 0 and not (tmp_path / "o").exists()
    assert "circuits.cutter" in r.output and "given twice" in r.output
    assert "Traceback" not in r.output


def test_meters_catalogue_and_reference_files_refuse_a_key_twice(tmp_path: Path) -> None:
    meters = write(tmp_path / "m.yaml", "meters:\n  - circuit: c1\n    host: a\n"
                                        "    current_a: {address: 0}\n    host: b\n")
    with pytest.raises(metering.MeteringError, match=r"m\.yaml: meters\[0\]\.host: .*twice"):
        metering.load_meters(meters)
    cat = write(tmp_path / "cat.yaml", "models:\n  - model: A\n    codes: [x]\n"
                                       "    model: B\n")
    with pytest.raises(metering.IdentifyError, match=r"cat\.yaml: models\[0\]\.model: .*twice"):
        metering.load_catalogue(cat)
    ref = write(tmp_path / "e.yaml", "grid: {kg_co2e_per_kwh: 0.4, source: a}\n"
                                     "grid: {kg_co2e_per_kwh: 4, source: b}\n")
    with pytest.raises(metering.MeteringError, match=r"e\.yaml: grid: .*lines 1 and 2"):
        metering.electrical(ref)


def test_meter_link_refuses_a_process_given_twice(tmp_path: Path) -> None:
    model = write(tmp_path / "model.yaml", "processes:\n  p: {measured: {model: M, step: s}}\n"
                                           "  p: {energy: 1 kWh/piece}\n")
    factors = write(tmp_path / "f.csv", "model,step,units,kwh_mean,kwh_sd,kg_co2e,jpy\n"
                                        "M,s,2,0.1,0.01,0.04,1.6\n")
    r = runner.invoke(app, ["meter", "link", str(model), "--factors", str(factors),
                            "-o", str(tmp_path / "out.yaml")])
    assert r.exit_code != 0 and "processes.p" in r.output and "given twice" in r.output
    assert not (tmp_path / "out.yaml").exists()


# --- A5: scans ---------------------------------------------------------------------------


PLANT = metering.plant_from_dict({"circuits": {"c1": {"phases": 1, "steps": ["s1"]}}})


def test_a_unit_scanned_twice_at_one_step_is_refused(tmp_path: Path) -> None:
    scans = write(tmp_path / "scans.csv", "unit_id,model,step,start,end\nU1,M,s1,95,165\n"
                                          "U2,M,s1,200,260\nU1,M,s1,95,165\n")
    with pytest.raises(metering.MeteringError) as exc:
        metering.read_scans(scans, PLANT)
    assert str(exc.value).startswith(f"{scans}: lines 2 and 4: unit 'U1' is scanned twice at "
                                     "step 's1'")


def test_one_unit_at_several_steps_and_units_at_one_step_are_accepted(tmp_path: Path) -> None:
    plant = metering.plant_from_dict({"circuits": {"c1": {"steps": ["s1", "s2"]}}})
    scans = write(tmp_path / "scans.csv", "unit_id,model,step,start,end\nU1,M,s1,0,10\n"
                                          "U1,M,s2,10,20\nU2,M,s1,20,30\n")
    assert len(metering.read_scans(scans, plant)) == 3


def one_cycle(scans: str, energy_wh: float = 36.0) -> pd.DataFrame:
    """Attribution of one on-segment of circuit c1 (100-160 s) to ``scans`` (CSV rows)."""
    sc = metering.scans_from_frame(
        pd.DataFrame([r.split(",") for r in scans.split()],
                     columns=["unit_id", "model", "step", "start", "end"]), PLANT)
    seg = Segmentation("c1", [Segment("c1", 0, 100, 10, 0, False, -1),
                              Segment("c1", 100, 160, 2170, energy_wh, True, 0),
                              Segment("c1", 160, 300, 10, 0, False, -1)], 10.0, 1.0, 0.8)
    att = metering.attribute({"c1": seg}, sc, PLANT, tolerance_s=15)
    return att.events.set_index("unit_id")


def test_two_units_inside_one_machine_cycle_share_its_energy() -> None:
    ev = one_cycle("U1,M,s1,95,120 U2,M,s1,120,165")  # 20 s and 40 s of the 60-s segment
    assert ev.loc["U1", "wh"] == pytest.approx(12.0)  # not 36 and 0
    assert ev.loc["U2", "wh"] == pytest.approx(24.0)
    assert ev.loc["U1", "operating_s"] == pytest.approx(20)
    assert ev.loc["U2", "operating_s"] == pytest.approx(40)
    assert ev["shared"].all()
    f = metering.unit_factors(metering.Attribution(ev.reset_index(), pd.DataFrame(), {}, {}))
    assert f.at[0, "units"] == 2 and f.at[0, "kwh_mean"] == pytest.approx(0.018)


def test_a_window_touching_the_cycle_by_less_than_the_tolerance_takes_nothing() -> None:
    """An operator scanning the next unit 10 s early (within the 15-s tolerance) is scan
    timing, not a second unit on the machine: the unit overlapping most keeps it all."""
    ev = one_cycle("U1,M,s1,95,150 U2,M,s1,150,230")
    assert ev.loc["U1", "wh"] == pytest.approx(36.0) and ev.loc["U2", "wh"] == 0
    assert not ev["shared"].any()


# --- B: --penalty -----------------------------------------------------------------------


@pytest.mark.parametrize("penalty", ["-5", "0", "nan", "inf", "1001"])
@pytest.mark.parametrize("verb", ["factors", "segment"])
def test_a_penalty_out_of_range_is_refused_at_the_option(tmp_path: Path, verb: str,
                                                          penalty: str) -> None:
    r = runner.invoke(app, ["meter", verb, str(EXAMPLE / "readings.csv"), "-c",
                            str(EXAMPLE / "circuits.yaml"), "--scans",
                            str(EXAMPLE / "scans.csv"), "-o", str(tmp_path / "o"),
                            f"--penalty={penalty}"])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)  # no AssertionError
    assert "--penalty" in r.output and "above 0 and at most 1000" in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("penalty", [-5.0, 0.0, math.nan])
def test_the_library_refuses_a_penalty_out_of_range(penalty: float) -> None:
    plant = metering.load_plant(EXAMPLE / "circuits.yaml")
    imported = metering.read_csv(EXAMPLE / "readings.csv", plant)
    with pytest.raises(metering.MeteringError, match="penalty: expected a number above 0"):
        metering.run(imported, plant, None, penalty=penalty)
    with pytest.raises(metering.MeteringError, match="penalty"):
        metering.OnlineSegmenter("c", penalty=penalty)


# --- C: no sd from one unit ---------------------------------------------------------------


def test_a_factor_from_one_unit_has_no_sd(tmp_path: Path) -> None:
    args = ["meter", "factors", str(EXAMPLE / "readings.csv"), "-c",
            str(EXAMPLE / "circuits.yaml"), "--scans", str(EXAMPLE / "scans.csv")]
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "j"), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows and all(x["units"] == 1 for x in rows)
    for x in rows:
        assert x["kwh_sd"] is None and x["operating_s_sd"] is None and x["labour_s_sd"] is None
        assert x["sd_note"] == metering.factors.NO_SD
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "t")])
    assert r.exit_code == 0 and r.output.count("n/a (1 unit)") == len(rows)
    lib = (tmp_path / "t" / "library.yaml").read_text("utf-8")
    assert "kwh_sd" not in lib and "sd_note" in lib
    back = metering.read_factors(tmp_path / "t" / "factors.csv")
    assert back["kwh_sd"].isna().all()


def test_two_units_still_have_an_sd() -> None:
    ev = one_cycle("U1,M,s1,95,120 U2,M,s1,120,165")
    f = metering.unit_factors(metering.Attribution(ev.reset_index(), pd.DataFrame(), {}, {}))
    assert f.at[0, "kwh_sd"] == pytest.approx(0.012 / math.sqrt(2) * 1.0, rel=1e-9)
    assert f.at[0, "sd_note"] is None
