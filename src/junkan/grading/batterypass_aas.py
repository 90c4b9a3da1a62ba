"""The Battery Pass subset as an AAS V3.0 environment (BaSyx, the ``passport`` extra), laid
out as the Battery Pass consortium's own SAMM-to-AAS output (``gen/*.aas`` of
BatteryPassDataModel v1.2.0): one submodel per aspect whose semanticId is the aspect's URN,
entities as collections, lists as lists, each property with its idShort = payload name and
semanticId = its SAMM URN. Deviations: numbers are ``xs:double`` (the generator writes
``xs:float`` for some, which would round junkan's values) and a list's semanticId is the
property's URN except where the data file names the published characteristic."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from basyx.aas import model
from basyx.aas.adapter.json import object_store_to_json, read_aas_json_file
from basyx.aas.model import datatypes

from junkan.core.errors import Problem
from junkan.grading.aas_base import ID_BASE, MAX_DOCUMENT
from junkan.grading.batterypass import (
    META,
    BatteryPassError,
    attribute_set,
    batterypass_unmapped,
    from_batterypass,
    to_batterypass,
)
from junkan.grading.schema import Item


def _ref(iri: str) -> model.ExternalReference:
    return model.ExternalReference((model.Key(model.KeyTypes.GLOBAL_REFERENCE, iri),))


def _element(ns: str, name: str | None, value: Any, path: str) -> model.SubmodelElement:
    sem = _ref(f"{ns}#{name}") if name else None
    if isinstance(value, Mapping):
        kids = [_element(ns, k, v, f"{path}.{k}") for k, v in value.items()]
        return model.SubmodelElementCollection(name, kids)
    if isinstance(value, list):
        lists = attribute_set().get("aas_lists", {})
        return model.SubmodelElementList(
            name,
            model.SubmodelElementCollection,
            [_element(ns, None, v, f"{path}[{i}]") for i, v in enumerate(value)],
            semantic_id=_ref(lists.get(path, f"{ns}#{name}")),
        )
    if isinstance(value, float):
        return model.Property(name, datatypes.Double, value, semantic_id=sem)
    if name == "lastUpdate":
        t = datetime.fromisoformat(value)
        return model.Property(name, datatypes.DateTime, t, semantic_id=sem)
    return model.Property(name, datatypes.String, value, semantic_id=sem)


_BAD_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check_text(node: Any, path: str) -> None:
    """AAS strings exclude most control characters: refuse them naming the attribute."""
    if isinstance(node, str) and _BAD_CHAR.search(node):
        raise BatteryPassError([Problem(path, "a character AAS text cannot hold")])
    if isinstance(node, Mapping):
        for k, v in node.items():
            _check_text(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_text(v, f"{path}[{i}]")


def to_batterypass_aas(item: Item) -> dict[str, Any]:
    """The record's Battery Pass subset (:func:`to_batterypass`) as an AAS environment: a
    shell for the battery and one submodel per aspect present. Re-read by BaSyx's strict
    deserialiser before it is returned."""
    doc = to_batterypass(item)
    _check_text({k: v for k, v in doc.items() if k != META}, "")
    aspects = attribute_set()["aspects"]
    base = ID_BASE + "batterypass/" + quote(item.id, safe="")
    subs = []
    for aspect, urn in aspects.items():
        if aspect not in doc:
            continue
        ns = urn.split("#")[0]
        kids = [_element(ns, k, v, f"{aspect}.{k}") for k, v in doc[aspect].items()]
        subs.append(
            model.Submodel(f"{base}/{aspect}", kids, id_short=aspect, semantic_id=_ref(urn))
        )
    shell = model.AssetAdministrationShell(
        model.AssetInformation(
            model.AssetKind.INSTANCE, global_asset_id=ID_BASE + "item/" + quote(item.id, safe="")
        ),
        base + "/shell",
        id_short="BatteryPassport",
        submodel={model.ModelReference.from_referable(s) for s in subs},
    )
    text = object_store_to_json(model.DictIdentifiableStore([shell, *subs]))
    read_aas_json_file(io.StringIO(text), failsafe=False)
    out: dict[str, Any] = json.loads(text)
    # BaSyx keeps the shell's references in a set, listed in hash order: in aspect order
    # instead, so one record gives the same file in every process (CLI and service alike)
    order = {s.id: i for i, s in enumerate(subs)}
    for sh in out.get("assetAdministrationShells", []):
        sh.get("submodels", []).sort(key=lambda r: order.get(r["keys"][-1]["value"], 0))
    return out


def _plain(el: Any) -> Any:
    if isinstance(el, model.SubmodelElementCollection):
        return {str(e.id_short): _plain(e) for e in el.value}
    if isinstance(el, model.SubmodelElementList):
        return [_plain(e) for e in el.value]
    if isinstance(el, model.Property):
        v = el.value
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        return float(v)
    return None  # other element kinds carry nothing junkan's subset reads


def from_batterypass_aas(doc: Mapping[str, Any] | str | bytes) -> Item:
    """The grading record of an AAS environment holding Battery Pass aspect submodels
    (found by their semanticIds); errors name the attribute path as for
    :func:`from_batterypass`."""
    return read_batterypass_aas(doc)[0]


def read_batterypass_aas(doc: Mapping[str, Any] | str | bytes) -> tuple[Item, list[str]]:
    """:func:`from_batterypass_aas`'s record, and the attribute paths of its aspect
    submodels outside junkan's subset (ignored; as :func:`batterypass_unmapped` names them,
    ``GeneralProductInformation.VendorExtra``), then the other submodels' ids (sorted)."""
    text = doc if isinstance(doc, str | bytes) else json.dumps(doc)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if len(text) > MAX_DOCUMENT:
        raise BatteryPassError(
            [Problem("", f"document of {len(text)} characters, above {MAX_DOCUMENT}")]
        )
    try:
        store = read_aas_json_file(io.StringIO(text), failsafe=False)
    except Exception as exc:  # noqa: BLE001 - BaSyx raises KeyError/TypeError/ValueError/…
        raise BatteryPassError(
            [Problem("", f"not a valid AAS V3.0 JSON environment: {exc}")]
        ) from None
    by_urn = {urn: aspect for aspect, urn in attribute_set()["aspects"].items()}
    plain: dict[str, Any] = {}
    others: list[str] = []
    for sm in store:
        if not isinstance(sm, model.Submodel):
            continue
        aspect = by_urn.get(sm.semantic_id.key[0].value) if sm.semantic_id else None
        if aspect is None:
            others.append(f"submodel {sm.id}")
            continue
        if aspect in plain:
            raise BatteryPassError([Problem(aspect, "two submodels of this aspect; give one")])
        plain[aspect] = {str(e.id_short): _plain(e) for e in sm.submodel_element}
    if not plain:
        raise BatteryPassError(
            [
                Problem(
                    "submodels",
                    f"no Battery Pass aspect submodel (semanticIds: {', '.join(sorted(by_urn))})",
                )
            ]
        )
    plain[META] = {"from": "aas"}
    return from_batterypass(plain), batterypass_unmapped(plain) + sorted(others)
