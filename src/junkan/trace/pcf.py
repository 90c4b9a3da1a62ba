"""What a declarer states about how a footprint was made (PACT v3 ProductFootprint facts),
and the facts of a lot made from others."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool

from junkan.core.base import Strict
from junkan.trace.numbers import CarbonKg, Percent

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code."""

Standard = Literal["ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0",
                   "PACT-2.0", "PACT-3.0", "PAS2050"]
"""PACT v3 ``crossSectoralStandards`` values."""
DEFAULT_STANDARDS: tuple[Standard, ...] = ("ISO14067",)
"""What a footprint is taken to follow when its maker does not say."""


class PcfFacts(Strict):
    """What the declarer states about how its footprint was made, passed on in PACT v3
    ProductFootprints (all optional; see docs/trace.md for what is assumed without them)."""

    country: Country | None = None
    """Where the lot was produced (PACT ``geographyCountry``)."""
    fossil_carbon_kg: CarbonKg | None = None
    """Fossil carbon contained in the whole lot, kg C (PACT ``fossilCarbonContent`` per
    kg). Metals contain none; plastics and coatings do."""
    standards: list[Standard] = Field(default_factory=lambda: list(DEFAULT_STANDARDS),
                                      min_length=1, max_length=9)
    exempted_percent: Percent = 0
    """Share of emissions left out of the footprint, % (PACT ``exemptedEmissionsPercent``)."""
    packaging_included: StrictBool = False


def pcf_facts(lot: Any) -> dict[str, Any]:
    """A lot's PcfFacts as stored: declared by its maker, or derived when it was made."""
    column = "declared" if lot.custody == "declared" else "own"
    raw = getattr(lot, "__dict__", {}).get("raw") or {}
    if column in raw and '"pcf"' not in raw[column]:
        return {}  # still undecoded JSON text without facts: nothing to decode
    src = getattr(lot, column)
    return dict((src or {}).get("pcf") or {})


def derived_facts(inputs: list[tuple[Any, float]], country: str | None) -> dict[str, Any]:
    """PcfFacts of a lot made from ``inputs`` (lot, kg taken): fossil carbon allocated by
    mass like the CFP (unknown if any input's is); country as given, else the inputs' common
    one; standards those all inputs name; exempted share the largest of the inputs'."""
    facts = [pcf_facts(lot) for lot, _ in inputs]
    default = list(DEFAULT_STANDARDS)
    if not any(facts):  # nothing declared upstream (the common case, kept cheap)
        return {"country": country, "fossil_carbon_kg": None, "standards": default,
                "exempted_percent": 0.0, "packaging_included": False}
    carbon: float | None = 0.0
    for (lot, m), f in zip(inputs, facts, strict=True):
        c = f.get("fossil_carbon_kg")
        carbon = None if c is None or carbon is None else carbon + m / lot.mass_kg * c
    countries = {f.get("country") for f in facts}
    common = set.intersection(*(set(f.get("standards") or default) for f in facts))
    return {"country": country or (countries.pop() if len(countries) == 1 else None),
            "fossil_carbon_kg": carbon, "standards": sorted(common) or default,
            "exempted_percent": max(float(f.get("exempted_percent", 0)) for f in facts),
            "packaging_included": all(f.get("packaging_included", False) for f in facts)}
