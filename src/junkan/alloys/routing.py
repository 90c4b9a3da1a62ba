"""Where 1 kg of each input ends up at one grain size d, per Monte Carlo sample, and how much
steel and non-metal rides on the aluminium — capped by what each vehicle has.

Routing of 1 kg of aluminium of family f (wrought / cast / magnesium; sample s)::

    fines       φ_f(d)                              → residue
    liberated   (1 − φ_f)·ℓ_s(d)                    → light (Al) fraction, share m_l → heavy
    unliberated (1 − φ_f)·(1 − ℓ_s(d))              → magnet share t_m → Fe fraction;
                                                      rest → light fraction
The pieces reaching the Al fraction unliberated carry steel (σ_s kg per kg) and non-metal
stuck to them (ρ·σ_s), both into the piece's class; loose residue is carried along at
c(d) kg per kg of light metal into the 'other' class. That material is taken from the
vehicle's own steel (which the magnet would otherwise catch: r_Fe to Fe, the rest to residue)
and residue.

**Cap.** A vehicle cannot lend more steel or non-metal than it has. Per vehicle v and
sample s the demands D_st = Σ_f A_vf·σ_f and D_nm = Σ_f A_vf·(ρσ_f + c_f), with A_vf the
vehicle's aluminium of family f as delivered, are scaled by λ = min(1, S_v / D_st) and
min(1, R_v / D_nm) (S_v steel, R_v residue). λ is fixed by the whole vehicle, so removing a
part removes its share of the attached material (attachment comes from joints with the
vehicle's steel; removing a wheel does not bolt more steel to the engine), every route stays
linear in vehicle counts and removals, and no fraction's mass or element can go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from junkan.alloys.index import FAMILIES
from junkan.alloys.shredder import Shredder

OUTPUTS = ("fe", "al_wrought", "al_cast", "al_copper", "al_other", "heavy_nf", "cu", "residue")
"""Where 1 kg of each input ends up; the four ``al_*`` outputs make up the Al fraction."""
AL_OUTPUTS = ("al_wrought", "al_cast", "al_copper", "al_other")
"""The outputs that make up the aluminium fraction, one per piece class."""
OUT = {k: i for i, k in enumerate(OUTPUTS)}
CLASS_OUT = np.array([OUT["al_wrought"], OUT["al_cast"], OUT["al_cast"]])
"""Output of each family's pieces (magnesium castings look like cast pieces)."""


@dataclass
class Routing:
    """Routes at one grain size: ``share`` (n, F, O) kg per kg of family-f aluminium; the
    uncapped attachment demands per kg of family-f aluminium that reaches the Al fraction
    unliberated — ``steel`` (n, F), ``stuck`` non-metal (n, F) — and the loose residue
    ``carry`` (n, F); ``material`` (4, O) routes of 1 kg of steel, copper, heavy non-ferrous
    and residue, and ``material_comp`` (4, E+1) their composition (mass fractions)."""

    grain_mm: float
    share: np.ndarray
    steel: np.ndarray
    stuck: np.ndarray
    carry: np.ndarray
    material: np.ndarray
    material_comp: np.ndarray
    fe_recovery: float
    throughput_t_per_h: float

    @property
    def n(self) -> int:
        return int(self.share.shape[0])

    def move_steel(self) -> np.ndarray:
        """(O,) change of each output per kg of steel attached to aluminium pieces (before
        the piece's class is added)."""
        m = np.zeros(len(OUTPUTS))
        m[OUT["fe"]] -= self.fe_recovery
        m[OUT["residue"]] -= 1 - self.fe_recovery
        return m

    def nm_demand(self) -> np.ndarray:
        """(n, F) non-metal taken from the vehicle's residue per kg of family-f aluminium."""
        return self.stuck + self.carry


def route(p: dict, d: float, d_lib: np.ndarray, attached: np.ndarray,
          material_comp: np.ndarray) -> Routing:
    """Routes at grain size ``d`` for the Monte Carlo draws ``d_lib`` (liberation-size
    multipliers) and ``attached`` (steel share of an unliberated piece)."""
    sh = Shredder(p)
    n = d_lib.shape[0]
    tm = p["attached_steel"]["to_magnet"]
    rho = p["attached_steel"]["residue"] / p["attached_steel"]["mean"]
    ml, mh, c_h = p["light_misplaced"], p["heavy_misplaced"], p["copper_in_heavy"]
    carry = sh.residue_carry(d)
    share = np.zeros((n, len(FAMILIES), len(OUTPUTS)))
    steel = np.zeros((n, len(FAMILIES)))
    stuck = np.zeros((n, len(FAMILIES)))
    carried = np.zeros((n, len(FAMILIES)))
    for f, fam in enumerate(FAMILIES):
        fines = sh.fines(d, fam == "wrought")
        lib = sh.liberated(d, d_lib * sh.d_lib(fam))  # (n,)
        kept = 1 - fines
        light = kept * (lib + (1 - lib) * (1 - tm))
        share[:, f, CLASS_OUT[f]] = light * (1 - ml)
        share[:, f, OUT["fe"]] = kept * (1 - lib) * tm
        share[:, f, OUT["heavy_nf"]] = light * ml
        share[:, f, OUT["residue"]] = fines
        steel[:, f] = kept * (1 - lib) * (1 - tm) * (1 - ml) * attached
        stuck[:, f] = rho * steel[:, f]
        carried[:, f] = carry * light * (1 - ml)
    r_fe = sh.fe_recovery(d)
    mat = np.zeros((4, len(OUTPUTS)))
    mat[0, OUT["fe"]], mat[0, OUT["residue"]] = r_fe, 1 - r_fe
    fc = sh.fines(d, True)  # copper wire breaks like thin sheet
    mat[1, OUT["cu"]] = (1 - fc) * (1 - mh) * c_h
    mat[1, OUT["heavy_nf"]] = (1 - fc) * (1 - mh) * (1 - c_h)
    mat[1, OUT["al_copper"]] = (1 - fc) * mh
    mat[1, OUT["residue"]] = fc
    fh = sh.fines(d)
    mat[2, OUT["heavy_nf"]] = (1 - fh) * (1 - mh)
    mat[2, OUT["al_copper"]] = (1 - fh) * mh
    mat[2, OUT["residue"]] = fh
    mat[3, OUT["residue"]] = 1.0
    return Routing(grain_mm=d, share=share, steel=steel, stuck=stuck, carry=carried,
                   material=mat, material_comp=material_comp, fe_recovery=r_fe,
                   throughput_t_per_h=sh.throughput(d))


@dataclass
class Caps:
    """Attachment scale factors of the vehicles whose own steel or residue can run short in
    some sample: ``vehicles`` (Vc,) indices into the array the caps were computed for,
    ``steel`` and ``nm`` (Vc, n) λ values. Every other vehicle has λ = 1."""

    vehicles: np.ndarray
    steel: np.ndarray
    nm: np.ndarray


def caps(rt: Routing, family_kg: np.ndarray, steel_kg: np.ndarray,
         residue_kg: np.ndarray) -> Caps:
    """λ per vehicle and sample (see the module docstring). ``family_kg`` (V, F) is each
    vehicle's aluminium per family as delivered; only vehicles whose largest possible demand
    exceeds what they have get per-sample arrays."""
    nm = rt.nm_demand()
    bound_st = family_kg @ rt.steel.max(axis=0)
    bound_nm = family_kg @ nm.max(axis=0)
    short_ = np.nonzero((bound_st > steel_kg) | (bound_nm > residue_kg))[0]
    fk = family_kg[short_]
    d_st = fk @ rt.steel.T  # (Vc, n)
    d_nm = fk @ nm.T
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_st = np.where(d_st > steel_kg[short_, None],
                          steel_kg[short_, None] / np.maximum(d_st, 1e-300), 1.0)
        lam_nm = np.where(d_nm > residue_kg[short_, None],
                          residue_kg[short_, None] / np.maximum(d_nm, 1e-300), 1.0)
    return Caps(vehicles=short_, steel=lam_st, nm=lam_nm)


def attached_totals(rt: Routing, cp: Caps, remaining: np.ndarray) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """(n, F) family aluminium weighted by λ_steel and by λ_nm: Σ_v λ_v(s)·Ã_vf, with
    ``remaining`` (V, F) the aluminium per family that goes in (count-weighted, after
    removals) of the vehicles ``cp`` was computed for."""
    free = np.ones(remaining.shape[0], dtype=bool)
    free[cp.vehicles] = False
    base = remaining[free].sum(axis=0)  # (F,)
    t_st = np.broadcast_to(base, (rt.n, base.size)).copy()
    t_nm = t_st.copy()
    if cp.vehicles.size:
        part = remaining[cp.vehicles]  # (Vc, F)
        t_st += cp.steel.T @ part
        t_nm += cp.nm.T @ part
    return t_st, t_nm


def attachment_outputs(rt: Routing, t_st: np.ndarray, t_nm: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Mass (n, O) and element mass (n, O, E+1) the attached material moves between
    outputs, for the λ-weighted family aluminium ``t_st``, ``t_nm`` (n, F)."""
    n = rt.n
    steel_c, res_c = rt.material_comp[0], rt.material_comp[3]
    st = t_st * rt.steel  # (n, F) kg steel
    stuck = t_nm * rt.stuck
    carry = t_nm * rt.carry
    mass_st = np.zeros((n, len(OUTPUTS)))
    mass_nm = np.zeros((n, len(OUTPUTS)))
    for f in range(len(FAMILIES)):
        mass_st[:, CLASS_OUT[f]] += st[:, f]
        mass_nm[:, CLASS_OUT[f]] += stuck[:, f]
    total_st = st.sum(axis=1)
    mass_st += total_st[:, None] * rt.move_steel()[None]
    mass_nm[:, OUT["al_other"]] += carry.sum(axis=1)
    mass_nm[:, OUT["residue"]] -= (stuck + carry).sum(axis=1)
    el = mass_st[:, :, None] * steel_c[None, None] + mass_nm[:, :, None] * res_c[None, None]
    return mass_st + mass_nm, el
