"""The reorder buffer and the ingest around it (review 268): a gap is given up whole, a line
starts where its stream is, a far ``seq`` costs nothing, late batches are kept in the raw
store, a restarted gateway is monitored again. Time is a fake clock, never waited for."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from junkan import sensing
from junkan.sensing import Batch, Reorder
from junkan.sensing.generator import CHANNELS, LineParams
from junkan.sensing.ingest import LineIngest
from junkan.sensing.store import RawStore

T0 = 1.7e9


def _b(seq: int, t: float | None = None, line: str = "L1") -> Batch:
    t = T0 + seq * 0.1 if t is None else t
    values = {ch: np.full(10, np.nan) for ch in CHANNELS}
    values.update(rpm=np.full(10, 600.0), current=np.full(10, 500.0))
    return Batch(line, seq, t, values)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("time.monotonic", c)
    return c


def _seqs(items: list[Batch | int]) -> list[int]:
    return [x.seq for x in items if isinstance(x, Batch)]


def test_a_gap_never_backfilled_is_given_up_whole_after_its_wait(clock: Clock) -> None:
    """seq 0-9, then 30 on at 10 Hz: after 50 later batches and 5 s the 20 missing batches
    are declared missing at once and everything after them is released (it stalled 5 s per
    missing batch)."""
    ro = Reorder(max_wait=50, max_wait_s=5.0)
    out: list[Batch | int] = []
    for s in range(10):
        out += ro.push(_b(s))
    for s in range(30, 430):  # 40 s of batches
        clock.now += 0.1
        out += ro.push(_b(s))
    from junkan.sensing.reorder import Gap

    gaps = [x for x in out if not isinstance(x, Batch)]
    assert gaps == [10] and isinstance(gaps[0], Gap) and (gaps[0].first, gaps[0].last) == (10, 29)
    assert _seqs(out) == list(range(10)) + list(range(30, 430))
    assert ro.stats.missing == 20 and ro.next == 430 and not ro.pending
    assert str(gaps[0]) == "10..29" and f"seq {gaps[0]} missing" == "seq 10..29 missing"


def test_a_gap_waits_for_its_time_and_its_batches(clock: Clock) -> None:
    ro = Reorder(max_wait=5, max_wait_s=5.0)
    ro.push(_b(0))
    assert all(ro.push(_b(s)) == [] for s in range(2, 12))  # 10 later batches, no time yet
    clock.now += 4.9
    assert ro.push(_b(12)) == []
    clock.now += 0.1
    out = ro.push(_b(13))
    assert out[0] == 1 and _seqs(out) == list(range(2, 14)) and ro.stats.missing == 1


def test_a_line_starts_at_the_first_seq_it_sees() -> None:
    """A gateway that has run for a day is monitored from its first message on."""
    ro = Reorder(max_wait=50, max_wait_s=5.0, first_seq=None)
    assert _seqs(ro.push(_b(864_000))) == [864_000]
    assert _seqs(ro.push(_b(864_001))) == [864_001] and ro.stats.missing == 0
    late: list[int] = []
    ro.on_late = lambda b: late.append(b.seq)
    assert ro.push(_b(863_999)) == [] and late == [863_999] and ro.stats.late == 1


def test_a_seq_far_ahead_costs_what_a_near_one_costs() -> None:
    """One message's ``seq`` used to cost a list and a set as long as its jump (20 million:
    GBs). Gaps are ranges now; a jump of ``max_jump`` or more starts a new stream."""
    asked: list[tuple[int, int]] = []
    ro = Reorder(max_wait=3, on_gap=lambda a, z: asked.append((a, z)))
    ro.push(_b(0))
    ro.push(_b(30_000))  # within max_jump: a gap, asked for once, as one range
    assert asked == [(1, 29_999)] and len(ro.asked) == 1 and len(ro.pending) == 1
    for s in (30_001, 30_002):
        ro.push(_b(s))
    assert ro.next == 30_003 and ro.stats.missing == 29_999 and len(ro.lost) == 1
    out = ro.push(_b(2 * 10**7, t=T0 + 9000))  # far ahead: a new stream, nothing per seq
    assert _seqs(out) == [2 * 10**7] and ro.stats.restarts == 1
    assert "ahead" in (ro.stats.last_restart or "")
    assert len(ro.asked) == 0 and len(ro.lost) == 0 and not ro.pending
    assert len(asked) == 1  # nothing asked for the jump
    out = ro.push(_b(30_003, t=T0 + 9001))  # the real stream again: far behind
    assert _seqs(out) == [30_003] and ro.stats.restarts == 2


def test_what_the_buffer_keeps_is_bounded() -> None:
    ro = Reorder(max_wait=5, max_wait_s=3600.0, max_pending=40)
    ro.push(_b(0))
    for s in range(2, 2000, 2):  # every other batch missing, no time for any wait
        ro.push(_b(s))
        assert len(ro.pending) < 40
    assert ro.stats.missing > 900 and len(ro.lost) <= 1000
    from junkan.sensing.reorder import Spans

    spans = Spans(limit=3)
    for s in range(0, 20, 2):
        spans.add(s, s)
    assert spans.spans == [(14, 14), (16, 16), (18, 18)]
    spans.add(19, 25)
    assert spans.discard(21) and spans.spans == [(16, 16), (18, 20), (22, 25)]
    spans.drop_below(19)
    assert spans.spans == [(19, 20), (22, 25)] and 23 in spans and 21 not in spans


def test_a_restarted_gateway_is_a_new_stream() -> None:
    """seq back to 0 while the time goes on: not duplicates for ever, a new stream."""
    ro = Reorder(max_wait=5)
    for s in range(100):
        ro.push(_b(s))
    out: list[Batch | int] = []
    for s in range(30):
        out += ro.push(_b(s, t=T0 + 20 + s * 0.1))
    assert _seqs(out) == list(range(30)) and ro.stats.restarts == 1
    assert ro.stats.duplicates == 0 and "went back from 100 to 0" in (ro.stats.last_restart or "")
    assert ro.push(_b(5, t=T0 + 20.5)) == [] and ro.stats.duplicates == 1  # a real duplicate
    assert ro.push(_b(50)) == [] and ro.stats.late == 1  # the old stream's: before this one


def test_a_straggler_of_the_old_stream_far_ahead_is_late_not_a_new_stream() -> None:
    """Review 277: after a restart at seq 0, a batch of the old stream (seq 49,990, earlier
    time: a redelivery or a backfill's answer) is far ahead of the new stream's next seq; it
    started a third stream and went to the monitor after later batches (time ran back)."""
    ro = Reorder(first_seq=None, max_wait=5, max_jump=1000)  # as a line starts
    out: list[Batch | int] = []
    for s in range(49_980, 49_990):
        out += ro.push(_b(s, t=T0 + (s - 49_980)))
    for s in range(5):
        out += ro.push(_b(s, t=T0 + 1000 + s))
    out += ro.push(_b(49_990, t=T0 + 10)) + ro.push(_b(5, t=T0 + 1005))
    times = [x.t for x in out if not isinstance(x, int)]
    assert times == sorted(times) and ro.stats.restarts == 1 and ro.stats.late == 1


def test_a_restart_far_behind_with_the_same_times_is_a_new_stream() -> None:
    ro = Reorder(max_wait=5, max_jump=1000)
    for s in range(3000):
        ro.push(_b(s, t=s * 0.1))  # times from the start of a recording
    out = ro.push(_b(0, t=0.0))
    assert _seqs(out) == [0] and ro.stats.restarts == 1


def test_pending_batches_are_released_before_a_restart_and_at_the_end() -> None:
    ro = Reorder(max_wait=50)
    for s in (0, 1, 3, 4):
        ro.push(_b(s))
    out = ro.push(_b(0, t=T0 + 100))
    assert out[0] == 2 and _seqs(out) == [3, 4, 0]
    assert ro.stats.missing == 1 and ro.stats.restarts == 1
    ro.push(_b(2, t=T0 + 100.2))
    assert [x for x in ro.drain() if not isinstance(x, Batch)] == [1] and ro.next == 3


@pytest.fixture
def ingest(tmp_path: Path, models: sensing.Models) -> LineIngest:
    params = LineParams.of(sensing.Scenario(duration_s=60))
    store = RawStore(tmp_path / "raw", every=10**9)
    return LineIngest(models, params, store=store, max_wait=5, max_wait_s=0.0)


def _raw(tmp_path: Path) -> pd.DataFrame:
    files = glob.glob(str(tmp_path / "raw" / "**" / "*.parquet"), recursive=True)
    return pd.concat(pd.read_parquet(f) for f in files)


def test_a_late_batch_is_kept_in_the_raw_store_marked_late(
    ingest: LineIngest, tmp_path: Path
) -> None:
    for s in [*range(5), *range(6, 20)]:
        ingest.accept(_b(s))
    ingest.accept(_b(5))  # after 5 was declared missing
    assert ingest.order["L1"].stats.late == 1 and len(ingest.monitors["L1"].trace) == 19
    ingest.close()
    df = _raw(tmp_path)
    assert sorted(df.seq.unique()) == list(range(20))
    assert set(df[df.late].seq) == {5} and not df[~df.late].seq.eq(5).any()


def test_a_line_joined_mid_stream_is_monitored_and_a_restart_reported(
    ingest: LineIngest, tmp_path: Path
) -> None:
    events: list[dict[str, object]] = []
    ingest.listeners.append(lambda line, ev: events.append(ev))
    for s in range(1000, 1020):
        ingest.accept(_b(s))
    assert len(ingest.monitors["L1"].trace) == 20
    for s in range(10):  # the gateway restarted: seq 0 again, its time goes on
        ingest.accept(_b(s, t=T0 + 200 + s * 0.1))
    assert len(ingest.monitors["L1"].trace) == 30
    restarts = [e for e in events if e["kind"] == "restart"]
    assert len(restarts) == 1 and restarts[0]["seq"] == 0
    seq = ingest.sequence("L1")
    assert seq is not None and seq["restarts"] == 1 and seq["next"] == 10
    ingest.close()
    df = _raw(tmp_path)  # both streams kept
    assert len(df) == 300 and len(set(df.seq)) == 30


def test_batches_waiting_at_the_end_are_kept(ingest: LineIngest, tmp_path: Path) -> None:
    ingest.max_wait = 50
    ingest.accept(_b(0))
    for s in (2, 3):
        ingest.accept(_b(s))
    assert len(ingest.order["L1"].pending) == 2
    ingest.close()
    assert sorted(_raw(tmp_path).seq.unique()) == [0, 2, 3]
    assert len(ingest.monitors["L1"].trace) == 3


def test_raw_parts_never_overwrite_each_other(tmp_path: Path) -> None:
    store = RawStore(tmp_path, every=10**9)
    store.add(_b(0))
    first = store.flush()
    store.add(_b(0, t=T0 + 50))
    second = store.flush()
    assert first != second and all(p.exists() for p in first + second)
    assert second[0].name == "part-000000000-1.parquet"
