"""The vehicle library as arrays, built once per :class:`~junkan.alloys.data.Library`
(``lib.index()``): part keys with their alloy windows and family, and every vehicle's parts as
flat arrays (CSR by vehicle). Feeds, predictions and plans index these arrays instead of
walking the library, so their cost grows with the feed, not with the library squared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from junkan.core.errors import short

if TYPE_CHECKING:
    from junkan.alloys.data import Library

FAMILIES = ("wrought", "cast", "magnesium")
"""Alloy families; each routes differently through the shredder (liberation, fines)."""
MATERIALS = ("steel", "copper", "heavy_nonferrous", "residue")
"""The non-aluminium materials of a vehicle, in this order in every array."""


@dataclass(frozen=True)
class LibraryIndex:
    """Arrays of one library. ``ptr[v]:ptr[v+1]`` are vehicle v's entries (one per aluminium
    component) in ``comp``, ``key``, ``kg`` and ``li`` (lithium kg)."""

    keys: tuple[str, ...]
    key_index: dict[str, int]
    key_family: np.ndarray  # (K,) index into FAMILIES
    lo: np.ndarray  # (K, E) wt %
    hi: np.ndarray  # (K, E) wt %
    vehicles: tuple[str, ...]
    vehicle_index: dict[str, int]
    components: tuple[str, ...]
    component_index: dict[str, int]
    ptr: np.ndarray  # (V+1,)
    comp: np.ndarray  # (N,)
    key: np.ndarray  # (N,)
    kg: np.ndarray  # (N,)
    li: np.ndarray  # (N,)
    materials: np.ndarray  # (V, 4) kg, order MATERIALS
    family_kg: np.ndarray  # (V, F) aluminium kg per family of the whole vehicle
    removable: np.ndarray  # (C,) bool: a dismantling option exists
    legal: np.ndarray  # (C,) bool: the law requires the removal
    value_per_kg: np.ndarray  # (C,) JPY per kg of the removed part's aluminium
    labour: np.ndarray  # (C,) JPY per removal
    curb_kg: np.ndarray  # (V,)

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    def entries(self, v: int) -> slice:
        return slice(int(self.ptr[v]), int(self.ptr[v + 1]))

    def vehicle_of_entries(self) -> np.ndarray:
        """(N,) vehicle index of every entry."""
        return np.repeat(np.arange(len(self.vehicles)), np.diff(self.ptr))


def _entries(lib: Library, vehicles: tuple[str, ...], comp_index: dict[str, int],
             alloy_index: dict[str, int]) -> tuple[np.ndarray, ...]:
    """(counts per vehicle, component, alloy, kg, lithium ppm) of every part, flat."""
    parts = [lib.vehicles[v].aluminium for v in vehicles]
    counts = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    names = [c for p in parts for c in p]
    values = [x for p in parts for x in p.values()]
    try:
        comp = np.fromiter((comp_index[c] for c in names), dtype=np.int64, count=len(names))
        alloy = np.fromiter((alloy_index[x["alloy"]] for x in values), dtype=np.int64,
                            count=len(values))
    except KeyError:
        veh = np.repeat(np.arange(len(vehicles)), counts)
        for i, (c, x) in enumerate(zip(names, values, strict=True)):
            if c not in comp_index or x["alloy"] not in alloy_index:
                raise ValueError(f"vehicles.{short(vehicles[veh[i]])}.aluminium.{short(c)}: "
                                 f"unknown component or alloy {short(x['alloy'])}") from None
        raise
    kg = np.fromiter((x["kg"] for x in values), dtype=float, count=len(values))
    ppm = np.fromiter((x.get("lithium_ppm_of_part", 0.0) for x in values), dtype=float,
                      count=len(values))
    return counts, comp, alloy, kg, ppm


def build_index(lib: Library) -> LibraryIndex:
    """One pass over the library (about 0.2 s for 10,000 vehicles × 40 parts)."""
    from junkan.alloys.data import ELEMENTS

    components = tuple(lib.components)
    comp_index = {c: i for i, c in enumerate(components)}
    alloys = tuple(lib.alloys)
    alloy_index = {a: i for i, a in enumerate(alloys)}
    vehicles = tuple(lib.vehicles)
    counts, comp, alloy, kg, ppm = _entries(lib, vehicles, comp_index, alloy_index)
    # part keys 'component:alloy', sorted by name (stable names for learnt estimates)
    code = comp * len(alloys) + alloy
    uniq, inverse = np.unique(code, return_inverse=True)
    names = [f"{components[u // len(alloys)]}:{alloys[u % len(alloys)]}" for u in uniq]
    order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
    keys = tuple(names[i] for i in order)
    renum = np.empty(len(keys), dtype=np.int64)
    renum[order] = np.arange(len(keys))
    key = renum[inverse.ravel()]
    key_alloy = [alloys[uniq[i] % len(alloys)] for i in order]
    key_family = np.array([FAMILIES.index(lib.alloys[a].family) for a in key_alloy],
                          dtype=np.int64)
    windows = {a: [s.window(e) for e in ELEMENTS] for a, s in lib.alloys.items()}
    lo = np.array([[w[0] for w in windows[a]] for a in key_alloy]).reshape(
        len(keys), len(ELEMENTS))
    hi = np.array([[w[1] for w in windows[a]] for a in key_alloy]).reshape(
        len(keys), len(ELEMENTS))
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    veh_of = np.repeat(np.arange(len(vehicles)), counts)
    family_kg = np.zeros((len(vehicles), len(FAMILIES)))
    np.add.at(family_kg, (veh_of, key_family[key]), kg)
    mats = np.zeros((len(vehicles), len(MATERIALS)))
    for i, v in enumerate(vehicles):
        for m, x in lib.vehicles[v].materials.items():
            mats[i, MATERIALS.index(m)] = x
    dis = lib.dismantling
    return LibraryIndex(
        keys=keys, key_index={k: i for i, k in enumerate(keys)}, key_family=key_family,
        lo=lo, hi=hi, vehicles=vehicles, vehicle_index={v: i for i, v in enumerate(vehicles)},
        components=components, component_index=comp_index, ptr=ptr, comp=comp, key=key,
        kg=kg, li=kg * ppm / 1e6, materials=mats, family_kg=family_kg,
        removable=np.array([c in dis for c in components], dtype=bool),
        legal=np.array([c in dis and dis[c].legal is not None for c in components], dtype=bool),
        value_per_kg=np.array([dis[c].value_JPY_per_kg if c in dis else 0.0
                               for c in components]),
        labour=np.array([lib.removal_cost(c) if c in dis else 0.0 for c in components]),
        curb_kg=np.array([lib.vehicles[v].curb_kg for v in vehicles], dtype=float))
