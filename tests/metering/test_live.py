"""Live input: the MQTT message format, ordering and quarantine (no broker), then a real
mosquitto and a real pymodbus server (slow) feeding the same metering path as CSV."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from junkan import metering
from junkan.metering import MeteringError
from junkan.metering.live import Feed, Publisher, Recorder, Subscriber, parse_message, to_messages
from junkan.metering.modbus import Poller, Register, decode, load_meters
from tests.waiting import wait_until

PLANT = metering.plant_from_dict(
    {"circuits": {"a": {"phases": 1, "steps": ["cut"], "max_gap_s": 3}}}
)


def msg(seq_: int, t0: float, n: int = 5, **extra: object) -> bytes:
    doc = {"station": "S1", "circuit": "a", "seq": seq_, "t": [t0 + i for i in range(n)]}
    doc |= {"current_a": [10.0] * n, "voltage_v": [100.0] * n, "power_factor": [None] * n}
    return json.dumps(doc | extra).encode()


def test_message_errors_name_the_field() -> None:
    assert parse_message(msg(0, 0.0)).line == "S1/a"
    cases = {
        b"\x00": "not JSON",
        msg(0, 0, **{"seq": -1}): "seq",
        msg(0, 0, circuit="a b"): "circuit",
        msg(0, 0, current_a=[1.0]): "current_a: 1 values",
        msg(0, 0, current_a=["x"] * 5): "current_a: only numbers",
        msg(0, 0, t=[0, None, 2, 3, 4]): "t: only numbers",
        msg(0, 0, extra=1): "unknown field",
        b'{"station":"S1","circuit":"a","seq":0,"t":[1],"current_a":[NaN]}': "not JSON",
        b"x" * 300_000: "bytes",
    }
    for payload, why in cases.items():
        with pytest.raises(MeteringError, match=why):
            parse_message(payload)


def test_feed_orders_batches_and_quarantines_bad_and_missing() -> None:
    rec = Recorder()
    feed = Feed(rec, max_wait=2, max_wait_s=0.0)
    for seq in (1, 0, 0, 2):  # out of order, one duplicate
        feed.push(msg(seq, seq * 5.0))
    feed.push(b"{bad", source="test")
    for seq in (4, 5, 6):  # 3 never comes
        feed.push(msg(seq, seq * 5.0))
    feed.push(msg(7, 35.0, current_a=[-1.0] * 5))  # rows refused by the row checks
    imp = rec.to_import(PLANT)
    t = imp.series["a"].t
    assert list(t[:15]) == [float(i) for i in range(15)]  # in order, duplicate dropped
    assert feed.stats()["S1/a"]["duplicates"] == 1
    reasons = imp.quarantine["reason"].tolist()
    assert any("not JSON" in r for r in reasons)
    assert any("seq 3 missing" in r for r in reasons)
    assert reasons.count("current: negative") == 5
    assert imp.series["a"].gaps == [(14.0, 20.0)]  # the missing batch is a gap, not energy
    # power: V measured, PF not → the sourced default 0.85
    assert imp.series["a"].power_w[0] == pytest.approx(100 * 10 * 0.85)


def test_modbus_register_decoding_and_meters_file_errors() -> None:
    words = list(struct.unpack(">HH", struct.pack(">f", 12.5))) + [850, 0xFFFF]
    assert decode(words, Register(10, "float32"), 10) == 12.5
    assert decode(words, Register(12, "uint16", 0.001), 10) == pytest.approx(0.85)
    assert decode(words, Register(13, "int16"), 10) == -1.0
    good = {"circuit": "a", "host": "127.0.0.1", "current_a": {"address": 0}}
    assert load_meters(doc={"meters": [good]})[0].block == (0, 2)
    for bad, why in (
        ({**good, "port": 0}, "port"),
        ({**good, "current_a": {"address": 0, "type": "float64"}}, "type"),
        ({**good, "current_a": {"address": 0, "scale": 0}}, "scale"),
        ({k: v for k, v in good.items() if k != "current_a"}, "current_a"),
        ({**good, "voltage_v": {"address": 300}}, "span"),
    ):
        with pytest.raises(MeteringError, match=why):
            load_meters(doc={"meters": [bad]})




@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("JUNKAN_TEST_MQTT_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the MQTT tests on a real broker: set JUNKAN_TEST_MQTT_URL")
        pytest.skip('JUNKAN_TEST_MQTT_URL not set (eval "$(bash .ci/services.sh)")')
    return url


@pytest.mark.slow
def test_mqtt_day_gives_the_same_factors_as_csv(mqtt_url: str) -> None:
    day = metering.compressor_day(n_units=4, seed=3)
    plant = metering.plant_from_dict(day.circuits)
    messages = to_messages(day.readings, "S1", batch=200)
    random.Random(0).shuffle(messages[5:40])  # arrive out of order (within the wait)
    rec = Recorder()
    sub = Subscriber(mqtt_url, rec, "S1")
    pub = Publisher(mqtt_url, "S1")
    try:
        assert sub.connected.wait(10) and pub.connected.wait(10)
        time.sleep(0.2)
        for i, m in enumerate(messages):
            pub.publish(m)
            if i == 10:
                pub.publish(messages[3])  # a duplicate
                pub.publish(b'{"station": "S1"}')  # malformed
        wait_until(lambda: len(rec.rows) == len(day.readings), timeout=30.0)
    finally:
        pub.close()
        sub.close()
    live = metering.run(rec.to_import(plant), plant, metering.scans_from_frame(day.scans, plant))
    csv = metering.run_frames(day.readings, day.scans, plant)
    pd.testing.assert_frame_equal(live.totals, csv.totals, rtol=1e-9)
    assert live.imported.quarantine["reason"].str.contains("circuit: give").sum() == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def modbus_meter() -> Iterator[tuple[int, dict[str, float]]]:
    """A real pymodbus TCP server on loopback: a meter whose current steps 5 A → 20 A, with
    float32 current and voltage and a uint16 power factor (×0.001)."""
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    state = {"current": 5.0, "voltage": 201.5, "pf": 0.81}

    async def action(
        fc: int, start: int, address: int, count: int, regs: list[int], sv: object
    ) -> None:
        words = struct.unpack(">HHHH", struct.pack(">ff", state["current"], state["voltage"]))
        regs[0 - start : 4 - start] = list(words)
        regs[4 - start] = round(state["pf"] * 1000)

    device = SimDevice(
        id=1, simdata=[SimData(0, count=10, values=0, datatype=DataType.REGISTERS)], action=action
    )
    port = _free_port()
    loop = asyncio.new_event_loop()
    holder: dict[str, ModbusTcpServer] = {}
    ready = threading.Event()

    async def serve() -> None:
        holder["server"] = ModbusTcpServer(device, address=("127.0.0.1", port))
        ready.set()
        await holder["server"].serve_forever()

    th = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    th.start()
    assert ready.wait(10)
    time.sleep(0.3)
    try:
        yield port, state
    finally:
        asyncio.run_coroutine_threadsafe(holder["server"].shutdown(), loop).result(10)
        th.join(10)
        loop.close()


@pytest.mark.slow
def test_modbus_meter_polled_into_the_metering_path(
    modbus_meter: tuple[int, dict[str, float]],
) -> None:
    port, state = modbus_meter
    meters = load_meters(
        doc={
            "meters": [
                {
                    "circuit": "a",
                    "host": "127.0.0.1",
                    "port": port,
                    "current_a": {"address": 0},
                    "voltage_v": {"address": 2},
                    "power_factor": {"address": 4, "type": "uint16", "scale": 0.001},
                },
                {
                    "circuit": "a",
                    "host": "127.0.0.1",
                    "port": _free_port(),
                    "current_a": {"address": 0},
                },  # nothing listens: quarantined
            ]
        }
    )
    rec = Recorder()
    poller = Poller(meters, rec, timeout_s=0.5)
    try:
        for _ in range(5):
            poller.poll()
        state["current"] = 20.0
        for _ in range(5):
            poller.poll()
    finally:
        poller.close()
    imp = rec.to_import(PLANT, source="modbus")
    s = imp.series["a"]
    assert len(s.t) == 10
    p_lo, p_hi = 201.5 * 5 * 0.81, 201.5 * 20 * 0.81
    assert s.power_w[:5] == pytest.approx([p_lo] * 5, rel=1e-6)
    assert s.power_w[5:] == pytest.approx([p_hi] * 5, rel=1e-6)
    assert (imp.quarantine["reason"].str.contains("read failed")).sum() == 10
    assert "voltage_v" not in s.assumptions and "power_factor" not in s.assumptions


def test_a_broker_refusing_the_connection_is_not_taken_as_connected() -> None:
    """Review 242: a broker answering 'not authorised' set ``connected``; meter listen then
    recorded nothing and said 'no readings received'."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.reasoncodes import ReasonCode

    sub = Subscriber("mqtt://127.0.0.1:9", Recorder(), "S1")
    try:
        sub._on_connect(sub.client, None, None, ReasonCode(PacketTypes.CONNACK,
                                                           "Not authorized"), None)
        assert sub.refused == "Not authorized"
        assert not sub.ever_connected and not sub.connected.is_set()
    finally:
        sub.close()
    with pytest.raises(MeteringError, match="without a login"):
        Subscriber("mqtt://meter:secret@127.0.0.1:1883", Recorder(), "S1")


@pytest.mark.slow
def test_a_recording_whose_folder_is_taken_meanwhile_is_kept(mqtt_url: str,
                                                             tmp_path: Path) -> None:
    """Review 242: a file put into --out during the recording made the end refuse the
    folder, and the readings, which cannot be recorded again, were thrown away."""
    from typer.testing import CliRunner

    from junkan.cli.meter import app

    day = metering.compressor_day(n_units=2, seed=3)
    (tmp_path / "circuits.yaml").write_text(yaml.safe_dump(day.circuits))
    out = tmp_path / "live"
    result: list[Any] = []
    listen = threading.Thread(target=lambda: result.append(CliRunner().invoke(app, [
        "listen", "-c", str(tmp_path / "circuits.yaml"), "--broker", mqtt_url, "--station",
        "KEEP1", "--seconds", "10", "--out", str(out)])))  # publishing: ~4 s (review 260)
    listen.start()
    messages = to_messages(day.readings.head(1200), "KEEP1", batch=100)
    pub = Publisher(mqtt_url, "KEEP1")  # a station no other test uses
    try:  # a batch every 0.3 s over the recording (the CLI subscribes when it has started)
        assert pub.connected.wait(10)
        for m in messages:
            time.sleep(0.3)
            pub.publish(m)
    finally:
        pub.close()
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    listen.join(30)
    res = result[0]
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "notes.txt" in said, said
    n = int(said.split(" reading(s) recorded are kept in")[0].rsplit(" ", 1)[1])
    (kept,) = tmp_path.glob("live-recording-*/readings.csv")  # beside --out
    assert 0 < n == len(pd.read_csv(kept))
    assert (out / "notes.txt").read_text() == "mine"
