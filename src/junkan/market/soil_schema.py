"""Surplus-soil (and by-product) matching documents: sites that produce soil (construction
sites), sites that take it (fill, embankment), temporary stockyards (仮置き場) and disposal
sites, with volumes per period, quality grades and haul costs.

Volumes are in m³ (``"1200 m**3"`` or a bare number of m³), one per period; a grade is a
set id of a ranked family (``soil-class-2`` of ``soil-mlit``) or any label the sites agree on
(by-products). A source may give a graded record (``item``) instead of a grade: it is graded
with the ``soil-mlit`` family (:func:`junkan.grading.grade`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from junkan.core.base import Strict
from junkan.core.errors import nearest, short
from junkan.core.fields import quantity_converter
from junkan.core.unique import repeated
from junkan.grading import Item, resolve
from junkan.market.schema import Name, Place

SOIL_FAMILY = "soil-mlit"
"""The ranked family a source's graded record (``item``) is classified with."""
MAX_PERIODS = 240
MAX_SITES = 5_000
MAX_VOLUME = 1e9
"""m³ per site and period (a large dam moves ~1e7 m³ in all): beyond it, a typing error."""
TIME_LIMIT_S = 60.0
"""Seconds HiGHS may take on one surplus-soil programme unless ``solver.time_limit_s`` says
otherwise: three times the 20 s the largest programme allowed (1,000,000 variables) took to
build and solve (docs/security.md); as the market match's, at most 3,600."""

_m3 = quantity_converter("m**3", "volume")
_yen_m3 = quantity_converter("JPY/m**3", "cost per volume", nonneg=False)
_yen_m3_km = quantity_converter("JPY/(m**3*km)", "haul cost")
_t_m3 = quantity_converter("t/m**3", "density", positive=True)
_g_tkm = quantity_converter("g/(t*km)", "emission factor")


def _number_or(unit: str, convert: Any) -> Any:
    def read(value: Any) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"{value!r} is not a finite number")
            value = f"{float(value)!r} {unit}"
        v = float(convert(value))
        if abs(v) > MAX_VOLUME * 1e3:
            raise ValueError(f"{v:g} {unit} is beyond any plausible value")
        return v

    return read


Volume = Annotated[float, BeforeValidator(_number_or("m**3", _m3)), Field(le=MAX_VOLUME)]
YenPerM3 = Annotated[float, BeforeValidator(_number_or("JPY/m**3", _yen_m3)), Field(ge=0)]
"""A cost per m³ (gate fee, handling, storage, purchased soil): never negative — a site
that pays for soil is a sink, not a disposal site with a negative fee."""
DENSITY_RANGE = (0.5, 3.0)
"""Soil bulk density, t/m³, a plausibility bound against unit slips (``1.8 kg/m**3`` for
1.8 t/m³ gave a thousandth of the CO2e): assumption — soils and fills lie near 1.2–2.2."""
Grade = Annotated[str, Field(min_length=1, max_length=80)]


class Source(Strict):
    """A site with surplus soil: the volume that must leave it in each period."""

    id: Name
    location: Place
    grade: Grade | None = None
    item: Item | None = None
    """A graded record (soil type, cone index …) to classify instead of ``grade``."""
    volumes: list[Volume] = Field(max_length=MAX_PERIODS)

    @model_validator(mode="after")
    def _one_grade(self) -> Source:
        if (self.grade is None) == (self.item is None):
            raise ValueError(
                "give either grade (a class such as soil-class-2) or item (a "
                "graded record to classify), not both or neither"
            )
        return self


class Sink(Strict):
    """A site that takes soil (fill, embankment, land reclamation): at most ``demand`` m³ in
    each period, of the grades it accepts. ``virgin_cost``: what it would pay per m³ for
    purchased soil (購入土) instead — the saving a match brings."""

    id: Name
    location: Place
    accepts: list[Grade] = Field(min_length=1, max_length=100)
    demand: list[Volume] = Field(max_length=MAX_PERIODS)
    virgin_cost: YenPerM3 = 0.0


class Stockyard(Strict):
    """A temporary stockyard: soil waits here between periods (each grade kept apart).
    ``capacity``: the most it holds (stock carried in plus what arrives in a period)."""

    id: Name
    location: Place
    capacity: Volume
    accepts: list[Grade] | None = Field(default=None, max_length=100)
    """Grades it stores (default: any)."""
    storage_cost: YenPerM3 = 0.0
    """Per m³ and period held."""
    handling: YenPerM3 = 0.0
    """Per m³ brought in (unloading, piling, loading out)."""


class Disposal(Strict):
    """A disposal or treatment site taking any grade for a gate fee."""

    id: Name
    location: Place
    gate_fee: YenPerM3
    capacity: list[Volume] | None = Field(default=None, max_length=MAX_PERIODS)
    """Most it takes per period (default: no limit)."""


class Haul(Strict):
    """Road haul: cost per m³·km (required: no default is invented), the detour factor
    (road ÷ great-circle distance; 1 = straight line), the longest haul allowed, and —
    to report CO2e — the soil's bulk density and a truck emission factor."""

    cost: Annotated[float, BeforeValidator(_number_or("JPY/(m**3*km)", _yen_m3_km))]
    detour_factor: float = Field(default=1.0, ge=1.0, le=5.0)
    max_km: float | None = Field(default=None, gt=0, le=5_000)
    density: Annotated[float, BeforeValidator(_number_or("t/m**3", _t_m3)),
                       Field(ge=DENSITY_RANGE[0], le=DENSITY_RANGE[1])] | None = None
    co2e: Annotated[float, BeforeValidator(_number_or("g/(t*km)", _g_tkm))] | None = None
    source: str = Field(min_length=1, max_length=500)
    """Where the numbers come from, or ``assumption: …``."""


class SoilSolver(Strict):
    """How long the solver may take: a programme not solved within ``time_limit_s`` is
    refused, saying so (a linear program stopped early holds no plan to report)."""

    time_limit_s: float = Field(default=TIME_LIMIT_S, gt=0, le=3600, strict=True)  # not `true`


class SoilMarket(Strict):
    """A surplus-soil matching problem over ``periods`` (labels such as ``2027-04``)."""

    periods: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=MAX_PERIODS
    )
    sources: list[Source] = Field(min_length=1, max_length=MAX_SITES)
    sinks: list[Sink] = Field(default_factory=list, max_length=MAX_SITES)
    stockyards: list[Stockyard] = Field(default_factory=list, max_length=MAX_SITES)
    disposal: list[Disposal] = Field(default_factory=list, max_length=MAX_SITES)
    haul: Haul
    solver: SoilSolver | None = None

    @model_validator(mode="after")
    def _shapes(self) -> SoilMarket:
        n = len(self.periods)
        twice_p = repeated(self.periods)
        if twice_p:
            shown = "; ".join(f"{short(p)} at periods[{', '.join(map(str, pos[:4]))}]"
                              for p, pos in list(twice_p.items())[:5])
            raise ValueError(f"periods: a period is listed twice: {shown}; give each once")
        ids: list[str] = []
        where: list[str] = []
        sites: tuple[tuple[str, list[Any], str], ...] = (
            ("sources", self.sources, "volumes"),
            ("sinks", self.sinks, "demand"),
            ("disposal", self.disposal, "capacity"),
        )
        for kind, rows, field in sites:
            for i, r in enumerate(rows):
                ids.append(r.id)
                where.append(f"{kind}[{i}]")
                values = getattr(r, field)
                if values is not None and len(values) != n:
                    raise ValueError(
                        f"{kind}[{i}].{field}: {len(values)} values for {n} periods ({r.id})"
                    )
        ids += [y.id for y in self.stockyards]
        where += [f"stockyards[{i}]" for i in range(len(self.stockyards))]
        twice = repeated(ids)
        if twice:
            shown = "; ".join(
                f"{short(x)} at {', '.join(where[i] for i in pos[:4])}"
                for x, pos in list(twice.items())[:5]
            )
            raise ValueError(f"site ids used more than once: {shown}; give each site its own")
        _months(self.periods)
        _offered(self)
        return self


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _months(periods: list[str]) -> None:
    """Periods labelled as months (``2027-04``) must be ascending and contiguous: the model
    solves them in list order and charges one period of storage from one to the next, so a
    month out of order or skipped would silently misstate the plan."""
    parsed = [_MONTH.match(p) for p in periods]
    if not all(parsed):
        return  # free labels (p1, Q2 …): the list order is the order
    idx = [int(m.group(1)) * 12 + int(m.group(2)) for m in parsed if m]
    for k in range(1, len(idx)):
        if idx[k] != idx[k - 1] + 1:
            raise ValueError(
                f"periods: months must be ascending and contiguous (one storage period "
                f"from one to the next), but {periods[k - 1]!r} is followed by "
                f"{periods[k]!r} (periods: {periods})"
            )


def _offered(m: SoilMarket) -> None:
    """A sink (or stockyard) accepting a grade no source offers and no ``soil-mlit`` class
    names, but spelled almost like one that is (``soil-clas-1``), is a misspelling: refused,
    naming the grade meant, so the soil is not reported as having no taker. A grade unlike
    any offered (a sink that would also take by-product B) is allowed."""
    classes = {cs.id for cs in resolve([SOIL_FAMILY])}
    for i, src in enumerate(m.sources):  # a source's typo counted as known, and its soil
        g = src.grade  # went to landfill as having no taker
        near = None if g is None or g in classes else nearest(g, classes)
        if near:
            raise ValueError(f"sources[{i}].grade: {g!r} is not a {SOIL_FAMILY} class; did "
                             f"you mean {near!r}?")
    known = {s.grade for s in m.sources if s.grade is not None} | classes
    sites: list[tuple[str, Sequence[Sink | Stockyard]]] = [
        ("stockyards", m.stockyards),
        ("sinks", m.sinks),
    ]
    for kind, rows in sites:
        for i, r in enumerate(rows):
            for g in r.accepts or []:
                near = None if g in known else nearest(g, known)
                if near:
                    raise ValueError(
                        f"{kind}[{i}].accepts: {g!r} is offered by no source and is not a "
                        f"{SOIL_FAMILY} class ({r.id}) — did you mean {near!r}?"
                    )
