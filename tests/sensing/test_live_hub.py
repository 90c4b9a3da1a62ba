"""The hub's broker and PLC lines without a network: the allow-list is checked before any
client exists, connection states and quarantined messages reach the stream (a flood of bad
messages is rate-limited there but counted in full), labels go to the sink, stop ends the
stream."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from junkan import sensing
from junkan.sensing import live as live_mod
from junkan.sensing.sources import ENV, LineSource


class FakeFeed:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _spec(url: str = "mqtt://10.0.0.9:1883") -> LineSource:
    return LineSource.model_validate({"line": {"id": "B1"}, "source": {"kind": "mqtt", "url": url}})


def test_connect_checks_then_runs_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    made: list[tuple[Any, ...]] = []
    feed = FakeFeed()

    def fake(spec: LineSource, live: Any, url: str, auth: Any = None) -> FakeFeed:
        made.append((spec.source.kind, url))
        return feed

    monkeypatch.setattr(live_mod, "_feed", fake)
    hub = sensing.Hub(tmp_path)
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(sensing.LiveError) as err:
        hub.connect("o1", _spec(), models)
    assert err.value.status == 422 and ENV in err.value.detail and not made
    monkeypatch.setenv(ENV, "mqtt://broker.plant:1883,mqtt://10.0.0.9:1883")
    with pytest.raises(sensing.LiveError, match="link-local"):
        hub.connect("o1", _spec("mqtt://broker.plant"), models, resolver=lambda h, p: ["fe80::1"])
    live = hub.connect(
        "o1", _spec("mqtt://broker.plant"), models, resolver=lambda h, p: ["10.0.0.8"]
    )
    assert made == [("mqtt", "mqtt://10.0.0.8:1883")]  # the checked address, pinned
    assert live.summary()["status"] == "connecting" and live.endpoint == "mqtt://broker.plant:1883"
    with pytest.raises(sensing.LiveError) as err:
        hub.connect("o1", _spec(), models)
    assert err.value.status == 409
    with pytest.raises(sensing.LiveError) as err:
        hub.get("o2", "B1")  # another organisation's line does not exist for it
    assert err.value.status == 404

    live.set_status("connected")
    live.set_status("connected")  # unchanged: no second event
    for i in range(30):
        live.ingest.reject("mqtt plant/B1/batch", f"bad message {i}")
    kinds = [e["kind"] for _, e in live.since(0)]
    assert kinds == ["status", "quarantined"]
    d = live.detail()
    assert d["quarantined"] == 30 and d["quarantine"][-1]["reason"] == "bad message 29"
    # a real batch goes through the ingest to the monitor and the stream
    rec = sensing.generate(sensing.Scenario(duration_s=2, seed=3))
    for i in range(10):
        values = {k: v[i * 10 : (i + 1) * 10] for k, v in rec.signals.items()}
        live.ingest.accept(sensing.Batch("B1", i, i * 0.1, values))
    assert [e["kind"] for _, e in live.since(2)].count("step") == 10
    hub.stop("o1", "B1")
    assert feed.closed and live.done and live.since(0)[-1][1]["kind"] == "end"
    assert hub.of("o1") == [] and list((tmp_path / "raw").glob("*/line=B1/*/*.parquet"))


def test_labels_go_to_the_sink(tmp_path: Path, models: sensing.Models) -> None:
    hub = sensing.Hub(tmp_path)
    sc = sensing.Scenario.model_validate(
        {
            "duration_s": 40,
            "seed": 77,
            "line": {"id": "R1"},
            "events": [{"type": "jam", "start_s": 20, "severity": 0.9}],
        }
    )
    live = hub.replay("o1", sc, models, 50)
    for _ in range(400):  # the replay runs at 50× real time: under a second
        if live.done:
            break
        time.sleep(0.025)
    alarms = live.ingest.monitors["R1"].alarms
    assert alarms, "the jam raises an alarm"
    got: list[dict[str, Any]] = []
    rec = hub.label("o1", "R1", alarms[0].id, "confirmed", "u1", "jam", "", got.append)
    assert got == [rec] and rec["stream"] == live.stream and rec["sources"]
    with pytest.raises(sensing.LiveError, match="label"):
        hub.label("o1", "R1", alarms[0].id, "maybe", "u1", sink=got.append)
    assert len(got) == 1


def test_an_organisation_reads_only_its_own_topics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    """Review 268: B connected its own line to A's topic on the shared broker and read A's
    data. Default topics are per organisation now, and what another organisation's live line
    reads on an endpoint is refused (409)."""
    monkeypatch.setattr(live_mod, "_feed", lambda spec, live, url, auth=None: FakeFeed())
    monkeypatch.setenv(ENV, "mqtt://10.0.0.9:1883,mqtt://10.0.0.7:1883,opc.tcp://10.0.0.5:4840")
    hub = sensing.Hub(tmp_path)

    def spec(line: str, url: str = "mqtt://10.0.0.9:1883", **src: str) -> LineSource:
        kind = "opcua" if url.startswith("opc") else "mqtt"
        return LineSource.model_validate(
            {"line": {"id": line}, "source": {"kind": kind, "url": url, **src}}
        )

    a = hub.connect("orgA", spec("B1"), models)
    assert a.reads == "junkan/sensing/orgA/B1/batch" and a.summary()["reads"] == a.reads
    b = hub.connect("orgB", spec("B1"), models)  # the same line id: its own topic
    assert b.reads == "junkan/sensing/orgB/B1/batch"
    for steal in (spec("B2", topic=a.reads), spec("B3", topic=b.reads)):
        with pytest.raises(sensing.LiveError) as err:
            hub.connect("orgB" if steal.line.id == "B2" else "orgA", steal, models)
        assert err.value.status == 409 and "another organisation's line" in err.value.detail
    assert hub.connect("orgB", spec("B2", "mqtt://10.0.0.7:1883", topic=a.reads), models)
    assert hub.connect("orgA", spec("B4", topic=a.reads), models)  # its own topic, shared
    hub.connect("orgA", spec("P1", "opc.tcp://10.0.0.5:4840"), models)
    with pytest.raises(sensing.LiveError) as err:  # a PLC's line object likewise
        hub.connect("orgB", spec("P1", "opc.tcp://10.0.0.5:4840"), models)
    assert err.value.status == 409
    hub.stop("orgA", "P1")  # a stopped line reads nothing
    assert hub.connect("orgB", spec("P1", "opc.tcp://10.0.0.5:4840"), models)


def test_a_broker_listed_with_and_without_tls_is_one_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    """Review 277: the topic check compared endpoints exactly, so organisation B read A's
    topic through the same broker's TLS listener (mqtts://, another port). A broker's
    listeners share one topic tree: it is refused on either."""
    monkeypatch.setattr(live_mod, "_feed", lambda spec, live, url, auth=None: FakeFeed())
    monkeypatch.setenv(ENV, "mqtt://10.0.0.9:1883,mqtts://10.0.0.9:8883,mqtt://10.0.0.7:1883")
    hub = sensing.Hub(tmp_path)

    def spec(line: str, url: str, **src: str) -> LineSource:
        return LineSource.model_validate(
            {"line": {"id": line}, "source": {"kind": "mqtt", "url": url, **src}}
        )

    a = hub.connect("orgA", spec("B1", "mqtt://10.0.0.9:1883"), models)
    with pytest.raises(sensing.LiveError) as err:
        hub.connect("orgB", spec("B2", "mqtts://10.0.0.9:8883", topic=a.reads), models)
    assert err.value.status == 409 and a.reads in err.value.detail
    assert hub.connect("orgA", spec("B3", "mqtts://10.0.0.9:8883", topic=a.reads), models)
    assert hub.connect("orgB", spec("B4", "mqtt://10.0.0.7:1883", topic=a.reads), models)
