"""Sensor streams over MQTT (3.1.1 or 5; tested with Debian's mosquitto), with paho-mqtt
(the ``sensing`` extra).

Topics, per line ``L``: ``junkan/sensing/L/batch`` (the messages of
:mod:`junkan.sensing.samples`, QoS 1) and ``junkan/sensing/L/backfill`` (requests
``{"from": seq}``). :class:`Gateway` is the edge side: it publishes a line's batches and keeps
the last ``keep`` of them, answering backfill requests and re-sending what it published while
the broker was away. :class:`Ingest` is the monitor side: it parses each message (a malformed
one is logged with its reason and dropped — the line's monitor goes on), puts each line in
order (:class:`~junkan.sensing.samples.Reorder`), asks for a backfill when it sees a gap or
reconnects, keeps the raw stream (:class:`~junkan.sensing.store.RawStore`) and runs the
line's :class:`~junkan.sensing.monitor.Monitor`. Duplicates from re-sending are dropped by
``seq``, so a broker restart or a network cut loses and duplicates nothing."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from junkan.sensing.monitor import Models, Monitor
from junkan.sensing.samples import Batch, Reorder, SampleError, parse_message
from junkan.sensing.store import RawStore

log = logging.getLogger("junkan.sensing.mqtt")
PREFIX = "junkan/sensing"


def _client(client_id: str) -> Any:
    import paho.mqtt.client as mqtt

    c = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    c.reconnect_delay_set(min_delay=1, max_delay=2)
    c.max_queued_messages_set(0)
    return c


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` → (host, port); only plain MQTT over TCP."""
    u = urlparse(url)
    if u.scheme not in ("mqtt", "tcp") or not u.hostname:
        raise ValueError(f"broker URL {url!r}: give mqtt://host:port")
    return u.hostname, u.port or 1883


class Gateway:
    """Publish one line's batches; answer backfill requests from the last ``keep``."""

    def __init__(self, url: str, line: str, *, keep: int = 36_000) -> None:
        self.line, self.keep = line, keep
        self.sent: OrderedDict[int, bytes] = OrderedDict()
        self.sent_at: dict[int, float] = {}
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self._down_from: int | None = None
        self.client = _client(f"junkan-gw-{line}-{id(self)}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        host, port = broker_address(url)
        self.client.connect_async(host, port, keepalive=5)
        self.client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe(f"{PREFIX}/{self.line}/backfill", qos=1)
        self.connected.set()
        if self._down_from is not None:
            self._resend(self._down_from)
            self._down_from = None

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connected.clear()
        with self.lock:
            last = next(reversed(self.sent)) if self.sent else 0
        self._down_from = max(0, last - 50) if self._down_from is None else self._down_from

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            req = json.loads(msg.payload)
            start = int(req["from"])
        except (ValueError, KeyError, TypeError):
            log.warning("line %s: malformed backfill request dropped", self.line)
            return
        self._resend(start)

    def _resend(self, start: int) -> None:
        with self.lock:
            todo = [(s, p) for s, p in self.sent.items() if s >= start]
        for _, payload in todo:
            self.client.publish(f"{PREFIX}/{self.line}/batch", payload, qos=1)

    def publish(self, batch: Batch) -> None:
        payload = batch.to_message()
        with self.lock:
            self.sent[batch.seq] = payload
            self.sent_at[batch.seq] = time.monotonic()
            while len(self.sent) > self.keep:
                self.sent.popitem(last=False)
        self.client.publish(f"{PREFIX}/{self.line}/batch", payload, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Ingest:
    """Subscribe to every line's batches and run one monitor per line."""

    def __init__(
        self,
        url: str,
        models: Models,
        params: Any,
        *,
        store: RawStore | None = None,
        max_wait: int = 50,
        max_wait_s: float = 5.0,
        trace_max: int = 6000,
        on_alarm: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.models, self.params, self.store = models, params, store
        self.max_wait, self.max_wait_s = max_wait, max_wait_s
        self.trace_max = trace_max
        self.on_alarm = on_alarm
        self.monitors: dict[str, Monitor] = {}
        self.order: dict[str, Reorder] = {}
        self.processed_at: dict[tuple[str, int], float] = {}
        self.malformed: list[str] = []
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.client = _client(f"junkan-ingest-{id(self)}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message
        host, port = broker_address(url)
        self.client.connect_async(host, port, keepalive=5)
        self.client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe(f"{PREFIX}/+/batch", qos=1)
        self.connected.set()
        with self.lock:
            for line, ro in self.order.items():  # whatever came while we were away
                self._ask(line, ro.next, ro.next)

    def _ask(self, line: str, first: int, last: int) -> None:
        self.client.publish(f"{PREFIX}/{line}/backfill", json.dumps({"from": first}), qos=1)

    def _gap_asker(self, line: str) -> Callable[[int, int], None]:
        def ask(first: int, last: int) -> None:
            self._ask(line, first, last)

        return ask

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.monotonic()
        try:
            b = parse_message(msg.payload, received=now)
            if msg.topic != f"{PREFIX}/{b.line}/batch":
                raise SampleError(f"topic {msg.topic[:80]} does not match line {b.line}")
        except SampleError as exc:
            with self.lock:
                self.malformed.append(str(exc))
            log.warning("malformed message on %s dropped: %s", msg.topic[:80], exc)
            return
        with self.lock:
            self._accept(b)

    def _accept(self, b: Batch) -> None:
        ro = self.order.get(b.line)
        if ro is None:
            ro = self.order[b.line] = Reorder(
                max_wait=self.max_wait,
                max_wait_s=self.max_wait_s,
                first_seq=0,
                on_gap=self._gap_asker(b.line),
            )
            self.monitors[b.line] = Monitor(
                self.models, self.params, b.line, trace_max=self.trace_max
            )
        mon = self.monitors[b.line]
        for item in ro.push(b):
            if isinstance(item, int):
                continue  # declared missing: the monitor holds its last values
            if self.store is not None:
                self.store.add(item)
            n_alarms = len(mon.alarms)
            mon.process(item.t, item.values)
            self.processed_at[(item.line, item.seq)] = time.monotonic()
            if self.on_alarm is not None and len(mon.alarms) > n_alarms:
                self.on_alarm(item.line, mon.alarms[-1])

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        if self.store is not None:
            self.store.flush()
