"""A circuit's time-stamp rule, one for the CSV import and the stream (:func:`judge`).

Readings are judged one by one in file (or arrival) order, only those with acceptable values
counted. A reading whose time is not later than the circuit's latest accepted one is a clock
jump backwards (:data:`BACKWARDS`) or a duplicate (:data:`DUPLICATE_TIME`). A reading more than
:data:`SPIKE_INTERVALS` typical sampling intervals ahead of the latest accepted one is a
*suspect*, and so is a circuit's first reading (none accepted yet); a suspect is decided by the
:data:`SPIKE_WINDOW` readings after it:

- ahead of the latest accepted reading: it is a corrupt stamp, an implausible jump forward
  (:data:`JUMP_FORWARD`), when one of them is earlier than it; otherwise it starts a gap and is
  accepted;
- the circuit's first reading: a corrupt stamp when it is more than the limit later than one
  of them.

A corrupt stamp is quarantined and the readings after it are judged as if it had never come
(so a run of up to :data:`SPIKE_WINDOW` corrupt stamps is caught; a longer run is a gap).
Fewer than :data:`SPIKE_WINDOW` readings after a suspect, at the end, decide it alone (the
last reading is never a corrupt stamp: nothing after it says its jump is not a gap).

The typical sampling interval at a reading is the median of the circuit's last
:data:`MAX_STEPS` positive steps between consecutive readings, up to that reading; the first
:data:`SPIKE_WINDOW` readings of a circuit use the steps up to its reading number
:data:`SPIKE_WINDOW` + 1. None of this depends on how the readings are cut into messages: the
CSV import judges a circuit's readings in one call (``final``), the stream in many, holding a
circuit's first readings until reading :data:`SPIKE_WINDOW` + 1 has come and a suspect (with
the readings after it) until the readings that decide it have come; once the stream ends
(``final``), both have reached the same verdicts on the same readings.

Work per reading is bounded, and stays so when suspects are frequent (say every 20th stamp
corrupt): the readings are judged in blocks of up to :data:`BLOCK`, vectorised. A block's
*candidates* are the readings that may be suspects: more than a lower bound of the block's
limits ahead of a lower bound of the latest accepted time (the latest of the earlier readings
that cannot be corrupt stamps, no later than any of the :data:`SPIKE_WINDOW` after them). Only
the candidates are walked one by one, with plain floats; a typical interval is worked out (a
median, its steps kept sorted from one candidate to the next) only for a candidate whose lead
falls between a lower and an upper bound of its limit (the block's, or those of every
:data:`FINE` readings where the block's leave many candidates undecided). The other readings'
verdicts (backwards, duplicate, accepted) follow at once from the running latest time with the
corrupt stamps left out. The verdicts are those of a loop once per suspect with a median over
its steps each time (``tests/metering/_stamps_before.py``), which took 1.6 s on a million
one-second readings with every 20th stamp corrupt.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

SPIKE_INTERVALS = 1000.0
"""A reading this many typical sampling intervals ahead of the latest accepted one (and earlier
than one of the :data:`SPIKE_WINDOW` after it) is an implausible forward jump."""
SPIKE_WINDOW = 10
"""Readings after a suspect that decide it (runs of up to this many corrupt stamps are
caught)."""
MAX_STEPS = 1000
"""Recent positive steps of a circuit whose median is its typical sampling interval."""
BLOCK = 8192
"""Readings judged at once, at most (:func:`_block`)."""
FINE = 512
"""Readings whose limits are bounded together when a block's bounds leave more than
:data:`FINE_AFTER` of its readings undecided (:meth:`_Limits.fine`)."""
FINE_AFTER = 16
"""Candidates a block's bounds may leave undecided before finer ones are worked out."""
RESORT = 64
"""Steps a typical interval's window is moved on one by one, at most (else sorted anew)."""

JUMP_FORWARD = (f"time: implausible jump forward (over {SPIKE_INTERVALS:g} sampling intervals "
                "ahead, and later than a following reading)")
BACKWARDS = "time: clock jump backwards (earlier than a previous reading)"
DUPLICATE_TIME = "time: duplicate reading time"


@dataclass
class Clock:
    """What :func:`judge` keeps of a circuit's readings already judged."""

    last: float = -math.inf
    """The latest accepted time (``-inf``: none yet)."""
    prev: float = math.nan
    """The time of the last reading judged (NaN: none yet)."""
    seen: int = 0
    """Readings judged."""
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The last :data:`MAX_STEPS` positive steps between consecutive readings judged."""


def judge(t: np.ndarray, clock: Clock, final: bool) -> tuple[np.ndarray, int]:
    """Time verdicts for a circuit's readings ``t`` (value-checked, in order) after those
    ``clock`` has judged (see the module): the reason of each of the first ``n`` readings
    (``""`` = accepted) and ``n``; ``clock`` is moved on past them. The readings from ``n`` on
    wait for the readings after them, unless ``final`` (no more will come)."""
    t = np.asarray(t, float)
    n = len(t)
    reason = np.full(n, "", dtype=object)
    early = SPIKE_WINDOW - clock.seen  # the first readings' interval needs reading W + 1
    if n == 0 or (not final and n <= early):
        return reason[:0], 0
    d = np.diff(np.concatenate([[clock.prev], t]))
    up = d > 0
    upto = len(clock.steps) + np.cumsum(up)
    if early > 0:
        upto[:early] = upto[min(early, n - 1)]
    lim = _Limits(np.concatenate([clock.steps, d[up]]), upto)
    last, i, size = clock.last, 0, 64
    while i < n:
        if last == -math.inf:  # the circuit's first reading: judged by the ones after it
            win = t[i + 1 : i + 1 + SPIKE_WINDOW]
            if len(win) > 0 and float(t[i] - win.min()) > lim.at(i):
                reason[i] = JUMP_FORWARD
            elif len(win) < SPIKE_WINDOW and not final:
                n = i
                break
            else:
                last = float(t[i])
            i += 1
            continue
        j = min(n, i + size)  # blocks grow: a circuit's first steps bound limits loosely
        last, end = _block(t, i, j, last, lim, up, reason, final)
        if end < j:
            n = end
            break
        i, size = j, min(2 * size, BLOCK)
    clock.last, clock.seen = last, clock.seen + n
    if n:
        clock.prev = float(t[n - 1])
        clock.steps = np.concatenate([clock.steps, d[:n][up[:n]]])[-MAX_STEPS:]
    return reason[:n], n


class _Limits:
    """:data:`SPIKE_INTERVALS` × the typical interval at each reading: the median of the last
    :data:`MAX_STEPS` of ``steps`` up to the reading's (``upto``: how many there are by then);
    infinite without any. Worked out only where a reading may be that far ahead, for readings
    in order: the steps of the last one asked for are kept sorted (``window``, the first
    ``end`` steps' last :data:`MAX_STEPS`) and moved on a step at a time, or sorted anew after
    a jump of more than :data:`RESORT` steps."""

    def __init__(self, steps: np.ndarray, upto: np.ndarray) -> None:
        self.steps, self.upto = steps, upto
        self.window: list[float] = []
        self.end = -1

    def at(self, k: int) -> float:
        u = int(self.upto[k])
        if u == 0:
            return math.inf
        lo, w = max(0, u - MAX_STEPS), self.window
        if self.end < 0 or not 0 <= u - self.end <= RESORT:
            w = self.window = np.sort(self.steps[lo:u]).tolist()
        elif u > self.end:
            for x in self.steps[self.end : u].tolist():
                bisect.insort(w, x)
            for x in self.steps[max(0, self.end - MAX_STEPS) : lo].tolist():
                del w[bisect.bisect_left(w, x)]
        self.end, h = u, len(w) // 2
        return SPIKE_INTERVALS * (w[h] if len(w) % 2 else (w[h - 1] + w[h]) / 2)

    def fine(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`bounds` for every :data:`FINE` readings from ``i`` to ``j`` - 1 at once, for
        each reading (None at a circuit's start: fewer than :data:`MAX_STEPS` steps before)."""
        u = self.upto[i:j]
        starts = np.arange(0, len(u), FINE)
        lo, hi = np.minimum.reduceat(u, starts), np.maximum.reduceat(u, starts)
        size = int((hi - lo).max()) + MAX_STEPS
        if int(lo.min()) < MAX_STEPS or int(hi.min()) < size:
            return None
        pools = self.steps[(hi - size)[:, None] + np.arange(size)]
        q, r = (MAX_STEPS - 1) // 2, size - (MAX_STEPS + 1) // 2
        part = np.sort(pools, axis=1) * SPIKE_INTERVALS
        return np.repeat(part[:, q], FINE)[: len(u)], np.repeat(part[:, r], FINE)[: len(u)]

    def bounds(self, i: int, j: int) -> tuple[float, float]:
        """Figures no limit of readings ``i`` to ``j`` - 1 is under, and none is over: every
        one's steps (``size`` of them at least) are among ``pool``, so its median is at least
        the ``pool``'s element of rank (``size`` - 1) // 2 and at most the one of rank
        ``len(pool)`` - (``size`` + 1) // 2 (infinite if a reading has no steps). (Sorting
        the pool is quicker than partitioning it when many of its steps are equal.)"""
        u = self.upto[i:j]
        if len(u) == 0 or int(u.max()) == 0:
            return math.inf, math.inf
        lo = int(u[u > 0].min())
        size = min(lo, MAX_STEPS)
        pool = np.sort(self.steps[max(0, lo - MAX_STEPS) : int(u.max())])
        over = math.inf if int(u.min()) == 0 else float(pool[len(pool) - (size + 1) // 2])
        return SPIKE_INTERVALS * float(pool[(size - 1) // 2]), SPIKE_INTERVALS * over


def _candidates(
    lead: np.ndarray, i: int, j: int, lim: _Limits
) -> tuple[np.ndarray, list[float], list[float]]:
    """The readings (of ``i`` to ``j`` - 1) that may be suspects, at most ``lead`` ahead of
    the latest accepted time: over a lower bound of their limits (the block's, or finer ones
    if those leave many undecided), and bounds of their limits."""
    below, over = lim.bounds(i, j)
    cand = np.flatnonzero(lead > below)
    if int((lead[cand] <= over).sum()) > FINE_AFTER:
        fine = lim.fine(i, j)
        if fine is not None:
            cand = cand[lead[cand] > fine[0][cand]]
            return cand, fine[0][cand].tolist(), fine[1][cand].tolist()
    return cand, [below] * len(cand), [over] * len(cand)


def _block(
    t: np.ndarray, i: int, j: int, last: float, lim: _Limits, up: np.ndarray,
    reason: np.ndarray, final: bool,
) -> tuple[float, int]:
    """Judge readings ``i`` to ``j`` - 1 (``last``: the latest accepted time before them,
    finite; ``up``: whether each reading is later than the one before it). Returns the latest
    accepted time after them and where judging stopped (``j``, or a suspect waiting for the
    readings that decide it). See the module: only the candidates are walked one by one."""
    tb = t[i:j]
    m = len(tb)
    if up[i + 1 : j + SPIKE_WINDOW].all():
        spiky = np.zeros(m, dtype=bool)  # no reading is later than one after it
    else:
        after = np.full(m, math.inf)
        for s in range(1, SPIKE_WINDOW + 1):
            nxt = t[i + s : j + s]
            np.minimum(after[: len(nxt)], nxt, out=after[: len(nxt)])
        spiky = tb > after  # later than one of the readings after it: may be a corrupt stamp
    sure = np.maximum.accumulate(np.concatenate([[last], np.where(spiky, -math.inf, tb)[:-1]]))
    cand, below, over = _candidates(tb - sure, i, j, lim)
    spikes: list[int] = []
    end, first = m, last
    if len(cand):
        mask = np.zeros(m, dtype=bool)
        mask[cand] = True
        rest = np.maximum.accumulate(np.where(mask, -math.inf, tb))
        before = np.concatenate([[-math.inf], rest])[cand]
        for c, tc, g, sp, lo, hi in zip(cand.tolist(), tb[cand].tolist(), before.tolist(),
                                        spiky[cand].tolist(), below, over, strict=True):
            last = max(last, g)
            a = tc - last
            if a > hi or (a > lo and a > lim.at(i + c)):  # a suspect
                if sp:
                    spikes.append(c)
                    continue
                if not final and i + c + SPIKE_WINDOW >= len(t):
                    end = c
                    break
            last = max(last, tc)
    kept = tb[:end].copy()
    kept[spikes] = -math.inf
    prev = np.maximum.accumulate(np.concatenate([[first], kept[:-1]]))
    r = reason[i : i + end]
    r[tb[:end] < prev] = BACKWARDS
    r[tb[:end] == prev] = DUPLICATE_TIME
    r[spikes] = JUMP_FORWARD
    return (max(first, float(kept.max())) if end else first), i + end
