"""Change-point segmentation and attribution on hand-checkable square waves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from junkan import metering

pytest.importorskip("ruptures")


def series(power: np.ndarray, circuit: str = "c") -> pd.DataFrame:
    # single-phase, 1 V, PF 1 → power = current
    return pd.DataFrame(
        {
            "time": np.arange(len(power)),
            "circuit": circuit,
            "current_a": power,
            "voltage_v": 1.0,
            "power_factor": 1.0,
        }
    )


def square(levels: list[tuple[int, float]], seed: int = 0, noise: float = 5.0) -> np.ndarray:
    x = np.concatenate([np.full(n, v) for n, v in levels])
    return x + np.random.default_rng(seed).normal(0, noise, len(x))


def test_one_cycle_energy_above_idle() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]}}})
    imp = metering.from_frame(series(square([(300, 100), (50, 2100), (100, 100)])), plant)
    seg = metering.segment(imp.series["c"])
    on = [s for s in seg.segments if s.on]
    assert seg.idle_w == pytest.approx(100, abs=5)
    assert {s.cycle for s in on} == {0}
    assert on[0].start == pytest.approx(300, abs=1) and on[-1].end == pytest.approx(350, abs=1)
    # 2000 W above idle for 50 s = 27.78 Wh
    assert sum(s.energy_wh for s in on) == pytest.approx(2000 * 50 / 3600, rel=0.02)


def test_overlapping_machines_on_one_circuit_are_split_by_signature() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["a", "b"]}}})
    # idle 100 W; machine a +1000 W over 100–200 s; machine b +3000 W over 150–300 s
    x = square([(100, 100), (50, 1100), (50, 4100), (100, 3100), (100, 100)])
    imp = metering.from_frame(series(x), plant)
    scans = pd.DataFrame(
        {
            "unit_id": ["u1", "u2"],
            "model": ["m", "m"],
            "step": ["a", "b"],
            "start": [101, 148],
            "end": [199, 302],
        }
    )
    res = metering.run(imp, plant, metering.scans_from_frame(scans.astype(str), plant))
    ev = res.attribution.events.set_index("unit_id")
    assert ev.at["u1", "wh"] == pytest.approx(1000 * 100 / 3600, rel=0.03)  # 27.8 Wh
    assert ev.at["u2", "wh"] == pytest.approx(3000 * 150 / 3600, rel=0.03)  # 125 Wh
    assert ev["shared"].all()
    assert res.attribution.signatures_w == pytest.approx({"a": 1000, "b": 3000}, rel=0.02)


def test_without_scans_single_step_is_inferred_multi_step_is_residual() -> None:
    plant = metering.plant_from_dict(
        {"circuits": {"c": {"phases": 1, "steps": ["s"]}, "d": {"phases": 1, "steps": ["a", "b"]}}}
    )
    x = square([(100, 50), (60, 650), (100, 50)])
    imp = metering.from_frame(pd.concat([series(x, "c"), series(x, "d")]), plant)
    res = metering.run(imp, plant, None)
    assert res.factors.empty
    assert res.attribution.inferred["wh"].sum() == pytest.approx(600 * 60 / 3600, rel=0.03)
    assert res.attribution.residual_wh["d"] == pytest.approx(10.0, rel=0.03)
    assert res.totals.set_index("step").at["s", "inferred_kwh"] == pytest.approx(0.01, rel=0.03)


def test_flat_series_has_no_cycle() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1}}})
    imp = metering.from_frame(series(square([(500, 200)])), plant)
    assert not any(s.on for s in metering.segment(imp.series["c"]).segments)


def test_scan_errors_name_the_line() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]}}})
    bad = pd.DataFrame(
        {"unit_id": ["u"], "model": ["m"], "step": ["nope"], "start": ["0"], "end": ["1"]}
    )
    with pytest.raises(metering.MeteringError, match="line 2: step: 'nope'"):
        metering.scans_from_frame(bad, plant)
    bad = bad.assign(step="s", end="-5")
    with pytest.raises(metering.MeteringError, match="line 2: end is before start"):
        metering.scans_from_frame(bad, plant)


def test_ten_hertz_series() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]}}})
    x = square([(1000, 100), (600, 1100), (1000, 100)])  # 10 Hz: 100 s, 60 s, 100 s
    df = series(x).assign(time=np.arange(len(x)) / 10)
    imp = metering.from_frame(df, plant)
    res = metering.run(imp, plant, None)
    assert res.attribution.inferred["wh"].sum() == pytest.approx(1000 * 60 / 3600, rel=0.02)
    assert imp.series["c"].total_kwh == pytest.approx((100 * 200 + 1100 * 60) / 3.6e6, rel=0.01)


def test_segmentation_without_ruptures_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from junkan.core.extras import MissingExtra

    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1}}})
    imp = metering.from_frame(series(square([(50, 200)])), plant)
    monkeypatch.setitem(__import__("sys").modules, "ruptures", None)
    with pytest.raises(MissingExtra, match=r"junkan\[metering\]"):
        metering.segment(imp.series["c"])


def test_a_scan_outside_the_readings_is_refused_naming_its_line() -> None:
    """Before: a scan window at -1 s or at 1e308 s was counted as a unit that used 0 kWh
    (a window within the tolerance of the readings, 15 s unless told, is still matched)."""
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]},
                                      "d": {"phases": 1, "steps": ["t"]}}})
    x = square([(100, 50), (60, 650), (100, 50)])  # readings at 0 … 259 s
    imp = metering.from_frame(series(x), plant)
    ok = {"unit_id": "u1", "model": "m", "step": "s", "start": "95", "end": "165"}
    for start, end in (("-100", "-50"), ("1e308", "1e308"), ("300", "400")):
        scans = metering.scans_from_frame(
            pd.DataFrame([ok, {**ok, "unit_id": "u2", "start": start, "end": end}]), plant,
            "scans.csv")
        with pytest.raises(metering.MeteringError) as exc:
            metering.run(imp, plant, scans)
        assert "scans.csv: line 3: start/end: the window" in str(exc.value), (start, end)
        assert "outside the readings of circuit 'c' (0–259 s)" in str(exc.value)
    near = metering.scans_from_frame(pd.DataFrame([ok, {**ok, "unit_id": "u2", "start": "262",
                                                        "end": "270"}]), plant)
    assert metering.run(imp, plant, near, tolerance_s=15).factors["units"].sum() == 2
    other = metering.scans_from_frame(pd.DataFrame([{**ok, "step": "t"}]), plant, "scans.csv")
    with pytest.raises(metering.MeteringError, match="line 2: start/end: circuit 'd' of this "
                                                     "scan has no readings"):
        metering.run(imp, plant, other)


def test_a_scan_name_longer_than_200_characters_is_refused() -> None:
    """Before: a 140,000-character model name was written into factors.csv and library.yaml."""
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]}}})
    row = {"unit_id": "u1", "model": "m" * 201, "step": "s", "start": "0", "end": "1"}
    with pytest.raises(metering.MeteringError, match="line 2: model: 201 characters; at most "
                                                     "200"):
        metering.scans_from_frame(pd.DataFrame([row]), plant)
    assert len(metering.scans_from_frame(pd.DataFrame([{**row, "model": "m" * 200}]), plant)) == 1
