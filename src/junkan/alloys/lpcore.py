"""The planning LP in block form, solved exactly at any size.

    maximise  cᵀz + c_gᵀx   s.t.  A z + A_g x ≤ b,  0 ≤ x ≤ x̄,
              per block β (a vehicle type): 0 ≤ z_base ≤ s_β,  0 ≤ z_part ≤ z_base

A has a handful of dense rows (the buyer's limits, capacity, minimum product); everything
else is per block. Small problems go to HiGHS as they are. Large ones (10,000 vehicle types ×
40 parts is 410,000 columns and as many link rows; HiGHS took 495 s on a random instance of
that shape) are solved by a *core* method. For prices π on the coupling rows each block's best
vertex is known in closed form (shred all or none; keep the parts whose reduced cost is
positive), so

1. π from the same LP over a random eighth of the blocks, stock scaled to the whole (solved
   the same way, down to 60 blocks);
2. every block and part is fixed at its best response to π, except the band closest to
   changing (a twentieth of the blocks: with many similar blocks a small error in π flips
   many), which stays free; kept parts of a free block ride on its column;
3. HiGHS solves the LP over what is free (rows elastic with a large penalty, so it always has
   prices; the band doubles while the fixings alone break a row); a fixed block that is not
   a best response at the new π is loosened; repeat.

When every block is a best response at π, the restricted optimum is optimal for the whole LP
(each block maximises the Lagrangian; complementary slackness holds in the restricted LP). A
row still violated at the end is settled by phase I (the violation alone): infeasible only if
that cannot reach zero. Tested against HiGHS on random feasible and infeasible instances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack

DIRECT_UNITS = 2_000
"""Problems with at most this many units go to HiGHS directly."""


@dataclass
class BlockLP:
    c: np.ndarray  # (U,) maximise
    a: np.ndarray  # (m, U) dense coupling rows
    b: np.ndarray  # (m,)
    unit_block: np.ndarray  # (U,); units 0..B-1 are the blocks' base units
    ub: np.ndarray  # (B,)
    gc: np.ndarray | None = None  # (G,) global columns: objective
    ga: np.ndarray | None = None  # (m, G)
    gub: np.ndarray | None = None  # (G,) upper bounds (inf allowed)

    @property
    def n_blocks(self) -> int:
        return int(self.ub.size)

    def globals_(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.gc is None or self.ga is None:
            return np.zeros(0), np.zeros((self.b.size, 0)), np.zeros(0)
        gub = self.gub if self.gub is not None else np.full(self.gc.size, np.inf)
        return self.gc, self.ga, gub


@dataclass
class LPSolution:
    status: str  # "optimal" | "infeasible"
    z: np.ndarray
    x: np.ndarray
    objective: float
    duals: np.ndarray  # (m,) ≥ 0
    slack: np.ndarray | None = None  # (m,) elastic violation of each row


def _units_of(lp: BlockLP, blocks: np.ndarray) -> np.ndarray:
    sel = np.zeros(lp.n_blocks, dtype=bool)
    sel[blocks] = True
    return np.nonzero(sel[lp.unit_block])[0]


def _highs(lp: BlockLP, units: np.ndarray, rhs: np.ndarray, penalty: float | None,
           c: np.ndarray | None = None) -> LPSolution:
    """HiGHS on the units ``units`` (all units of their blocks), globals, and — with a
    penalty — an elastic slack per coupling row."""
    c = lp.c if c is None else c
    gc, ga, gub = lp.globals_()
    m = lp.b.size
    nu, ng = units.size, gc.size
    ne = m if penalty is not None else 0
    pos = np.full(lp.unit_block.size, -1)
    pos[units] = np.arange(nu)
    blk = lp.unit_block[units]
    parts = np.nonzero(units >= lp.n_blocks)[0]
    base_col = pos[blk[parts]]
    link = coo_matrix((np.concatenate([np.ones(parts.size), -np.ones(parts.size)]),
                       (np.tile(np.arange(parts.size), 2), np.concatenate([parts, base_col]))),
                      shape=(parts.size, nu + ng + ne))
    top = np.hstack([lp.a[:, units], ga, -np.eye(m) if ne else np.zeros((m, 0))])
    a_ub = vstack([csr_matrix(top), link.tocsr()], format="csr")
    cost = -np.concatenate([c[units], gc, -np.full(ne, penalty or 0.0)])
    ub = np.concatenate([lp.ub[blk], gub, np.full(ne, np.inf)])
    res = linprog(cost, A_ub=a_ub, b_ub=np.concatenate([rhs, np.zeros(parts.size)]),
                  bounds=np.column_stack([np.zeros(ub.size), ub]), method="highs")
    if res.status != 0:
        return LPSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf, np.zeros(m))
    duals = np.maximum(-np.asarray(res.ineqlin.marginals[:m]), 0.0)
    z = np.zeros(lp.unit_block.size)
    z[units] = res.x[:nu]
    x = res.x[nu:nu + ng]
    slack = res.x[nu + ng:]
    status = "optimal" if slack.sum() <= 1e-7 * (1 + np.abs(rhs).sum()) else "elastic"
    return LPSolution(status, z, x, float(-res.fun), duals)


def best_response(lp: BlockLP, pi: np.ndarray, c: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduced costs rc (U,), each block's best Lagrangian value (B,) and its ambiguity
    (B,): how far (in JPY at full stock) the nearest reduced cost is from changing sign."""
    c = lp.c if c is None else c
    rc = c - lp.a.T @ pi
    nb = lp.n_blocks
    parts = np.arange(nb, rc.size)
    pb = lp.unit_block[nb:]
    gain = np.bincount(pb, weights=np.maximum(rc[nb:], 0.0), minlength=nb)
    r = rc[:nb] + gain
    best = lp.ub * np.maximum(r, 0.0)
    amb = np.abs(r)
    near = np.full(nb, np.inf)
    np.minimum.at(near, pb, np.abs(rc[parts]))
    amb = np.where(r > 0, np.minimum(amb, near), amb) * lp.ub
    return rc, best, amb


def _initial_prices(lp: BlockLP, rows: int, seed: int = 0) -> np.ndarray:
    """Prices of the LP over a random eighth of the blocks, stock scaled to the whole
    (itself solved this way down to 60 blocks, then by HiGHS): each level starts close to
    its prices, so few blocks change between levels."""
    nb = lp.n_blocks
    k = max(60, nb // 8) if nb > 60 else nb
    pick = np.sort(np.random.default_rng(seed).choice(nb, size=k, replace=False))
    units = _units_of(lp, pick)
    pos = np.full(nb, -1)
    pos[pick] = np.arange(k)
    sub = BlockLP(lp.c[units], lp.a[:, units], lp.b, pos[lp.unit_block[units]],
                  lp.ub[pick] * nb / k, lp.gc, lp.ga, lp.gub)
    if units.size <= DIRECT_UNITS or k == nb:
        sol = _highs(sub, np.arange(units.size), lp.b, penalty=_penalty(lp))
    else:
        sol = _core(sub, None)
    return sol.duals if sol.duals.size == rows else np.zeros(rows)


def _penalty(lp: BlockLP) -> float:
    """Elastic penalty per unit of (scaled) row violation: far above any unit's value."""
    full = np.abs(lp.c) * lp.ub[lp.unit_block]
    gc, _, gub = lp.globals_()
    top = max(float(full.max(initial=0.0)), float((np.abs(gc) * np.where(
        np.isfinite(gub), gub, 1.0)).max(initial=0.0)), 1.0)
    return 100.0 * top


FIX0, FIXS, FREE = 0, 1, 2
"""Block states in the restricted LP: not shredded, all shredded, a free column."""
OUT, IN, PFREE = 0, 1, 2
"""Part states: removed, kept in (folded into its block's column), a free column."""


@dataclass
class Core:
    """The restricted LP's shape: a state per block and per part unit."""

    sx: np.ndarray  # (B,)
    sp: np.ndarray  # (U − B,)


def _restricted(lp: BlockLP, core: Core, pen: float, c: np.ndarray) -> LPSolution:
    """The LP with fixed blocks and parts moved to the right-hand side, kept parts folded
    into their free block's column, and only the free parts as their own columns."""
    nb, m = lp.n_blocks, lp.b.size
    pb = lp.unit_block[nb:]
    sx = core.sx
    sp = np.where(sx[pb] == FIX0, OUT, core.sp)
    zfix = np.zeros(lp.unit_block.size)
    zfix[:nb] = np.where(sx == FIXS, lp.ub, 0.0)
    fixed_in = (sp == IN) & (sx[pb] == FIXS)
    zfix[nb:][fixed_in] = lp.ub[pb[fixed_in]]
    rhs = lp.b - lp.a @ zfix
    fb = np.nonzero(sx == FREE)[0]
    posb = np.full(nb, -1)
    posb[fb] = np.arange(fb.size)
    fold = nb + np.nonzero((sp == IN) & (sx[pb] == FREE))[0]
    acc = np.zeros((fb.size, m))
    np.add.at(acc, posb[lp.unit_block[fold]], lp.a[:, fold].T)
    col_a = lp.a[:, fb] + acc.T
    col_c = c[fb] + np.bincount(posb[lp.unit_block[fold]], weights=c[fold],
                                minlength=fb.size)
    pu = nb + np.nonzero(sp == PFREE)[0]
    linked = np.nonzero(sx[lp.unit_block[pu]] == FREE)[0]
    gc, ga, gub = lp.globals_()
    n1, n2, ng = fb.size, pu.size, gc.size
    ncol = n1 + n2 + ng + m
    link = coo_matrix((np.concatenate([np.ones(linked.size), -np.ones(linked.size)]),
                       (np.tile(np.arange(linked.size), 2),
                        np.concatenate([n1 + linked, posb[lp.unit_block[pu[linked]]]]))),
                      shape=(linked.size, ncol))
    top = np.hstack([col_a, lp.a[:, pu], ga, -np.eye(m)])
    a_ub = vstack([csr_matrix(top), link.tocsr()], format="csr")
    cost = -np.concatenate([col_c, c[pu], gc, -np.full(m, pen)])
    ub = np.concatenate([lp.ub[fb], lp.ub[lp.unit_block[pu]], gub, np.full(m, np.inf)])
    res = linprog(cost, A_ub=a_ub, b_ub=np.concatenate([rhs, np.zeros(linked.size)]),
                  bounds=np.column_stack([np.zeros(ncol), ub]), method="highs")
    if res.status != 0:
        return LPSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf, np.zeros(m))
    z = zfix.copy()
    z[fb] = res.x[:n1]
    z[fold] = res.x[:n1][posb[lp.unit_block[fold]]]
    z[pu] = res.x[n1:n1 + n2]
    slack = res.x[n1 + n2 + ng:]
    status = "optimal" if slack.sum() <= 1e-7 * (1 + np.abs(lp.b).sum()) else "elastic"
    duals = np.maximum(-np.asarray(res.ineqlin.marginals[:m]), 0.0)
    return LPSolution(status, z, res.x[n1 + n2:n1 + n2 + ng], float(c @ z + gc @ res.x[
        n1 + n2:n1 + n2 + ng]), duals, slack)


def _start(lp: BlockLP, rc: np.ndarray, n_free: int) -> Core:
    """States from reduced costs: each block and part at its best vertex, the ``n_free``
    blocks and 4×``n_free`` parts closest to changing left free."""
    nb = lp.n_blocks
    pb = lp.unit_block[nb:]
    r = rc[:nb] + np.bincount(pb, weights=np.maximum(rc[nb:], 0.0), minlength=nb)
    sx = np.where(r > 0, FIXS, FIX0)
    sx[np.argsort(np.abs(r) * lp.ub)[:n_free]] = FREE
    sp = np.where(rc[nb:] > 0, IN, OUT)
    live = np.nonzero(sx[pb] != FIX0)[0]
    near = live[np.argsort(np.abs(rc[nb:][live]) * lp.ub[pb[live]])[:4 * n_free]]
    sp[near] = PFREE
    return Core(sx, sp)


def _loosen(lp: BlockLP, core: Core, rc: np.ndarray, bad: np.ndarray) -> None:
    """Free what keeps the blocks ``bad`` from their best response at ``rc``."""
    nb = lp.n_blocks
    pb = lp.unit_block[nb:]
    r = rc[:nb] + np.bincount(pb, weights=np.maximum(rc[nb:], 0.0), minlength=nb)
    want = np.where(r > 0, FIXS, FIX0)
    is_bad = np.zeros(nb, dtype=bool)
    is_bad[bad] = True
    reopen = is_bad & (core.sx != FREE) & (core.sx != want)
    was_off = is_bad & (core.sx == FIX0)
    core.sx[reopen] = FREE
    # parts of blocks that were off take the sign at rc; disagreeing parts become free
    reset = was_off[pb] & (core.sp != PFREE)
    core.sp[reset] = np.where(rc[nb:][reset] > 0, IN, OUT)
    wrong = is_bad[pb] & (((core.sp == IN) & (rc[nb:] < 0)) | ((core.sp == OUT)
                                                                & (rc[nb:] > 0)))
    core.sp[wrong] = PFREE
    stuck = is_bad & ~reopen & ~np.bincount(pb, weights=wrong, minlength=nb).astype(bool)
    core.sx[stuck] = FREE  # nothing to change by sign (ties): give the LP the whole block
    core.sp[stuck[pb]] = PFREE


def _core(lp: BlockLP, warm: LPSolution | None, c: np.ndarray | None = None,
          penalty: float | None = None) -> LPSolution:
    nb = lp.n_blocks
    m = lp.b.size
    cc = lp.c if c is None else c
    pen = penalty if penalty is not None else _penalty(lp)
    pi = warm.duals if warm is not None and warm.duals.size == m else _initial_prices(lp, m)
    # the band left free: with many similar blocks a small error in π flips many of them,
    # so the band grows with the problem (and doubles while the fixings cannot meet a row)
    band = max(4 * m + 20, nb // 20)
    rc = cc - lp.a.T @ pi
    core = _start(lp, rc, band)
    sol = LPSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf, np.zeros(m))
    for _ in range(200):
        sol = _restricted(lp, core, pen, cc)
        if sol.status == "infeasible" or (sol.status == "elastic" and c is None
                                           and band < nb):
            # numerical trouble, or the fixings (not the problem) break a row: widen
            band = min(2 * band, nb)
            core = _start(lp, rc, band)
            continue
        rc, best, _ = best_response(lp, sol.duals, cc)
        lag = np.bincount(lp.unit_block, weights=rc * sol.z, minlength=nb)
        viol = best - lag
        bad = np.nonzero(viol > 1e-7 * (1.0 + np.abs(best) + np.abs(lag)))[0]
        if bad.size == 0:
            return sol
        # a few at a time, worst first: freeing every improvable block would hand HiGHS
        # the whole problem
        _loosen(lp, core, rc, bad[np.argsort(-viol[bad])][:4 * m + 40])
    return sol


def solve(lp: BlockLP, warm: LPSolution | None = None) -> LPSolution:
    """Optimal solution, or status "infeasible". Rows are scaled internally; duals are
    returned in the caller's units."""
    scale = np.abs(lp.a * lp.ub[lp.unit_block][None]).max(axis=1, initial=0.0)
    gc, ga, gub = lp.globals_()
    if ga.size:
        scale = np.maximum(scale, np.abs(ga * np.where(np.isfinite(gub), gub, 1.0)).max(axis=1))
    scale = np.where(scale > 0, scale, 1.0)
    slp = BlockLP(lp.c, lp.a / scale[:, None], lp.b / scale, lp.unit_block, lp.ub,
                  lp.gc, ga / scale[:, None] if ga.size else lp.ga, lp.gub)
    warm_s = None
    if warm is not None:
        warm_s = LPSolution(warm.status, warm.z, warm.x, warm.objective, warm.duals * scale)
    if lp.unit_block.size <= DIRECT_UNITS:
        sol = _highs(slp, np.arange(lp.unit_block.size), slp.b, None)
    else:
        sol = _core(slp, warm_s)
        if sol.status == "elastic":
            sol = _settle(slp, sol)
    sol.duals = sol.duals / scale
    return sol


def _settle(lp: BlockLP, sol: LPSolution) -> LPSolution:
    """An elastic optimum with violated rows: infeasible if phase I (violation alone)
    cannot reach zero, else re-solve with a larger penalty."""
    phase1 = _core(lp, None, c=np.zeros_like(lp.c), penalty=1.0)
    if phase1.status != "optimal":
        return LPSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf,
                          np.zeros(lp.b.size))
    pen = _penalty(lp)
    for _ in range(3):
        pen *= 1e3
        sol = _core(lp, sol, penalty=pen)
        if sol.status == "optimal":
            return sol
    return LPSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf, np.zeros(lp.b.size))
