"""Sparse constraint rows of the matching MILP, built up in COO form
(:mod:`junkan.market.milp`)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import LinearConstraint
from scipy.sparse import coo_matrix


class Rows:
    """Sparse constraint rows built up in COO form."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> None:
        k = len(self.lo)
        self.r.append(np.full(len(cols), k))
        self.c.append(np.asarray(cols))
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.append(lo)
        self.hi.append(hi)

    def grouped(
        self,
        keys: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        lo: np.ndarray | float,
        hi: np.ndarray | float,
        n_keys: int,
    ) -> None:
        """One row per key value 0..n_keys−1 (rows with no entry are skipped)."""
        order = np.argsort(keys, kind="stable")
        ks, cs, vs = keys[order], cols[order], vals[order]
        cuts = np.searchsorted(ks, np.arange(n_keys + 1))
        lo_a = np.broadcast_to(np.asarray(lo, dtype=float), (n_keys,))
        hi_a = np.broadcast_to(np.asarray(hi, dtype=float), (n_keys,))
        for k in range(n_keys):
            s, e = cuts[k], cuts[k + 1]
            if e > s:
                self.add(cs[s:e], vs[s:e], float(lo_a[k]), float(hi_a[k]))

    def constraint(self, n_vars: int) -> LinearConstraint:
        a = coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(len(self.lo), n_vars),
        ).tocsr()
        return LinearConstraint(a, np.array(self.lo), np.array(self.hi))
