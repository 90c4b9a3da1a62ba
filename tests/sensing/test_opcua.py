"""OPC UA ingest against a real asyncua server on loopback: a subscription feeds the same
ingest path as MQTT (checks, order, monitor); a malformed write is rejected and the line goes
on; the client reconnects after the server restarts."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import threading

import numpy as np
import pytest

pytest.importorskip("asyncua")

from junkan import sensing  # noqa: E402
from junkan.sensing.features import BATCH  # noqa: E402
from junkan.sensing.opcua import NAMESPACE, Assembler, OpcuaIngest, add_line, write_batch  # noqa: E402
from tests.waiting import wait_until

CHANNELS = ("rpm", "current", "feed", "lel", "sparks", "ac_low", "ac_mid", "ac_high", "ac_crest")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])




class PlcServer:
    """An asyncua server in its own thread writing a recording's batches."""

    def __init__(self, url: str, rec: sensing.Recording, n: int, bad_at: int = -1) -> None:
        self.url, self.rec, self.n, self.bad_at = url, rec, n, bad_at
        self.written = 0
        self.ready = threading.Event()
        self.go = threading.Event()  # write once the client has subscribed
        self.stop = threading.Event()
        self.start_at = 0
        self.thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self.thread.start()

    async def _main(self) -> None:
        from asyncua import Server, ua

        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        ns = await server.register_namespace(NAMESPACE)
        nodes = await add_line(server, ns, "P1", CHANNELS)
        async with server:
            self.ready.set()
            while not self.go.is_set():
                await asyncio.sleep(0.05)
            for i in range(self.start_at, self.n):
                if self.stop.is_set():
                    return
                if i == self.bad_at:  # a malformed write: seq is not a whole number
                    await nodes["rpm"].write_value(
                        ua.Variant([1.5, 0.0, 600.0], ua.VariantType.Double)
                    )
                s = slice(i * BATCH, (i + 1) * BATCH)
                b = sensing.Batch(
                    "P1",
                    i,
                    float(self.rec.t[s.start]),
                    {k: self.rec.signals[k][s] for k in CHANNELS},
                )
                await write_batch(nodes, b)
                self.written = i + 1
                await asyncio.sleep(0.01)
            while not self.stop.is_set():
                await asyncio.sleep(0.05)


def test_assembler_whole_batches_and_reasons() -> None:
    got: list[bytes] = []
    asm = Assembler({"P1": {"rpm", "current"}}, lambda p, w: got.append(p))
    assert asm.add("P1", "rpm", [0, 0.0, 600.0]) is None and not got
    assert asm.add("P1", "current", [0, 0.0, 900.0]) is None and len(got) == 1
    b = sensing.parse_message(got[0])
    assert (b.seq, b.values["rpm"][0], b.values["current"][0]) == (0, 600.0, 900.0)
    assert "seq" in (asm.add("P1", "rpm", [0.5, 0.0, 1.0]) or "")
    assert "[seq, t" in (asm.add("P1", "rpm", 3.0) or "")
    # an incomplete batch goes on once a batch 10 newer is whole
    asm.add("P1", "rpm", [1, 0.1, 600.0])
    for s in range(2, 12):
        asm.add("P1", "rpm", [s, s / 10, 600.0])
        asm.add("P1", "current", [s, s / 10, 900.0])
    seqs = [json.loads(p)["seq"] for p in got]
    assert 1 in seqs and seqs.index(1) < seqs.index(11)


def test_an_infinite_frame_is_read_as_missing_and_its_batch_kept() -> None:
    """A PLC's ±Infinity went into the message as JSON ``Infinity`` and the whole batch was
    refused ("not JSON"); now only that frame is missing, and it is reported."""
    got: list[bytes] = []
    notes: list[tuple[str, str, str]] = []
    asm = Assembler({"P1": {"rpm", "current"}}, lambda p, w: got.append(p),
                    lambda *n: notes.append(n))
    assert asm.add("P1", "rpm", [4, 0.4, 600.0, math.inf, 601.0]) is None
    assert asm.add("P1", "current", [4, 0.4, 900.0, 901.0, 902.0]) is None
    b = sensing.parse_message(got[0])
    assert b.values["current"].tolist() == [900.0, 901.0, 902.0] and not b.masked
    assert b.values["rpm"][0] == 600.0 and math.isnan(b.values["rpm"][1])
    assert notes == [("P1", "line P1 seq 4",
                      "values.rpm[1]: inf is not a finite number; read as missing")]


@pytest.mark.slow
def test_subscription_feeds_a_service_live_line(
    models: sensing.Models, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the service's hub (listed endpoint → OpcuaIngest → the line's ingest): status
    connected, every batch once and in order, the jam's alarm, a bad write quarantined with
    its reason, stop ends the stream."""
    port = _free_port()
    url = f"opc.tcp://127.0.0.1:{port}/junkan/"
    monkeypatch.setenv("JUNKAN_SENSING_ENDPOINTS", f"opc.tcp://127.0.0.1:{port}")
    sc = sensing.Scenario(
        name="opcua",
        seed=901,
        duration_s=45,
        events=[{"type": "jam", "start_s": 35, "severity": 0.8}],
    )
    rec = sensing.generate(sc)
    n = 450
    plc = PlcServer(url, rec, n, bad_at=120)
    assert plc.ready.wait(30)
    hub = sensing.Hub(tmp_path)  # type: ignore[arg-type]
    spec = sensing.LineSource.model_validate(
        {"line": {"id": "P1"}, "source": {"kind": "opcua", "url": url}}
    )
    live = hub.connect("o1", spec, models)
    ing = live.ingest
    try:
        wait_until(lambda: live.status == "connected", timeout=30.0)
        plc.go.set()
        wait_until(lambda: _next(ing, "P1") == n, 60)
        mon = ing.monitors["P1"]
        st = ing.order["P1"].stats
        assert st.missing == 0 and st.late == 0
        assert len(mon.trace) == n  # every batch once, in order
        assert np.all(np.diff([r["t"] for r in mon.trace]) > 0)
        assert any(34.9 <= a.start <= 36 for a in mon.alarms)  # the jam
        d = live.detail()
        assert (
            d["quarantined"] == 1 and "seq must be a whole number" in d["quarantine"][0]["reason"]
        )
        kinds = [e["kind"] for _, e in live.since(0, 5000)]
        assert kinds[0] == "status" and kinds.count("step") == n and "quarantined" in kinds
    finally:
        plc.stop.set()
        hub.stop("o1", "P1")
    assert live.since(0)[-1][1]["kind"] == "end" and live.status == "stopped"


def _next(lines: sensing.LineIngest, line: str) -> int | None:
    """The next sequence number the line waits for, read under the ingest's lock (the
    reorder buffer counts a batch before the monitor has processed it)."""
    with lines.lock:
        ro = lines.order.get(line)
        return None if ro is None else int(ro.next)


@pytest.mark.slow
def test_reconnects_after_server_restart(models: sensing.Models) -> None:
    port = _free_port()
    url = f"opc.tcp://127.0.0.1:{port}/junkan/"
    rec = sensing.generate(sensing.Scenario(name="r", seed=902, duration_s=30))
    plc = PlcServer(url, rec, 60)
    assert plc.ready.wait(30)
    ing = OpcuaIngest(url, models, rec.params, ["P1"])
    try:
        assert ing.connected.wait(30)
        plc.go.set()
        wait_until(lambda: _next(ing.lines, "P1") == 60, timeout=30.0)
        plc.stop.set()
        plc.thread.join(10)
        wait_until(lambda: not ing.connected.is_set(), timeout=30.0)
        plc2 = PlcServer.__new__(PlcServer)
        plc2.url, plc2.rec, plc2.n, plc2.bad_at, plc2.written = url, rec, 120, -1, 0
        plc2.ready, plc2.stop, plc2.start_at = threading.Event(), threading.Event(), 60
        plc2.go = threading.Event()
        plc2.thread = threading.Thread(target=asyncio.run, args=(plc2._main(),), daemon=True)
        plc2.thread.start()
        assert plc2.ready.wait(30)
        # reconnected by itself
        wait_until(lambda: ing.connects >= 2 and ing.connected.is_set(), timeout=30.0)
        plc2.go.set()
        wait_until(lambda: _next(ing.lines, "P1") == 120, 60)
        assert len(ing.lines.monitors["P1"].trace) == 120
        plc2.stop.set()
    finally:
        plc.stop.set()
        ing.close()
