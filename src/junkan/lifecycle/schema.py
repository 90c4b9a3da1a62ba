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

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from junkan.core.base import Strict as BaseStrict
from junkan.core.fields import (
    YEAR_MAX,
    YEAR_MIN,
    AnnualRate,
    Distance,
    Duration,
    Fraction,
    Mass,
    Year,
    Years,
)
from junkan.core.limits import limits
from junkan.core.quantities import parse_unit
from junkan.core.registry import UnitParseError

__all__ = ["YEAR_MAX", "YEAR_MIN", "AnnualRate", "Distance", "Duration", "Fraction",
           "LifecycleModel", "Mass", "SINK_KINDS", "Year", "Years"]

class Strict(BaseStrict):
    """Base: unknown keys are errors (they are usually typos); fields also by their name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


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
    """What the actor does (the actor types of the Hitachi–AIST Circular Economy Lab's value
    network)."""
    title: str | None = None
    """Display name."""


Stage = Literal[
    "material",
    "manufacturing",
    "distribution",
    "use",
    "maintenance",
    "collection",
    "transport",
    "reuse",
    "remanufacturing",
    "dismantling",
    "recycling",
    "energy_recovery",
    "disposal",
    "export",
]

ProcessKind = Literal["activity", "recycling", "energy_recovery", "incineration", "landfill",
                      "export"]
SINK_KINDS = ("recycling", "energy_recovery", "incineration", "landfill", "export")


class Process(Strict):
    """A process step with unit factors (原単位) per unit of activity.

    The activity basis is read from the unit's denominator: ``per piece`` (counted items),
    ``per kg`` (mass handled) or ``per t*km`` (transport; needs ``distance``). Use-phase
    processes are per piece in use per year. All factors of one process share one basis.
    """

    actor: str
    """Who runs it; CO2e, cost and revenue are booked to this actor."""
    stage: Stage
    """Life-cycle stage, for CO2 by stage."""
    kind: ProcessKind = "activity"
    """``activity`` for ordinary steps; sinks that route mass: ``recycling`` (needs ``yields``),
    ``energy_recovery``, ``incineration``, ``landfill``, ``export``."""
    title: str | None = None
    co2e: str | float | None = None
    """e.g. ``"1.5 kgCO2e/piece"``, ``"0.21 kgCO2e/kg"``, ``"208 gCO2e/(t*km)"``."""
    energy: str | float | None = None
    """e.g. ``"8.8 kWh/piece"``, ``"3 MJ/kg"``."""
    cost: str | float | None = None
    """Cost to the actor, in the model currency, e.g. ``"1200 JPY/piece"``."""
    revenue: str | float | None = None
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

    co2e: str | float | None = None
    energy: str | float | None = None
    cost: str | float | None = None
    source: str = Field(min_length=1)
    title: str | None = None


# ---------------------------------------------------------------------------------------------
# Materials, parts, products


class MaterialSupply(Strict):
    """Unit factors of supplying one kg of a material (virgin or recycled)."""

    co2e: str | float | None = None
    energy: str | float | None = None
    cost: str | float | None = None
    source: str = Field(min_length=1)


class Material(Strict):
    """A material with its virgin and recycled supply factors."""

    title: str | None = None
    composition: dict[str, Fraction] = Field(default_factory=dict)
    """Optional element mass fractions, e.g. ``{Nd: 0.23, Dy: 0.04, Fe: 0.66}``."""
    buyer: str | None = None
    """Actor who buys this material (default: the first part maker, else product maker)."""
    virgin: MaterialSupply
    recycled: MaterialSupply | None = None

    @field_validator("composition")
    @classmethod
    def _composition_sums(cls, v: dict[str, float]) -> dict[str, float]:
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError(f"element fractions sum to {sum(v.values()):.6g}, above 1")
        return v


class BomItem(Strict):
    """One line of a bill of materials: a sub-part (``part`` × ``quantity``) or a material
    (``material`` with ``mass`` per unit of the parent)."""

    part: str | None = None
    quantity: float = Field(default=1.0, gt=0, le=1e6)
    """Pieces of the part per parent (at most a million)."""
    material: str | None = None
    mass: Mass | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> BomItem:
        if (self.part is None) == (self.material is None):
            raise ValueError("a BOM line names exactly one of 'part' or 'material'")
        if self.material is not None and self.mass is None:
            raise ValueError("a material line needs 'mass' (e.g. '0.25 kg')")
        if self.part is not None and self.mass is not None:
            raise ValueError("a part line takes 'quantity', not 'mass' (the part's own BOM "
                             "gives its mass)")
        return self


class ReuseOption(Strict):
    """Reuse or remanufacture of a recovered item: ``share`` of the items is inspected or
    reprocessed, ``pass_rate`` of those pass the quality check; failures go on to dismantling
    and recycling."""

    share: Fraction = 0.0
    pass_rate: Fraction = 1.0
    processes: list[str] = Field(default_factory=list)
    """Processes run per item inspected/reprocessed."""


class PartRecovery(Strict):
    """What happens to a part once it is extracted (at maintenance or end of life)."""

    reuse: ReuseOption | None = None
    remanufacture: ReuseOption | None = None
    residual: dict[str, Fraction] | None = None
    """Where the part's remaining mass goes (sinks, shares sum to 1); default: the
    dismantling context's residual."""

    @model_validator(mode="after")
    def _shares(self) -> PartRecovery:
        total = (self.reuse.share if self.reuse else 0) + (
            self.remanufacture.share if self.remanufacture else 0)
        if total > 1.0 + 1e-9:
            raise ValueError(f"reuse.share + remanufacture.share = {total:.6g}, above 1; "
                             "lower one of them")
        return self


class Part(Strict):
    """A part or sub-assembly with its own BOM."""

    title: str | None = None
    maker: str | None = None
    """Actor who makes it (default: the first part maker, else the product maker)."""
    make: list[str] = Field(default_factory=list)
    """Processes per part made new."""
    price: str | float | None = None
    """Purchase price of a new part (per piece or per kg), paid by ``buyer``: booked as the
    implicit process ``purchase:<part>``, so reusing parts shows up as the buyer's saving."""
    buyer: str | None = None
    """Who buys new parts (default: the first product maker)."""
    bom: list[BomItem] = Field(min_length=1)
    recovery: PartRecovery = Field(default_factory=PartRecovery)


class Lifetime(Strict):
    """A lifetime distribution. Inflows enter mid-year (as flodym's default ``inflow_at='middle'``).

    ``fixed``: ``mean``; ``normal`` / ``lognormal``: ``mean`` and ``std`` (of the lifetime itself);
    ``weibull``: ``scale`` and ``shape``."""

    distribution: Literal["fixed", "normal", "lognormal", "weibull"]
    mean: Duration | None = None
    std: Duration | None = None
    scale: Duration | None = None
    shape: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _params(self) -> Lifetime:
        need = {"fixed": ("mean",), "normal": ("mean", "std"), "lognormal": ("mean", "std"),
                "weibull": ("scale", "shape")}[self.distribution]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.distribution} lifetime needs {', '.join(missing)} "
                             f"(e.g. mean: '12 year')")
        extra = [n for n in ("mean", "std", "scale", "shape")
                 if n not in need and getattr(self, n) is not None]
        if extra:
            raise ValueError(f"a {self.distribution} lifetime takes {', '.join(need)}, "
                             f"not {', '.join(extra)}")
        return self


class Collection(Strict):
    """Collection of retired products or replaced parts."""

    rate: Fraction = 0.0
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
    processes: list[str] = Field(default_factory=list)


def _extraction(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


ExtractionItem = Annotated[Extraction, BeforeValidator(_extraction)]


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
    reuse: ProductReuse | None = None
    dismantling: Dismantling = Field(default_factory=Dismantling)
    uncollected: dict[str, Fraction] = Field(default_factory=dict)
    """Where retired products that are not collected go (sinks, shares sum to 1)."""


class Maintenance(Strict):
    """Part replacement during use. Give ``replacement_rate`` (constant per year) or the part's
    ``lifetime``; failed parts are replaced one for one while the product is in use."""

    part: str
    """BOM path of the replaced part in the product, e.g. ``compressor``."""
    replacement_rate: AnnualRate | None = None
    lifetime: Lifetime | None = None
    processes: list[str] = Field(default_factory=list)
    """Processes per replacement (service visit)."""
    collection: Collection = Field(default_factory=Collection)
    extract: list[ExtractionItem] = Field(default_factory=list)
    """Sub-part paths, relative to the replaced part, taken out of collected parts."""
    residual: dict[str, Fraction] | None = None
    """Where the collected part's remaining mass goes (default: the part's own residual)."""
    uncollected: dict[str, Fraction] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_hazard(self) -> Maintenance:
        if (self.replacement_rate is None) == (self.lifetime is None):
            raise ValueError("give exactly one of 'replacement_rate' or 'lifetime'")
        return self


def _sales(value: Any) -> Any:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"constant": value}
    return value


class Product(Strict):
    """A product sold to users, with its BOM, lifetime, maintenance and end-of-life routes."""

    title: str | None = None
    maker: str | None = None
    """Actor who assembles it (default: the first product maker)."""
    make: list[str] = Field(default_factory=list)
    """Processes per product assembled new."""
    use: list[str] = Field(default_factory=list)
    """Processes per product in use per year."""
    sales: Annotated[dict[str | int, float | str], BeforeValidator(_sales)]
    """Units put into use per year: a number, or ``{year: units}`` interpolated linearly and held
    constant outside the given years."""
    lifetime: Lifetime
    bom: list[BomItem] = Field(min_length=1)
    maintenance: list[Maintenance] = Field(default_factory=list)
    eol: EndOfLife = Field(default_factory=EndOfLife)


# ---------------------------------------------------------------------------------------------
# Headline figures and scenarios


class Selection(Strict):
    """A figure computed from results: a ``metric`` filtered and aggregated over years."""

    metric: Literal[
        "co2e", "energy", "cost", "revenue", "margin", "activity",
        "virgin_input", "recycled_input", "recycled_share", "reused_input",
        "circular_inflow_share", "outflow", "reuse_rate", "recycling_rate",
        "final_disposal", "products_made", "parts_made", "stock",
    ]
    processes: list[str] | None = None
    actors: list[str] | None = None
    stages: list[str] | None = None
    material: str | None = None
    part: str | None = None
    product: str | None = None
    years: tuple[Year, Year] | None = None
    """Inclusive year range (default: the whole horizon)."""
    aggregate: Literal["sum", "mean"] = "sum"
    """Over the years: total, or annual mean."""
    per: Selection | None = None
    """Divide by another selection (e.g. cost per part made)."""


class Headline(Selection):
    """A headline figure printed by ``junkan compare`` for each scenario."""

    compare: Literal["value", "change", "reduction", "index", "change_index"] = "value"
    """``change`` = scenario − reference; ``reduction`` = reference − scenario;
    ``index`` = scenario / reference; ``change_index`` = (scenario − baseline) /
    (reference − baseline), e.g. a gain indexed to today's practice."""
    relative_to: str | None = None
    """Reference scenario (default: the baseline)."""
    unit: str | None = None
    """Display unit (e.g. ``t`` for a mass or ``tCO2e`` for CO2e)."""

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_unit(v)
            except UnitParseError as exc:
                raise ValueError(str(exc)) from None
        return v
    scenarios: list[str] | None = None
    """Only for these scenarios (default: all)."""
    description: str | None = None


class Scenario(Strict):
    """Named overrides of the baseline: ``set`` maps document paths to new values."""

    description: str | None = None
    extends: str | None = None
    """Apply another scenario's overrides first."""
    set: dict[str, Any] = Field(default_factory=dict)


class LifecycleModel(Strict):
    """A value-network model: the root of a model document."""

    junkan: Literal[1] = 1
    """Format version."""
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str | None = None
    description: str | None = None
    currency: Literal["JPY", "USD", "EUR"] = "JPY"
    years: Years
    uses: list[str] = Field(default_factory=list)
    """Library templates imported by name (``junkan library`` lists them)."""
    baseline_name: str = "baseline"
    actors: dict[str, Actor] = Field(min_length=1)
    modes: dict[str, Mode] = Field(default_factory=dict)
    processes: dict[str, Process] = Field(default_factory=dict)
    materials: dict[str, Material] = Field(min_length=1)
    parts: dict[str, Part] = Field(default_factory=dict)
    products: dict[str, Product] = Field(min_length=1)
    headline: dict[str, Headline] = Field(default_factory=dict)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    """Bibliography: key → full citation, for use in ``source`` strings."""

    @field_validator("scenarios", mode="before")
    @classmethod
    def _scenario_count(cls, v: Any) -> Any:
        lim = limits()
        if isinstance(v, dict) and len(v) > lim.scenarios:
            raise ValueError(f"{len(v):,} scenarios, more than the {lim.describe('scenarios')}; "
                             "every scenario is validated and compiled on load — split the "
                             "model or raise the limit")
        return v
