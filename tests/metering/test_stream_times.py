"""The stream's time rules are the CSV import's: one corrupt stamp far ahead (or a corrupt
first stamp) is quarantined itself, not the good readings after it, and the work is bounded
by the readings, not by the span of the clock."""

from __future__ import annotations

import numpy as np
import pytest

from junkan import metering
from junkan.metering.online import OnlineSegmenter

PLANT = metering.plant_from_dict({"circuits": {"c1": {"phases": 1, "steps": ["cut"]}}})
JUMP = "time: implausible jump forward"


def _day(n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0, float(n))
    return t, np.where((t >= 100) & (t < 160), 10.0, 0.5)


def _stream(t: np.ndarray, cur: np.ndarray, chunk: int) -> metering.Stream:
    st = metering.Stream(PLANT)
    for a in range(0, len(t), chunk):
        n = len(t[a : a + chunk])
        st.push("c1", t[a : a + chunk], current_a=cur[a : a + chunk],
                voltage_v=np.full(n, 200.0), power_factor=np.ones(n))
    st.close()
    return st


@pytest.mark.parametrize("bad", [1e4, 1e6, 1e9, 1e300])
@pytest.mark.parametrize("where", [0, 50])
@pytest.mark.parametrize("chunk", [500, 7, 1])
def test_one_corrupt_stamp_is_quarantined_and_the_rest_kept(
    bad: float, where: int, chunk: int
) -> None:
    t, cur = _day()
    t[where] = bad
    st = _stream(t, cur, chunk)
    q = st.quarantine_frame()
    assert len(q) == 1 and q["reason"].iloc[0].startswith(JUMP) and q["t"].iloc[0] == bad
    c = st.circuits["c1"]
    assert c.readings == 499
    # bounded work: one grid point per second of the day, nothing across the bad stamp
    assert c.seg.points <= 500
    on = [(s.start, s.end) for s in c.seg.done if s.on]
    assert on == [(100.0, 160.0)]


def test_a_run_of_corrupt_stamps_at_the_start_is_quarantined() -> None:
    t, cur = _day()
    t[:3] = [1764547200.0, 1764547201.0, 1764547202.0]
    st = _stream(t, cur, 5)
    assert list(st.quarantine_frame()["t"]) == [1764547200.0, 1764547201.0, 1764547202.0]
    assert st.circuits["c1"].readings == 497


def test_a_real_gap_is_accepted_also_as_the_last_reading() -> None:
    t, cur = _day()
    t[100:] += 1e6
    t[-1] += 1e9  # the last reading far ahead: nothing after it says it is corrupt
    st = _stream(t, cur, 60)
    assert len(st.quarantine_frame()) == 0 and st.circuits["c1"].readings == 500
    assert st.circuits["c1"].seg.points <= 501


def test_a_backward_clock_jump_is_still_caught() -> None:
    t, cur = _day()
    t[200:210] = np.arange(150.0, 160.0)  # the clock went back 50 s for 10 readings
    st = _stream(t, cur, 33)
    reasons = st.quarantine_frame()["reason"]
    assert len(reasons) == 10 and all(r.startswith("time: clock jump backwards") for r in reasons)


@pytest.mark.parametrize("split", [0, 60])
def test_a_gap_in_the_first_push_starts_a_new_grid(split: int) -> None:
    t, x = _day()
    x = x * 200.0
    t[100:] += 2e4  # a real pause of 5.6 h, inside the first push when split = 0
    seg = OnlineSegmenter("c", warmup_s=60)
    if split:
        seg.push(t[:split], x[:split])
    seg.push(t[split:], x[split:])
    seg.flush()
    assert seg.points <= 500  # not the 20,000 empty grid points of the pause
    assert all(s.end <= 100.0 or s.start >= 2e4 + 100 for s in seg.done)
