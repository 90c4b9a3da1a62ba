"""Rule 3 over a whole downstream cone at once: the :data:`junkan.trace.pcf.UPTAKE_FACTS` that
:func:`junkan.trace.pcf.rederived` gives each lot that follows its inputs, lot after lot in
creation order, solved as the CFPs are (:mod:`junkan.trace.propagate`): sparse triangular
solves over the cone instead of a Python loop.

What :func:`junkan.trace.pcf.uptake_facts` does, per lot i made from inputs j (weight
w_j = m_j / M_j, b_j the input's net biogenic CFP), in terms of each lot's state — F: it has
facts at all; K: its uptake is known (a number); H: part of it is assumed (a number)::

    K_i = nets_i  or  any_j K_j                    (nets_i: pcf.nets over all inputs)
    H_i = K_i and any_j (not K_j or H_j)
    F_i = rest_i or nets_i or any_j F_j            (rest_i: its other facts)
    U_i = sum_j w_j (U_j if K_j else min(0, b_j))
    A_i = sum_j w_j (A_j if K_j and H_j else 0 if K_j else min(0, b_j))

and its new facts are {U, A} if H_i, {U} if K_i only, {None} if any input has facts (but
none of the above), else none. The flags are reachability (one compiled breadth-first search
each), the values linear (one triangular solve each), whatever the cone's depth. Values
agree with the lot-by-lot loop to float rounding (the order of the sums differs), the flags
exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order
from scipy.sparse.linalg import spsolve_triangular

from junkan.trace.pcf import UPTAKE_FACTS, ZERO_BIOGENIC_PER_KG

SAME_RTOL = 1e-12
"""A derived uptake within this (relative, absolute below 1) of the stored one is as stored:
the solve sums in another order than the lot-by-lot loop did."""


@dataclass
class State:
    """Uptake state of lots (arrays over all lots; read where a lot is a source)."""

    facts: np.ndarray  # F (bool)
    known: np.ndarray  # K (bool)
    uptake: np.ndarray  # U (float; 0 where not K)
    assumed_known: np.ndarray  # H (bool)
    assumed: np.ndarray  # A (float; 0 where not H)

    @classmethod
    def empty(cls, n: int) -> State:
        return cls(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n),
                   np.zeros(n, dtype=bool), np.zeros(n))

    def set(self, i: int, pcf: dict[str, Any]) -> None:
        """Lot ``i``'s state from its facts (``pcf_facts``)."""
        u, a = pcf.get(UPTAKE_FACTS[0]), pcf.get(UPTAKE_FACTS[1])
        self.facts[i] = bool(pcf)
        self.known[i] = u is not None
        self.uptake[i] = 0.0 if u is None else u
        self.assumed_known[i] = u is not None and a is not None
        self.assumed[i] = 0.0 if u is None or a is None else a


@dataclass
class Derived:
    """What the cone's following lots derive (arrays in the order of ``follow``)."""

    known: np.ndarray
    assumed_known: np.ndarray
    any_facts: np.ndarray  # some input has facts
    uptake: np.ndarray
    assumed: np.ndarray

    def facts(self, k: int) -> dict[str, Any]:
        """The k-th lot's :data:`UPTAKE_FACTS` as :func:`junkan.trace.pcf.uptake_facts`
        gives them."""
        if self.known[k]:
            u = float(self.uptake[k])
            if self.assumed_known[k]:
                return {UPTAKE_FACTS[0]: u, UPTAKE_FACTS[1]: float(self.assumed[k])}
            return {UPTAKE_FACTS[0]: u}
        return {UPTAKE_FACTS[0]: None} if self.any_facts[k] else {}


def _solve(a: sparse.csr_matrix, b: np.ndarray) -> np.ndarray:
    """x = b + W x, ``a`` = −W strictly lower (k, k)."""
    if not b.shape[0]:
        return b
    return np.asarray(spsolve_triangular(a, b, lower=True, unit_diagonal=True))


def _reach(k: int, s_in: np.ndarray, d_in: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Lots (of k) reached from the ``seeds`` (bool) along the edges ``s_in`` → ``d_in``:
    one breadth-first search (compiled) from a node before all seeds, whatever the depth."""
    start = np.nonzero(seeds)[0]
    rows = np.concatenate([s_in, np.full(start.size, k)])
    cols = np.concatenate([d_in, start])
    adj = sparse.csr_matrix((np.ones(rows.size), (rows, cols)),
                            shape=(k + 1, k + 1))
    reached = np.zeros(k + 1, dtype=bool)
    reached[breadth_first_order(adj, k, directed=True, return_predecessors=False)] = True
    return reached[:k]


def _matrix(k: int, w: np.ndarray, d_in: np.ndarray, s_in: np.ndarray, keep: np.ndarray,
            inner: np.ndarray) -> sparse.csr_matrix:
    """-w of the edges inside the cone whose source's value is taken (``keep``)."""
    return sparse.csr_matrix((-w[inner][keep], (d_in[keep], s_in[keep])), shape=(k, k))


def derive(src: np.ndarray, dst: np.ndarray, taken: np.ndarray, mass: np.ndarray,
           biogenic: np.ndarray, follow: np.ndarray, state: State,
           rest: np.ndarray) -> Derived:
    """Rule 3 for the lots ``follow`` (sorted graph indices, creation order) made along the
    edges ``src`` → ``dst`` (every edge into them, kg ``taken``); ``mass`` and ``biogenic``
    over all lots (current values), ``state`` of every source that is not in ``follow``,
    ``rest``: (len(follow),) whether each has other facts than the uptake."""
    n, k = mass.size, follow.size
    pos = np.full(n, -1)
    pos[follow] = np.arange(k)
    d = pos[dst]
    inner = pos[src] >= 0
    s_in, d_in = pos[src[inner]], d[inner]
    if (s_in >= d_in).any():
        raise ValueError("a lot takes from one made after it")
    per_kg = biogenic[src] / mass[src]
    low = np.full(k, np.inf)
    high = np.full(k, -np.inf)
    np.minimum.at(low, d, per_kg)
    np.maximum.at(high, d, per_kg)
    nets = (low < -ZERO_BIOGENIC_PER_KG) & (high > ZERO_BIOGENIC_PER_KG)
    out = ~inner
    e_src, e_d = src[out], d[out]

    def ext_any(flag: np.ndarray) -> np.ndarray:
        return np.bincount(e_d, weights=flag[e_src].astype(float), minlength=k) > 0

    known = _reach(k, s_in, d_in, nets | ext_any(state.known))
    facts = _reach(k, s_in, d_in, rest | nets | ext_any(state.facts))
    guessed = _reach(k, s_in, d_in, ~known | ext_any(~state.known | state.assumed_known))
    any_facts = ext_any(state.facts) | (np.bincount(
        d_in, weights=facts[s_in].astype(float), minlength=k) > 0)
    w = taken / mass[src]
    sink = np.minimum(0.0, biogenic[src])
    src_known = np.where(inner, known[np.maximum(pos[src], 0)], state.known[src])
    src_h = src_known & np.where(inner, (known & guessed)[np.maximum(pos[src], 0)],
                                 state.assumed_known[src])
    # constants: inputs outside the cone as they are, and every unknown input's assumed part
    const_u = np.where(src_known, np.where(inner, 0.0, state.uptake[src]), sink)
    const_a = np.where(src_known, np.where(inner | ~src_h, 0.0, state.assumed[src]), sink)
    b_u = np.bincount(d, weights=w * const_u, minlength=k)
    b_a = np.bincount(d, weights=w * const_a, minlength=k)
    uptake = _solve(_matrix(k, w, d_in, s_in, src_known[inner], inner), b_u)
    assumed = _solve(_matrix(k, w, d_in, s_in, src_h[inner], inner), b_a)
    return Derived(known=known, assumed_known=known & guessed, any_facts=any_facts,
                   uptake=uptake, assumed=assumed)


def same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Are the stored :data:`UPTAKE_FACTS` ``old`` (a lot's pcf) the derived ``new`` ones
    (the same keys, None where None, numbers to :data:`SAME_RTOL`)?"""
    for key in UPTAKE_FACTS:
        if (key in old) != (key in new):
            return False
        x, y = old.get(key), new.get(key)
        if x is None or y is None:
            if x is not y:
                return False
        elif abs(x - y) > SAME_RTOL * max(1.0, abs(x)):
            return False
    return True
