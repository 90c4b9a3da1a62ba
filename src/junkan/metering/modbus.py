"""Power meters read over Modbus TCP (``pymodbus``, the ``metering`` extra) into a
:class:`~junkan.metering.live.Recorder`, the same path as MQTT and CSV.

A meters file (YAML) maps circuits to meters and registers::

    meters:
      - circuit: press_line
        host: 192.168.10.21
        port: 502
        device_id: 1
        table: holding            # or input (function code 3 or 4)
        current_a:    {address: 0, type: float32}
        voltage_v:    {address: 2, type: float32}              # optional
        power_factor: {address: 4, type: uint16, scale: 0.001} # optional

Types: ``uint16``, ``int16``, ``uint32``, ``int32``, ``float32`` (big-endian words, as most
meters and pymodbus default to); ``scale`` multiplies the raw value. Each poll reads every
meter's registers in one request and stamps the reading with the station clock. A failed
read (connection refused, Modbus exception, timeout) is quarantined with its reason.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junkan.core.extras import MissingExtra
from junkan.metering.config import MeteringError, read_yaml
from junkan.metering.live import ID, Recorder

FIELDS = ("current_a", "current_l1_a", "current_l2_a", "current_l3_a", "voltage_v", "power_factor")
TYPES = {"uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2}
MAX_METERS = 1000
MAX_HZ = 10.0


@dataclass(frozen=True)
class Register:
    address: int
    type: str = "float32"
    scale: float = 1.0


@dataclass(frozen=True)
class Meter:
    circuit: str
    host: str
    port: int
    device_id: int
    table: str
    registers: dict[str, Register]

    @property
    def block(self) -> tuple[int, int]:
        """First address and count of the one read that covers every register."""
        lo = min(r.address for r in self.registers.values())
        hi = max(r.address + TYPES[r.type] for r in self.registers.values())
        return lo, hi - lo


def load_meters(path: str | Path | None = None, *, doc: object = None) -> list[Meter]:
    """Read a meters file (or an already parsed document); errors name the file and field."""
    name = str(path) if path is not None else "<meters>"
    if path is not None:
        doc = read_yaml(path)
    items = doc.get("meters") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_METERS:
        raise MeteringError(f"{name}: meters: expected a list of 1 to {MAX_METERS} meters")
    return [_meter(m, f"{name}: meters[{i}]") for i, m in enumerate(items)]


def _meter(m: object, where: str) -> Meter:
    if not isinstance(m, dict):
        raise MeteringError(f"{where}: expected a mapping")
    known = {"circuit", "host", "port", "device_id", "table", *FIELDS}
    if unknown := set(m) - known:
        raise MeteringError(f"{where}: unknown field(s) {sorted(map(str, unknown))}")
    circuit, host = m.get("circuit"), m.get("host")
    if not isinstance(circuit, str) or not ID.match(circuit):
        raise MeteringError(f"{where}.circuit: give the circuit id")
    if not isinstance(host, str) or not 0 < len(host) <= 253:
        raise MeteringError(f"{where}.host: give a host name or address")
    port, dev = m.get("port", 502), m.get("device_id", 1)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise MeteringError(f"{where}.port: expected 1-65535, got {port!r}")
    if not isinstance(dev, int) or not 0 <= dev <= 247:
        raise MeteringError(f"{where}.device_id: expected 0-247, got {dev!r}")
    table = m.get("table", "holding")
    if table not in ("holding", "input"):
        raise MeteringError(f"{where}.table: expected holding or input, got {table!r}")
    regs = {f: _register(m[f], f"{where}.{f}") for f in FIELDS if f in m}
    phases = all(f in regs for f in FIELDS[1:4])
    if "current_a" not in regs and not phases:
        raise MeteringError(f"{where}: give current_a (or the three phase currents)")
    meter = Meter(circuit, host, port, dev, table, regs)
    if meter.block[1] > 125:
        raise MeteringError(f"{where}: registers span {meter.block[1]} words; at most 125")
    return meter


def _register(r: object, where: str) -> Register:
    if not isinstance(r, dict) or set(r) - {"address", "type", "scale"}:
        raise MeteringError(f"{where}: expected {{address, type, scale}}")
    a, t, s = r.get("address"), r.get("type", "float32"), r.get("scale", 1.0)
    if not isinstance(a, int) or isinstance(a, bool) or not 0 <= a <= 65535:
        raise MeteringError(f"{where}.address: expected 0-65535, got {a!r}")
    if t not in TYPES:
        raise MeteringError(f"{where}.type: expected one of {', '.join(TYPES)}, got {t!r}")
    if isinstance(s, bool) or not isinstance(s, int | float) or not math.isfinite(s) or s == 0:
        raise MeteringError(f"{where}.scale: expected a finite non-zero number")
    return Register(a, t, float(s))


def decode(words: list[int], reg: Register, first: int) -> float:
    """The value of ``reg`` from the block of ``words`` read from address ``first``."""
    import struct

    i = reg.address - first
    if reg.type in ("uint16", "int16"):
        raw = struct.pack(">H", words[i])
        fmt = ">H" if reg.type == "uint16" else ">h"
    else:
        raw = struct.pack(">HH", words[i], words[i + 1])
        fmt = {"uint32": ">I", "int32": ">i", "float32": ">f"}[reg.type]
    return float(struct.unpack(fmt, raw)[0]) * reg.scale


class Poller:
    """Poll every meter at ``hz`` into a :class:`Recorder` (one TCP client per endpoint)."""

    def __init__(self, meters: list[Meter], recorder: Recorder, *, timeout_s: float = 1.0) -> None:
        try:
            from pymodbus.client import ModbusTcpClient
        except ModuleNotFoundError as exc:
            raise MissingExtra("metering", "pymodbus") from exc
        self.meters, self.recorder = meters, recorder
        self.clients: dict[tuple[str, int], Any] = {
            (m.host, m.port): ModbusTcpClient(m.host, port=m.port, timeout=timeout_s, retries=0)
            for m in meters
        }
        self.polls = 0
        self.stop = threading.Event()

    def poll(self) -> int:
        """Read every meter once; returns the number of readings recorded."""
        rows = []
        for m in self.meters:
            src = f"modbus {m.host}:{m.port}/{m.device_id} ({m.circuit})"
            try:
                rows.append(self._read(m))
            except Exception as exc:  # noqa: BLE001 - any failed read is quarantined
                self.recorder.reject(src, f"read failed: {type(exc).__name__}: {str(exc)[:150]}")
        self.recorder.add(rows)
        self.polls += 1
        return len(rows)

    def _read(self, m: Meter) -> dict[str, Any]:
        client = self.clients[(m.host, m.port)]
        if not client.connected and not client.connect():
            raise ConnectionError("cannot connect")
        first, count = m.block
        read = (
            client.read_holding_registers if m.table == "holding" else client.read_input_registers
        )
        res = read(first, count=count, device_id=m.device_id)
        t = time.time()
        if res.isError():
            raise MeteringError(f"Modbus exception response {res}")
        words = list(res.registers)
        if len(words) < count:
            raise MeteringError(f"{len(words)} registers returned, {count} asked")
        return {"time": t, "circuit": m.circuit} | {
            f: decode(words, r, first) for f, r in m.registers.items()
        }

    def run(self, hz: float, seconds: float) -> None:
        """Poll at ``hz`` for ``seconds`` (or until :attr:`stop` is set), on a fixed schedule
        (a slow poll does not shift the later ones)."""
        if not (0 < hz <= MAX_HZ) or not (0 < seconds <= 7 * 86400):
            raise MeteringError(f"hz: 0-{MAX_HZ:g}, seconds: up to a week")
        start, k = time.monotonic(), 0
        while not self.stop.is_set() and time.monotonic() - start < seconds:
            self.poll()
            k += 1
            self.stop.wait(max(0.0, start + k / hz - time.monotonic()))

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
