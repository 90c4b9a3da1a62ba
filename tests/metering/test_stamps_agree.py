"""One time-stamp rule (:mod:`junkan.metering.stamps`): a file imported as CSV and the same
readings streamed, in any cutting into messages, then closed, quarantine exactly the same rows
for the same reasons.

Before, they decided differently: an 11-reading run at 5000..5010 s in 1-s readings at
0..99 s then 100.. (a gap, then the clock back) had 10 of its readings quarantined by the CSV
import and none by the stream; a reading at 1050 s after one back at 0 s was a corrupt stamp
for the file (1050 s after the previous *row*) and a gap for the stream (951 s after the latest
accepted reading); and the stream's typical interval depended on how the readings were cut
into messages (10 readings at 100 s, then 1-s readings and one 5000 s ahead: quarantined by
the file and the stream fed all at once, a gap to the stream fed one by one). Now one function
decides for both: the 10 readings after a suspect decide it, a jump is measured from the latest
accepted reading, and the typical interval is that of the steps up to the reading."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan import metering

Case = tuple[np.ndarray, int]
"""A circuit's reading times, and a number choosing how they are cut into messages
(:func:`_cuts`)."""

GAPS_S = [*range(0, 100), 100, *range(5000, 5011)]
SOME_GAPS_S = [0, 1, 2, 50, 99, 100, 5000, 5005, 5010]


def _cuts(n: int, how: int) -> list[int]:
    """Message sizes for ``n`` readings: a first message of 1 to 21 readings, then messages of
    1, 2, 3, 11 or all the rest, chosen by ``how``."""
    first = (1, 5, 12, 19, 20, 21)[how % 6]
    size = (1, 2, 3, 11, n)[how % 5]
    return [first, *([size] * -(-max(n - first, 0) // size))]


def _plant(n: int) -> metering.Plant:
    return metering.plant_from_dict(
        {"circuits": {f"c{i}": {"phases": 1, "steps": [f"s{i}"]} for i in range(n + 1)}})


def _verdicts(cases: list[Case]) -> tuple[list[Counter], list[Counter]]:
    """Per case: the quarantined readings (message number, time, reason) of the CSV import and
    of the stream. One more circuit with two good readings keeps the file from being refused."""
    plant = _plant(len(cases))
    msg = [np.repeat(np.arange(len(c)), c)[: len(ts)] for ts, how in cases
           for c in [_cuts(len(ts), how)]]
    rows = [(t, f"c{i}", i, int(msg[i][j])) for i, (ts, _) in enumerate(cases)
            for j, t in enumerate(ts)]
    rows += [(0.0, f"c{len(cases)}", len(cases), 0), (1.0, f"c{len(cases)}", len(cases), 0)]
    df = pd.DataFrame({"time": [repr(float(r[0])) for r in rows], "circuit": [r[1] for r in rows],
                       "current_a": "5"})
    q = metering.from_frame(df, plant).quarantine
    csv: list[Counter] = [Counter() for _ in cases]
    for line, why in zip(q["line"], q["reason"], strict=True):
        t, _, i, m = rows[int(line) - 2]
        csv[i][(m, float(t), why)] += 1
    stream = metering.Stream(plant, keep_raw=False, grid_s=600)  # the times, not the segments
    for i, (ts, how) in enumerate(cases):
        a = 0
        for m, size in enumerate(_cuts(len(ts), how)):
            part = np.asarray(ts[a : a + size], float)
            a += size
            stream.push(f"c{i}", part, current_a=np.full(len(part), 5.0), source=str(m))
    stream.close()
    live: list[Counter] = [Counter() for _ in cases]
    for r in stream.quarantine:
        live[int(r["circuit"][1:])][(int(r["source"]), float(r["t"]), r["reason"])] += 1
    return csv, live


def _assert_agree(cases: list[Case]) -> None:
    csv, live = _verdicts(cases)
    bad = [([float(x) for x in ts], _cuts(len(ts), how), sorted(a.elements()), sorted(b.elements()))
           for (ts, how), a, b in zip(cases, csv, live, strict=True) if a != b]
    assert not bad, f"{len(bad)} of {len(cases)} differ; first: {bad[0]}"


def _grid(dt: float, pattern: str) -> Iterator[Case]:
    """Readings every ``dt`` s at 0..39·dt, with gaps of :data:`GAPS_S` (and around
    :data:`~junkan.metering.stamps.SPIKE_INTERVALS` sampling intervals) put in by ``pattern``;
    each case cut into messages its own way."""
    base = np.arange(40) * dt
    near = [dt * g for g in (999, 1000, 1001, 5000)]
    n = 0
    if pattern == "spike-and-back":  # one reading g ahead; later one back by g, and then a
        for g in [*GAPS_S, *near]:  # reading 1000.5 intervals on from that one
            t = base.copy()
            t[8] += g
            t[25] -= g
            t[26] = t[25] + 1000.5 * dt
            n += 1
            yield t, n
    elif pattern == "run":  # 1 to 12 readings g ahead, then the clock back (> 10: a gap)
        for g in [*SOME_GAPS_S[4:], *range(5001, 5005), *near]:
            for run in (1, 2, 9, 10, 11, 12):
                t = base.copy()
                t[15 : 15 + run] += g
                n += 1
                yield t, n
    elif pattern == "first":  # the first 1 to 3 readings late by g
        for g in [*SOME_GAPS_S, *near]:
            for run in (1, 2, 3):
                t = base.copy()
                t[:run] += g
                n += 1
                yield t, n
    else:  # "sparse-start": 100-s steps first, then dt; one reading g intervals ahead
        for g in [*SOME_GAPS_S, 999, 1000, 1001]:
            t = np.concatenate([np.arange(11) * 100.0, 1000 + np.arange(1, 30) * dt])
            t[15] += g * dt
            n += 1
            yield t, n


@pytest.mark.parametrize("dt", [1.0, 10.0])
@pytest.mark.parametrize("pattern", ["spike-and-back", "run", "first", "sparse-start"])
def test_csv_and_stream_quarantine_the_same_rows(dt: float, pattern: str) -> None:
    _assert_agree(list(_grid(dt, pattern)))


@pytest.mark.parametrize(("times", "jumps", "backwards"), [
    # a gap of 11 readings, then the clock back: a gap (the run is longer than 10), not 10 jumps
    ([*range(100), *range(5000, 5011), *range(100, 121)], [], 21),
    # a run of 10 corrupt stamps is caught
    ([*range(100), *range(5000, 5010), *range(100, 121)], list(range(5000, 5010)), 0),
    # 1050 s is 951 s after the latest accepted reading (99 s): under 1000 intervals, not a jump
    ([*range(100), 0, 1050, *range(100, 121)], [], 22),
])
def test_the_rule(times: list[float], jumps: list[float], backwards: int) -> None:
    csv, live = _verdicts([(np.asarray(times, float), 0)])
    assert csv == live
    why = Counter(r.split(" (")[0] for (_, _, r) in csv[0].elements())
    got = sorted(t for (_, t, r) in csv[0] if r.startswith("time: implausible jump forward"))
    assert got == jumps and why["time: clock jump backwards"] == backwards


@st.composite
def _series(draw: st.DrawFn) -> Case:
    dt = draw(st.sampled_from([1.0, 10.0, 0.5]))
    t = list(np.arange(draw(st.integers(1, 45))) * dt)
    for _ in range(draw(st.integers(0, 4))):
        k = draw(st.integers(0, len(t) - 1))
        g = draw(st.sampled_from([*GAPS_S, 1e4, 1e6, 1e9]) | st.floats(-2e4, 2e4))
        run = draw(st.integers(1, 12))
        if draw(st.booleans()):
            t[k : k + run] = [x + g for x in t[k : k + run]]
        else:
            t[k:] = [x + g for x in t[k:]]
    return np.asarray(t, float), draw(st.integers(0, 29))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_series(), min_size=1, max_size=4))
def test_any_readings_any_messages(cases: list[Case]) -> None:
    _assert_agree(cases)
