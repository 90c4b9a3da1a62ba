"""The attribution finds each segment's scan events with a sweep over the events sorted by
start (:mod:`junkan.metering.windows`) instead of testing every event of the circuit, and
reads the events from plain lists instead of pandas per element. Its results are exactly
those of the code before (``_attribute_before.py``): the same events per segment in the same
order, the same ties (the first row), the same signatures, shares, energies (bit for bit),
inferred segments and residuals, on random plants: overlapping events, several steps per
circuit and several units per step, events far longer than the segments, tolerance 0 and
large, no events, and events on circuits without segments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan import metering
from junkan.metering import segment
from junkan.metering.attribute import SCAN_COLUMNS, Attribution, attribute
from junkan.metering.segment import Segment, Segmentation
from junkan.metering.windows import overlapping

from ._attribute_before import attribute as attribute_before

TIMES = st.integers(0, 400).map(lambda k: k / 2)  # a coarse grid: equal overlaps (ties) abound
TOLERANCES = st.sampled_from([0, 0.0, 0.5, 1.0, 3.0, 15.0, 100.0, 3600.0])


def _same(new: Attribution, old: Attribution) -> None:
    pd.testing.assert_frame_equal(new.events, old.events, check_exact=True)
    for col in ("wh", "operating_s"):  # bit for bit, signed zeros included
        assert new.events[col].to_numpy().tobytes() == old.events[col].to_numpy().tobytes()
    pd.testing.assert_frame_equal(new.inferred, old.inferred, check_exact=True)
    assert list(new.residual_wh.items()) == list(old.residual_wh.items())
    assert list(new.signatures_w.items()) == list(old.signatures_w.items())


@st.composite
def plants(draw: Any) -> tuple[dict[str, Segmentation], pd.DataFrame, metering.Plant, float]:
    """Up to 4 circuits of 1–3 steps; a random subset has segments (possibly overlapping each
    other, some off, some empty or reversed); events on any step, some very long."""
    n_circ = draw(st.integers(1, 4))
    steps = {f"c{c}": [f"c{c}s{k}" for k in range(draw(st.integers(1, 3)))] for c in range(n_circ)}
    plant = metering.plant_from_dict(
        {"circuits": {c: {"phases": 1, "steps": s} for c, s in steps.items()}})
    segs: dict[str, Segmentation] = {}
    for c in steps:
        if not draw(st.booleans()) and segs:
            continue  # a circuit with no segments (its events go nowhere)
        rows = draw(st.lists(st.tuples(TIMES, st.integers(-2, 80).map(lambda k: k / 2),
                                       st.sampled_from([300.0, 800.0, 1500.0, 2300.0, 4000.0]),
                                       st.booleans()), max_size=12))
        segs[c] = Segmentation(c, [Segment(c, a, a + d, lev, lev * d / 3600, on, 0)
                                   for a, d, lev, on in rows],
                               draw(st.sampled_from([0.0, 150.0])), 1.0, 0.0)
    all_steps = [s for ss in steps.values() for s in ss]
    ev_rows = draw(st.lists(st.tuples(st.sampled_from(all_steps), TIMES,
                                      st.sampled_from([0.0, 0.5, 3.0, 10.0, 40.0, 90.0, 5000.0])),
                            max_size=25))
    ev = pd.DataFrame(
        {"unit_id": [f"u{i}" for i in range(len(ev_rows))],
         "model": [f"m{i % 3}" for i in range(len(ev_rows))],
         "step": [r[0] for r in ev_rows],
         "start": np.array([r[1] for r in ev_rows], float),
         "end": np.array([r[1] + r[2] for r in ev_rows], float),
         "circuit": [plant.steps[r[0]] for r in ev_rows]},
        columns=[*SCAN_COLUMNS, "circuit"])
    return segs, ev, plant, draw(TOLERANCES)


def _same_on(case: tuple[Any, ...]) -> None:
    segs, ev, plant, tol = case
    _same(attribute(segs, ev, plant, tol), attribute_before(segs, ev, plant, tol))


@given(case=plants())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_same_as_before_on_random_plants(case: tuple[Any, ...]) -> None:
    _same_on(case)


@pytest.mark.slow
@given(case=plants())
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_same_as_before_on_many_random_plants(case: tuple[Any, ...]) -> None:
    _same_on(case)


@pytest.mark.parametrize("tol", [0.0, 15.0])
def test_same_as_before_without_events(tol: float) -> None:
    plant = metering.plant_from_dict({"circuits": {"a": {"phases": 1, "steps": ["x"]},
                                                   "b": {"phases": 1, "steps": ["y", "z"]}}})
    segs = {c: Segmentation(c, [Segment(c, 0.0, 10.0, 900.0, 2.5, True, 0)], 0.0, 1.0, 0.0)
            for c in ("a", "b")}
    for scans in (None, pd.DataFrame(columns=[*SCAN_COLUMNS, "circuit"])
                  .astype({"start": float, "end": float})):
        _same(attribute(segs, scans, plant, tol), attribute_before(segs, scans, plant, tol))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7])
def test_same_as_before_on_generated_days(seed: int) -> None:
    """The generator's compressor day, segmented by the batch segmenter, scans through
    :func:`metering.scans_from_frame`: a realistic plant (overlapping machines, shared
    steps)."""
    day = metering.compressor_day(n_units=12, seed=seed)
    plant = metering.plant_from_dict(day.circuits)
    imp = metering.from_frame(day.readings.astype(str), plant)
    segs = {c: segment(s) for c, s in imp.series.items()}
    scans = metering.scans_from_frame(day.scans.astype(str), plant)
    for tol in (0.0, 15.0, 600.0):
        _same(attribute(segs, scans, plant, tol), attribute_before(segs, scans, plant, tol))


def test_windows_are_those_that_overlap() -> None:
    """:func:`overlapping` against the all-pairs test, one window far longer than the rest,
    empty and NaN windows and reversed segments among them."""
    rng = np.random.default_rng(3)
    lo = rng.integers(0, 200, 300).astype(float)
    hi = lo + rng.choice([0.0, 1.0, 5.0, 30.0], 300)
    lo[7], hi[7] = -1e9, 1e9
    lo[8] = np.nan
    a = rng.integers(-10, 210, 200).astype(float)
    b = a + rng.choice([-1.0, 0.0, 0.5, 4.0, 50.0], 200)
    got = overlapping(lo, hi, a, b)
    for k in range(len(a)):
        truth = np.flatnonzero(np.minimum(b[k], hi) - np.maximum(a[k], lo) > 0).tolist()
        kept = [j for j in got[k] if min(b[k], hi[j]) - max(a[k], lo[j]) > 0]
        assert kept == truth
        assert got[k] == sorted(got[k])
