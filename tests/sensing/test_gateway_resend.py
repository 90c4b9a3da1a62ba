"""A gateway that loses its broker sends again, on reconnect, what the broker may have taken
without passing on (CI of 2026-12-07: the broker was killed while the line published, the loss
was noticed 83 batches in, and the 33 before 50-back were lost to a subscriber that had seen
nothing of the line yet)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from junkan import sensing
from junkan.sensing import mqtt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gateway() -> Iterator[tuple[mqtt.Gateway, list[int]]]:
    gw = mqtt.Gateway(f"mqtt://127.0.0.1:{_free_port()}", "L1", keep=1000)  # nothing listens
    sent: list[int] = []

    def publish(topic: str, payload: bytes, qos: int = 0) -> Any:
        sent.append(int(json.loads(payload)["seq"]))

    gw.client.publish = publish  # type: ignore[method-assign]
    yield gw, sent
    gw.close()


def _publish(gw: mqtt.Gateway, seqs: range) -> None:
    for i in seqs:
        gw.publish(sensing.Batch("L1", i, 1000.0 + i * 0.1, {"current": np.zeros(10)}))


def test_everything_published_in_the_last_seconds_is_sent_again(
    gateway: tuple[mqtt.Gateway, list[int]],
) -> None:
    gw, sent = gateway
    _publish(gw, range(100))
    sent.clear()
    gw.down()
    gw.up()
    assert sent == list(range(100))  # not only the last 50


def test_long_before_the_loss_only_the_last_50_are_sent_again(
    gateway: tuple[mqtt.Gateway, list[int]],
) -> None:
    gw, sent = gateway
    _publish(gw, range(200))
    for s in gw.sent_at:
        gw.sent_at[s] -= mqtt.RESEND_S + 60
    sent.clear()
    gw.down()
    gw.up()
    assert sent == list(range(149, 200))


def test_publish_times_are_kept_for_the_kept_batches_only(
    gateway: tuple[mqtt.Gateway, list[int]],
) -> None:
    gw, _ = gateway
    _publish(gw, range(2500))
    assert list(gw.sent) == list(range(1500, 2500)) and sorted(gw.sent_at) == list(gw.sent)
