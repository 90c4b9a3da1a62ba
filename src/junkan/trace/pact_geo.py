"""Geography of a PACT v3 footprint. The v3 data model has one geography level per footprint
(country, country subdivision, or UN region/subregion) and no value for "unknown": a
footprint with none of the three has "Global" granularity (OpenAPI ``CarbonFootprint``,
"Scope of a CarbonFootprint"). The properties are SHOULD-rules, so when the ledger does not
know where a lot was made they are left undefined and the footprint's comment says that the
geography is unknown (not a global average)."""

from __future__ import annotations

from typing import Any

_FIELDS = (("country", "geographyCountry"), ("subdivision", "geographyCountrySubdivision"),
           ("region", "geographyRegionOrSubregion"))

UNKNOWN_NOTE = ("Geography not known: left undefined (v3 reads that as global "
                "granularity), not a global average.")


def geography(facts: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The footprint's geography property (at most one) and, when none is known, the note
    for its comment."""
    for fact, prop in _FIELDS:
        if facts.get(fact):
            return {prop: str(facts[fact])}, None
    return {}, UNKNOWN_NOTE


def geography_matches(pcf: dict[str, Any], wanted: list[str]) -> bool:
    """ListFootprints ``geography``: a value denotes a country, a subdivision or a region
    and matches the footprint whose property of that level equals it (case-insensitive).
    ``JP`` does not match a footprint of ``JP-13``: WBCSD's conformance tool (case 22)
    requires every footprint returned to carry the value itself."""
    have = {pcf[p].casefold() for _, p in _FIELDS if pcf.get(p)}
    return any(w.strip().casefold() in have for w in wanted)
