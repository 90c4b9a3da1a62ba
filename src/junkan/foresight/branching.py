"""Where groups of scenarios part, and what parts them.

Every factor (and every policy lever, as the 0/1 path "on and started") is compared between
two sides — two groups, or two clades of the scenario tree — year by year, from per-group
sums of each factor's state (:class:`GroupStats`, one pass over the states: stored, or
streamed by re-running the ensemble's chunks):

* **effect size** d = |μ_A − μ_B| / √((σ²_A + σ²_B)/2 + f²) with the floor f = ``SD_FLOOR``
  (0.01 of the normalised range) inside the root: a factor that moves identically in every
  scenario of each side (σ = 0, e.g. the target of a lever) still registers its separation
  (d = |Δμ|/f), while differences under about 0.015 never count;
* **separation** R² = p q Δμ² / (p q Δμ² + p σ²_A + q σ²_B + f²) (p, q the sides' shares):
  the share of the factor's spread across both sides that the split explains. Cutting one
  unimodal cloud in two explains at most 64 % (normal) to 75 % (uniform); two worlds that
  really parted explain more.

A split is **real** when its smaller side holds at least
:func:`~junkan.foresight.limits.min_side` scenarios — max(5, ⌈5 % of n⌉) of the n analysed —
and some factor's separation stays ≥ ``R2_THRESHOLD`` (0.8) for ``MIN_RUN`` years running
(or to the last year); otherwise it has no branch year (k-means cut a continuum, or split
off a handful of scenarios: a side of one scenario has no spread, so any difference of its
mean looks like a perfect separation). Every split reports its ``smaller_side`` and the
``min_side`` it was held to. The **diverging factor** is the first factor to part that way; the
**driver** is, among it and its ancestors in the causal graph (levers included), the one
whose effect size first stays ≥ ``D_THRESHOLD`` (1.5) for ``MIN_RUN`` years (ties: a lever
before a factor, then the larger d), and the **branch year** is that year. The effect size
reported is the driver's in that year (a lever's: that of the factor it moves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.foresight.engine import Ensemble, chunk_seed, run_chunk
from junkan.foresight.grouping import _limit_threads
from junkan.foresight.limits import min_side

D_THRESHOLD = 1.5
R2_THRESHOLD = 0.8
SD_FLOOR = 0.01
MIN_RUN = 5
"""Years a separation must hold (or to the last year) to count."""
ROWS = 256
"""Rows of (year, factor) reduced at a time (bounds the temporaries)."""


@dataclass
class GroupStats:
    """Per group g and node m (K factors, then L levers) and year t: the count, and the sums
    of (x − shift) and (x − shift)², so any union of groups has its mean and variance."""

    counts: np.ndarray  # (G,)
    shift: np.ndarray  # (T, M)
    s1: np.ndarray  # (T, M, G)
    s2: np.ndarray  # (T, M, G)
    names: list[str]
    is_lever: np.ndarray  # (M,) bool
    parents: list[list[int]]
    years: np.ndarray
    target: dict[int, int]
    """Lever node → the factor it acts on."""

    def side(self, groups: Sequence[int]) -> tuple[float, np.ndarray, np.ndarray]:
        """Count, mean (T, M) and variance (T, M) of the union of ``groups``."""
        g = list(groups)
        n = float(self.counts[g].sum())
        m1 = self.s1[:, :, g].sum(axis=2) / n
        m2 = self.s2[:, :, g].sum(axis=2) / n
        return n, self.shift + m1, np.maximum(m2 - m1 * m1, 0.0)


def _accumulate(block: np.ndarray, labels: np.ndarray, k: int, shift: np.ndarray,
                s1: np.ndarray, s2: np.ndarray) -> None:
    """Add the (T, K, w) states ``block`` of scenarios with ``labels`` into s1, s2."""
    onehot = np.zeros((labels.size, k), dtype=np.float32)
    onehot[np.arange(labels.size), labels] = 1.0
    t_n, k_n, w = block.shape
    flat = block.reshape(t_n * k_n, w)
    sh = shift.reshape(-1, 1)
    f1 = s1.reshape(t_n * k_n, -1)
    f2 = s2.reshape(t_n * k_n, -1)
    for r in range(0, t_n * k_n, ROWS):
        cen = flat[r:r + ROWS].astype(np.float32)  # float16 states: computed in float32
        cen -= sh[r:r + ROWS]
        f1[r:r + ROWS] += cen @ onehot
        cen *= cen
        f2[r:r + ROWS] += cen @ onehot


def group_stats(ens: Ensemble, labels: np.ndarray, k: int) -> GroupStats:
    """Per-group sums of every factor's state (from the stored states, or by re-running the
    ensemble's chunks: same seed, same scenarios, memory O(years × factors × groups)) and of
    every lever's on-and-started path."""
    with _limit_threads():  # many small products: threads only add waiting
        return _group_stats(ens, labels, k)


def _group_stats(ens: Ensemble, labels: np.ndarray, k: int) -> GroupStats:
    c = ens.compiled
    t_n, k_n, n_lev = len(c.years), len(c.ids), len(c.model.levers)
    s1 = np.zeros((t_n, k_n, k))
    s2 = np.zeros((t_n, k_n, k))
    if ens.states is not None:
        shift = ens.states[:, :, :min(ens.n, ens.chunk)].mean(axis=2, dtype=np.float32)
        _accumulate(ens.states, labels, k, shift, s1, s2)
    else:
        shift = None
        for ci, lo in enumerate(range(0, ens.n, ens.chunk)):
            hi = min(lo + ens.chunk, ens.n)
            r = run_chunk(c, hi - lo, chunk_seed(ens.seed, ci), method=ens.method,
                          lever_override=ens.lever_override)
            assert r.states is not None
            if shift is None:
                shift = r.states.mean(axis=2, dtype=np.float32)
            _accumulate(r.states, labels[lo:hi], k, shift, s1, s2)
        assert shift is not None
    counts = np.bincount(labels, minlength=k).astype(float)
    on = np.zeros((n_lev, k))
    if n_lev and ens.lever_on is not None:
        np.add.at(on.T, labels, ens.lever_on.astype(float))
    started = np.array([[y >= lv.start for lv in c.model.levers] for y in c.years],
                       dtype=float).reshape(t_n, n_lev)
    lev = started[:, :, None] * on[None]
    lever_of = [[k_n + i for i, lv in enumerate(c.model.levers) if c.index[lv.factor] == f]
                for f in range(k_n)]
    return GroupStats(
        counts=counts,
        shift=np.concatenate([shift.astype(float), np.zeros((t_n, n_lev))], axis=1),
        s1=np.concatenate([s1, lev], axis=1), s2=np.concatenate([s2, lev], axis=1),
        names=list(c.ids) + [lv.id for lv in c.model.levers],
        is_lever=np.array([False] * k_n + [True] * n_lev),
        parents=[list(c.parents[f]) + lever_of[f] for f in range(k_n)] + [[]] * n_lev,
        years=c.years,
        target={k_n + i: c.index[lv.factor] for i, lv in enumerate(c.model.levers)})


def first_persistent(ok: np.ndarray) -> np.ndarray:
    """Per column of (T, M) booleans, the first t from which ok holds MIN_RUN rows running
    (or to the last row); -1 where never."""
    t_n = ok.shape[0]
    run = np.zeros(ok.shape, dtype=np.int64)  # trues in a row from t on
    nxt = np.zeros(ok.shape[1], dtype=np.int64)
    for t in range(t_n - 1, -1, -1):
        nxt = np.where(ok[t], nxt + 1, 0)
        run[t] = nxt
    good = (run >= MIN_RUN) | (run == (t_n - np.arange(t_n))[:, None])
    good &= ok
    return np.where(good.any(axis=0), good.argmax(axis=0), -1)


def measures(stats: GroupStats, a: Sequence[int], b: Sequence[int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Effect size d and separation R² (each (T, M)) between the unions of groups a, b."""
    n_a, mu_a, var_a = stats.side(a)
    n_b, mu_b, var_b = stats.side(b)
    p = n_a / (n_a + n_b)
    q = 1.0 - p
    diff2 = (mu_a - mu_b) ** 2
    floor2 = SD_FLOOR ** 2
    d = np.sqrt(diff2 / ((var_a + var_b) / 2 + floor2))
    between = p * q * diff2
    r2 = between / (between + p * var_a + q * var_b + floor2)
    return d, r2


def _ancestors(parents: list[list[int]], start: int) -> list[int]:
    seen, stack = {start}, list(parents[start])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(parents[node])
    return sorted(seen)


def sides_large_enough(stats: GroupStats, a: Sequence[int], b: Sequence[int]
                       ) -> tuple[bool, int, int]:
    """Whether the smaller of the sides a and b holds at least :func:`min_side` of all the
    scenarios grouped; that side's count and the minimum."""
    smaller = int(min(stats.counts[list(a)].sum(), stats.counts[list(b)].sum()))
    least = min_side(int(stats.counts.sum()))
    return smaller >= least, smaller, least


def split(stats: GroupStats, a: Sequence[int], b: Sequence[int]) -> dict[str, Any]:
    """Branch year, driver (factor or lever), diverging factor, effect size and separation
    of the sides a and b (lists of groups), the count of the smaller side and the least it
    may have (:func:`min_side`); branch_year None when the split is not real: no factor
    parts persistently, or the smaller side has fewer scenarios than that least."""
    d, r2 = measures(stats, a, b)
    factors = ~stats.is_lever
    enough, smaller, least = sides_large_enough(stats, a, b)
    sizes = {"smaller_side": smaller, "min_side": least}
    r2_year = first_persistent(r2 >= R2_THRESHOLD)
    cand = np.nonzero((r2_year >= 0) & factors)[0] if enough else np.zeros(0, np.int64)
    if cand.size == 0:
        return {"branch_year": None, "driver": None, "driver_kind": None,
                "diverging_factor": None, "effect_size": None,
                "separation": float(r2[:, factors].max()) if factors.any() else 0.0, **sizes}
    f_star = int(min(cand, key=lambda f: (r2_year[f], -r2[r2_year[f], f])))
    d_year = first_persistent(d >= D_THRESHOLD)
    # d ≥ 1.5 holds wherever R² ≥ 0.8 does, so f_star itself always has a d-year
    when = {m: int(d_year[m]) for m in _ancestors(stats.parents, f_star) if d_year[m] >= 0}
    when.setdefault(f_star, int(r2_year[f_star]))
    driver = min(when, key=lambda m: (when[m], not stats.is_lever[m], -d[when[m], m]))
    t_b = when[driver]
    moved = stats.target.get(driver, driver)  # a lever: the factor it moved
    return {"branch_year": int(stats.years[t_b]), "driver": stats.names[driver],
            "driver_kind": "lever" if stats.is_lever[driver] else "factor",
            "diverging_factor": stats.names[f_star], "effect_size": float(d[t_b, moved]),
            "separation": float(r2[:, f_star].max()), **sizes}


def branches(stats: GroupStats, k: int, tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`split` of every pair of groups, where the tree separates them by a real split
    (their lowest common node has a branch year; two slices of one continuum far apart
    look bimodal on their own, but the scenarios between them fill the gap). A pair that
    is not real on its own but is parted by a real node takes that node's split."""
    out = []
    for a in range(k):
        for b in range(a + 1, k):
            node = next(m for m in tree if a in m["groups"] and b in m["groups"])
            res = split(stats, [a], [b])
            if node["branch_year"] is None:
                res.update(branch_year=None, driver=None, driver_kind=None,
                           diverging_factor=None, effect_size=None)
            elif res["branch_year"] is None:
                res = {key: node[key] for key in res}
            out.append({"groups": [a, b], **res})
    return out


def is_real(stats: GroupStats, a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether the smaller of the sides a and b has at least :func:`min_side` scenarios and
    some factor's separation between them holds (R² ≥ 0.8 for MIN_RUN years running or to
    the last year)."""
    if not sides_large_enough(stats, a, b)[0]:
        return False
    _, r2 = measures(stats, a, b)
    return bool((first_persistent(r2[:, ~stats.is_lever] >= R2_THRESHOLD) >= 0).any())


def ward_merges(centres: np.ndarray, counts: np.ndarray, stats: GroupStats | None = None
                ) -> list[tuple[int, int, float]]:
    """Ward's agglomeration of groups given their centres and sizes: (left, right, cost)
    per merge, cost = n_l n_r / (n_l + n_r) · |c_l − c_r|² (the between-sides sum of
    squares), cheapest first — except that, given ``stats``, clades that never really
    parted (:func:`is_real`) merge before any that did, so the splits above them are the
    real ones. Merge i makes node k + i."""
    k = len(counts)
    active: dict[int, tuple[float, np.ndarray, list[int]]] = {
        g: (float(counts[g]), centres[g].astype(float), [g]) for g in range(k)}
    real: dict[tuple[int, int], bool] = {}
    merges = []
    for i in range(k - 1):
        keys = sorted(active)
        best: tuple[bool, float, int, int] | None = None
        for x in range(len(keys)):
            for y in range(x + 1, len(keys)):
                (na, ca, ma), (nb, cb, mb) = active[keys[x]], active[keys[y]]
                pair = (keys[x], keys[y])
                if pair not in real:
                    real[pair] = stats is not None and is_real(stats, ma, mb)
                cand = (real[pair], na * nb / (na + nb) * float(((ca - cb) ** 2).sum()),
                        keys[x], keys[y])
                if best is None or cand[:2] < best[:2]:
                    best = cand
        assert best is not None
        _, cost, left, right = best
        (na, ca, ma), (nb, cb, mb) = active.pop(left), active.pop(right)
        active[k + i] = (na + nb, (na * ca + nb * cb) / (na + nb), ma + mb)
        merges.append((left, right, cost))
    return merges


def scenario_tree(stats: GroupStats, labels: np.ndarray, proj: np.ndarray,
                  k: int) -> list[dict[str, Any]]:
    """The groups' tree: Ward's agglomeration of the groups' centres in the components they
    were clustered in, groups that never really parted first (:func:`ward_merges`), so the
    root is the real split that separates the KPI paths most. Each
    merge lists its members, the share of the paths' variance its split explains, and the
    :func:`split` of its two sides (branch year, driver …). Root last."""
    if k < 2:
        return []
    counts = np.bincount(labels, minlength=k).astype(float)
    centres = np.stack([proj[labels == g].mean(axis=0, dtype=np.float64) for g in range(k)])
    total = float(((proj - proj.mean(axis=0, dtype=np.float64)) ** 2).sum()) or 1.0
    members: dict[int, list[int]] = {g: [g] for g in range(k)}
    out = []
    for i, (left, right, cost) in enumerate(ward_merges(centres, counts, stats)):
        members[k + i] = members[left] + members[right]
        out.append({"node": k + i, "children": [left, right],
                    "groups": sorted(members[k + i]), "variance_share": cost / total,
                    **split(stats, members[left], members[right])})
    return out
