"""Plan the feed mix and the parts to remove so the aluminium product meets a buyer's window
with a chosen probability, at the best margin. LP solved by HiGHS (``scipy.optimize.linprog``).

Variables: x_v vehicles of type v shredded (0 ≤ x_v ≤ stock_v) and y_vp vehicles of type v
whose component p still goes in (0 ≤ y_vp ≤ x_v; x_v − y_vp are removed before shredding).
Every contribution to the product is linear in (x, y) (:func:`unit_arrays`), so for element e
with limit U_e (wt %) the product's excess g_e = E_e − U_e·M/100 is Σ_j z_j g_je.

**Chance constraint** P(g_e ≤ 0) ≥ α for every limited element, made linear and safe: the
standard deviation of a sum is at most the sum of the standard deviations (a norm), so
    Σ_j z_j (μ_je + κ σ_je) ≤ 0,  κ = Φ⁻¹(α)
implies μ + κ·sd ≤ 0 (Gaussian reading of the chance constraint; Gaustad et al. 2010 use the
SOCP form). The window must hold jointly, so κ lies between Φ⁻¹(α) (each limit alone) and
the Bonferroni value Φ⁻¹(1 − (1−α)/L); each plan is checked on the Monte Carlo samples
(all limits met in ≥ α of them) and κ is bisected in that bracket (≤ 8 LP solves) to keep
the best margin that passes. **Objective**: product value at the buyer's 'met' price + other
fractions' value + value of removed parts − removal labour − shredding cost − residue cost.

The plan ships at least 1 % of what the stock could give (or ``min_product_kg``); its
status is "unprofitable" when the best margin is negative.

**Infeasible window**: solved again with a slack per limit (minimise Σ slack/limit); the
limits that needed slack are the binding ones, and limit + slack is the nearest window the
stock can meet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse import vstack as sparse_vstack
from scipy.stats import norm

from junkan.alloys.data import Buyer, Library, load_alloy_library
from junkan.alloys.predict import AL_OUTPUTS, OUTPUTS, TRACKED, draw, unit_arrays, vehicle_vectors
from junkan.alloys.sorter import Sorter
from junkan.core.encoding import jsonable
from junkan.core.errors import short


class PlanError(ValueError):
    """The planning problem is malformed (names what), or no plan meets the window."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


@dataclass
class Units:
    """Decision units: rows of V (units × inputs) and their kind."""

    names: list[tuple[str, str | None]]  # (vehicle, component or None for the vehicle base)
    v: csr_matrix
    vehicle_of: np.ndarray  # unit → vehicle index
    is_part: np.ndarray


def decision_units(lib: Library, vehicles: list[str], removable: set[str] | None) -> Units:
    """One base unit per vehicle (everything not removable) and one unit per removable
    component it has."""
    names: list[tuple[str, str | None]] = []
    rows, cols, vals = [], [], []
    veh_of, is_part = [], []
    keys = lib.part_keys()
    n_a = len(keys)
    for vi, vid in enumerate(vehicles):
        v = lib.vehicles[vid]
        parts = [c for c in v.aluminium if c in lib.dismantling and
                 (removable is None or c in removable)]
        base_al, base_li, other = vehicle_vectors(lib, vid, tuple(parts))
        base = np.concatenate([base_al, base_li, [other["steel"], other["copper"],
                                                  other["heavy_nonferrous"], other["residue"]]])
        nz = np.nonzero(base)[0]
        r = len(names)
        rows += [r] * len(nz)
        cols += nz.tolist()
        vals += base[nz].tolist()
        names.append((vid, None))
        veh_of.append(vi)
        is_part.append(False)
        for comp in parts:
            part = v.aluminium[comp]
            j = keys.index(f"{comp}:{part.alloy}")
            r = len(names)
            rows.append(r)
            cols.append(j)
            vals.append(part.kg)
            if part.lithium_ppm_of_part:
                rows.append(r)
                cols.append(n_a + j)
                vals.append(part.kg * part.lithium_ppm_of_part / 1e6)
            names.append((vid, comp))
            veh_of.append(vi)
            is_part.append(True)
    v_mat = coo_matrix((vals, (rows, cols)), shape=(len(names), 2 * n_a + 4)).tocsr()
    return Units(names=names, v=v_mat, vehicle_of=np.array(veh_of), is_part=np.array(is_part))


def product_weights(sorter: Sorter | None, product: str) -> np.ndarray:
    """(O,) share of each output that ends in the product: the whole Al fraction, or one
    sorter bin (mean confusion matrix)."""
    w = np.zeros(len(OUTPUTS))
    idx = [OUTPUTS.index(o) for o in AL_OUTPUTS]
    if sorter is None:
        if product != "al":
            raise PlanError(f"product {short(product)} needs a sorter; without one the product is "
                            "'al' (the whole aluminium fraction)")
        w[idx] = 1.0
        return w
    bins = ("wrought", "cast", "copper", "other")
    if product not in bins:
        raise PlanError(f"product must be one of {bins} with a sorter (got {short(product)})")
    m = sorter.array()
    w[idx] = m[:, bins.index(product)]
    return w


@dataclass
class PlanResult:
    """A feed plan: vehicles to shred, parts to remove first, the margin, the product and
    the probability that it meets the buyer's window (overall and per element).
    ``to_json()`` is the document the CLI and the API return."""

    status: str
    counts: dict[str, float]
    removals: dict[str, dict[str, float]]
    margin_JPY: float
    product_kg: float
    probability: dict[str, float]
    probability_all: float
    kappa: float
    solves: int
    seconds: float
    composition_mean: dict[str, float]
    detail: dict[str, Any]

    def document(self) -> dict[str, Any]:
        return {"status": self.status, "vehicles": self.counts, "removals": self.removals,
                "margin_JPY": self.margin_JPY, "product_kg": self.product_kg,
                "probability_met": self.probability_all,
                "probability_per_element": self.probability, "kappa": self.kappa,
                "lp_solves": self.solves, "seconds": self.seconds,
                "composition_mean_wt_pct": self.composition_mean, **self.detail}

    def to_json(self) -> dict[str, Any]:
        """The plan's JSON-ready document."""
        return dict(jsonable(self.document()))

    def to_frame(self) -> Any:
        """One row per vehicle: vehicles shredded and, per removable component, how many of
        them have it removed first (column ``remove:<component>``)."""
        import pandas as pd

        rows = [{"vehicle": v, "shredded": c,
                 **{f"remove:{k}": n for k, n in self.removals.get(v, {}).items()}}
                for v, c in self.counts.items()]
        return pd.DataFrame(rows)

    def report(self, out: str | Path) -> Path:
        """Write ``plan.json`` and ``plan.csv`` (the table) into ``out``; returns the JSON
        file's path."""
        return write_files(out, "plan", self.to_json(), self.to_frame())


def write_files(out: str | Path, stem: str, doc: dict[str, Any], frame: Any) -> Path:
    """``<out>/<stem>.json`` (indented, UTF-8) and ``<out>/<stem>.csv``; the JSON path."""
    import json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{stem}.csv", index=False)
    path = out / f"{stem}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _checked(lib: Library, stock: dict[str, float], buyer: Buyer | str, probability: float,
             removable: list[str] | None) -> tuple[Buyer, list[str]]:
    """The buyer and the vehicles on hand; PlanError naming what is wrong."""
    if isinstance(buyer, str):
        if buyer not in lib.buyers:
            raise PlanError(f"unknown buyer {short(buyer)}; known: {sorted(lib.buyers)}")
        buyer = lib.buyers[buyer]
    if not 0.5 <= probability < 1:
        raise PlanError("probability must be in [0.5, 1)")
    bad = [v for v in stock if v not in lib.vehicles]
    if bad:
        raise PlanError(f"stock: unknown vehicle(s) {bad}; known: {sorted(lib.vehicles)}")
    neg = {v: c for v, c in stock.items() if c < 0}
    if neg:
        raise PlanError(f"stock: negative counts {neg}")
    if removable is not None:
        unknown = [c for c in removable if c not in lib.dismantling]
        if unknown:
            raise PlanError(f"removable: no dismantling option for {unknown}; options: "
                            f"{sorted(lib.dismantling)}")
    vehicles = [v for v, c in stock.items() if c > 0]
    if not vehicles:
        raise PlanError("stock: no vehicles on hand")
    return buyer, vehicles


@dataclass
class _Excess:
    """The product per input and each limited element's excess over the window:
    g_e = E_e − U_e·M/100 per Monte Carlo sample (n, I, L), its mean (U, L) and a bound on
    its standard deviation (U, L) per decision unit."""

    prod_mass: np.ndarray  # (n, I)
    prod_el: np.ndarray  # (n, I, E+1)
    limits: dict[str, float]
    els: list[str]
    g: np.ndarray  # (n, I, L)
    mu: np.ndarray  # (U, L)
    sd: np.ndarray  # (U, L)


def _excess(units: Units, u: Any, w: np.ndarray, buyer: Buyer) -> _Excess:
    prod_mass = np.einsum("nio,o->ni", u.mass, w)  # (n, I)
    prod_el = np.einsum("nioe,o->nie", u.elements, w)  # (n, I, E+1)
    limits = {e: v for e, v in buyer.max.items() if e in TRACKED}
    els = list(limits)
    # per-input excess g (n, I, L) and its mean / covariance per element
    g = np.stack([prod_el[:, :, TRACKED.index(e)] - limits[e] / 100 * prod_mass for e in els],
                 axis=2)
    vm = units.v
    mu_units = np.asarray(vm @ g.mean(axis=0))  # (U, L)
    sd_units = np.empty_like(mu_units)
    for k in range(len(els)):
        cov = np.cov(g[:, :, k], rowvar=False)  # (I, I) across Monte Carlo samples
        vc = np.asarray(vm @ cov)
        sd_units[:, k] = np.sqrt(np.maximum(np.asarray(vm.multiply(vc).sum(axis=1)).ravel(),
                                            0.0))
    return _Excess(prod_mass, prod_el, limits, els, g, mu_units, sd_units)


@dataclass
class _Feasible:
    """Bounds and the constraints every LP shares: part units ≤ their vehicle's base unit,
    optional vehicle capacity, a minimum product."""

    ub: np.ndarray
    link_rows: list[int]
    base_of: dict[int, int]
    a_link: Any
    extra_rows: list[np.ndarray]
    extra_rhs: list[float]

    def a_base(self) -> Any:
        return sparse_vstack([self.a_link.tocsr(), *[csr_matrix(r) for r in self.extra_rows]],
                             format="csr")

    def b_base(self) -> np.ndarray:
        return np.concatenate([np.zeros(len(self.link_rows)), self.extra_rhs])


def _feasible(units: Units, stock: dict[str, float], n_veh: int, ex: _Excess,
              capacity_vehicles: float | None, min_product_kg: float) -> _Feasible:
    n_units = len(units.names)
    # bounds: base units 0..stock; part units 0..stock (and ≤ their vehicle's base)
    ub = np.array([stock[units.names[j][0]] for j in range(n_units)], dtype=float)
    link_rows = [j for j in range(n_units) if units.is_part[j]]
    base_of = {vi: j for j, vi in enumerate(units.vehicle_of) if not units.is_part[j]}
    a_link = coo_matrix((np.concatenate([np.ones(len(link_rows)), -np.ones(len(link_rows))]),
                         (np.tile(np.arange(len(link_rows)), 2),
                          np.concatenate([link_rows, [base_of[units.vehicle_of[j]]
                                                      for j in link_rows]]))),
                        shape=(len(link_rows), n_units))
    extra_rows, extra_rhs = [], []
    if capacity_vehicles is not None:
        row = np.zeros(n_units)
        row[[base_of[vi] for vi in range(n_veh)]] = 1.0
        extra_rows.append(row)
        extra_rhs.append(float(capacity_vehicles))
    # ship at least 1 % of what the stock could give (or the asked minimum): without it
    # "ship nothing" satisfies any window, and an unprofitable window would look infeasible
    mass_units = np.asarray(units.v @ ex.prod_mass.mean(axis=0)).ravel()
    extra_rows.append(-mass_units)
    extra_rhs.append(-max(min_product_kg, 0.01 * float(mass_units @ ub)))
    return _Feasible(ub, link_rows, base_of, a_link, extra_rows, extra_rhs)


def _search_kappa(units: Units, ex: _Excess, fz: _Feasible, value: np.ndarray,
                  probability: float) -> tuple[tuple[np.ndarray, float, float, np.ndarray]
                                               | None, float, int]:
    """Bisect κ for the best margin whose plan meets the window in ≥ ``probability`` of the
    samples: (best (z, κ, margin, P per element) or None, last κ tried, LP solves)."""
    vm = units.v
    els = ex.els
    a_base, b_base = fz.a_base(), fz.b_base()
    bounds = list(zip(np.zeros(len(units.names)), fz.ub, strict=True))

    def solve(kappa: float) -> tuple[np.ndarray, float] | None:
        a_ub = sparse_vstack([csr_matrix((ex.mu + kappa * ex.sd).T), a_base], format="csr")
        res = linprog(-value, A_ub=a_ub, b_ub=np.concatenate([np.zeros(len(els)), b_base]),
                      bounds=bounds, method="highs")
        return (res.x, -res.fun) if res.status == 0 else None

    def sampled(z: np.ndarray) -> np.ndarray:
        f = np.asarray(vm.T @ z).ravel()
        return np.einsum("i,nil->nl", f, ex.g) <= 1e-9  # (n, L) limit met per sample

    # κ between Φ⁻¹(α) (each limit alone) and the Bonferroni value Φ⁻¹(1 − (1−α)/L) (all
    # limits jointly, Gaussian reading); the samples decide, bisection recovers margin
    k_lo = float(norm.ppf(probability))
    k_hi = float(norm.ppf(1 - (1 - probability) / max(len(els), 1)))
    solves = 0
    best: tuple[np.ndarray, float, float, np.ndarray] | None = None
    kappa, lo_fail, hi_ok = k_lo, None, None
    for _ in range(8):
        sol = solve(kappa)
        solves += 1
        ok = False
        if sol is not None:
            met = sampled(sol[0])
            if met.all(axis=1).mean() >= probability:
                ok = True
                if best is None or sol[1] > best[2]:
                    best = (sol[0], kappa, sol[1], met.mean(axis=0))
        if ok:
            hi_ok = kappa
        else:
            lo_fail = kappa
        if hi_ok is None:
            if sol is None and kappa >= k_hi:
                break  # infeasible even where the samples would need it
            kappa = k_hi if kappa < k_hi else kappa * 1.3 + 0.3
        else:
            if lo_fail is None or hi_ok - lo_fail < 0.05:
                break
            kappa = (lo_fail + hi_ok) / 2
    return best, max(kappa, k_hi), solves


def plan_feed(stock: dict[str, float], buyer: Buyer | str, *, probability: float = 0.9,
              grain_mm: float = 65.0, capacity_vehicles: float | None = None,
              removable: list[str] | None = None, sorter: Sorter | None = None,
              product: str = "al", min_product_kg: float = 0.0, n: int = 1000, seed: int = 0,
              lib: Library | None = None, compositions: np.ndarray | None = None
              ) -> PlanResult:
    """Best feed and removals for ``stock`` (vehicle id → count on hand). ``compositions``
    (n, K, E+1) replaces the sampled part compositions — posterior samples from
    :class:`junkan.alloys.feedback.Estimates` to re-plan after lot analyses."""
    t0 = time.perf_counter()
    lib = lib or load_alloy_library()
    buyer, vehicles = _checked(lib, stock, buyer, probability, removable)
    units = decision_units(lib, vehicles, set(removable) if removable is not None else None)
    comp, d_lib, attached = draw(lib, n, seed)
    if compositions is not None:
        comp = compositions
        d_lib, attached = d_lib[:comp.shape[0]], attached[:comp.shape[0]]
    u = unit_arrays(lib, grain_mm, comp, d_lib, attached)
    w = product_weights(sorter, product)
    ex = _excess(units, u, w, buyer)
    fz = _feasible(units, stock, len(vehicles), ex, capacity_vehicles, min_product_kg)
    value = _unit_values(lib, units, u, w, buyer)
    best, kappa, solves = _search_kappa(units, ex, fz, value, probability)
    if best is None:
        raise PlanError(*_infeasible(ex.mu, ex.sd, kappa, ex.els, ex.limits, ex.prod_mass,
                                     units.v, fz.a_link, fz.ub, fz.extra_rows, fz.extra_rhs,
                                     probability))
    z, kappa, margin, p_el = best
    f = np.asarray(units.v.T @ z).ravel()
    m = ex.prod_mass @ f
    comp_mean = {e: float(np.mean(ex.prod_el[:, :, j] @ f / np.maximum(m, 1e-12) * 100))
                 for j, e in enumerate(TRACKED)}
    counts = {vehicles[vi]: float(z[fz.base_of[vi]]) for vi in range(len(vehicles))}
    removals: dict[str, dict[str, float]] = {}
    for j in fz.link_rows:
        vid, comp_name = units.names[j]
        removed = z[fz.base_of[units.vehicle_of[j]]] - z[j]
        if removed > 1e-6:
            removals.setdefault(vid, {})[str(comp_name)] = float(removed)
    return PlanResult(status="optimal" if margin >= 0 else "unprofitable", counts=counts,
                      removals=removals, margin_JPY=margin,
                      product_kg=float(m.mean()),
                      probability={e: float(p) for e, p in zip(ex.els, p_el, strict=True)},
                      probability_all=float(np.all(np.einsum("i,nil->nl", f, ex.g) <= 1e-9,
                                                   axis=1).mean()),
                      kappa=kappa, solves=solves, seconds=time.perf_counter() - t0,
                      composition_mean=comp_mean,
                      detail={"buyer": buyer.name, "grain_mm": grain_mm,
                              "throughput_t_per_h": u.throughput_t_per_h,
                              "units": len(units.names), "samples": n})


plan = plan_feed
"""Former name of :func:`plan_feed` (kept for callers outside the package)."""


def _unit_values(lib: Library, units: Units, u: Any, w: np.ndarray, buyer: Buyer) -> np.ndarray:
    """JPY per unit: product at the 'met' price, other outputs at their prices, minus residue,
    shredding; a part unit that is *not* shredded (removed) earns its value minus labour, so
    keeping it in costs that: value(y) = shredded value − (removal value − labour)."""
    o = {k: i for i, k in enumerate(OUTPUTS)}
    mean_mass = u.mass.mean(axis=0)  # (I, O)
    price_out = np.zeros(len(OUTPUTS))
    price_out[o["fe"]] = lib.price("fe_scrap_JPY_per_kg")
    price_out[o["cu"]] = lib.price("copper_JPY_per_kg")
    price_out[o["heavy_nf"]] = lib.price("heavy_nonferrous_JPY_per_kg")
    price_out[o["residue"]] = -lib.price("residue_cost_JPY_per_kg")
    # aluminium outputs not in the product are sold at the buyer's 'not met' price
    for out in AL_OUTPUTS:
        price_out[o[out]] = w[o[out]] * buyer.price_met_JPY_per_kg + (1 - w[o[out]]) * \
            buyer.price_not_met_JPY_per_kg
    per_input = mean_mass @ price_out  # (I,)
    val = np.asarray(units.v @ per_input).ravel()
    base_of = {vid: j for j, (vid, comp) in enumerate(units.names) if comp is None}
    for j, (vid, comp) in enumerate(units.names):
        if comp is None:
            val[j] -= lib.price("shredding_JPY_per_vehicle")
        else:
            kg = lib.vehicles[vid].aluminium[comp].kg
            opt = lib.dismantling[comp]
            removed_net = kg * opt.value_JPY_per_kg - lib.removal_cost(comp)
            val[j] -= removed_net
            # removing is the default for the part's value: add it to the base unit
            val[base_of[vid]] += removed_net
    return val


def _infeasible(mu: np.ndarray, sd: np.ndarray, kappa: float, els: list[str],
                limits: dict[str, float], prod_mass: np.ndarray, vm: csr_matrix,
                a_link: Any, ub: np.ndarray, extra_rows: list[np.ndarray],
                extra_rhs: list[float], probability: float) -> tuple[str, dict[str, Any]]:
    """Nearest feasible window: slack s_e ≥ 0 per limit (in wt %), minimise Σ s_e / U_e,
    with at least 1 % of the stock's aluminium product required so 'ship nothing' is not the
    answer."""
    n_u = mu.shape[0]
    n_l = len(els)
    mass_units = np.asarray(vm @ prod_mass.mean(axis=0)).ravel()
    # Σ z (μ+κσ) − s_e/100 · M(z) ≤ 0 is bilinear; fix M at a floor M0 (1 % of stock)
    m0 = 0.01 * float(mass_units @ ub)
    from scipy.sparse import hstack as sparse_hstack

    a_chance = np.hstack([(mu + kappa * sd).T, -np.eye(n_l) * m0 / 100])
    a_links = sparse_hstack([a_link, csr_matrix((a_link.shape[0], n_l))])
    rows: list[Any] = [csr_matrix(a_chance), a_links,
                       csr_matrix(np.hstack([-mass_units, np.zeros(n_l)])[None])]
    rhs: list[np.ndarray] = [np.zeros(n_l), np.zeros(a_link.shape[0]), np.array([-m0])]
    for r, b in zip(extra_rows, extra_rhs, strict=True):
        rows.append(csr_matrix(np.concatenate([r, np.zeros(n_l)])[None]))
        rhs.append(np.array([b]))
    c = np.concatenate([np.zeros(n_u), [1 / max(limits[e], 1e-9) for e in els]])
    res = linprog(c, A_ub=sparse_vstack(rows, format="csr"), b_ub=np.concatenate(rhs),
                  bounds=[*zip(np.zeros(n_u), ub, strict=True), *[(0, None)] * n_l],
                  method="highs")
    if res.status != 0:
        return ("no feed from this stock meets the window (the capacity or minimum product "
                "constraint leaves nothing to plan)", {"binding": [], "nearest_window": {}})
    slack = res.x[n_u:]
    binding = [e for e, s in zip(els, slack, strict=True) if s > 1e-6]
    nearest = {e: round(limits[e] + s + (1e-3 if s > 1e-6 else 0), 4)
               for e, s in zip(els, slack, strict=True)}
    msg = (f"no blend of the stock meets the window with probability {probability:g}: binding "
           f"limit(s) {binding}; nearest feasible window: "
           + ", ".join(f"{e} ≤ {nearest[e]:g} %" for e in binding))
    return msg, {"binding": binding, "nearest_window": nearest}
