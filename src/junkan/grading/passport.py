"""Passport exports: a grading record (:class:`junkan.grading.Item`) as an Asset
Administration Shell (AAS V3.0) environment with one submodel, and back — built and checked
with the Eclipse BaSyx Python SDK (the ``passport`` extra; every export is re-read by BaSyx's
strict deserialiser). Semantic ids are junkan's own (``https://w3id.org/junkan/grading/v1#``,
not registered with w3id.org) except the carbon footprint, which carries the concept ids of
IDTA 02023-1-0-2 *Carbon Footprint* (ECLASS ``0173-1#02-ABG855#003`` PcfCO2eq as xs:decimal,
``…ABG856#003``, ``…ABG857#003``; checked against the published template, source in
``data/grading/idta-02023.yaml``). Layout and units: docs/grading.md, "Passport exports (AAS)"."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from basyx.aas import model
from basyx.aas.adapter.json import object_store_to_json, read_aas_json_file
from basyx.aas.model import datatypes

from junkan.grading.aas_base import (
    ID_BASE,
    ID_SHORT,
    IDS,
    JSON_QUALIFIER,
    KEY_QUALIFIER,
    MAX_DOCUMENT,
    NS,
    PCF,
    PCF_QUANTITY,
    PCF_UNIT,
    SUBMODEL_SEMANTIC_ID,
    PassportError,
    fail,
    ref,
)
from junkan.grading.aas_read import from_aas
from junkan.grading.schema import Item

__all__ = [
    "MAX_DOCUMENT",
    "PCF",
    "PCF_QUANTITY",
    "PCF_UNIT",
    "SUBMODEL_SEMANTIC_ID",
    "PassportError",
    "asset_id",
    "from_aas",
    "to_aas",
]

_BAD_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MEASURE = re.compile(r"(-?\d+(?:\.\d+)?) (\S.*)", re.S)
_fail = fail
_ref = ref

_XSD = ((bool, datatypes.Boolean), (int, datatypes.Long), (float, datatypes.Double))
_XSD2 = ((Decimal, datatypes.Decimal), (date, datatypes.Date))


def _xsd_type(value: Any) -> type:
    return next((x for py, x in _XSD + _XSD2 if isinstance(value, py)), datatypes.String)


def _prop(
    id_short: str | None,
    value: Any,
    sem: str | None = None,
    qualifiers: Iterable[model.Qualifier] = (),
) -> model.Property:
    if isinstance(value, date) and not isinstance(value, datatypes.Date):
        value = datatypes.Date(value.year, value.month, value.day)
    return model.Property(
        id_short,
        _xsd_type(value),
        value,
        semantic_id=_ref(sem or NS + (id_short or "item")),
        qualifier=qualifiers,
    )


def _key_short(key: str, used: set[str]) -> tuple[str, list[model.Qualifier]]:
    """idShort for a map key; a key that is no valid idShort keeps its text in a qualifier."""
    if ID_SHORT.fullmatch(key) and key not in used:
        used.add(key)
        return key, []
    base = re.sub(r"[^A-Za-z0-9_]", "_", key)[:100]
    base = base if base[:1].isalpha() else "k" + base
    short, n = base, 1
    while short in used:
        n += 1
        short = f"{base}__{n}"
    used.add(short)
    return short, [model.Qualifier(KEY_QUALIFIER, datatypes.String, key)]


def _smc(
    id_short: str | None,
    elements: Iterable[model.SubmodelElement],
    qualifiers: Iterable[model.Qualifier] = (),
    sem: str | None = None,
) -> model.SubmodelElementCollection:
    return model.SubmodelElementCollection(
        id_short,
        [e for e in elements if e is not None],
        semantic_id=_ref(sem or NS + (id_short or "entry")),
        qualifier=qualifiers,
    )


def _measure(short: str, v: float | str) -> list[model.SubmodelElement]:
    """``Value`` (and ``Unit``) of a quantity written as a number or as text with a unit."""
    if isinstance(v, str):
        m = _MEASURE.fullmatch(v)
        if m and str(Decimal(m[1])) == m[1]:
            return [
                _prop(short, Decimal(m[1]), NS + "value"),
                _prop(short + "Unit" if short != "Value" else "Unit", m[2], NS + "unit"),
            ]
        return [_prop(short, v, NS + "value")]
    return [_prop(short, float(v), NS + "value")]


def _keyed(id_short: str, mapping: Mapping[str, Any], make: Any) -> model.SubmodelElementCollection:
    used: set[str] = set()
    out = []
    for key, value in mapping.items():
        short, quals = _key_short(key, used)
        out.append(make(short, value, quals))
    return _smc(id_short, out)


def _json(
    id_short: str | None, v: Any, quals: Iterable[model.Qualifier] = ()
) -> model.SubmodelElement:
    """Any JSON value (the grades with their evidence) as AAS elements."""
    if isinstance(v, Mapping) and all(isinstance(k, str) for k in v):
        used: set[str] = set()
        kids = []
        for key, value in v.items():
            short, q = _key_short(key, used)
            kids.append(_json(short, value, q))
        return _smc(id_short, kids, quals, NS + "grade")
    if isinstance(v, list):
        kinds = {type(x) for x in v}
        if kinds <= {dict} and v:
            return model.SubmodelElementList(
                id_short,
                model.SubmodelElementCollection,
                [_json(None, x) for x in v],
                semantic_id=_ref(NS + (id_short or "list")),
                qualifier=quals,
            )
        if len(kinds) <= 1 and kinds <= {str, bool, int, float}:
            vt = _xsd_type(v[0]) if v else datatypes.String
            return model.SubmodelElementList(
                id_short,
                model.Property,
                [model.Property(None, vt, x) for x in v],
                value_type_list_element=vt,
                semantic_id=_ref(NS + (id_short or "list")),
                qualifier=quals,
            )
    elif (v is None or isinstance(v, str | bool | int | float | date)) and v == v:
        return _prop(id_short, v, NS + "gradeValue", quals)
    q = [*quals, model.Qualifier(JSON_QUALIFIER, datatypes.String, "true")]
    return _prop(id_short, json.dumps(v, default=str, allow_nan=True), NS + "gradeValue", q)


def _attestations(id_short: str, items: list[Any]) -> model.SubmodelElementList:
    rows = []
    for a in items:
        d = a.model_dump(exclude_none=True)
        rows.append(_smc(None, [_prop(IDS[k], v) for k, v in d.items()], sem=NS + "attestation"))
    return model.SubmodelElementList(
        id_short, model.SubmodelElementCollection, rows, semantic_id=_ref(NS + id_short)
    )


def _flat(id_short: str, block: Any) -> model.SubmodelElementCollection | None:
    """A block of plain fields (material, trace, process, collection)."""
    if block is None:
        return None
    out: list[model.SubmodelElement] = []
    for k, v in block.model_dump(exclude_none=True).items():
        if isinstance(v, list):
            out.append(_json(IDS[k], v))
        else:
            out.append(_prop(IDS[k], v))
    return _smc(id_short, out)


def _environment(item: Item) -> model.SubmodelElementCollection | None:
    env = item.environment
    if env is None:
        return None
    return _smc(
        "Environment",
        [
            _prop("PcfCO2eq", Decimal(repr(env.cfp_kgco2e_per_kg)), PCF),  # xs:decimal
            _prop("ReferenceImpactUnitForCalculation", "kg", PCF_UNIT),
            _prop("QuantityOfMeasureForCalculation", 1.0, PCF_QUANTITY),
            _prop("RecycledPostConsumer", env.recycled_post),
            _prop("RecycledPreConsumer", env.recycled_pre),
            _prop("Source", env.source),
        ],
    )


def _elements(item: Item) -> list[model.SubmodelElement | None]:
    def prop_value(short: str, pv: Any, quals: list[model.Qualifier]) -> Any:
        els = _measure("Value", pv.value)
        if pv.method is not None:
            els.append(_prop("Method", pv.method, NS + "testMethod"))
        if pv.uncertainty is not None:
            els += _measure("Uncertainty", pv.uncertainty)
        return _smc(short, els, quals, NS + "property")

    def attribute(short: str, v: str | list[str], quals: list[model.Qualifier]) -> Any:
        return _json(short, v, quals)

    def conc(short: str, v: float | str, quals: list[model.Qualifier]) -> Any:
        return _smc(short, _measure("Value", v), quals, NS + "concentration")

    q = item.quantity
    return [
        _prop("ItemId", item.id, "https://schema.org/identifier"),
        _prop("Kind", item.kind, NS + "itemKind"),
        _flat("Material", item.material),
        _flat("Trace", item.trace),
        _flat("Process", item.process),
        _flat("Collection", item.collection),
        _keyed("Properties", item.properties, prop_value),
        _keyed(
            "Composition",
            item.composition,
            lambda s, v, qs: _prop(s, float(v), NS + "compositionWtPercent", qs),
        ),
        _keyed("Restricted", item.restricted, conc),
        _keyed("RestrictedMax", item.restricted_max, conc),
        _keyed("Attributes", item.attributes, attribute),
        _smc(
            "Quantity",
            [
                _prop("Mass", q.mass),
                _prop("MassUnit", "kg", NS + "unit"),
                *([] if q.stock is None else [_prop("Stock", q.stock)]),
            ],
        ),
        _environment(item),
        _attestations("Social", item.social),
        _attestations("Certificates", item.certificates),
        _json("Grades", item.grades),
    ]


def _check_text(v: Any, path: str) -> None:
    """AAS strings exclude most control characters: refuse them naming the field."""
    bad = _BAD_CHAR.search(v) if isinstance(v, str) else None
    if bad:
        raise _fail(path, f"character {bad[0]!r} cannot be written in AAS text")
    if isinstance(v, Mapping):
        for k, x in v.items():
            _check_text(k, f"{path}.{k}")
            _check_text(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_text(x, f"{path}[{i}]")


def asset_id(item: Item) -> str:
    """The asset the shell describes: the junkan lot when the record has a trace link."""
    if item.trace is not None:
        return ID_BASE + "lot/" + quote(item.trace.lot, safe="/")
    return ID_BASE + "item/" + quote(item.id, safe="")


def to_aas(item: Item, *, submodel_id: str | None = None) -> dict[str, Any]:
    """The record as an AAS V3.0 environment (a JSON-serialisable dict): one shell for the
    lot (``globalAssetId`` = :func:`asset_id`) and one submodel ``JunkanGrading``. The
    document is re-read by BaSyx's strict deserialiser before it is returned."""
    _check_text(item.model_dump(mode="json"), "item")
    sm_id = submodel_id or ID_BASE + "grading/" + quote(item.id, safe="")
    sm = model.Submodel(
        sm_id,
        [e for e in _elements(item) if e is not None],
        id_short="JunkanGrading",
        semantic_id=_ref(SUBMODEL_SEMANTIC_ID),
        description=model.MultiLanguageTextType({"en": f"junkan grading record {item.id}"}),
    )
    shell = model.AssetAdministrationShell(
        model.AssetInformation(model.AssetKind.INSTANCE, global_asset_id=asset_id(item)),
        sm_id + "/shell",
        id_short="JunkanLot",
        submodel={model.ModelReference.from_referable(sm)},
    )
    text = object_store_to_json(model.DictIdentifiableStore([shell, sm]))
    read_aas_json_file(io.StringIO(text), failsafe=False)  # the library's own check
    doc: dict[str, Any] = json.loads(text)
    return doc
