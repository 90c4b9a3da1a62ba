"""Scoring every detector (and the fused monitor) on labelled recordings, in the same run:
event F1 per event type, latency p50/p95 (from onset and after the sensor's own lag), false
alarms per hour of normal running, NAB (standard, reward-low-FN) and VUS-PR."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.sensing.detectors import alarm_intervals
from junkan.sensing.features import STEP
from junkan.sensing.generator import Recording
from junkan.sensing.metrics import Window, match, nab_score, percentile, vus_pr
from junkan.sensing.monitor import DETECTORS, Models, Monitor, monitor_recording
from junkan.sensing.scenario import STATES, State

SYSTEMS = ("monitor", *DETECTORS)
"""What is scored: the fused monitor (any advisory action) and each detector alone."""


def detector_alarms(mon: Monitor, name: str, threshold: float) -> list[tuple[float, float]]:
    """Alarm intervals of one system from a monitor's per-step trace."""
    t = np.array([r["t"] for r in mon.trace])
    if name == "monitor":
        score = np.array([r["action"] for r in mon.trace])
        return alarm_intervals(t, score, 1.0, on_steps=1, off_steps=1)
    score = np.array([r[f"{name}_score"] for r in mon.trace])
    on = 1 if name == "rules" else 2
    return alarm_intervals(t, score, threshold, on_steps=on, off_steps=10)


def score_series(mon: Monitor, name: str, threshold: float) -> np.ndarray:
    key = "action" if name == "monitor" else f"{name}_score"
    s = np.array([r[key] for r in mon.trace])
    return s / (threshold if name != "monitor" else 1.0)


def evaluate_recordings(models: Models, recs: list[Recording]) -> dict[str, Any]:
    """Per system: totals over the recordings, and per event type."""
    acc: dict[str, dict[str, Any]] = {s: _empty() for s in SYSTEMS}
    th = models.thresholds()
    for rec in recs:
        mon = monitor_recording(models, rec)
        t = np.array([r["t"] for r in mon.trace])
        wins = [Window(e.type, e.onset_s, e.end_s, e.observable_s) for e in rec.events if e.anomaly]
        faults = [(a, b) for _, _, a, b in rec.faults]
        label = np.zeros(len(t))
        for w in wins:
            label[(t >= w.onset) & (t <= w.end)] = 1
        normal_h = _normal_hours(rec)
        for s in SYSTEMS:
            alarms = detector_alarms(mon, s, th.get(s, 1.0))
            _add(
                acc[s],
                alarms,
                wins,
                faults,
                normal_h,
                rec.duration,
                score_series(mon, s, th.get(s, 1.0)),
                label,
            )
    return {s: _finish(a) for s, a in acc.items()}


def _normal_hours(rec: Recording) -> float:
    normal = np.isin(rec.state, [STATES.index(State.NORMAL), STATES.index(State.IDLE)])
    return float(normal.sum() * 0.01 / 3600)


def _empty() -> dict[str, Any]:
    return {
        "alarms": 0,
        "fp": 0,
        "fault_alarms": 0,
        "normal_h": 0.0,
        "events": {},
        "nab": {"standard": [], "reward_low_fn": []},
        "vus": [],
    }


def _add(
    a: dict[str, Any],
    alarms: list[tuple[float, float]],
    wins: list[Window],
    faults: list[tuple[float, float]],
    normal_h: float,
    length: float,
    score: np.ndarray,
    label: np.ndarray,
) -> None:
    detected, fps, in_fault = match(alarms, wins, faults)
    a["alarms"] += len(alarms) - in_fault
    a["fp"] += len(fps)
    a["fault_alarms"] += in_fault
    a["normal_h"] += normal_h
    for i, w in enumerate(wins):
        ev = a["events"].setdefault(w.kind, {"n": 0, "hit": 0, "lat": [], "lat_obs": []})
        ev["n"] += 1
        if i in detected:
            ev["hit"] += 1
            ev["lat"].append(detected[i] - w.onset)
            ev["lat_obs"].append(max(0.0, detected[i] - w.observable))
    if wins:
        for p in a["nab"]:
            a["nab"][p].append(nab_score(alarms, [w.onset for w in wins], length, p))
        a["vus"].append(vus_pr(score, label, max_buffer=int(2 / STEP)))


def _finish(a: dict[str, Any]) -> dict[str, Any]:
    n_ev = sum(e["n"] for e in a["events"].values())
    hits = sum(e["hit"] for e in a["events"].values())
    tp_alarms = a["alarms"] - a["fp"]
    # 0/0 is not a score: no alarms leaves precision undefined (not 1, "never wrong"), no
    # events leaves recall undefined, and no normal running leaves the false-alarm rate so
    precision = tp_alarms / a["alarms"] if a["alarms"] else None
    recall = hits / n_ev if n_ev else None
    per_type = {}
    for kind, e in sorted(a["events"].items()):
        r = e["hit"] / e["n"]
        per_type[kind] = {
            "events": e["n"],
            "detected": e["hit"],
            "recall": r,
            "f1": _f1(precision, r),
            "latency_p50_s": percentile(e["lat"], 50),
            "latency_p95_s": percentile(e["lat"], 95),
            "after_sensor_lag_p95_s": percentile(e["lat_obs"], 95),
        }
    return {
        "alarms": a["alarms"],
        "false_alarms": a["fp"],
        "alarms_in_sensor_faults": a["fault_alarms"],
        "false_alarms_per_8h": 8 * a["fp"] / a["normal_h"] if a["normal_h"] else None,
        "normal_hours": a["normal_h"],
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "nab_standard": float(np.nanmean(a["nab"]["standard"])) if a["vus"] else None,
        "nab_reward_low_fn": float(np.nanmean(a["nab"]["reward_low_fn"])) if a["vus"] else None,
        "vus_pr": float(np.nanmean(a["vus"])) if a["vus"] else None,
        "by_event": per_type,
    }


def _f1(p: float | None, r: float | None) -> float | None:
    """F1 of precision and recall. Undefined (None) without events (no recall); with events
    but no alarms (no precision) it is 0: every event was missed (recall is then 0)."""
    if r is None:
        return None
    if p is None:
        return 0.0
    return 2 * p * r / (p + r) if p + r > 0 else 0.0
