"""Shared parts of the AAS passport modules: the junkan grading vocabulary, the element
names (``IDS``), the IDTA 02023 carbon-footprint concept ids (read from
``data/grading/idta-02023.yaml``, where their source is) and the error type."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from basyx.aas import model

from junkan.core.errors import Problem
from junkan.grading.catalogue import GradingError

NS = "https://w3id.org/junkan/grading/v1#"
SUBMODEL_SEMANTIC_ID = NS + "GradingRecord"
"""semanticId that marks a junkan grading submodel."""
ID_BASE = "https://w3id.org/junkan/"
KEY_QUALIFIER = "junkan:key"
JSON_QUALIFIER = "junkan:json"
MAX_DOCUMENT = 20_000_000
"""Largest AAS JSON text :func:`from_aas` reads (characters)."""


@lru_cache(maxsize=1)
def idta_02023() -> dict[str, Any]:
    """The IDTA 02023 Carbon Footprint concept ids and value types, with their source."""
    text = (resources.files("junkan.data") / "grading" / "idta-02023.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


PCF = idta_02023()["elements"]["PcfCO2eq"]["semantic_id"]
PCF_UNIT = idta_02023()["elements"]["ReferenceImpactUnitForCalculation"]["semantic_id"]
PCF_QUANTITY = idta_02023()["elements"]["QuantityOfMeasureForCalculation"]["semantic_id"]

ID_SHORT = re.compile(r"[A-Za-z](?:[A-Za-z0-9_-]{0,126}[A-Za-z0-9_])?")

# Item field -> idShort (also used to name pydantic errors by element path)
IDS: dict[str, str] = dict(
    pair.split("=")
    for pair in """id=ItemId kind=Kind material=Material name=Name family=Family use=Use
    trace=Trace lot=Lot process=Process route=Route steps=Steps operator=Operator
    collection=Collection source=Source place=Place date=Date properties=Properties value=Value
    method=Method uncertainty=Uncertainty composition=Composition restricted=Restricted
    restricted_max=RestrictedMax attributes=Attributes quantity=Quantity mass=Mass stock=Stock
    environment=Environment cfp_kgco2e_per_kg=PcfCO2eq recycled_post=RecycledPostConsumer
    recycled_pre=RecycledPreConsumer social=Social certificates=Certificates scheme=Scheme
    issuer=Issuer valid_until=ValidUntil evidence=Evidence grades=Grades""".split()  # noqa: SIM905
)
FIELDS = {v: k for k, v in IDS.items()}


class PassportError(GradingError):
    """An AAS document that is not a readable junkan grading submodel; each problem names the
    element path (``JunkanGrading.Properties.mfr.Value``)."""


def fail(path: str, message: str) -> PassportError:
    return PassportError([Problem(path, message)])


def ref(iri: str) -> model.ExternalReference:
    return model.ExternalReference((model.Key(model.KeyTypes.GLOBAL_REFERENCE, iri),))
