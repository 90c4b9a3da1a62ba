"""Sensor streams from a PLC over OPC UA (asyncua, the ``sensing`` extra): a subscription
whose notifications become the same :class:`~junkan.sensing.samples.Batch` es as MQTT
messages and go through the same checks and the same
:class:`~junkan.sensing.ingest.LineIngest` (order, raw store, monitor, listeners).

Address space (namespace ``urn:junkan:sensing``): one object per line under ``Objects``
(browse name = the line id), one ``Double[]`` variable per channel under it, named as the
channels of the sample format (``rpm``, ``current``, ``lel``, …). Each write of a channel
holds one batch: ``[seq, t, v₁ … vₙ]`` — the batch number, its start time (s) and its 100 Hz
frames, NaN where a frame has no value (±Infinity, which no sensor reads, is read as missing
and reported, the rest of the batch kept). A PLC's ring-buffer block or an edge gateway writes
them every 100 ms (:func:`add_line` and :func:`write_batch` do it for a replay or a test).

The client subscribes to every channel of the configured lines (queue 100 per item, so a
slow publish interval loses nothing) and assembles a batch when each channel the line offers
has sent that ``seq``; a batch still incomplete when a batch 10 numbers newer is complete is
passed on with what it has (the sample format's checks then decide). OPC UA has no backfill
here: a gap is declared missing by the reorder buffer after its wait. The client reconnects
every second while the server is away, and a value it has seen before is dropped as a
duplicate by ``seq``. A notification whose handling raises anything is logged and
quarantined; the subscription goes on."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

from typing_extensions import Unpack

from junkan.sensing.generator import CHANNELS, DT
from junkan.sensing.ingest import IngestOptions, LineIngest
from junkan.sensing.monitor import Models
from junkan.sensing.samples import Batch, SampleError, parse_message

log = logging.getLogger("junkan.sensing.opcua")
NAMESPACE = "urn:junkan:sensing"
STALE = 10
"""An incomplete batch is passed on once a batch this many numbers newer is complete."""
MAX_PENDING = 200
"""Incomplete batches kept per line at most."""


def batch_array(batch: Batch, channel: str) -> list[float]:
    """One channel of a batch as the variable's value ``[seq, t, v₁ … vₙ]``."""
    return [float(batch.seq), float(batch.t), *(float(v) for v in batch.values[channel])]


async def add_line(server: Any, ns: int, line: str, channels: Sequence[str]) -> dict[str, Any]:
    """Create a line's object and channel variables on an asyncua server."""
    from asyncua import ua

    obj = await server.nodes.objects.add_object(ns, line)
    return {
        ch: await obj.add_variable(ns, ch, ua.Variant([], ua.VariantType.Double)) for ch in channels
    }


async def write_batch(nodes: dict[str, Any], batch: Batch) -> None:
    """Write one batch into a line's channel variables (rpm last-but-one, current last, so a
    reader that waits for both sees a whole batch)."""
    from asyncua import ua

    order = sorted(nodes, key=lambda c: (c in ("rpm", "current"), c))
    for ch in order:
        if ch in batch.values:
            value = ua.Variant(batch_array(batch, ch), ua.VariantType.Double)
            await nodes[ch].write_value(value)


class Assembler:
    """Channel notifications ``(line, channel, [seq, t, v…])`` → whole batches. A frame of
    ±Infinity (not a reading, and no JSON number) is read as missing, its batch kept, and
    told to ``masked(line, where, note)``."""

    def __init__(
        self,
        channels: dict[str, set[str]],
        emit: Callable[[bytes, str], None],
        masked: Callable[[str, str, str], None] | None = None,
    ):
        self.channels, self.emit, self.masked = channels, emit, masked
        self.pending: dict[str, dict[int, dict[str, Any]]] = {ln: {} for ln in channels}

    def add(self, line: str, channel: str, value: Any) -> str | None:
        """Take one notification; a reason when it is malformed (then it is dropped)."""
        if not isinstance(value, list) or len(value) < 3:
            return f"{line}/{channel}: give [seq, t, values…], got {type(value).__name__}"
        try:
            seq, t = float(value[0]), float(value[1])
            raw = [float(v) for v in value[2:]]
        except (TypeError, ValueError):
            return f"{line}/{channel}: values must be numbers"
        if not (math.isfinite(seq) and seq >= 0 and seq == int(seq) and math.isfinite(t)):
            return f"{line}/{channel}: seq must be a whole number ≥ 0 and t finite"
        frames = [v if math.isfinite(v) else None for v in raw]
        inf = [i for i, v in enumerate(raw) if math.isinf(v)]
        if inf:
            at = ", ".join(map(str, inf[:5])) + (", …" if len(inf) > 5 else "")
            note = f"values.{channel}[{at}]: {raw[inf[0]]} is not a finite number; read as missing"
            if self.masked is not None:
                self.masked(line, f"line {line} seq {int(seq)}", note)
            else:
                log.warning("line %s seq %d: %s", line, int(seq), note)
        pend = self.pending[line]
        entry = pend.setdefault(int(seq), {"t": t, "values": {}})
        entry["values"][channel] = frames
        if set(entry["values"]) >= self.channels[line]:
            self._flush(line, int(seq))
        while len(pend) > MAX_PENDING:
            self._send(line, min(pend), pend.pop(min(pend)))
        return None

    def _flush(self, line: str, seq: int) -> None:
        pend = self.pending[line]
        for s in sorted(s for s in pend if s <= seq - STALE):
            self._send(line, s, pend.pop(s))
        self._send(line, seq, pend.pop(seq))

    def _send(self, line: str, seq: int, entry: dict[str, Any]) -> None:
        doc = {"line": line, "seq": seq, "t": entry["t"], "dt": DT, "values": entry["values"]}
        self.emit(json.dumps(doc).encode(), f"opc.tcp {line} seq {seq}")


class OpcuaIngest:
    """Subscribe to the channel variables of ``lines`` on an OPC UA server and run one
    monitor per line (``lines`` attribute: the shared :class:`LineIngest`). The asyncio
    client runs in its own thread; :meth:`close` stops it."""

    def __init__(
        self,
        url: str,
        models: Models,
        params: Any,
        lines: Sequence[str],
        *,
        publish_ms: int = 50,
        ingest: LineIngest | None = None,
        on_status: Callable[[str], None] | None = None,
        **options: Unpack[IngestOptions],
    ) -> None:
        if not url.startswith("opc.tcp://"):
            raise ValueError(f"OPC UA URL {url!r}: give opc.tcp://host:port/path")
        if not 1 <= len(lines) <= 200:
            raise ValueError("lines: give 1 to 200 line ids")
        self.url, self.names, self.publish_ms = url, list(lines), publish_ms
        self.lines = ingest if ingest is not None else LineIngest(models, params, **options)
        self.on_status = on_status
        self.status = "connecting"
        self.connected = threading.Event()
        self.connects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()

    def _emit(self, payload: bytes, where: str) -> None:
        try:
            b = parse_message(payload)
        except SampleError as exc:
            self.lines.reject(where, str(exc))
            return
        self.lines.accept(b)

    async def _main(self) -> None:
        while not self._stop.is_set():
            try:
                await self._session()
            except Exception as exc:  # server away, network cut: try again in a second
                log.warning("OPC UA %s: %s; reconnecting", self.url, exc)
                self._status(_why(exc, self.connected.is_set()))
            self.connected.clear()
            await asyncio.sleep(1.0)

    async def _session(self) -> None:
        from asyncua import Client

        async with Client(self.url, timeout=5) as client:
            ns = await client.get_namespace_index(NAMESPACE)
            where: dict[Any, tuple[str, str]] = {}
            for line in self.names:
                obj = await client.nodes.objects.get_child(f"{ns}:{line}")
                for var in await obj.get_children():
                    name = (await var.read_browse_name()).Name
                    if name in CHANNELS:
                        where[var.nodeid] = (line, name)
            offered: dict[str, set[str]] = {ln: set() for ln in self.names}
            for line, ch in where.values():
                offered[line].add(ch)
            asm = Assembler(offered, self._emit, self.lines.report_masked)
            handler = _Handler(asm, where, self.lines)
            sub = await client.create_subscription(self.publish_ms, handler)
            await sub.subscribe_data_change([client.get_node(n) for n in where], queuesize=100)
            self.connects += 1
            self.connected.set()
            self._status("connected")
            while not self._stop.is_set():
                await asyncio.sleep(0.2)
                await client.check_connection()

    def _status(self, why: str) -> None:
        self.status = why
        if self.on_status is not None:
            self.on_status(why)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.lines.close()


def _why(exc: Exception, was_connected: bool) -> str:
    """A short reason for a failed or lost session (no addresses or stack)."""
    if was_connected:
        return "connection lost"
    if isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError)):
        return "unreachable"
    return f"session failed: {type(exc).__name__}: {str(exc)[:120]}"


class _Handler:
    def __init__(self, asm: Assembler, where: dict[Any, tuple[str, str]], lines: LineIngest):
        self.asm, self.where, self.lines = asm, where, lines

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        """asyncua's callback: whatever goes wrong with one notification is logged and the
        notification quarantined (the batch it belonged to then lacks that channel)."""
        line, ch = self.where.get(getattr(node, "nodeid", None), ("?", "?"))
        where = f"opc.tcp {line}/{ch}"
        try:
            if val is None or (isinstance(val, list) and not val):
                return  # the variable's initial empty value
            reason = self.asm.add(line, ch, val)
        except Exception as exc:  # noqa: BLE001 - one notification never stops the line
            log.exception("notification on %s failed", where)
            reason = f"notification failed: {type(exc).__name__} (logged)"
        if reason is not None:
            self.lines.reject(where, reason)
