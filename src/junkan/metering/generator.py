"""A generated day of compressor dismantling whose ground truth is seed 003's measured energy
per step: rotor removal 1.0, coil extraction 6.5, case cutting 2.8, demagnetising 8.8 kWh/day.

Three clamped circuits: ``press_line`` (three-phase, current only; the rotor press and the coil
puller share it, and their cycles overlap for some units), ``cutter`` (single-phase, current +
voltage + power factor) and ``demag`` (three-phase, current + voltage + power factor, sampled at
2 Hz, its sensor clock offset and drifting). Each unit's energy per step varies between units
(operators; lognormal) and the day's totals are scaled to the seed's exactly; power levels vary
±10 %, readings carry 1.5 % + 8 W noise, idle loads run all day, a few readings drop out and the
scan events are late or early by a few seconds. The current-only circuit is generated with the
voltage and power factor the pipeline assumes, so the test checks the pipeline, not the
assumption (see docs/metering.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SEED_KWH_PER_DAY = {
    "rotor_removal": 1.0,
    "coil_extraction": 6.5,
    "case_cutting": 2.8,
    "demagnetising": 8.8,
}
"""Seed 003, figure 「解体の工程ごと１日の消費電力量 (kWh/日) 測定結果」 (compressor
dismantling)."""

STEP_KW = {"rotor_removal": 1.2, "coil_extraction": 3.6, "case_cutting": 4.2, "demagnetising": 7.5}
"""Assumption: machine load levels (kW) of the generated line."""

CIRCUITS: dict[str, Any] = {
    "press_line": {"phases": 3, "steps": ["rotor_removal", "coil_extraction"]},
    "cutter": {"phases": 1, "steps": ["case_cutting"]},
    "demag": {
        "phases": 3,
        "steps": ["demagnetising"],
        "clock_offset_s": 3.0,
        "clock_drift_ppm": 40.0,
    },
}
IDLE_W = {"press_line": 150.0, "cutter": 60.0, "demag": 300.0}
RATE_HZ = {"press_line": 1.0, "cutter": 1.0, "demag": 2.0}
MEASURED = {"press_line": False, "cutter": True, "demag": True}
DAY_START = 1_785_000_000.0  # a fixed epoch (2026-07-25T17:20Z), for reproducible files


@dataclass
class Day:
    """A generated recording: readings, scan events, the circuits file and the truth."""

    readings: pd.DataFrame
    scans: pd.DataFrame
    circuits: dict[str, Any]
    truth: pd.DataFrame
    """One row per unit × step: true start, end and load energy (Wh)."""

    def truth_kwh_per_step(self) -> dict[str, float]:
        return {str(k): float(v) / 1000 for k, v in self.truth.groupby("step")["wh"].sum().items()}


def _schedule(
    rng: np.random.Generator, n: int, wh: dict[str, np.ndarray], kw: dict[str, np.ndarray]
) -> list[dict[str, Any]]:
    """Start and end of each unit's four steps; rotor removal of the next unit may begin while
    the coil puller still works on this one (same circuit)."""
    rows, t, free = [], 600.0, {s: 0.0 for s in STEP_KW}
    for u in range(n):
        prev_end = t
        for s in STEP_KW:
            d = wh[s][u] * 3.6 / kw[s][u]  # Wh / kW → s
            start = max(prev_end + rng.uniform(15, 60), free[s] + rng.uniform(10, 30))
            rows.append(
                {
                    "unit": u,
                    "step": s,
                    "start": start,
                    "end": start + d,
                    "kw": kw[s][u],
                    "wh": wh[s][u],
                }
            )
            free[s], prev_end = start + d, start + d
            if s == "coil_extraction":  # next unit's rotor removal: during (40 %) or after
                t = (
                    start + rng.uniform(0.3, 0.7) * d
                    if rng.random() < 0.4
                    else start + d + rng.uniform(20, 90)
                )
    return rows


def compressor_day(
    n_units: int = 24, seed: int = 0, models: tuple[str, ...] = ("CMP-A", "CMP-B")
) -> Day:
    """Generate the seed's compressor-dismantling day (see the module docstring)."""
    if not (2 <= n_units <= 500):
        raise ValueError("n_units: expected 2–500")
    rng = np.random.default_rng(seed)
    wh, kw = {}, {}
    for s, total in SEED_KWH_PER_DAY.items():
        w = rng.lognormal(0.0, 0.15, n_units)
        wh[s] = w / w.sum() * total * 1000
        kw[s] = STEP_KW[s] * rng.uniform(0.9, 1.1, n_units)
    truth = pd.DataFrame(_schedule(rng, n_units, wh, kw))
    truth["model"] = [models[u % len(models)] for u in truth["unit"]]
    truth["unit_id"] = [f"U{u:04d}" for u in truth["unit"]]
    end = float(truth["end"].max()) + 900
    frames = []
    for cid, spec in CIRCUITS.items():
        frames.append(_readings(rng, cid, spec, truth[truth["step"].isin(spec["steps"])], end))
    readings = pd.concat(frames, ignore_index=True)
    jitter = rng.normal(0, 3.0, (len(truth), 2))
    scan_start = truth["start"].to_numpy() + jitter[:, 0]
    # a scanner never records an end before the start: with hundreds of units a step lasts
    # a few seconds, and the jitter alone turned windows around (refused by scans_from_frame)
    scan_end = np.maximum(truth["end"].to_numpy() + jitter[:, 1], scan_start)
    scans = pd.DataFrame(
        {
            "unit_id": truth["unit_id"],
            "model": truth["model"],
            "step": truth["step"],
            "start": _iso(scan_start),
            "end": _iso(scan_end),
        }
    )
    return Day(readings, scans, {"circuits": CIRCUITS}, truth)


def _iso(t: np.ndarray) -> list[str]:
    ts = pd.to_datetime(DAY_START + t, unit="s", utc=True)
    return [x.isoformat(timespec="milliseconds") for x in ts]


def _readings(
    rng: np.random.Generator, cid: str, spec: dict[str, Any], cycles: pd.DataFrame, end: float
) -> pd.DataFrame:
    dt = 1.0 / RATE_HZ[cid]
    t = np.arange(0.0, end, dt) + rng.uniform(0, dt)
    p = np.full(len(t), IDLE_W[cid])
    for r in cycles.itertuples():
        # exact share of each sample's interval covered by the cycle (sample = interval mean)
        cover = np.clip(np.minimum(t + dt / 2, r.end) - np.maximum(t - dt / 2, r.start), 0, dt)
        p += 1000 * r.kw * cover / dt
    p *= 1 + rng.normal(0, 0.015, len(t))
    p += rng.normal(0, 8.0, len(t))
    keep = np.ones(len(t), bool)
    for a in rng.uniform(0, len(t) - 20, 4).astype(int):  # short dropouts
        keep[a : a + int(rng.integers(2, 6) / dt)] = False
    t, p = t[keep], np.maximum(p[keep], 0.0)
    three = spec["phases"] == 3
    if MEASURED[cid]:
        v = 200.0 * (1 + rng.normal(0, 0.01, len(t)))
        pf = np.where(p > IDLE_W[cid] * 2, 0.86, 0.45) + rng.normal(0, 0.005, len(t))
    else:
        v, pf = np.full(len(t), 200.0), np.full(len(t), 0.85)
    cur = p / ((math.sqrt(3) if three else 1.0) * v * pf)
    t_sensor = (
        t + spec.get("clock_offset_s", 0.0) + spec.get("clock_drift_ppm", 0.0) * 1e-6 * (t - t[0])
    )
    out = pd.DataFrame({"time": _iso(t_sensor), "circuit": cid, "current_a": np.round(cur, 4)})
    out["voltage_v"] = np.round(v, 2) if MEASURED[cid] else ""
    out["power_factor"] = np.round(pf, 4) if MEASURED[cid] else ""
    return out
