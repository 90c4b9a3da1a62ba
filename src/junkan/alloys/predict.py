"""Predict the recovered fractions of a shredder batch — Fe, heavy non-ferrous, aluminium
(by piece class: wrought, cast, copper-like, other), Cu and residue — with mass and
composition, by Monte Carlo over alloy compositions (uniform within each alloy's standard
window: an assumption, real alloys sit inside their windows), liberation and attached-iron
variability.

Routing of 1 kg of a part key *a* (component:alloy) at grain size d (sample s)::

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

from junkan.alloys.data import ELEMENTS, Library, load_alloy_library
from junkan.alloys.shredder import Shredder
from junkan.core.errors import short

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

    alloy_kg: np.ndarray  # (K,) per part key 'component:alloy'
    lithium_kg: np.ndarray  # (K,)
    other_kg: dict[str, float]
    removed: dict[str, float] = field(default_factory=dict)  # component → Al kg removed
    vehicles: float = 0.0


def vehicle_vectors(lib: Library, vehicle_id: str,
                    removed: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray,
                                                            dict[str, float]]:
    """(kg per part key (K,), lithium kg (K,), other materials) of one vehicle after
    removals."""
    keys = lib.part_keys()
    v = lib.vehicles[vehicle_id]
    al = np.zeros(len(keys))
    li = np.zeros(len(keys))
    for comp, part in v.aluminium.items():
        if comp in removed:
            continue
        j = keys.index(f"{comp}:{part.alloy}")
        al[j] += part.kg
        li[j] += part.kg * part.lithium_ppm_of_part / 1e6
    return al, li, {k: float(x) for k, x in v.materials.items()}


def build_feed(plan: FeedPlan, lib: Library) -> Feed:
    errors = []
    for i, line in enumerate(plan.vehicles):
        if line.vehicle not in lib.vehicles:
            errors.append(f"vehicles[{i}].vehicle: unknown vehicle {short(line.vehicle)}; known: "
                          f"{sorted(lib.vehicles)}")
        for comp in line.remove:
            if comp not in lib.components:
                errors.append(f"vehicles[{i}].remove: unknown component {short(comp)}")
    for comp in plan.remove:
        if comp not in lib.components:
            errors.append(f"remove: unknown component {short(comp)}; known: "
                          f"{sorted(lib.components)}")
    if errors:
        raise FeedError("; ".join(errors))
    n_a = len(lib.part_keys())
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
    """(n, K, E+1) wt % of each part key: elements uniform in its alloy's standard window
    (independently per key: parts come from different suppliers and lots), Al the balance
    (ASSUMPTION: uniform within the window)."""
    _, lo, hi = lib.key_windows()
    c = lo[None] + rng.random((n, *lo.shape)) * (hi - lo)[None]
    al = np.clip(100.0 - c.sum(axis=2, keepdims=True), 0.0, 100.0)
    return np.concatenate([c, al], axis=2)


def material_composition(lib: Library, material: str) -> np.ndarray:
    """(E+1,) wt % of a non-aluminium material class."""
    comp = lib.shredder["materials"][material]
    return np.array([float(comp.get(e, 0.0)) for e in TRACKED])


AL_OUTPUTS = ("al_wrought", "al_cast", "al_copper", "al_other")
"""The outputs that make up the aluminium fraction, one per piece class (AL_CLASSES)."""
OUTPUTS = ("fe", *AL_OUTPUTS, "heavy_nf", "cu", "residue")
"""Where 1 kg of each input ends up; the four ``al_*`` outputs make up the Al fraction."""


@dataclass
class UnitArrays:
    """Linear shredder model at one grain size, per Monte Carlo sample: for every input
    (K part keys, K lithium carriers, then steel, copper, heavy_nonferrous, residue) the kg
    reaching each output per kg in (``mass`` (n, I, O)) and the kg of each tracked element
    (``elements`` (n, I, O, E+1)). A feed vector f (I,) gives outputs f·U."""

    inputs: list[str]
    mass: np.ndarray
    elements: np.ndarray
    throughput_t_per_h: float
    fe_recovery: float


def unit_arrays(lib: Library, d: float, comp: np.ndarray, d_lib: np.ndarray,
                attached: np.ndarray) -> UnitArrays:
    """Build the routing of 1 kg of every input (see the module docstring)."""
    sh = Shredder(lib.shredder)
    p = lib.shredder
    names = lib.part_keys()
    n_a = len(names)
    n = comp.shape[0]
    fam = [lib.key_alloy(k).family for k in names]
    o = {k: i for i, k in enumerate(OUTPUTS)}
    n_in = 2 * n_a + 4
    e_n = len(TRACKED)
    mass = np.zeros((n, n_in, len(OUTPUTS)))
    el = np.zeros((n, n_in, len(OUTPUTS), e_n))
    steel = material_composition(lib, "steel") / 100
    copper = material_composition(lib, "copper") / 100
    heavy = material_composition(lib, "heavy_nonferrous") / 100
    residue = material_composition(lib, "residue") / 100
    tm = p["attached_steel"]["to_magnet"]
    res_per_steel = p["attached_steel"]["residue"] / p["attached_steel"]["mean"]
    ml, mh, c_h = p["light_misplaced"], p["heavy_misplaced"], p["copper_in_heavy"]
    r_fe = sh.fe_recovery(d)
    carry = sh.residue_carry(d)
    li_j = TRACKED.index("Li")
    for a in range(n_a):
        cls = "al_wrought" if fam[a] == "wrought" else "al_cast"
        f = sh.fines(d, fam[a] == "wrought")
        lib_share = sh.liberated(d, d_lib * sh.d_lib(fam[a]))  # (n,)
        kept = 1 - f
        light = kept * (lib_share + (1 - lib_share) * (1 - tm))
        to_al = light * (1 - ml)
        att = kept * (1 - lib_share) * (1 - tm) * (1 - ml) * attached  # steel kg per kg
        att_res = att * res_per_steel
        ck = comp[:, a] / 100  # (n, E+1)
        routes = {cls: to_al, "fe": kept * (1 - lib_share) * tm, "heavy_nf": light * ml,
                  "residue": np.full(n, f)}
        for out, share in routes.items():
            mass[:, a, o[out]] += share
            el[:, a, o[out]] += share[:, None] * ck
            el[:, n_a + a, o[out], li_j] += share  # lithium rides with its part's aluminium
        # steel and non-metal riding on unliberated pieces, taken from the vehicle's own
        # steel (which the magnet would otherwise catch) and residue
        mass[:, a, o[cls]] += att + att_res
        el[:, a, o[cls]] += att[:, None] * steel + att_res[:, None] * residue
        mass[:, a, o["fe"]] -= r_fe * att
        el[:, a, o["fe"]] -= (r_fe * att)[:, None] * steel
        mass[:, a, o["residue"]] -= (1 - r_fe) * att + att_res
        el[:, a, o["residue"]] -= ((1 - r_fe) * att)[:, None] * steel + att_res[:, None] * \
            residue
        # loose residue carried into the light concentrate with this aluminium
        mass[:, a, o["al_other"]] += carry * to_al
        el[:, a, o["al_other"]] += (carry * to_al)[:, None] * residue
        mass[:, a, o["residue"]] -= carry * to_al
        el[:, a, o["residue"]] -= (carry * to_al)[:, None] * residue
    i_st, i_cu, i_hv, i_res = range(2 * n_a, 2 * n_a + 4)
    for i, comp_i, routes in (
            (i_st, steel, {"fe": r_fe, "residue": 1 - r_fe}),
            (i_cu, copper, _metal_routes(sh.fines(d, True), mh, c_h)),
            (i_hv, heavy, {"heavy_nf": (1 - sh.fines(d)) * (1 - mh),
                           "al_copper": (1 - sh.fines(d)) * mh, "residue": sh.fines(d)}),
            (i_res, residue, {"residue": 1.0})):
        for out, share in routes.items():
            mass[:, i, o[out]] += share
            el[:, i, o[out]] += share * comp_i
    return UnitArrays(inputs=[*names, *(f"Li:{a}" for a in names), "steel", "copper",
                              "heavy_nonferrous", "residue"], mass=mass, elements=el,
                      throughput_t_per_h=sh.throughput(d), fe_recovery=r_fe)


def _metal_routes(fines: float, misplaced: float, to_cu: float) -> dict[str, float]:
    kept = 1 - fines
    return {"cu": kept * (1 - misplaced) * to_cu, "heavy_nf": kept * (1 - misplaced) *
            (1 - to_cu), "al_copper": kept * misplaced, "residue": fines}


def feed_vector(feed: Feed) -> np.ndarray:
    """(I,) input kg in the order of :class:`UnitArrays` inputs."""
    o = feed.other_kg
    return np.concatenate([feed.alloy_kg, feed.lithium_kg,
                           [o["steel"], o["copper"], o["heavy_nonferrous"], o["residue"]]])


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
            "wrought_share": _stats(self.al_class_elements[:, 0, -1] / np.maximum(
                self.al_class_elements[:, :2, -1].sum(axis=1), 1e-12)),
            "class_mass_kg": {c: _stats(cls[:, k]) for k, c in enumerate(AL_CLASSES)}}
        out["removed_al_kg"] = self.feed.removed
        return out


def _stats(x: np.ndarray) -> dict[str, float]:
    q5, q50, q95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "sd": float(x.std()), "p5": float(q5),
            "p50": float(q50), "p95": float(q95)}


def draw(lib: Library, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monte Carlo draws: part-key compositions (n, K, E+1), liberation multipliers and
    attached-steel shares (n,)."""
    rng = np.random.default_rng(seed)
    comp = sample_compositions(lib, n, rng)
    d_lib, attached = Shredder(lib.shredder).samples(n, rng)
    return comp, d_lib, attached


def predict(plan: FeedPlan, lib: Library | None = None, n: int = 1000, seed: int = 0,
            compositions: np.ndarray | None = None) -> Prediction:
    """Monte Carlo prediction of the recovered fractions (``n`` samples).

    ``compositions`` (n, K, E+1) overrides the sampled compositions (e.g. posterior
    samples from :mod:`junkan.alloys.feedback`)."""
    lib = lib or load_alloy_library()
    feed = build_feed(plan, lib)
    comp, d_lib, attached = draw(lib, n, seed)
    if compositions is not None:
        comp = compositions
        d_lib, attached = d_lib[:comp.shape[0]], attached[:comp.shape[0]]
    u = unit_arrays(lib, plan.grain_mm, comp, d_lib, attached)
    f = feed_vector(feed)
    out_mass = np.einsum("i,nio->no", f, u.mass)
    out_el = np.einsum("i,nioe->noe", f, u.elements)
    io = {k: i for i, k in enumerate(OUTPUTS)}
    al_cols = [io[c] for c in AL_OUTPUTS]
    mass = np.stack([out_mass[:, io["fe"]], out_mass[:, al_cols].sum(axis=1),
                     out_mass[:, io["heavy_nf"]], out_mass[:, io["cu"]],
                     out_mass[:, io["residue"]]], axis=1)
    elem = np.stack([out_el[:, io["fe"]], out_el[:, al_cols].sum(axis=1),
                     out_el[:, io["heavy_nf"]], out_el[:, io["cu"]],
                     out_el[:, io["residue"]]], axis=1)
    al_in = float((feed.alloy_kg * comp[:, :, -1].mean(axis=0) / 100).sum())
    return Prediction(mass=mass, elements=elem, al_class_mass=out_mass[:, al_cols],
                      al_class_elements=out_el[:, al_cols], feed=feed, grain_mm=plan.grain_mm,
                      throughput_t_per_h=u.throughput_t_per_h, fe_recovery=u.fe_recovery,
                      al_in_kg=al_in)
