"""Predict the recovered fractions of a shredder batch — Fe, heavy non-ferrous, aluminium
(by piece class: wrought, cast, copper-like, other), Cu and residue — with mass and
composition, by Monte Carlo over alloy compositions (uniform within each alloy's standard
window: an assumption, real alloys sit inside their windows), liberation and attached-iron
variability.

Routing of 1 kg of aluminium alloy *a* at grain size d (sample s)::

    fines       f_a(d)                           → residue
    liberated   (1 − f_a)·ℓ_s(d)                 → Al fraction (light), share m_l → heavy
    unliberated (1 − f_a)·(1 − ℓ_s(d))           → magnet share t_m → Fe fraction;
                                                   rest → Al fraction with att_s kg steel/kg
Steel: r_Fe(d) → Fe, rest → residue. Copper and heavies: fines → residue, share m_h → Al
fraction, copper: c_h → Cu fraction, rest → heavy NF. Residue: c(d) kg per kg of light metal →
Al fraction. Every route is linear in the feed masses, so :mod:`junkan.alloys.plan` can
optimise over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from junkan.alloys.data import ELEMENTS, Library, load_library
from junkan.alloys.shredder import Shredder

TRACKED = (*ELEMENTS, "Al")
FRACTIONS = ("fe", "al", "heavy_nf", "cu", "residue")
AL_CLASSES = ("wrought", "cast", "copper", "other")
"""Piece classes inside the aluminium fraction (the sorter's classes). Magnesium castings
count as 'cast' (an image cannot tell them apart), misplaced heavies as 'copper', attached
residue as 'other'."""


class FeedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vehicle: str
    count: float = Field(ge=0)
    remove: list[str] = Field(default_factory=list)
    """Components removed from these vehicles before shredding."""


class FeedPlan(BaseModel):
    """What goes into the shredder: vehicles by count, parts removed, grain size."""

    model_config = ConfigDict(extra="forbid")
    vehicles: list[FeedLine] = Field(min_length=1)
    remove: list[str] = Field(default_factory=list)
    """Components removed from every vehicle (in addition to per-line removals)."""
    grain_mm: float = Field(default=65.0, gt=5, le=300)

    @field_validator("vehicles")
    @classmethod
    def _some(cls, v: list[FeedLine]) -> list[FeedLine]:
        if sum(line.count for line in v) <= 0:
            raise ValueError("the feed has no vehicles: give at least one positive count")
        return v


class FeedError(ValueError):
    """A feed plan that refers to unknown vehicles or components (names the line)."""


@dataclass
class Feed:
    """Masses entering the shredder (kg): per alloy, per other material, lithium per alloy."""

    alloy_kg: np.ndarray  # (A,)
    lithium_kg: np.ndarray  # (A,)
    other_kg: dict[str, float]
    removed: dict[str, float] = field(default_factory=dict)  # component → Al kg removed
    vehicles: float = 0.0


def vehicle_vectors(lib: Library, vehicle_id: str,
                    removed: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray,
                                                            dict[str, float]]:
    """(alloy kg (A,), lithium kg (A,), other materials) of one vehicle after removals."""
    alloys = list(lib.alloys)
    v = lib.vehicles[vehicle_id]
    al = np.zeros(len(alloys))
    li = np.zeros(len(alloys))
    for comp, part in v.aluminium.items():
        if comp in removed:
            continue
        j = alloys.index(part.alloy)
        al[j] += part.kg
        li[j] += part.kg * part.lithium_ppm_of_part / 1e6
    return al, li, {k: float(x) for k, x in v.materials.items()}


def build_feed(plan: FeedPlan, lib: Library) -> Feed:
    errors = []
    for i, line in enumerate(plan.vehicles):
        if line.vehicle not in lib.vehicles:
            errors.append(f"vehicles[{i}].vehicle: unknown vehicle {line.vehicle!r}; known: "
                          f"{sorted(lib.vehicles)}")
        for comp in line.remove:
            if comp not in lib.components:
                errors.append(f"vehicles[{i}].remove: unknown component {comp!r}")
    for comp in plan.remove:
        if comp not in lib.components:
            errors.append(f"remove: unknown component {comp!r}; known: {sorted(lib.components)}")
    if errors:
        raise FeedError("; ".join(errors))
    n_a = len(lib.alloys)
    feed = Feed(np.zeros(n_a), np.zeros(n_a), {"steel": 0.0, "copper": 0.0,
                                                "heavy_nonferrous": 0.0, "residue": 0.0})
    for line in plan.vehicles:
        removed = tuple(set(plan.remove) | set(line.remove))
        al, li, other = vehicle_vectors(lib, line.vehicle, removed)
        feed.alloy_kg += line.count * al
        feed.lithium_kg += line.count * li
        for k, x in other.items():
            feed.other_kg[k] += line.count * x
        for comp, part in lib.vehicles[line.vehicle].aluminium.items():
            if comp in removed:
                feed.removed[comp] = feed.removed.get(comp, 0.0) + line.count * part.kg
        feed.vehicles += line.count
    return feed


def sample_compositions(lib: Library, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, A, E+1) wt % of each alloy: elements uniform in their standard window, Al the
    balance (ASSUMPTION: uniform within the window)."""
    _, lo, hi = lib.alloy_windows()
    c = lo[None] + rng.random((n, *lo.shape)) * (hi - lo)[None]
    al = np.clip(100.0 - c.sum(axis=2, keepdims=True), 0.0, 100.0)
    return np.concatenate([c, al], axis=2)


def material_composition(lib: Library, material: str) -> np.ndarray:
    """(E+1,) wt % of a non-aluminium material class."""
    comp = lib.shredder["materials"][material]
    return np.array([float(comp.get(e, 0.0)) for e in TRACKED])


@dataclass
class Routing:
    """Per-sample routing coefficients (kg out per kg in) at one grain size."""

    al_to_al: np.ndarray  # (n, A) alloy → Al fraction
    al_to_fe: np.ndarray  # (n, A)
    al_to_heavy: np.ndarray  # (n, A)
    al_to_residue: np.ndarray  # (A,)
    steel_attached: np.ndarray  # (n, A) kg steel into the Al fraction per kg alloy
    steel_to_fe: float
    cu_to_cu: float
    cu_to_heavy: float
    cu_to_al: float
    cu_to_residue: float
    hv_to_heavy: float
    hv_to_al: float
    hv_to_residue: float
    residue_carry: float  # kg residue into Al fraction per kg light metal in it
    throughput_t_per_h: float
    fe_recovery: float


def routing(lib: Library, d: float, d_lib: np.ndarray, attached: np.ndarray) -> Routing:
    sh = Shredder(lib.shredder)
    p = lib.shredder
    wrought = np.array([lib.alloys[a].family == "wrought" for a in lib.alloys])
    fines = np.array([sh.fines(d, bool(w)) for w in wrought])
    d_fam = np.array([sh.d_lib(lib.alloys[a].family) for a in lib.alloys])
    lib_share = sh.liberated(d, d_lib[:, None] * d_fam[None, :])  # (n, A)
    tm = p["attached_steel"]["to_magnet"]
    ml, mh = p["light_misplaced"], p["heavy_misplaced"]
    kept = (1 - fines)[None, :]
    light = kept * (lib_share + (1 - lib_share) * (1 - tm))
    unlib_light = kept * (1 - lib_share) * (1 - tm)
    f_cu = sh.fines(d, wrought=True)
    f_hv = sh.fines(d)
    c_h = p["copper_in_heavy"]
    return Routing(
        al_to_al=light * (1 - ml), al_to_fe=kept * (1 - lib_share) * tm,
        al_to_heavy=light * ml, al_to_residue=fines,
        steel_attached=unlib_light * (1 - ml) * attached[:, None],
        steel_to_fe=sh.fe_recovery(d),
        cu_to_cu=(1 - f_cu) * (1 - mh) * c_h, cu_to_heavy=(1 - f_cu) * (1 - mh) * (1 - c_h),
        cu_to_al=(1 - f_cu) * mh, cu_to_residue=f_cu,
        hv_to_heavy=(1 - f_hv) * (1 - mh), hv_to_al=(1 - f_hv) * mh, hv_to_residue=f_hv,
        residue_carry=sh.residue_carry(d), throughput_t_per_h=sh.throughput(d),
        fe_recovery=sh.fe_recovery(d))


@dataclass
class Prediction:
    """Monte Carlo result: masses (n, fractions), element masses (n, fractions, E+1) kg, and
    the aluminium fraction by piece class (n, classes) / (n, classes, E+1)."""

    mass: np.ndarray
    elements: np.ndarray
    al_class_mass: np.ndarray
    al_class_elements: np.ndarray
    feed: Feed
    grain_mm: float
    throughput_t_per_h: float
    fe_recovery: float
    al_in_kg: float

    def composition(self, fraction: str) -> np.ndarray:
        """(n, E+1) wt % of a fraction."""
        i = FRACTIONS.index(fraction)
        return 100 * self.elements[:, i] / np.maximum(self.mass[:, i, None], 1e-12)

    def summary(self) -> dict[str, Any]:
        """Mean, sd, 5th and 95th percentile of every fraction's mass and composition."""
        out: dict[str, Any] = {"grain_mm": self.grain_mm, "vehicles": self.feed.vehicles,
                               "samples": int(self.mass.shape[0]),
                               "throughput_t_per_h": self.throughput_t_per_h,
                               "fe_recovery": self.fe_recovery, "fractions": {}}
        for i, fr in enumerate(FRACTIONS):
            comp = self.composition(fr)
            out["fractions"][fr] = {
                "mass_kg": _stats(self.mass[:, i]),
                "composition_wt_pct": {e: _stats(comp[:, j]) for j, e in enumerate(TRACKED)}}
        al_idx = FRACTIONS.index("al")
        al_metal = self.elements[:, al_idx, -1]
        cls = self.al_class_mass
        out["al_fraction"] = {
            "al_share": _stats(al_metal / np.maximum(self.mass[:, al_idx], 1e-12)),
            "al_recovery": _stats(al_metal / max(self.al_in_kg, 1e-12)),
            "wrought_share": _stats(cls[:, 0] / np.maximum(cls[:, :2].sum(axis=1), 1e-12)),
            "class_mass_kg": {c: _stats(cls[:, k]) for k, c in enumerate(AL_CLASSES)}}
        out["removed_al_kg"] = self.feed.removed
        return out


def _stats(x: np.ndarray) -> dict[str, float]:
    q5, q50, q95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "sd": float(x.std()), "p5": float(q5),
            "p50": float(q50), "p95": float(q95)}


def predict(plan: FeedPlan, lib: Library | None = None, n: int = 1000, seed: int = 0,
            compositions: np.ndarray | None = None) -> Prediction:
    """Monte Carlo prediction of the recovered fractions (``n`` samples).

    ``compositions`` (n, A, E+1) overrides the sampled alloy compositions (e.g. posterior
    samples from :mod:`junkan.alloys.feedback`)."""
    lib = lib or load_library()
    feed = build_feed(plan, lib)
    rng = np.random.default_rng(seed)
    comp = sample_compositions(lib, n, rng) if compositions is None else compositions
    d_lib, attached = Shredder(lib.shredder).samples(comp.shape[0], rng)
    r = routing(lib, plan.grain_mm, d_lib, attached)
    fam = [lib.alloys[a].family for a in lib.alloys]
    a_kg, li_kg = feed.alloy_kg, feed.lithium_kg
    li_j = TRACKED.index("Li")
    # element kg per kg of each alloy in this feed (lithium from battery parts added)
    per_kg = comp / 100.0
    li_share = np.divide(li_kg, a_kg, out=np.zeros_like(a_kg), where=a_kg > 0)
    per_kg = per_kg.copy()
    per_kg[:, :, li_j] += li_share[None, :]
    steel = material_composition(lib, "steel") / 100
    copper = material_composition(lib, "copper") / 100
    heavy = material_composition(lib, "heavy_nonferrous") / 100
    residue = material_composition(lib, "residue") / 100
    o = feed.other_kg
    n_s, e_n = comp.shape[0], len(TRACKED)
    mass = np.zeros((n_s, len(FRACTIONS)))
    elem = np.zeros((n_s, len(FRACTIONS), e_n))
    # aluminium fraction by piece class
    cls_mass = np.zeros((n_s, len(AL_CLASSES)))
    cls_el = np.zeros((n_s, len(AL_CLASSES), e_n))
    for k, kind in enumerate(("wrought", "cast")):
        sel = np.array([f == kind or (kind == "cast" and f == "magnesium") for f in fam])
        m_al = r.al_to_al[:, sel] * a_kg[sel]  # (n, A_sel)
        cls_mass[:, k] = m_al.sum(axis=1)
        cls_el[:, k] = np.einsum("na,nae->ne", m_al, per_kg[:, sel])
        st = (r.steel_attached[:, sel] * a_kg[sel]).sum(axis=1)
        cls_mass[:, k] += st
        cls_el[:, k] += st[:, None] * steel
    light_metal = cls_mass[:, :2].sum(axis=1)
    cls_mass[:, 2] = r.cu_to_al * o["copper"] + r.hv_to_al * o["heavy_nonferrous"]
    cls_el[:, 2] = r.cu_to_al * o["copper"] * copper + r.hv_to_al * o["heavy_nonferrous"] * heavy
    carry = np.minimum(r.residue_carry * light_metal, o["residue"])
    cls_mass[:, 3] = carry
    cls_el[:, 3] = carry[:, None] * residue
    ife, ia, ihv, icu, ires = (FRACTIONS.index(f) for f in FRACTIONS)
    mass[:, ia] = cls_mass.sum(axis=1)
    elem[:, ia] = cls_el.sum(axis=1)
    # Fe fraction: recovered steel (less what rides on Al pieces) + unliberated Al pulled in
    attached_total = cls_mass[:, :2].sum(axis=1) - (r.al_to_al * a_kg).sum(axis=1)
    steel_free = o["steel"] - attached_total
    al_fe = r.al_to_fe * a_kg
    mass[:, ife] = r.steel_to_fe * steel_free + al_fe.sum(axis=1)
    elem[:, ife] = (r.steel_to_fe * steel_free)[:, None] * steel + np.einsum(
        "na,nae->ne", al_fe, per_kg)
    # heavy non-ferrous and copper
    al_hv = r.al_to_heavy * a_kg
    mass[:, ihv] = r.hv_to_heavy * o["heavy_nonferrous"] + r.cu_to_heavy * o["copper"] + \
        al_hv.sum(axis=1)
    elem[:, ihv] = (r.hv_to_heavy * o["heavy_nonferrous"] * heavy + r.cu_to_heavy *
                    o["copper"] * copper)[None] + np.einsum("na,nae->ne", al_hv, per_kg)
    mass[:, icu] = r.cu_to_cu * o["copper"]
    elem[:, icu] = (r.cu_to_cu * o["copper"] * copper)[None]
    # residue: everything else (mass balance closes by construction)
    al_res = r.al_to_residue * a_kg
    res_steel = (1 - r.steel_to_fe) * steel_free
    mass[:, ires] = (al_res.sum() + res_steel + r.cu_to_residue * o["copper"] +
                     r.hv_to_residue * o["heavy_nonferrous"] + (o["residue"] - carry))
    elem[:, ires] = (np.einsum("a,nae->ne", al_res, per_kg) + res_steel[:, None] * steel +
                     (r.cu_to_residue * o["copper"] * copper + r.hv_to_residue *
                      o["heavy_nonferrous"] * heavy)[None] + (o["residue"] - carry)[:, None] *
                     residue)
    return Prediction(mass=mass, elements=elem, al_class_mass=cls_mass,
                      al_class_elements=cls_el, feed=feed, grain_mm=plan.grain_mm,
                      throughput_t_per_h=r.throughput_t_per_h, fe_recovery=r.fe_recovery,
                      al_in_kg=float((a_kg * (comp[:, :, -1].mean(axis=0) / 100)).sum()))
