"""Attribute on-segments to process steps and units with the station's scan events.

A scan event is ``unit_id, model, step, start, end`` (CSV; times ISO 8601 or seconds, on the
station clock), one per unit and step (a repeated row would count as a second unit). Each
on-segment of a circuit is matched to the events of that circuit's steps whose window, widened
by ``tolerance_s`` (operators scan late or early), overlaps it:

- one event: the segment's load energy goes to it (of several events of one step, the one
  overlapping most — unless several units' exact windows each overlap the segment by more than
  ``tolerance_s``: the machine ran on from one unit to the next without falling idle, and the
  step's energy is shared among those units by overlap time, ``shared``);
- several: the subset of candidate events whose steps' *load signatures* (duration-weighted
  median load level of the step, learnt from segments that a single event's exact window
  mostly covers) best
  add up to the segment's level is chosen, and the energy is split between them in
  proportion to their signatures — this is how two machines running at once on one circuit
  are separated;
- none: on a circuit with a single step the segment is attributed to that step with no unit
  (``inferred``); otherwise it is left in the residual.

Cost: each circuit's events are sorted by start once and each segment's overlapping events are
found by a sweep (:mod:`junkan.metering.windows`, correct however long an event is); the
overlaps are then computed with numpy for those pairs only, and the events read from arrays.
Before, every on-segment was tested against every event of its circuit (numpy over all its
rows, then pandas ``.iat``/``.at`` per element): segments × events. Same results, bit for bit
(``tests/metering/test_attribute_fast.py`` against the code before). Measured 2026-12-07,
``benchmarks/metering_bench.py --attribute`` (CPU s, best of 3, one core of a shared 2-core
machine): 1,000 / 10,000 / 100,000 segments and as many events on one circuit 0.007 / 0.063 /
0.96 s, before 0.088 / 1.09 / 30.6 s; over 10 circuits 0.007 / 0.059 / 0.94 s, before 0.087 /
0.83 / 10.8 s; 300,000 on one circuit 3.7 s.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import chain, combinations
from pathlib import Path

import numpy as np
import pandas as pd

from junkan.core.errors import brief, listed, short
from junkan.metering.config import MeteringError, Plant, refused
from junkan.metering.csvfile import read_cells
from junkan.metering.ingest import parse_times
from junkan.metering.segment import Segment, Segmentation
from junkan.metering.windows import overlapping

SCAN_COLUMNS = ("unit_id", "model", "step", "start", "end")
MAX_SCANS = 1_000_000
NAME_CHARS = 200
"""Longest unit id, model or step name of a scan event (200 characters, an assumption: serial
numbers and model codes are far shorter). A model name becomes a process name of the factors
and of ``library.yaml``; before this limit a 140,000-character one was written into both."""


def read_scans(path: str | Path, plant: Plant) -> pd.DataFrame:
    """Read scan events; every row must be valid (errors name the line and field)."""
    return scans_from_frame(read_cells(path), plant, str(path))


def scans_from_frame(df: pd.DataFrame, plant: Plant, source: str = "<scans>") -> pd.DataFrame:
    """Validate a table of scan events; returns it with float ``start``/``end`` seconds."""
    if missing := [c for c in SCAN_COLUMNS if c not in df.columns]:
        raise refused(source, "columns-missing", "missing column(s): {columns}",
                      columns=", ".join(missing))
    if len(df) > MAX_SCANS:
        raise refused(source, "scans-too-many", "{count} scan events; at most {most}",
                      count=len(df), most=MAX_SCANS)
    df = df.reset_index(drop=True).copy()
    start, end = parse_times(df["start"].astype(str)), parse_times(df["end"].astype(str))
    seen: dict[tuple[str, str], int] = {}
    for i in range(len(df)):
        where = f"{source}: line {i + 2}"
        if not str(df.at[i, "unit_id"]) or not str(df.at[i, "model"]):
            raise refused(where, "unit-or-model-empty", "unit_id and model must not be empty")
        for name in ("unit_id", "model", "step"):
            if len(text := str(df.at[i, name])) > NAME_CHARS:
                raise refused(f"{where}: {name}", "scan-name-too-long",
                              "{length} characters; at most {most}", length=len(text),
                              most=NAME_CHARS)
        key = (str(df.at[i, "unit_id"]), str(df.at[i, "step"]))
        if (first := seen.setdefault(key, i)) != i:
            raise MeteringError(  # it would count as a second unit and halve the factor
                f"{source}: lines {first + 2} and {i + 2}: unit {short(key[0])} is scanned "
                f"twice at step {short(key[1])}; give one row per unit and step (one scan "
                "window from the start to the end of the unit's work at that step)")
        if df.at[i, "step"] not in plant.steps:
            raise refused(f"{where}: step", "step-on-no-circuit",
                          "{step} is on no circuit of {file} (known: {known})",
                          step=short(df.at[i, "step"]), file=brief(plant.source, 120),
                          known=listed(sorted(plant.steps)))
        if not (np.isfinite(start[i]) and np.isfinite(end[i])):
            raise refused(f"{where}: start/end", "time-unreadable", "not ISO 8601 or seconds")
        if end[i] < start[i]:
            raise refused(where, "scan-end-before-start", "end is before start")
    df["start"], df["end"] = start, end
    df["circuit"] = [plant.steps[s] for s in df["step"]]
    df.attrs["source"] = source
    return df


def check_within(scans: pd.DataFrame, spans: dict[str, tuple[float, float]], tol: float) -> None:
    """Refuse a scan event whose window, widened by ``tol`` seconds, lies wholly outside its
    circuit's readings (``spans``: circuit → first and last reading time, s): it would be
    counted as a unit that used no energy and pull its model's factor down. Before, a window
    at -1 s or 1e308 s gave 0 kWh without a word."""
    source = scans.attrs.get("source", "<scans>")
    for i, circuit, a, b in zip(scans.index, scans["circuit"], scans["start"], scans["end"],
                                strict=True):  # the index is the row's (scans_from_frame)
        where = f"{source}: line {i + 2}: start/end"
        if circuit not in spans:
            raise refused(where, "scan-circuit-no-readings", "circuit {circuit} of this scan "
                          "has no readings", circuit=short(circuit))
        first, last = spans[circuit]
        if b + tol < first or a - tol > last:
            raise refused(where, "scan-outside-readings",
                          "the window {start}–{end} s lies outside the readings of circuit "
                          "{circuit} ({first}–{last} s); scan events and readings must "
                          "share a clock and a period", start=f"{a:.6g}", end=f"{b:.6g}",
                          circuit=short(circuit), first=f"{first:.6g}", last=f"{last:.6g}")


@dataclass
class Attribution:
    """Per scan event: the load energy and operating time attributed to it; plus segments
    that no event explains (``inferred`` to a single-step circuit, or residual)."""

    events: pd.DataFrame
    inferred: pd.DataFrame
    residual_wh: dict[str, float]
    signatures_w: dict[str, float]


@dataclass(frozen=True)
class _Rows:
    """The scan events as arrays by row (``.iat``/``.at`` per element cost microseconds each):
    exact window, window widened by the tolerance, and step name."""

    start: np.ndarray
    end: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    step: np.ndarray

    @classmethod
    def of(cls, ev: pd.DataFrame, tol: float) -> _Rows:
        s, e = ev["start"].to_numpy(float), ev["end"].to_numpy(float)
        return cls(s, e, s - tol, e + tol,
                   np.array([str(x) for x in ev["step"].tolist()], object))


def _by_circuit(ev: pd.DataFrame, circuits: list[str]) -> dict[str, np.ndarray]:
    """The rows (ascending) of each circuit's events: one pass when every circuit is a string
    (as :func:`scans_from_frame` gives), else ``==`` per circuit."""
    col = ev["circuit"]
    values = col.tolist()
    if all(type(v) is str for v in values):
        rows: defaultdict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(values):
            rows[v].append(i)
        return {c: np.array(rows.get(c, []), dtype=np.int64) for c in circuits}
    return {c: np.flatnonzero((col == c).to_numpy(bool)) for c in circuits}


Found = tuple[Segment, list[int], float, list[float]]
"""An on-segment, its candidate events (rows), its circuit's idle level and the candidates'
exact overlaps with it (s)."""


def _candidates(rows: list[int], exact: list[float], steps: list[str], tol: float
                ) -> tuple[list[int], list[float], dict[int, dict[int, float]]]:
    """Events whose widened window overlaps the segment, one per step (the one overlapping
    most; a machine works on one unit at a time), and, per such event, how the step's share is
    divided among that step's units: when the exact windows of several units of one step each
    overlap the segment by more than ``tol`` (more than late or early scanning explains: the
    machine ran on from one unit to the next without falling idle), by their overlap time;
    otherwise all to the one overlapping most. ``rows`` (ascending): the events whose widened
    window overlaps the segment, with their ``exact`` overlaps and ``steps``."""
    per_step: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for j, x, step in zip(rows, exact, steps, strict=True):
        per_step[step].append((x, j))
    best: list[tuple[float, int]] = []
    units: dict[int, dict[int, float]] = {}
    for found in per_step.values():
        top = max(found, key=lambda k: k[0])  # ties: the first row
        best.append(top)
        within = [(x, i) for x, i in found if x > tol]
        total = sum(x for x, _ in within)
        units[top[1]] = ({i: x / total for x, i in within} if len(within) > 1
                         else {top[1]: 1.0})
    best.sort(reverse=True)
    return [i for _, i in best], [x for x, _ in best], units


def _signatures(segs: list[Found], ev: _Rows) -> dict[str, float]:
    """Median load level per step over the segments that exactly one candidate event covers
    for at least half of their duration (scan windows not widened)."""
    levels: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for seg, cand, idle, over in segs:
        dur = seg.end - seg.start
        major = [i for i, x in zip(cand, over, strict=True) if x >= 0.5 * dur]
        if len(major) == 1:
            levels[ev.step[major[0]]].append((seg.level_w - idle, dur))
    return {k: _weighted_median(v) for k, v in levels.items()}


def _weighted_median(pairs: list[tuple[float, float]]) -> float:
    """Duration-weighted median (short transition pieces weigh little)."""
    lev = np.array([p[0] for p in pairs])
    w = np.maximum(np.array([p[1] for p in pairs]), 1e-9)
    order = np.argsort(lev)
    cum = np.cumsum(w[order])
    return float(lev[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _split(
    seg: Segment, idle: float, cand: list[int], over: list[float], ev: _Rows,
    sig: dict[str, float]
) -> dict[int, float]:
    """Shares of the segment's energy among candidate events (see the module docstring)."""
    if len(cand) == 1:
        return {cand[0]: 1.0}
    load = seg.level_w - idle
    best: tuple[float, tuple[int, ...]] | None = None
    for r in range(1, min(len(cand), 3) + 1):
        for sub in combinations(cand[:6], r):
            steps = [ev.step[i] for i in sub]
            if len(set(steps)) < r or any(s not in sig for s in steps):
                continue  # one machine runs one unit at a time
            err = abs(sum(sig[s] for s in steps) - load)
            if best is None or err < best[0]:
                best = (err, sub)
    if best is None:  # no signatures: the event overlapping most takes it
        return {cand[int(np.argmax(over))]: 1.0}
    total = sum(sig[ev.step[i]] for i in best[1])
    return {i: sig[ev.step[i]] / total for i in best[1]}


def _found(segs: dict[str, Segmentation], ev: pd.DataFrame, rows: _Rows, tol: float
           ) -> tuple[list[Found], list[dict[int, dict[int, float]]]]:
    """Every on-segment (circuit by circuit, in order) with its candidate events and their
    division among units (:func:`_candidates`). The overlaps are computed, as before, with
    numpy's ``minimum``/``maximum`` (the same operations element by element), but only for
    the pairs :func:`~junkan.metering.windows.overlapping` finds."""
    found: list[Found] = []
    units: list[dict[int, dict[int, float]]] = []
    for cid, mine in _by_circuit(ev, list(segs)).items():
        sg = segs[cid]
        on = [s for s in sg.segments if s.on]
        a = np.array([s.start for s in on], float)
        b = np.array([s.end for s in on], float)
        near = overlapping(rows.lo[mine], rows.hi[mine], a, b)
        count = np.array([len(x) for x in near], np.int64)
        j = mine[np.fromiter(chain.from_iterable(near), np.int64, int(count.sum()))]
        k = np.repeat(np.arange(len(on)), count)
        keep = np.minimum(b[k], rows.hi[j]) - np.maximum(a[k], rows.lo[j]) > 0
        j, k = j[keep], k[keep]
        exact = (np.minimum(b[k], rows.end[j]) - np.maximum(a[k], rows.start[j])).tolist()
        cut = np.searchsorted(k, np.arange(len(on) + 1)).tolist()  # k ascending: per segment
        jl, steps = j.tolist(), rows.step[j].tolist()
        for q, s in enumerate(on):
            x, y = cut[q], cut[q + 1]
            cand, over, by_unit = _candidates(jl[x:y], exact[x:y], steps[x:y], tol)
            found.append((s, cand, sg.idle_w, over))
            units.append(by_unit)
    return found, units


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
    rows = _Rows.of(ev, tolerance_s)
    found, units = _found(segs, ev, rows, tolerance_s)
    sig = _signatures(found, rows)
    energy = [0.0] * len(ev)  # lists: a numpy element costs ~100 ns to read and write
    active = [0.0] * len(ev)
    shared = [False] * len(ev)
    inferred: list[dict[str, object]] = []
    residual: defaultdict[str, float] = defaultdict(float)
    for (seg, cand, idle, over), by_unit in zip(found, units, strict=True):
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
        shares = _split(seg, idle, cand, over, rows, sig)
        for rep, f in shares.items():  # per step, then per unit of that step
            for i, w in by_unit[rep].items():
                energy[i] += f * w * seg.energy_wh
                active[i] += w * (seg.end - seg.start)
                shared[i] |= len(shares) > 1 or len(by_unit[rep]) > 1
    out = ev.assign(wh=np.array(energy, float), operating_s=np.array(active, float),
                    shared=np.array(shared, bool))
    return Attribution(
        out,
        pd.DataFrame(inferred, columns=["circuit", "step", "start", "end", "wh"]),
        dict(residual),
        sig,
    )
