"""Simple rings: a polygon's rings must not cross, overlap or touch themselves (the Polygon
assertions of OGC Simple Feature Access, Part 1, OGC 06-103r4: rings are simple, may meet
only at a point as a tangent, no spikes, a connected interior). A "bow tie" ring such as
[[0,0],[1,1],[1,0],[0,1],[0,0]] has a shoelace sum whose two lobes cancel, so its area and
centroid are wrong, and what a rasteriser counts as inside a crossing ring depends on its
fill rule; it is refused at load instead.

Rules (checked for each polygon of a Polygon or MultiPolygon, its exterior and holes):

- A ring needs 3 distinct positions; repeated consecutive positions are allowed (dropped).
- Two edges of one ring that are not neighbours must not meet at all: no crossing, no
  collinear overlap, and no touching, also at a vertex (a ring visiting the same position
  twice is not simple in OGC; give such a figure as a MultiPolygon or with a hole).
- Neighbouring edges share their common vertex only: an edge folding back along the previous
  one (a "spike") overlaps it.
- Rings of one polygon (exterior and holes) must not cross or overlap along an edge; they may
  touch at one point (OGC), not at two or more (that cuts the interior in pieces).

Not checked: a hole lying wholly outside its exterior (or inside another hole) without
touching it, and parts of a MultiPolygon overlapping each other.

The test is exact (orientation predicates filtered in float64 with Shewchuk's error bound,
decided with rational arithmetic when the filter is unsure) and runs on a uniform grid: each
edge is cut into pieces no longer than a cell, and only edges sharing a cell are compared,
so a ring of n vertices costs about O(n log n) unless very many edges crowd one cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

_EPS = 2.0**-53
_ERRBOUND = (3.0 + 16.0 * _EPS) * _EPS
"""Shewchuk (1997), *Adaptive precision floating-point arithmetic and fast robust geometric
predicates*, ``ccwerrboundA``: a float orientation larger than this times
|detleft| + |detright| has the exact sign."""
MAX_PAIRS = 20_000_000
"""Most pairs of edges sharing a grid cell that one polygon may have: about 10 s of testing
(measured 0.5 µs a pair on one core). Real outlines have about one per edge (measured, rings
of 1,000,000 vertices: a lobed circle 1.15 M pairs, 1.2–4.4 s in all on a shared 2-core
machine; a densified square 1.05 M; a thin diagonal corridor 1.15 M); only a dense comb of
long, almost parallel edges, each within one cell of hundreds of others, goes past it (a
1,000,000-vertex radial zigzag: 447 M pairs, refused after 2.4 s)."""
_CHUNK = 2_000_000
"""Edge pairs tested at once (bounds the memory of one step, ~100 bytes a pair)."""


@dataclass(frozen=True)
class Fault:
    """Where a polygon is not simple: rings (0 = exterior), edges (by the position in the
    ring where each starts and ends), a point near the fault, and what is wrong."""

    kind: str  # "degenerate", "cross", "touch", "overlap", "spike", "touches twice",
    # "intricate" (too many edges close together to check: ``pairs``)
    ring_a: int
    edge_a: tuple[int, int]
    ring_b: int
    edge_b: tuple[int, int]
    x: float
    y: float
    pairs: int = 0


class _Edges:
    """The edges of a polygon's rings, repeated consecutive positions dropped."""

    def __init__(self, rings: list[Any]) -> None:
        names = ("ax", "ay", "bx", "by", "ring", "k", "n", "start", "end")
        cols: dict[str, list[np.ndarray]] = {c: [] for c in names}
        self.degenerate: Fault | None = None
        for r, coords in enumerate(rings):
            pts = _points(coords)[:-1]
            keep = np.ones(len(pts), dtype=bool)
            keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
            idx = np.flatnonzero(keep)
            while len(idx) > 1 and np.all(pts[idx[-1]] == pts[idx[0]]):
                idx = idx[:-1]
            m = len(idx)
            if m < 3:
                if self.degenerate is None:
                    p = pts[0]
                    self.degenerate = Fault("degenerate", r, (0, len(pts)), r, (0, len(pts)),
                                            float(p[0]), float(p[1]))
                continue
            v = pts[idx]
            w = np.roll(v, -1, axis=0)
            vals = (v[:, 0], v[:, 1], w[:, 0], w[:, 1], np.full(m, r), np.arange(m),
                    np.full(m, m), idx, np.append(idx[1:], len(pts)))
            for c, val in zip(names, vals, strict=True):
                cols[c].append(val)
        self.ax, self.ay, self.bx, self.by = (_concat(cols[c], float) for c in names[:4])
        self.ring, self.k, self.n, self.start, self.end = (
            _concat(cols[c], int) for c in names[4:])

    def label(self, e: int) -> tuple[int, tuple[int, int]]:
        return int(self.ring[e]), (int(self.start[e]), int(self.end[e]))


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _points(coords: Any) -> np.ndarray:
    try:
        a = np.asarray(coords, dtype=np.float64)
        if a.ndim == 2 and a.shape[1] >= 2:
            return a[:, :2]
    except ValueError:  # positions of different lengths ([x, y] and [x, y, z])
        pass
    return np.asarray([p[:2] for p in coords], dtype=np.float64)


def fault(rings: list[Any]) -> Fault | None:
    """The first fault of one polygon (``rings[0]`` the exterior, the rest holes; each a
    closed list of finite [x, y] positions), or None when it is simple."""
    ed = _Edges(rings)
    if ed.degenerate is not None:
        return ed.degenerate
    spike = _spikes(ed)
    if spike is not None:
        return spike
    touches: list[np.ndarray] = []
    edge, after = _candidates(ed)
    pairs = int(after.sum())
    if pairs > MAX_PAIRS:
        return Fault("intricate", 0, (0, 0), 0, (0, 0), 0.0, 0.0, pairs)
    for e1, e2 in _pairs(ed, edge, after):
        found = _test(ed, e1, e2, touches)
        if found is not None:
            return found
    return _touches_twice(ed, touches)


def _orient(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
            cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Exact sign of the orientation of (a, b, c): 1 left turn, -1 right, 0 collinear."""
    left = (ax - cx) * (by - cy)
    right = (ay - cy) * (bx - cx)
    det = left - right
    s = np.sign(det).astype(np.int8)
    bound = _ERRBOUND * (np.abs(left) + np.abs(right))
    for i in np.flatnonzero((np.abs(det) <= bound) & (bound > 0)):
        f = [Fraction(float(v[i])) for v in (ax, ay, bx, by, cx, cy)]
        d = (f[0] - f[4]) * (f[3] - f[5]) - (f[1] - f[5]) * (f[2] - f[4])
        s[i] = (d > 0) - (d < 0)
    return s


def _spikes(ed: _Edges) -> Fault | None:
    """Neighbouring edges p→q, q→r overlapping: collinear with r on the side of p."""
    e1 = np.arange(len(ed.ax))
    e2 = np.where(ed.k == ed.n - 1, e1 - ed.n + 1, e1 + 1)
    px, py, qx, qy, rx, ry = ed.ax[e1], ed.ay[e1], ed.bx[e1], ed.by[e1], ed.bx[e2], ed.by[e2]
    same = (np.sign(px - qx) == np.sign(rx - qx)) & (np.sign(py - qy) == np.sign(ry - qy))
    bad = np.flatnonzero(same)
    if len(bad):
        bad = bad[_orient(px[bad], py[bad], qx[bad], qy[bad], rx[bad], ry[bad]) == 0]
    if not len(bad):
        return None
    i = int(bad[0])
    (ra, la), (rb, lb) = ed.label(int(e1[i])), ed.label(int(e2[i]))
    return Fault("spike", ra, la, rb, lb, float(qx[i]), float(qy[i]))


def _candidates(ed: _Edges) -> tuple[np.ndarray, np.ndarray]:
    """The edges in each grid cell, cell after cell, and for each the number of edges after
    it in its cell (the pairs it starts)."""
    n_e = len(ed.ax)
    dx, dy = ed.bx - ed.ax, ed.by - ed.ay
    length = np.hypot(dx, dy)
    cs = max(float(np.median(length)), float(length.sum()) / (2 * n_e))
    pieces = np.maximum(1, np.ceil(length / cs)).astype(np.int64)
    eid = np.repeat(np.arange(n_e), pieces)
    t = np.arange(len(eid)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0, t1 = t / pieces[eid], (t + 1) / pieces[eid]
    x0, x1 = ed.ax[eid] + dx[eid] * t0, ed.ax[eid] + dx[eid] * t1
    y0, y1 = ed.ay[eid] + dy[eid] * t0, ed.ay[eid] + dy[eid] * t1
    ox, oy = float(ed.ax.min()), float(ed.ay.min())
    pad = cs * 1e-6 + 1e-12 * max(float(np.abs(ed.ax).max()), float(np.abs(ed.ay).max()))
    ix0 = np.floor((np.minimum(x0, x1) - pad - ox) / cs).astype(np.int64)
    ix1 = np.floor((np.maximum(x0, x1) + pad - ox) / cs).astype(np.int64)
    iy0 = np.floor((np.minimum(y0, y1) - pad - oy) / cs).astype(np.int64)
    iy1 = np.floor((np.maximum(y0, y1) + pad - oy) / cs).astype(np.int64)
    del x0, x1, y0, y1, t, t0, t1
    nx, ny = ix1 - ix0 + 1, iy1 - iy0 + 1
    cnt = nx * ny
    rep = np.repeat(np.arange(len(eid)), cnt)
    off = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    cx, cy = ix0[rep] - ix0.min() + off // ny[rep], iy0[rep] - iy0.min() + off % ny[rep]
    edge = eid[rep]
    del rep, off
    span = (int(cx.max()) + 1) * (int(cy.max()) + 1) * n_e
    if span < 2**62:  # one int64 key sorts faster than three
        order = np.argsort((cx * (int(cy.max()) + 1) + cy) * n_e + edge)
    else:
        order = np.lexsort((edge, cy, cx))
    cx, cy, edge = cx[order], cy[order], edge[order]
    new_cell = np.ones(len(edge), dtype=bool)
    new_cell[1:] = (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])
    dup = np.zeros(len(edge), dtype=bool)
    dup[1:] = ~new_cell[1:] & (edge[1:] == edge[:-1])
    edge, new_cell = edge[~dup], new_cell[~dup]
    run_start = np.flatnonzero(new_cell)
    run_end = np.append(run_start[1:], len(edge))
    pos_end = np.repeat(run_end, run_end - run_start)  # end of each entry's run
    after = pos_end - np.arange(len(edge)) - 1  # partners of each entry later in its run
    return edge, after


def _pairs(ed: _Edges, edge: np.ndarray, after: np.ndarray) -> Any:
    """Pairs of edges (e1 < e2) sharing a grid cell, not neighbours, in chunks."""
    cum = np.cumsum(after)
    lo = 0
    while lo < len(edge):
        base = int(cum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(cum, base + _CHUNK, side="right"))
        hi = max(hi, lo + 1)
        first = np.repeat(np.arange(lo, hi), after[lo:hi])
        start = np.repeat(cum[lo:hi] - after[lo:hi] - base, after[lo:hi])
        second = first + 1 + (np.arange(len(first)) - start)
        e1, e2 = edge[first], edge[second]
        e1, e2 = np.minimum(e1, e2), np.maximum(e1, e2)
        same = ed.ring[e1] == ed.ring[e2]
        gap = e2 - e1
        neighbours = same & ((gap == 1) | (gap == ed.n[e1] - 1))
        keep = ~neighbours
        if keep.any():
            yield e1[keep], e2[keep]
        lo = hi


def _test(ed: _Edges, e1: np.ndarray, e2: np.ndarray, touches: list[np.ndarray]
          ) -> Fault | None:
    """The first faulty pair among edges e1[i]–e2[i]; cross-ring touch points kept."""
    ax, ay, bx, by = ed.ax[e1], ed.ay[e1], ed.bx[e1], ed.by[e1]
    cx, cy, dx, dy = ed.ax[e2], ed.ay[e2], ed.bx[e2], ed.by[e2]
    # bounding boxes first: most pairs sharing a cell do not come near each other
    near = ((np.maximum(ax, bx) >= np.minimum(cx, dx)) & (np.maximum(cx, dx) >= np.minimum(ax, bx))
            & (np.maximum(ay, by) >= np.minimum(cy, dy))
            & (np.maximum(cy, dy) >= np.minimum(ay, by)))
    sel = np.flatnonzero(near)
    if not len(sel):
        return None
    e1, e2 = e1[sel], e2[sel]
    ax, ay, bx, by, cx, cy, dx, dy = (v[sel] for v in (ax, ay, bx, by, cx, cy, dx, dy))
    o1, o2 = _orient(ax, ay, bx, by, cx, cy), _orient(ax, ay, bx, by, dx, dy)
    o3, o4 = _orient(cx, cy, dx, dy, ax, ay), _orient(cx, cy, dx, dy, bx, by)

    def on(px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray,
           rx: np.ndarray, ry: np.ndarray) -> np.ndarray:  # r within the box of p–q
        return ((np.minimum(px, qx) <= rx) & (rx <= np.maximum(px, qx))
                & (np.minimum(py, qy) <= ry) & (ry <= np.maximum(py, qy)))

    cross = (o1 * o2 < 0) & (o3 * o4 < 0)
    t_c, t_d = (o1 == 0) & on(ax, ay, bx, by, cx, cy), (o2 == 0) & on(ax, ay, bx, by, dx, dy)
    t_a, t_b = (o3 == 0) & on(cx, cy, dx, dy, ax, ay), (o4 == 0) & on(cx, cy, dx, dy, bx, by)
    touch = t_a | t_b | t_c | t_d
    horiz = np.abs(bx - ax) >= np.abs(by - ay)
    s1, s2 = np.where(horiz, ax, ay), np.where(horiz, bx, by)
    s3, s4 = np.where(horiz, cx, cy), np.where(horiz, dx, dy)
    overlap = ((o1 == 0) & (o2 == 0) & (np.minimum(np.maximum(s1, s2), np.maximum(s3, s4))
                                        > np.maximum(np.minimum(s1, s2), np.minimum(s3, s4))))
    same = ed.ring[e1] == ed.ring[e2]
    bad = np.flatnonzero(cross | overlap | (same & touch))
    if len(bad):
        i = int(bad[np.lexsort((e2[bad], e1[bad]))[0]])
        kind = "overlap" if overlap[i] else "cross" if cross[i] else "touch"
        if cross[i]:
            x, y = _crossing(*(float(v[i]) for v in (ax, ay, bx, by, cx, cy, dx, dy)))
        else:
            pick = [(t_c, cx, cy), (t_d, dx, dy), (t_a, ax, ay), (t_b, bx, by)]
            x, y = next((float(px[i]), float(py[i])) for t, px, py in pick if t[i])
        (ra, la), (rb, lb) = ed.label(int(e1[i])), ed.label(int(e2[i]))
        return Fault(kind, ra, la, rb, lb, x, y)
    t = np.flatnonzero(touch & ~same)
    if len(t):
        px = np.where(t_c, cx, np.where(t_d, dx, np.where(t_a, ax, bx)))[t]
        py = np.where(t_c, cy, np.where(t_d, dy, np.where(t_a, ay, by)))[t]
        touches.append(np.stack([ed.ring[e1[t]], ed.ring[e2[t]], px, py, e1[t], e2[t]], 1))
    return None


def _crossing(ax: float, ay: float, bx: float, by: float, cx: float, cy: float,
              dx: float, dy: float) -> tuple[float, float]:
    den = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
    t = ((cx - ax) * (dy - cy) - (cy - ay) * (dx - cx)) / den if den else 0.0
    return ax + t * (bx - ax), ay + t * (by - ay)


def _touches_twice(ed: _Edges, touches: list[np.ndarray]) -> Fault | None:
    """Two rings touching at two or more distinct points."""
    if not touches:
        return None
    t = np.concatenate(touches)
    t = t[np.lexsort((t[:, 3], t[:, 2], t[:, 1], t[:, 0]))]
    new = np.ones(len(t), dtype=bool)
    new[1:] = np.any(t[1:, :4] != t[:-1, :4], axis=1)
    t = t[new]  # one row per (ring, ring, point)
    same_pair = np.flatnonzero((t[1:, 0] == t[:-1, 0]) & (t[1:, 1] == t[:-1, 1]))
    if not len(same_pair):
        return None
    row = t[int(same_pair[0]) + 1]
    (ra, la), (rb, lb) = ed.label(int(row[4])), ed.label(int(row[5]))
    return Fault("touches twice", ra, la, rb, lb, float(row[2]), float(row[3]))
