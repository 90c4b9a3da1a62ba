"""The columns and bounds of the searches on a large matching model
(:mod:`junkan.market.milp`): the restricted branch and cut over the routes the LP or the
incumbent use, with what the LP decided held (:func:`restricted`, in the way of RINS), and
the wider columns of the neighbourhood search (:func:`lns_columns`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint

from junkan.market.colgen import Session, Structure

if TYPE_CHECKING:
    from junkan.market.milp import Model

PER_LOT = 3
"""On a large model (above :data:`junkan.market.milp.FULL_MAX` routes), the neighbourhood
search works over the routes the LP or the rounding use and each lot's this many routes of
least LP reduced cost (:func:`lns_columns`), instead of every route of its buyers: a step is
then a MILP of a few thousand columns that HiGHS solves in a second or two, where the step
over every route of three buyers (about 19,000 columns) ran into its time limit. Measured
2026-12-02 on the benchmark's seed 3 (5,000 × 50 × 20, load 7.7–8, ``nice``, 60 s): one step
took the rounding from 2.05 % to 0.32 %, 15 CPU s in all, where the search over every route
reached 1.26 % in 28 CPU s; seed 5: 0.50 % at 22 CPU s (0.80 % at 31 CPU s with 2 routes per
lot into the shipments the incumbent opens only). 0: every route of the buyers."""


def restricted(
    model: Model,
    s: Structure,
    x_lp: np.ndarray | None,
    best_x: np.ndarray | None,
    full_max: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns and bounds of the branch and cut: every column when the model has at most
    ``full_max`` routes (:data:`junkan.market.milp.FULL_MAX`), else the neighbourhood of
    :func:`_support` and :func:`_around`; the bounds admit the incumbent ``best_x``."""
    if model.n_arc <= full_max:
        cols, lb, ub = np.arange(len(model.c)), model.lb, model.ub
    else:
        cols = _support(model, x_lp, best_x)
        lb, ub = _around(model, s, x_lp) if x_lp is not None else (model.lb, model.ub)
    return cols, *_admit(model, lb, ub, best_x)


def _admit(
    model: Model, lb: np.ndarray, ub: np.ndarray, x: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds widened to admit the incumbent ``x`` handed to HiGHS as its start."""
    if x is None:
        return lb, ub
    semi = model.integrality == 2  # 0 stays allowed below a semi-continuous bound
    return np.where(semi, lb, np.minimum(lb, x)), np.maximum(ub, x)


def lns_columns(
    model: Model, lp: Session, x_lp: np.ndarray, x: np.ndarray, lot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The columns the neighbourhood search may use on a large model (a mask) and its
    bounds: the routes the LP solution or the incumbent ``x`` use, every pooled shipment,
    and each lot's :data:`PER_LOT` routes of least reduced cost under the duals of the last
    column-generation LP — wherever the lot may go when the shipment or delivery the LP gave
    it closes, to any buyer, direct or pooled, through any shipment (none is held open or
    closed here, unlike :func:`_around`). None (every column) when :data:`PER_LOT` is 0
    or the LP left no duals."""
    if PER_LOT <= 0 or lp.y is None:
        return None
    y = np.zeros(lp.a.shape[0])
    y[: len(lp.y)] = lp.y[: lp.a.shape[0]]  # rows added after that LP price at 0
    rc = lp.c - lp.a.T @ y
    keep = np.zeros(len(model.c), dtype=bool)
    keep[_support(model, x_lp, x)] = True
    n = model.n_arc
    cand = np.flatnonzero(model.ub[:n] > 0)
    order = cand[np.lexsort((rc[cand], lot[cand]))]
    ls = lot[order]
    rank = np.arange(len(order)) - np.searchsorted(ls, ls, side="left")
    keep[order[rank < PER_LOT]] = True
    return (keep, *_admit(model, model.lb, model.ub, x))


def _support(model: Model, x_lp: np.ndarray | None, x: np.ndarray | None) -> np.ndarray:
    """The columns of the restricted MILP on a large model: the routes the LP solution or
    the rounding use, and every pooled-shipment variable (a neighbourhood of both, in the
    way of RINS: small enough for branch and cut to finish in seconds)."""
    keep = np.zeros(len(model.c), dtype=bool)
    keep[model.n_arc :] = True
    for v in (x_lp, x):
        if v is not None:
            keep |= v > 1e-9
    return np.flatnonzero(keep)


def _around(model: Model, s: Structure, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that fix what the LP solution already decided: pooled shipments at or above
    the minimum open, unused ones closed (with their routes), unused direct deliveries
    off; the fractional decisions stay integer."""
    lb, ub = model.lb.copy(), model.ub.copy()
    n = model.n_arc
    for q, m in enumerate(model.members):
        flow = float(model.m_a[m] @ x[m])
        if flow >= s.pair_min[q] * (1 - 1e-9):
            lb[n + q] = 1.0
        elif flow <= 1e-9:
            ub[n + q] = 0.0
            ub[m] = 0.0
    ub[:n][(model.integrality[:n] == 2) & (x[:n] <= 1e-9)] = 0.0
    return lb, ub


def with_vub(
    model: Model, cons: LinearConstraint, cols: np.ndarray, ub: np.ndarray, vub: bool = True
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """The model's rows and, when ``vub`` (:data:`junkan.market.milp.VUB`), the rows
    f_a ≤ u_pb of every pooled route among ``cols`` that may carry flow: the disaggregated
    form of the big-M row, whose LP relaxation knows that a route in use opens its shipment
    (and so its minimum lot)."""
    a = sp.csc_matrix(cons.A)
    lo, hi = np.asarray(cons.lb, dtype=float), np.asarray(cons.ub, dtype=float)
    if not vub:
        return a, lo, hi
    r = cols[(cols < model.n_arc) & (model.pair_col[cols] >= 0) & (ub[cols] > 0)]
    k = len(r)
    if k == 0:
        return a, lo, hi
    rows = sp.csr_matrix(
        (
            np.tile([1.0, -1.0], k),
            (np.repeat(np.arange(k), 2), np.column_stack([r, model.pair_col[r]]).ravel()),
        ),
        shape=(k, a.shape[1]),
    )
    return (
        sp.vstack([a, rows], format="csc"),
        np.concatenate([lo, np.full(k, -np.inf)]),
        np.concatenate([hi, np.zeros(k)]),
    )
