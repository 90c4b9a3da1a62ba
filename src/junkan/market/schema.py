"""Market documents: sellers' graded lots (offers), buyers' conditions (criteria, price
formula, location, minimum lot, capacity, delivery window, the partners granted) and pooling
points (crusher owners, hubs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from junkan.core.base import Strict
from junkan.core.errors import brief, refusal, short
from junkan.core.fields import IsoDate, printable, quantity_converter
from junkan.core.transport import Mode
from junkan.core.unique import unique_ids
from junkan.grading import CriteriaSet, Item

# a NUL in a partner's name was stored, then made the conditions list fail for every
# organisation on PostgreSQL (whose JSONB refuses it) and, on SQLite, matched the name cut at
# the NUL — a grant to "Partner\x00x" shown to "Partner": refused (core.fields.printable)


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
MAX_LOTS = 100_000
MAX_CONDITIONS = 5_000
MAX_POOLS = 2_000
MAX_LOT_KG = 1e8
"""A lot's mass, kg (100,000 t, a large bulk carrier's cargo: assumption). Beyond it, a
typing error: a 1e14 kg lot made the solver's shares of it (about 1e-10 for a 40 t
delivery) fall below the tolerance read as nothing, and a match reported "optimal" with a
margin of 43 million JPY and no lot delivered (docs/security.md)."""

_kg = quantity_converter("kg", "mass")
_yen_kg = quantity_converter("JPY/kg", "price", nonneg=False)


def _mass(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _kg(f"{float(value)!r} kg")
    return _kg(value)


def _price(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{float(value)!r} JPY/kg"  # a bare number is JPY/kg (a dumped document loads)
    v = _yen_kg(value)
    if abs(v) > 1e7:
        raise ValueError(f"price {short(value)} is beyond ±10,000,000 JPY/kg")
    return v


def _cost(value: Any) -> float:
    v = _price(value)
    if v < 0:
        raise refusal("handling-negative", "a negative handling cost ({value} JPY/kg): handling "
                      "is a cost per kg handled, and a negative one added to every margin "
                      "through it; give 0 or more", value=f"{v:g}")
    return v


Kg = Annotated[float, BeforeValidator(_mass)]
YenPerKg = Annotated[float, BeforeValidator(_price)]
CostPerKg = Annotated[float, BeforeValidator(_cost)]
"""A handling cost, JPY/kg: never negative."""


class Place(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: Name | None = None


class Window(Strict):
    start: IsoDate
    end: IsoDate

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Lot(Strict):
    """A seller's offer: a graded record at a place, available in a window."""

    id: Name
    seller: Name
    item: Item
    location: Place
    available: Window | None = None
    divisible: bool = True
    """Whether a buyer may take part of the lot (bulk scrap) or only all of it."""

    @property
    def mass(self) -> float:
        return self.item.quantity.mass

    @model_validator(mode="after")
    def _declared(self) -> Lot:
        """A composition whose every entry is 0 wt % states nothing measured (a template
        sent unfilled): graded, it passed every upper limit and was matched as the cleanest
        lot, so it is refused here, at the boundary, naming the lot. Each refusal is at its
        field (``item.quantity.mass``, ``item.composition``; it was at the lot)."""
        if self.mass > MAX_LOT_KG:
            raise _at(("item", "quantity", "mass"), self.mass, refusal(
                "lot-mass-above-limit", "lot {lot}: item.quantity.mass {mass} kg is above "
                "{limit} kg (100,000 t), more than any one lot; check the value and unit, or "
                "split it into lots", lot=brief(self.id), mass=f"{self.mass:,.0f}",
                limit=f"{MAX_LOT_KG:,.0f}"))
        comp = self.item.composition
        if comp and not any(comp.values()):
            raise _at(("item", "composition"), comp, refusal(
                "composition-all-zero", "lot {lot}: every entry of item.composition is 0 wt %; "
                "give the lot's measured composition, or leave out composition if it is not "
                "known", lot=brief(self.id)))
        return self


def _at(loc: tuple[str, ...], value: Any, error: PydanticCustomError) -> ValidationError:
    """``error`` at ``loc`` below the model being validated: raised from its validator,
    pydantic puts it under the model's own path."""
    return ValidationError.from_exception_data("Lot", [InitErrorDetails(type=error, loc=loc,
                                                                        input=value)])


class Premium(Strict):
    """A price adjustment on a mass-mixing property: ``per_unit`` JPY/kg for each unit the
    lot's value lies above ``reference`` (negative: a penalty). ``side``: ``both`` (linear:
    a penalty above the reference is a bonus of the same rate below it), ``above`` (only
    the part above counts; below it adds nothing) or ``below`` (only the part below).

    A premium is settled on each lot's own graded value, also when the lot travels through
    a pooling point: the price is a constant per lot and route, so the matching stays a
    linear programme whichever the side (with ``both`` this equals paying on the blend)."""

    property: Annotated[str, Field(max_length=80)]
    per_unit: float = Field(ge=-1e6, le=1e6)
    reference: float = Field(ge=-1e9, le=1e9)
    side: Literal["both", "above", "below"] = "both"

    def adjustment(self, value: np.ndarray) -> np.ndarray:
        """JPY/kg added to the base price for lot values ``value`` (NaN stays NaN)."""
        d = np.asarray(value, dtype=float) - self.reference
        if self.side == "above":
            d = np.maximum(d, 0.0)
        elif self.side == "below":
            d = np.minimum(d, 0.0)
        return np.asarray(self.per_unit * d)


class Price(Strict):
    """A buyer's price formula: ``base`` JPY/kg (what the buyer pays, so never negative; a
    gate fee the seller pays is not a buying condition) plus the ``premiums``."""

    base: YenPerKg
    premiums: list[Premium] = Field(default_factory=list, max_length=50)

    @field_validator("base")
    @classmethod
    def _paid(cls, v: float) -> float:
        if v < 0:
            raise refusal(
                "base-price-negative", "a negative base price ({value} JPY/kg): the base is "
                "what the buyer pays per kg; write a penalty as a premium with a negative "
                "per_unit", value=f"{v:g}"
            )
        return v


class Condition(Strict):
    """A buyer's acceptance condition, shared only with the partners in ``granted_to``."""

    id: Name
    buyer: Name
    criteria: Annotated[str, Field(max_length=80)] | CriteriaSet
    price: Price
    location: Place
    min_lot: Kg = 0.0
    """Smallest delivery the buyer takes from one origin (a lot or a pooling point)."""
    capacity: Annotated[Kg, Field(gt=0)]
    """Most the buyer takes in the window (more than nothing)."""
    delivery: Window | None = None
    handling: CostPerKg = 0.0
    granted_to: list[Name] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _lots(self) -> Condition:
        if self.min_lot > self.capacity:
            raise refusal(
                "min-lot-above-capacity", "min_lot: unreachable minimum lot — {min_lot} kg is "
                "above the capacity {capacity} kg", min_lot=f"{self.min_lot:,.0f}",
                capacity=f"{self.capacity:,.0f}"
            )
        return self


class Pool(Strict):
    """A consolidation point (a crusher owner, a hub): lots gathered here ship together."""

    id: Name
    owner: Name | None = None
    location: Place
    capacity: Kg
    handling: CostPerKg = 0.0
    fixed_cost: float = Field(default=0.0, ge=0, le=1e12)
    """Cost (JPY) of one shipment from this point to one buyer."""


class Solver(Strict):
    mip_rel_gap: float = Field(default=0.005, ge=0, le=1)
    time_limit_s: float = Field(default=30, gt=0, le=3600)
    max_pools_per_lot: int = Field(default=2, ge=0, le=MAX_POOLS)
    max_buyers_per_lot: int | None = Field(default=None, ge=1, le=MAX_CONDITIONS)
    prune_negative: bool = True
    """Leave out routes that lose money on their own. Such a lot may still be worth sending
    as a diluent that lets a buyer take more of a high-margin lot; ``false`` keeps them (and
    all buyers per lot): the exact problem, larger."""


class Market(Strict):
    lots: list[Lot] = Field(default_factory=list, max_length=MAX_LOTS)
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    pools: list[Pool] = Field(default_factory=list, max_length=MAX_POOLS)
    transport: Mode | None = None
    solver: Solver | None = None
    as_of: IsoDate | None = None

    @model_validator(mode="after")
    def _unique(self) -> Market:
        for name, rows in (
            ("lots", self.lots),
            ("conditions", self.conditions),
            ("pools", self.pools),
        ):
            unique_ids((r.id for r in rows), name)
        return self
