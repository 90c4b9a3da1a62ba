"""Implausible time stamps: one corrupt forward jump is quarantined itself, not the good
readings after it; a real backward clock jump is still caught."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from junkan import metering

PLANT = metering.plant_from_dict({"circuits": {"a": {"phases": 1, "steps": ["cut"]}}})


def _frame(times: list[float]) -> pd.DataFrame:
    rows = [{"time": repr(t), "circuit": "a", "current_a": "5"} for t in times]
    return pd.DataFrame(rows)


def test_one_huge_time_is_quarantined_and_the_rest_kept() -> None:
    times = [float(i) for i in range(300)]
    times.insert(150, 1e300)
    imp = metering.from_frame(_frame(times), PLANT)
    q = imp.quarantine
    assert len(q) == 1 and int(q["line"].iloc[0]) == 152
    assert "implausible jump forward" in q["reason"].iloc[0]
    s = imp.series["a"]
    assert len(s.t) == 300 and s.t[-1] == 299.0 and s.gaps == []


def test_a_run_of_bad_times_is_quarantined() -> None:
    times = [0.0, 1.0, 2.0, 1e12, 1e12 + 1, 3.0, 4.0, 5.0]
    imp = metering.from_frame(_frame(times), PLANT)
    assert sorted(imp.quarantine["line"].astype(int)) == [5, 6]
    assert len(imp.series["a"].t) == 6


def test_backward_clock_jump_still_flagged() -> None:
    times = [0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 5.0, 6.0]
    imp = metering.from_frame(_frame(times), PLANT)
    assert set(imp.quarantine["reason"]) == {
        "time: clock jump backwards (earlier than a previous reading)"
    }
    assert len(imp.quarantine) == 2


def test_real_gap_forward_is_kept() -> None:
    times = [0.0, 1.0, 2.0, 1e6, 1e6 + 1, 1e6 + 2]
    imp = metering.from_frame(_frame(times), PLANT)
    assert len(imp.quarantine) == 0 and len(imp.series["a"].gaps) == 1


def test_a_corrupt_first_time_is_quarantined_and_the_rest_kept() -> None:
    times = [1764547200.0, *[float(i) for i in range(1, 499)]]
    imp = metering.from_frame(_frame(times), PLANT)
    q = imp.quarantine
    assert list(q["line"]) == [2] and "implausible jump forward" in q["reason"].iloc[0]
    assert len(imp.series["a"].t) == 498 and imp.series["a"].t[0] == 1.0


def test_a_run_of_corrupt_times_at_the_start_is_quarantined() -> None:
    times = [1e9, 1e9 + 1, 1e9 + 2, *[float(i) for i in range(100)]]
    imp = metering.from_frame(_frame(times), PLANT)
    assert list(imp.quarantine["line"]) == [2, 3, 4] and len(imp.series["a"].t) == 100


def test_a_slightly_late_first_time_is_not_a_jump() -> None:
    # 5 s ahead of the readings after it is a clock matter, not a corrupt stamp
    imp = metering.from_frame(_frame([5.0, *[float(i) for i in range(100)]]), PLANT)
    assert set(imp.quarantine["reason"]) == {
        "time: clock jump backwards (earlier than a previous reading)",
        "time: duplicate reading time",
    }


@pytest.mark.parametrize("first", ["-1e12", "-1e300"])
def test_a_reading_far_before_the_others_is_a_run_of_its_own(first: str) -> None:
    """Before: the grid from it to the others (1e12 s and more) was refused; a gap that long
    now ends a run, and each run is segmented on its own."""
    df = _frame([float(i) for i in range(1, 300)])
    df = pd.concat([pd.DataFrame([{"time": first, "circuit": "a", "current_a": "5"}]), df])
    imp = metering.from_frame(df, PLANT, source="readings.csv")
    seg = metering.segment(imp.series["a"])
    assert seg.points == 1 + 299
    assert not any(s.start < 1.0 and s.end > float(first) + 1 for s in seg.segments)


def test_a_grid_too_long_is_refused_naming_the_lines() -> None:
    # a reading every 500 s: gaps, but none long enough to end a run (600 grid points)
    times = [500.0 * i for i in range(10_001)]
    times[5000] += 99.0  # the longest gap: 599 s, from line 5001 to line 5002
    imp = metering.from_frame(_frame(times), PLANT, source="readings.csv")
    with pytest.raises(metering.MeteringError) as err:
        metering.segment(imp.series["a"])
    msg = str(err.value)
    assert msg.startswith("readings.csv: circuit a:")
    assert "from line 2 (time 0.0) to line 10002 (time 5000000.0)" in msg
    assert "from line 5001 (time 2499500.0) to line 5002 (time 2500099.0)" in msg
    assert "field time" in msg and "5e+06 grid points" in msg
    assert "5,000,000" in msg and max(len(w) for w in re.findall(r"\d+", msg)) <= 7


def test_grids_too_long_over_several_runs_are_refused() -> None:
    # two runs of 2.5 million grid points each, apart by a gap that ends a run
    times = [500.0 * i for i in range(5001)]
    times += [t + 3_500_000.0 for t in times]
    imp = metering.from_frame(_frame(times), PLANT, source="readings.csv")
    with pytest.raises(metering.MeteringError) as err:
        metering.segment(imp.series["a"])
    msg = str(err.value)
    assert "5e+06 grid points of 1 s in 2 runs (a gap over 600 s ends a run)" in msg
    assert "longest gap inside a run, 500 s, is from line 2 (time 0.0) to line 3" in msg
