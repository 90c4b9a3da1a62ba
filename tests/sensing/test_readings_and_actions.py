"""A live line keeps a batch whose one reading is out of range (that reading is read as
missing and reported with line, seq, field, frame and value), and ``junkan sensing listen``
prints every action the monitor takes — onset, escalation and clearing — with its time.

Past defects (review, 2026-12-04): one over-range gas reading made the whole message
malformed, so its batch's frames — rpm and current included — were lost for good once the
broker had its acknowledgement; ``listen`` printed only the onset action of an alarm."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan import sensing

T0 = 1_764_547_200.0
"""2025-12-01 00:00:00 UTC: batch times as a live gateway sends them (UNIX seconds)."""
JAM = {
    "name": "jam",
    "seed": 101,
    "duration_s": 130,
    "line": {"id": "L1"},
    "schedule": [{"at_s": 0, "state": "idle"}, {"at_s": 20, "state": "normal", "load": 0.55}],
    "events": [{"type": "jam", "start_s": 100, "severity": 0.6}],
}


def _messages(n: int | None = None, seed: int = 3) -> list[bytes]:
    sc = sensing.load(doc=JAM) if n is None else sensing.Scenario(duration_s=n / 10, seed=seed)
    rec = sensing.generate(sc)
    out = []
    for i in range(len(rec.t) // 10):
        values = {k: v[i * 10 : (i + 1) * 10] for k, v in rec.signals.items()}
        out.append(sensing.Batch("L1", i, T0 + float(rec.t[i * 10]), values).to_message())
    return out


def _with_lel(message: bytes, frame: int, value: float) -> bytes:
    doc = json.loads(message)
    doc["values"]["lel"][frame] = value
    return json.dumps(doc).encode()


def test_an_over_range_gas_reading_costs_only_itself(
    models: sensing.Models, tmp_path: Path
) -> None:
    msgs = _messages(30)
    msgs[12] = _with_lel(msgs[12], 3, 150.0)
    events: list[tuple[str, dict[str, Any]]] = []
    ing = sensing.LineIngest(models, sensing.LineParams.of(sensing.Scenario(duration_s=2)),
                             store=sensing.RawStore(tmp_path, every=10))
    ing.listeners.append(lambda line, ev: events.append((line, ev)))
    for m in msgs:
        ing.accept(sensing.parse_message(m))
    ing.accept(sensing.parse_message(msgs[12]))  # sent again (a backfill): reported once
    ing.close()
    st = ing.order["L1"].stats
    assert (st.accepted, st.missing) == (30, 0) and not ing.malformed
    assert sum(ev["kind"] == "step" for _, ev in events) == 30  # no batch lost
    bad = [(line, ev) for line, ev in events if ev["kind"] == "quarantined"]
    assert bad == [("L1", {"kind": "quarantined", "where": "line L1 seq 12",
                           "reason": "values.lel[3]: 150 is outside 0..100 %LEL; read as missing"})]
    assert ing.masked == ["line L1 seq 12: values.lel[3]: 150 is outside 0..100 %LEL; "
                          "read as missing"]
    assert ing.masked_count == 1
    kept = sensing.read_raw(tmp_path, "L1", sensing.LineParams.of(sensing.Scenario(duration_s=2)))
    sent = json.loads(msgs[12])["values"]
    assert np.allclose(kept.signals["current"][120:130], sent["current"])  # the good channels
    assert np.isnan(kept.signals["lel"][123])  # the bad reading: missing, not 150


def test_a_sensor_stuck_out_of_range_is_counted_in_full_and_logged_once_a_second(
    models: sensing.Models, caplog: pytest.LogCaptureFixture
) -> None:
    msgs = [_with_lel(m, 0, 180.0) for m in _messages(20)]
    ing = sensing.LineIngest(models, sensing.LineParams.of(sensing.Scenario(duration_s=2)))
    with caplog.at_level("WARNING", logger="junkan.sensing.ingest"):
        for m in msgs:
            ing.accept(sensing.parse_message(m))
    assert ing.masked_count == 20 and len(ing.masked) == 20
    assert ing.order["L1"].stats.accepted == 20
    logged = [r.getMessage() for r in caplog.records]
    assert 1 <= len(logged) <= 3  # 20 batches take well under a second (3: a slow machine)
    assert logged[0].startswith("line L1 seq 0: values.lel[0]: 180 is outside 0..100 %LEL")


def _changes(models: sensing.Models) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    ing = sensing.LineIngest(models, sensing.LineParams.of(sensing.load(doc=JAM)),
                             on_action=lambda line, c: got.append(c))
    for m in _messages():
        ing.accept(sensing.parse_message(m))
    return got


@pytest.mark.slow
def test_every_action_of_an_alarm_reaches_the_hook(models: sensing.Models) -> None:
    got = _changes(models)
    jam = [c for c in got if c["alarm"] == got[0]["alarm"]]
    kinds = [c["change"] for c in jam]
    assert kinds[0] == "onset" and kinds[-1] == "clear" and "escalation" in kinds
    assert jam[-1]["action"] == "none" and "reverse" in [c["action"] for c in jam]
    times = [c["t"] for c in jam]
    assert times == sorted(times) and T0 + 100 <= times[0] < T0 + 102  # the jam at 100 s
    up = [c for c in jam if c["change"] == "escalation"][0]
    assert up["evidence"] and up["previous"] != up["action"]


@pytest.mark.slow
def test_listen_prints_every_action_with_its_time(
    models: sensing.Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker replaced by its messages, fed through the same parse and ingest as
    :class:`junkan.sensing.mqtt.Ingest`."""
    from junkan.cli.main import app

    msgs = _messages()
    msgs[5] = _with_lel(msgs[5], 0, -3.0)

    class Broker:
        def __init__(self, url: str, models: Any, params: Any, **options: Any) -> None:
            self.lines = sensing.LineIngest(models, params, **options)
            for m in msgs:
                self.lines.accept(sensing.parse_message(m))

        def close(self) -> None:
            self.lines.close()

    monkeypatch.setattr(sensing, "Ingest", Broker, raising=False)
    monkeypatch.setattr(sensing, "train", lambda *a, **k: models)
    r = CliRunner().invoke(app, ["sensing", "listen", "--broker", "mqtt://b:1883",
                                 "--seconds", "1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    said = re.findall(
        r"L1 2025-12-01 (\d\d:\d\d:\d\d\.\d) UTC alarm (\d+) (onset|escalation|step down|clear):"
        r" (\S+)(?: → (\S+))?",
        text,
    )
    first = [s for s in said if s[1] == said[0][1]]
    assert [s[2] for s in first][0] == "onset" and first[-1][2:] == ("clear", "reverse", "none")
    assert ("escalation", "stop_feed", "reverse") in [s[2:] for s in first]
    assert first[0][0].startswith("00:01:40")  # the jam's onset at 100 s, as clock time
    assert [s[0] for s in first] == sorted(s[0] for s in first)
    assert re.search(r"→ none after \d+\.\d s", text)
    assert "1 readings out of range read as missing" in text
    assert "line L1 seq 5: values.lel[0]: -3 is outside 0..100 %LEL" in text


@pytest.mark.slow
def test_listen_on_a_real_broker_prints_the_jam_s_escalation_and_clearing(
    models: sensing.Models, monkeypatch: pytest.MonkeyPatch, mqtt_url: str
) -> None:
    """The gateway publishes the jam to mosquitto while ``listen`` runs; a line of our own
    on the shared broker. Batches published before ``listen`` subscribed come back by the
    gateway's backfill. (A burst of 1,100 at once can lose its tail: mosquitto queues at
    most 1,000 messages for a subscriber that is behind.)"""
    from junkan.cli.main import app
    from junkan.sensing.mqtt import Gateway

    line = "A" + uuid.uuid4().hex[:8]
    msgs = [json.loads(m) for m in _messages()[:1100]]  # the jam clears at about 106.5 s
    gw = Gateway(mqtt_url, line)
    assert gw.connected.wait(10)

    def publish() -> None:
        time.sleep(1.0)
        for d in msgs:
            values = {k: np.array([np.nan if x is None else x for x in v], dtype=float)
                      for k, v in d["values"].items()}
            gw.publish(sensing.Batch(line, d["seq"], d["t"], values))
            time.sleep(0.005)  # 20× real time: a burst would overrun mosquitto's queue

    monkeypatch.setattr(sensing, "train", lambda *a, **k: models)
    th = threading.Thread(target=publish, daemon=True)
    th.start()
    try:
        r = CliRunner().invoke(app, ["sensing", "listen", "--broker", mqtt_url,
                                     "--seconds", "18"])  # publishing ends at 7.5–9.5 s
    finally:
        th.join(10)
        gw.close()
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    said = re.findall(rf"{line} 2025-12-01 \S+ UTC alarm \d+ (onset|escalation|clear): (\S+)"
                      r"(?: → (\S+))?", text)
    assert said[0][0] == "onset" and ("escalation", "stop_feed", "reverse") in said
    assert ("clear", "reverse", "none") in said
    assert f"{line}: 1100 batches" in text, text
