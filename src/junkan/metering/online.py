"""Streaming (online) segmentation of one circuit: the batch segmenter's model, point by point.

:func:`junkan.metering.segment` solves, on the whole recording, the penalised least-squares
segmentation of the 1-s power grid (``ruptures.KernelCPD``, linear kernel: the cost of a segment
is the sum of squared deviations from its mean, plus ``pen`` per segment). The same optimum can
be computed as the data arrive, by optimal partitioning with PELT pruning (Killick, Fearnhead &
Eckley 2012, exact for this cost)::

    F(t) = min over candidates s of  F(s) + C(s, t) + pen,   t − s ≥ min_size
    keep s only while F(s) + C(s, t) ≤ F(t)

Every candidate's best previous change point (``last``) is fixed when it is computed, and any
future solution passes through a candidate still kept; so once all kept candidates (and the
newest points, not yet admitted) share an ancestor ``a`` in the ``last`` tree, the change
points up to ``a`` are final and are emitted — usually a few seconds after a load step. What
differs from the batch run, by construction:

- the noise σ is the running median of ``|Δx|`` (log histogram), the penalty uses
  ``ln(horizon_s / grid_s)`` instead of the recording's length, and the detection starts after
  ``warmup_s`` of data (default 300 s; all of it is then processed, nothing is lost);
- the idle level is the duration-weighted 10th percentile of the final segments so far
  (segments wait until ``warmup_s`` of them are final, then are classified on/off);
- a buffer longer than ``max_buffer`` grid points without a final change point is cut
  ``lag`` points before its end (the two pieces have the same level; energy is unchanged).

:func:`compare` measures how far an online segmentation is from the batch one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.metering.config import MeteringError
from junkan.metering.segment import RUN_GAP_POINTS, Segment, Segmentation, check_penalty

_NEVER = np.iinfo(np.int64).max
_HIST = np.logspace(-4, 8, 481)  # |Δx| histogram edges, W (for the running median)


@dataclass
class _Grid:
    """Bins of the 1-s grid being filled from samples."""

    t0: float | None = None
    k: int = -1
    tot: float = 0.0
    cnt: int = 0
    last_t: float = -math.inf
    last_x: float = math.nan


@dataclass
class _Buffer:
    """Grid points since the last final change point (index 0 = that change point)."""

    x: list[float] = field(default_factory=list)
    w: list[float] = field(default_factory=list)
    s1: np.ndarray = field(default_factory=lambda: np.zeros(1))
    s2: np.ndarray = field(default_factory=lambda: np.zeros(1))
    f: np.ndarray = field(default_factory=lambda: np.zeros(1))
    last: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    cand: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pruned: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Step at which each candidate failed the pruning test (it is dropped ``min_size``
    steps later: with a minimum segment length the test proves nothing sooner)."""


class OnlineSegmenter:
    """Segments of one circuit as its (station-clock, ordered) power samples arrive.

    ``push(t, power_w, gap_s)`` returns the segments that became final; ``flush()`` ends the
    stream and returns the rest; ``segmentation()`` is everything so far as a
    :class:`~junkan.metering.Segmentation` (the batch result's type)."""

    def __init__(
        self,
        circuit: str,
        *,
        grid_s: float = 1.0,
        penalty: float = 4.0,
        max_gap_s: float = 10.0,
        idle_w: float | None = None,
        on_threshold_w: float | None = None,
        horizon_s: float = 8 * 3600.0,
        warmup_s: float = 300.0,
        min_size: int = 3,
        max_buffer: int = 7200,
        lag: int = RUN_GAP_POINTS,
        noise_w: float | None = None,
    ) -> None:
        if not (0.01 <= grid_s <= 600):
            raise MeteringError(f"grid_s: expected 0.01–600 s, got {grid_s!r}")
        if not (60 <= horizon_s <= 1e8) or not (0 <= warmup_s <= 86400):
            raise MeteringError("horizon_s: 60 s–1e8 s; warmup_s: 0–86400 s")
        if not (2 * lag < max_buffer <= 1_000_000) or lag < 10:
            raise MeteringError("max_buffer must exceed 2·lag; lag ≥ 10 grid points")
        self.circuit, self.grid_s, self.penalty = circuit, grid_s, check_penalty(penalty)
        self.max_gap_s, self.fixed_idle, self.threshold = max_gap_s, idle_w, on_threshold_w
        self.log_n = math.log(horizon_s / grid_s)
        self.warm = max(int(warmup_s / grid_s), 2 * min_size)
        self.min_size, self.max_buffer, self.lag = min_size, max_buffer, lag
        self.fixed_noise = noise_w
        self.grid = _Grid()
        self.backlog: list[tuple[float, float]] = []  # (x, w) before the detection starts
        self.hist = np.zeros(len(_HIST) + 1, np.int64)
        self.prev_x: float | None = None
        self.buf = _Buffer()
        self.origin = 0  # grid index of buffer position 0
        self.started = False
        self.pending: list[tuple[int, int, float, float, float]] = []  # a, b, Σxw, Σw, Σx
        self.history: list[tuple[float, float]] = []  # (level, covered points), for idle
        self.done: list[Segment] = []
        self.cycle, self.in_cycle = -1, False
        self.covered = 0.0  # covered grid points finalised
        self.pending_empty, self.pending_gap = 0, False
        self._pen, self._pen_at = 0.0, -1
        self.points = 0  # grid points processed (the work done; bounded per sample)

    # -- noise and penalty ---------------------------------------------------------------
    def noise(self) -> float:
        if self.fixed_noise is not None:
            return self.fixed_noise
        n = self.hist.sum()
        if n == 0:
            return 0.0
        i = int(np.searchsorted(np.cumsum(self.hist), (n + 1) // 2))
        med = 0.0 if i == 0 else float(np.sqrt(_HIST[i - 1] * _HIST[min(i, len(_HIST) - 1)]))
        return med / 0.6745 / math.sqrt(2)

    def pen(self) -> float:
        return self.penalty * max(self.noise(), 1e-9) ** 2 * self.log_n

    # -- samples → grid --------------------------------------------------------------------
    def push(self, t: np.ndarray, power_w: np.ndarray) -> list[Segment]:
        """Add samples (station seconds, increasing; W); returns newly final segments."""
        t, p = np.asarray(t, float), np.asarray(power_w, float)
        if len(t) == 0:
            return []
        g = self.grid
        if t[0] <= g.last_t or (len(t) > 1 and np.any(np.diff(t) <= 0)):
            raise MeteringError(f"circuit {self.circuit}: samples must arrive in time order")
        # a gap longer than lag grid points: end what came before and start a new grid there
        # (bounded work whatever the clock does: at most lag + 1 grid points per sample). On
        # the first push, the step from "no sample yet" (index 0) is not a gap, later ones are.
        big = np.flatnonzero(np.diff(np.concatenate([[g.last_t], t])) > self.lag * self.grid_s)
        if g.t0 is None:
            big = big[big > 0]
        if len(big):
            n0 = len(self.done)
            for a, b in zip([0, *big.tolist()], [*big.tolist(), len(t)], strict=True):
                if a == b:
                    continue
                if a in big:
                    self._restart()
                self.push(t[a:b], p[a:b])
            return self.done[n0:]
        if g.t0 is None:
            g.t0 = float(t[0])
        n0 = len(self.done)
        ks = ((t - g.t0) / self.grid_s).astype(np.int64)
        # samples of the bin still open, then one closing step per new bin
        cut = np.flatnonzero(np.diff(np.concatenate([[g.k], ks])) != 0)
        bounds = [*cut.tolist(), len(t)]
        if bounds[0] > 0:
            g.tot += float(p[: bounds[0]].sum())
            g.cnt += bounds[0]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            if a > 0:
                g.last_t = float(t[a - 1])
            self._new_bin(int(ks[a]), float(t[a]))
            g.tot, g.cnt = float(p[a:b].sum()), b - a
        g.last_t = float(t[-1])
        return self.done[n0:]

    def _new_bin(self, k: int, t_first: float) -> None:
        """Close the open bin (its mean) and fill the bins between it and bin ``k``."""
        g = self.grid
        if g.k >= 0 and g.cnt:
            x = g.tot / g.cnt
            gap = t_first - g.last_t > self.max_gap_s
            prev = g.last_x if not math.isnan(g.last_x) else x
            # empty bins before this one were waiting for this bin's mean (interpolation)
            for j in range(1, self.pending_empty + 1):
                frac = j / (self.pending_empty + 1)
                self._point(prev + (x - prev) * frac, 0.0 if self.pending_gap else 1.0)
            self._point(x, 1.0)
            g.last_x = x
            self.pending_empty = k - g.k - 1
            self.pending_gap = gap
        else:
            self.pending_empty, self.pending_gap = 0, False
        g.k = k

    def _point(self, x: float, w: float) -> None:
        self.points += 1
        if self.prev_x is not None:
            d = abs(x - self.prev_x)
            self.hist[int(np.searchsorted(_HIST, d))] += 1
        self.prev_x = x
        if not self.started:
            self.backlog.append((x, w))
            if len(self.backlog) >= self.warm:
                self.started = True
                for xx, ww in self.backlog:
                    self._step(xx, ww)
                self.backlog = []
            return
        self._step(x, w)

    # -- the optimal partitioning step -------------------------------------------------------
    def _step(self, x: float, w: float) -> None:
        b = self.buf
        b.x.append(x)
        b.w.append(w)
        t = len(b.x)
        if t >= len(b.s1):
            grow = max(64, len(b.s1))
            b.s1 = np.concatenate([b.s1, np.zeros(grow)])
            b.s2 = np.concatenate([b.s2, np.zeros(grow)])
            b.f = np.concatenate([b.f, np.full(grow, np.inf)])
            b.last = np.concatenate([b.last, np.zeros(grow, np.int64)])
        b.s1[t] = b.s1[t - 1] + x
        b.s2[t] = b.s2[t - 1] + x * x
        if t - self.min_size >= 0 and np.isfinite(b.f[t - self.min_size]):
            b.cand = np.append(b.cand, t - self.min_size)
            b.pruned = np.append(b.pruned, _NEVER)
        if len(b.cand) and b.pruned.min() <= t - self.min_size:
            live = b.pruned > t - self.min_size
            b.cand, b.pruned = b.cand[live], b.pruned[live]
        if len(b.cand) == 0:
            b.f[t] = np.inf
            return
        s = b.cand
        n = t - s
        d1 = b.s1[t] - b.s1[s]
        cost = (b.s2[t] - b.s2[s]) - d1 * d1 / n
        base = b.f[s] + cost
        i = int(np.argmin(base))
        if self._pen_at < 0 or t - self._pen_at >= 32 or t < self._pen_at:
            self._pen, self._pen_at = self.pen(), t
        b.f[t] = base[i] + self._pen
        b.last[t] = s[i]
        b.pruned[(base > b.f[t]) & (b.pruned == _NEVER)] = t
        if t % 8 == 0 or t >= self.max_buffer:
            self._settle(t)

    def _settle(self, t: int) -> None:
        """Emit the change points every future solution shares (see the module text)."""
        b = self.buf
        recent = np.arange(max(t - self.min_size + 1, 1), t + 1)
        heads = np.unique(np.concatenate([b.cand, recent[np.isfinite(b.f[recent])]]))
        while len(heads) > 1:
            m = heads.min()
            heads = np.unique(np.where(heads > m, b.last[heads], heads))
        a = int(heads[0]) if len(heads) else 0
        if a == 0 and t >= self.max_buffer:
            a = self._forced_cut(t)
        if a > 0:
            self._finalise(a)

    def _forced_cut(self, t: int) -> int:
        """A buffer too long: the best current chain's last change point more than ``lag``
        points back, or a cut ``lag`` points back."""
        b, node = self.buf, t
        while node > 0 and node > t - self.lag:
            node = int(b.last[node])
        if node <= 0:
            node = t - self.lag  # an artificial cut (same level on both sides)
        keep = b.cand >= node
        b.cand, b.pruned = b.cand[keep], b.pruned[keep]
        return node

    def _finalise(self, a: int) -> None:
        b = self.buf
        chain = [a]
        while chain[-1] > 0:
            chain.append(int(b.last[chain[-1]]))
        chain.reverse()  # 0, …, a
        x, w = np.asarray(b.x[:a]), np.asarray(b.w[:a])
        for s, e in zip(chain[:-1], chain[1:], strict=True):
            sxw, sw, sx = float((x[s:e] * w[s:e]).sum()), float(w[s:e].sum()), float(x[s:e].sum())
            self.pending.append((self.origin + s, self.origin + e, sxw, sw, sx))
            self.history.append((sxw / sw if sw else sx / (e - s), sw))
            self.covered += sw
        if len(self.history) > 20_000:
            self.history = self.history[-10_000:]
        self._release()
        # rebase the buffer on a
        self.origin += a
        keep = len(b.x) - a
        b.x, b.w = b.x[a:], b.w[a:]
        b.s1 = b.s1[a : a + keep + 1 + 64] - b.s1[a]
        b.s2 = b.s2[a : a + keep + 1 + 64] - b.s2[a]
        with np.errstate(invalid="ignore"):  # inf − inf: a piece shorter than min_size
            b.f = b.f[a : a + keep + 1 + 64] - b.f[a]
        b.last = np.maximum(b.last[a : a + keep + 1 + 64] - a, 0)
        live = b.cand >= a
        b.cand, b.pruned = (
            b.cand[live] - a,
            np.where(b.pruned[live] == _NEVER, _NEVER, b.pruned[live] - a),
        )

    # -- idle level, on/off, cycles ----------------------------------------------------------
    def idle(self) -> float:
        if self.fixed_idle is not None:
            return self.fixed_idle
        lev = np.array([h[0] for h in self.history])
        cov = np.maximum(np.array([h[1] for h in self.history]), 1e-9)
        order = np.argsort(lev)
        cum = np.cumsum(cov[order])
        return float(lev[order][np.searchsorted(cum, 0.1 * cum[-1])])

    def _release(self, force: bool = False) -> None:
        if not force and not self.done and self.covered < self.warm:
            return  # wait for enough final segments to know the idle level
        if not self.pending:
            return
        idle = self.idle()
        noise = self.noise()
        thr = self.threshold if self.threshold is not None else max(8 * noise, 30.0)
        for a, b, sxw, sw, sx in self.pending:
            level = sxw / sw if sw else sx / max(b - a, 1)
            on = level - idle > thr
            if on and not self.in_cycle:
                self.cycle += 1
            self.in_cycle = on
            e = (sxw - idle * sw) * self.grid_s / 3600.0 if on else 0.0
            t0 = (self.grid.t0 or 0.0) + a * self.grid_s
            self.done.append(
                Segment(
                    self.circuit,
                    t0,
                    t0 + (b - a) * self.grid_s,
                    level,
                    e,
                    bool(on),
                    self.cycle if on else -1,
                )
            )
        self.pending = []

    def flush(self) -> list[Segment]:
        """End of stream: close the open bin, run the detection on what is left, emit it."""
        n0 = len(self.done)
        if self.grid.k >= 0 and self.grid.cnt:
            self._new_bin(self.grid.k + 1, math.inf)
            self.grid.cnt = 0
        if not self.started and self.backlog:
            self.started = True
            for xx, ww in self.backlog:
                self._step(xx, ww)
            self.backlog = []
        t = len(self.buf.x)
        if t:
            self._settle(t)
            self._finalise_all()
        self._release(force=True)
        return self.done[n0:]

    def _restart(self) -> None:
        """End the current grid (as :meth:`flush` does, keeping the idle history)."""
        if self.grid.t0 is None:
            return
        self.flush()
        self.grid, self.buf, self.origin, self.prev_x = _Grid(), _Buffer(), 0, None
        self.pending_empty, self.pending_gap, self._pen_at = 0, False, -1
        self.in_cycle = False

    def _finalise_all(self) -> None:
        t = len(self.buf.x)
        if t == 0:
            return
        if not np.isfinite(self.buf.f[t]):  # shorter than min_size: one segment
            self.buf.last[t] = 0
        self._finalise(t)

    def segmentation(self) -> Segmentation:
        idle = self.idle() if self.history else 0.0
        idle_wh = idle * self.covered * self.grid_s / 3600.0
        return Segmentation(
            self.circuit, list(self.done), idle, self.noise(), idle_wh, self.points
        )


def compare(batch: Segmentation, online: Segmentation, tol_s: float = 3.0) -> dict[str, Any]:
    """How far ``online`` is from ``batch``: share of batch on/off transitions with an online
    one within ``tol_s`` (and the reverse), the largest shift, cycles, and the relative
    difference of the on-energy in total and per batch cycle."""

    def edges(sg: Segmentation) -> np.ndarray:
        out, prev = [], False
        for s in sg.segments:
            if s.on != prev:
                out.append(s.start)
            prev = s.on
        return np.asarray(out, float)

    eb, eo = edges(batch), edges(online)

    def near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(b) == 0:
            return np.full(len(a), np.inf)
        return np.abs(a[:, None] - b[None, :]).min(axis=1)

    db, do = near(eb, eo), near(eo, eb)
    e_b = sum(s.energy_wh for s in batch.segments)
    e_o = sum(s.energy_wh for s in online.segments)
    per_cycle = []
    for c in {s.cycle for s in batch.segments if s.on}:
        ss = [s for s in batch.segments if s.cycle == c]
        a, b = ss[0].start, ss[-1].end
        wb = sum(s.energy_wh for s in ss)
        wo = sum(
            s.energy_wh * max(0.0, min(b, s.end) - max(a, s.start)) / (s.end - s.start)
            for s in online.segments
            if s.on and s.end > a and s.start < b
        )
        per_cycle.append(abs(wo - wb) / max(wb, 1e-9))
    return {
        "batch_edges": len(eb),
        "online_edges": len(eo),
        "batch_edges_matched": float(np.mean(db <= tol_s)) if len(eb) else 1.0,
        "online_edges_matched": float(np.mean(do <= tol_s)) if len(eo) else 1.0,
        "max_shift_s": float(max(db.max(initial=0.0), 0.0)),
        "batch_cycles": len({s.cycle for s in batch.segments if s.on}),
        "online_cycles": len({s.cycle for s in online.segments if s.on}),
        "on_energy_rel_diff": abs(e_o - e_b) / max(e_b, 1e-9),
        "cycle_energy_rel_diff_p95": float(np.percentile(per_cycle, 95)) if per_cycle else 0.0,
        "idle_w": [batch.idle_w, online.idle_w],
    }


def segment_online(
    t: np.ndarray, power_w: np.ndarray, circuit: str = "c", chunk: int = 10, **kw: Any
) -> Segmentation:
    """Feed a whole series in chunks of ``chunk`` samples (tests, benchmarks)."""
    seg = OnlineSegmenter(circuit, **kw)
    for a in range(0, len(t), chunk):
        seg.push(t[a : a + chunk], power_w[a : a + chunk])
    seg.flush()
    return seg.segmentation()
