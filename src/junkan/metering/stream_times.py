"""The stream's time-stamp rules: the CSV import's (:func:`junkan.metering.ingest._flag_clock`)
applied as the readings arrive.

A reading whose time is not later than the latest accepted one is a clock jump backwards or a
duplicate. A reading more than :data:`~junkan.metering.ingest.SPIKE_INTERVALS` typical
sampling intervals ahead of the latest accepted one is *held* until the
:data:`SPIKE_WINDOW` readings after it have arrived (or the stream ends): if one of them is
earlier, it is a corrupt stamp (an implausible jump forward: quarantined, and the readings
after it judged against the latest accepted time as if it had never come); otherwise it is the
start of a gap and is accepted. A circuit's first reading has no previous one: it is held the
same way and is a corrupt stamp when it is more than the limit later than one of the readings
after it. The typical interval is the median positive step of the circuit's last
:data:`MAX_STEPS` accepted steps and of the readings being judged. Work per reading is
bounded: the readings are scanned in growing blocks up to the next suspect, and a suspect
looks at :data:`SPIKE_WINDOW` readings.
"""

from __future__ import annotations

import math

import numpy as np

from junkan.metering.ingest import (
    BACKWARDS,
    DUPLICATE_TIME,
    JUMP_FORWARD,
    SPIKE_INTERVALS,
    SPIKE_PASSES,
)

SPIKE_WINDOW = SPIKE_PASSES
"""Readings after a forward jump that may show it is a corrupt stamp (runs of up to this many
corrupt stamps are caught, as in the CSV import)."""
MAX_STEPS = 1000
"""Recent positive steps of a circuit kept for its typical sampling interval."""


def spike_limit(steps: np.ndarray, t: np.ndarray) -> float:
    """:data:`SPIKE_INTERVALS` × the median positive step of ``steps`` (recent accepted ones)
    and of ``t`` (the readings being judged); infinite when there is none yet."""
    d = np.diff(t)
    pos = np.concatenate([steps, d[d > 0]])
    return SPIKE_INTERVALS * float(np.median(pos)) if len(pos) else math.inf


def recent_steps(steps: np.ndarray, last: float, t: np.ndarray) -> np.ndarray:
    """``steps`` followed by the positive steps of newly accepted times ``t`` (after ``last``),
    the last :data:`MAX_STEPS` of them."""
    d = np.diff(np.concatenate([[last], t]))
    return np.concatenate([steps, d[np.isfinite(d) & (d > 0)]])[-MAX_STEPS:]


def judge(t: np.ndarray, last: float, limit: float, final: bool) -> tuple[np.ndarray, int]:
    """Time verdicts for readings ``t`` (value-checked, in arrival order) after the latest
    accepted time ``last`` (``-inf``: none yet): the reason of each of the first ``n``
    readings (``""`` = accepted) and ``n``; the readings from ``n`` on are held for the ones
    after them, unless ``final`` (the stream ends: a forward jump nothing contradicts is a
    gap)."""
    n = len(t)
    reason = np.full(n, "", dtype=object)
    i = 0
    while i < n:
        k, last = _to_suspect(t, i, last, limit, reason)
        if k >= n:
            break
        win = t[k + 1 : k + 1 + SPIKE_WINDOW]
        if last == -math.inf:  # the circuit's first reading: judged by the ones after it
            spike = len(win) > 0 and float(t[k] - win.min()) > limit
        else:
            spike = bool((win < t[k]).any())
        if spike:
            reason[k] = JUMP_FORWARD
        elif len(win) < SPIKE_WINDOW and not final:
            return reason[:k], k
        else:
            last = float(t[k])
        i = k + 1
    return reason, n


def _to_suspect(
    t: np.ndarray, i: int, last: float, limit: float, reason: np.ndarray
) -> tuple[int, float]:
    """Judge readings from ``i`` up to the next suspect (a forward jump over ``limit``, or the
    circuit's first reading): backwards or duplicate against the running latest time, else
    accepted. Returns the suspect's index (``len(t)`` if none) and the latest time before it.
    Blocks double in size, so finding a suspect costs about the readings skipped."""
    if last == -math.inf:
        return i, last
    m = 64
    while True:
        seg = t[i : i + m]
        prev = np.maximum.accumulate(np.concatenate([[last], seg[:-1]]))
        hit = np.flatnonzero(seg - prev > limit)
        stop = int(hit[0]) if len(hit) else len(seg)
        r = reason[i : i + stop]
        r[seg[:stop] < prev[:stop]] = BACKWARDS
        r[seg[:stop] == prev[:stop]] = DUPLICATE_TIME
        if stop:
            last = max(last, float(seg[:stop].max()))
        if len(hit) or i + m >= len(t):
            return i + stop, last
        i, m = i + m, 2 * m
