"""The planner's decision units and what each contributes, per Monte Carlo sample.

A *block* is a vehicle type on hand (or one that can be bought in) with its count. Each block
has a base unit (the vehicle shredded with everything not removable) and one unit per
removable component it has (the vehicles shredded with that component still in). A unit
contributes to the product linearly, through *inputs*: kg of each part key, lithium per key,
the four other materials, and the aluminium per family that attached material rides on.
``g`` (n, I, L) is each input's excess over the buyer's limits per kg: E_e − U_e·M/100 over a
maximum U_e, and L_e·M/100 − E_e under a minimum L_e (the buyer's ``min``), so a plan's excess
per sample is f·g with f = Vᵀz and every limit, either side, reads excess ≤ 0.

Vehicles whose own steel or residue can run short (:mod:`junkan.alloys.routing`, the cap) get
their attached material per sample, scaled by λ: those units are handled by :class:`Capped`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

from junkan.alloys.data import Buyer, Library
from junkan.alloys.index import FAMILIES
from junkan.alloys.predict import TRACKED, Refused
from junkan.alloys.routing import AL_OUTPUTS, CLASS_OUT, OUT, OUTPUTS, Routing, caps
from junkan.core.errors import coded, short


@dataclass
class Blocks:
    """Vehicle types the plan may shred: library index, count available, extra cost per
    vehicle (a purchase) and a label."""

    vehicle: np.ndarray  # (B,) library vehicle index
    stock: np.ndarray  # (B,)
    extra_cost: np.ndarray  # (B,) JPY per vehicle
    bought: np.ndarray  # (B,) bool


@dataclass
class Capped:
    """Units of the blocks whose attachment is capped: their aluminium per family (U, F)
    (rows of other units empty), the block's position in the λ arrays, λ (Bc, n)."""

    family: csr_matrix
    pos: np.ndarray  # (B,) position or -1
    lam_st: np.ndarray
    lam_nm: np.ndarray


@dataclass
class PlanModel:
    """Decision units with their per-input routing, for one grain size, product and buyer."""

    blocks: Blocks
    unit_block: np.ndarray  # (U,)
    part_comp: np.ndarray  # (U,) component index of a part unit, -1 for base units
    part_kg: np.ndarray  # (U,) aluminium kg of a part unit
    v: csr_matrix  # (U, I)
    capped: Capped
    p_mass: np.ndarray  # (n, I) product kg per kg input
    p_el: np.ndarray  # (n, I, E+1) product element kg per kg input
    att_mass: np.ndarray  # (2, n, F) product kg per kg family Al: steel, non-metal part
    att_el: np.ndarray  # (2, n, F, E+1)
    limits: dict[str, float]  # the buyer's maxima (wt %)
    value: np.ndarray  # (U,) JPY per vehicle-unit
    al_mass: np.ndarray  # (U,) mean kg of aluminium fraction per vehicle-unit
    routing: Routing
    lower: dict[str, float] = field(default_factory=dict)  # the buyer's minima > 0 (wt %)

    @property
    def rows(self) -> list[tuple[str, bool, float]]:
        """The limit rows in order: (element, is a minimum, wt %) — the maxima, then the
        minima."""
        return ([(e, False, u) for e, u in self.limits.items()]
                + [(e, True, x) for e, x in self.lower.items()])

    @property
    def els(self) -> list[str]:
        """The element of every limit row (an element with a minimum and a maximum twice)."""
        return [e for e, _, _ in self.rows]

    @property
    def n_units(self) -> int:
        return int(self.unit_block.size)

    def excess(self) -> np.ndarray:
        """g (n, I, L) per kg input."""
        return np.stack([_side(self.p_el[:, :, TRACKED.index(e)] - u / 100 * self.p_mass, low)
                         for e, low, u in self.rows], axis=2)

    def att_excess(self) -> np.ndarray:
        """(2, n, F, L) excess per kg family aluminium of the steel and non-metal parts."""
        return np.stack([_side(self.att_el[..., TRACKED.index(e)] - u / 100 * self.att_mass,
                               low) for e, low, u in self.rows], axis=-1)

    def capped_totals(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, F) λ-weighted family aluminium of the capped units in plan z."""
        cp = self.capped
        n = self.p_mass.shape[0]
        if not cp.lam_st.size:
            return np.zeros((n, len(FAMILIES))), np.zeros((n, len(FAMILIES)))
        per_block = np.zeros((cp.lam_st.shape[0], len(FAMILIES)))
        rows = cp.family.multiply(z[:, None]).tocsr()
        blk = cp.pos[self.unit_block]
        coo = rows.tocoo()
        np.add.at(per_block, (blk[coo.row], coo.col), coo.data)
        return cp.lam_st.T @ per_block, cp.lam_nm.T @ per_block

    def product(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Product mass (n,) and element mass (n, E+1) of plan z, per sample."""
        f = np.asarray(self.v.T @ z).ravel()
        mass = self.p_mass @ f
        el = np.einsum("i,nie->ne", f, self.p_el)
        t_st, t_nm = self.capped_totals(z)
        mass += (t_st * self.att_mass[0]).sum(axis=1) + (t_nm * self.att_mass[1]).sum(axis=1)
        el += np.einsum("nf,nfe->ne", t_st, self.att_el[0]) + np.einsum(
            "nf,nfe->ne", t_nm, self.att_el[1])
        return mass, el

    def met(self, z: np.ndarray) -> np.ndarray:
        """(n, L) limit row met per sample (a maximum: content ≤ it; a minimum: ≥ it)."""
        mass, el = self.product(z)
        tol = 1e-9 * (1 + mass)
        return np.stack([el[:, TRACKED.index(e)] >= u / 100 * mass - tol if low
                         else el[:, TRACKED.index(e)] <= u / 100 * mass + tol
                         for e, low, u in self.rows], axis=1)

    def met_per_element(self, met: np.ndarray) -> dict[str, np.ndarray]:
        """(n,) per limited element: its content within the window (min ≤ c ≤ max) per
        sample, from the rows met (:meth:`met`, (n, L))."""
        els = self.els
        return {e: np.asarray(met[:, [j for j, x in enumerate(els) if x == e]].all(axis=1))
                for e in dict.fromkeys(els)}


def _side(excess: np.ndarray, low: bool) -> np.ndarray:
    """Content − limit over a maximum; limit − content under a minimum."""
    return -excess if low else excess


def product_weights(sorter: Any, product: str) -> np.ndarray:
    """(O,) share of each output that ends in the product: the whole Al fraction, or one
    sorter bin (mean confusion matrix). :class:`~junkan.alloys.predict.Refused` (a
    ValueError) naming the product otherwise."""
    w = np.zeros(len(OUTPUTS))
    idx = [OUT[o] for o in AL_OUTPUTS]
    if sorter is None:
        if product != "al":
            raise Refused.of(coded("", "product-needs-sorter", "product {name} needs a sorter; "
                                   "without one the product is 'al' (the whole aluminium "
                                   "fraction)", name=short(product)))
        w[idx] = 1.0
        return w
    bins = ("wrought", "cast", "copper", "other")
    if product not in bins:
        raise Refused.of(coded("", "product-not-a-bin", "product must be one of {bins} with a "
                               "sorter (got {name}): the sorter's bin the buyer takes, e.g. "
                               "'product: cast' in the request", bins=str(bins),
                               name=short(product)))
    w[idx] = sorter.array()[:, bins.index(product)]
    return w


def output_prices(lib: Library, w: np.ndarray, buyer: Buyer, sorter: Any) -> np.ndarray:
    """(O,) JPY per kg of each output: the product at the buyer's 'met' price, the rest of
    the Al fraction at the 'not met' price (less the sorter's running cost), the others at
    their prices, residue at its cost."""
    price = np.zeros(len(OUTPUTS))
    price[OUT["fe"]] = lib.price("fe_scrap_JPY_per_kg")
    price[OUT["cu"]] = lib.price("copper_JPY_per_kg")
    price[OUT["heavy_nf"]] = lib.price("heavy_nonferrous_JPY_per_kg")
    price[OUT["residue"]] = -lib.price("residue_cost_JPY_per_kg")
    sort_cost = sorter.cost_JPY_per_kg if sorter is not None else 0.0
    for out in AL_OUTPUTS:
        price[OUT[out]] = (w[OUT[out]] * buyer.price_met_JPY_per_kg + (1 - w[OUT[out]])
                         * buyer.price_not_met_JPY_per_kg - sort_cost)
    return price


def shredding_cost(lib: Library, grain_mm: float) -> float:
    """JPY per vehicle at ``grain_mm``: the reference cost × throughput(reference) /
    throughput(d) (the line's hourly cost taken as fixed; levers.yaml)."""
    p = lib.shredder
    beta = p["throughput"]["beta"]
    return lib.price("shredding_JPY_per_vehicle") * (p["reference_grain_mm"] / grain_mm) ** beta


def _input_routes(rt: Routing, comp: np.ndarray, key_family: np.ndarray, w: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Product kg (n, I) and element kg (n, I, E+1) per kg of each input (keys, lithium,
    materials)."""
    n, k, e1 = comp.shape
    pm_f = rt.share @ w  # (n, F)
    pm_key = pm_f[:, key_family]  # (n, K)
    p_mass = np.zeros((n, 2 * k + 4))
    p_el = np.zeros((n, 2 * k + 4, e1))
    p_mass[:, :k] = pm_key
    p_el[:, :k] = pm_key[:, :, None] * comp / 100
    p_el[:, k:2 * k, TRACKED.index("Li")] = pm_key
    pm_mat = rt.material @ w  # (4,)
    p_mass[:, 2 * k:] = pm_mat[None]
    p_el[:, 2 * k:] = (pm_mat[:, None] * rt.material_comp)[None]
    return p_mass, p_el


def attachment_routes(rt: Routing, w: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
    """Per kg of family-f aluminium: output kg moved (2, n, F, O) by the attached steel and
    non-metal, and the product kg (2, n, F) and element kg (2, n, F, E+1) they add."""
    n = rt.n
    nf = len(FAMILIES)
    moves = np.zeros((2, n, nf, len(OUTPUTS)))
    for f in range(nf):
        moves[0, :, f, CLASS_OUT[f]] += rt.steel[:, f]
        moves[0, :, f] += rt.steel[:, f, None] * rt.move_steel()[None]
        moves[1, :, f, CLASS_OUT[f]] += rt.stuck[:, f]
        moves[1, :, f, OUT["al_other"]] += rt.carry[:, f]
        moves[1, :, f, OUT["residue"]] -= rt.stuck[:, f] + rt.carry[:, f]
    mass = moves @ w  # (2, n, F)
    el = np.stack([mass[0][..., None] * rt.material_comp[0],
                   mass[1][..., None] * rt.material_comp[3]])
    return moves, mass, el


@dataclass
class UnitLayout:
    """Sparse layout of the units: V (U, I) without attachments, per-unit family kg (U, F),
    and unit metadata."""

    v: csr_matrix
    family: csr_matrix
    unit_block: np.ndarray
    part_comp: np.ndarray
    part_kg: np.ndarray
    forced_net: np.ndarray  # (B,) JPY per vehicle of the legally required removals


def layout(lib: Library, blocks: Blocks, allowed: np.ndarray, forced: np.ndarray
           ) -> UnitLayout:
    """Units of every block: ``allowed`` (C,) components that may be removed, ``forced`` (C,)
    components always removed (the law)."""
    idx = lib.index()
    k = idx.n_keys
    veh = blocks.vehicle
    lens = idx.ptr[veh + 1] - idx.ptr[veh]
    blk = np.repeat(np.arange(veh.size), lens)
    ent = np.repeat(idx.ptr[veh] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
    comp = idx.comp[ent]
    gone = forced[comp]
    part = allowed[comp] & ~gone
    n_b = veh.size
    part_row = n_b + np.cumsum(part) - 1
    row = np.where(part, part_row, blk)
    keep = ~gone
    r, c, x = row[keep], idx.key[ent][keep], idx.kg[ent][keep]
    li = idx.li[ent][keep]
    has_li = li > 0
    mats = idx.materials[veh]
    rows = np.concatenate([r, r[has_li], np.repeat(np.arange(n_b), 4)])
    cols = np.concatenate([c, k + c[has_li], np.tile(2 * k + np.arange(4), n_b)])
    vals = np.concatenate([x, li[has_li], mats.ravel()])
    n_u = n_b + int(part.sum())
    v = coo_matrix((vals, (rows, cols)), shape=(n_u, 2 * k + 4)).tocsr()
    fam = coo_matrix((x, (r, idx.key_family[c])), shape=(n_u, len(FAMILIES))).tocsr()
    unit_block = np.concatenate([np.arange(n_b), blk[part]])
    part_comp = np.concatenate([np.full(n_b, -1), comp[part]])
    part_kg = np.concatenate([np.zeros(n_b), idx.kg[ent][part]])
    net = idx.kg[ent] * idx.value_per_kg[comp] - idx.labour[comp]
    forced_net = np.bincount(blk, weights=np.where(gone, net, 0.0), minlength=n_b)
    return UnitLayout(v, fam, unit_block, part_comp, part_kg, forced_net)


def _unit_means(rt: Routing, key_family: np.ndarray, v: csr_matrix, cap_fam: csr_matrix,
                unit_block: np.ndarray, pos: np.ndarray, cp: Any, moves: np.ndarray,
                vec: np.ndarray) -> np.ndarray:
    """(U,) mean of Σ_o (kg to output o)·vec_o per vehicle-unit (vec: prices, or 1 on the
    outputs to count)."""
    k = key_family.size
    per_in = np.concatenate([(rt.share @ vec).mean(axis=0)[key_family], np.zeros(k),
                             rt.material @ vec, (moves.sum(axis=0) @ vec).mean(axis=0)])
    out = np.asarray(v @ per_in).ravel()
    if cp.vehicles.size:
        per_blk = (cp.steel @ (moves[0] @ vec) + cp.nm @ (moves[1] @ vec)) / rt.n  # (Bc, F)
        coo = cap_fam.tocoo()
        np.add.at(out, coo.row, coo.data * per_blk[pos[unit_block[coo.row]], coo.col])
    return out


def build_model(lib: Library, blocks: Blocks, rt: Routing, comp: np.ndarray, w: np.ndarray,
                buyer: Buyer, sorter: Any, allowed: np.ndarray, forced: np.ndarray
                ) -> PlanModel:
    """The plan model of ``blocks`` at the routing ``rt`` for product weights ``w``."""
    idx = lib.index()
    lay = layout(lib, blocks, allowed, forced)
    mats = idx.materials[blocks.vehicle]
    cp = caps(rt, idx.family_kg[blocks.vehicle], mats[:, 0], mats[:, 3])
    pos = np.full(blocks.vehicle.size, -1)
    pos[cp.vehicles] = np.arange(cp.vehicles.size)
    capped_unit = pos[lay.unit_block] >= 0
    fam = lay.family
    free_fam = csr_matrix(fam.multiply(~capped_unit[:, None]))
    cap_fam = csr_matrix(fam.multiply(capped_unit[:, None]))
    from scipy.sparse import hstack

    v = hstack([lay.v, free_fam], format="csr")
    p_mass, p_el = _input_routes(rt, comp, idx.key_family, w)
    moves, att_mass, att_el = attachment_routes(rt, w)
    # attachment inputs (uncapped vehicles): steel and non-metal together
    p_mass = np.concatenate([p_mass, att_mass.sum(axis=0)], axis=1)
    p_el = np.concatenate([p_el, att_el.sum(axis=0)], axis=1)
    price = output_prices(lib, w, buyer, sorter)
    value = _unit_means(rt, idx.key_family, v, cap_fam, lay.unit_block, pos, cp, moves, price)
    w_al = np.zeros(len(OUTPUTS))
    w_al[[OUT[o] for o in AL_OUTPUTS]] = 1.0
    al_mass = _unit_means(rt, idx.key_family, v, cap_fam, lay.unit_block, pos, cp, moves, w_al)
    is_base = lay.part_comp < 0
    net = lay.part_kg * idx.value_per_kg[lay.part_comp] - idx.labour[lay.part_comp]
    value -= np.where(is_base, 0.0, net)
    base_add = np.bincount(lay.unit_block[~is_base], weights=net[~is_base],
                           minlength=blocks.vehicle.size)
    value[:blocks.vehicle.size] += (base_add + lay.forced_net - shredding_cost(lib, rt.grain_mm)
                                    - blocks.extra_cost)
    return PlanModel(blocks=blocks, unit_block=lay.unit_block, part_comp=lay.part_comp,
                     part_kg=lay.part_kg, v=v,
                     capped=Capped(cap_fam, pos, cp.steel, cp.nm), p_mass=p_mass, p_el=p_el,
                     att_mass=att_mass, att_el=att_el,
                     limits={e: x for e, x in buyer.max.items() if e in TRACKED},
                     value=value, al_mass=al_mass, routing=rt,
                     # a minimum of 0 wt % always holds: no row
                     lower={e: x for e, x in buyer.min.items() if e in TRACKED and x > 0})
