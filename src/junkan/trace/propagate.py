"""Derived CFP and recycled content, and their recomputation downstream.

For a lot i made from inputs j (mass m_ij taken from lot j of mass M_j) with its own process
emissions e_i::

    CFP_i  = e_i + Σ_j (m_ij / M_j) · CFP_j           (fossil and biogenic alike)
    rec_i  = Σ_j (m_ij / Σ_k m_ik) · rec_j             (pre- and post-consumer shares)

Declared lots (no inputs) keep their declared values. Lots are numbered in creation order,
which is a topological order (inputs exist before the lots made from them), so the system
(I − W) x = b over a downstream cone is lower-triangular and one sparse triangular solve
recomputes it whatever its depth (1,000,000 lots in well under a second)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve_triangular

QUANTITIES = ("cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post")


def cfp_weight(taken: Any, input_mass: Any) -> Any:
    """Share of an input lot's CFP that goes with ``taken`` kg of its ``input_mass`` kg
    (floats or arrays alike)."""
    return taken / input_mass


def rec_weight(taken: Any, taken_sum: Any) -> Any:
    """Weight of an input's recycled shares in the output: its share of the mass taken."""
    return taken / taken_sum


def combine(own_cfp: float, inputs: list[tuple[Any, float]]) -> tuple[float, ...]:
    """A new lot's values (CFP total, fossil, biogenic in kg CO2e; recycled pre-, post-
    consumer shares) from its own process emissions (fossil, kg CO2e) and its ``inputs``
    (lot with those attributes and ``mass_kg``, kg taken) — the formula above, one lot."""
    total, fossil, biogenic = own_cfp, own_cfp, 0.0
    pre = post = 0.0
    m_in = sum(m for _, m in inputs)
    for lot, m in inputs:
        w = cfp_weight(m, lot.mass_kg)
        total += w * lot.cfp_total
        fossil += w * lot.cfp_fossil
        biogenic += w * lot.cfp_biogenic
        r = rec_weight(m, m_in)
        pre += r * lot.rec_pre
        post += r * lot.rec_post
    return total, fossil, biogenic, pre, post


@dataclass
class Graph:
    """Lots 0..n−1 in creation order; edges input → output with mass taken (kg)."""

    mass: np.ndarray  # (n,) kg
    src: np.ndarray  # (E,) input lot index
    dst: np.ndarray  # (E,) output lot index
    taken: np.ndarray  # (E,) kg of the input used
    own: np.ndarray  # (n, 3) own process emissions: total, fossil, biogenic
    declared: np.ndarray  # (n, 5) declared values (used where a lot has no inputs)
    fixed_rec: np.ndarray | None = None
    """(n,) lots whose recycled shares are claimed under mass balance, not derived."""


def downstream(g: Graph, start: np.ndarray) -> np.ndarray:
    """Sorted indices of ``start`` and every lot made (transitively) from them."""
    n = g.mass.size
    adj = sparse.csr_matrix((np.ones(g.src.size, dtype=np.int8), (g.src, g.dst)), shape=(n, n))
    seen = np.zeros(n, dtype=bool)
    seen[start] = True
    frontier = np.asarray(start)
    while frontier.size:
        nxt = adj[frontier].indices
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        frontier = nxt
    return np.nonzero(seen)[0]


def topological(g: Graph, cone: np.ndarray) -> np.ndarray:
    """``cone`` reordered so every input comes before the lots made from it (Kahn). Creation
    order already is one; this is the safety net should the store ever number otherwise."""
    inside = np.zeros(g.mass.size, dtype=bool)
    inside[cone] = True
    sel = inside[g.src] & inside[g.dst]
    s, d = g.src[sel], g.dst[sel]
    if not (s >= d).any():
        return cone
    indeg = np.bincount(d, minlength=g.mass.size)
    children: dict[int, list[int]] = {}
    for a, b in zip(s.tolist(), d.tolist(), strict=True):
        children.setdefault(a, []).append(b)
    ready = [int(x) for x in cone if indeg[x] == 0]
    order = []
    while ready:
        x = ready.pop()
        order.append(x)
        for y in children.get(x, []):
            indeg[y] -= 1
            if indeg[y] == 0:
                ready.append(y)
    if len(order) != cone.size:
        raise ValueError("the lot graph has a cycle")
    return np.array(order, dtype=np.int64)


def recompute(g: Graph, values: np.ndarray, cone: np.ndarray) -> np.ndarray:
    """New (len(cone), 5) values for the lots in ``cone`` (sorted by creation), given the
    current ``values`` (n, 5) of every lot outside it."""
    order = topological(g, cone)
    out = _solve(g, values, order)
    return out if order is cone else _reorder(out, order, cone)


def _solve(g: Graph, values: np.ndarray, cone: np.ndarray) -> np.ndarray:
    """The triangular solve over ``cone`` given in a topological order."""
    n = g.mass.size
    pos = np.full(n, -1)
    pos[cone] = np.arange(cone.size)
    in_cone = pos[g.dst] >= 0
    s, d, m = g.src[in_cone], g.dst[in_cone], g.taken[in_cone]
    has_inputs = np.zeros(n, dtype=bool)
    has_inputs[d] = True
    fixed = g.fixed_rec if g.fixed_rec is not None else np.zeros(n, dtype=bool)
    w_cfp = cfp_weight(m, g.mass[s])
    in_sum = np.bincount(d, weights=m, minlength=n)
    w_rec = np.where(fixed[d], 0.0, rec_weight(m, in_sum[d]))
    src_in = pos[s] >= 0
    ext = ~src_in  # contributions of inputs outside the cone are constants
    k = cone.size
    out = np.empty((k, len(QUANTITIES)))
    # one matrix per weighting (CFP by mass share of the input, recycled by share of the
    # output's inputs), each solved for all its quantities at once
    for cols, w in ((slice(0, 3), w_cfp), (slice(3, 5), w_rec)):
        q = np.arange(len(QUANTITIES))[cols]
        derived = has_inputs[cone, None] if cols.start == 0 else \
            (has_inputs[cone] & ~fixed[cone])[:, None]
        b = np.where(derived, 0.0, g.declared[cone][:, q])
        if cols.start == 0:
            b += np.where(derived, g.own[cone], 0.0)
        rows = pos[d[ext]]
        for j, qj in enumerate(q):
            b[:, j] += np.bincount(rows, weights=w[ext] * values[s[ext], qj], minlength=k)
        if not k:
            out[:, cols] = b
            continue
        # strictly lower part only: the unit diagonal is implied
        a = sparse.csr_matrix((-w[src_in], (pos[d[src_in]], pos[s[src_in]])), shape=(k, k))
        out[:, cols] = spsolve_triangular(a, b, lower=True, unit_diagonal=True)
    return out


def _reorder(out: np.ndarray, order: np.ndarray, cone: np.ndarray) -> np.ndarray:
    """Rows computed in ``order`` rearranged to the order of ``cone``."""
    where = {int(x): i for i, x in enumerate(order)}
    return out[[where[int(x)] for x in cone]]
