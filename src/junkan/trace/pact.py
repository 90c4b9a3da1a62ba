"""Lots as PACT ProductFootprints (WBCSD PACT Technical Specification 3.0; where prose and
OpenAPI disagree the OpenAPI wins, e.g. the 404 code ``NotFound``). Decimals are strings;
the declared unit is 1 kilogram, so per-kg values are the lot's CFP divided by its mass.

Licence notice (required for a "Separate Derivative" of the PACT Technical Specifications):
this implementation follows the PACT Technical Specifications for Product Carbon Footprint
data exchange, owned by the World Business Council for Sustainable Development (WBCSD). The
specification is provided by WBCSD under its own licence terms; see docs/trace.md for the
disclaimer reproduced in full."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from junkan.trace.events import DEFAULT_STANDARDS

NAMESPACE = uuid.UUID("6f1c2b0e-4c1e-4a7e-9a55-6a756e6b616e")
"""UUID namespace for footprint ids (uuid5 of the lot key): stable across restarts."""

EVENT_TYPES = {
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
}


class NotFinite(ValueError):
    """A value that is not a finite number would have been published."""


def lot_key(creator_org: str, lot: str) -> str:
    """A lot's key across organisations (ids are scoped per creator):
    ``<creator organisation id>/<id>``."""
    return f"{creator_org}/{lot}"


def footprint_id(key: str) -> str:
    """The footprint id of a lot (uuid5 of its :func:`lot_key`)."""
    return str(uuid.uuid5(NAMESPACE, key))


def product_id(key: str) -> str:
    """The lot's PACT productId: ``urn:junkan:lot:<creator organisation id>:<id>``."""
    return "urn:junkan:lot:" + key.replace("/", ":", 1)


def dec(x: float) -> str:
    """A JSON decimal string (no exponent, trailing zeros trimmed); never NaN or infinity
    (:class:`NotFinite`)."""
    if not math.isfinite(float(x)):
        raise NotFinite(f"{x!r} is not a finite number")
    d = Decimal(repr(float(x))).normalize()
    text = format(d, "f")
    return "0" if text in ("-0", "") else text


def footprint(lot: dict[str, Any], company_id: str, created: datetime,
              updated: datetime, *, key: str) -> dict[str, Any]:
    """A ProductFootprint (v3) for a lot view from ``TraceRepo.show``; ``key``: the lot's
    :func:`lot_key`. Raises :class:`NotFinite` rather than publish NaN or infinity."""
    mass = lot["mass_kg"]
    if not (math.isfinite(mass) and mass > 0):
        raise NotFinite(f"lot mass {mass!r} is not a positive finite number")
    c = lot["cfp_kgco2e"]
    facts = lot.get("pcf_facts") or {}
    year = created.year
    comment = f"Derived by junkan from the lot ledger ({lot['custody']})."
    carbon = facts.get("fossil_carbon_kg")
    if carbon is None:  # a required field: stated as an assumption in the comment
        comment += (" fossilCarbonContent was not declared upstream: 0 assumed (metals "
                    "contain no carbon).")
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": "1",
        "referencePeriodStart": f"{year}-01-01T00:00:00Z",
        "referencePeriodEnd": f"{year}-12-31T23:59:59Z",
        "pcfExcludingBiogenicUptake": dec(c["fossil"] / mass),
        "pcfIncludingBiogenicUptake": dec(c["total"] / mass),
        "fossilGhgEmissions": dec(c["fossil"] / mass),
        "fossilCarbonContent": dec((carbon or 0) / mass),
        "ipccCharacterizationFactors": ["AR6"],
        "crossSectoralStandards": list(facts.get("standards") or DEFAULT_STANDARDS),
        "boundaryProcessesDescription": "Cradle-to-gate, mass allocation along the lot "
                                        "genealogy",
        "exemptedEmissionsPercent": dec(facts.get("exempted_percent", 0)),
        "packagingEmissionsIncluded": bool(facts.get("packaging_included", False)),
    }
    if facts.get("country"):
        pcf["geographyCountry"] = facts["country"]
    return {
        "id": footprint_id(key),
        "specVersion": "3.0.0",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "Active",
        "validityPeriodStart": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validityPeriodEnd": f"{year + 3}-12-31T00:00:00Z",
        "companyName": lot["creator"],
        "companyIds": [company_id],
        "productDescription": f"{lot['material']}, lot {lot['lot']}",
        "productIds": [product_id(key)],
        "productClassifications": [f"urn:junkan:material:{lot['material'].replace(' ', '-')}"],
        "productNameCompany": lot["material"],
        "comment": comment,
        "pcf": pcf,
        "extensions": [{
            "specVersion": "2.0.0",
            "dataSchema": "urn:junkan:recycled-content:1",
            "data": {"preConsumerShare": dec(lot["recycled"]["pre_consumer"]),
                     "postConsumerShare": dec(lot["recycled"]["post_consumer"]),
                     "claims": lot.get("claims", [])}}],
    }


def matches(pf: dict[str, Any], q: dict[str, list[str]]) -> bool:
    """PACT v3 ListFootprints filters: values of one parameter OR-ed, parameters AND-ed."""
    def any_in(values: list[str], field: list[str]) -> bool:
        return any(v in field for v in values)

    if q.get("productId") and not any_in(q["productId"], pf["productIds"]):
        return False
    if q.get("companyId") and not any_in(q["companyId"], pf["companyIds"]):
        return False
    if q.get("classification") and not any_in(q["classification"],
                                              pf.get("productClassifications", [])):
        return False
    if q.get("geography") and pf["pcf"].get("geographyCountry") not in q["geography"]:
        return False
    if q.get("status") and pf["status"] not in q["status"]:
        return False
    start, end = pf["validityPeriodStart"], pf["validityPeriodEnd"]
    for v in q.get("validOn", []):
        if not start <= _iso(v) <= end:
            return False
    for v in q.get("validAfter", []):
        if not start > _iso(v):
            return False
    return all(end < _iso(v) for v in q.get("validBefore", []))


def _iso(text: str) -> str:
    """Normalise an RFC 3339 time to the ``YYYY-MM-DDTHH:MM:SSZ`` form used above."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
