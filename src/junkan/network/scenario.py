"""The network scenario format (YAML/JSON, pydantic): commodities and their supply by
prefecture, collection rates, candidate hubs with capacity tiers, destinations (recyclers,
manufacturers) with capacities, transport modes (:class:`junkan.core.transport.Mode`: cost,
CO2e, detour factor and handling are read by :func:`junkan.network.model.build`) and the
carbon price."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from junkan.core.base import Strict
from junkan.core.errors import short
from junkan.core.fields import Fraction, Mass, quantity_converter
from junkan.core.transport import Mode

ModeName = Literal["truck", "ship", "rail"]
"""The modes the planner knows: trucks collect and may run trunk legs on road-connected land,
ships run between port hubs and destination ports, rail between rail terminals."""
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
    distribute_by: Literal["population"] = "population"
    source: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Supply:
        if self.template is not None:
            from junkan.network.geo import supply_templates

            known = supply_templates()
            if self.template not in known:
                raise ValueError(f"unknown supply template {short(self.template)}; known: "
                                 f"{', '.join(known)}")
            if self.national_total is None and not self.by_prefecture:
                t = known[self.template]
                self.national_total = float(t["national_total_t"]) * 1000  # kg
                self.source = self.source or f"{t['source']}; {t['derivation']}"
        if bool(self.by_prefecture) == (self.national_total is not None):
            raise ValueError("give one of by_prefecture, national_total or template")
        if not self.source:
            raise ValueError("supply needs a source (where the numbers come from)")
        return self


class Commodity(Strict):
    title: str | None = None
    supply: Supply
    collection_rate: Fraction = 1.0


class Tier(Strict):
    capacity: Mass = Field(gt=0)
    """Throughput capacity, t/yr."""
    fixed_cost: Money
    """Annualised fixed cost of opening the hub at this tier, JPY/yr."""


class Hub(Strict):
    """A candidate hub: at a shipped port (``port: Nagoya``), at a prefectural office
    (``prefecture: Aichi``) or at coordinates (``lat``, ``lon`` with ``prefecture``)."""

    name: str
    port: str | None = None
    prefecture: str | int | None = None
    lat: float | None = None
    lon: float | None = None
    tiers: list[Tier] | None = None
    rail: bool = False


class Destination(Strict):
    """A recycler or manufacturer receiving commodities."""

    name: str
    prefecture: str | int
    lat: float | None = None
    lon: float | None = None
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

    @model_validator(mode="after")
    def _truck(self) -> NetworkScenario:
        if "truck" not in self.modes:
            raise ValueError("modes needs 'truck' (collection legs run by truck)")
        return self
