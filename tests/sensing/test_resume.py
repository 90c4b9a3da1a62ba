"""A broker or PLC line restored after the service restarted goes on from where its raw store
left off (review 281): the batches its gateway published while the service was down are asked
for and monitored in order, not silently skipped. A gateway that restarted at 0 meanwhile, or
moved on by more than it keeps, starts a new stream at once; a new line still starts at the
first ``seq`` it sees."""

from __future__ import annotations

import glob
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from junkan import sensing
from junkan.sensing import Batch
from junkan.sensing import live as live_mod
from junkan.sensing.generator import CHANNELS, LineParams
from junkan.sensing.ingest import LineIngest
from junkan.sensing.reorder import MAX_JUMP
from junkan.sensing.sources import ENV, LineSource, org_slug
from junkan.sensing.store import RawStore
from tests.waiting import wait_until

T0 = 1.7e9
LAST = "_last.json"  # beside a line's days: its last batch stored in order


def _b(seq: int, t: float | None = None, line: str = "L1") -> Batch:
    t = T0 + seq * 0.1 if t is None else t
    values = {ch: np.full(10, np.nan) for ch in CHANNELS}
    values.update(rpm=np.full(10, 600.0), current=np.full(10, 500.0))
    return Batch(line, seq, t, values)


def _ingest(root: Path, models: sensing.Models, asked: list[Any] | None = None) -> LineIngest:
    params = LineParams.of(sensing.Scenario(duration_s=60))
    ing = LineIngest(models, params, store=RawStore(root, every=10**9), max_wait=50, max_wait_s=5)
    if asked is not None:
        ing.ask_backfill = lambda line, first, last: asked.append((line, first, last))
    return ing


def _steps(ing: LineIngest) -> list[int]:
    seen: list[int] = []
    ing.listeners.append(lambda line, ev: seen.append(ev["seq"]) if ev["kind"] == "step" else None)
    return seen


def _resumed(tmp_path: Path, models: sensing.Models, max_wait_s: float = 5
             ) -> tuple[LineIngest, list[Any], list[int]]:
    """A line stored up to seq 100, resumed by a new ingest (waiting ``max_wait_s`` for a
    gap): the ingest, the backfills it asks and the seqs it monitors."""
    root = tmp_path / "raw"
    _stored_up_to_100(root, models)
    asked: list[Any] = []
    again = _ingest(root, models, asked)
    again.max_wait_s = max_wait_s
    again.resume("L1")
    return again, asked, _steps(again)


def _raw(root: Path) -> pd.DataFrame:
    files = glob.glob(str(root / "**" / "*.parquet"), recursive=True)
    return pd.concat(pd.read_parquet(f) for f in files)


def _stored_up_to_100(root: Path, models: sensing.Models) -> None:
    """A run of the service that monitored seq 40..100 of line L1, then stopped."""
    first = _ingest(root, models)
    for s in range(40, 101):
        first.accept(_b(s))
    first.close()


def test_a_restored_line_asks_for_what_came_while_the_service_was_down(
    tmp_path: Path, models: sensing.Models
) -> None:
    """Stored up to 100; restored, it first sees 150: a backfill from 101 is asked, and
    101..149 are monitored in order before 150. Before, the line started again at 150 and
    101..149 were never asked for, stored or monitored."""
    root = tmp_path / "raw"
    _stored_up_to_100(root, models)
    asked: list[Any] = []
    again = _ingest(root, models, asked)
    steps = _steps(again)
    assert again.resume("L1") == (100, T0 + 10.0)
    assert (again.sequence("L1") or {})["next"] == 101  # shown before any batch comes
    assert again.resume_points() == {}  # not asked on connecting: its first batch shows the gap
    again.accept(_b(150))
    assert asked == [("L1", 101, 149)] and steps == []
    assert again.resume_points() == {"L1": 101}
    for s in range(101, 150):
        again.accept(_b(s))
    assert steps == list(range(101, 151))
    seq = again.sequence("L1") or {}
    assert (seq["late"], seq["duplicates"], seq["missing"], seq["restarts"]) == (0, 0, 0, 0)
    assert seq["backfilled"] == 49 and seq["next"] == 151
    again.close()
    df = _raw(root)
    assert not df.late.any() and df.groupby("seq").size().eq(10).all()
    assert sorted(df.seq.unique()) == list(range(40, 151))  # none twice, none lost
    assert json.loads((root / "line=L1" / LAST).read_text()) == {"seq": 150, "t": T0 + 15.0}


def test_after_a_crash_what_was_not_written_is_asked_for_too(
    tmp_path: Path, models: sensing.Models
) -> None:
    """The service died without stopping its lines: the raw store holds what it wrote (every
    ``every`` batches), and the restored line asks from there."""
    root = tmp_path / "raw"
    params = LineParams.of(sensing.Scenario(duration_s=60))
    dead = LineIngest(models, params, store=RawStore(root, every=50))
    for s in range(40, 160):  # written at 89 and 139; 140..159 only in memory
        dead.accept(_b(s))
    asked: list[Any] = []
    again = _ingest(root, models, asked)
    assert again.resume("L1") == (139, T0 + 13.9)
    again.accept(_b(170))
    assert asked == [("L1", 140, 169)]


def test_what_the_gateway_no_longer_has_is_declared_missing_whole(
    tmp_path: Path, models: sensing.Models
) -> None:
    again, _, steps = _resumed(tmp_path, models, max_wait_s=0.0)
    for s in range(300, 360):  # nothing before 300 comes back
        again.accept(_b(s))
    seq = again.sequence("L1") or {}
    assert seq["missing"] == 199 and steps == list(range(300, 360)) and seq["restarts"] == 0


def test_a_restored_line_whose_gateway_restarted_at_0_is_not_stalled(
    tmp_path: Path, models: sensing.Models
) -> None:
    """The gateway restarted while the service was down: its seq went back while its time
    went on. A new stream, monitored at once; nothing asked for, nothing waits."""
    again, asked, steps = _resumed(tmp_path, models)
    for s in range(20):
        again.accept(_b(s, t=T0 + 600 + s * 0.1))
        assert steps == list(range(s + 1))  # each released as it comes
    seq = again.sequence("L1") or {}
    assert seq["restarts"] == 1 and "went back from 101 to 0" in seq["last_restart"]
    assert seq["waiting"] == 0 and seq["missing"] == 0 and asked == []
    again.accept(_b(100))  # the old stream's last batch again (a redelivery): not monitored
    assert steps == list(range(20)) and (again.sequence("L1") or {})["late"] == 1


def test_a_gateway_moved_on_past_what_it_keeps_starts_a_new_stream(
    tmp_path: Path, models: sensing.Models
) -> None:
    again, asked, steps = _resumed(tmp_path, models)
    far = 101 + MAX_JUMP
    again.accept(_b(far))
    again.accept(_b(far + 1))
    seq = again.sequence("L1") or {}
    assert steps == [far, far + 1] and seq["restarts"] == 1 and "ahead" in seq["last_restart"]
    assert asked == [] and seq["missing"] == 0


def test_a_new_line_still_starts_at_the_first_seq_it_sees(
    tmp_path: Path, models: sensing.Models
) -> None:
    """Only a restored line resumes: a line connected afresh (a user stopped it before,
    which forgets it) starts where its stream is, whatever its raw store holds."""
    root = tmp_path / "raw"
    _stored_up_to_100(root, models)
    asked: list[Any] = []
    fresh = _ingest(root, models, asked)
    steps = _steps(fresh)
    fresh.accept(_b(150))
    assert steps == [150] and asked == [] and (fresh.sequence("L1") or {})["missing"] == 0
    empty = _ingest(tmp_path / "empty", models)
    assert empty.resume("L1") is None and empty.sequence("L1") is None  # nothing stored


class FakeFeed:
    def close(self) -> None:
        pass


def test_the_hub_resumes_restored_lines_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    monkeypatch.setattr(live_mod, "_feed", lambda *a: FakeFeed())
    monkeypatch.setenv(ENV, "mqtt://10.0.0.9:1883")
    spec = LineSource.model_validate(
        {"line": {"id": "K1"}, "source": {"kind": "mqtt", "url": "mqtt://10.0.0.9:1883"}}
    )
    hub = sensing.Hub(tmp_path)
    live = hub.connect("o1", spec, models)
    for s in range(40, 101):
        live.ingest.accept(_b(s, line="K1"))
    hub.close()  # the service stops: the line stays kept, its raw stream written
    hub = sensing.Hub(tmp_path)
    [again] = hub.restore(models)
    assert again.restored and (again.summary()["sequence"] or {})["next"] == 101
    hub.stop("o1", "K1")  # a user's stop forgets the line
    live = hub.connect("o1", spec, models)  # connected afresh: from the first seq it sees
    assert live.summary()["sequence"] is None
    live.ingest.accept(_b(150, line="K1"))
    assert (live.summary()["sequence"] or {})["missing"] == 0 and live.summary()["steps"] == 1


def test_the_last_batch_stored_is_read_without_the_day_of_parquet(
    tmp_path: Path, models: sensing.Models, caplog: pytest.LogCaptureFixture
) -> None:
    """``_last.json`` beside the line's days; a store written before it (or with it unreadable)
    is read from its newest part file alone."""
    store = RawStore(tmp_path, every=10**9)
    for s in range(0, 50):
        store.add(_b(s))
    store.flush()
    time.sleep(0.05)  # flushes are a minute apart on a live line: the files' times differ
    for s in (50, 51):
        store.add(_b(s))
    store.add(_b(7), late=True)  # late batches are not where the stream is
    store.flush()
    assert store.last_stored("L1") == (51, T0 + 5.1)
    assert [p.name for p in (tmp_path / "line=L1").iterdir() if p.name[:4] != "day="] == [LAST]
    assert len(pd.read_parquet(tmp_path)) == 530  # a partitioned-dataset reader skips it
    (tmp_path / "line=L1" / LAST).unlink()  # a store from before review 281
    assert store.last_stored("L1") == (51, T0 + 5.1)
    (tmp_path / "line=L1" / LAST).write_text('{"seq": -3, "t": 1}')
    assert store.last_stored("L1") == (51, T0 + 5.1) and "not read" in caplog.text
    time.sleep(0.05)
    for s in range(0, 20):  # a restarted gateway: seq 0 again, later; its stream is the last
        store.add(_b(s, t=T0 + 100 + s * 0.1))
    store.flush()
    (tmp_path / "line=L1" / LAST).unlink()
    assert store.last_stored("L1") == (19, T0 + 101.9)
    assert store.last_stored("L2") is None and store.last_stored("../x") is None


def _batches(line: str, n: int) -> list[Batch]:
    rec = sensing.generate(sensing.Scenario(duration_s=n / 10 + 1, seed=7))
    return [
        Batch(line, i, T0 + i * 0.1, {k: v[i * 10 : (i + 1) * 10] for k, v in rec.signals.items()})
        for i in range(n)
    ]


def _step_seqs(live: Any) -> list[int]:
    return [e["seq"] for _, e in live.since(0, limit=10**6) if e["kind"] == "step"]


@pytest.mark.slow
def test_batches_published_while_the_service_was_down_are_monitored_after_it_restarts(
    mqtt_url: str, models: sensing.Models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway publishing all along on a real mosquitto (every 20 ms); the service stops
    (its line stays kept, as at a restart) and starts again a second later: each of the 400
    batches is monitored and stored once, in order. Before, those published while it was down
    (about 50) were lost."""
    from junkan.sensing.mqtt import Gateway

    monkeypatch.setenv(ENV, mqtt_url)
    org, line = "o" + uuid.uuid4().hex[:8], "R" + uuid.uuid4().hex[:8]
    spec = LineSource.model_validate(
        {"line": {"id": line}, "source": {"kind": "mqtt", "url": mqtt_url}}
    )
    batches = _batches(line, 400)
    hub = sensing.Hub(tmp_path)
    first = hub.connect(org, spec, models)
    gw = Gateway(mqtt_url, line, prefix=f"junkan/sensing/{org_slug(org)}")
    published: list[int] = []

    def publish() -> None:
        for b in batches:
            gw.publish(b)
            published.append(b.seq)
            time.sleep(0.02)

    sender = threading.Thread(target=publish)
    try:
        wait_until(lambda: first.status == "connected" and gw.connected.is_set())
        sender.start()
        wait_until(lambda: (first.ingest.sequence(line) or {}).get("next", 0) >= 100)
        hub.close()  # the service stops
        down = len(published)
        time.sleep(1.0)
        hub = sensing.Hub(tmp_path)
        [again] = hub.restore(models)
        wait_until(lambda: again.status == "connected")
        up = len(published)
        sender.join(30)
        wait_until(lambda: (again.ingest.sequence(line) or {}).get("next") == 400, timeout=30)
    finally:
        sender.join(30)
        gw.close()
        hub.close()
    assert up - down >= 30  # published while no subscriber was there
    seen = _step_seqs(first) + _step_seqs(again)
    lost, twice = len(set(range(400)) - set(seen)), len(seen) - len(set(seen))
    assert seen == list(range(400)), f"{lost} lost, {twice} twice, {up - down} while down"
    seq = again.ingest.sequence(line) or {}
    assert (seq["missing"], seq["late"], seq["restarts"]) == (0, 0, 0)
    print(f"published while down: {up - down}; restored line's sequence: {seq}")
    assert seq["backfilled"] >= 30 and seq["duplicates"] < seq["backfilled"]  # asked once
    df = _raw(tmp_path / "raw")
    assert not df.late.any() and df.groupby("seq").size().eq(10).all()
    assert sorted(df.seq.unique()) == list(range(400))


def test_a_stored_time_ahead_of_the_gateways_clock_does_not_make_every_batch_late(
        tmp_path: Path) -> None:
    """Review 288: the resumed stream began at the stored batch's time, so with a clock
    stepped back while the service was down (or a stored time far ahead) every later batch
    was late and the line was never monitored: 0 of 2,000 released."""
    from junkan.sensing.reorder import Reorder

    (tmp_path / "line=L1").mkdir()
    (tmp_path / "line=L1" / "_last.json").write_text(json.dumps({"seq": 100, "t": 1.0e12}))
    last = RawStore(tmp_path).last_stored("L1")
    assert last is not None
    ro = Reorder(first_seq=None)
    ro.resume(*last)
    released = [x for k in range(1, 201)
                for x in ro.push(Batch("L1", 100 + k, 1.765e9 + k * 0.1, {}))
                if isinstance(x, Batch)]
    assert [b.seq for b in released] == list(range(101, 301))
    assert ro.stats.late == 0
