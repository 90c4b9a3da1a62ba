"""Live clamp readings over MQTT into the same path as CSV (:func:`junkan.metering.from_frame`).

Topic per station ``S``: ``junkan/metering/S/readings`` (QoS 1). One message carries a batch of
one circuit's readings (JSON, UTF-8, at most 256 KB and 1000 readings)::

    {"station": "S1", "circuit": "press_line", "seq": 42,
     "t": [1764547200.0, 1764547200.1, …],          # seconds (sensor clock)
     "current_a": [12.1, 12.3, …],                    # or current_l1_a, current_l2_a, current_l3_a
     "voltage_v": [null, …], "power_factor": [0.82, …]}   # optional; null = not measured

``seq`` numbers the batches of one station × circuit from 0. Batches are put back in order
with :class:`junkan.sensing.Reorder` (the shredder monitor's ordering: duplicates dropped,
gaps waited for, then declared missing); a malformed message or a batch declared missing is
*quarantined* with its reason (never silently dropped), and the readings of accepted batches are
validated row by row by :func:`~junkan.metering.ingest.from_frame` like a CSV's. The JSON is
read as input documents are (:func:`junkan.core.documents.parse_data`, within the document
limits): a message nested too deeply, with NaN or Infinity, or with a key given twice is
refused with its reason and quarantined; a message never stops the subscriber. The MQTT side
needs paho-mqtt (the ``sensing`` extra).
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from junkan.core.documents import parse_data
from junkan.core.errors import ModelError
from junkan.core.extras import MissingExtra
from junkan.metering.config import Electrical, MeteringError, Plant
from junkan.metering.ingest import PHASE_COLS, Import, from_frame, parse_times

if TYPE_CHECKING:  # junkan.sensing (its ordering) is imported when first used
    from junkan.sensing import Batch, Reorder

log = logging.getLogger("junkan.metering.live")
PREFIX = "junkan/metering"
MAX_MESSAGE_BYTES = 256 * 1024
MAX_READINGS = 1000
MAX_ROWS = 20_000_000
ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
COLUMNS = ("current_a", *PHASE_COLS, "voltage_v", "power_factor")


def parse_message(payload: bytes | str) -> Batch:
    """One message → a :class:`junkan.sensing.Batch` (``line`` = ``station/circuit``, values
    ``t`` and the reading columns), or :class:`MeteringError` naming the field."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise MeteringError(f"message of {len(payload)} bytes; at most {MAX_MESSAGE_BYTES}")
    doc = _json(payload)
    if not isinstance(doc, dict):
        raise MeteringError("the message must be a JSON object")
    if unknown := set(doc) - {"station", "circuit", "seq", "t", *COLUMNS}:
        raise MeteringError(f"unknown field(s) {sorted(map(str, unknown))[:5]}")
    for key in ("station", "circuit"):
        if not isinstance(doc.get(key), str) or not ID.match(doc[key]):
            raise MeteringError(f"{key}: give 1-64 letters, digits, '_', '.' or '-'")
    seq = doc.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**53:
        raise MeteringError("seq: give a whole number from 0")
    t = _numbers(doc, "t", None, allow_null=False)
    if np.abs(t).max() > 1e11:
        raise MeteringError("t: seconds within ±1e11")
    if "current_a" not in doc and not all(c in doc for c in PHASE_COLS):
        raise MeteringError("current_a (or current_l1_a, current_l2_a, current_l3_a): missing")
    values = {"t": t} | {c: _numbers(doc, c, len(t)) for c in COLUMNS if c in doc}
    from junkan.sensing import Batch

    return Batch(f"{doc['station']}/{doc['circuit']}", seq, float(t[0]), values, time.monotonic())


NOT_JSON = frozenset({"json-syntax", "json-invalid", "number-not-finite"})
"""The reader's refusals of text that is not JSON (NaN and Infinity are not JSON numbers)."""


def _json(payload: bytes | str) -> Any:
    """A message's JSON text as data, read by :func:`junkan.core.documents.parse_data`; its
    refusals (``not JSON: …``, too deep, a key twice, a value too long) as
    :class:`MeteringError`."""
    if isinstance(payload, bytes):
        code = json.detect_encoding(payload)  # as json.loads decodes bytes
        try:
            payload = payload.decode(code, "surrogatepass")
        except UnicodeDecodeError as exc:
            raise MeteringError(f"not JSON: not {code.upper()} text (byte {exc.start})") from None
    try:
        return parse_data(payload, source="", as_json=True)
    except ModelError as exc:
        p = exc.problems[0] if exc.problems else None
        if p is None:
            raise MeteringError("not JSON") from None
        path = p.path if len(p.path) <= 60 else p.path[:59] + "…"
        why = f"{'not JSON: ' if p.kind in NOT_JSON else ''}{path}{': ' if path else ''}{p.message}"
        raise MeteringError(why) from None


def _numbers(doc: dict[str, Any], key: str, n: int | None, allow_null: bool = True) -> np.ndarray:
    xs = doc.get(key)
    if not isinstance(xs, list) or not 1 <= len(xs) <= MAX_READINGS:
        raise MeteringError(f"{key}: give a list of 1 to {MAX_READINGS} numbers")
    if n is not None and len(xs) != n:
        raise MeteringError(f"{key}: {len(xs)} values, t has {n}")
    ok = all(
        (x is None and allow_null) or (isinstance(x, int | float) and not isinstance(x, bool))
        for x in xs
    )
    if not ok:
        raise MeteringError(f"{key}: only numbers{' or null' if allow_null else ''}")
    arr = np.array([math.nan if x is None else x for x in xs], dtype=float)
    if np.isinf(arr).any():
        raise MeteringError(f"{key}: infinite value")
    return arr


def to_messages(readings: pd.DataFrame, station: str, batch: int = 50) -> list[bytes]:
    """A readings table (the CSV's columns) as messages, ``batch`` readings
    each, numbered per circuit (what a clamp gateway sends)."""
    out = []
    for circuit, g in readings.groupby("circuit", sort=False):
        cols = [c for c in COLUMNS if c in g.columns]
        for seq, a in enumerate(range(0, len(g), batch)):
            part = g.iloc[a : a + batch]
            doc: dict[str, Any] = {"station": station, "circuit": str(circuit), "seq": seq}
            doc["t"] = [float(x) for x in parse_times(part["time"].astype(str))]
            for c in cols:
                v = pd.to_numeric(part[c], errors="coerce")
                doc[c] = [None if pd.isna(x) else float(x) for x in v]
            out.append(json.dumps(doc, separators=(",", ":")).encode())
    return out


class Recorder:
    """Readings arriving live (MQTT, Modbus polling), kept raw and turned into an
    :class:`~junkan.metering.ingest.Import` on demand; refused messages are quarantined."""

    def __init__(self, *, max_rows: int = MAX_ROWS) -> None:
        self.rows: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.max_rows = max_rows
        self.lock = threading.Lock()

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        with self.lock:
            for r in rows:
                if len(self.rows) >= self.max_rows:
                    self.rejected.append(
                        {"source": "recorder", "reason": f"more than {self.max_rows} rows"}
                    )
                    return
                self.rows.append(r)

    def reject(self, source: str, reason: str, payload: bytes | str = b"") -> None:
        head = payload[:200].decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        with self.lock:
            self.rejected.append({"source": source, "reason": reason, "payload": head[:200]})

    def frame(self) -> pd.DataFrame:
        """The readings so far, in the CSV's columns (raw, as received)."""
        with self.lock:
            return pd.DataFrame(self.rows)

    def to_import(
        self, plant: Plant, ref: Electrical | None = None, *, source: str = "live"
    ) -> Import:
        """Validate the readings so far like a CSV's; the quarantine lists refused rows and
        refused messages (``line`` empty, ``source`` naming the message's origin)."""
        df = self.frame()
        if df.empty:
            raise MeteringError(f"{source}: no readings received")
        text = df.astype(object).where(df.notna(), "").astype(str)  # NaN = not measured
        imp = from_frame(text, plant, ref, source=source)
        with self.lock:
            rej = pd.DataFrame(self.rejected)
        if len(rej):
            imp.quarantine = pd.concat([imp.quarantine, rej], ignore_index=True)
        return imp


def batch_rows(b: Batch) -> list[dict[str, Any]]:
    """The readings of one batch as CSV-like rows."""
    circuit = b.line.split("/", 1)[1]
    cols = [c for c in b.values if c != "t"]
    return [
        {"time": float(t), "circuit": circuit, **{c: float(b.values[c][i]) for c in cols}}
        for i, t in enumerate(b.values["t"])
    ]


class Feed:
    """Messages (from any transport) → ordered batches per station × circuit → a
    :class:`Recorder`. Used by :class:`Subscriber`; usable on its own for recorded messages."""

    def __init__(self, recorder: Recorder, *, max_wait: int = 20, max_wait_s: float = 2.0) -> None:
        self.recorder = recorder
        from junkan.sensing import Reorder

        self.reorder = Reorder
        self.order: dict[str, Reorder] = {}
        self.max_wait, self.max_wait_s = max_wait, max_wait_s
        self.lock = threading.Lock()

    def push(self, payload: bytes | str, source: str = "message") -> None:
        try:
            b = parse_message(payload)
        except MeteringError as exc:
            self.recorder.reject(source, str(exc), payload)
            return
        with self.lock:
            ro = self.order.setdefault(
                b.line, self.reorder(max_wait=self.max_wait, max_wait_s=self.max_wait_s)
            )
            self._record(b.line, ro.push(b))

    def _record(self, line: str, items: list[Any]) -> None:
        """Batches to the recorder; a run of missing ones (a ``Gap``) quarantined once."""
        for item in items:
            if isinstance(item, int):
                self.recorder.reject(line, f"batch seq {item} missing (never arrived)")
            else:
                self.recorder.add(batch_rows(item))

    def drain(self) -> None:
        """End of input: batches still waiting for a missing one are recorded in order and
        each run of missing ones quarantined once (nothing is left behind in the ordering;
        it walked the missing seqs one by one: 35,000 rejections for a meter that began at
        seq 35,000 — review 277)."""
        with self.lock:
            for line, ro in self.order.items():
                self._record(line, ro.drain())

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {k: vars(ro.stats) | {"next": ro.next} for k, ro in self.order.items()}


def broker(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` → (host, port); plain MQTT over TCP only."""
    u = urlparse(url)
    if u.scheme not in ("mqtt", "tcp") or not u.hostname:
        raise MeteringError(f"broker URL {url!r}: give mqtt://host:port")
    if u.username is not None or u.password is not None:  # it was dropped without a word
        raise MeteringError(f"broker URL {u.scheme}://…@{u.hostname}: the meter connects "
                            "without a login; give mqtt://host:port of a broker (or a "
                            "listener of it) that takes anonymous clients")
    return u.hostname, u.port or 1883


def _client(client_id: str) -> Any:
    try:
        import paho.mqtt.client as mqtt
    except ModuleNotFoundError as exc:
        raise MissingExtra("sensing", "paho") from exc
    c = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    c.reconnect_delay_set(min_delay=1, max_delay=2)
    c.suppress_exceptions = True  # a callback's error is logged; the network thread goes on
    return c


class Subscriber:
    """Subscribe to ``junkan/metering/<station>/readings`` (``+`` = every station) and feed
    a :class:`Recorder`."""

    def __init__(self, url: str, recorder: Recorder, station: str = "+") -> None:
        if station != "+" and not ID.match(station):
            raise MeteringError("station: give 1-64 letters, digits, '_', '.' or '-'")
        self.feed = Feed(recorder)
        self.topic = f"{PREFIX}/{station}/readings"
        self.connected = threading.Event()
        self.ever_connected = False
        """Whether the broker took the connection at least once (``connected`` is cleared
        when it drops; paho reconnects on its own)."""
        self.refused: str | None = None
        """The broker's reason for refusing the last connection (``Not authorized``)."""
        self.client = _client(f"junkan-meter-{id(self)}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.on_message = self._on_message
        self.client.connect_async(*broker(url), keepalive=5)
        self.client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if getattr(rc, "is_failure", False):  # reached, but refused (review 242: taken as in)
            self.refused = str(rc)
            return
        self.refused = None
        client.subscribe(self.topic, qos=1)
        self.ever_connected = True
        self.connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        """paho's callback: whatever goes wrong with one message quarantines it (an exception
        raised here would end the client's network thread, and with it the subscription)."""
        source = f"mqtt {str(msg.topic)[:80]}"
        try:
            self.feed.push(msg.payload, source=source)
        except Exception as exc:  # noqa: BLE001 - one message never stops the subscriber
            log.exception("metering message on %s failed", source)
            why = f"message failed: {type(exc).__name__} (logged)"
            self.feed.recorder.reject(source, why, msg.payload)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        self.feed.drain()


class Publisher:
    """Publish readings messages of one station (a clamp gateway; tests and demos)."""

    def __init__(self, url: str, station: str) -> None:
        self.station = station
        self.connected = threading.Event()
        self.client = _client(f"junkan-meter-pub-{station}-{id(self)}")
        self.client.on_connect = lambda *a: self.connected.set()
        self.client.connect_async(*broker(url), keepalive=5)
        self.client.loop_start()

    def publish(self, payload: bytes) -> Any:
        return self.client.publish(f"{PREFIX}/{self.station}/readings", payload, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
