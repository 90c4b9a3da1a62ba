"""Plans in whole units: a dismantler shreds whole vehicles and removes a part from whole
vehicles, so every count of a plan (vehicles shredded per type, vehicles per type that keep a
part in) is an integer.

The LP of :mod:`junkan.alloys.lpcore` is solved first: its optimum is the *LP bound* every
whole-unit plan is measured against (``gap_JPY`` = LP bound − the plan's margin). Then

* **MILP** (up to :data:`lpcore.DIRECT_UNITS` units): the same problem with integrality on
  every unit, by HiGHS branch and bound (:func:`scipy.optimize.milp`) with a time limit of
  :data:`MILP_TIME_LIMIT_S` and a relative gap of :data:`MILP_REL_GAP`; HiGHS's own proven gap
  is reported beside the gap to the LP bound. The rounding below runs first: when its plan is
  already within :data:`MILP_REL_GAP` of the LP bound it is proven good enough and branch and
  bound is skipped (HiGHS spends seconds in its heuristics finding such a plan). Should HiGHS
  find no plan in its time (or its plan fail the check on the rows, or be worse) the rounded
  plan is kept;
* **rounding** (larger problems, the core method): every count of the LP plan rounded down
  (parts kept never exceed vehicles shredded); then, while a row is broken, the whole-unit
  move that eases the breach at the least margin lost per unit eased (none: no whole-unit
  plan found); then greedily the whole-unit moves with the best margin that keep every row —
  stock, capacity, minimum product and the linearised chance rows — met, in batches (at most
  one move per vehicle type per batch); when none fits, an exchange: one of the best moves
  that does not fit alone with a move in another type that makes room for it, if together
  they gain; until nothing improves. Moves: one vehicle more or fewer shredded (with its
  parts removed, or with the parts the LP keeps kept in), one part more or less removed. The
  result meets every row; its gap to the LP bound is reported, not proven small.

Stock bounds are taken whole (rounded down): the requests refuse fractional stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack

from junkan.alloys import lpcore
from junkan.alloys.lpcore import BlockLP, LPSolution

MILP_TIME_LIMIT_S = 5.0
"""HiGHS branch and bound stops after this many seconds with its best plan so far."""
MILP_REL_GAP = 1e-4
"""… or once its plan is proven within this share of its bound."""
ROUNDING_BATCHES = 500
"""The rounding's repair and improvement phases stop after this many batches each."""
EXCHANGE_TOP = 20
"""Moves that do not fit alone for which the rounding looks for a move making room."""
TOL = 1e-7


@dataclass
class WholeSolution:
    """A whole-unit plan (or status "infeasible") with the LP relaxation it is measured
    against."""

    status: str  # "optimal" | "feasible" (time limit or rounding) | "infeasible"
    z: np.ndarray  # (U,) whole numbers
    x: np.ndarray  # (G,) global columns (continuous)
    objective: float
    relaxation: LPSolution
    method: str  # "milp" | "rounding"
    milp_gap: float | None = None  # HiGHS's proven relative gap (MILP only)

    def gap(self) -> dict[str, Any]:
        """The plan against the LP bound: method, bound, gap in JPY and in % of the bound."""
        bound = self.relaxation.objective
        gap = max(bound - self.objective, 0.0)
        return {"method": self.method, "status": self.status, "lp_bound_JPY": bound,
                "gap_JPY": gap, "gap_pct": 100 * gap / abs(bound) if abs(bound) > 1e-9 else 0.0,
                "milp_gap_pct": None if self.milp_gap is None else 100 * self.milp_gap}


def _infeasible(lp: BlockLP, rel: LPSolution, method: str) -> WholeSolution:
    return WholeSolution("infeasible", np.zeros(0), np.zeros(0), -np.inf, rel, method)


def _scaled(lp: BlockLP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows scaled as :func:`lpcore.solve` does: (a, ga, b) in units of each row's largest
    term at full stock."""
    _, ga, gub = lp.globals_()
    scale = np.abs(lp.a * lp.ub[lp.unit_block][None]).max(axis=1, initial=0.0)
    if ga.size:
        scale = np.maximum(scale, np.abs(ga * np.where(np.isfinite(gub), gub, 1.0)).max(axis=1))
    scale = np.where(scale > 0, scale, 1.0)
    return lp.a / scale[:, None], ga / scale[:, None], lp.b / scale


def whole_stock(lp: BlockLP) -> np.ndarray:
    """(B,) stock per block in whole vehicles."""
    return np.floor(lp.ub + 1e-9)


def solve_whole(lp: BlockLP, warm: LPSolution | None = None) -> WholeSolution:
    """The best whole-unit plan (MILP up to ``lpcore.DIRECT_UNITS`` units, else the LP plan
    rounded and repaired), with the LP relaxation; status "infeasible" when none is found."""
    rel = lpcore.solve(lp, warm)
    if rel.status != "optimal":
        return _infeasible(lp, rel, "milp")
    rounded = round_plan(lp, rel)
    if lp.unit_block.size > lpcore.DIRECT_UNITS:
        return rounded
    bound = abs(rel.objective)
    if (rounded.status != "infeasible" and MILP_REL_GAP > 0
            and rel.objective - rounded.objective <= MILP_REL_GAP * bound):
        # within the MILP's tolerance of the LP bound: proven, no branch and bound needed
        rounded.status = "optimal"
        rounded.milp_gap = (rel.objective - rounded.objective) / max(bound, 1e-9)
        return rounded
    sol = solve_milp(lp, rel)
    if sol is None or (sol.status != "infeasible" and sol.objective < rounded.objective):
        return rounded
    return sol


def solve_milp(lp: BlockLP, rel: LPSolution) -> WholeSolution | None:
    """HiGHS branch and bound; None when it proves nothing either way in its time (or its
    plan, rounded, breaks a row)."""
    a, ga, b = _scaled(lp)
    gc, _, gub = lp.globals_()
    nu, ng, nb = lp.unit_block.size, gc.size, lp.n_blocks
    parts = np.arange(nb, nu)
    link = coo_matrix((np.concatenate([np.ones(parts.size), -np.ones(parts.size)]),
                       (np.tile(np.arange(parts.size), 2),
                        np.concatenate([parts, lp.unit_block[parts]]))),
                      shape=(parts.size, nu + ng))
    mat = vstack([csr_matrix(np.hstack([a, ga])), link.tocsr()], format="csr")
    rhs = np.concatenate([b, np.zeros(parts.size)])
    ub = np.concatenate([whole_stock(lp)[lp.unit_block], gub])
    res = milp(-np.concatenate([lp.c, gc]), integrality=np.r_[np.ones(nu), np.zeros(ng)],
               bounds=Bounds(np.zeros(nu + ng), ub),
               constraints=LinearConstraint(mat, -np.inf, rhs),
               options={"time_limit": MILP_TIME_LIMIT_S, "mip_rel_gap": MILP_REL_GAP})
    if res.status == 2:
        return _infeasible(lp, rel, "milp")
    if res.x is None:
        return None
    z = np.round(res.x[:nu])
    x = res.x[nu:]
    if not _meets(a, b, z, lp, ga, x):
        return None
    status = "optimal" if res.status == 0 else "feasible"
    gap = getattr(res, "mip_gap", None)
    return WholeSolution(status, z, x, float(lp.c @ z + gc @ x), rel, "milp",
                         float(gap) if gap is not None else None)


def _meets(a: np.ndarray, b: np.ndarray, z: np.ndarray, lp: BlockLP,
           ga: np.ndarray | None = None, x: np.ndarray | None = None) -> bool:
    """Every scaled row, the stock and the links hold for the whole plan z."""
    lhs = a @ z + (ga @ x if ga is not None and x is not None and x.size else 0.0)
    nb = lp.n_blocks
    return bool(np.all(lhs <= b + 1e-6) and np.all(z >= 0)
                and np.all(z[:nb] <= whole_stock(lp))
                and np.all(z[nb:] <= z[lp.unit_block[nb:]]))


@dataclass
class Moves:
    """Whole-unit moves of the rounding: per move its kind, block, unit and margin; the
    effect of a move on the scaled rows is computed for the moves looked at (:meth:`rows`)."""

    kind: np.ndarray  # 0 +vehicle (parts out), 1 −vehicle, 2 +part kept, 3 −part kept,
    # 4 +vehicle as the LP keeps its parts, 5 −vehicle as the LP keeps its parts
    block: np.ndarray
    unit: np.ndarray
    gain: np.ndarray
    a: np.ndarray  # (m, U) scaled rows
    kept_a: np.ndarray  # (m, B) row use of the parts the LP keeps, per block

    def rows(self, sel: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(m or len(rows), len(sel)) effect of the moves ``sel`` on the rows."""
        a = self.a if rows is None else self.a[rows]
        out = a[:, self.unit[sel]]
        whole = self.kind[sel] >= 4
        if whole.any():
            ka = self.kept_a if rows is None else self.kept_a[rows]
            out[:, whole] += ka[:, self.block[sel][whole]]
        return out * np.where(self.kind[sel] % 2 == 0, 1.0, -1.0)


def _moves(lp: BlockLP, a: np.ndarray, z_lp: np.ndarray) -> tuple[Moves, np.ndarray]:
    """Every move and the LP's pattern of kept parts (U − B,) bool."""
    nb, nu = lp.n_blocks, lp.unit_block.size
    pb = lp.unit_block[nb:]
    base = z_lp[:nb][pb]
    keep = np.where(base > 1e-9, z_lp[nb:] >= 0.5 * base, lp.c[nb:] > 0)
    kc = np.bincount(pb, weights=np.where(keep, lp.c[nb:], 0.0), minlength=nb)
    ka = np.stack([np.bincount(pb, weights=np.where(keep, a[r, nb:], 0.0), minlength=nb)
                   for r in range(a.shape[0])]) if a.shape[0] else np.zeros((0, nb))
    blocks = np.arange(nb)
    kind = np.repeat(np.arange(6), [nb, nb, nu - nb, nu - nb, nb, nb])
    block = np.concatenate([blocks, blocks, pb, pb, blocks, blocks])
    unit = np.concatenate([blocks, blocks, np.arange(nb, nu), np.arange(nb, nu), blocks,
                           blocks])
    cb, cp = lp.c[:nb], lp.c[nb:]
    gain = np.concatenate([cb, -cb, cp, -cp, cb + kc, -(cb + kc)])
    return Moves(kind, block, unit, gain, a, ka), keep


def _allowed(lp: BlockLP, mv: Moves, keep: np.ndarray, z: np.ndarray, stock: np.ndarray
             ) -> np.ndarray:
    """(K,) which moves keep 0 ≤ parts kept ≤ vehicles ≤ stock."""
    nb = lp.n_blocks
    pb = lp.unit_block[nb:]
    x, y = z[:nb], z[nb:]
    full = np.bincount(pb, weights=(y > x[pb] - 1).astype(float), minlength=nb) == 0
    # −vehicle as the LP keeps: kept parts have one to lose, the others room below
    bad = np.where(keep, y < 1, y > x[pb] - 1).astype(float)
    pattern_ok = np.bincount(pb, weights=bad, minlength=nb) == 0
    up = x + 1 <= stock
    ok = [up, (x >= 1) & full, y + 1 <= x[pb], y >= 1, up, (x >= 1) & pattern_ok]
    return np.concatenate(ok)


def _apply(lp: BlockLP, mv: Moves, keep: np.ndarray, z: np.ndarray, k: np.ndarray) -> None:
    nb = lp.n_blocks
    pb = lp.unit_block[nb:]
    sign = np.where(mv.kind[k] % 2 == 0, 1.0, -1.0)
    np.add.at(z, mv.unit[k], sign)
    whole = mv.kind[k] >= 4
    if whole.any():
        delta = np.zeros(nb)
        np.add.at(delta, mv.block[k][whole], sign[whole])
        z[nb:] += np.where(keep, delta[pb], 0.0)


def _batch(order: np.ndarray, mv: Moves, slack: np.ndarray) -> np.ndarray:
    """The longest prefix of ``order`` (one move per block) whose every partial sum keeps
    the rows within ``slack``; at least the first move."""
    _, first = np.unique(mv.block[order], return_index=True)
    order = order[np.sort(first)]
    used = np.cumsum(mv.rows(order), axis=1)
    fits = np.all(used <= slack[:, None] + TOL, axis=0)
    stop = int(np.argmin(fits)) if not fits.all() else fits.size
    return order[:max(stop, 1)]


def _repair_move(lp: BlockLP, mv: Moves, keep: np.ndarray, z: np.ndarray,
                 stock: np.ndarray, slack: np.ndarray) -> int | None:
    """The allowed move that reduces the total breach of the rows at the least margin lost
    per unit of breach removed (free moves: the largest reduction); None when none reduces
    it."""
    broken = np.nonzero(slack < -TOL)[0]
    cand = np.nonzero(_allowed(lp, mv, keep, z, stock))[0]
    helps = np.any(mv.rows(cand, broken) < 0, axis=0)  # eases a broken row
    cand = cand[helps]
    if not cand.size:
        return None
    after = np.maximum(mv.rows(cand) - slack[:, None], 0.0).sum(axis=0)
    eased = np.maximum(-slack, 0.0).sum() - after
    if not eased.max() > TOL:
        return None
    cost = (np.maximum(-mv.gain[cand], 0.0) + 1e-9) / np.maximum(eased, 1e-300)
    cost[eased <= TOL] = np.inf
    return int(cand[np.argmin(cost)])


def round_plan(lp: BlockLP, rel: LPSolution) -> WholeSolution:
    """The LP plan rounded down, repaired and greedily improved in whole units."""
    a, _, b = _scaled(lp)
    nb = lp.n_blocks
    stock = whole_stock(lp)
    z = np.floor(rel.z + 1e-6)
    z[:nb] = np.minimum(z[:nb], stock)
    z[nb:] = np.minimum(z[nb:], z[lp.unit_block[nb:]])
    mv, keep = _moves(lp, a, rel.z)
    for _ in range(ROUNDING_BATCHES):  # repair: least total breach, then best margin
        slack = b - a @ z
        if np.all(slack >= -TOL):
            break
        k = _repair_move(lp, mv, keep, z, stock, slack)
        if k is None:
            return _infeasible(lp, rel, "rounding")
        _apply(lp, mv, keep, z, np.array([k]))
    else:
        return _infeasible(lp, rel, "rounding")
    for _ in range(ROUNDING_BATCHES):  # improve: best margin first, rows kept
        slack = b - a @ z
        allowed = _allowed(lp, mv, keep, z, stock)
        cand = np.nonzero(allowed & (mv.gain > 1e-9))[0]
        fits = np.all(mv.rows(cand) <= slack[:, None] + TOL, axis=0)
        if fits.any():
            good = cand[fits]
            _apply(lp, mv, keep, z, _batch(good[np.argsort(-mv.gain[good])], mv, slack))
            continue
        pair = _exchange(mv, allowed, cand, slack)
        if pair is None:
            break
        _apply(lp, mv, keep, z, pair)
    return WholeSolution("feasible", z, np.zeros(0), float(lp.c @ z), rel, "rounding")


def _exchange(mv: Moves, allowed: np.ndarray, up: np.ndarray, slack: np.ndarray
              ) -> np.ndarray | None:
    """Two moves in different blocks, one of the :data:`EXCHANGE_TOP` best that do not fit
    alone and one that makes room for it, with the best positive margin together; None if
    there are none."""
    if not up.size:
        return None
    top = up[np.argsort(-mv.gain[up])][:EXCHANGE_TOP]
    broken = np.nonzero(np.any(mv.rows(top) > slack[:, None] + TOL, axis=1))[0]
    down = np.nonzero(allowed & (mv.gain > -mv.gain[top[0]]))[0]
    down = down[np.any(mv.rows(down, broken) < 0, axis=0)]  # eases a row the top break
    rows_down = mv.rows(down)
    best, pair = 1e-9, None
    for k in top:
        need = slack - mv.rows(np.array([k]))[:, 0]
        tight = need < TOL  # rows the partner must ease (or leave alone): filter on them first
        sel = np.nonzero(np.all(rows_down[tight] <= need[tight, None] + TOL, axis=0)
                         & (mv.block[down] != mv.block[k])
                         & (mv.gain[down] + mv.gain[k] > best))[0]
        sel = sel[np.all(rows_down[:, sel] <= need[:, None] + TOL, axis=0)]
        if sel.size:
            j = down[sel[np.argmax(mv.gain[down[sel]])]]
            best, pair = float(mv.gain[j] + mv.gain[k]), np.array([k, j])
    return pair


def with_globals_whole(lp: BlockLP) -> tuple[str, np.ndarray, np.ndarray]:
    """Status, units and global columns of the problem with whole units and continuous
    globals (the nearest window's excesses): MILP up to ``lpcore.DIRECT_UNITS`` units, else
    the LP relaxation (its units then need not be whole)."""
    rel = lpcore.solve(lp)
    if rel.status != "optimal" or lp.unit_block.size > lpcore.DIRECT_UNITS:
        return rel.status, rel.z, rel.x
    sol = solve_milp(lp, rel)
    if sol is None:
        return rel.status, rel.z, rel.x
    return sol.status if sol.status == "infeasible" else "optimal", sol.z, sol.x


__all__ = ["MILP_REL_GAP", "MILP_TIME_LIMIT_S", "WholeSolution", "round_plan",
           "solve_milp", "solve_whole", "whole_stock", "with_globals_whole"]
