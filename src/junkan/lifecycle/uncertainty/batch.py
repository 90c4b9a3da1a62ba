"""The compiled form of many runs at once, as the engine simulates them
(:class:`junkan.lifecycle.engine.Runs`): the dense arrays a run changes, with a leading run
axis (arrays every run shares are left out), and linear operators that apply each run's
matrix to that run's column."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from junkan.lifecycle.compile import Compiled
from junkan.lifecycle.engine import Runs
from junkan.lifecycle.step import ARRAYS, SMALL

DENSE = (*ARRAYS, "factors")
"""Numeric arrays of :class:`Compiled` a parameter may change (``factors`` is
``processes.factors``)."""
SPARSE = ("mat_of_inst", "mat_of_product", "act_make", "act_assemble", "act_use")
ROUTES = ("route_eol", "route_maint")


def dense_of(c: Compiled, name: str) -> np.ndarray:
    return np.asarray(c.processes.factors if name == "factors" else getattr(c, name))


def flatten(c: Compiled) -> dict[str, np.ndarray | sparse.csr_matrix]:
    """Every numeric array of a compiled model by name (routes as ``route_eol.prod`` …);
    an operator as a dense array if small (:func:`matrix`)."""
    out: dict[str, np.ndarray | sparse.csr_matrix] = {n: dense_of(c, n) for n in DENSE}
    out.update({n: matrix(getattr(c, n)) for n in SPARSE})
    for r in ROUTES:
        for b, m in getattr(c, r).items():
            out[f"{r}.{b}"] = matrix(m)
    return out


def matrix(m: Any) -> np.ndarray | sparse.csr_matrix:
    """An operator as the batches hold it: a dense array if it has at most
    :data:`~junkan.lifecycle.step.SMALL` entries, else CSR. Building the multilinear form
    adds and compares hundreds of them: scipy's ~10 µs a sparse operation took 18 % of a
    sensitivity of compressor_magnet (2026-12-07)."""
    rows, cols = m.shape
    if rows * cols <= SMALL:
        return np.asarray(m.toarray() if sparse.issparse(m) else m, dtype=float)
    return sparse.csr_matrix(m)


def array(m: Any) -> np.ndarray:
    """``m`` (dense or sparse) as a dense array."""
    return np.asarray(m.toarray()) if sparse.issparse(m) else np.asarray(m)


def nonzero(m: Any) -> bool:
    """Whether ``m`` (dense or sparse) has an entry other than 0."""
    if sparse.issparse(m):
        return bool(m.nnz) and float(abs(m).max()) > 0
    return bool(np.any(m))


def structure(c: Compiled) -> tuple[object, ...]:
    """What must be equal for runs to be simulated together: names, BOM, edges, shapes."""
    shapes = tuple((k, v.shape) for k, v in flatten(c).items())
    return (
        tuple(c.years.tolist()),
        tuple(c.products),
        tuple(c.parts),
        tuple(c.materials),
        tuple(c.sinks),
        tuple(c.processes.names),
        tuple(c.inst_type.tolist()),
        tuple(c.inst_parent.tolist()),
        tuple(c.repl_inst.tolist()),
        tuple(c.closed_loop.tolist()),
        tuple(c.edges),
        shapes,
    )


@dataclass
class Op:
    """Per-run linear operator: ``op @ X`` with X (columns, runs) gives, for run r,
    ``A_r @ X[:, r]``. Either ``base + Σ coef·m(r)`` (multilinear in the parameters) or a
    block-diagonal stack of one matrix per run."""

    base: np.ndarray | sparse.csr_matrix
    terms: list[tuple[np.ndarray | sparse.csr_matrix, np.ndarray]] = field(default_factory=list)
    blocks: sparse.csr_matrix | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.base.shape

    def prepared(self) -> Op | Dense | np.ndarray:
        """This operator as a dense array (no terms) or :class:`Dense` if its matrices are
        small (:data:`~junkan.lifecycle.step.SMALL` entries each), else itself."""
        rows, cols = self.shape
        if self.blocks is not None or rows * cols > SMALL:
            return self
        if not self.terms:
            return array(self.base)
        return Dense(np.vstack([array(self.base), *(array(c) for c, _ in self.terms)]),
                     np.array([m for _, m in self.terms]), rows)

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        if self.blocks is not None:
            runs = x.shape[1]
            y = self.blocks @ np.ascontiguousarray(x.T).reshape(-1)
            return np.asarray(y).reshape(runs, self.shape[0]).T
        y = np.asarray(self.base @ x)
        for coef, m in self.terms:
            y = y + np.asarray(coef @ x) * m[None, :]
        return y


@dataclass
class Dense:
    """A small :class:`Op` with terms, applied in one dense product: ``stacked`` is the base
    matrix over each term's coefficient matrix (``(1 + T)·rows × columns``), ``weights``
    each term's per-run value (``T × runs``)."""

    stacked: np.ndarray
    weights: np.ndarray
    rows: int

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        y = (self.stacked @ x).reshape(-1, self.rows, x.shape[1])
        return np.asarray(y[0] + np.einsum("tnr,tr->nr", y[1:], self.weights))


@dataclass
class CompiledBatch:
    """``runs`` compiled models of one scenario with equal structure."""

    base: Compiled
    runs: int
    dense: dict[str, np.ndarray]  # name -> (runs, ...), only the arrays runs change
    ops: dict[str, Op]

    def engine_runs(self) -> Runs:
        """The engine's view of these runs (:func:`junkan.lifecycle.simulate_compiled`)."""
        return Runs(self.runs, {n: a for n, a in self.dense.items() if n != "factors"}, self.ops)

    def per_run(self, r: int | None = None) -> Compiled:
        """Run ``r``'s compiled model for the result tables: its dense arrays; the
        operators are the base's (results never read them). Every run's if ``r`` is None:
        the arrays runs change with their run axis
        (:meth:`~junkan.lifecycle.results.Result.of_runs`)."""
        at = slice(None) if r is None else r
        changed: dict[str, Any] = {n: a[at] for n, a in self.dense.items() if n != "factors"}
        procs = self.base.processes
        if "factors" in self.dense:
            procs = dataclasses.replace(procs, factors=self.dense["factors"][at])
        return dataclasses.replace(self.base, processes=procs, **changed)


def stack(compiled: Sequence[Compiled]) -> CompiledBatch:
    """Batch of separately compiled runs (equal structure: check with :func:`structure`)."""
    base = compiled[0]
    dense = {}
    for n in DENSE:
        arrs = [dense_of(c, n) for c in compiled]
        same = all(a is arrs[0] or np.array_equal(a, arrs[0]) for a in arrs[1:])
        if not same:
            dense[n] = np.stack(arrs)
    flats = [flatten(c) for c in compiled]
    ops = {}
    for n in flats[0]:
        if n in DENSE:
            continue
        mats = [f[n] for f in flats]
        same = all(not nonzero(m - mats[0]) for m in mats[1:])
        ops[n] = Op(mats[0]) if same else Op(mats[0], blocks=sparse.block_diag(mats, format="csr"))
    return CompiledBatch(base, len(compiled), dense, ops)
