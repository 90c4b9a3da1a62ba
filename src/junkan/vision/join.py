"""The join step of :mod:`junkan.vision.segment` (step 5 of its docstring): the logistic
model of whether two adjacent regions are one piece, the merging of the region adjacency
graph, the absorption of specks, and the fitting of the model on annotated images."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

import numpy as np

from junkan.vision.regions import JOIN_FEATURES, Regions, SegmentParams, regions


def join_probability(x: np.ndarray, p: SegmentParams) -> np.ndarray:
    """(pairs,) the logistic model's probability that two adjacent regions are one piece."""
    z = x @ np.asarray(p.join_weights, float) + p.join_bias
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


class _Graph:
    """The region adjacency graph while regions merge: per region its sums (and its mean Lab
    colour and mean gradient, kept up to date), per edge its boundary sums, and the join
    probability of an edge from them. ``version[i]`` counts region i's merges: a probability
    computed at the same versions of its two regions is still exact."""

    def __init__(self, r: Regions, p: SegmentParams) -> None:
        self.mmpp = r.mm_per_px
        self.peak = r.peak.tolist()
        self.area = r.area.tolist()
        self.grad = r.grad_sum.tolist()
        self.lab = r.lab_sum.tolist()
        self.mean_lab = [self._lab_mean(i) for i in range(r.n)]
        self.inner = [g / max(a, 1.0) for g, a in zip(self.grad, self.area, strict=True)]
        self.version = [0] * r.n
        self.w, self.bias = tuple(p.join_weights), p.join_bias
        self.edges: dict[tuple[int, int], list[float]] = {}
        self.nb: list[set[int]] = [set() for _ in range(r.n)]
        for a, b, ln, sd, gl in zip(r.a.tolist(), r.b.tolist(), r.length.tolist(),
                                    r.saddle.tolist(), r.line_grad.tolist(), strict=True):
            self.edges[(a, b)] = [ln, sd, gl]
            self.nb[a].add(b)
            self.nb[b].add(a)

    def _lab_mean(self, i: int) -> tuple[float, float, float]:
        area, (l0, l1, l2) = max(self.area[i], 1.0), self.lab[i]
        return l0 / area, l1 / area, l2 / area

    def prob(self, a: int, b: int) -> float:
        """:func:`join_probability` of one edge (scalar arithmetic: it runs per merge)."""
        ln, sd, gl = self.edges[(a, b) if a < b else (b, a)]
        pa, pb = self.peak[a], self.peak[b]
        pmin = pa if pa < pb else pb
        if pmin < 1.0:
            pmin = 1.0
        g_line = gl / (ln if ln > 1.0 else 1.0)
        ia, ib = self.inner[a], self.inner[b]
        inner = ia if ia > ib else ib
        if inner < 0.5:
            inner = 0.5
        (a0, a1, a2), (b0, b1, b2) = self.mean_lab[a], self.mean_lab[b]
        de = math.sqrt((a0 - b0) ** 2 + (a1 - b1) ** 2 + (a2 - b2) ** 2)
        w0, w1, w2, w3, w4, w5 = self.w
        z = (self.bias + w0 * (sd / pmin) + w1 * ((pmin - sd) * self.mmpp) + w2 * de
             + w3 * (g_line / inner) + w4 * (ln / pmin) + w5 * g_line)
        return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))

    def merge(self, a: int, b: int) -> None:
        """Region b into region a: sums added, b's edges moved to a."""
        self.area[a] += self.area[b]
        self.lab[a] = [u + v for u, v in zip(self.lab[a], self.lab[b], strict=True)]
        self.grad[a] += self.grad[b]
        self.peak[a] = max(self.peak[a], self.peak[b])
        self.mean_lab[a] = self._lab_mean(a)
        self.inner[a] = self.grad[a] / max(self.area[a], 1.0)
        self.version[a] += 1
        del self.edges[(min(a, b), max(a, b))]
        self.nb[a].discard(b)
        for c in self.nb[b] - {a}:
            eb = self.edges.pop((min(b, c), max(b, c)))
            key = (min(a, c), max(a, c))
            ea = self.edges.get(key)
            if ea is not None:
                eb = [ea[0] + eb[0], max(ea[1], eb[1]), ea[2] + eb[2]]
            self.edges[key] = eb
            self.nb[c].discard(b)
            self.nb[c].add(a)
            self.nb[a].add(c)
        self.nb[b] = set()


def join(r: Regions, p: SegmentParams) -> np.ndarray:
    """(n,) the piece (0-based, consecutive) of each region: adjacent regions merged while
    the most probable join (:func:`join_probability`, recomputed from the merged regions'
    sums after each merge) is at least ``join_p``."""
    parent = list(range(r.n))
    if len(r.a):
        g = _Graph(r, p)
        prob = join_probability(r.x, p)
        # (-probability, a, b, a's version, b's version): an entry whose regions have merged
        # since is stale, and the merge pushed its successor
        heap = [(-q, a, b, 0, 0) for q, a, b in zip(prob.tolist(), r.a.tolist(), r.b.tolist(),
                                                      strict=True)]
        heapq.heapify(heap)
        version = g.version
        while heap and -heap[0][0] >= p.join_p:
            _, a, b, va, vb = heapq.heappop(heap)
            if parent[a] != a or parent[b] != b or version[a] != va or version[b] != vb:
                continue
            g.merge(a, b)
            parent[b] = a
            for c in g.nb[a]:
                lo, hi = (a, c) if a < c else (c, a)
                heapq.heappush(heap, (-g.prob(a, c), lo, hi, version[lo], version[hi]))
    roots = np.array([_find(parent, i) for i in range(r.n)], int)
    return np.unique(roots, return_inverse=True)[1].astype(np.int32)


def absorb_specks(r: Regions, piece: np.ndarray, min_px: float) -> np.ndarray:
    """``piece`` with each piece smaller than ``min_px`` pixels that touches another piece
    given to the one it shares the longest boundary with (a speck of a ragged outline, or
    of the pixels at a neck, is not a piece of its own)."""
    area = np.bincount(piece, weights=r.area, minlength=int(piece.max()) + 1)
    pa, pb = piece[r.a], piece[r.b]
    cross = pa != pb
    if not cross.any() or (area >= min_px).all():
        return piece
    best: dict[int, tuple[float, int]] = {}
    for a, b, ln in zip(pa[cross], pb[cross], r.length[cross], strict=True):
        for small, other in ((int(a), int(b)), (int(b), int(a))):
            if area[small] < min_px and ln > best.get(small, (0.0, -1))[0]:
                best[small] = (float(ln), other)
    lut = np.arange(len(area))
    for small, (_, other) in best.items():
        lut[small] = other if area[other] >= min_px or other < small else small
    out = lut[piece]
    return np.unique(out, return_inverse=True)[1].astype(np.int32)


def same_piece(r: Regions, truth: np.ndarray) -> np.ndarray:
    """(pairs,) whether the two regions of each pair belong to the same annotated piece (the
    one covering most of each region; ``truth`` at full resolution, reduced by taking every
    ``scale``-th pixel)."""
    s = max(1, int(round(truth.shape[1] / max(r.ws.shape[1], 1))))
    t = truth[::s, ::s][: r.ws.shape[0], : r.ws.shape[1]].astype(np.int64)
    reg = np.where(r.ws >= 2, r.ws - 1, 0)[: t.shape[0], : t.shape[1]].astype(np.int64)
    m = int(t.max()) + 1
    joint = np.bincount((reg * m + t).ravel(), minlength=(r.n + 1) * m).reshape(r.n + 1, m)
    owner = joint[1:, 1:].argmax(axis=1) if m > 1 else np.zeros(r.n, int)
    return np.asarray(owner[r.a] == owner[r.b])


def fit_join(
    items: Iterable[tuple[np.ndarray, float, np.ndarray]], params: SegmentParams | None = None
) -> tuple[SegmentParams, dict[str, float]]:
    """The join model fitted (logistic regression, each pair weighted by its smaller
    region's area: the many specks of a ragged outline matter less than the lobes of real
    pieces) on instance-annotated images — (image, mm/px, truth labels) — and its figures;
    the given settings unchanged (``fitted`` 0) when the images have too few adjacent pairs
    of either kind (under 30)."""
    from sklearn.linear_model import LogisticRegression

    p = params or SegmentParams()
    xs, ys, ws = [], [], []
    for image, mmpp, truth in items:
        r = regions(image, mmpp, p)
        if len(r.a):
            xs.append(r.x)
            ys.append(same_piece(r, truth))
            ws.append(np.minimum(r.area[r.a], r.area[r.b]))
    x = np.vstack(xs) if xs else np.zeros((0, len(JOIN_FEATURES)))
    y = np.concatenate(ys) if ys else np.zeros(0, bool)
    w = np.concatenate(ws) if ws else np.zeros(0)
    info: dict[str, float] = {"pairs": float(len(y)), "same_piece": float(y.sum())}
    if y.sum() < 30 or (~y).sum() < 30:
        info["fitted"] = 0.0
        return p, info
    lr = LogisticRegression(max_iter=3000, C=1.0).fit(x, y, sample_weight=w / max(w.mean(), 1))
    info["fitted"] = 1.0
    info["pair_accuracy"] = float(lr.score(x, y))
    fitted = p.model_copy(
        update={
            "join_weights": [float(v) for v in lr.coef_[0]],
            "join_bias": float(lr.intercept_[0]),
        }
    )
    return fitted, info
