"""Power and energy from clamp readings: formulas, assumptions, gaps, clocks, quarantine."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pytest

from junkan import metering
from junkan.metering import MeteringError
from junkan.metering.ingest import REASON_CODES, REASON_FIGURES

PLANT = metering.plant_from_dict(
    {
        "circuits": {
            "a": {"phases": 1, "steps": ["cut"]},
            "b": {"phases": 3, "steps": ["press"]},
        }
    }
)


def frame(rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows).astype(object)
    return df.where(df.notna(), "").astype(str)


def test_single_phase_measured_voltage_and_pf() -> None:
    imp = metering.from_frame(
        frame(
            [
                {"time": 0, "circuit": "a", "current_a": 10, "voltage_v": 100, "power_factor": 0.5},
                {"time": 1, "circuit": "a", "current_a": 10, "voltage_v": 100, "power_factor": 0.5},
            ]
        ),
        PLANT,
    )
    s = imp.series["a"]
    assert list(s.power_w) == [500.0, 500.0]  # 100 V × 10 A × 0.5
    assert s.assumptions == {}
    assert s.energy_between(0, 1) == pytest.approx(500 / 3600)


def test_three_phase_current_only_uses_sourced_defaults() -> None:
    imp = metering.from_frame(
        frame([{"time": t, "circuit": "b", "current_a": 10} for t in (0, 1, 2)]), PLANT
    )
    s = imp.series["b"]
    assert s.power_w[0] == pytest.approx(math.sqrt(3) * 200 * 10 * 0.85)  # 2944.49 W
    assert "200 V" in s.assumptions["voltage_v"] and "Panasonic" in s.assumptions["voltage_v"]
    assert "0.85" in s.assumptions["power_factor"]
    assert "assumption" in s.assumptions["power_factor"]
    assert s.total_kwh == pytest.approx(2 * 2944.486 / 3600 / 1000, rel=1e-5)


def test_per_phase_currents_are_summed() -> None:
    rows = [
        {
            "time": t,
            "circuit": "b",
            "current_l1_a": 9,
            "current_l2_a": 10,
            "current_l3_a": 11,
            "voltage_v": 200,
            "power_factor": 1,
        }
        for t in (0, 1)
    ]
    imp = metering.from_frame(frame(rows), PLANT)
    # V_LL/√3 × (9 + 10 + 11) A = √3 × 200 × 10
    assert imp.series["b"].power_w[0] == pytest.approx(200 / math.sqrt(3) * 30)


def test_gaps_are_not_integrated_and_are_reported() -> None:
    rows = [
        {"time": t, "circuit": "a", "current_a": 18, "voltage_v": 200, "power_factor": 1}
        for t in (0, 1, 20, 21)
    ]  # 3600 W; default max_gap_s is 10 s
    s = metering.from_frame(frame(rows), PLANT).series["a"]
    assert s.gaps == [(1.0, 20.0)]
    assert s.energy_wh[-1] == pytest.approx(2.0)  # two 1-s intervals of 3600 W
    assert s.energy_between(1, 20) == pytest.approx(0.0)


def test_clock_offset_and_drift_are_corrected() -> None:
    plant = metering.plant_from_dict(
        {
            "circuits": {
                "a": {"phases": 1, "clock_offset_s": 5, "clock_drift_ppm": 1000, "max_gap_s": 2000}
            }
        }
    )
    rows = [{"time": t, "circuit": "a", "current_a": 1} for t in (100, 1100)]
    s = metering.from_frame(frame(rows), plant).series["a"]
    assert list(s.t) == pytest.approx([95.0, 1094.0])  # 1100 - 5 - 1000e-6 × 1000


def test_iso_times() -> None:
    rows = [
        {"time": f"2026-01-01T00:00:0{i}+09:00", "circuit": "a", "current_a": 1} for i in (0, 2)
    ]
    s = metering.from_frame(frame(rows), PLANT).series["a"]
    assert s.t[1] - s.t[0] == pytest.approx(2.0)


def test_bad_rows_are_quarantined_with_line_and_reason() -> None:
    rows = [
        {"time": 0, "circuit": "a", "current_a": 1},
        {"time": 1, "circuit": "zz", "current_a": 1},  # line 3
        {"time": 2, "circuit": "a", "current_a": -1},  # line 4
        {"time": 3, "circuit": "a", "current_a": "nan"},  # line 5
        {"time": 4, "circuit": "a", "current_a": 1, "power_factor": 1.5},  # line 6
        {"time": 5, "circuit": "a", "current_a": 1},
        {"time": 3, "circuit": "a", "current_a": 1},  # line 8: clock jump back
        {"time": "yesterday", "circuit": "a", "current_a": 1},  # line 9
        {"time": 5, "circuit": "a", "current_a": 1},  # line 10: duplicate
        {"time": 6, "circuit": "a", "current_a": 1e9},  # line 11
    ]
    imp = metering.from_frame(frame(rows), PLANT)
    q = dict(zip(imp.quarantine["line"], imp.quarantine["reason"], strict=True))
    assert sorted(q) == [3, 4, 5, 6, 8, 9, 10, 11]
    assert "unknown" in q[3] and "negative" in q[4] and "not a number" in q[5]
    assert "power_factor" in q[6] and "clock jump" in q[8] and "ISO" in q[9]
    assert "duplicate" in q[10] and "above" in q[11]
    assert len(imp.series["a"].t) == 2  # nothing silently dropped: 2 kept + 8 quarantined
    assert imp.summary()["quarantined"] == 8
    # every reason given is coded, and the web page's catalogues say each in its language
    assert set(q.values()) <= set(REASON_CODES)
    static = Path(metering.__file__).parents[1] / "web" / "static" / "i18n"
    for lang in ("en", "ja"):
        catalogue = json.loads((static / f"{lang}.json").read_text(encoding="utf-8"))
        for code in REASON_CODES.values():
            said = catalogue[f"val.reason.{code}"]
            assert set(re.findall(r"{(\w+)}", said)) <= set(REASON_FIGURES), (lang, code)


def test_errors_name_file_and_field(tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("time,circuit\n0,a\n")
    with pytest.raises(MeteringError, match=r"r\.csv: missing column\(s\): current_a") as err:
        metering.read_csv(f, PLANT)
    # the alternatives without a word of English in them: a Japanese page says the rule's
    # own words around the list (review 317: '列がありません：current_a (or current_l1_a …')
    assert err.value.problems[0].limits == {
        "columns": "current_a / (current_l1_a, current_l2_a, current_l3_a)"}
    f.write_text("time,circuit,current_a\n0,a,-1\n1,a,-2\n")
    with pytest.raises(MeteringError, match="every row was quarantined; first: line 2"):
        metering.read_csv(f, PLANT)
    with pytest.raises(MeteringError, match=r"circuits\.x\.phases: expected 1 or 3"):
        metering.plant_from_dict({"circuits": {"x": {"phases": 2}}})
    with pytest.raises(MeteringError, match=r"circuits\.x\.power_factor"):
        metering.plant_from_dict({"circuits": {"x": {"power_factor": 1.2}}})
    with pytest.raises(MeteringError, match=r"clock_drift_ppm"):
        metering.plant_from_dict({"circuits": {"x": {"clock_drift_ppm": float("inf")}}})
    with pytest.raises(MeteringError, match="unknown field"):
        metering.plant_from_dict({"circuits": {"x": {"volts": 1}}})


def test_reference_numbers_have_sources(tmp_path: Path) -> None:
    ref = metering.electrical()
    assert ref.grid_kg_per_kwh.value == pytest.approx(0.423)
    assert "env.go.jp" in ref.grid_kg_per_kwh.source
    assert ref.tariff_jpy_per_kwh.source.startswith("tariff")
    bad = tmp_path / "e.yaml"
    bad.write_text("voltage: {three_phase_v_ll: {value: 200}}\n")
    with pytest.raises(MeteringError, match="three_phase_v_ll: missing, or without a source"):
        metering.electrical(bad)


def test_the_hash_is_of_the_readings_imported(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is read once: its hash and its readings come from the same bytes, even when
    the file is rewritten while it is imported (the table was read a second time)."""
    import hashlib

    f = tmp_path / "r.csv"
    first = b"time,circuit,current_a,voltage_v,power_factor\n0,a,10,100,1\n1,a,10,100,1\n"
    f.write_bytes(first)
    read_bytes = Path.read_bytes

    def read_then_rewrite(self: Path) -> bytes:
        data = read_bytes(self)
        self.write_bytes(first.replace(b",10,", b",20,"))  # a writer after our read
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_rewrite)
    imp = metering.read_csv(f, PLANT)
    assert imp.sha256 == hashlib.sha256(first).hexdigest()
    assert list(imp.series["a"].power_w) == [1000.0, 1000.0]  # 100 V × 10 A, as hashed


def test_too_few_valid_readings_is_refused_naming_each_circuit() -> None:
    """Before: "no circuit has two or more valid readings", with no circuit or line."""
    plant = metering.plant_from_dict({"circuits": {c: {"phases": 1} for c in "abc"}})
    rows = [("0", "a", "1"), ("1", "a", "-1"), ("-0.5", "a", "2"), ("3", "b", "1"),
            ("4", "press", "1"), ("5", "press", "1"), ("6", "c", "x"), ("7", "d", "1")]
    df = pd.DataFrame(rows, columns=["time", "circuit", "current_a"])
    with pytest.raises(MeteringError) as err:
        metering.from_frame(df, plant, source="r.csv")
    assert str(err.value) == (
        "r.csv: no circuit has two or more valid readings: a: 3 rows from line 2, 1 valid, "
        "2 quarantined (first line 3: current: negative); b: line 5, 1 valid; press: 2 rows "
        "from line 6, 0 valid, 2 quarantined (first line 6: circuit: unknown); "
        "and 2 more circuits")
    (problem,) = err.value.problems
    assert problem.kind == "readings-too-few" and set(problem.limits or {}) == {"circuits"}


def test_too_few_valid_readings_stays_short_with_many_circuits() -> None:
    names = [f"c{i}" for i in range(2000)]
    plant = metering.plant_from_dict({"circuits": {c: {"phases": 1} for c in names}})
    df = pd.DataFrame({"time": "0", "circuit": names, "current_a": "1"})
    with pytest.raises(MeteringError) as err:
        metering.from_frame(df, plant, source="r.csv")
    msg = str(err.value)
    assert "c0: line 2, 1 valid; c1: line 3, 1 valid; c2: line 4, 1 valid" in msg
    assert msg.endswith("and 1,997 more circuits") and len(msg) < 200
