"""Ingest over a real MQTT broker (mosquitto): order, malformed messages, and a broker killed
and restarted mid-stream without losing or duplicating a sample."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from junkan import sensing
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _batches(n: int, seed: int = 5) -> tuple[sensing.Recording, list[sensing.Batch]]:
    rec = sensing.generate(sensing.Scenario(duration_s=n / 10 + 1, seed=seed))
    return rec, [
        sensing.Batch(
            "L1", i, 1000.0 + i * 0.1, {k: v[i * 10 : (i + 1) * 10] for k, v in rec.signals.items()}
        )
        for i in range(n)
    ]




def test_ingest_in_order_and_malformed_messages_do_not_stop_the_line(
    mqtt_url: str, models: sensing.Models, tmp_path: Path
) -> None:
    from junkan.sensing.mqtt import PREFIX, Gateway, Ingest

    rec, batches = _batches(200)
    ing = Ingest(mqtt_url, models, rec.params, store=sensing.RawStore(tmp_path))
    gw = Gateway(mqtt_url, "L1")
    try:
        assert ing.connected.wait(10) and gw.connected.wait(10)
        time.sleep(0.3)
        for i, b in enumerate(batches):
            gw.publish(b)
            if i == 50:
                gw.client.publish(f"{PREFIX}/L1/batch", b'{"line": "L1", "seq": "x"}', qos=1)
                gw.client.publish(f"{PREFIX}/L1/batch", b"\x00garbage", qos=1)
        wait_until(lambda: ing.order.get("L1") is not None and ing.order["L1"].next == 200)
    finally:
        gw.close()
        ing.close()
    assert len(ing.malformed) == 2 and "seq" in ing.malformed[0]
    st = ing.order["L1"].stats
    assert st.accepted == 200 and st.missing == 0
    assert len(ing.monitors["L1"].trace) == 200
    back = sensing.read_raw(tmp_path, "L1", rec.params)  # type: ignore[arg-type]
    assert np.allclose(back.signals["current"], rec.signals["current"][:2000])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_broker(mqtt_url: str, tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A private mosquitto (the shared one is never killed), restartable by the test."""
    port = _free_port()
    conf = tmp_path / "m.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 100000\n")
    procs = [subprocess.Popen([MOSQUITTO, "-c", str(conf)], stderr=subprocess.DEVNULL)]
    time.sleep(0.5)
    procs.append(procs[0])  # procs[-1] is the running one
    yield f"mqtt://127.0.0.1:{port}", procs
    for p in procs:
        p.kill()
        p.wait()


def test_broker_killed_and_restarted_loses_and_duplicates_nothing(
    own_broker: tuple[str, list[subprocess.Popen]], models: sensing.Models
) -> None:
    from junkan.sensing.mqtt import Gateway, Ingest

    url, procs = own_broker
    rec, batches = _batches(300)
    seen: list[int] = []
    ing = Ingest(url, models, rec.params)
    gw = Gateway(url, "L1")
    try:
        assert ing.connected.wait(10) and gw.connected.wait(10)
        time.sleep(0.3)
        for b in batches[:100]:
            gw.publish(b)
        # The ingest has seen the line begin: a line starts at the first seq it sees, so a
        # broker killed before it passed on batch 0 would make a later start (CI, 2026-12-07).
        wait_until(lambda: "L1" in ing.order and ing.order["L1"].stats.accepted > 0)
        procs[-1].kill()  # SIGKILL: the broker's state is gone
        procs[-1].wait()
        for b in batches[100:200]:  # published while the broker is away
            gw.publish(b)
        conf = procs[0].args[-1]  # type: ignore[index]
        procs.append(subprocess.Popen([MOSQUITTO, "-c", conf], stderr=subprocess.DEVNULL))
        wait_until(lambda: ing.connected.is_set() and gw.connected.is_set())
        for b in batches[200:]:
            gw.publish(b)
        wait_until(lambda: ing.order["L1"].next == 300, timeout=30)
    finally:
        gw.close()
        ing.close()
    st = ing.order["L1"].stats
    trace = ing.monitors["L1"].trace
    seen = [round(r["t"] * 10) for r in trace]
    assert st.missing == 0 and st.accepted == 300
    assert len(trace) == 300 and seen == sorted(set(seen))  # none lost, none twice
