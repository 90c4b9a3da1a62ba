"""What a declarer states about how a footprint was made (PACT v3 ProductFootprint facts),
and the facts of a lot made from others. Every field is optional: what a footprint states
without it is in ``junkan/data/trace/pact_defaults.yaml`` (or, for the fossil carbon content,
``carbon_content.yaml``), see docs/trace.md."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, Field, PlainSerializer, StrictBool, model_validator

from junkan.core.base import Plain as Strict  # audits validate millions: see Plain
from junkan.core.fields import IsoDateTime
from junkan.trace.numbers import MAX_CFP_KG, CarbonKg, Percent, Quantity
from junkan.trace.pcf_data import add_years, carbon_content, default, stamp, utc

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code."""
Subdivision = Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]
"""ISO 3166-2 country subdivision code (``JP-13``)."""
Region = Literal["Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand",
                 "Central Asia", "Eastern Asia", "Eastern Europe",
                 "Latin America and the Caribbean", "Melanesia", "Micronesia",
                 "Northern Africa", "Northern America", "Northern Europe", "Polynesia",
                 "South-eastern Asia", "Southern Asia", "Southern Europe",
                 "Sub-Saharan Africa", "Western Asia", "Western Europe"]
"""UN M49 region or subregion, as PACT v3 ``geographyRegionOrSubregion`` lists them."""

Standard = Literal["ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0",
                   "PACT-2.0", "PACT-3.0", "PAS2050"]
"""PACT v3 ``crossSectoralStandards`` values."""
DEFAULT_STANDARDS: tuple[Standard, ...] = tuple(default("cross_sectoral_standards"))
"""What a footprint is taken to follow when its maker does not say (pact_defaults.yaml)."""
IpccReport = Annotated[str, Field(pattern=r"^AR\d{1,2}$")]
"""An IPCC assessment report whose characterisation factors were used (``AR6``)."""

Text = Annotated[str, Field(min_length=1, max_length=200)]
if TYPE_CHECKING:  # what the validated values are
    Uptake: TypeAlias = int | float
    Dqr: TypeAlias = int | float
else:
    Uptake = Quantity(ge=-MAX_CFP_KG, le=0, unit=" kg CO2e")
    """A removal or uptake for the whole lot, kg CO2e (≤ 0)."""
    Dqr = Quantity(ge=1, le=5)
    """A data quality rating, 1 (best) to 5."""


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-04-01T00:00:00Z)")
    return utc(at)


When = Annotated[IsoDateTime, AfterValidator(_aware), PlainSerializer(stamp, return_type=str)]
"""A date and time with a time zone (stored and published in UTC, RFC 3339)."""


class Dqi(Strict):
    """PACT v3 ``dqi``: data quality ratings of the footprint (PACT Methodology 4.2.3)."""

    technological: Dqr
    geographical: Dqr
    temporal: Dqr


class Verification(Strict):
    """PACT v3 ``verification`` (``assurance`` in 2.x): present if the footprint was
    verified in line with the PACT Methodology."""

    coverage: Literal["PCF calculation model", "PCF program", "product level"] | None = None
    provider_name: Text | None = None
    completed_at: When | None = None
    standard_name: Text | None = None
    comments: Annotated[str, Field(max_length=2000)] | None = None


class Ccs(Strict):
    """Carbon capture and storage in the footprint's boundary (PACT v3
    ``ccsTechnologicalCO2CaptureIncluded`` and the values it governs), for the whole lot."""

    included: StrictBool
    capture_kg: Uptake | None = None
    """CO2 captured with CCS, kg CO2e (≤ 0; ``ccsTechnologicalCO2Capture``)."""
    removals_kg: Uptake | None = None
    """CO2 removed from the atmosphere or from biogenic sources, kg CO2e (≤ 0;
    ``technologicalCO2Removals``)."""
    origin: Text | None = None
    """Injection site and reservoir (``technologicalCO2CaptureOrigin``)."""

    @model_validator(mode="after")
    def _values(self) -> Ccs:
        if not self.included and (self.capture_kg is not None or self.removals_kg is not None
                                  or self.origin is not None):
            raise ValueError("capture_kg, removals_kg and origin go with included: true")
        return self


class Ccu(Strict):
    """Carbon capture and utilisation (PACT v3 ``ccu*``), for the whole lot."""

    carbon_content_kg: CarbonKg | None = None
    """Captured carbon contained in the lot, kg C (``ccuCarbonContent``)."""
    approach: Literal["Cut-off", "Credit"] | None = None
    credit_certification: Annotated[str, Field(max_length=500,
                                               pattern=r"^https://\S+$")] | None = None
    """URL of the certification of a credit (Credit approach only)."""

    @model_validator(mode="after")
    def _credit(self) -> Ccu:
        if self.credit_certification is not None and self.approach != "Credit":
            raise ValueError("credit_certification goes with approach 'Credit'")
        return self


class PcfFacts(Strict):
    """What the declarer states about how its footprint was made, passed on in PACT v3
    ProductFootprints (all optional; docs/trace.md says what is assumed without them)."""

    country: Country | None = None
    """Where the lot was produced (PACT ``geographyCountry``)."""
    subdivision: Subdivision | None = None
    """Or the country subdivision (``geographyCountrySubdivision``)."""
    region: Region | None = None
    """Or the UN region or subregion (``geographyRegionOrSubregion``)."""
    fossil_carbon_kg: CarbonKg | None = None
    """Fossil carbon contained in the whole lot, kg C (PACT ``fossilCarbonContent`` per
    kg). Without it: the material's entry in carbon_content.yaml, else unknown."""
    biogenic_uptake_kg: Uptake | None = None
    """Biogenic CO2 uptake in the product, whole lot, kg CO2e (≤ 0; PACT
    ``biogenicCO2Uptake``), part of ``cfp.biogenic``."""
    standards: list[Standard] = Field(default_factory=lambda: list(DEFAULT_STANDARDS),
                                      min_length=1, max_length=9)
    ipcc_factors: list[IpccReport] | None = Field(default=None, min_length=1, max_length=10)
    """IPCC reports of the characterisation factors used (default pact_defaults.yaml)."""
    exempted_percent: Percent = 0
    """Share of emissions left out of the footprint, % (PACT ``exemptedEmissionsPercent``)."""
    packaging_included: StrictBool = False
    reference_period_start: When | None = None
    """Start of the activity data the footprint represents (with ``reference_period_end``,
    exclusive)."""
    reference_period_end: When | None = None
    validity_period_start: When | None = None
    """When the footprint may be used from (≥ the reference period's end; needs it)."""
    validity_period_end: When | None = None
    """Until when (≤ the reference period's end + 3 years)."""
    dqi: Dqi | None = None
    verification: Verification | None = None
    ccs: Ccs | None = None
    ccu: Ccu | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PcfFacts:
        if sum(x is not None for x in (self.country, self.subdivision, self.region)) > 1:
            raise ValueError("give one of country, subdivision and region (PACT v3: one "
                             "geography level)")
        if len(set(self.ipcc_factors or [])) != len(self.ipcc_factors or []):
            raise ValueError("ipcc_factors: a report is listed twice")
        start, end = self.reference_period_start, self.reference_period_end
        if (start is None) != (end is None):
            raise ValueError("give reference_period_start and reference_period_end together")
        if start is not None and end is not None and start >= end:
            raise ValueError("reference_period_start must be before reference_period_end")
        v_start, v_end = self.validity_period_start, self.validity_period_end
        if v_start is None and v_end is None:
            return self
        if end is None:
            raise ValueError("a validity period needs the reference period it follows "
                             "(reference_period_start/end)")
        if v_start is not None and v_start < end:
            raise ValueError("validity_period_start must not be before reference_period_end "
                             "(PACT v3 validity period)")
        if v_end is not None and v_end > add_years(end, 3):
            raise ValueError("validity_period_end must be within 3 years of "
                             "reference_period_end (PACT v3 validity period)")
        if v_end is not None and v_end <= (v_start or end):
            raise ValueError("validity_period_end must be after its start")
        return self


def pcf_facts(lot: Any) -> dict[str, Any]:
    """A lot's PcfFacts as stored: declared by its maker, or derived when it was made."""
    column = "declared" if lot.custody == "declared" else "own"
    raw = getattr(lot, "__dict__", {}).get("raw") or {}
    if column in raw and '"pcf"' not in raw[column]:
        return {}  # still undecoded JSON text without facts: nothing to decode
    src = getattr(lot, column)
    return dict((src or {}).get("pcf") or {})


def _carbon_per_kg(lot: Any, facts: dict[str, Any]) -> float | None:
    """kg fossil carbon per kg of an input: its facts' (declared or derived), else the
    material's table value, else None."""
    c = facts.get("fossil_carbon_kg")
    if c is not None:
        return float(c) / lot.mass_kg
    known = carbon_content(lot.material)
    return None if known is None else known[0]


def _envelope(periods: list[tuple[str, str]]) -> dict[str, str]:
    starts = [utc(datetime.fromisoformat(s.replace("Z", "+00:00"))) for s, _ in periods]
    ends = [utc(datetime.fromisoformat(e.replace("Z", "+00:00"))) for _, e in periods]
    return {"reference_period_start": stamp(min(starts)),
            "reference_period_end": stamp(max(ends))}


@cache
def _default_ipcc() -> tuple[str, ...]:
    return tuple(default("ipcc_characterization_factors"))


def _report_number(report: str) -> int:
    """6 of ``AR6``: IPCC reports sort by number."""
    return int(report[2:])


ZERO_BIOGENIC_PER_KG = 1e-6
"""A net biogenic CFP below this (kg CO2e per kg, either sign) counts as neither uptake nor
emissions when :func:`inputs_uptake` asks whether inputs' would net: the store's and the
replay's recomputed CFPs differ by float noise (far below it), and the answer must not."""


def inputs_uptake(inputs: list[tuple[Any, float]], facts: list[dict[str, Any]]
                  ) -> tuple[float | None, float | None]:
    """Rule 2 of the ledger (:data:`junkan.trace.rules.VERSION`): (biogenic uptake, the part
    of it assumed) of a lot made from ``inputs`` (lot, kg taken; ``facts``: theirs), kg CO2e
    for the whole lot. Each input's uptake goes with the mass taken (m / its mass): as
    declared (or derived, with the part of it assumed), else assumed to be its negative net
    biogenic CFP (none if that is positive) — what a PACT footprint of the input alone
    takes. Where that is what rule 1 gives, its form is kept: every input's uptake known
    and none assumed ``(uptake, None)``; none known and the inputs' net biogenic CFPs not of
    opposite signs ``(None, None)`` (publication takes the lot's negative net biogenic CFP,
    the same sum)."""
    uptake = assumed = 0.0
    known = guessed = False
    unknown = []
    for (lot, m), f in zip(inputs, facts, strict=True):
        w = m / lot.mass_kg
        u = f.get("biogenic_uptake_kg")
        if u is not None:
            known = True
            uptake += w * u
            part = f.get("biogenic_uptake_assumed_kg")
            if part is not None:
                guessed = True
                assumed += w * part
            continue
        guessed = True
        unknown.append((lot, m))
        a = w * min(0.0, float(lot.cfp_biogenic))
        uptake += a
        assumed += a
    if not guessed:
        return uptake, None
    if not known and not nets(unknown):
        return None, None
    return uptake, assumed


def nets(inputs: list[tuple[Any, float]]) -> bool:
    """Are some of these inputs' net biogenic CFPs negative and some positive (beyond
    :data:`ZERO_BIOGENIC_PER_KG`)?"""
    per_kg = [lot.cfp_biogenic / lot.mass_kg for lot, _ in inputs]
    return min(per_kg) < -ZERO_BIOGENIC_PER_KG and max(per_kg) > ZERO_BIOGENIC_PER_KG


UPTAKE_FACTS = ("biogenic_uptake_kg", "biogenic_uptake_assumed_kg")
"""The facts of a lot made from others that rule 2 derives from its inputs' CFPs."""


def uptake_facts(inputs: list[tuple[Any, float]], facts: list[dict[str, Any]]
                 ) -> dict[str, Any]:
    """The :data:`UPTAKE_FACTS` rule 2 gives a lot made from ``inputs`` (``facts``: theirs),
    as :func:`derived_facts` keeps them: none at all where no input has facts and nothing
    nets (rule 1's form), else the uptake (None: unknown) and, where part of it is assumed,
    that part (:func:`inputs_uptake`)."""
    if not any(facts):
        if len(inputs) > 1 and nets(inputs):
            uptake, assumed = inputs_uptake(inputs, facts)
            return {"biogenic_uptake_kg": uptake, "biogenic_uptake_assumed_kg": assumed}
        return {}
    uptake, assumed = inputs_uptake(inputs, facts)
    out: dict[str, Any] = {"biogenic_uptake_kg": uptake}
    if assumed is not None:
        out["biogenic_uptake_assumed_kg"] = assumed
    return out


def follows_inputs(lot: Any) -> bool:
    """Does this lot's derived uptake follow later re-declarations upstream (made under rule
    3 or later: ``own["rules"]``)? Lots made before keep the uptake they were made with."""
    own = lot.own if lot.custody != "declared" else None
    return isinstance(own, dict) and type(own.get("rules")) is int and own["rules"] >= 3


_ABSENT = object()


def rederived(lot: Any, inputs: list[tuple[Any, float]]) -> dict[str, Any] | None:
    """``lot.own`` with its :data:`UPTAKE_FACTS` derived again from ``inputs`` (lot, kg taken;
    their current CFPs and facts), or None when they are as stored: rule 3, after a
    re-declaration upstream, for a lot that :func:`follows_inputs`."""
    own = lot.own
    old = dict(own.get("pcf") or {})
    new = uptake_facts(inputs, [pcf_facts(x) for x, _ in inputs])
    if all(old.get(k, _ABSENT) == new.get(k, _ABSENT) for k in UPTAKE_FACTS):
        return None
    pcf = {k: v for k, v in old.items() if k not in UPTAKE_FACTS}
    return {**own, "pcf": pcf | new}


def derived_facts(inputs: list[tuple[Any, float]], country: str | None,
                  mass_kg: float | None = None, *, assume_uptake: bool = True
                  ) -> dict[str, Any]:
    """PcfFacts of a lot of ``mass_kg`` (default: the inputs' sum) made from ``inputs`` (lot,
    kg taken). Fossil carbon: the mass-weighted mean of the inputs' carbon per kg (declared,
    else the material's table value; unknown if any input's is) times the lot's mass.
    Biogenic uptake: allocated by mass like the CFP, with the part assumed for inputs that
    declared none (:func:`inputs_uptake`, rule 2); ``assume_uptake=False``: rule 1, unknown
    if any input's is (lots recorded before rule 2 replay so). Country as given, else the
    inputs' common geography. Standards: those all inputs name; IPCC reports: all the
    inputs used; exempted share: the largest; reference period: spanning the inputs' where
    any declared one. DQI, verification and CCS/CCU describe one maker's footprint and are
    not carried on."""
    facts = [pcf_facts(lot) for lot, _ in inputs]
    m_in = sum(m for _, m in inputs)
    mass = m_in if mass_kg is None else mass_kg
    carbon: float | None = 0.0
    for (lot, m), f in zip(inputs, facts, strict=True):
        per_kg = _carbon_per_kg(lot, f)
        carbon = None if per_kg is None or carbon is None else carbon + m / m_in * per_kg
    carbon = None if carbon is None else carbon * mass
    default_std = list(DEFAULT_STANDARDS)
    if not any(facts):  # nothing declared upstream (the common case, kept cheap)
        plain: dict[str, Any] = {
            "country": country, "fossil_carbon_kg": carbon, "standards": default_std,
            "exempted_percent": 0.0, "packaging_included": False}
        if assume_uptake:  # rule 2's facts, if anything nets; else as rule 1
            plain |= uptake_facts(inputs, facts)
        return plain
    found = uptake_facts(inputs, facts) if assume_uptake else {}
    uptake = found.get("biogenic_uptake_kg", 0.0)
    assumed = found.get("biogenic_uptake_assumed_kg")
    # one pass over the inputs (usually one or two: generator and set set-up cost more
    # than the work, and ingest and every audit derive this for each lot made)
    common: set[str] | None = None
    exempted, packaging = 0.0, True
    places = set()
    ipcc: set[str] = set()
    for (lot, m), f in zip(inputs, facts, strict=True):
        if not assume_uptake:  # rule 1
            u = f.get("biogenic_uptake_kg")
            uptake = None if u is None or uptake is None else uptake + m / lot.mass_kg * u
        named = f.get("standards") or default_std
        common = set(named) if common is None else common.intersection(named)
        exempted = max(exempted, float(f.get("exempted_percent", 0)))
        packaging = packaging and bool(f.get("packaging_included", False))
        places.add((f.get("country"), f.get("subdivision"), f.get("region")))
        ipcc.update(f.get("ipcc_factors") or _default_ipcc())
    out: dict[str, Any] = {
        "fossil_carbon_kg": carbon, "biogenic_uptake_kg": uptake,
        "standards": sorted(common or ()) or default_std, "exempted_percent": exempted,
        "packaging_included": packaging}
    if assumed is not None:
        out["biogenic_uptake_assumed_kg"] = assumed
    if country is not None or len(places) != 1:
        out["country"] = country
    else:
        out.update(zip(("country", "subdivision", "region"), places.pop(), strict=True))
    out["ipcc_factors"] = sorted(ipcc, key=_report_number)
    periods = [(f["reference_period_start"], f["reference_period_end"]) for f in facts
               if f.get("reference_period_start")]
    if periods:
        out.update(_envelope(periods))
    return out
