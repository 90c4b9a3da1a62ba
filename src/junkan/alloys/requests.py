"""The request documents of the alloy verbs (YAML/JSON files, API bodies): every request is a
pydantic model, so bad input names its field."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, field_validator, model_validator

from junkan.alloys.data import ELEMENTS, Buyer, Library
from junkan.alloys.feedback import Estimates
from junkan.alloys.grade import refuse_composition
from junkan.alloys.predict import MAX_VEHICLES, FeedError, FeedLine, FeedPlan, whole_count
from junkan.alloys.sorter import Sorter, shipped_sorters
from junkan.core.base import Strict
from junkan.core.errors import coded, listed, refusal, short
from junkan.core.limits import limits


class PredictRequest(FeedPlan):
    """A feed plan, optionally sorted and graded."""

    sorter: str | Sorter | None = None
    buyer: str | None = None
    samples: int = Field(default=1000, ge=50, le=20_000)
    seed: int = 0

    @field_validator("vehicles")
    @classmethod
    def _whole(cls, lines: list[FeedLine]) -> list[FeedLine]:
        return whole_lines(lines)


def whole_lines(lines: list[FeedLine]) -> list[FeedLine]:
    """A request's feed lines, each of whole vehicles (``count`` 0.5 was taken)."""
    for i, line in enumerate(lines):
        whole_count(line.count, f"vehicles[{i}].count")
    return lines


class PlanRequest(Strict):
    stock: dict[str, float]
    """Vehicle id → count on hand."""
    buyer: str | Buyer
    """A shipped buyer's name, or a window given inline (name, max, min, prices, source;
    minima are planned as the maxima are)."""
    probability: float = Field(default=0.9, ge=0.5, lt=1)
    grain_mm: float = Field(default=65.0, gt=5, le=300)
    capacity_vehicles: float | None = Field(default=None, gt=0, le=MAX_VEHICLES)
    removable: list[str] | None = None
    sorter: str | Sorter | None = None
    product: str = "al"
    min_product_kg: float = Field(default=0.0, ge=0)
    samples: int = Field(default=1000, ge=50, le=20_000)
    seed: int = 0
    estimates: dict[str, Any] | None = None
    """Estimates from ``alloy update``: re-plan with the learnt part compositions."""
    relax_legal: list[str] = Field(default_factory=list)
    """Legally required removals to leave out (e.g. ``[battery_cells]``: what if the law
    were not followed); empty by default, so plans respect the law."""
    purchasable: dict[str, float] | None = None
    """Vehicles the feed lever may buy in when the window cannot be met (vehicle → count);
    default: ``levers.yaml``'s count of every library type."""
    levers: bool = True
    """Search the levers when no plan meets the window."""

    @field_validator("stock", "purchasable")
    @classmethod
    def _counts(cls, counts: dict[str, float] | None) -> dict[str, float] | None:
        """At most ``predict.MAX_VEHICLES`` of each type (1e9 was answered "nothing to
        plan"); a negative or fractional stock is refused by the planner, naming it, and a
        fractional purchasable count is rounded down."""
        for vid, count in (counts or {}).items():
            if count > MAX_VEHICLES:
                whole_count(count, vid[:60])
        return counts


class GradeRequest(Strict):
    # NaN and infinities reach the composition's own check, which names the element
    model_config = ConfigDict(extra="forbid", allow_inf_nan=True)

    composition: dict[str, float]
    """wt % per element (Al may be given); an element the buyer limits that is not given is
    not measured (never read as 0)."""
    buyer: str | None = None
    """A shipped buyer; all buyers when omitted."""

    @field_validator("composition")
    @classmethod
    def _composition(cls, comp: dict[str, float]) -> dict[str, float]:
        refuse_composition(comp)
        return comp


class Lot(Strict):
    # NaN and infinities reach the lot's own check, which names the lot and the element
    model_config = ConfigDict(extra="forbid", allow_inf_nan=True)

    lot: str
    method: str = "spark_oes"
    composition: dict[str, float]
    """wt % per measured element (not Al, the balance); at least one; adding up to at most
    100 wt % (``grade.TOTAL_TOLERANCE_WT_PCT`` allowed for rounding)."""

    @model_validator(mode="after")
    def _composition(self) -> Lot:
        refuse_composition(self.composition, ELEMENTS, lot=self.lot)
        return self


class UpdateRequest(Strict):
    feed: FeedPlan
    lots: list[Lot] = Field(min_length=1)

    @field_validator("feed")
    @classmethod
    def _whole(cls, feed: FeedPlan) -> FeedPlan:
        whole_lines(feed.vehicles)
        return feed

    buyer: str | None = None
    estimates: dict[str, Any] | None = None
    """Previous estimates document (from an earlier update); the prior when omitted."""

    @field_validator("lots", mode="before")
    @classmethod
    def _count(cls, lots: Any) -> Any:
        """At most ``alloy_update_lots`` lots (:mod:`junkan.core.limits`), counted before any
        is validated: each costs a prediction of the feed (3.3–7 ms), so the limit bounds a
        request to a few seconds."""
        lim = limits()
        if isinstance(lots, list) and len(lots) > lim.alloy_update_lots:
            raise refusal("update-too-many-lots", "{count} lots in one update, more than the "
                          "limit {limit} ({setting}): fold them in several updates, each "
                          "starting from the estimates the last one wrote",
                          count=f"{len(lots):,}", limit=f"{lim.alloy_update_lots:,}",
                          setting=lim.env("alloy_update_lots"))
        return lots

    @field_validator("lots")
    @classmethod
    def _unique(cls, lots: list[Lot]) -> list[Lot]:
        """Each lot once: a lot given twice would be folded into the estimates twice."""
        first: dict[str, int] = {}
        for i, lot in enumerate(lots):
            if lot.lot in first:
                raise refusal("lot-repeated", "lot {lot} is given twice: lots[{first}] and "
                              "lots[{second}]", lot=short(lot.lot), first=first[lot.lot],
                              second=i)
            first[lot.lot] = i
        return lots


def resolve_sorter(spec: str | Sorter | None) -> Sorter | None:
    """A sorter given inline, or one shipped with junkan by name."""
    if spec is None or isinstance(spec, Sorter):
        return spec
    sorters = shipped_sorters()
    if spec not in sorters:
        raise FeedError.of(coded("", "unknown-sorter", "unknown sorter {name}; shipped: {known} "
                                 "(or give a matrix)", name=short(spec),
                                 known=listed(sorted(sorters))))
    return sorters[spec]


def resolve_buyer(lib: Library, name: str) -> Buyer:
    if name not in lib.buyers:
        raise FeedError.of(coded("", "unknown-buyer", "unknown buyer {name}; known: {known}",
                                 name=short(name), known=listed(sorted(lib.buyers))))
    return lib.buyers[name]


def estimates_from(doc: dict[str, Any], lib: Library) -> Estimates:
    """Estimates from their document (``Estimates.document()``), checked against ``lib``."""
    if doc.get("keys") != lib.part_keys():
        raise ValueError("estimates: made for another vehicle library; omit to restart from "
                         "the prior")
    return Estimates(keys=doc["keys"], mean={e: np.array(v) for e, v in doc["mean"].items()},
                     cov={e: np.array(v) for e, v in doc["cov"].items()},
                     lots=int(doc.get("lots", 0)))
