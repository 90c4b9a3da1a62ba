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
def test_a_grid_too_long_is_refused_naming_the_lines(first: str) -> None:
    df = _frame([float(i) for i in range(1, 300)])
    df = pd.concat([pd.DataFrame([{"time": first, "circuit": "a", "current_a": "5"}]), df])
    imp = metering.from_frame(df, PLANT, source="readings.csv")
    with pytest.raises(metering.MeteringError) as err:
        metering.segment(imp.series["a"])
    msg = str(err.value)
    assert msg.startswith("readings.csv: circuit a:")
    assert f"from line 2 (time {first}) to line 3 (time 1.0)" in msg and "field time" in msg
    assert "5,000,000" in msg and max(len(w) for w in re.findall(r"\d+", msg)) <= 7
