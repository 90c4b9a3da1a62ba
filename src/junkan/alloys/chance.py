"""The chance constraint of a plan, made linear and safe, and the search for its κ.

For a maximum U_e the product's excess g_e = E_e − U_e·M/100 is Σ_u z_u g_ue; for a minimum
L_e (the buyer's ``min``) it is g_e = L_e·M/100 − E_e, the same row mirrored, so that
mean − κ·sd of the content stays at or above the minimum. P(g_e ≤ 0) ≥ α is replaced by
Σ_u z_u (μ_ue + κ σ_ue) ≤ 0: the standard deviation of a sum is at most the sum of the
standard deviations (a norm), so this implies μ + κ·sd ≤ 0 (the Gaussian reading;
Gaustad et al. 2010 use the SOCP form). μ and σ per unit come from the Monte Carlo samples:
σ² = vᵀΣv with Σ the inputs' covariance (units of capped vehicles: from their samples
directly). The window must hold jointly, so κ lies between Φ⁻¹(α) and the Bonferroni value
Φ⁻¹(1 − (1−α)/L); each plan — the whole-unit plan (:mod:`junkan.alloys.wholeplan`), not the
LP's — is checked on the samples (all limits met in ≥ α of them) and κ is bisected in that
bracket to keep the best margin that passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

# the standard normal quantile, as scipy.stats.norm.ppf, without importing scipy.stats
# (~0.6 s of every CLI start)
from scipy.special import ndtri

from junkan.alloys.lpcore import BlockLP, LPSolution
from junkan.alloys.units import PlanModel
from junkan.alloys.wholeplan import WholeSolution, solve_whole, with_globals_whole
from junkan.core.errors import Problem, coded


@dataclass
class UnitStats:
    mu: np.ndarray  # (U, L)
    sd: np.ndarray  # (U, L)
    mass: np.ndarray  # (U,) mean product kg


def _quadratic_forms(v: csr_matrix, cov: np.ndarray) -> np.ndarray:
    """(U, L) vᵀΣ_l v for every row v of the sparse matrix ``v``: short rows (a part: key,
    lithium, attachment) by gathering Σ entries, long rows by dense products."""
    n_l = cov.shape[0]
    cov_t = np.ascontiguousarray(np.moveaxis(cov, 0, -1))  # (I, I, L)
    nnz = np.diff(v.indptr)
    out = np.zeros((v.shape[0], n_l))
    width = 4
    short = np.nonzero(nnz <= width)[0]
    if short.size:
        cols = np.zeros((short.size, width), dtype=np.int64)
        vals = np.zeros((short.size, width))
        for j in range(width):
            has = nnz[short] > j
            at = v.indptr[short[has]] + j
            cols[has, j] = v.indices[at]
            vals[has, j] = v.data[at]
        acc = np.zeros((short.size, n_l))
        for a in range(width):
            for b in range(a, width):
                w = vals[:, a] * vals[:, b] * (1.0 if a == b else 2.0)
                if w.any():
                    acc += w[:, None] * cov_t[cols[:, a], cols[:, b]]
        out[short] = acc
    long_ = np.nonzero(nnz > width)[0]
    for start in range(0, long_.size, 4096):
        rows = long_[start:start + 4096]
        dense = v[rows].toarray()
        for k in range(n_l):
            out[rows, k] = np.einsum("ri,ri->r", dense @ cov[k], dense)
    return out


def unit_stats(m: PlanModel) -> UnitStats:
    """Mean and standard deviation of every unit's excess per limit, and its mean product
    mass."""
    g = m.excess()  # (n, I, L)
    n = g.shape[0]
    gbar = g.mean(axis=0)
    mu = np.asarray(m.v @ gbar)
    mass = np.asarray(m.v @ m.p_mass.mean(axis=0)).ravel()
    gc = np.ascontiguousarray(np.moveaxis(g - gbar, 2, 0))  # (L, n, I)
    cov = np.matmul(gc.transpose(0, 2, 1), gc) / max(n - 1, 1)
    var = _quadratic_forms(m.v, cov)
    cp = m.capped
    if cp.lam_st.size:
        ga = m.att_excess()  # (2, n, F, L)
        mean_att = (np.einsum("cn,nfl->cfl", cp.lam_st, ga[0]) +
                    np.einsum("cn,nfl->cfl", cp.lam_nm, ga[1])) / n
        mean_mass = (cp.lam_st @ m.att_mass[0] + cp.lam_nm @ m.att_mass[1]) / n  # (Bc, F)
        coo = cp.family.tocoo()
        blk = cp.pos[m.unit_block[coo.row]]
        np.add.at(mu, coo.row, coo.data[:, None] * mean_att[blk, coo.col])
        np.add.at(mass, coo.row, coo.data * mean_mass[blk, coo.col])
        rows = np.unique(coo.row)
        var[rows] = _capped_variance(m, g, ga, rows)
    return UnitStats(mu=mu, sd=np.sqrt(np.maximum(var, 0.0)), mass=mass)


def _capped_variance(m: PlanModel, g: np.ndarray, ga: np.ndarray, rows: np.ndarray
                     ) -> np.ndarray:
    """(R, L) variance of the excess of capped units, from their samples."""
    cp = m.capped
    out = np.zeros((rows.size, g.shape[2]))
    for start in range(0, rows.size, 2048):
        r = rows[start:start + 2048]
        vr = m.v[r]
        fam = cp.family[r].toarray()  # (R, F)
        pos = cp.pos[m.unit_block[r]]
        for k in range(g.shape[2]):
            x = np.asarray(vr @ g[:, :, k].T)  # (R, n)
            x += cp.lam_st[pos] * (fam @ ga[0, :, :, k].T)
            x += cp.lam_nm[pos] * (fam @ ga[1, :, :, k].T)
            out[start:start + r.size, k] = x.var(axis=1, ddof=1)
    return out


def chance_lp(m: PlanModel, st: UnitStats, kappa: float, extra_a: np.ndarray,
              extra_b: np.ndarray) -> BlockLP:
    """The LP at κ: limit rows, then the extra rows (capacity, minimum product)."""
    a = np.vstack([(st.mu + kappa * st.sd).T, extra_a])
    b = np.concatenate([np.zeros(st.mu.shape[1]), extra_b])
    return BlockLP(c=m.value, a=a, b=b, unit_block=m.unit_block, ub=m.blocks.stock)


@dataclass
class KappaResult:
    best: tuple[np.ndarray, float, float, np.ndarray] | None  # z, κ, margin, P per limit
    kappa: float  # last κ tried
    solves: int
    whole: WholeSolution | None = None  # the best plan's solve: method, LP bound, gap


def search_kappa(m: PlanModel, st: UnitStats, extra_a: np.ndarray, extra_b: np.ndarray,
                 probability: float) -> KappaResult:
    """Bisect κ for the best margin whose whole-unit plan meets the window in ≥
    ``probability`` of the samples. A larger κ only tightens the rows (σ ≥ 0, z ≥ 0): the
    margin falls, and a problem infeasible at κ is infeasible at every larger κ. So the
    search starts at Φ⁻¹(probability), tries the Bonferroni κ next, then grows κ while the
    plans found miss the probability; once a κ meets it, or is infeasible, it bisects
    between that κ and the largest one whose plan missed, to within 0.05. (It stopped at
    the first infeasible κ, so a window met between Φ⁻¹(probability) and an infeasible
    Bonferroni κ was answered infeasible.)"""
    n_l = st.mu.shape[1]
    k_lo = float(ndtri(probability))
    k_hi = float(ndtri(1 - (1 - probability) / max(n_l, 1)))
    solves = 0
    best: tuple[np.ndarray, float, float, np.ndarray] | None = None
    whole: WholeSolution | None = None
    kappa = k_lo
    missed: float | None = None  # the largest κ whose plan missed the probability
    upper: float | None = None  # the smallest κ met, or infeasible
    warm: LPSolution | None = None
    for _ in range(8):
        sol = solve_whole(chance_lp(m, st, kappa, extra_a, extra_b), warm)
        solves += 1
        if sol.relaxation.status == "optimal":
            warm = sol.relaxation
        if sol.status == "infeasible":
            upper = kappa if upper is None else min(upper, kappa)
        else:
            met = m.met(sol.z)
            if met.all(axis=1).mean() >= probability:
                upper = kappa if upper is None else min(upper, kappa)
                if best is None or sol.objective > best[2]:
                    best = (sol.z, kappa, sol.objective, met.mean(axis=0))
                    whole = sol
            else:
                missed = kappa if missed is None else max(missed, kappa)
        if upper is None:
            kappa = k_hi if kappa < k_hi else kappa * 1.3 + 0.3
        elif missed is None or upper - missed < 0.05:
            break  # met (or infeasible) at the smallest κ tried, or bracketed closely
        else:
            kappa = (missed + upper) / 2
    return KappaResult(best, max(kappa, k_hi), solves, whole)


NEAREST_STEPS = 20
"""The nearest window's Dinkelbach iterations stop after this many (they take 2–5)."""


def nearest_window(m: PlanModel, st: UnitStats, kappa: float, extra_a: np.ndarray,
                   extra_b: np.ndarray
                   ) -> tuple[dict[str, float], dict[str, float]] | None:
    """Smallest relaxation s_e ≥ 0 (wt % of the product a plan ships) of each limit that
    makes the rows at κ feasible, minimising Σ s_e / U_e (:func:`least_loosening`). The
    limits that the stock as it comes (every vehicle on hand, no optional removal) meets at
    κ are held where a window exists without loosening them: otherwise a removal that eases
    the broken limits a little would be paid for by loosening one the material meets (Zn of
    a kei car, whose 0.54 % lies under 0.85 %). A maximum is raised by s_e, a minimum
    lowered by it (its row is mirrored). The slacks of the maxima and of the minima; None
    when no plan meets the other rows (capacity, minimum product)."""
    lp = chance_lp(m, st, kappa, extra_a, extra_b)
    b = m.blocks
    z = np.where(b.bought, 0.0, np.floor(b.stock + 1e-9))[m.unit_block]  # parts kept in
    met = lp.a[:len(m.rows)] @ z <= 0
    hold = frozenset(e for (e, _, _), ok in zip(m.rows, met, strict=True) if ok)
    s = least_loosening(lp, st.mass, m.rows, hold) if hold else None
    if s is None:
        s = least_loosening(lp, st.mass, m.rows, frozenset())
    if s is None:
        return None
    return ({e: float(v) for (e, low, _), v in zip(m.rows, s, strict=True) if not low},
            {e: float(v) for (e, low, _), v in zip(m.rows, s, strict=True) if low})


def least_loosening(lp: BlockLP, mass: np.ndarray, rows: list[tuple[str, bool, float]],
                    hold: frozenset[str]) -> np.ndarray | None:
    """(L,) wt % slack per limit row of ``lp`` (its first L rows) that minimises Σ s_e / U_e
    over the plans of ``lp``, the limits ``hold`` kept; None when no plan meets the rest.

    A plan z needs s_e = 100·r_e/M(z), r_e = max(row_e(z), 0) its excess (kg), M(z) = mass·z
    its product (kg): the objective is the ratio N(z)/M(z), N = 100·Σ r_e/U_e, minimised by
    Dinkelbach's method (λ ← N(z)/M(z) of the plan that maximises λ·M(z) − N(z), until none
    beats λ). The product was fixed at the floor every plan ships (1 % of the possible
    product) while a whole-unit plan ships at least one whole vehicle, so each slack came out
    up to 100 × too large for a stock of one vehicle. Plans in whole units (MILP) up to
    ``lpcore.DIRECT_UNITS`` units, the LP relaxation above (the slacks then are a lower bound
    on what a whole-unit plan needs)."""
    n_l = len(rows)
    ga = np.zeros((lp.b.size, n_l))
    ga[:n_l, :n_l] = -np.eye(n_l)  # r_e ≥ row_e(z), r_e ≥ 0 (kg)
    weight = 100 / np.array([max(u, 1e-9) for _, _, u in rows])
    gub = np.array([0.0 if e in hold else np.inf for e, _, _ in rows])
    lam, best = 0.0, None
    for _ in range(NEAREST_STEPS):
        sub = BlockLP(c=lam * mass, a=lp.a, b=lp.b, unit_block=lp.unit_block, ub=lp.ub,
                      gc=-weight, ga=ga, gub=gub)
        status, z, _ = with_globals_whole(sub)
        if status != "optimal":
            break
        m_z = max(float(mass @ z), 1e-12)
        excess = np.maximum(lp.a[:n_l] @ z, 0.0)
        ratio = float(weight @ excess) / m_z
        if best is None or ratio < best[0]:
            best = (ratio, 100 * excess / m_z)
        if ratio <= 1e-12 or (lam > 0 and ratio >= lam * (1 - 1e-6)):
            break  # no plan beats λ: it is the least ratio
        lam = ratio
    return None if best is None else best[1]


def chance_bounds(probability: float, n_limits: int) -> tuple[float, float]:
    """(Φ⁻¹(α), Bonferroni κ)."""
    return (float(ndtri(probability)),
            float(ndtri(1 - (1 - probability) / max(n_limits, 1))))


def unmet_problem(probability: float, m: PlanModel,
                  slack: tuple[dict[str, float], dict[str, float]], detail: dict[str, Any]
                  ) -> Problem:
    """The coded problem of an unmet window; its binding limits and nearest window go into
    ``detail`` (``binding``/``nearest_window`` for maxima, ``binding_min``/
    ``nearest_window_min`` for minima). When a minimum binds, every binding limit is said
    with its side and value (``Si ≥ 9 %``), under its own rule."""
    up, low = slack
    binding = [e for e, s in up.items() if s > 1e-6]
    nearest = loosen(m.limits, up)
    detail.update(binding=binding, nearest_window=nearest)
    ctx = {"probability": f"{probability:g}", "binding": ", ".join(binding),
           "window": ", ".join(f"{e} ≤ {nearest[e]:g} %" for e in binding)}
    binding_min = [e for e, s in low.items() if s > 1e-6]
    if m.lower:
        detail.update(binding_min=binding_min,
                      nearest_window_min=loosen(m.lower, low, lower=True))
    if not binding_min:
        return coded("", "plan-window-unmet", "no blend of the stock meets the window with "
                     "probability {probability}: binding limit(s) {binding}; nearest feasible "
                     "window: {window}", **ctx)
    near_min = detail["nearest_window_min"]
    limits = ([f"{e} ≤ {m.limits[e]:g} %" for e in binding]
              + [f"{e} ≥ {m.lower[e]:g} %" for e in binding_min])
    window = [ctx["window"]] if binding else []
    window += [f"{e} ≥ {near_min[e]:g} %" for e in binding_min]
    return coded("", "plan-window-unmet-min", "no blend of the stock meets the window with "
                 "probability {probability}: binding limit(s) {binding}; nearest feasible "
                 "window: {window}", probability=ctx["probability"], binding=", ".join(limits),
                 window=", ".join(window))


def loosen(limits: dict[str, float], slack: dict[str, float], lower: bool = False
           ) -> dict[str, float]:
    """The limits loosened by ``slack`` (wt %), a binding one by 0.001 more (so that the
    rounded window is met, not just reached): maxima raised, minima (``lower``) lowered, never
    below 0 wt % (a minimum of 0 is no minimum)."""
    if lower:
        return {e: round(max(limits[e] - s - (1e-3 if s > 1e-6 else 0), 0.0), 4)
                for e, s in slack.items()}
    return {e: round(limits[e] + s + (1e-3 if s > 1e-6 else 0), 4) for e, s in slack.items()}
