"""Hostile clamp-reading messages: nested too deeply, NaN/Infinity, a key twice. Each is
refused with its reason (read as input documents are read, within the document limits) and
quarantined; a live subscriber goes on with the next message (before, a 3,000-deep message
raised RecursionError out of paho's callback and ended the subscriber's network thread)."""

from __future__ import annotations

import json
import os
import time
import uuid
from types import SimpleNamespace

import pytest

from junkan import metering
from junkan.metering import MeteringError
from junkan.metering.live import Feed, Publisher, Recorder, Subscriber, parse_message
from tests.waiting import wait_until

DEEP = b"[" * 3000 + b"]" * 3000
PLANT = metering.plant_from_dict({"circuits": {"a": {"phases": 1}}})


def msg(station: str = "S1", seq: int = 0, **extra: object) -> bytes:
    doc = {"station": station, "circuit": "a", "seq": seq, "t": [0.0, 1.0], "current_a": [5, 6]}
    return json.dumps(doc | extra).encode()


@pytest.mark.parametrize(
    "payload, reason",
    [
        (DEEP, "nested more deeply than the limit 64"),
        (msg().replace(b"[5, 6]", b"[" * 100 + b"5" + b"]" * 100), "current_a"),
        (msg().replace(b"[5, 6]", b"[" * 100 + b"5" + b"]" * 100), "nested more deeply"),
        (msg().replace(b"[5, 6]", b"[5, Infinity]"), "not JSON: current_a"),
        (msg().replace(b"[5, 6]", b"[5, NaN]"), "not JSON"),
        (msg().replace(b'"seq": 0', b'"seq": 0, "seq": 1'), "the key 'seq' is given twice"),
    ],
)
def test_hostile_messages_are_refused_with_their_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(MeteringError, match=reason):
        parse_message(payload)


def test_a_deep_message_is_quarantined_by_the_feed() -> None:
    rec = Recorder()
    feed = Feed(rec, max_wait=2, max_wait_s=0.0)
    feed.push(DEEP, source="test")
    feed.push(msg())
    assert len(rec.rows) == 2
    assert rec.rejected[0]["source"] == "test"
    assert "nested more deeply" in rec.rejected[0]["reason"]


def test_a_message_whose_handling_raises_is_quarantined_not_raised() -> None:
    """paho re-raises what its message callback raises (ending the network thread): the
    subscriber's callback logs it and quarantines the message instead."""
    sub = Subscriber.__new__(Subscriber)  # the callback alone, no broker
    sub.feed = Feed(Recorder())

    def fails(payload: bytes | str, source: str = "message") -> None:
        raise RuntimeError("ordering failed")

    sub.feed.push = fails  # type: ignore[method-assign]
    sub._on_message(None, None, SimpleNamespace(topic="junkan/metering/S1/readings", payload=b"{}"))
    assert sub.feed.recorder.rejected == [
        {
            "source": "mqtt junkan/metering/S1/readings",
            "reason": "message failed: RuntimeError (logged)",
            "payload": "{}",
        }
    ]


@pytest.mark.slow
def test_a_deep_message_on_a_live_subscription_is_quarantined_and_it_goes_on() -> None:
    url = os.environ.get("JUNKAN_TEST_MQTT_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the MQTT tests on a real broker: set JUNKAN_TEST_MQTT_URL")
        pytest.skip('JUNKAN_TEST_MQTT_URL not set (eval "$(bash .ci/services.sh)")')
    station = "H" + uuid.uuid4().hex[:8]  # the shared broker: a topic of our own
    rec = Recorder()
    sub = Subscriber(url, rec, station)
    pub = Publisher(url, station)
    try:
        assert sub.connected.wait(10) and pub.connected.wait(10)
        time.sleep(0.2)
        pub.publish(DEEP)
        pub.publish(msg(station))
        wait_until(lambda: len(rec.rows) == 2)
    finally:
        pub.close()
        sub.close()
    assert [r["reason"] for r in rec.rejected] == [
        "nested more deeply than the limit 64 (JUNKAN_LIMIT_NESTING_DEPTH) levels"
    ]
    imp = rec.to_import(PLANT)
    assert list(imp.series["a"].t) == [0.0, 1.0]
