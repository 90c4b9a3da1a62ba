"""The one input model every framework computes from (YAML/JSON in, units via pint).

Fractions are plain numbers in [0, 1]; masses, energy and water carry units. Industry-average
lifetimes and use intensities must say where they come from (``*_source``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from junkan.core.base import Strict
from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem
from junkan.core.fields import Duration, Fraction, Mass, quantity_converter

Energy = Annotated[float, BeforeValidator(quantity_converter("MWh", "energy"))]
"""Energy, stored in MWh."""
Volume = Annotated[float, BeforeValidator(quantity_converter("m**3", "volume"))]
"""Water volume, stored in m³."""

Route = Literal["reuse", "refurbish", "remanufacture", "recycling", "composting", "digestion",
                "energy_recovery", "incineration", "landfill", "export", "other_recovery",
                "other_disposal"]
"""Where an outflow goes. ``digestion`` is anaerobic digestion; ``energy_recovery`` is waste
used principally as a fuel (Directive 2008/98/EC Annex II, R1); ``incineration`` is
incineration without energy recovery (Annex I, D10); ``export`` is an outflow sent abroad whose
treatment is not known."""
DIVERTED = ("reuse", "refurbish", "remanufacture", "recycling", "composting", "digestion",
            "energy_recovery", "other_recovery")
"""Waste diverted from disposal (ESRS E5-5 §37(b)): preparation for reuse, recycling
(composting and digestion included, Directive 2008/98/EC Art. 3(17)) and other recovery
(energy recovery included, Art. 4(1)(d))."""
DISPOSED = ("incineration", "landfill", "other_disposal")
"""Waste directed to disposal (ESRS E5-5 §37(c))."""


class Inflow(Strict):
    """A material or component entering the organisation in the period."""

    name: str
    mass: Mass = Field(gt=0)
    reused: Fraction = 0.0
    """Share that is reused (components, products)."""
    recycled: Fraction = 0.0
    """Share that is recycled (secondary) material."""
    recycling_efficiency: Fraction | None = None
    """Efficiency of the recycling process that made the recycled share (the MCI's E_F: the
    recycled kg out per kg of scrap in). A product that does not state its own
    ``recycling_efficiency_feedstock`` takes its E_F from the inflows
    (:func:`feedstock_efficiency`); only with a recycled share above 0."""
    renewable: Fraction = 0.0
    """Share that is virgin renewable material from sustained production."""
    critical: bool = False
    """A critical raw material (e.g. EU CRM list, rare earths)."""
    biological: bool = False
    """Biological material (ESRS E5-4 §31(b))."""

    @model_validator(mode="after")
    def _sum(self) -> Inflow:
        if self.reused + self.recycled + self.renewable > 1 + 1e-12:
            raise ValueError(f"reused + recycled + renewable = "
                             f"{self.reused + self.recycled + self.renewable:.6g}, above 1")
        if self.recycling_efficiency is not None:
            if self.recycled == 0:
                raise ValueError("recycling_efficiency is the efficiency of the process that "
                                 "made the recycled share (MCI E_F), but recycled is 0; give "
                                 "recycled or drop recycling_efficiency")
            if self.recycling_efficiency == 0:
                raise ValueError("recycling_efficiency must be above 0 when there is a "
                                 "recycled share (MCI W_F = M (1 − E_F) F_R / E_F)")
        return self


class Outflow(Strict):
    """Products, by-products or waste leaving the organisation, by route."""

    name: str
    mass: Mass = Field(ge=0)
    kind: Literal["product", "by-product", "waste"] = "waste"
    route: Route
    recovery_potential: Fraction = 1.0
    """Share that could technically be recovered (CTI)."""
    actual_recovery: Fraction = 0.0
    """Share of the recoverable part that is demonstrably recovered (CTI): the mass recovered
    is ``mass × recovery_potential × actual_recovery`` in every framework."""
    hazardous: bool = False
    radioactive: bool = False


class ProductUse(Strict):
    """A product for MCI: mass, feedstock, end of life, lifetime and use intensity."""

    name: str
    mass: Mass = Field(gt=0)
    """M: the product's mass — of one unit, or of the period's flow of it (its MCI is the
    same). ISO 59020's average lifetime over products weighs each by this mass, so give the
    period's flow for an average by volume (a 9 kg tyre and a 1,500 kg car given per unit
    weigh 9 : 1,500 whatever the numbers sold; review 319)."""
    recycled_feedstock: Fraction = 0.0
    reused_feedstock: Fraction = 0.0
    sustained_bio_feedstock: Fraction = 0.0
    collected_for_recycling: Fraction = 0.0
    collected_for_reuse: Fraction = 0.0
    composted: Fraction = 0.0
    """C_C: share of the mass composted at end of life (2019 extension: biological materials
    only)."""
    energy_recovered: Fraction = 0.0
    """C_E: share of the mass in *qualifying* energy recovery (2019 extension: biological
    materials only, C_E = E_E · B_C, E_E the recovery's efficiency against the material's
    heating value); energy recovery of technical materials is waste (W_0) and is not given
    here."""
    biological_share: Fraction | None = None
    """Share of the mass that is biological material. Given, ``composted + energy_recovered``
    may not exceed it; not given, they are credited as stated and the product's MCI notes say
    that they were not checked (review 276)."""
    recycling_efficiency_eol: Fraction = 1.0
    recycling_efficiency_feedstock: Fraction | None = None
    """E_F: efficiency of the recycling process that made the recycled feedstock. Not given:
    taken from the inflows' ``recycling_efficiency`` (:func:`feedstock_efficiency`), else
    1.0 (no losses), which the product's MCI notes say."""
    lifetime: Duration | None = None
    industry_lifetime: Duration | None = None
    industry_lifetime_source: str | None = None
    use_intensity: float | None = Field(default=None, gt=0)
    industry_use_intensity: float | None = Field(default=None, gt=0)
    industry_use_intensity_source: str | None = None
    revenue: float | None = Field(default=None, ge=0)
    """The company MCI's weight R_i; with two or more products every product needs it."""
    _ef_is_eol: bool = PrivateAttr(default=False)
    _no_flows: bool = PrivateAttr(default=False)
    _not_made: bool = PrivateAttr(default=False)
    _eol_routed: bool = PrivateAttr(default=False)

    @classmethod
    def simulated(cls, *, ef_is_eol: bool, no_flows: bool, not_made: bool = False,
                  eol_routed: bool = False, **fields: Any) -> ProductUse:
        """A product of a simulation (:func:`junkan.indicators.from_lifecycle`) with the
        facts only a simulation states — not fields of a flow model's document (review 319:
        ``no_flows: true`` in a document took a product out of the company MCI, saying it had
        no flows, and ``ef_is_eol: true`` added a note about a simulation that never ran).
        ``not_made``: no piece was made in the window, so its feedstock is not known (its MCI
        is not computed); ``eol_routed``: none reached its end of life in the window, so its
        end-of-life shares are those its routing gives a retired piece (its MCI notes say)."""
        product = cls(**fields)
        product._ef_is_eol, product._no_flows = ef_is_eol, no_flows
        product._not_made, product._eol_routed = not_made, eol_routed
        return product

    @property
    def not_made(self) -> bool:
        """No piece of the product was made in the simulated window: its feedstock shares are
        not known."""
        return self._not_made

    @property
    def eol_routed(self) -> bool:
        """No piece reached its end of life in the simulated window: its end-of-life shares
        are those of its routing per retired piece."""
        return self._eol_routed

    @property
    def ef_is_eol(self) -> bool:
        """``recycling_efficiency_feedstock`` is assumed, not known: a simulated system's own
        recycling efficiency E_C, which the product's MCI notes say (review 276)."""
        return self._ef_is_eol

    @property
    def no_flows(self) -> bool:
        """The product has no flows in the period (a simulation's window in which it is
        neither made nor retired): its MCI is not computed, and the company MCI leaves it
        out."""
        return self._no_flows

    @model_validator(mode="after")
    def _sources(self) -> ProductUse:
        if self.industry_lifetime is not None and not self.industry_lifetime_source:
            raise ValueError("industry_lifetime needs industry_lifetime_source (where the "
                             "average comes from)")
        if self.industry_use_intensity is not None and not self.industry_use_intensity_source:
            raise ValueError("industry_use_intensity needs industry_use_intensity_source")
        bio = self.composted + self.energy_recovered
        if self.biological_share is not None and bio > self.biological_share + 1e-12:
            raise ValueError(
                f"composted + energy_recovered = {bio:.6g} is above biological_share "
                f"{self.biological_share:.6g}: the MCI (2019 extension) credits composting and "
                "energy recovery of biological materials only")
        if (self.biological_share is not None
                and self.sustained_bio_feedstock > self.biological_share + 1e-12):
            raise ValueError(  # review 319: 0.9 of a product 0.1 biological was credited
                f"sustained_bio_feedstock {self.sustained_bio_feedstock:.6g} is above "
                f"biological_share {self.biological_share:.6g}: F_S (2019 extension) is "
                "biological feedstock from sustained production")
        if (self.lifetime is None) != (self.industry_lifetime is None):
            raise ValueError("give both lifetime and industry_lifetime, or neither")
        if (self.use_intensity is None) != (self.industry_use_intensity is None):
            raise ValueError("give both use_intensity and industry_use_intensity, or neither")
        return self


def _above(part: float, whole: float, scale: float) -> bool:
    """Whether ``part`` exceeds ``whole`` by more than a rounding residue of quantities of
    size ``scale`` (one part in 10⁹). The residue was 1e-9 MWh or m³ whatever the size (review
    319): 1.0009 Wh exported of 1 Wh taken in passed, and the renewable share of the energy
    consumed (min(renewable − exported renewable, consumed) ÷ consumed, both negative) came
    out 100 % with no renewable energy at all."""
    return part > whole + 1e-9 * scale


class EnergySource(Strict):
    source: str
    """e.g. grid, on-site solar, city gas."""
    amount: Energy = Field(ge=0)
    renewable: bool = False


class EnergyUse(Strict):
    """Energy taken in during the period: ``total`` and ``renewable``, or a ``by_source``
    breakdown (from which both are derived); energy leaving the site (sold electricity or heat)
    as ``exported`` and its renewable part ``exported_renewable`` (ISO 59020:2024 formula (A.8):
    EITE, EIRENE, EOTE, EORENE)."""

    total: Energy | None = Field(default=None, ge=0)
    renewable: Energy | None = Field(default=None, ge=0)
    by_source: list[EnergySource] = Field(default_factory=list)
    exported: Energy = Field(default=0.0, ge=0)
    """Energy leaving the site (EOTE)."""
    exported_renewable: Energy = Field(default=0.0, ge=0)
    """Renewable energy leaving the site (EORENE)."""

    @model_validator(mode="after")
    def _derive(self) -> EnergyUse:
        if self.by_source:
            total = sum(e.amount for e in self.by_source)
            ren = sum(e.amount for e in self.by_source if e.renewable)
            for name, given, derived in (("total", self.total, total),
                                         ("renewable", self.renewable, ren)):
                if given is not None and abs(given - derived) > 1e-9 * max(1.0, derived):
                    raise ValueError(f"{name} ({given} MWh) differs from the sum of by_source "
                                     f"({derived} MWh); give one or make them agree")
            self.total, self.renewable = total, ren
        if self.total is None:
            raise ValueError("give total (e.g. '400 MWh') or by_source")
        if self.renewable is None:
            self.renewable = 0.0
        scale = max(self.total, self.renewable, self.exported)
        if _above(self.renewable, self.total, scale):
            raise ValueError("renewable energy exceeds total energy")
        if _above(self.exported, self.total, scale):
            raise ValueError("exported energy exceeds total energy taken in")
        if _above(self.exported_renewable, min(self.exported, self.renewable), scale):
            raise ValueError("exported_renewable exceeds exported or renewable energy")
        if _above(self.exported - self.exported_renewable, self.total - self.renewable, scale):
            raise ValueError("exported non-renewable energy (exported − exported_renewable) "
                             "exceeds the non-renewable energy taken in (total − renewable)")
        return self

    @property
    def consumed(self) -> float:
        """Net energy consumed: taken in − exported (MWh)."""
        return (self.total or 0.0) - self.exported

    @property
    def consumed_renewable(self) -> float:
        """Net renewable energy consumed: renewable taken in − renewable exported (MWh); at
        least 0 and at most :attr:`consumed` (the validation allows a rounding difference, not
        more; review 319: 0.0000001 MWh more renewable exported than taken in, within it, of
        0.001 MWh consumed gave a renewable share of −0.01 %)."""
        return max(0.0, min((self.renewable or 0.0) - self.exported_renewable, self.consumed))


class WaterUse(Strict):
    withdrawn: Volume = Field(ge=0)
    withdrawn_circular: Volume = Field(default=0.0, ge=0)
    """Withdrawn from circular sources (reclaimed, rain, other organisations' effluent)."""
    recirculated: Volume = Field(default=0.0, ge=0)
    """Recirculated on site."""
    discharged: Volume = Field(default=0.0, ge=0)
    discharged_at_quality: Volume = Field(default=0.0, ge=0)
    """Discharged at (or better than) the quality required for further use."""

    @model_validator(mode="after")
    def _le(self) -> WaterUse:
        if _above(self.withdrawn_circular, self.withdrawn, self.withdrawn_circular):
            raise ValueError("withdrawn_circular exceeds withdrawn")
        if _above(self.discharged_at_quality, self.discharged, self.discharged_at_quality):
            raise ValueError("discharged_at_quality exceeds discharged")
        return self


class Capex(Strict):
    """An asset used for circulation (RAP denominator)."""

    name: str
    amount: float = Field(ge=0)
    legal_service_life: Duration
    actual_life_index: float = Field(default=1.0, gt=0)
    """Actual life ÷ average life of such assets."""


class BasePeriod(Strict):
    """Revenue and total resource inflow of an earlier period, for the resource intensity
    index (ISO 59020:2024 A.6.3)."""

    label: str
    """e.g. ``FY2020``."""
    revenue: float = Field(gt=0)
    total_inflow: Mass = Field(gt=0)


class Finance(Strict):
    """Money in the model currency."""

    revenue: float = Field(ge=0)
    value_added: float | None = None
    """Sales − costs paid to other companies (RAP numerator)."""
    variable_circulation_cost: float = Field(default=0.0, ge=0)
    """Variable cost of sales for circulation (collection etc.)."""
    capex: list[Capex] = Field(default_factory=list)
    base_period: BasePeriod | None = None
    """An earlier period to compare with (resource intensity index)."""


class FlowModel(Strict):
    """One organisation's (or product system's) flows in one period."""

    name: str
    period: str | None = None
    currency: Literal["JPY", "USD", "EUR"] = "JPY"
    inflows: list[Inflow] = Field(default_factory=list)
    outflows: list[Outflow] = Field(default_factory=list)
    products: list[ProductUse] = Field(default_factory=list)
    energy: EnergyUse | None = None
    water: WaterUse | None = None
    finance: Finance | None = None

    @model_validator(mode="after")
    def _unique_products(self) -> FlowModel:
        seen: dict[str, int] = {}
        for i, p in enumerate(self.products):
            if p.name in seen:
                raise ValueError(f"products[{seen[p.name]}] and products[{i}] are both named "
                                 f"{p.name!r}; each product needs its own name (its MCI is "
                                 f"mci.product.<name>)")
            seen[p.name] = i
        return self


def feedstock_efficiency(inflows: list[Inflow]) -> tuple[float, list[str]] | None:
    """The E_F of the recycled feedstock from the inflows that state ``recycling_efficiency``:
    the harmonic mean weighted by recycled mass, Σ m_i r_i / Σ (m_i r_i / E_i), so that
    M (1 − E_F) F_R / E_F equals the sum of each inflow's losses W_F. Inflows with a recycled
    share that do not state it count as 1.0. ``None`` when no inflow states it; otherwise the
    value and the names of the inflows that stated it."""
    stated = [i for i in inflows if i.recycling_efficiency is not None and i.recycled > 0]
    if not stated:
        return None
    recycled = [(i.mass * i.recycled, i.recycling_efficiency or 1.0) for i in inflows
                if i.recycled > 0]
    total = math.fsum(m for m, _ in recycled)
    return total / math.fsum(m / e for m, e in recycled), [i.name for i in stated]


FLOW_SECTIONS = ("inflows", "outflows", "energy", "water", "finance")
"""Top-level sections only a flow model has."""
LIFECYCLE_SECTIONS = ("junkan", "years", "actors", "materials", "parts", "processes", "modes",
                      "scenarios", "headline", "uncertainty", "uses", "baseline_name")
"""Top-level sections only a lifecycle model has (its ``products`` is a mapping, a flow
model's a list)."""


def is_flow_document(doc: Any) -> bool:
    """Whether a parsed document is a flow model (the one decision of ``junkan indicators``
    and ``POST /api/indicators``): it has a flow section (inflows, outflows, energy, water,
    finance) or a list of products, or none of a lifecycle model's sections (years, actors,
    materials … or ``products`` as a mapping)."""
    if not isinstance(doc, dict):
        return True  # validation names what is wrong
    if any(k in doc for k in FLOW_SECTIONS) or isinstance(doc.get("products"), list):
        return True
    return not (any(k in doc for k in LIFECYCLE_SECTIONS)
                or isinstance(doc.get("products"), dict))


def load_flow_model(path: str | Path | None = None, *, text: str | None = None,
                    doc: dict[str, Any] | None = None, source: str = "<flows>") -> FlowModel:
    """Read and validate a flow model (within :func:`junkan.core.limits.limits`); errors name
    the document path."""
    if path is not None:
        source = str(path)
        doc = read_document(path)
    if doc is None:
        if text is None:
            raise ValueError("give a path, text or doc")
        doc = parse_document(text, source=source)
    if not is_flow_document(doc):
        keys = [k for k in (*LIFECYCLE_SECTIONS, "products") if k in doc]
        raise ModelError([Problem("", f"not a flow model: it has {', '.join(keys)} (sections "
                                      "of a lifecycle model) and none of inflows, outflows, a "
                                      "list of products, energy, water, finance; a lifecycle "
                                      "model's indicators come from `junkan indicators FILE` "
                                      "or a lifecycle run")], source)
    return validate_with(FlowModel, doc, source)
