"""The time-stamp rule as :mod:`junkan.metering.stamps` had it before it judged readings in
vectorised blocks (as commit 83fcabe wrote it), kept verbatim as the reference that
``test_stamps_fast.py`` checks the fast one against: a Python loop once per suspect, with a
median (or partition) over up to 1000 steps each time."""

from __future__ import annotations

import math

import numpy as np

from junkan.metering.stamps import (
    BACKWARDS,
    DUPLICATE_TIME,
    JUMP_FORWARD,
    MAX_STEPS,
    SPIKE_INTERVALS,
    SPIKE_WINDOW,
    Clock,
)

BLOCK = 1024


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
