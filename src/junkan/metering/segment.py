"""Operating cycles of each circuit by change-point detection (``ruptures``).

The power series is averaged onto a regular grid (``grid_s``, default 1 s), change points of the
mean are found with ``ruptures.KernelCPD(kernel="linear")`` (the exact penalised least-squares
segmentation, C implementation) under a BIC-like penalty ``pen = penalty·σ²·ln n`` where ``σ``
is the noise estimated from the median absolute first difference. Segments whose mean is more
than ``on_threshold`` above the circuit's idle level are *on*; consecutive on-segments form a
cycle. The idle level is the circuit setting ``idle_w`` or the duration-weighted 10th
percentile of the segments' mean levels.

A gap in the readings longer than :data:`RUN_GAP_POINTS` grid points ends a *run*: each run
of readings has its own grid and change points (no segment or cycle spans the gap, and
nothing is interpolated across it), as the online segmenter starts a new grid there; the
noise and the idle level are the circuit's, over all its runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from junkan.core.extras import MissingExtra
from junkan.metering.config import MeteringError
from junkan.metering.ingest import Series

MAX_GRID_POINTS = 5_000_000
"""Most grid points of one circuit, over all its runs: a bound on memory and time (measured
2026-12-07 on one core: 4 million points, most of them a gap's, took 6.4 s and 250 MiB)."""
RUN_GAP_POINTS = 600
"""A gap (an interval longer than the circuit's ``max_gap_s``) longer than this many grid
points ends a run of readings (10 min on the default 1-s grid). It is the online segmenter's
rule (:class:`~junkan.metering.online.OnlineSegmenter` starts a new grid after a clock gap
longer than its ``lag``, which defaults to this), so the two segment a long gap alike, and
the grid's size follows the readings, not the clock. **Assumption**: a machine's state is not
known across a pause that long, so a cycle is not carried over it; a shorter gap is filled
with uncovered, interpolated points (no energy), which keeps a brief dropout from cutting a
cycle in two."""
MAX_PENALTY = 1000.0
"""Largest change-point penalty factor accepted (the service's bound on ``penalty``)."""


@dataclass(frozen=True)
class Segment:
    """A piece of constant mean power on one circuit."""

    circuit: str
    start: float
    end: float
    level_w: float
    energy_wh: float
    """Energy above the circuit's idle level (the machine's load), over covered time."""
    on: bool
    cycle: int
    """Index of the cycle the segment belongs to (-1 when off)."""


@dataclass
class Segmentation:
    """Segments of one circuit, its idle level and noise."""

    circuit: str
    segments: list[Segment]
    idle_w: float
    noise_w: float
    idle_wh: float
    """Idle energy over the covered time (not attributed to any step)."""
    points: int = 0
    """Grid points built (the work done): the batch segmenter's over all runs, the online
    segmenter's processed so far."""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.__dict__ for s in self.segments])


def _runs(s: Series, grid_s: float) -> list[tuple[int, int]]:
    """The readings' index ranges ``[a, b)`` between gaps longer than :data:`RUN_GAP_POINTS`
    grid points (intervals over the circuit's ``max_gap_s`` only: ``s.gaps``)."""
    if len(s.t) < 2:
        return [(0, len(s.t))]
    split = (np.diff(s.t) > RUN_GAP_POINTS * grid_s) & np.isin(s.t[:-1], _gap_starts(s))
    cuts = [0, *(np.flatnonzero(split) + 1).tolist(), len(s.t)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _gap_starts(s: Series) -> np.ndarray:
    """The start times of the circuit's gaps, in order."""
    return np.array([a for a, _ in s.gaps], float)


def _points(s: Series, grid_s: float, runs: list[tuple[int, int]]) -> int:
    """Grid points of ``runs``; a :class:`MeteringError` over :data:`MAX_GRID_POINTS`."""
    total = sum(float(s.t[b - 1] - s.t[a]) / grid_s + 1 for a, b in runs)
    if total > MAX_GRID_POINTS:
        raise _too_long(s, total, grid_s, runs)
    return sum(int(np.floor(float(s.t[b - 1] - s.t[a]) / grid_s)) + 1 for a, b in runs)


def _grid(
    s: Series, grid_s: float, lo: int = 0, hi: int | None = None, starts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin means of power on a regular grid over readings ``lo:hi`` (one run; all by
    default); bins inside a gap are marked uncovered and filled by interpolation (so that
    they do not create change points). ``starts``: the gaps' start times, if known."""
    t, p = s.t[lo:hi], s.power_w[lo:hi]
    span = float(t[-1] - t[0])
    n = int(np.floor(span / grid_s)) + 1
    k = np.minimum(((t - t[0]) / grid_s).astype(np.int64), n - 1)
    cnt = np.bincount(k, minlength=n)
    tot = np.bincount(k, weights=p, minlength=n)
    t0 = t[0] + grid_s * np.arange(n)
    covered = np.ones(n, bool)
    starts = _gap_starts(s) if starts is None else starts
    first, last = np.searchsorted(starts, [t[0], t[-1]])  # the gaps inside this run
    for a, b in s.gaps[int(first) : int(last)]:
        covered[(t0 + grid_s > a) & (t0 < b) & (cnt == 0)] = False
        covered[(t0 >= a + grid_s) & (t0 + grid_s <= b)] = False
    has = cnt > 0
    x = np.interp(t0, t0[has], tot[has] / cnt[has])
    return t0, x, covered


def _too_long(
    s: Series, points: float, grid_s: float, runs: list[tuple[int, int]]
) -> MeteringError:
    """The refusal of grids over :data:`MAX_GRID_POINTS`: it names the first and last
    readings and the longest gap kept inside a run (their lines and ``time`` cells)."""
    d = np.diff(s.t) if len(s.t) > 1 else np.zeros(1)
    if len(s.t) > 1:
        for _, b in runs[:-1]:
            d[b - 1] = -np.inf  # a gap between runs costs no grid point
    g = int(np.argmax(d))

    def at(i: int) -> str:
        i %= len(s.t)
        where = f"line {s.lines[i]}" if len(s.lines) == len(s.t) else f"reading {i + 1}"
        cell = str(s.raw["time"].iloc[i]) if "time" in s.raw.columns else f"{s.t[i]:.6g}"
        return f"{where} (time {cell[:40]})"

    src = f"{s.source}: " if s.source else ""
    split = (f" in {len(runs):,} runs (a gap over {RUN_GAP_POINTS * grid_s:g} s ends a run)"
             if len(runs) > 1 else "")
    longest = (f"The longest gap inside a run, {float(s.t[g + 1] - s.t[g]):.6g} s, is from "
               f"{at(g)} to {at(g + 1)}: check the field time there, or use a coarser grid"
               if np.isfinite(d[g]) else "Use a coarser grid")
    return MeteringError(
        f"{src}circuit {s.circuit}: the readings from {at(0)} to {at(-1)} make "
        f"{points:.3g} grid points of {grid_s:g} s{split}; at most {MAX_GRID_POINTS:,}. "
        + longest
    )


def check_penalty(penalty: float) -> float:
    """``penalty`` if it is a finite number in (0, :data:`MAX_PENALTY`]; otherwise a
    :class:`MeteringError` (ruptures would stop on an assertion, the online segmenter would
    cut at every point)."""
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or not (
            math.isfinite(penalty) and 0 < penalty <= MAX_PENALTY):
        raise MeteringError(f"penalty: expected a number above 0 and at most {MAX_PENALTY:g} "
                            f"(a factor of σ²·ln n; default 4), got {penalty!r}")
    return float(penalty)


def detect(x: np.ndarray, noise: float, penalty: float = 4.0, min_size: int = 3) -> list[int]:
    """Change points (end indices, the last is ``len(x)``) of the mean of ``x``."""
    try:
        import ruptures as rpt
    except ModuleNotFoundError as exc:
        raise MissingExtra("metering", "ruptures") from exc
    check_penalty(penalty)
    if len(x) < 2 * min_size:
        return [len(x)]
    # a tiny penalty must not underflow to 0, which ruptures refuses with an assertion
    pen = max(penalty * max(noise, 1e-9) ** 2 * np.log(len(x)), np.finfo(float).tiny)
    algo = rpt.KernelCPD(kernel="linear", min_size=min_size, jump=1).fit(x.reshape(-1, 1))
    return [int(b) for b in algo.predict(pen=pen)]


def _idle(x: np.ndarray, w: np.ndarray, bkps: list[int]) -> float:
    """The duration-weighted 10th percentile of the segments' mean levels (segment means,
    not samples, so that noise does not pull the idle level down)."""
    starts = [0, *bkps[:-1]]
    cov = np.array([w[a:b].sum() for a, b in zip(starts, bkps, strict=True)])
    lev = np.array(
        [
            (x[a:b] * w[a:b]).sum() / c if c else x[a:b].mean()
            for a, b, c in zip(starts, bkps, cov, strict=True)
        ]
    )
    order = np.argsort(lev)
    cum = np.cumsum(np.maximum(cov[order], 1e-9))
    return float(lev[order][np.searchsorted(cum, 0.1 * cum[-1])])


def segment(
    s: Series,
    grid_s: float = 1.0,
    penalty: float = 4.0,
    on_threshold_w: float | None = None,
    idle_w: float | None = None,
) -> Segmentation:
    """Segment one circuit's series into on/off pieces and cycles, each run of readings
    (:data:`RUN_GAP_POINTS`) on its own grid with its own change points."""
    if not (0.01 <= grid_s <= 600):
        raise MeteringError(f"grid_s: expected 0.01–600 s, got {grid_s!r}")
    check_penalty(penalty)
    runs = _runs(s, grid_s)
    points = _points(s, grid_s, runs)
    starts = _gap_starts(s)
    grids = [_grid(s, grid_s, a, b, starts) for a, b in runs]
    steps = np.concatenate([np.abs(np.diff(x)) for _, x, _ in grids])
    noise = float(np.median(steps) / 0.6745 / np.sqrt(2)) if len(steps) else 0.0
    bkps: list[int] = []  # change points over the runs end to end; each run's end is one
    for _, x, _ in grids:
        bkps += [(bkps[-1] if bkps else 0) + b for b in detect(x, noise, penalty)]
    t0 = np.concatenate([g[0] for g in grids])
    x = np.concatenate([g[1] for g in grids])
    w = np.concatenate([g[2] for g in grids]).astype(float)
    idle = idle_w if idle_w is not None else _idle(x, w, bkps)
    thr = on_threshold_w if on_threshold_w is not None else max(8 * noise, 30.0)
    run_starts = set(np.cumsum([0, *(len(g[1]) for g in grids)]).tolist())
    segs: list[Segment] = []
    start, cycle, in_cycle = 0, -1, False
    for end in bkps:
        sl = slice(start, end)
        cov = w[sl].sum()
        level = float((x[sl] * w[sl]).sum() / cov) if cov else float(x[sl].mean())
        on = level - idle > thr
        if on and not (in_cycle and start not in run_starts):  # no cycle spans a run's end
            cycle += 1
        in_cycle = on
        e = float(((x[sl] - idle) * w[sl]).sum() * grid_s / 3600.0) if on else 0.0
        segs.append(
            Segment(
                s.circuit,
                float(t0[start]),
                float(t0[end - 1] + grid_s),
                level,
                e,
                bool(on),
                cycle if on else -1,
            )
        )
        start = end
    idle_wh = float(idle * w.sum() * grid_s / 3600.0)
    return Segmentation(s.circuit, segs, idle, noise, idle_wh, points)
