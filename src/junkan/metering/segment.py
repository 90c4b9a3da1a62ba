"""Operating cycles of each circuit by change-point detection (``ruptures``).

The power series is averaged onto a regular grid (``grid_s``, default 1 s), change points of the
mean are found with ``ruptures.KernelCPD(kernel="linear")`` (the exact penalised least-squares
segmentation, C implementation) under a BIC-like penalty ``pen = penalty·σ²·ln n`` where ``σ``
is the noise estimated from the median absolute first difference. Segments whose mean is more
than ``on_threshold`` above the circuit's idle level are *on*; consecutive on-segments form a
cycle. The idle level is the circuit setting ``idle_w`` or the duration-weighted 10th
percentile of the segments' mean levels.
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

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.__dict__ for s in self.segments])


def _grid(s: Series, grid_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin means of power on a regular grid; bins inside a gap are marked uncovered and
    filled by interpolation (so that they do not create change points)."""
    span = float(s.t[-1] - s.t[0])
    if span / grid_s + 1 > MAX_GRID_POINTS:
        raise _too_long(s, span, grid_s)
    n = int(np.floor(span / grid_s)) + 1
    k = np.minimum(((s.t - s.t[0]) / grid_s).astype(np.int64), n - 1)
    cnt = np.bincount(k, minlength=n)
    tot = np.bincount(k, weights=s.power_w, minlength=n)
    t0 = s.t[0] + grid_s * np.arange(n)
    covered = np.ones(n, bool)
    for a, b in s.gaps:
        covered[(t0 + grid_s > a) & (t0 < b) & (cnt == 0)] = False
        covered[(t0 >= a + grid_s) & (t0 + grid_s <= b)] = False
    has = cnt > 0
    x = np.interp(t0, t0[has], tot[has] / cnt[has])
    return t0, x, covered


def _too_long(s: Series, span: float, grid_s: float) -> MeteringError:
    """The refusal of a grid over :data:`MAX_GRID_POINTS`: it names the first and last
    readings and the longest gap between two readings (their lines and ``time`` cells)."""
    g = int(np.argmax(np.diff(s.t))) if len(s.t) > 1 else 0

    def at(i: int) -> str:
        i %= len(s.t)
        where = f"line {s.lines[i]}" if len(s.lines) == len(s.t) else f"reading {i + 1}"
        cell = str(s.raw["time"].iloc[i]) if "time" in s.raw.columns else f"{s.t[i]:.6g}"
        return f"{where} (time {cell[:40]})"

    src = f"{s.source}: " if s.source else ""
    return MeteringError(
        f"{src}circuit {s.circuit}: the readings from {at(0)} to {at(-1)} span {span:.6g} s, "
        f"{span / grid_s + 1:.3g} grid points of {grid_s:g} s; at most {MAX_GRID_POINTS:,}. "
        f"The longest gap, {float(s.t[g + 1] - s.t[g]) if len(s.t) > 1 else 0.0:.6g} s, is "
        f"from {at(g)} to {at(g + 1)}: check the field time there, or use a coarser grid"
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
    """Segment one circuit's series into on/off pieces and cycles."""
    if not (0.01 <= grid_s <= 600):
        raise MeteringError(f"grid_s: expected 0.01–600 s, got {grid_s!r}")
    check_penalty(penalty)
    t0, x, covered = _grid(s, grid_s)
    noise = float(np.median(np.abs(np.diff(x))) / 0.6745 / np.sqrt(2)) if len(x) > 1 else 0.0
    bkps = detect(x, noise, penalty)
    w = covered.astype(float)
    idle = idle_w if idle_w is not None else _idle(x, w, bkps)
    thr = on_threshold_w if on_threshold_w is not None else max(8 * noise, 30.0)
    segs: list[Segment] = []
    start, cycle, in_cycle = 0, -1, False
    for end in bkps:
        sl = slice(start, end)
        cov = w[sl].sum()
        level = float((x[sl] * w[sl]).sum() / cov) if cov else float(x[sl].mean())
        on = level - idle > thr
        if on and not in_cycle:
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
    return Segmentation(s.circuit, segs, idle, noise, idle_wh)
