"""The streaming path: online segmentation against the batch one, and the live quarantine."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from junkan import metering
from junkan.metering.ingest import parse_times
from junkan.metering.online import OnlineSegmenter
from junkan.metering.segment import _grid

pytest.importorskip("ruptures")  # the batch segmenter compared with
COLS = ("current_a", "voltage_v", "power_factor")


def _cost(x: np.ndarray, ends: list[int], pen: float) -> float:
    starts = [0, *ends[:-1]]
    return sum(((x[a:b] - x[a:b].mean()) ** 2).sum() for a, b in zip(starts, ends, strict=True)) + (
        pen * len(ends)
    )


@pytest.fixture(scope="module")
def day() -> tuple[metering.Day, metering.Plant, metering.Import]:
    d = metering.compressor_day(n_units=8, seed=7)
    plant = metering.plant_from_dict(d.circuits)
    return d, plant, metering.from_frame(d.readings.astype(str), plant)


@pytest.mark.slow
def test_online_with_the_batch_noise_is_at_least_as_good_as_the_batch_optimum(day) -> None:
    """Same σ, same n: the online optimal partitioning's penalised cost is not above the
    batch ruptures solution's (exact PELT; ruptures' own pruning is not always exact)."""
    _, _, imp = day
    for cid, s in imp.series.items():
        b = metering.segment(s)
        _, x, _ = _grid(s, 1.0)
        seg = OnlineSegmenter(cid, horizon_s=len(x), noise_w=b.noise_w, warmup_s=0)
        for a in range(0, len(s.t), 7):
            seg.push(s.t[a : a + 7], s.power_w[a : a + 7])
        seg.flush()
        pen = 4 * b.noise_w**2 * np.log(len(x))
        ends_b = [int(round(g.end - s.t[0])) for g in b.segments]
        ends_o = [int(round(g.end - s.t[0])) for g in seg.done]
        assert ends_o[-1] == len(x)
        assert _cost(x, ends_o, pen) <= _cost(x, ends_b, pen) * (1 + 1e-9)


@pytest.mark.slow
def test_online_segments_equal_the_batch_ones_within_tolerance(day) -> None:
    _, plant, imp = day
    for cid, s in imp.series.items():
        b = metering.segment(s)
        o = metering.segment_online(s.t, s.power_w, cid, max_gap_s=plant.circuits[cid].max_gap_s)
        c = metering.compare_segmentations(b, o, tol_s=3.0)
        assert c["batch_edges_matched"] == 1.0 and c["online_edges_matched"] == 1.0, (cid, c)
        assert c["batch_cycles"] == c["online_cycles"]
        assert c["on_energy_rel_diff"] < 0.005, (cid, c)


def test_segments_are_emitted_while_the_stream_runs() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([np.full(400, 100.0), np.full(60, 2100.0), np.full(200, 100.0)])
    x = x + rng.normal(0, 5, len(x))
    seg = OnlineSegmenter("c", warmup_s=120)
    emitted_at = {}
    for k in range(len(x)):
        for s in seg.push(np.array([float(k)]), x[k : k + 1]):
            emitted_at[(s.start, s.end)] = k
    on = [(a, b) for (a, b) in emitted_at if b - a == 60]
    assert on, emitted_at
    (a, b), k = on[0], emitted_at[on[0]]
    assert (a, b) == (400.0, 460.0)
    assert k - b < 20  # final well before the end of the stream (660)
    tail = seg.flush()
    assert sum(s.end - s.start for s in seg.done) == pytest.approx(len(x))
    assert all(not s.on for s in tail)


@pytest.mark.slow
def test_the_stream_pipeline_recovers_the_day(day) -> None:
    d, plant, imp = day
    st = metering.Stream(plant)
    parts = []
    for cid, g in d.readings.groupby("circuit"):
        t = parse_times(g["time"].astype(str))
        cols = {c: pd.to_numeric(g[c], errors="coerce").to_numpy(float) for c in COLS}
        parts += [
            (a, cid, t[a : a + 10], {c: v[a : a + 10] for c, v in cols.items()})
            for a in range(0, len(t), 10)
        ]
    for _, cid, t, cols in sorted(parts, key=lambda p: (p[2][0], p[1])):  # arrival order
        st.push(str(cid), t, **cols)
    segs = st.close()
    summary = st.summary()
    for cid, s in imp.series.items():
        assert summary["circuits"][cid]["kwh"] == pytest.approx(s.total_kwh, rel=1e-6)
    scans = metering.scans_from_frame(d.scans.astype(str), plant)
    got = metering.step_totals(metering.attribute(segs, scans, plant)).set_index("step")["kwh"]
    for step, v in d.truth_kwh_per_step().items():
        assert got[step] == pytest.approx(v, rel=0.05)
    raw = st.raw_frame("cutter")
    assert len(raw) == len(imp.series["cutter"].t)


def test_bad_live_input_is_quarantined_with_its_reason() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1}}})
    st = metering.Stream(plant)
    msg = {"station": "S", "circuit": "c", "seq": 0, "t": [0.0, 1.0, 2.0, 1.5, 2.0, 3.0]}
    msg["current_a"] = [1.0, -2.0, 1.0, 1.0, 1.0, 1.0]
    st.push_message(json.dumps(msg))
    unknown = {"station": "S", "circuit": "zz", "seq": 0, "t": [5.0], "current_a": [1.0]}
    st.push_message(json.dumps(unknown))
    st.push_message(b"{not json")
    st.push_message(json.dumps({**msg, "seq": 2, "t": [10.0], "current_a": [1.0]}))
    st.push(
        "c", np.array([20.0, 21.0]), current_a=np.array([1.0, 1.0]), power_factor=np.array([1.5, 1])
    )
    # the circuit's first readings wait for the ones after them (a corrupt first stamp is
    # known by what follows); nothing vanished meanwhile
    held = st.summary()["held"].get("c", 0)
    refused = int((st.quarantine_frame()["circuit"] == "c").sum())
    assert st.circuits["c"].readings + held + refused == 8
    st.close()
    q = st.quarantine_frame()
    reasons = set(q["reason"])
    assert "current: negative" in reasons
    assert any(r.startswith("time: clock jump backwards") for r in reasons)
    assert "time: duplicate reading time" in reasons
    assert "circuit: unknown (not in the circuits file)" in reasons
    assert any(r.startswith("not JSON") for r in reasons)
    assert "power_factor: outside [0, 1]" in reasons
    # 6 readings in the first message: 3 accepted (0, 2, 3 s), 3 refused; 20 s (PF) refused,
    # 21 s accepted; seq 2 (10 s), released at the close, is earlier than 21 s; nothing vanished
    assert st.circuits["c"].readings + int((q["circuit"] == "c").sum()) == 6 + 2 + 1
    assert st.summary()["quarantined"] == len(q)


def test_a_missing_batch_is_quarantined_not_silent() -> None:
    plant = metering.plant_from_dict({"circuits": {"c": {"phases": 1}}})
    st = metering.Stream(plant, max_wait=1, max_wait_s=0.0)
    for seq in (0, 2, 3, 4):
        doc = {"station": "S", "circuit": "c", "seq": seq, "t": [float(seq)], "current_a": [1.0]}
        st.push_message(json.dumps(doc))
    assert any("seq 1 missing" in r for r in st.quarantine_frame()["reason"])


def test_online_segmenter_refuses_bad_settings_and_disorder() -> None:
    with pytest.raises(metering.MeteringError, match="grid_s"):
        OnlineSegmenter("c", grid_s=0)
    seg = OnlineSegmenter("c")
    seg.push(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    with pytest.raises(metering.MeteringError, match="time order"):
        seg.push(np.array([0.5]), np.array([1.0]))


def test_long_buffers_are_cut_without_changing_energy() -> None:
    rng = np.random.default_rng(1)
    x = np.concatenate([np.full(3000, 100.0), np.full(100, 3100.0), np.full(500, 100.0)])
    x = x + rng.normal(0, 5, len(x))
    t = np.arange(len(x), dtype=float)
    small = metering.segment_online(t, x, max_buffer=1500, lag=300, warmup_s=60)
    big = metering.segment_online(t, x, warmup_s=60)
    e = [sum(s.energy_wh for s in g.segments) for g in (small, big)]
    assert e[0] == pytest.approx(e[1], rel=1e-3)
    assert e[1] == pytest.approx(3000 * 100 / 3600, rel=0.02)
    assert len(small.segments) > len(big.segments)  # the forced cuts


def test_frame_round_trip_of_power_matches_the_csv_path() -> None:
    plant = metering.plant_from_dict({"circuits": {"m": {"phases": 3}}})
    df = pd.DataFrame({"time": [0.0, 1.0], "circuit": "m", "current_a": [10.0, 10.0]})
    imp = metering.from_frame(df.astype(str), plant)
    st = metering.Stream(plant)
    st.push("m", np.array([0.0, 1.0]), current_a=np.array([10.0, 10.0]))
    st.close()  # the first readings wait for the ones after them until then
    assert st.circuits["m"].energy_wh / 1000 == pytest.approx(imp.series["m"].total_kwh)
    assert "balance" in st.summary()["circuits"]["m"]["assumptions"]


def test_a_huge_clock_gap_restarts_the_grid_instead_of_filling_it() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([np.full(400, 100.0), np.full(60, 2100.0), np.full(200, 100.0)])
    x = x + rng.normal(0, 5, len(x))
    t = np.arange(len(x), dtype=float)
    seg = OnlineSegmenter("c", warmup_s=120)
    seg.push(t, x)
    seg.push(t + 3e8, x)  # ten years later: bounded work, two recordings
    seg.flush()
    on = [s for s in seg.done if s.on]
    assert [(s.start, s.end) for s in on] == [(400.0, 460.0), (3e8 + 400, 3e8 + 460)]


def test_feed_drain_quarantines_what_never_arrived() -> None:
    rec = metering.Recorder()
    feed = metering.Feed(rec, max_wait=50, max_wait_s=60.0)
    for seq in (0, 2):
        doc = {"station": "S", "circuit": "c", "seq": seq, "t": [float(seq)], "current_a": [1.0]}
        feed.push(json.dumps(doc))
    assert len(rec.rows) == 1  # seq 2 waits for seq 1
    feed.drain()
    assert len(rec.rows) == 2
    assert any("seq 1 missing" in r["reason"] for r in rec.rejected)


def test_feed_drain_quarantines_a_run_of_missing_batches_once() -> None:
    """Review 277: a meter that began at seq 35,000 left 35,000 rejections at the end of
    input (drain walked the missing seqs one by one); it is one run, quarantined once."""
    rec = metering.Recorder()
    feed = metering.Feed(rec, max_wait=50, max_wait_s=60.0)
    doc = {"station": "S", "circuit": "c", "seq": 35_000, "t": [1.0], "current_a": [1.0]}
    feed.push(json.dumps(doc))
    feed.drain()
    assert len(rec.rows) == 1
    assert [r["reason"] for r in rec.rejected] == ["batch seq 0..34999 missing (never arrived)"]
