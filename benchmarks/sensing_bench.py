"""Shredder monitor benchmark (issue 19). Targets:

* held-out seeds: event F1 ≥ 0.9 for jams, overloads and gas/battery events; p95 latency
  ≤ 0.5 s for jam/overload and ≤ 2 s after the gas sensor's own lag; ≤ 1 false alarm per 8 h
  of normal running — every detector compared in the same run;
* ≥ 100× real time per core for one line at 100 Hz features, acoustic features from 16 kHz
  audio included; 10 lines on one core in real time; memory per line ≤ 100 MiB;
* end-to-end latency broker → monitor decision p95 ≤ 100 ms on loopback: ``--broker [URL]``
  (default ``JUNKAN_TEST_MQTT_URL`` or mqtt://127.0.0.1:1883) measures only this, through the
  service's live-line path and the multi-line ingest, into ``results/sensing_broker.json``.

Seeds (never mixed): tuning ``junkan.sensing.TUNING_SEEDS`` (0–4, 15-minute mixed scenarios:
every fitted number and calibrated threshold); validation 50–59 and 1050–1060 (looked at while
the detectors were developed, issue 19 part 2); test, held out and run only by this script:
seeds 700–704 (mixed, 23 minutes each) and seed 800 (``--normal-hours`` of normal running
with decoys and door slams, no anomalies). Part 1 reported on seeds 100–104 and 300, which
were then looked at, so they are no longer a test set. The load average is recorded next to
every timing (the machine is shared).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sensing_bench.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sensing_bench.py --quick   # smaller
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sensing_bench.py --broker  # latency only

Results: ``results/sensing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from junkan import sensing
from junkan.sensing.features import BATCH

OUT = Path(__file__).parent / "results" / "sensing.json"
TEST_SEEDS = [700, 701, 702, 703, 704]
NORMAL_SEED = 800
TARGETS = {"false_alarms_per_8h": 1.0, "latency_p95_s": 0.5, "f1": 0.9}


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def verdict(systems: dict[str, Any]) -> dict[str, Any]:
    """The three quality targets for the fused monitor, met or not."""
    m = systems["monitor"]
    lat = {k: m["by_event"][k]["latency_p95_s"] for k in ("jam", "overload") if k in m["by_event"]}
    f1 = {k: e["f1"] for k, e in m["by_event"].items()}
    return {
        "false_alarms_per_8h": m["false_alarms_per_8h"],
        "latency_p95_s": lat,
        "f1_by_event": f1,
        "met": {
            "false_alarms": m["false_alarms_per_8h"] <= TARGETS["false_alarms_per_8h"],
            "latency": all(v <= TARGETS["latency_p95_s"] for v in lat.values()),
            "f1": all(v >= TARGETS["f1"] for v in f1.values()),
        },
    }


def quality(
    models: sensing.Models, seeds: list[int], minutes: float, normal_hours: float
) -> dict[str, Any]:
    scs = [sensing.tuning_scenario(s, minutes * 60) for s in seeds]
    scs.append(
        sensing.Scenario.model_validate(
            {
                "name": "normal",
                "seed": NORMAL_SEED,
                "duration_s": normal_hours * 3600,
                "random": {"per_hour": {"decoy": 20, "door_slam": 10}, "min_gap_s": 60},
            }
        )
    )
    t0 = time.perf_counter()
    before = loadavg()
    ev = sensing.evaluate(scs, models)
    systems = ev.to_json()["systems"]
    return {
        "seconds": time.perf_counter() - t0,
        "loadavg_before_after": [before, loadavg()],
        "test_seeds": ev.test_seeds,
        "targets": verdict(systems),
        "systems": systems,
    }


def throughput(models: sensing.Models, seconds: float) -> dict[str, Any]:
    """One line: 16 kHz audio → acoustic features → the monitor, batch by batch."""
    rec = sensing.generate(sensing.tuning_scenario(150, max(seconds, 700)))
    n = int(seconds * 100) // BATCH
    before = loadavg()
    audio = sensing.synthesize_audio(rec, 0, n * BATCH)
    mon = sensing.Monitor(models, rec.params, "L1", trace_max=600)  # type: ignore[arg-type]
    hop = 160 * BATCH
    t0 = time.perf_counter()
    for i in range(n):
        s = slice(i * BATCH, (i + 1) * BATCH)
        batch = {k: v[s] for k, v in rec.signals.items()}
        batch.update(sensing.acoustic_features(audio[i * hop : (i + 1) * hop]))
        mon.process(float(rec.t[s.start]), batch)
    el = time.perf_counter() - t0
    return {
        "recording_s": n * BATCH / 100,
        "elapsed_s": el,
        "real_time_factor": n * BATCH / 100 / el,
        "lines_per_core_real_time": n * BATCH / 100 / el,
        "loadavg_before_after": [before, loadavg()],
    }


def memory(models: sensing.Models, seconds: float) -> dict[str, Any]:
    rec = sensing.generate(sensing.tuning_scenario(151, 700))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    mon = sensing.Monitor(models, rec.params, "L1", trace_max=6000)  # type: ignore[arg-type]
    for i in range(int(seconds * 100) // BATCH):
        s = slice(i * BATCH, (i + 1) * BATCH)
        mon.process(float(rec.t[s.start]), {k: v[s] for k, v in rec.signals.items()})
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "per_line_mib": (cur - base) / 2**20,
        "peak_mib": (peak - base) / 2**20,
        "trace_kept_steps": 6000,
    }


def loopback(models: sensing.Models, url: str, seconds: float, hub: bool = False) -> dict[str, Any]:
    """Batches published at 10 Hz by a gateway → broker → the ingest's monitor decision.
    ``hub``: through the service's live-line path (``mqtt.LineFeed`` into a
    ``LineIngest`` whose listener — the live stream — hears the decision step), else the
    multi-line ``mqtt.Ingest``."""
    from junkan.sensing.mqtt import Gateway, Ingest, LineFeed

    rec = sensing.generate(sensing.tuning_scenario(152, 700))
    decided: dict[int, float] = {}
    if hub:
        lines = sensing.LineIngest(models, rec.params, trace_max=6000)
        lines.listeners.append(
            lambda _l, ev: (
                decided.setdefault(ev["seq"], time.monotonic()) if ev["kind"] == "step" else None
            )
        )
        ing: Any = LineFeed(url, "LB", lines, protocol="5")
    else:
        ing = Ingest(url, models, rec.params)
    gw = Gateway(url, "LB")
    ing.connected.wait(10)
    gw.connected.wait(10)
    time.sleep(0.5)
    n = int(seconds * 10)
    before = loadavg()
    t0 = time.monotonic()
    for i in range(n):
        s = slice(i * BATCH, (i + 1) * BATCH)
        gw.publish(
            sensing.Batch("LB", i, float(rec.t[s.start]), {k: v[s] for k, v in rec.signals.items()})
        )
        time.sleep(max(0.0, t0 + (i + 1) * 0.1 - time.monotonic()))
    time.sleep(1.0)
    gw.close()
    ing.close()
    at = (
        decided
        if hub
        else {s: ing.processed_at[("LB", s)] for s in range(n) if ("LB", s) in ing.processed_at}
    )
    lat = [1000 * (at[s] - gw.sent_at[s]) for s in range(n) if s in at]
    return {
        "path": "service live line (LineFeed, MQTT 5)" if hub else "mqtt.Ingest (MQTT 3.1.1)",
        "messages": n,
        "received": len(lat),
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "max_ms": float(np.max(lat)),
        "target_p95_ms": 100.0,
        "loadavg_before_after": [before, loadavg()],
    }


def broker_only(url: str, seconds: float, out: Path) -> None:
    """Only the broker → decision latency (both paths), with the service's models."""
    t0 = time.perf_counter()
    models = sensing.train((0, 1, 2), 600.0)  # the service's monitor (SERVICE_TUNING)
    doc = {
        "date": time.strftime("%Y-%m-%d"),
        "train_s": time.perf_counter() - t0,
        "broker": url,
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "machine": "2-core shared",
        "loadavg_at_start": loadavg(),
        "hub": loopback(models, url, seconds, hub=True),
        "ingest": loopback(models, url, seconds),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, default=float) + "\n", encoding="utf-8")
    print(json.dumps({k: doc[k] for k in ("hub", "ingest", "loadavg_at_start")}, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--normal-hours", type=float, default=6.0)
    ap.add_argument(
        "--broker",
        nargs="?",
        const=os.environ.get("JUNKAN_TEST_MQTT_URL", "mqtt://127.0.0.1:1883"),
        help="measure broker → decision latency only (results/sensing_broker.json)",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="--broker: seconds per path")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    if a.broker:
        broker_only(a.broker, a.seconds, a.out or OUT.with_name("sensing_broker.json"))
        return
    a.out = a.out or OUT
    t0 = time.perf_counter()
    models = sensing.train()
    out: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "train_s": time.perf_counter() - t0,
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "machine": "2-core shared",
        "loadavg_at_start": loadavg(),
        "load_limit": models.detectors["rules"].params()["load_calibration"],
    }
    seeds = TEST_SEEDS[:2] if a.quick else TEST_SEEDS
    hours = 0.5 if a.quick else a.normal_hours
    out["quality"] = quality(models, seeds, 23.0, hours)
    out["throughput"] = throughput(models, 120 if a.quick else 600)
    out["memory"] = memory(models, 600)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1, default=float) + "\n", encoding="utf-8")
    q = out["quality"]["systems"]

    def f(x: Any) -> str:
        return "-" if x is None else f"{x:.2f}"

    for name, s in q.items():
        per = ", ".join(
            f"{k} F1 {f(e['f1'])} p95 {f(e['latency_p95_s'])}s "
            f"after-lag {f(e['after_sensor_lag_p95_s'])}s"
            for k, e in s["by_event"].items()
        )
        print(
            f"{name:9s} F1 {f(s['f1'])} FA/8h {f(s['false_alarms_per_8h'])} "
            f"NAB {f(s['nab_standard'])} VUS {f(s['vus_pr'])} | {per}"
        )
    print("targets (monitor)", json.dumps(out["quality"]["targets"], default=float))
    print("throughput", out["throughput"], "\nmemory", out["memory"])


if __name__ == "__main__":
    main()
