"""The value-network model format (YAML or JSON), validated by pydantic v2.

A model describes one product system: its materials, parts and products (nested BOMs), the
actors who make, use, maintain, collect, dismantle and recycle them, the processes each actor
runs with their unit factors (原単位: CO2e, energy, cost and revenue per piece, kg or t·km),
the loop routes with their shares, sales and lifetimes, and named scenarios that override any
parameter of the baseline. The JSON Schema is published as
``docs/schema/lifecycle-model.schema.json`` (``junkan schema``).

Quantities are written with units (``"1.2 kg"``, ``"208 gCO2e/(t*km)"``, ``"12 year"``) and are
converted on load; shares are plain fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from junkan.core.base import boolean_number
from junkan.core.errors import refusal
from junkan.core.fields import YEAR_MAX, YEAR_MIN, Year
from junkan.core.limits import limits
from junkan.lifecycle.schema_headline import Headline, Scenario, Selection, checked_section
from junkan.lifecycle.schema_lifetime import Lifetime
from junkan.lifecycle.schema_types import (
    AnnualRate,
    Distance,
    Duration,
    Factor,
    Fraction,
    Mass,
    Sales,
    Stage,
    Strict,
    Years,
)
from junkan.lifecycle.uncertainty.spec import UncertaintySection

__all__ = ["YEAR_MAX", "YEAR_MIN", "AnnualRate", "Distance", "Duration", "Fraction",
           "Headline", "LifecycleModel", "Lifetime", "Mass", "SINK_KINDS", "Scenario",
           "Selection", "Stage", "Year", "Years"]


# ---------------------------------------------------------------------------------------------
# Actors, factors, processes

Role = Literal[
    "material_maker",
    "part_maker",
    "product_maker",
    "wholesaler",
    "user",
    "maintainer",
    "dismantler",
    "material_regenerator",
    "waste_handler",
    "collector",
]


class Actor(Strict):
    """A company or body in the value network."""

    role: Role
    """What the actor does (the Hitachi–AIST Circular Economy Lab's value network's types)."""
    title: str | None = None
    """Display name."""



ProcessKind = Literal["activity", "recycling", "energy_recovery", "incineration", "landfill",
                      "export"]
SINK_KINDS = ("recycling", "energy_recovery", "incineration", "landfill", "export")


class Process(Strict):
    """A process step with unit factors (原単位) per unit of activity.

    Each factor's activity basis is read from its unit's denominator: ``per piece`` (counted
    items), ``per kg`` (mass handled) or ``per t*km`` (transport: kg handled × ``distance``);
    factors of one process may mix bases (a collection leg per t*km plus a handling cost per
    piece), each is charged on its own. Use-phase processes are charged per piece-year in use
    (``per piece`` and ``per piece/year`` mean the same there)."""

    actor: str
    """Who runs it; CO2e, cost and revenue are booked to this actor."""
    stage: Stage
    """Life-cycle stage, for CO2 by stage."""
    kind: ProcessKind = "activity"
    """``activity`` for ordinary steps; sinks that route mass: ``recycling`` (needs ``yields``),
    ``energy_recovery``, ``incineration``, ``landfill``, ``export``."""
    title: str | None = None
    """Display name (also the node name of a sink in flow tables)."""
    co2e: Factor | None = None
    """CO2e per unit of activity, e.g. ``"1.5 kgCO2e/piece"``, ``"0.21 kgCO2e/kg"``,
    ``"208 gCO2e/(t*km)"``."""
    energy: Factor | None = None
    """Energy per unit of activity, e.g. ``"8.8 kWh/piece"``, ``"3 MJ/kg"``."""
    cost: Factor | None = None
    """Cost to the actor, in the model currency, e.g. ``"1200 JPY/piece"``."""
    revenue: Factor | None = None
    """Revenue to the actor (a price), in the model currency."""
    distance: Distance | None = None
    """Transport distance in km, required when factors are per t·km."""
    mode: str | None = None
    """A transport mode from ``modes``; its factors apply per t·km unless given here."""
    yields: dict[str, Fraction] = Field(default_factory=dict)
    """Recycling only: recovered fraction of each input material (others are residue)."""
    closed_loop: bool = True
    """Recycling only: recovered material displaces virgin material in this model's own
    manufacturing (surplus is sold); ``false`` sells it all to the outside market."""
    residue: dict[str, Fraction] = Field(default_factory=dict)
    """Recycling only: where the unrecovered mass goes (non-recycling sinks, shares sum to 1)."""
    source: str = Field(min_length=1)
    """Where the unit factors come from (citation), or ``assumption: ...``."""


class Mode(Strict):
    """A transport mode with unit factors per t·km."""

    co2e: Factor | None = None
    """CO2e per t·km, e.g. ``"208 gCO2e/(t*km)"``."""
    energy: Factor | None = None
    """Energy per t·km, e.g. ``"2.9 MJ/(t*km)"``."""
    cost: Factor | None = None
    """Cost per t·km in the model currency."""
    source: str = Field(min_length=1)
    """Where the factors come from (citation), or ``assumption: ...``."""
    title: str | None = None
    """Display name."""


# ---------------------------------------------------------------------------------------------
# Materials, parts, products


class MaterialSupply(Strict):
    """Unit factors of supplying one kg of a material (virgin or recycled)."""

    co2e: Factor | None = None
    """CO2e per kg supplied, e.g. ``"2.0 kgCO2e/kg"``."""
    energy: Factor | None = None
    """Energy per kg supplied, e.g. ``"20 MJ/kg"``."""
    cost: Factor | None = None
    """Price per kg in the model currency, paid by the material's ``buyer``."""
    source: str = Field(min_length=1)
    """Where the factors come from (citation), or ``assumption: ...``."""


class Material(Strict):
    """A material with its virgin and recycled supply factors."""

    title: str | None = None
    """Display name."""
    composition: dict[str, Fraction] = Field(default_factory=dict)
    """Optional element mass fractions, e.g. ``{Nd: 0.23, Dy: 0.04, Fe: 0.66}``."""
    buyer: str | None = None
    """Actor who buys this material (default: the first part maker, else product maker)."""
    virgin: MaterialSupply
    """Supply of primary (virgin) material."""
    recycled: MaterialSupply | None = None
    """Supply of closed-loop secondary material, used before virgin material."""

    @field_validator("composition")
    @classmethod
    def _composition_sums(cls, v: dict[str, float]) -> dict[str, float]:
        if sum(v.values()) > 1.0 + 1e-9:
            raise refusal("fractions-above-one", "element fractions sum to {total}, above 1",
                          total=f"{sum(v.values()):.6g}")
        return v


class BomItem(Strict):
    """One line of a bill of materials: a sub-part (``part`` × ``quantity``) or a material
    (``material`` with ``mass`` per unit of the parent)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["part"], "properties": {
            "part": {"type": "string"}, "material": {"type": "null"}, "mass": {"type": "null"}}},
        {"required": ["material", "mass"], "properties": {
            "material": {"type": "string"}, "mass": {"type": "string"},
            "part": {"type": "null"}}}]})

    part: str | None = None
    """A part (from ``parts``) in the parent."""
    quantity: float = Field(default=1.0, gt=0, le=1e6)
    """Pieces of the part per parent (at most a million)."""
    material: str | None = None
    """A material (from ``materials``) in the parent."""
    mass: Mass | None = None
    """Mass of the material per piece of the parent, with a unit (``"0.25 kg"``)."""

    @model_validator(mode="wrap")
    @classmethod
    def _one_kind(cls, data: Any, handler: ModelWrapValidatorHandler[BomItem]) -> BomItem:
        if type(data) is dict and type(data.get("quantity")) is bool:  # not 1 piece: see Plain
            raise boolean_number(cls, ("quantity",), data["quantity"])
        self = handler(data)
        if (self.part is None) == (self.material is None):
            raise refusal("bom-line-kind", "a BOM line names exactly one of 'part' or "
                          "'material'")
        if self.material is not None and self.mass is None:
            raise refusal("bom-line-mass", "a material line needs 'mass' (e.g. '0.25 kg')")
        if self.part is not None and self.mass is not None:
            raise refusal("bom-part-mass", "a part line takes 'quantity', not 'mass' (the "
                          "part's own BOM gives its mass)")
        return self


class ReuseOption(Strict):
    """Reuse or remanufacture of a recovered item: ``share`` of the items is inspected or
    reprocessed, ``pass_rate`` of those pass the quality check; failures go on to dismantling
    and recycling."""

    share: Fraction = 0.0
    """Share of the recovered items inspected or reprocessed."""
    pass_rate: Fraction = 1.0
    """Share of those that pass the quality check and are used again."""
    processes: list[str] = Field(default_factory=list)
    """Processes run per item inspected or reprocessed (``share`` × items), whether it passes
    or not."""


class PartReuseOption(ReuseOption):
    """Reuse or remanufacture of an extracted part, and where the parts that pass go."""

    into: Literal["new_products", "spares", "both"] = "new_products"
    """Where parts that pass are used, the year after recovery: ``new_products`` (assembled
    into new products and their new parts, the default), ``spares`` (maintenance
    replacements only) or ``both`` (whatever demand the dedicated pools leave, shared in
    proportion). Parts no demand takes go to the second-hand market."""


class PartRecovery(Strict):
    """What happens to a part once it is extracted (at maintenance or end of life)."""

    reuse: PartReuseOption | None = None
    """Reuse of the part as it is, after inspection."""
    remanufacture: PartReuseOption | None = None
    """Remanufacture of the part (reprocessing), after which it is used as a part again."""
    residual: dict[str, Fraction] | None = None
    """Where the part's remaining mass goes (sinks, shares sum to 1); default: the
    dismantling context's residual."""

    @model_validator(mode="after")
    def _shares(self) -> PartRecovery:
        total = (self.reuse.share if self.reuse else 0) + (
            self.remanufacture.share if self.remanufacture else 0)
        if total > 1.0 + 1e-9:
            raise refusal("reuse-shares-above-one", "reuse.share + remanufacture.share = "
                          "{total}, above 1; lower one of them", total=f"{total:.6g}")
        return self


class Part(Strict):
    """A part or sub-assembly with its own BOM."""

    title: str | None = None
    """Display name."""
    maker: str | None = None
    """Actor who makes it (default: the first part maker, else the product maker)."""
    make: list[str] = Field(default_factory=list)
    """Processes per part made new."""
    price: Factor | None = None
    """Purchase price of a new part (per piece or per kg), paid by ``buyer``: booked as the
    implicit process ``purchase:<part>``, so reusing parts shows up as the buyer's saving."""
    buyer: str | None = None
    """Who buys new parts (default: the first product maker)."""
    bom: list[BomItem] = Field(min_length=1)
    """Bill of materials: sub-parts and materials per piece."""
    recovery: PartRecovery = Field(default_factory=PartRecovery)
    """What happens to the part once it is extracted."""


class Collection(Strict):
    """Collection of retired products or replaced parts."""

    rate: Fraction = 0.0
    """Share of the items collected."""
    processes: list[str] = Field(default_factory=list)
    """Processes per item collected (collection, transport legs)."""


class ProductReuse(ReuseOption):
    """Product reuse: collected products that pass are refurbished and supply next year's
    demand (displacing new products); surplus goes to the second-hand market."""

    lifetime: Lifetime | None = None
    """Second-life lifetime (default: the product's lifetime)."""


class Extraction(Strict):
    """A part taken out at dismantling: its path in the BOM (``compressor/magnet``) and the
    processes run per part extracted."""

    path: str
    """BOM path of the extracted part, e.g. ``compressor/magnet``."""
    processes: list[str] = Field(default_factory=list)
    """Processes run per part extracted."""


def _extraction(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class _PathOrExtraction:
    """JSON Schema of an extraction: a BOM path alone, or the object."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "description": "A BOM path alone, e.g. "
                           "'compressor/magnet' (no processes)"}, handler(core_schema)]}


ExtractionItem = Annotated[Extraction, BeforeValidator(_extraction), _PathOrExtraction()]


class Dismantling(Strict):
    """Dismantling of collected products: which parts are extracted (the depth) and where the
    rest goes."""

    processes: list[str] = Field(default_factory=list)
    """Processes per product dismantled."""
    extract: list[ExtractionItem] = Field(default_factory=list)
    """BOM paths taken out, e.g. ``[compressor, compressor/magnet]``."""
    residual: dict[str, Fraction] = Field(default_factory=dict)
    """Where the non-extracted mass goes (sinks, shares sum to 1)."""


class EndOfLife(Strict):
    """Routes for retired products."""

    collection: Collection = Field(default_factory=Collection)
    """Collection of retired products."""
    reuse: ProductReuse | None = None
    """Reuse of collected products (refurbished, sold again)."""
    dismantling: Dismantling = Field(default_factory=Dismantling)
    """Dismantling of the collected products not reused."""
    uncollected: dict[str, Fraction] = Field(default_factory=dict)
    """Where retired products that are not collected go (sinks, shares sum to 1)."""


class Maintenance(Strict):
    """Part replacement during use. Give ``replacement_rate`` (constant per year) or the part's
    ``lifetime``; failed parts are replaced one for one while the product is in use."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["replacement_rate"], "properties": {
            "replacement_rate": {"not": {"type": "null"}}, "lifetime": {"type": "null"}}},
        {"required": ["lifetime"], "properties": {
            "lifetime": {"not": {"type": "null"}}, "replacement_rate": {"type": "null"}}}]})

    part: str
    """BOM path of the replaced part in the product, e.g. ``compressor``."""
    replacement_rate: AnnualRate | None = None
    """Replacements per installed part per year in use (charged on piece-years in use, the
    exposure basis of the use phase)."""
    lifetime: Lifetime | None = None
    """The part's own lifetime: its clock starts when its product enters use and again at
    each replacement."""
    processes: list[str] = Field(default_factory=list)
    """Processes per replacement (service visit)."""
    collection: Collection = Field(default_factory=Collection)
    """Collection of the replaced parts."""
    extract: list[ExtractionItem] = Field(default_factory=list)
    """Sub-part paths, relative to the replaced part, taken out of collected parts."""
    residual: dict[str, Fraction] | None = None
    """Where the collected part's remaining mass goes (default: the part's own residual)."""
    uncollected: dict[str, Fraction] = Field(default_factory=dict)
    """Where replaced parts that are not collected go (sinks, shares sum to 1)."""

    @model_validator(mode="after")
    def _one_hazard(self) -> Maintenance:
        if (self.replacement_rate is None) == (self.lifetime is None):
            raise refusal("replacement-rule", "give exactly one of 'replacement_rate' or "
                          "'lifetime'")
        return self


class Product(Strict):
    """A product sold to users, with its BOM, lifetime, maintenance and end-of-life routes."""

    title: str | None = None
    """Display name."""
    maker: str | None = None
    """Actor who assembles it (default: the first product maker)."""
    make: list[str] = Field(default_factory=list)
    """Processes per product assembled new."""
    use: list[str] = Field(default_factory=list)
    """Processes per product in use per year."""
    sales: Sales
    """Units put into use per year: a number, or ``{year: units}`` interpolated linearly and held
    constant outside the given years."""
    lifetime: Lifetime
    """Lifetime of a new product (it enters use mid-year)."""
    bom: list[BomItem] = Field(min_length=1)
    """Bill of materials: parts and materials per product."""
    maintenance: list[Maintenance] = Field(default_factory=list)
    """Part replacements while the product is in use."""
    eol: EndOfLife = Field(default_factory=EndOfLife)
    """What happens to the product's retired items: collection, reuse, dismantling and the
    routes of what is not collected."""


class LifecycleModel(Strict):
    """A value-network model: the root of a model document."""

    junkan: Literal[1] = 1
    """Format version."""
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    """Identifier of the model (letters, digits, ``_ . -``)."""
    title: str | None = None
    """Display title."""
    description: str | None = None
    """Free text."""
    currency: Literal["JPY", "USD", "EUR"] = "JPY"
    """Currency of every cost and revenue (no exchange rate is ever assumed)."""
    years: Years
    """The simulated horizon."""
    uses: list[str] = Field(default_factory=list)
    """Library templates imported by name (``junkan library`` lists them)."""
    baseline_name: str = "baseline"
    """Name of the baseline scenario (the document without overrides)."""
    actors: dict[str, Actor] = Field(min_length=1)
    """Companies and bodies of the value network, by name."""
    modes: dict[str, Mode] = Field(default_factory=dict)
    """Transport modes, by name."""
    processes: dict[str, Process] = Field(default_factory=dict)
    """Process steps and sinks, by name."""
    materials: dict[str, Material] = Field(min_length=1)
    """Materials, by name."""
    parts: dict[str, Part] = Field(default_factory=dict)
    """Parts and sub-assemblies, by name."""
    products: dict[str, Product] = Field(min_length=1)
    """Products sold to users, by name."""
    headline: dict[str, Headline] = Field(default_factory=dict)
    """Headline figures ``junkan compare`` prints, by name."""
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    """Named scenarios, each a set of overrides of the baseline."""
    sources: dict[str, str] = Field(default_factory=dict)
    """Bibliography: key → full citation, for use in ``source`` strings."""
    uncertainty: UncertaintySection | None = None
    """Uncertain parameters with distributions and sources, and observed figures to calibrate
    against (``junkan uncertainty``, ``sensitivity``, ``calibrate``)."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of a model document, as the loader reads it:
        quantities are strings with units; a description on every field."""
        schema = super().model_json_schema(*args, **kwargs)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}

    @field_serializer("parts")
    def _parts(self, parts: Mapping[str, Part]) -> dict[str, Part]:
        """The parts as a dict, also when validation left them as columns
        (:class:`~junkan.lifecycle.part_table.PartTable`, a mapping)."""
        return dict(parts.items())

    @field_validator("scenarios", mode="before")
    @classmethod
    def _scenario_count(cls, v: Any) -> Any:
        lim = limits()
        if isinstance(v, dict) and len(v) > lim.scenarios:
            raise refusal("scenarios-too-many", "{count} scenarios, more than the limit "
                          "{limit} ({setting}); every scenario is validated and compiled on "
                          "load — split the model or raise the limit", count=f"{len(v):,}",
                          limit=f"{lim.scenarios:,}", setting=lim.env("scenarios"))
        return v

    @field_validator("headline", "scenarios")
    @classmethod
    def _against_earlier(cls, v: Any, info: ValidationInfo) -> Any:
        return checked_section(info.field_name, v, info.data)
