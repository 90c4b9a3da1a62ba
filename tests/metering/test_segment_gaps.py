"""A long gap in a circuit's readings ends a run: each run is segmented on its own grid, no
segment or cycle spans the gap, and the grid's size follows the readings, not the clock
(review 279: a weekend's gap cost 175,000 interpolated grid points and put 24,000 segments
inside it; a valid reading a year later was refused for a grid over 5,000,000 points)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from junkan import metering
from junkan.metering.segment import RUN_GAP_POINTS

pytest.importorskip("ruptures")

PLANT = metering.plant_from_dict({"circuits": {"c": {"phases": 1, "steps": ["s"]}}})
WEEKEND = 48 * 3600.0


def frame(t: np.ndarray, power: np.ndarray) -> pd.DataFrame:
    # single-phase, 1 V, PF 1 → power = current
    return pd.DataFrame({"time": t, "circuit": "c", "current_a": power, "voltage_v": 1.0,
                         "power_factor": 1.0})


def square(levels: list[tuple[int, float]], seed: int) -> np.ndarray:
    x = np.concatenate([np.full(n, v) for n, v in levels])
    return x + np.random.default_rng(seed).normal(0, 5.0, len(x))


def two_runs(gap_s: float) -> tuple[metering.Import, float, float]:
    """1200 s at 1 Hz ending with the machine on, a gap, 1200 s starting with it on (two
    2000-W cycles of 120 s each side); the import, and the last and first time around the
    gap."""
    before = square([(300, 100), (120, 2100), (660, 100), (120, 2100)], 0)
    after = square([(120, 2100), (480, 100), (120, 2100), (480, 100)], 1)
    t = np.concatenate([np.arange(1200.0), 1200 + gap_s + np.arange(1200.0)])
    imp = metering.from_frame(frame(t, np.concatenate([before, after])), PLANT)
    return imp, 1199.0, 1200.0 + gap_s


@pytest.mark.parametrize("gap_s", [WEEKEND, 365 * 86400.0])
def test_a_long_gap_is_segmented_as_runs_either_side(gap_s: float) -> None:
    imp, last, first = two_runs(gap_s)
    seg = metering.segment(imp.series["c"])
    assert not [s for s in seg.segments if s.start < first and s.end > last + 1]
    sides = [{s.start >= first for s in seg.segments if s.cycle == c}
             for c in {s.cycle for s in seg.segments if s.on}]
    assert sorted(map(sorted, sides)) == [[False], [False], [True], [True]]  # 2 cycles a side
    assert max(s.end for s in seg.segments if s.start < first) == last + 1
    assert min(s.start for s in seg.segments if s.start >= first) == first
    on_wh = sum(s.energy_wh for s in seg.segments if s.on)
    assert on_wh == pytest.approx(4 * 2000 * 120 / 3600, rel=0.02)
    assert seg.idle_w == pytest.approx(100, abs=5)
    assert seg.points == 2400  # one grid point per second of readings, none for the gap


def test_one_valid_reading_a_year_later_is_a_run_of_its_own() -> None:
    x = square([(300, 100), (120, 2100), (300, 100)], 2)
    t = np.concatenate([np.arange(720.0), [719.0 + 365 * 86400.0]])
    imp = metering.from_frame(frame(t, np.append(x, 100.0)), PLANT)
    assert len(imp.series["c"].t) == 721  # valid: nothing after it says it is a bad stamp
    seg = metering.segment(imp.series["c"])
    assert seg.points == 721
    assert seg.segments[-1].start == t[-1] and seg.segments[-2].end == 720.0
    assert [s.cycle for s in seg.segments if s.on] == [0]


def test_a_gap_up_to_the_limit_stays_one_run_without_energy() -> None:
    """A gap of RUN_GAP_POINTS grid points or less is filled as before: uncovered,
    interpolated points, no energy, the cycle around it not cut."""
    x = square([(300, 100), (240, 2100), (300, 100)], 3)
    t = np.arange(840.0)
    t[400:] += RUN_GAP_POINTS - 1  # a 600-s gap inside the cycle
    seg = metering.segment(metering.from_frame(frame(t, x), PLANT).series["c"])
    assert seg.points == 840 + RUN_GAP_POINTS - 1
    on = [s for s in seg.segments if s.on]
    assert {s.cycle for s in on} == {0}
    assert sum(s.energy_wh for s in on) == pytest.approx(2000 * 240 / 3600, rel=0.03)


def test_the_online_segmenter_agrees_across_a_long_gap() -> None:
    imp, _, _ = two_runs(WEEKEND)
    s = imp.series["c"]
    batch = metering.segment(s)
    online = metering.segment_online(s.t, s.power_w, "c", warmup_s=0)
    c = metering.compare_segmentations(batch, online, tol_s=3.0)
    assert c["batch_edges_matched"] == 1.0 and c["online_edges_matched"] == 1.0, c
    assert c["batch_cycles"] == c["online_cycles"] == 4
    assert online.points <= batch.points + 2 * RUN_GAP_POINTS
