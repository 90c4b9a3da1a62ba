"""An MQTT endpoint counts as connected only once the broker granted its subscription.

Before: ``connected`` was set when the CONNACK came, right after the SUBSCRIBE was sent; a
batch published by the gateway in between reached the broker before the subscription and was
lost (the hostile-messages test timed out waiting for it, 2026-12-05)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("paho.mqtt")


class _Client:
    """Stands in for paho's client inside the callbacks: records the subscription."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    def subscribe(self, topic: str, qos: int = 0) -> tuple[int, int]:
        self.topics.append(topic)
        return 0, 41


def _feed(models: Any) -> Any:
    from junkan import sensing
    from junkan.sensing.ingest import LineIngest
    from junkan.sensing.mqtt import LineFeed

    params = sensing.generate(sensing.Scenario(duration_s=2, seed=3)).params
    statuses: list[str] = []
    # port 9 (discard) on loopback: nothing answers; the callbacks are driven by hand, once
    # paho's own thread (which says "unreachable" when its first attempt fails) is stopped
    feed = LineFeed("mqtt://127.0.0.1:9", "L1", LineIngest(models, params),
                    on_status=statuses.append)
    feed.client.loop_stop()
    statuses.clear()
    return feed, statuses


def _code(value: int) -> Any:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.reasoncodes import ReasonCode

    return ReasonCode(PacketTypes.SUBACK, identifier=value)


def test_connected_waits_for_the_brokers_grant(models: Any) -> None:
    feed, statuses = _feed(models)
    client = _Client()
    try:
        feed._on_connect(client, None, None, _code(0), None)
        assert client.topics == ["junkan/sensing/L1/batch"]
        assert not feed.connected.is_set() and statuses == []
        feed._on_subscribe(client, None, 40, [_code(1)], None)  # another request's grant
        assert not feed.connected.is_set()
        feed._on_subscribe(client, None, 41, [_code(1)], None)
        assert feed.connected.is_set() and feed.status == "connected"
        assert statuses == ["connected"] and feed.connects == 1
    finally:
        feed.close()


def test_a_refused_subscription_is_a_status_not_a_connection(models: Any) -> None:
    feed, statuses = _feed(models)
    client = _Client()
    try:
        feed._on_connect(client, None, None, _code(0), None)
        feed._on_subscribe(client, None, 41, [_code(0x87)], None)  # not authorised
        assert not feed.connected.is_set()
        assert statuses and "subscription to junkan/sensing/L1/batch refused" in statuses[-1]
    finally:
        feed.close()
