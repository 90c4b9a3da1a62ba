"""Lots as PACT ProductFootprints (WBCSD PACT Technical Specification 3.0; where prose and
OpenAPI disagree the OpenAPI wins, e.g. the 404 code ``NotFound``). Decimals are strings
with at most 9 significant digits (``pact_defaults.yaml``); the declared unit is 1 kilogram,
so per-kg values are the lot's values divided by its mass.

A footprint is immutable (v3 lifecycle): :func:`content` is everything a change of which
makes a new footprint (id) — computed from the stored lot only — and :func:`finish` adds what
is given per published version (id, created, status, precedingPfIds) and per host (the
extension's schema URL).

Licence notice (required for a "Separate Derivative" of the PACT Technical Specifications):
this implementation follows the PACT Technical Specifications for Product Carbon Footprint
data exchange, owned by the World Business Council for Sustainable Development (WBCSD). The
specification is provided by WBCSD under its own licence terms; see docs/trace.md for the
disclaimer reproduced in full."""

from __future__ import annotations

import decimal
import math
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from junkan.trace.pact_geo import geography, geography_matches
from junkan.trace.pcf import DEFAULT_STANDARDS
from junkan.trace.pcf_data import (
    add_years,
    carbon_content,
    default,
    default_reference_period,
    pact_defaults,
    stamp,
    utc,
)

NAMESPACE = uuid.UUID("6f1c2b0e-4c1e-4a7e-9a55-6a756e6b616e")
"""UUID namespace of a lot's first footprint id (uuid5 of the lot key)."""

EVENT_TYPES = {
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
}
EXTENSION_PATH = "/3/extensions/junkan/recycled-content/1.0.0/schema.json"
"""Where the host serves the JSON schema of its data-model extension (public)."""


class Unpublishable(ValueError):
    """The lot cannot be a conformant v3 footprint (the message says why)."""


class NotFinite(Unpublishable):
    """A value that is not a finite number would have been published."""


def lot_key(creator_org: str, lot: str) -> str:
    """A lot's key across organisations (ids are scoped per creator):
    ``<creator organisation id>/<id>``."""
    return f"{creator_org}/{lot}"


def footprint_id(key: str) -> str:
    """The id of a lot's first footprint (uuid5 of its :func:`lot_key`); later versions get
    random (uuid4) ids."""
    return str(uuid.uuid5(NAMESPACE, key))


def product_id(key: str) -> str:
    """The lot's PACT productId: ``urn:junkan:lot:<creator organisation id>:<id>``."""
    return "urn:junkan:lot:" + key.replace("/", ":", 1)


def _context() -> decimal.Context:
    spec = pact_defaults()["decimal"]
    return decimal.Context(prec=int(spec["significant_digits"]),
                           rounding=getattr(decimal, spec["rounding"]))


def _text(d: decimal.Decimal) -> str:
    d = d.normalize(_context())
    text = format(d, "f")
    return "0" if d.is_zero() else text


def _exact(x: float | int | str | decimal.Decimal) -> decimal.Decimal:
    if isinstance(x, bool):
        raise NotFinite(f"{x!r} is not a number")
    if isinstance(x, float):
        if not math.isfinite(x):
            raise NotFinite(f"{x!r} is not a finite number")
        return decimal.Decimal(repr(x))  # the shortest text that reads back as x
    d = decimal.Decimal(x)
    if not d.is_finite():
        raise NotFinite(f"{x!r} is not a finite number")
    return d


def dec(x: float | int | str | decimal.Decimal) -> str:
    """A v3 ``string<decimal>``: no exponent, at most 9 significant digits (half-even), no
    trailing zeros; never NaN or infinity (:class:`NotFinite`)."""
    return _text(_context().plus(_exact(x)))


def per_kg(value: float, mass_kg: float) -> str:
    """``value / mass_kg`` as :func:`dec` text, divided in decimal (no binary artefacts)."""
    return _text(_context().divide(_exact(value), _exact(mass_kg)))


def _period(facts: dict[str, Any], custody: str, recorded: datetime
            ) -> tuple[datetime, datetime, bool]:
    """(start, end, assumed) of the reference period: declared; for a lot made from others
    its inputs' (where declared) and its own default; else the default."""
    own = default_reference_period(recorded)
    start, end = facts.get("reference_period_start"), facts.get("reference_period_end")
    if not start or not end:
        return own[0], own[1], True
    s = utc(datetime.fromisoformat(start.replace("Z", "+00:00")))
    e = utc(datetime.fromisoformat(end.replace("Z", "+00:00")))
    if custody == "declared":
        return s, e, False
    return min(s, own[0]), max(e, own[1]), True


def _validity(facts: dict[str, Any], ref_end: datetime) -> tuple[str, str]:
    start = facts.get("validity_period_start") or stamp(ref_end)
    end = facts.get("validity_period_end") or stamp(add_years(ref_end, 3))
    return start, end


def _carbon(lot: dict[str, Any], facts: dict[str, Any], notes: list[str]) -> str:
    mass = lot["mass_kg"]
    carbon = facts.get("fossil_carbon_kg")
    if carbon is not None:
        if lot["custody"] != "declared":
            notes.append("fossilCarbonContent: from the inputs, mass-weighted.")
        return per_kg(carbon, mass)
    known = carbon_content(lot["material"])
    if known is None:
        raise Unpublishable(f"the fossil carbon content of {lot['material']!r} is not known "
                            "(PACT v3 requires fossilCarbonContent): declare "
                            "pcf.fossil_carbon_kg, or use a material of "
                            "junkan/data/trace/carbon_content.yaml")
    notes.append(f"fossilCarbonContent: carbon content of {known[1]} (junkan "
                 "carbon_content.yaml).")
    return dec(known[0])


def _assumed_uptake(facts: dict[str, Any], biogenic: float, mass: float,
                    notes: list[str]) -> float:
    """The uptake of a lot made from inputs of which some declared none (rule 2 of the
    ledger): the inputs' declared and assumed parts, said in the notes. Not published as
    ``biogenicCO2Uptake``, which would present the assumed part as declared. At most the
    net biogenic CFP (no negative emissions): a lot made under rule 1 or 2 keeps the facts
    it was made with when an input's CFP is re-declared (rule 3 derives them again), and a
    re-declared CFP may be above an input's declared uptake."""
    uptake, assumed = facts["biogenic_uptake_kg"], facts["biogenic_uptake_assumed_kg"]
    notes.append(f"Biogenic uptake: the inputs', mass-weighted ({per_kg(uptake - assumed, mass)}"
                 f" kg CO2e/kg declared, {per_kg(assumed, mass)} assumed: for inputs that "
                 "declared none, their negative net biogenic CFP, none if positive); not given "
                 "as biogenicCO2Uptake, being partly assumed.")
    if uptake > biogenic + 1e-9 * max(1.0, abs(biogenic)):
        notes.append("Uptake capped at the net biogenic CFP (an input's CFP was re-declared "
                     "after the lot was made).")
        return float(biogenic)  # < uptake ≤ 0
    return float(uptake)


def _emissions(lot: dict[str, Any], facts: dict[str, Any], notes: list[str]) -> dict[str, str]:
    """pcfExcluding/IncludingBiogenicUptake (v3 meanings), fossilGhgEmissions and the uptake
    where declared. The ledger keeps total = fossil + biogenic, biogenic being net of the
    biogenic CO2 uptake; 'excluding uptake' = total − uptake, 'including' = total."""
    c, mass = lot["cfp_kgco2e"], lot["mass_kg"]
    uptake = facts.get("biogenic_uptake_kg")
    out: dict[str, str] = {}
    if uptake is not None and facts.get("biogenic_uptake_assumed_kg") is not None:
        uptake = _assumed_uptake(facts, c["biogenic"], mass, notes)
    elif uptake is not None:
        if uptake > c["biogenic"] + 1e-9 * max(1.0, abs(c["biogenic"])):
            raise Unpublishable(f"declared biogenic uptake {uptake:g} kg CO2e exceeds the "
                                f"net biogenic {c['biogenic']:g} kg CO2e (emissions would be "
                                "negative)")
        out["biogenicCO2Uptake"] = per_kg(uptake, mass)
    else:
        uptake = min(0.0, c["biogenic"])
        if uptake < 0:
            notes.append("Biogenic uptake not declared: the negative net biogenic CFP "
                         "taken as uptake.")
    head = {"pcfExcludingBiogenicUptake": per_kg(c["total"] - uptake, mass),
            "pcfIncludingBiogenicUptake": per_kg(c["total"], mass),
            "fossilGhgEmissions": per_kg(c["fossil"], mass)}
    return head | out


def _optional_blocks(facts: dict[str, Any], mass: float) -> dict[str, Any]:
    """DQI, verification and CCS/CCU where the maker declared them."""
    out: dict[str, Any] = {}
    if facts.get("dqi"):
        q = facts["dqi"]
        out["dqi"] = {"technologicalDQR": dec(q["technological"]),
                      "geographicalDQR": dec(q["geographical"]),
                      "temporalDQR": dec(q["temporal"])}
    if facts.get("verification"):
        names = {"coverage": "coverage", "provider_name": "providerName",
                 "completed_at": "completedAt", "standard_name": "standardName",
                 "comments": "comments"}
        out["verification"] = {names[k]: v for k, v in facts["verification"].items()
                               if v is not None}
    ccs = facts.get("ccs")
    if ccs:
        out["ccsTechnologicalCO2CaptureIncluded"] = bool(ccs["included"])
        for key, name in (("capture_kg", "ccsTechnologicalCO2Capture"),
                          ("removals_kg", "technologicalCO2Removals")):
            if ccs.get(key) is not None:
                out[name] = per_kg(ccs[key], mass)
        if ccs.get("origin"):
            out["technologicalCO2CaptureOrigin"] = ccs["origin"]
    ccu = facts.get("ccu")
    if ccu:
        if ccu.get("carbon_content_kg") is not None:
            out["ccuCarbonContent"] = per_kg(ccu["carbon_content_kg"], mass)
        if ccu.get("approach"):
            out["ccuCalculationApproach"] = ccu["approach"]
        if ccu.get("credit_certification"):
            out["ccuCreditCertification"] = ccu["credit_certification"]
    return out


def _pcf(lot: dict[str, Any], recorded: datetime, notes: list[str]
         ) -> tuple[dict[str, Any], tuple[str, str]]:
    facts = lot.get("pcf_facts") or {}
    mass = lot["mass_kg"]
    start, end, assumed = _period(facts, lot["custody"], recorded)
    if assumed:
        notes.append("Reference period: " + ("the inputs' and " if facts.get(
            "reference_period_end") else "assumed, ") + "the 12 months before recording.")
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": "1",
        "referencePeriodStart": stamp(start),
        "referencePeriodEnd": stamp(end),
    }
    where, note = geography(facts)
    pcf.update(where)
    if note:
        notes.append(note)
    pcf["boundaryProcessesDescription"] = ("Cradle-to-gate, mass allocation along the lot "
                                           "genealogy")
    pcf.update(_emissions(lot, facts, notes))
    pcf["fossilCarbonContent"] = _carbon(lot, facts, notes)
    ipcc = facts.get("ipcc_factors")
    standards = facts.get("standards")
    if not ipcc:  # standards always have a value: PcfFacts fills in the default
        notes.append(f"Assumed: IPCC {', '.join(default('ipcc_characterization_factors'))} "
                     f"(and standards {', '.join(DEFAULT_STANDARDS)} unless declared).")
    pcf["ipccCharacterizationFactors"] = list(ipcc or default("ipcc_characterization_factors"))
    pcf["crossSectoralStandards"] = list(standards or DEFAULT_STANDARDS)
    pcf["exemptedEmissionsPercent"] = dec(facts.get("exempted_percent", 0))
    pcf["packagingEmissionsIncluded"] = bool(facts.get("packaging_included", False))
    pcf.update(_optional_blocks(facts, mass))
    return pcf, _validity(facts, end)


def content(lot: dict[str, Any], company_id: str, *, key: str, recorded: datetime
            ) -> dict[str, Any]:
    """The footprint of a lot view (``lot_view`` with cfp, recycled and claims) without its
    id, created, status, precedingPfIds and the extension's schema URL; ``recorded``: when
    the lot was recorded (the default reference period ends then). Raises
    :class:`Unpublishable` (:class:`NotFinite` included) rather than publish a footprint v3
    does not allow."""
    mass = lot["mass_kg"]
    if not (isinstance(mass, int | float) and math.isfinite(mass) and mass > 0):
        raise NotFinite(f"lot mass {mass!r} is not a positive finite number")
    notes = [f"Derived by junkan from the lot ledger ({lot['custody']})."]
    pcf, (v_start, v_end) = _pcf(lot, recorded, notes)
    data: dict[str, Any] = {}
    if "recycled" in lot:
        data["preConsumerShare"] = dec(lot["recycled"]["pre_consumer"])
        data["postConsumerShare"] = dec(lot["recycled"]["post_consumer"])
    if "claims" in lot:
        data["claims"] = lot["claims"]
    return {
        "specVersion": "3.0.0",
        "validityPeriodStart": v_start,
        "validityPeriodEnd": v_end,
        "companyName": lot["creator"],
        "companyIds": [company_id],
        "productDescription": f"{lot['material']}, lot {lot['lot']}",
        "productIds": [product_id(key)],
        "productClassifications": [f"urn:junkan:material:{lot['material'].replace(' ', '-')}"],
        "productNameCompany": lot["material"],
        "comment": " ".join(notes),
        "pcf": pcf,
        "extensions": [{"specVersion": "2.0.0", "dataSchema": "", "data": data}],
    }


PF_ORDER = ("validityPeriodStart", "validityPeriodEnd", "companyName", "companyIds",
            "productDescription", "productIds", "productClassifications",
            "productNameCompany", "comment")
"""ProductFootprint properties after the version's own, in the spec's order (``pcf`` and
``extensions`` follow)."""
PCF_ORDER = ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
             "referencePeriodStart", "referencePeriodEnd", "geographyRegionOrSubregion",
             "geographyCountry", "geographyCountrySubdivision",
             "boundaryProcessesDescription", "pcfExcludingBiogenicUptake",
             "pcfIncludingBiogenicUptake", "fossilCarbonContent", "fossilGhgEmissions",
             "biogenicCO2Uptake", "ccsTechnologicalCO2CaptureIncluded",
             "ccsTechnologicalCO2Capture", "technologicalCO2CaptureOrigin",
             "technologicalCO2Removals", "ccuCarbonContent", "ccuCalculationApproach",
             "ccuCreditCertification", "ipccCharacterizationFactors",
             "crossSectoralStandards", "exemptedEmissionsPercent",
             "packagingEmissionsIncluded", "dqi", "verification")
"""CarbonFootprint properties junkan fills, in the spec's order."""

EXTENSION_FIELDS = {"recycled": ("preConsumerShare", "postConsumerShare"),
                    "claims": ("claims",)}
"""Extension data by the lot field whose visibility it needs."""


def finish(body: dict[str, Any], *, pf_id: str, created: datetime, status: str,
           preceding: Iterable[str] = (), schema_url: str,
           fields: Iterable[str] = ("cfp", "recycled", "claims")) -> dict[str, Any]:
    """A published footprint: :func:`content` with its version's id, creation time, status
    and earlier ids (newest first), the extension's schema URL, and only the extension data
    the viewer's ``fields`` cover (no extension when none)."""
    seen = set(fields)
    stored = body["extensions"][0]["data"]
    data = {k: stored[k] for field, keys in EXTENSION_FIELDS.items() if field in seen
            for k in keys if k in stored}
    out: dict[str, Any] = {"id": pf_id, "specVersion": body["specVersion"]}
    earlier = list(preceding)
    if earlier:
        out["precedingPfIds"] = earlier
    out |= {"created": stamp(created.replace(microsecond=0)), "status": status}
    unknown = (set(body) - {*PF_ORDER, "specVersion", "pcf", "extensions"}) | (
        set(body["pcf"]) - set(PCF_ORDER))
    if unknown:  # a property content() makes must not be dropped here
        raise ValueError(f"footprint properties without a place: {sorted(unknown)}")
    out |= {k: body[k] for k in PF_ORDER if k in body}
    out["pcf"] = {k: body["pcf"][k] for k in PCF_ORDER if k in body["pcf"]}
    if data:
        out["extensions"] = [{"specVersion": "2.0.0", "dataSchema": schema_url,
                              "data": data}]
    return out


def footprint(lot: dict[str, Any], company_id: str, created: datetime,
              updated: datetime | None = None, *, key: str, recorded: datetime | None = None,
              schema_url: str = EXTENSION_PATH) -> dict[str, Any]:
    """The first (Active) footprint of a lot view: :func:`content` + :func:`finish` with the
    id :func:`footprint_id`. ``updated`` is ignored (``updated`` is obsolete in v3)."""
    body = content(lot, company_id, key=key, recorded=recorded or created)
    return finish(body, pf_id=footprint_id(key), created=created, status="Active",
                  schema_url=schema_url)


def _lower(values: list[str]) -> set[str]:
    return {v.casefold() for v in values}


def matches(pf: dict[str, Any], q: dict[str, list[str]]) -> bool:
    """PACT v3 ListFootprints filters: values of one parameter OR-ed, parameters AND-ed, text
    compared case-insensitively; an empty value filters nothing. Raises ValueError for a
    time that is not RFC 3339."""
    q = {k: [v for v in vs if v.strip()] for k, vs in q.items()}
    for name, field in (("productId", "productIds"), ("companyId", "companyIds"),
                        ("classification", "productClassifications")):
        if q.get(name) and not _lower(q[name]) & _lower(pf.get(field, [])):
            return False
    if q.get("geography") and not geography_matches(pf["pcf"], q["geography"]):
        return False
    if q.get("status") and pf["status"].casefold() not in _lower(q["status"]):
        return False
    start, end = _iso(pf["validityPeriodStart"]), _iso(pf["validityPeriodEnd"])
    for v in q.get("validOn", []):
        if not start <= _iso(v) <= end:
            return False
    for v in q.get("validAfter", []):
        if not start > _iso(v):
            return False
    return all(end < _iso(v) for v in q.get("validBefore", []))


def _iso(text: str) -> datetime:
    """An RFC 3339 time as an aware datetime (naive: UTC)."""
    return utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
