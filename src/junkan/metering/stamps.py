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
(``final``), both have reached the same verdicts on the same readings. Work per reading is
bounded: the readings are scanned in blocks up to the next suspect, a typical interval is
worked out only for a reading far ahead of the others, and a suspect looks at
:data:`SPIKE_WINDOW` readings.
"""

from __future__ import annotations

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
BLOCK = 1024
"""Readings scanned at once for the next suspect, at most."""

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
    last, i = clock.last, 0
    while i < n:
        k, last = _to_suspect(t, i, last, lim, reason)
        if k >= n:
            break
        win = t[k + 1 : k + 1 + SPIKE_WINDOW]
        if last == -math.inf:  # the circuit's first reading: judged by the ones after it
            spike = len(win) > 0 and float(t[k] - win.min()) > lim.at(k)
        else:
            spike = bool((win < t[k]).any())
        if spike:
            reason[k] = JUMP_FORWARD
        elif len(win) < SPIKE_WINDOW and not final:
            n = k
            break
        else:
            last = float(t[k])
        i = k + 1
    clock.last, clock.seen = last, clock.seen + n
    if n:
        clock.prev = float(t[n - 1])
        clock.steps = np.concatenate([clock.steps, d[:n][up[:n]]])[-MAX_STEPS:]
    return reason[:n], n


class _Limits:
    """:data:`SPIKE_INTERVALS` × the typical interval at each reading: the median of the last
    :data:`MAX_STEPS` of ``steps`` up to the reading's (``upto``: how many there are by then);
    infinite without any. Worked out only where a reading may be that far ahead."""

    def __init__(self, steps: np.ndarray, upto: np.ndarray) -> None:
        self.steps, self.upto = steps, upto

    def at(self, k: int) -> float:
        u = int(self.upto[k])
        if u == 0:
            return math.inf
        return SPIKE_INTERVALS * float(np.median(self.steps[max(0, u - MAX_STEPS) : u]))

    def below(self, i: int, j: int) -> float:
        """A figure no limit of readings ``i`` to ``j`` - 1 is under: every one's steps are
        among ``pool``, at least ``size`` of them, so its median is at least the ``pool``'s
        element of rank (``size`` - 1) // 2."""
        u = self.upto[i:j]
        u = u[u > 0]
        if len(u) == 0:
            return math.inf
        lo, size = int(u.min()), min(int(u.min()), MAX_STEPS)
        pool = self.steps[max(0, lo - MAX_STEPS) : int(u.max())]
        q = (size - 1) // 2
        return SPIKE_INTERVALS * float(np.partition(pool, q)[q])


def _to_suspect(
    t: np.ndarray, i: int, last: float, lim: _Limits, reason: np.ndarray
) -> tuple[int, float]:
    """Judge readings from ``i`` up to the next suspect (more than its limit ahead of the
    latest accepted time, or the circuit's first reading): backwards or duplicate against the
    running latest time, else accepted. Returns the suspect's index (``len(t)`` if none) and
    the latest time before it. Blocks double in size up to :data:`BLOCK`, so finding a suspect
    costs about the readings skipped (and a limit is worked out only for a reading far ahead
    of the others)."""
    if last == -math.inf:
        return i, last
    m = 64
    while True:
        seg = t[i : i + m]
        prev = np.maximum.accumulate(np.concatenate([[last], seg[:-1]]))
        ahead = seg - prev
        far = np.flatnonzero(ahead > lim.below(i, i + len(seg)))
        stop = next((int(c) for c in far if ahead[c] > lim.at(i + int(c))), len(seg))
        r = reason[i : i + stop]
        r[seg[:stop] < prev[:stop]] = BACKWARDS
        r[seg[:stop] == prev[:stop]] = DUPLICATE_TIME
        if stop:
            last = max(last, float(seg[:stop].max()))
        if stop < len(seg) or i + m >= len(t):
            return i + stop, last
        i, m = i + m, min(2 * m, BLOCK)
