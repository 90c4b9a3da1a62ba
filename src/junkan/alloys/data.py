"""Reference data for ELV aluminium (``junkan/data/alloys/*.yaml``): alloy composition limits,
the vehicle library and its makers, dismantling options (with the removals the law requires),
buyers, prices, the shredder model and the levers a plan may pull. Every value carries its
source or is marked as an assumption in the files.

A library is read once; :meth:`Library.index` builds the arrays every computation uses
(:mod:`junkan.alloys.index`) once per library object."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired

import numpy as np
import yaml
from pydantic import (
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from junkan.core.base import Strict
from junkan.core.documents import problems_of, read_document
from junkan.core.errors import ModelError, Problem, coded, listed, refusal, short

if TYPE_CHECKING:
    from junkan.alloys.index import LibraryIndex

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


class AlPart(TypedDict):
    """One aluminium (or magnesium) component of a vehicle. A typed dict, not a model: a
    library of 10,000 vehicles has 400,000 of them, and validating dicts is 5× faster."""

    __pydantic_config__ = {"extra": "forbid", "allow_inf_nan": False}  # type: ignore[misc]
    alloy: str
    kg: Annotated[float, Field(gt=0)]
    lithium_ppm_of_part: NotRequired[Annotated[float, Field(ge=0)]]


class Maker(Strict):
    """An anonymised car maker as the source names it (〇〇社 …) and what the source says its
    cars do to the recovered aluminium."""

    label: str
    role: Literal["wrought", "cast", "magnesium_parts"] | None = None
    source: str


class Vehicle(Strict):
    id: str
    make: str
    maker: str | None = None
    """Key into the library's ``makers`` (the anonymised maker of the source)."""
    model: str
    year: int
    powertrain: Literal["ICEV", "HEV", "PHEV", "BEV", "FCEV"]
    curb_kg: float = Field(gt=0)
    materials: dict[Literal["steel", "copper", "heavy_nonferrous", "residue"],
                    Annotated[float, Field(ge=0)]]
    aluminium: dict[str, AlPart]

    @property
    def al_kg(self) -> float:
        return sum(p["kg"] for p in self.aluminium.values())


class LegalRule(Strict):
    """A removal the law requires before shredding (cited)."""

    law: str
    requirement: str
    source: str
    date: str


class DismantlingOption(Strict):
    minutes: float = Field(ge=0)
    value_JPY_per_kg: float = Field(ge=0)
    note: str = ""
    legal: LegalRule | None = None
    """Set when the law requires this removal: plans always remove it unless relaxed."""


MAX_PRICE_JPY_PER_KG = 1e6
"""Largest price a buyer may state, JPY/kg, either way (assumption: a typing-error guard,
about a thousand times secondary aluminium's price; 1e308 reached the solver as infinity)."""


class Buyer(Strict):
    name: str
    max: dict[str, float]
    min: dict[str, float] = Field(default_factory=dict)
    price_met_JPY_per_kg: float = Field(ge=-MAX_PRICE_JPY_PER_KG, le=MAX_PRICE_JPY_PER_KG)
    price_not_met_JPY_per_kg: float = Field(ge=-MAX_PRICE_JPY_PER_KG,
                                            le=MAX_PRICE_JPY_PER_KG)
    source: str

    @field_validator("max", "min")
    @classmethod
    def _tracked(cls, limits: dict[str, float]) -> dict[str, float]:
        """Limits only on the elements a prediction tracks and a lot gives (an element no
        sample carries would otherwise never be checked)."""
        bad = [e for e in limits if e not in (*ELEMENTS, "Al")]
        if bad:
            raise refusal("buyer-unknown-elements", "limits on unknown element(s) {names}; "
                          "use {known}", names=listed(bad), known=listed((*ELEMENTS, "Al")))
        out = [e for e, x in limits.items() if not 0.0 <= x <= 100.0]
        if out:
            raise refusal("buyer-limit-outside-0-100", "a limit is a content in wt %, from 0 "
                          "to 100: {names} outside", names=listed(out))
        return limits

    @model_validator(mode="after")
    def _window(self) -> Buyer:
        """A minimum above its maximum leaves no content that could meet both (the planner
        answered such a window as infeasible and loosened both, as if the stock were at
        fault)."""
        if not self.max and not any(self.min.values()):  # a minimum of 0 always holds
            raise refusal("buyer-no-limit", "the buyer states no maximum and no minimum above "
                          "0 wt %: a window without a limit is met by any feed; give one")
        crossed = [e for e, low in self.min.items() if e in self.max and low > self.max[e]]
        if crossed:
            raise refusal("buyer-min-above-max", "min above max for {names}: no content meets "
                          "both; {pairs}", names=listed(crossed),
                          pairs=", ".join(f"{e} min {self.min[e]:g} > max {self.max[e]:g} %"
                                          for e in crossed))
        return self


class Price(Strict):
    value: float
    source: str


class Sourced(Strict):
    value: float
    source: str


class Levers(Strict):
    """What an infeasible plan may change (``levers.yaml``): grain sizes the line runs,
    vehicles that can be bought in and their price. Sorter costs are in ``sorters.yaml``,
    removal labour in ``dismantling.yaml``."""

    grain_mm: list[Annotated[float, Field(gt=5, le=300)]]
    grain_source: str
    purchase_JPY_per_kg_curb: Sourced
    purchasable_per_type: Sourced


class Library(Strict):
    """Everything the alloy tools read, validated."""

    alloys: dict[str, AlloySpec]
    components: dict[str, dict[str, str]]
    vehicles: dict[str, Vehicle]
    makers: dict[str, Maker] = Field(default_factory=dict)
    labour_JPY_per_hour: float
    dismantling: dict[str, DismantlingOption]
    buyers: dict[str, Buyer]
    prices: dict[str, Price]
    shredder: dict[str, Any]
    levers: Levers | None = None
    _index: Any = PrivateAttr(default=None)

    def price(self, key: str) -> float:
        return self.prices[key].value

    def removal_cost(self, component: str) -> float:
        """Labour cost (JPY) of removing one component before shredding."""
        return self.dismantling[component].minutes / 60 * self.labour_JPY_per_hour

    def legal_removals(self) -> list[str]:
        """Components the law requires to be removed before shredding."""
        return [c for c, o in self.dismantling.items() if o.legal is not None]

    def index(self) -> LibraryIndex:
        """The library as arrays (built once per library object; a changed copy builds its
        own)."""
        from junkan.alloys.index import build_index

        stamp = (id(self), id(self.vehicles), len(self.vehicles), id(self.dismantling),
                 len(self.dismantling), id(self.alloys))
        if self._index is None or self._index[0] != stamp:
            self._index = (stamp, build_index(self))
        idx: LibraryIndex = self._index[1]
        return idx

    def part_keys(self) -> list[str]:
        """'component:alloy' pairs found in the vehicle library: the units whose composition
        is sampled (and learnt by :mod:`junkan.alloys.feedback`) independently."""
        return list(self.index().keys)

    def key_alloy(self, key: str) -> AlloySpec:
        return self.alloys[key.split(":", 1)[1]]

    def key_windows(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Part keys and (K, n_elements) low / high wt % of each key's alloy."""
        idx = self.index()
        return list(idx.keys), idx.lo, idx.hi

    def alloy_windows(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Alloy names and (n_alloys, n_elements) low / high wt % arrays."""
        names = list(self.alloys)
        lo = np.array([[self.alloys[a].window(e)[0] for e in ELEMENTS] for a in names])
        hi = np.array([[self.alloys[a].window(e)[1] for e in ELEMENTS] for a in names])
        return names, lo, hi


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("junkan.data") / "alloys" / name).read_text("utf-8")
    return dict(yaml.safe_load(text))


_VEHICLES = TypeAdapter(list[Vehicle])


def _extra_vehicles(path: Path, known: set[str]) -> list[Vehicle]:
    """Vehicles of a user file (``vehicles:`` list); errors name the file, the entry and the
    rule."""
    doc = read_document(path)
    if not isinstance(doc.get("vehicles"), list):
        raise ModelError([coded("vehicles", "vehicles-list-needed", "give a list of vehicles "
                                "(the format of vehicles.yaml)")], str(path))
    try:
        vehicles = _VEHICLES.validate_python(doc["vehicles"])
    except ValidationError as exc:
        problems = [Problem(f"vehicles{p.path}" if p.path.startswith("[") else p.path,
                            p.message, p.kind, p.limits) for p in problems_of(exc)]
        raise ModelError(problems, str(path)) from None
    seen = set(known)
    for i, v in enumerate(vehicles):
        if v.id in seen:
            raise ModelError([coded(f"vehicles[{i}].id", "duplicate-vehicle", "duplicate "
                                    "vehicle id {name}; ids must be new", name=short(v.id))],
                             str(path))
        seen.add(v.id)
    return vehicles


def check_library(lib: Library, source: str = "vehicles.yaml") -> None:
    """Every vehicle's components, alloys and maker exist (and the library indexes).
    :class:`ModelError` naming the vehicle, the field and what is known otherwise."""
    problems = [coded(f"vehicles.{v.id}.maker", "unknown-maker", "unknown maker {name}; known: "
                      "{known}", name=short(v.maker), known=listed(sorted(lib.makers)))
                for v in lib.vehicles.values() if v.maker is not None
                and v.maker not in lib.makers][:20]
    try:
        lib.index()  # checks every part's component and alloy in one vectorised pass
    except ValueError:
        for v in lib.vehicles.values():
            for comp, part in v.aluminium.items():
                if part["alloy"] not in lib.alloys:
                    problems.append(coded(f"vehicles.{v.id}.aluminium.{comp}.alloy",
                                          "unknown-alloy", "unknown alloy {name}; known: {known}",
                                          name=short(part["alloy"]),
                                          known=listed(sorted(lib.alloys))))
                if comp not in lib.components:
                    problems.append(coded(f"vehicles.{v.id}.aluminium.{comp}",
                                          "unknown-component", "unknown component {name}; "
                                          "known: {known}", name=short(comp),
                                          known=listed(sorted(lib.components))))
            if len(problems) >= 20:
                break
    if problems:
        raise ModelError(problems, source)


@lru_cache(maxsize=4)
def load_alloy_library(extra_vehicles: str | None = None) -> Library:
    """The shipped library, optionally with more vehicles from a YAML or JSON file (same
    format as ``vehicles.yaml``; ids must be new), read within the document limits. Errors
    are a :class:`ModelError` naming the file, the entry and the rule."""
    specs = _read("alloy_specs.yaml")
    veh = _read("vehicles.yaml")
    dis = _read("dismantling.yaml")
    market = _read("market.yaml")
    lib = Library.model_validate({
        "alloys": specs["alloys"], "components": veh["components"],
        "vehicles": {v["id"]: v for v in veh["vehicles"]}, "makers": veh.get("makers", {}),
        "labour_JPY_per_hour": dis["labour_JPY_per_hour"], "dismantling": dis["options"],
        "buyers": market["buyers"], "prices": market["prices"],
        "shredder": _read("shredder.yaml"), "levers": _read("levers.yaml")})
    source = "vehicles.yaml"
    if extra_vehicles:
        more = _extra_vehicles(Path(extra_vehicles), set(lib.vehicles))
        lib.vehicles.update({v.id: v for v in more})
        source = str(extra_vehicles)
    check_library(lib, source)
    return lib


load_library = load_alloy_library
"""Former name of :func:`load_alloy_library` (kept for callers outside the package)."""
