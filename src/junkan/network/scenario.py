"""The network scenario format (YAML/JSON, pydantic): commodities and their supply by
prefecture, collection rates, candidate hubs with capacity tiers, destinations (recyclers,
manufacturers) with capacities, transport modes (:class:`junkan.core.transport.Mode`: cost,
CO2e, detour factor and handling are read by :func:`junkan.network.model.build`) and the
carbon price."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from junkan.core.base import Strict
from junkan.core.errors import listed, refusal, short
from junkan.core.fields import Fraction, Mass, quantity_converter
from junkan.core.transport import Mode
from junkan.network.proxy import ProxyTable

ModeName = Literal["truck", "ship", "rail"]
"""The modes the planner knows: trucks collect and may run trunk legs on road-connected land,
ships run between port hubs and destination ports, rail between rail terminals."""
Latitude = Annotated[float, Field(ge=-90, le=90)]
"""Degrees north (WGS 84)."""
Longitude = Annotated[float, Field(ge=-180, le=180)]
"""Degrees east (WGS 84)."""
Money = Annotated[float, BeforeValidator(quantity_converter("JPY", "amount"))]
PerTonne = Annotated[float, BeforeValidator(quantity_converter("JPY/t", "cost per tonne"))]
CarbonPrice = Annotated[float, BeforeValidator(quantity_converter("JPY/tCO2e", "carbon price"))]


class Supply(Strict):
    """Supply of one commodity in t/yr: explicit by prefecture, or a national total
    distributed by population (a proxy; say so in ``source``)."""

    by_prefecture: dict[str, Mass] = Field(default_factory=dict)
    national_total: Mass | None = None
    template: str | None = None
    """A shipped national-supply template (``junkan.network.geo.supply_templates()``)."""
    distribute_by: Literal["population"] | ProxyTable = "population"
    """How ``national_total`` is split: by the shipped population, or by a proxy table given
    inline (:class:`junkan.network.proxy.ProxyTable`: kind, quantity, source, as_of and all 47
    prefectures' weights, e.g. vehicle registrations or installed solar capacity)."""
    within: list[str | int] = Field(default_factory=list, max_length=47)
    """Distribute ``national_total`` over these prefectures only (a region); empty: all 47."""
    regional_share: bool = False
    """With ``within``: the region receives only its population (or proxy) share of
    ``national_total`` (a national figure scaled to the region), not all of it."""
    source: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Supply:
        if self.template is not None:
            from junkan.network.geo import supply_templates

            known = supply_templates()
            if self.template not in known:
                raise refusal("unknown-supply-template", "unknown supply template {name}; "
                              "known: {known}", name=short(self.template), known=listed(known))
            if self.national_total is None and not self.by_prefecture:
                t = known[self.template]
                self.national_total = float(t["national_total_t"]) * 1000  # kg
                self.source = self.source or f"{t['source']}; {t['derivation']}"
        if bool(self.by_prefecture) == (self.national_total is not None):
            raise ValueError("give one of by_prefecture, national_total or template")
        if not self.source:
            raise ValueError("supply needs a source (where the numbers come from)")
        if isinstance(self.distribute_by, ProxyTable):
            if self.by_prefecture:
                raise ValueError("distribute_by splits a national_total or template; "
                                 "by_prefecture is already split")
            split = f"split by {self.distribute_by.describe()}"
            if split not in self.source:
                self.source = f"{self.source}; {split}"
        return self


class Handling(Strict):
    """How a commodity must be moved and prepared, beyond the standard freight the modes
    describe: batteries travel as dangerous goods (UN3480, class 9: packing, placarded
    vehicles, a surcharge), used cooking oil in tank lorries and tankers, wind-turbine blades
    are cut on site into transportable sections."""

    on_site: PerTonne = Field(default=0.0, ge=0)
    """Preparation at the source before the collection leg (cutting, draining), JPY/t."""
    at_hub: PerTonne = Field(default=0.0, ge=0)
    """Extra handling at the hub (dangerous-goods storage, tank cleaning), JPY/t."""
    cost_factor: float = Field(default=1.0, ge=0.1, le=20)
    """Multiplier on the transport cost of every leg (dangerous-goods surcharge, tank
    vehicles)."""
    load_factor: float = Field(default=1.0, gt=0.02, le=1)
    """Payload relative to the mode's standard load (bulky blade sections, tankers returning
    empty): cost and CO2e per tonne-km are divided by it."""
    modes: list[ModeName] | None = None
    """Trunk modes this commodity may use (default: all the scenario's modes)."""
    note: str | None = None
    """What the handling is (e.g. ``UN3480 class 9 dangerous goods``)."""
    source: str = Field(min_length=1)
    """Where the figures come from, or ``assumption: ...``."""


class Commodity(Strict):
    title: str | None = None
    supply: Supply
    collection_rate: Fraction = 1.0
    handling: Handling | None = None
    """Commodity-specific handling (cost, payload and allowed trunk modes)."""


class Tier(Strict):
    capacity: Mass = Field(gt=0)
    """Throughput capacity, t/yr."""
    fixed_cost: Money
    """Annualised fixed cost of opening the hub at this tier, JPY/yr (in a multi-period plan:
    the yearly operating cost while the hub runs at this tier)."""
    capital_cost: Money = Field(default=0.0, ge=0)
    """One-off investment to build the hub up to this tier (multi-period plans only; an
    upgrade pays the difference to the tier below), JPY."""


class Hub(Strict):
    """A candidate hub: at a shipped port (``port: Nagoya``), at a prefectural office
    (``prefecture: Aichi``) or at coordinates (``lat``, ``lon`` with ``prefecture``)."""

    name: str
    port: str | None = None
    prefecture: str | int | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    site: str | None = None
    """A shipped candidate site (``junkan/data/network/sites.yaml``, e.g. ``naoshima``):
    its prefecture, coordinates and port come from the data file."""
    tiers: list[Tier] | None = Field(default=None, min_length=1)
    """Capacity tiers of this hub; left out, the default ``hubs.tiers`` (an empty list is
    refused: a hub without tiers could never open)."""
    rail: bool = False


class Destination(Strict):
    """A recycler or manufacturer receiving commodities."""

    name: str
    prefecture: str | int | None = None
    site: str | None = None
    """A shipped candidate site (see :class:`Hub`); gives prefecture, coordinates, port."""
    lat: Latitude | None = None
    lon: Longitude | None = None
    port: str | None = None
    """Nearest shipped port: enables the ship mode from port hubs."""
    rail: bool = False
    capacity: dict[str, Mass]
    """Per commodity, t/yr."""


class HubCandidates(Strict):
    ports: bool = False
    """Every shipped port (23 international strategic and hub ports) is a candidate."""
    prefectural_capitals: bool = False
    """Every prefectural office location is a candidate."""
    extra: list[Hub] = Field(default_factory=list)
    tiers: list[Tier] = Field(min_length=1)
    """Default tiers for candidates that give none."""
    handling: PerTonne = 0.0
    loss: Fraction = 0.0
    """Share of hub inflow lost (residue), not delivered."""


Factor = Annotated[float, Field(ge=0, le=1e3)]
"""A multiplier per period (0 to 1000)."""
Tonnes = Annotated[float, Field(ge=0, le=1e9)]
"""t/yr per area and period (0 to 10⁹)."""


def _inline_table(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError(f"{short(value)}: a CSV file (area or destination,year,commodity,t) "
                         "is read only when the scenario is loaded from a file (relative to "
                         "it); give the table inline here: commodity → area or destination → "
                         "one value per year")
    if isinstance(value, dict):  # prefecture codes written unquoted in YAML (23: [...])
        return {c: ({str(a) if isinstance(a, int) else a: v for a, v in t.items()}
                    if isinstance(t, dict) else t) for c, t in value.items()}
    return value


class Periods(Strict):
    """Planning over time (``junkan network periods``): which hubs open, expand or close,
    and when. Each period starts at its year and lasts until the next (the last as long as
    the one before it)."""

    years: list[int] = Field(min_length=1, max_length=30)
    discount_rate: float = Field(default=0.04, ge=0, le=0.5)
    """Real discount rate per year."""
    lead_time: int = Field(default=0, ge=0, le=10)
    """Periods between the decision (capital spent) and the capacity coming on line."""
    salvage: Fraction = 0.0
    """Share of capital recovered when a tier is closed or at the end of the horizon."""
    supply_factor: dict[str, list[Factor]] = Field(default_factory=dict)
    """Per commodity, one multiplier of the scenario's supply per period (default 1): every
    area's supply alike."""
    supply_by_year: Annotated[dict[str, dict[str, list[Tonnes]]],
                              BeforeValidator(_inline_table)] = Field(default_factory=dict)
    """Per commodity and area (prefecture name or code), the supply in t/yr of each period
    (× the commodity's collection rate): replaces the commodity's supply spread in every
    period, so supply can grow in one region and shrink in another (areas not listed: 0).
    A scenario read from a file may instead name a CSV file (``area,year,commodity,t``)."""
    demand_factor: dict[str, list[Factor]] = Field(default_factory=dict)
    """Per destination (its name) or per commodity, one multiplier of the destinations'
    capacity per period (a recycler that opens later: 0 before; both apply when both are
    given)."""
    demand_by_year: Annotated[dict[str, dict[str, list[Tonnes]]],
                              BeforeValidator(_inline_table)] = Field(default_factory=dict)
    """Per commodity and destination (its name), the t/yr it accepts in each period:
    replaces that commodity's ``capacity`` at every destination in every period
    (destinations not listed: 0). A scenario read from a file may instead name a CSV file
    (``destination,year,commodity,t``)."""
    source: str | None = None
    """Where the supply and demand paths come from (or "assumption")."""

    @model_validator(mode="after")
    def _shape(self) -> Periods:
        if any(b <= a for a, b in zip(self.years, self.years[1:], strict=False)):
            raise ValueError("years must increase")
        n = len(self.years)
        series = [(f"supply_factor.{c}", f) for c, f in self.supply_factor.items()]
        series += [(f"demand_factor.{k}", f) for k, f in self.demand_factor.items()]
        series += [(f"{name}.{c}.{a}", f) for name, table in
                   (("supply_by_year", self.supply_by_year),
                    ("demand_by_year", self.demand_by_year))
                   for c, t in table.items() for a, f in t.items()]
        for name, f in series:
            if len(f) != n:
                raise ValueError(f"{name}: give {n} values, one per year, not {len(f)}")
        for name, table, factors, item, replaced in (
                ("supply", self.supply_by_year, self.supply_factor, "area",
                 "the scenario's supply"),
                ("demand", self.demand_by_year, self.demand_factor, "destination",
                 "the destinations' capacity")):
            _by_year_kept_apart(name, table, factors, item)
            if table and not self.source:
                raise ValueError(f"source: {name}_by_year replaces {replaced}; say where its "
                                 "figures come from (or 'assumption')")
        return self


def _by_year_kept_apart(name: str, table: dict[str, dict[str, list[float]]],
                        factors: dict[str, list[float]], item: str) -> None:
    """``{name}_by_year`` lists at least one ``item`` per commodity, and neither a
    commodity nor (for demand, keyed by destination too) a destination is given both a
    ``{name}_factor`` and a ``{name}_by_year`` path."""
    for c, t in table.items():
        if not t:
            raise ValueError(f"{name}_by_year.{c}: give at least one {item}")
        for key in (c, *(sorted(set(t) & set(factors)) if name == "demand" else ())):
            if key in factors:
                at = c if key == c else f"{c}.{key}"
                raise ValueError(f"{name}_by_year.{at}: give {name}_factor or {name}_by_year "
                                 f"for '{key}', not both")


class NetworkScenario(Strict):
    junkan_network: Literal[1] = 1
    name: str
    title: str | None = None
    category: str | None = None
    commodities: dict[str, Commodity] = Field(min_length=1)
    hubs: HubCandidates
    destinations: list[Destination] = Field(min_length=1)
    modes: dict[ModeName, Mode]
    """Transport modes by name; each needs ``cost``, ``co2e``, ``detour_factor`` and
    ``source`` (``handling`` is optional)."""
    carbon_price: CarbonPrice = 0.0
    co2_cap_t: float | None = Field(default=None, ge=0)
    """Optional cap on CO2e (t/yr): an ε-constraint."""
    mip_rel_gap: float = Field(default=1e-3, gt=0, le=0.1)
    time_limit_s: float = Field(default=300, gt=0, le=3600)
    """Solver time limit in seconds (at most an hour; a service may cap it lower)."""
    linking: Literal["per_commodity", "aggregated", "none"] = "aggregated"
    """Linking of zone→hub flows to open hubs beyond the capacity constraint (tightens the LP
    relaxation): per (zone, hub, commodity), per (zone, hub) summed over commodities, or none."""
    sources: dict[str, Any] = Field(default_factory=dict)
    periods: Periods | None = None
    """Multi-period planning (open / expand / close over the years)."""

    @model_validator(mode="after")
    def _truck(self) -> NetworkScenario:
        if "truck" not in self.modes:
            raise ValueError("modes needs 'truck' (collection legs run by truck)")
        return self
