"""Reference data for ELV aluminium (``junkan/data/alloys/*.yaml``): alloy composition limits,
the vehicle library, dismantling options, buyers, prices and the shredder model. Every value
carries its source or is marked as an assumption in the files."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import read_document
from junkan.core.errors import short

ELEMENTS = ("Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Ni", "Ti", "Pb", "Sn", "Li")
"""Elements tracked (wt %); the balance is aluminium (magnesium for Mg-base alloys)."""


class AlloySpec(Strict):
    family: Literal["cast", "wrought", "magnesium"]
    standard: str
    limits: dict[str, float | tuple[float, float]]
    source: str
    note: str | None = None
    base: str = "Al"

    @model_validator(mode="after")
    def _check(self) -> AlloySpec:
        for el, v in self.limits.items():
            lo, hi = (0.0, v) if isinstance(v, float | int) else v
            if not 0 <= lo <= hi <= 100:
                raise ValueError(f"{el}: limits must satisfy 0 ≤ low ≤ high ≤ 100")
        return self

    def window(self, element: str) -> tuple[float, float]:
        """(low, high) wt % (0, 0 when the standard has no limit for it: not present)."""
        v = self.limits.get(element)
        if v is None:
            return (0.0, 0.0)
        return (0.0, float(v)) if isinstance(v, float | int) else (float(v[0]), float(v[1]))


class AlPart(Strict):
    alloy: str
    kg: float = Field(gt=0)
    lithium_ppm_of_part: float = Field(default=0.0, ge=0)


class Vehicle(Strict):
    id: str
    make: str
    model: str
    year: int
    powertrain: Literal["ICEV", "HEV", "PHEV", "BEV", "FCEV"]
    curb_kg: float = Field(gt=0)
    materials: dict[Literal["steel", "copper", "heavy_nonferrous", "residue"], float]
    aluminium: dict[str, AlPart]

    @property
    def al_kg(self) -> float:
        return sum(p.kg for p in self.aluminium.values())


class DismantlingOption(Strict):
    minutes: float = Field(ge=0)
    value_JPY_per_kg: float = Field(ge=0)
    note: str = ""


class Buyer(Strict):
    name: str
    max: dict[str, float]
    min: dict[str, float] = Field(default_factory=dict)
    price_met_JPY_per_kg: float
    price_not_met_JPY_per_kg: float
    source: str


class Price(Strict):
    value: float
    source: str


class Library(Strict):
    """Everything the alloy tools read, validated."""

    alloys: dict[str, AlloySpec]
    components: dict[str, dict[str, str]]
    vehicles: dict[str, Vehicle]
    labour_JPY_per_hour: float
    dismantling: dict[str, DismantlingOption]
    buyers: dict[str, Buyer]
    prices: dict[str, Price]
    shredder: dict[str, Any]

    def price(self, key: str) -> float:
        return self.prices[key].value

    def removal_cost(self, component: str) -> float:
        """Labour cost (JPY) of removing one component before shredding."""
        return self.dismantling[component].minutes / 60 * self.labour_JPY_per_hour

    def part_keys(self) -> list[str]:
        """'component:alloy' pairs found in the vehicle library: the units whose composition
        is sampled (and learnt by :mod:`junkan.alloys.feedback`) independently."""
        keys = {f"{c}:{p.alloy}" for v in self.vehicles.values() for c, p in v.aluminium.items()}
        return sorted(keys)

    def key_alloy(self, key: str) -> AlloySpec:
        return self.alloys[key.split(":", 1)[1]]

    def key_windows(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Part keys and (K, n_elements) low / high wt % of each key's alloy."""
        keys = self.part_keys()
        lo = np.array([[self.key_alloy(k).window(e)[0] for e in ELEMENTS] for k in keys])
        hi = np.array([[self.key_alloy(k).window(e)[1] for e in ELEMENTS] for k in keys])
        return keys, lo, hi

    def alloy_windows(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Alloy names and (n_alloys, n_elements) low / high wt % arrays."""
        names = list(self.alloys)
        lo = np.array([[self.alloys[a].window(e)[0] for e in ELEMENTS] for a in names])
        hi = np.array([[self.alloys[a].window(e)[1] for e in ELEMENTS] for a in names])
        return names, lo, hi


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("junkan.data") / "alloys" / name).read_text("utf-8")
    return dict(yaml.safe_load(text))


@lru_cache(maxsize=4)
def load_alloy_library(extra_vehicles: str | None = None) -> Library:
    """The shipped library, optionally with more vehicles from a YAML or JSON file (same
    format as ``vehicles.yaml``; ids must be new), read within the document limits."""
    specs = _read("alloy_specs.yaml")
    veh = _read("vehicles.yaml")
    vehicles = list(veh["vehicles"])
    if extra_vehicles:
        more = read_document(Path(extra_vehicles))
        vehicles += list(more.get("vehicles", []))
    dis = _read("dismantling.yaml")
    market = _read("market.yaml")
    lib = Library.model_validate({
        "alloys": specs["alloys"], "components": veh["components"],
        "vehicles": {v["id"]: v for v in vehicles},
        "labour_JPY_per_hour": dis["labour_JPY_per_hour"], "dismantling": dis["options"],
        "buyers": market["buyers"], "prices": market["prices"],
        "shredder": _read("shredder.yaml")})
    for v in lib.vehicles.values():
        for comp, part in v.aluminium.items():
            if part.alloy not in lib.alloys:
                raise ValueError(f"vehicle {v.id}: component {comp} uses unknown alloy "
                                 f"{short(part.alloy)}")
            if comp not in lib.components:
                raise ValueError(f"vehicle {v.id}: unknown component {short(comp)}")
    return lib


load_library = load_alloy_library
"""Former name of :func:`load_alloy_library` (kept for callers outside the package)."""
