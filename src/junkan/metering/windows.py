"""Which scan windows overlap which segments, in time near-linear in their numbers.

:func:`junkan.metering.attribute.attribute` used to test every on-segment of a circuit
against every scan event of that circuit: segments × events (a month at a plant, 100,000 of
each, is 10¹⁰ pairs). :func:`overlapping` sorts the windows by start once and sweeps the
segments in order of start: the windows starting inside a segment are one slice of the sorted
windows (two binary searches), and those starting before it and still open at its start are
kept in a heap ordered by end, from which a window is dropped once a segment starts at or
after its end. Every window it visits overlaps the segment (except empty ones, which start
inside it), so one very long window costs only the segments it overlaps: the work is
O((windows + segments) · log windows + pairs found). The comparisons are the exact ones of
the overlap test, with no tolerance of their own, so nothing is lost to rounding.
"""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np


def overlapping(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """Per segment ``k`` (``a[k]`` to ``b[k]``), the positions ``j`` (ascending) of the windows
    (``lo[j]`` to ``hi[j]``) with ``lo[j] < b[k]`` and ``hi[j] > a[k]``: every window that
    overlaps it by a positive time, and possibly a few that do not (a segment with
    ``b ≤ a`` or a NaN end); the caller keeps those whose overlap is positive. A window with
    a NaN bound overlaps nothing and is left out."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.flatnonzero(~(np.isnan(lo) | np.isnan(hi)))
    order = ok[np.argsort(lo[ok], kind="stable")]
    starts = lo[order]
    first = np.searchsorted(starts, a, "left").tolist()  # the first window starting at ≥ a
    last = np.searchsorted(starts, b, "left").tolist()  # the first window starting at ≥ b
    pos, ends, begin = order.tolist(), hi.tolist(), starts.tolist()
    out: list[list[int]] = [[]] * len(a)  # every slot is set below
    heap: list[tuple[float, int]] = []  # (end, position) of windows starting before a
    p = 0
    for k in np.argsort(a, kind="stable").tolist():  # NaN starts last: they change nothing
        ak = float(a[k])
        while p < len(pos) and begin[p] < ak:
            heappush(heap, (ends[pos[p]], pos[p]))
            p += 1
        while heap and heap[0][0] <= ak:  # ended at or before this (and every later) start
            heappop(heap)
        found = [j for _, j in heap]
        found += [j for j in pos[first[k]:last[k]] if ends[j] > ak]
        found.sort()
        out[k] = found
    return out
