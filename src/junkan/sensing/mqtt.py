"""Sensor streams over MQTT (3.1.1 or 5; tested with Debian's mosquitto), with paho-mqtt
(the ``sensing`` extra).

Topics, per line ``L``: ``junkan/sensing/L/batch`` (the messages of
:mod:`junkan.sensing.samples`, QoS 1) and ``junkan/sensing/L/backfill`` (requests
``{"from": seq}``). :class:`Gateway` is the edge side: it publishes a line's batches and keeps
the last ``keep`` of them, answering backfill requests and re-sending what it published while
the broker was away. :class:`Ingest` is the monitor side: it parses each message (a malformed
one is logged with its reason and dropped — the line's monitor goes on), puts each line in
order, asks for a backfill when it sees a gap or reconnects, keeps the raw stream and runs the
line's monitor — the transport-independent :class:`~junkan.sensing.ingest.LineIngest`, which
the OPC UA ingest shares. Both sides are an :class:`Endpoint`: one paho client, its
connection state and callbacks, written once; a message whose handling raises anything is
logged and quarantined, never passed back to paho (which would end the client's network
thread, and the line's ingest with it). Duplicates from re-sending are dropped by ``seq``, so
a broker restart or a network cut loses and duplicates nothing."""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlparse

from typing_extensions import Unpack

from junkan.sensing.brokerauth import BrokerAuth
from junkan.sensing.ingest import IngestOptions, LineIngest
from junkan.sensing.monitor import Models, Monitor
from junkan.sensing.samples import Batch, SampleError, parse_message
from junkan.sensing.sources import PREFIX

log = logging.getLogger("junkan.sensing.mqtt")


def _client(client_id: str, protocol: str = "3.1.1") -> Any:
    import paho.mqtt.client as mqtt

    if protocol == "5":
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    else:
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
    c.reconnect_delay_set(min_delay=1, max_delay=2)
    c.max_queued_messages_set(0)
    c.suppress_exceptions = True  # a callback's error is logged; the network thread goes on
    return c


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` (or ``mqtts://``, TLS, default port 8883) → (host, port)."""
    u = urlparse(url)
    if u.scheme not in ("mqtt", "mqtts", "tcp") or not u.hostname:
        raise ValueError(f"broker URL {url!r}: give mqtt://host:port or mqtts://host:port")
    return u.hostname, u.port or (8883 if u.scheme == "mqtts" else 1883)


KEEPALIVE_S = 5
"""Seconds between the clients' keep-alive pings; a silent broker is noticed after 1.5 ×."""
RESEND_S = 3.0 * KEEPALIVE_S
"""A gateway that lost its broker sends again what it published this many seconds before it
noticed (a design choice: twice the 1.5 × keep-alive a silent broker takes to be noticed)."""

class Endpoint:
    """One paho client with its callbacks: on every (re)connect it subscribes to
    ``topic`` (QoS 1) and, once the broker has granted the subscription (its SUBACK), counts as
    connected and calls :meth:`up` — a message published before that would not reach it; on a
    disconnect, :meth:`down`; each message goes
    to :meth:`message` (what it raises is logged and handed to :meth:`quarantine`). The
    network loop runs in paho's thread and reconnects by itself."""

    topic = ""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        protocol: str = "3.1.1",
        address: str | None = None,
        auth: BrokerAuth | None = None,
    ) -> None:
        self.connected = threading.Event()
        self._answered = threading.Event()  # connected, or an attempt failed
        self.status, self.connects = "connecting", 0
        self.client = _client(f"{client_id}-{id(self)}", protocol)
        if auth is not None:  # the administrator's settings (junkan.sensing.brokerauth)
            if auth.username is not None:
                self.client.username_pw_set(auth.username, auth.password)
            if auth.tls is not None:
                self.client.tls_set_context(auth.tls)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = lambda client, userdata: self.failed("unreachable")
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._subscribing: int | None = None
        host, port = broker_address(url)
        self.client.connect_async(address or host, port, keepalive=KEEPALIVE_S)
        self.client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if getattr(rc, "is_failure", False):
            self.failed(f"refused by the broker: {rc}")
            return
        self._subscribing = client.subscribe(self.topic, qos=1)[1]

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        if mid != self._subscribing:
            return
        refused = [c for c in codes if getattr(c, "is_failure", False)]
        if refused:
            self.failed(f"subscription to {self.topic} refused by the broker: {refused[0]}")
            return
        self.connects += 1
        self.status = "connected"
        self.connected.set()
        self._answered.set()
        self.up()

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the first connection (with its subscription);
        False as soon as an attempt fails (:attr:`status` says why; paho goes on retrying),
        rather than after the whole ``timeout``."""
        self._answered.wait(timeout)
        return self.connected.is_set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        was = self.connected.is_set()
        self.connected.clear()
        if was:
            self.failed("connection lost")
            self.down()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        """paho's callback: an exception raised here would end paho's network thread, so
        whatever :meth:`message` raises is logged and the message quarantined."""
        try:
            self.message(msg)
        except Exception as exc:  # noqa: BLE001 - one message never stops the line
            where = f"mqtt {str(getattr(msg, 'topic', ''))[:80]}"
            log.exception("message on %s failed", where)
            try:
                self.quarantine(where, f"message failed: {type(exc).__name__} (logged)")
            except Exception:  # noqa: BLE001
                log.exception("quarantining the message on %s failed", where)

    def quarantine(self, where: str, reason: str) -> None:
        """A message that could not be handled (logged already)."""

    def failed(self, why: str) -> None:
        """The broker could not be reached or dropped the connection (paho retries)."""
        self.status = why
        self._answered.set()

    def up(self) -> None:
        """Connected (again)."""

    def down(self) -> None:
        """Connection lost."""

    def message(self, msg: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Gateway(Endpoint):
    """Publish one line's batches to ``<prefix>/<line>/batch``; answer backfill requests
    (``<prefix>/<line>/backfill``) from the last ``keep``. A service's live line reads
    ``junkan/sensing/<organisation>/<line>/batch`` by default: give that ``prefix``."""

    def __init__(self, url: str, line: str, *, keep: int = 36_000, prefix: str = PREFIX) -> None:
        self.line, self.keep, self.prefix = line, keep, prefix
        self.sent: OrderedDict[int, bytes] = OrderedDict()
        self.sent_at: dict[int, float] = {}  # seq -> time.monotonic() of its publish
        self.lock = threading.Lock()
        self._down_from: int | None = None
        self.topic = f"{prefix}/{line}/backfill"
        super().__init__(url, f"junkan-gw-{line}")

    def up(self) -> None:
        if self._down_from is not None:
            self._resend(self._down_from)
            self._down_from = None

    def down(self) -> None:
        """The connection is lost: what the broker took (acknowledged) but had not yet passed
        on is lost with it if the broker died, and a subscriber that had seen nothing of the
        line cannot ask for it. On reconnect, everything published in the last
        :data:`RESEND_S` seconds, and at least the last 50, is sent again (subscribers drop
        duplicates). Counting 50 back from the newest alone was not enough: the loss is
        noticed after the line went on publishing into paho's queue (CI of 2026-12-07:
        33 batches lost)."""
        if self._down_from is not None:
            return
        cutoff = time.monotonic() - RESEND_S
        with self.lock:
            seqs = list(reversed(self.sent))
            recent = list(itertools.takewhile(lambda s: self.sent_at[s] >= cutoff, seqs))
            last = seqs[0] if seqs else 0
        self._down_from = max(0, min([last - 50, *recent]))

    def message(self, msg: Any) -> None:
        try:
            req = json.loads(msg.payload)
            start = int(req["from"])
        except (ValueError, KeyError, TypeError, RecursionError):
            log.warning("line %s: malformed backfill request dropped", self.line)
            return
        self._resend(start)

    def _resend(self, start: int) -> None:
        with self.lock:
            todo = [(s, p) for s, p in self.sent.items() if s >= start]
        for _, payload in todo:
            self.client.publish(f"{self.prefix}/{self.line}/batch", payload, qos=1)

    def publish(self, batch: Batch) -> None:
        payload = batch.to_message()
        with self.lock:
            self.sent[batch.seq] = payload
            self.sent_at[batch.seq] = time.monotonic()
            while len(self.sent) > self.keep:
                self.sent_at.pop(self.sent.popitem(last=False)[0], None)
        self.client.publish(f"{self.prefix}/{self.line}/batch", payload, qos=1)


class Ingest(Endpoint):
    """Subscribe to every line's batches and run one monitor per line (a
    :class:`~junkan.sensing.ingest.LineIngest`, ``lines``)."""

    topic = f"{PREFIX}/+/batch"

    def __init__(
        self,
        url: str,
        models: Models,
        params: Any,
        **options: Unpack[IngestOptions],
    ) -> None:
        self.lines = LineIngest(models, params, ask_backfill=self._ask, **options)
        super().__init__(url, "junkan-ingest")

    @property
    def monitors(self) -> dict[str, Monitor]:
        return self.lines.monitors

    @property
    def order(self) -> dict[str, Any]:
        return self.lines.order

    @property
    def processed_at(self) -> dict[tuple[str, int], float]:
        return self.lines.processed_at

    @property
    def malformed(self) -> list[str]:
        return self.lines.malformed

    def up(self) -> None:
        for line, seq in self.lines.resume_points().items():  # what came while we were away
            self._ask(line, seq, seq)

    def _ask(self, line: str, first: int, last: int) -> None:
        self.client.publish(f"{PREFIX}/{line}/backfill", json.dumps({"from": first}), qos=1)

    def message(self, msg: Any) -> None:
        try:
            b = parse_message(msg.payload, received=time.monotonic())
            if msg.topic != f"{PREFIX}/{b.line}/batch":
                raise SampleError(f"topic {msg.topic[:80]} does not match line {b.line}")
        except SampleError as exc:
            self.lines.reject(msg.topic, str(exc))
            return
        self.lines.accept(b)

    def quarantine(self, where: str, reason: str) -> None:
        self.lines.reject(where, reason)

    def close(self) -> None:
        super().close()
        self.lines.close()


class LineFeed(Endpoint):
    """One line's batches from one broker topic into a given
    :class:`~junkan.sensing.ingest.LineIngest` (a live line of the service). A message for
    another line, or one that fails the sample format, is quarantined with its reason; the
    line goes on. ``on_status`` hears every change of the connection's state."""

    def __init__(
        self,
        url: str,
        line: str,
        lines: LineIngest,
        *,
        topic: str | None = None,
        protocol: str = "3.1.1",
        address: str | None = None,
        auth: BrokerAuth | None = None,
        on_status: Any = None,
    ) -> None:
        self.line, self.lines, self.on_status = line, lines, on_status
        self.topic = topic or f"{PREFIX}/{line}/batch"
        self.backfill = (
            self.topic[: -len("/batch")] + "/backfill" if self.topic.endswith("/batch") else None
        )
        lines.ask_backfill = self._ask
        super().__init__(url, f"junkan-line-{line}", protocol=protocol, address=address, auth=auth)

    def failed(self, why: str) -> None:
        super().failed(why)
        if self.on_status is not None:
            self.on_status(why)

    def up(self) -> None:
        if self.on_status is not None:
            self.on_status("connected")
        for line, seq in self.lines.resume_points().items():
            self._ask(line, seq, seq)

    def _ask(self, line: str, first: int, last: int) -> None:
        if self.backfill is not None:
            self.client.publish(self.backfill, json.dumps({"from": first}), qos=1)

    def message(self, msg: Any) -> None:
        where = f"mqtt {msg.topic[:80]}"
        try:
            b = parse_message(msg.payload, received=time.monotonic())
            if b.line != self.line:
                raise SampleError(f"a message of line {b.line} on line {self.line}'s topic")
        except SampleError as exc:
            self.lines.reject(where, str(exc))
            return
        self.lines.accept(b)

    def quarantine(self, where: str, reason: str) -> None:
        self.lines.reject(where, reason)

    def close(self) -> None:
        super().close()
        self.lines.close()
