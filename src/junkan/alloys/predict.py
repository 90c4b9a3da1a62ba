"""Predict the recovered fractions of a shredder batch — Fe, heavy non-ferrous, aluminium
(by piece class: wrought, cast, copper-like, other), Cu and residue — with mass and
composition, by Monte Carlo over alloy compositions (uniform within each alloy's standard
window: an assumption, real alloys sit inside their windows), liberation and attached-steel
variability. Routes: :mod:`junkan.alloys.routing` (with the cap that keeps attached material
within what each vehicle has).

Every route is linear in the feed (per family of alloy), so a prediction costs
O(samples × part keys × elements) whatever the number of feed lines, and
:mod:`junkan.alloys.plan` optimises over the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from pydantic import Field, field_validator

from junkan.alloys.data import ELEMENTS, Library, load_alloy_library
from junkan.alloys.index import FAMILIES, LibraryIndex
from junkan.alloys.routing import (
    AL_OUTPUTS,
    OUTPUTS,
    Routing,
    attached_totals,
    attachment_outputs,
    caps,
    route,
)
from junkan.alloys.shredder import Shredder
from junkan.core.base import Strict
from junkan.core.errors import Problem, coded, listed, refusal, short

TRACKED = (*ELEMENTS, "Al")
FRACTIONS = ("fe", "al", "heavy_nf", "cu", "residue")
AL_CLASSES = ("wrought", "cast", "copper", "other")
"""Piece classes inside the aluminium fraction (the sorter's classes). Magnesium castings
count as 'cast' (an image cannot tell them apart), misplaced heavies as 'copper', attached
residue as 'other'."""
__all__ = ["AL_CLASSES", "AL_OUTPUTS", "FRACTIONS", "OUTPUTS", "TRACKED", "Feed", "FeedError",
           "FeedLine", "FeedPlan", "Prediction", "build_feed", "draw", "predict"]


MAX_VEHICLES = 10_000_000
"""Most vehicles of one type a request may give (a feed line's count, a plan's stock,
purchasable count or capacity). ASSUMPTION: far above any yard's stock (Japan's end-of-life
vehicles are a few million a year); checked 2026-11 that a plan of 10,000,000 of one type is
solved (1,000,000,000 made the LP's rows too ill-scaled to plan: "nothing to plan")."""


def whole_count(value: float, field: str) -> float:
    """``value`` if it is a whole number of vehicles from 0 to :data:`MAX_VEHICLES`; else a
    coded refusal naming ``field``."""
    if not 0 <= value <= MAX_VEHICLES:
        raise refusal("vehicle-count-range", "{field} is {value}: a count of vehicles is from "
                      "0 to {limit}", field=field, value=f"{value:g}", limit=f"{MAX_VEHICLES:,}")
    if not float(value).is_integer():
        raise refusal("vehicle-count-not-whole", "{field} is {value}: vehicles are counted "
                      "whole", field=field, value=f"{value:g}")
    return value


class FeedLine(Strict):
    vehicle: str
    count: float
    """Vehicles, 0 to :data:`MAX_VEHICLES`: whole in a request (``PredictRequest``,
    ``UpdateRequest``); the experiments feed mixes in shares."""

    @field_validator("count")
    @classmethod
    def _count(cls, v: float) -> float:
        if not 0 <= v <= MAX_VEHICLES:
            whole_count(v, "count")
        return v
    remove: list[str] = Field(default_factory=list)
    """Components removed from these vehicles before shredding."""


class FeedPlan(Strict):
    """What goes into the shredder: vehicles by count, parts removed, grain size."""

    vehicles: list[FeedLine] = Field(min_length=1)
    remove: list[str] = Field(default_factory=list)
    """Components removed from every vehicle (in addition to per-line removals)."""
    grain_mm: float = Field(default=65.0, gt=5, le=300)

    @field_validator("vehicles")
    @classmethod
    def _some(cls, v: list[FeedLine]) -> list[FeedLine]:
        if sum(line.count for line in v) <= 0:
            raise refusal("feed-empty", "the feed has no vehicles: give at least one positive "
                          "count")
        return v


class Refused(ValueError):
    """An alloy request refused by domain rules: its message lists its coded problems
    (``problems``), which the service sends with their codes and figures for the page."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, *problems: Problem) -> Self:
        exc = cls("; ".join(p.render() for p in problems))
        exc.problems = problems
        return exc


class FeedError(Refused):
    """A feed plan that refers to unknown vehicles or components (names the line), or a
    request that names an unknown buyer or sorter."""


@dataclass
class Feed:
    """Masses entering the shredder (kg): per part key, lithium per part key, other
    materials; and per vehicle type used, its aluminium per family (count-weighted, after
    removals) for the attachment cap."""

    alloy_kg: np.ndarray  # (K,)
    lithium_kg: np.ndarray  # (K,)
    other_kg: dict[str, float]
    removed: dict[str, float] = field(default_factory=dict)  # component → Al kg removed
    vehicles: float = 0.0
    used: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (Vu,)
    remaining: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # (Vu, F)
    warnings: list[str] = field(default_factory=list)
    left_in: list[dict[str, Any]] = field(default_factory=list)
    """Each component the law requires removed but left in: ``component``, ``vehicles``,
    ``requirement``, ``law`` (a warning of ``warnings`` each, as data for a page to word)."""


def _check_feed(plan: FeedPlan, idx: LibraryIndex) -> None:
    errors: list[Problem] = []
    for i, line in enumerate(plan.vehicles):
        if line.vehicle not in idx.vehicle_index:
            errors.append(coded(f"vehicles[{i}].vehicle", "unknown-vehicle", "unknown vehicle "
                                "{name}; known: {known}", name=short(line.vehicle),
                                known=listed(sorted(idx.vehicle_index))))
        for comp in line.remove:
            if comp not in idx.component_index:
                errors.append(coded(f"vehicles[{i}].remove", "removal-unknown",
                                    "unknown component {name}", name=short(comp)))
        if len(errors) >= 10:
            break
    for comp in plan.remove:
        if comp not in idx.component_index:
            errors.append(coded("remove", "unknown-component", "unknown component {name}; "
                                "known: {known}", name=short(comp),
                                known=listed(idx.components)))
    if errors:
        raise FeedError.of(*errors)


def build_feed(plan: FeedPlan, lib: Library) -> Feed:
    """The feed's masses, vectorised over lines and parts (no walk over the library)."""
    idx = lib.index()
    _check_feed(plan, idx)
    veh = np.array([idx.vehicle_index[ln.vehicle] for ln in plan.vehicles], dtype=np.int64)
    count = np.array([ln.count for ln in plan.vehicles], dtype=float)
    lens = idx.ptr[veh + 1] - idx.ptr[veh]
    line_of = np.repeat(np.arange(len(veh)), lens)
    starts = np.repeat(idx.ptr[veh] - np.cumsum(lens) + lens, lens)
    ent = starts + np.arange(lens.sum())
    comp = idx.comp[ent]
    gone = np.zeros(len(idx.components), dtype=bool)
    gone[[idx.component_index[c] for c in plan.remove]] = True
    removed = gone[comp]
    codes = [i * len(idx.components) + idx.component_index[c]
             for i, ln in enumerate(plan.vehicles) for c in ln.remove]
    if codes:
        removed |= np.isin(line_of * len(idx.components) + comp, codes)
    w = count[line_of] * idx.kg[ent]
    keep = np.where(removed, 0.0, w)
    n_k = idx.n_keys
    fam = idx.key_family[idx.key[ent]]
    used, vpos = np.unique(veh, return_inverse=True)
    remaining = np.bincount(vpos[line_of] * len(FAMILIES) + fam, weights=keep,
                            minlength=len(used) * len(FAMILIES)).reshape(len(used), -1)
    mats = count @ idx.materials[veh]
    feed = Feed(alloy_kg=np.bincount(idx.key[ent], weights=keep, minlength=n_k),
                lithium_kg=np.bincount(idx.key[ent], weights=np.where(
                    removed, 0.0, count[line_of] * idx.li[ent]), minlength=n_k),
                other_kg={m: float(x) for m, x in zip(
                    ("steel", "copper", "heavy_nonferrous", "residue"), mats, strict=True)},
                vehicles=float(count.sum()), used=used, remaining=remaining)
    rem = np.bincount(comp, weights=np.where(removed, w, 0.0), minlength=len(idx.components))
    feed.removed = {idx.components[c]: float(rem[c]) for c in np.nonzero(rem)[0]}
    left_in = idx.legal[comp] & ~removed & (w > 0)
    for c in np.unique(comp[left_in]):
        n_veh = float(count[np.unique(line_of[left_in & (comp == c)])].sum())
        opt = lib.dismantling[idx.components[c]]
        assert opt.legal is not None
        feed.warnings.append(f"{idx.components[c]} left in {n_veh:g} vehicle(s): "
                             f"{opt.legal.requirement} ({opt.legal.law})")
        feed.left_in.append({"component": idx.components[c], "vehicles": n_veh,
                             "requirement": opt.legal.requirement, "law": opt.legal.law})
    return feed


def sample_compositions(lib: Library, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, K, E+1) wt % of each part key: elements uniform in its alloy's standard window
    (independently per key: parts come from different suppliers and lots), Al the balance
    (ASSUMPTION: uniform within the window)."""
    idx = lib.index()
    lo, hi = idx.lo, idx.hi
    c = lo[None] + rng.random((n, *lo.shape)) * (hi - lo)[None]
    al = np.clip(100.0 - c.sum(axis=2, keepdims=True), 0.0, 100.0)
    return np.concatenate([c, al], axis=2)


def material_compositions(lib: Library) -> np.ndarray:
    """(4, E+1) mass fractions of steel, copper, heavy non-ferrous and residue."""
    mats = lib.shredder["materials"]
    return np.array([[float(mats[m].get(e, 0.0)) / 100 for e in TRACKED]
                     for m in ("steel", "copper", "heavy_nonferrous", "residue")])


def draw(lib: Library, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monte Carlo draws: part-key compositions (n, K, E+1), liberation multipliers and
    attached-steel shares (n,)."""
    rng = np.random.default_rng(seed)
    comp = sample_compositions(lib, n, rng)
    d_lib, attached = Shredder(lib.shredder).samples(n, rng)
    return comp, d_lib, attached


def routing_for(lib: Library, grain_mm: float, n: int, seed: int,
                compositions: np.ndarray | None = None) -> tuple[np.ndarray, Routing]:
    """Compositions (n, K, E+1) and the routes at ``grain_mm`` for the same draws."""
    comp, d_lib, attached = draw(lib, n, seed)
    if compositions is not None:
        comp = compositions
        d_lib, attached = d_lib[:comp.shape[0]], attached[:comp.shape[0]]
    return comp, route(lib.shredder, grain_mm, d_lib, attached, material_compositions(lib))


def key_elements(comp: np.ndarray, kg: np.ndarray, li: np.ndarray, key_family: np.ndarray
                 ) -> np.ndarray:
    """(n, F, E+1) kg of each element per family for key masses ``kg`` and lithium ``li``
    (K,): lithium rides with its part's aluminium."""
    n = comp.shape[0]
    out = np.zeros((n, len(FAMILIES), comp.shape[2]))
    li_j = TRACKED.index("Li")
    for f in range(len(FAMILIES)):
        sel = key_family == f
        if sel.any():
            out[:, f] = np.einsum("k,nke->ne", kg[sel], comp[:, sel]) / 100
            out[:, f, li_j] += li[sel].sum()
    return out


def route_feed(lib: Library, feed: Feed, comp: np.ndarray, rt: Routing
               ) -> tuple[np.ndarray, np.ndarray]:
    """Mass (n, O) and element mass (n, O, E+1) of every output for ``feed``."""
    idx = lib.index()
    fam_kg = np.bincount(idx.key_family, weights=feed.alloy_kg, minlength=len(FAMILIES))
    el_f = key_elements(comp, feed.alloy_kg, feed.lithium_kg, idx.key_family)
    mass = np.einsum("f,nfo->no", fam_kg, rt.share)
    el = np.einsum("nfo,nfe->noe", rt.share, el_f)
    mats = np.array([feed.other_kg[m] for m in ("steel", "copper", "heavy_nonferrous",
                                                 "residue")])
    mass += (mats @ rt.material)[None]
    el += np.einsum("m,mo,me->oe", mats, rt.material, rt.material_comp)[None]
    mat = idx.materials[feed.used]
    cp = caps(rt, idx.family_kg[feed.used], mat[:, 0], mat[:, 3])
    t_st, t_nm = attached_totals(rt, cp, feed.remaining)
    d_mass, d_el = attachment_outputs(rt, t_st, t_nm)
    return mass + d_mass, el + d_el


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
        out["warnings"] = list(self.feed.warnings)
        out["left_in"] = list(self.feed.left_in)
        return out


def _stats(x: np.ndarray) -> dict[str, float]:
    q5, q50, q95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "sd": float(x.std()), "p5": float(q5),
            "p50": float(q50), "p95": float(q95)}


def predict(plan: FeedPlan, lib: Library | None = None, n: int = 1000, seed: int = 0,
            compositions: np.ndarray | None = None) -> Prediction:
    """Monte Carlo prediction of the recovered fractions (``n`` samples).

    ``compositions`` (n, K, E+1) overrides the sampled compositions (e.g. posterior
    samples from :mod:`junkan.alloys.feedback`)."""
    lib = lib or load_alloy_library()
    feed = build_feed(plan, lib)
    comp, rt = routing_for(lib, plan.grain_mm, n, seed, compositions)
    out_mass, out_el = route_feed(lib, feed, comp, rt)
    io = {k: i for i, k in enumerate(OUTPUTS)}
    al_cols = [io[c] for c in AL_OUTPUTS]
    picks = (io["fe"], al_cols, io["heavy_nf"], io["cu"], io["residue"])
    mass = np.stack([out_mass[:, p].sum(axis=1) if isinstance(p, list) else out_mass[:, p]
                     for p in picks], axis=1)
    elem = np.stack([out_el[:, p].sum(axis=1) if isinstance(p, list) else out_el[:, p]
                     for p in picks], axis=1)
    al_in = float((feed.alloy_kg * comp[:, :, -1].mean(axis=0) / 100).sum())
    return Prediction(mass=mass, elements=elem, al_class_mass=out_mass[:, al_cols],
                      al_class_elements=out_el[:, al_cols], feed=feed, grain_mm=plan.grain_mm,
                      throughput_t_per_h=rt.throughput_t_per_h, fe_recovery=rt.fe_recovery,
                      al_in_kg=al_in)
