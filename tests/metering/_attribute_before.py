"""``junkan.metering.attribute.attribute`` as it was before it found each segment's events with
a sweep over the events sorted by start (copied verbatim from commit 0b6063f), kept as the
reference that ``test_attribute_fast.py`` checks the fast one against: every on-segment is
matched against every scan event of its circuit (numpy over all the circuit's rows, then
pandas ``.iat``/``.at`` per element), so the cost is segments × events."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np
import pandas as pd

from junkan.core.errors import short
from junkan.metering.attribute import SCAN_COLUMNS, Attribution
from junkan.metering.config import Plant, refused
from junkan.metering.segment import Segment, Segmentation


def _candidates(seg: Segment, ev: pd.DataFrame, tol: float
                ) -> tuple[list[int], dict[int, dict[int, float]]]:
    """Events whose widened window overlaps the segment, one per step (the one overlapping
    most; a machine works on one unit at a time), and, per such event, how the step's share is
    divided among that step's units: when the exact windows of several units of one step each
    overlap the segment by more than ``tol`` (more than late or early scanning explains: the
    machine ran on from one unit to the next without falling idle), by their overlap time;
    otherwise all to the one overlapping most."""
    s, e = ev["start"].to_numpy(float), ev["end"].to_numpy(float)
    widened = np.minimum(seg.end, e + tol) - np.maximum(seg.start, s - tol)
    exact = np.minimum(seg.end, e) - np.maximum(seg.start, s)
    per_step: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for j in np.flatnonzero(widened > 0):
        per_step[str(ev["step"].iat[j])].append((float(exact[j]), int(ev.index[j])))
    best: list[tuple[float, int]] = []
    units: dict[int, dict[int, float]] = {}
    for found in per_step.values():
        top = max(found, key=lambda k: k[0])  # ties: the first row
        best.append(top)
        within = [(x, i) for x, i in found if x > tol]
        total = sum(x for x, _ in within)
        units[top[1]] = ({i: x / total for x, i in within} if len(within) > 1
                         else {top[1]: 1.0})
    return [i for _, i in sorted(best, reverse=True)], units


def _signatures(segs: list[tuple[Segment, list[int], float]], ev: pd.DataFrame) -> dict[str, float]:
    """Median load level per step over the segments that exactly one candidate event covers
    for at least half of their duration (scan windows not widened)."""
    levels: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for seg, cand, idle in segs:
        dur = seg.end - seg.start
        major = [
            i
            for i in cand
            if min(seg.end, ev.at[i, "end"]) - max(seg.start, ev.at[i, "start"]) >= 0.5 * dur
        ]
        if len(major) == 1:
            levels[str(ev.at[major[0], "step"])].append((seg.level_w - idle, dur))
    return {k: _weighted_median(v) for k, v in levels.items()}


def _weighted_median(pairs: list[tuple[float, float]]) -> float:
    """Duration-weighted median (short transition pieces weigh little)."""
    lev = np.array([p[0] for p in pairs])
    w = np.maximum(np.array([p[1] for p in pairs]), 1e-9)
    order = np.argsort(lev)
    cum = np.cumsum(w[order])
    return float(lev[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _split(
    seg: Segment, idle: float, cand: list[int], ev: pd.DataFrame, sig: dict[str, float]
) -> dict[int, float]:
    """Shares of the segment's energy among candidate events (see the module docstring)."""
    if len(cand) == 1:
        return {cand[0]: 1.0}
    load = seg.level_w - idle
    best: tuple[float, tuple[int, ...]] | None = None
    for r in range(1, min(len(cand), 3) + 1):
        for sub in combinations(cand[:6], r):
            steps = [str(ev.at[i, "step"]) for i in sub]
            if len(set(steps)) < r or any(s not in sig for s in steps):
                continue  # one machine runs one unit at a time
            err = abs(sum(sig[s] for s in steps) - load)
            if best is None or err < best[0]:
                best = (err, sub)
    if best is None:  # no signatures: the event overlapping most takes it
        ov = [min(seg.end, ev.at[i, "end"]) - max(seg.start, ev.at[i, "start"]) for i in cand]
        return {cand[int(np.argmax(ov))]: 1.0}
    total = sum(sig[str(ev.at[i, "step"])] for i in best[1])
    return {i: sig[str(ev.at[i, "step"])] / total for i in best[1]}


def attribute(
    segs: dict[str, Segmentation],
    scans: pd.DataFrame | None,
    plant: Plant,
    tolerance_s: float = 15.0,
) -> Attribution:
    """Attribute every on-segment of ``segs`` (see the module docstring)."""
    if not (0 <= tolerance_s <= 3600):
        raise refused("tolerance_s", "tolerance-range", "expected 0–3600 s, got {value}",
                      value=short(tolerance_s))
    ev = (
        scans
        if scans is not None
        else pd.DataFrame(columns=[*SCAN_COLUMNS, "circuit"]).astype({"start": float, "end": float})
    )
    ev = ev.reset_index(drop=True)
    found: list[tuple[Segment, list[int], float]] = []
    units: list[dict[int, dict[int, float]]] = []
    for cid, sg in segs.items():
        mine = ev[ev["circuit"] == cid]
        for s in sg.segments:
            if s.on:
                cand, by_unit = _candidates(s, mine, tolerance_s)
                found.append((s, cand, sg.idle_w))
                units.append(by_unit)
    sig = _signatures(found, ev)
    energy = np.zeros(len(ev))
    active = np.zeros(len(ev))
    shared = np.zeros(len(ev), bool)
    inferred: list[dict[str, object]] = []
    residual: defaultdict[str, float] = defaultdict(float)
    for (seg, cand, idle), by_unit in zip(found, units, strict=True):
        if not cand:
            steps = plant.circuits[seg.circuit].steps
            if len(steps) == 1:
                inferred.append(
                    {
                        "circuit": seg.circuit,
                        "step": steps[0],
                        "start": seg.start,
                        "end": seg.end,
                        "wh": seg.energy_wh,
                    }
                )
            else:
                residual[seg.circuit] += seg.energy_wh
            continue
        shares = _split(seg, idle, cand, ev, sig)
        for rep, f in shares.items():  # per step, then per unit of that step
            for i, w in by_unit[rep].items():
                energy[i] += f * w * seg.energy_wh
                active[i] += w * (seg.end - seg.start)
                shared[i] |= len(shares) > 1 or len(by_unit[rep]) > 1
    out = ev.assign(wh=energy, operating_s=active, shared=shared)
    return Attribution(
        out,
        pd.DataFrame(inferred, columns=["circuit", "step", "start", "end", "wh"]),
        dict(residual),
        sig,
    )
