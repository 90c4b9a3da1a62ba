"""Reading a junkan grading record back from an AAS V3.0 environment (BaSyx's strict
deserialiser first); errors name the element path (``JunkanGrading.Properties.mfr.Value``)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from basyx.aas import model
from basyx.aas.adapter.json import read_aas_json_file
from basyx.aas.model import datatypes
from pydantic import ValidationError

from junkan.core.errors import ModelError, Problem, coded
from junkan.core.errors import short as _short
from junkan.core.quantities import UnitParseError, to_unit
from junkan.grading.aas_base import (
    FIELDS,
    IDS,
    JSON_QUALIFIER,
    KEY_QUALIFIER,
    MAX_DOCUMENT,
    SUBMODEL_SEMANTIC_ID,
    PassportError,
    fail,
)
from junkan.grading.engine import stored_values
from junkan.grading.schema import Item

_fail = fail
_FIELDS = FIELDS


def _key_of(el: model.SubmodelElement) -> str:
    return next((str(q.value) for q in el.qualifier if q.type == KEY_QUALIFIER), str(el.id_short))


def _children(el: Any, path: str) -> dict[str, Any]:
    if not isinstance(el, model.SubmodelElementCollection | model.Submodel):
        raise _fail(path, f"expected a SubmodelElementCollection, found {type(el).__name__}")
    items = el.value if isinstance(el, model.SubmodelElementCollection) else el.submodel_element
    return {str(e.id_short): e for e in items}


def _value(el: Any, path: str) -> Any:
    if not isinstance(el, model.Property):
        raise _fail(path, f"expected a Property, found {type(el).__name__}")
    v = el.value
    if any(q.type == JSON_QUALIFIER for q in el.qualifier):
        return json.loads(str(v))
    if isinstance(v, datatypes.Date):
        return date(v.year, v.month, v.day)
    if isinstance(v, datatypes.Long | int) and not isinstance(v, bool):
        return int(v)
    return v


def _read_measure(kids: dict[str, Any], short: str, path: str) -> float | str:
    v = _value(kids[short], f"{path}.{short}")
    unit_el = kids.get("Unit" if short == "Value" else short + "Unit")
    if unit_el is not None:
        try:
            mag = str(Decimal(str(v))) if isinstance(v, Decimal) else datatypes.xsd_repr(v)
        except (InvalidOperation, TypeError):
            raise _fail(f"{path}.{short}", "a value with a unit must be a number") from None
        return f"{mag} {_value(unit_el, f'{path}.Unit')}"
    return float(v) if isinstance(v, Decimal) else v


def _read_json(el: Any, path: str) -> Any:
    if isinstance(el, model.SubmodelElementCollection):
        return {_key_of(e): _read_json(e, f"{path}.{e.id_short}") for e in el.value}
    if isinstance(el, model.SubmodelElementList):
        return [_read_json(e, f"{path}[{i}]") for i, e in enumerate(el.value)]
    return _value(el, path)


def _read_block(kids: dict[str, Any], name: str, path: str) -> dict[str, Any] | None:
    if name not in kids:
        return None
    return {
        _FIELDS.get(k, k): _read_json(e, f"{path}.{name}.{k}")
        for k, e in _children(kids[name], f"{path}.{name}").items()
    }


_ELEMENTS = frozenset(
    ("ItemId", "Kind", "Material", "Trace", "Process", "Collection", "Properties")
    + ("Composition", "Attributes", "Restricted", "RestrictedMax", "Quantity", "Environment")
    + ("Social", "Certificates", "Grades")
)
"""The grading submodel's elements junkan reads; others are ignored (:func:`read_aas`)."""
_PROPERTY_ELEMENTS = frozenset(("Value", "Unit", "Method", "Uncertainty", "UncertaintyUnit"))


def _ignored(kids: dict[str, Any], path: str) -> list[str]:
    """Element paths of the grading submodel that no field of the record is read from."""
    out = [f"{path}.{k}" for k in kids if k not in _ELEMENTS]
    props = kids.get("Properties")
    if isinstance(props, model.SubmodelElementCollection):
        for el in props.value:
            if isinstance(el, model.SubmodelElementCollection):
                p = f"{path}.Properties.{el.id_short}"
                extra = [e.id_short for e in el.value if e.id_short not in _PROPERTY_ELEMENTS]
                out += [f"{p}.{k}" for k in extra]
    return sorted(out)


def _kg_per(unit: Any, path: str, what: str) -> float:
    """How many kg one ``unit`` (the text of the element at ``path``) is; a unit that is no
    mass is refused: the record holds masses in kg and carbon footprints per kg."""
    if not isinstance(unit, str) or not unit.strip():
        raise _fail(path, f"expected a unit of mass as text, got {_short(unit)}")
    try:
        return to_unit(f"1 {unit.strip()}", "kg")
    except UnitParseError:
        raise _fail(
            path, f"{_short(unit)} is no unit of mass (kg, g, t …); {what}, so it cannot be read"
        ) from None


def _number_at(v: Any, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal):
        raise _fail(path, f"expected a number, got {_short(v)}")
    return float(v)


def _quantity_in_kg(quantity: dict[str, Any], path: str) -> dict[str, Any]:
    """The Quantity block with Mass and Stock in kg: converted from ``MassUnit`` (kg when
    absent, as junkan writes it)."""
    unit = quantity.pop("MassUnit", None)
    if unit is None:
        return quantity
    factor = _kg_per(unit, f"{path}.MassUnit", "the record holds the lot mass in kg")
    for name in ("mass", "stock"):
        if quantity.get(name) is not None:
            where = f"{path}.{IDS[name]}"
            quantity[name] = _number_at(quantity[name], where) * factor
    return quantity


def _cfp_per_kg(env: dict[str, Any], path: str) -> dict[str, Any]:
    """The Environment block with the carbon footprint per kg: IDTA 02023's PcfCO2eq is
    kg CO2e per ``QuantityOfMeasureForCalculation`` × ``ReferenceImpactUnitForCalculation``
    (data/grading/idta-02023.yaml); a reference that is no mass (piece, l, kWh …) is refused."""
    unit = env.pop("ReferenceImpactUnitForCalculation", None)
    amount = env.pop("QuantityOfMeasureForCalculation", None)
    pcf = env.get("cfp_kgco2e_per_kg")
    if isinstance(pcf, Decimal):  # xs:decimal (IDTA 02023)
        env["cfp_kgco2e_per_kg"] = pcf = float(pcf)
    if unit is None and amount is None:
        return env
    what = "the record holds the carbon footprint per kg of material"
    kg = 1.0 if unit is None else _kg_per(unit, f"{path}.ReferenceImpactUnitForCalculation", what)
    n = 1.0
    if amount is not None:
        n = _number_at(amount, f"{path}.QuantityOfMeasureForCalculation")
        if not n > 0 or n == float("inf"):
            raise _fail(
                f"{path}.QuantityOfMeasureForCalculation",
                f"the reference quantity must be a finite number above 0, got {_short(amount)}",
            )
    if isinstance(pcf, int | float) and not isinstance(pcf, bool):
        env["cfp_kgco2e_per_kg"] = pcf / (n * kg)
    return env


def _read_item(sm: model.Submodel, path: str) -> dict[str, Any]:
    kids = _children(sm, path)
    for need in ("ItemId", "Kind", "Material", "Quantity"):
        if need not in kids:
            raise _fail(f"{path}.{need}", "missing: a junkan grading submodel has this element")
    out: dict[str, Any] = {
        "id": _value(kids["ItemId"], f"{path}.ItemId"),
        "kind": _value(kids["Kind"], f"{path}.Kind"),
    }
    for name in ("Material", "Trace", "Process", "Collection"):
        block = _read_block(kids, name, path)
        if block is not None:
            out[_FIELDS[name]] = block
    props: dict[str, Any] = {}
    for short, el in _children(
        kids.get("Properties", model.SubmodelElementCollection(None)), f"{path}.Properties"
    ).items():
        p = f"{path}.Properties.{short}"
        pk = _children(el, p)
        if "Value" not in pk:
            raise _fail(f"{p}.Value", "missing: a property has a Value")
        pv: dict[str, Any] = {"value": _read_measure(pk, "Value", p)}
        if "Method" in pk:
            pv["method"] = _value(pk["Method"], f"{p}.Method")
        if "Uncertainty" in pk:
            pv["uncertainty"] = _read_measure(pk, "Uncertainty", p)
        props[_key_of(el)] = pv
    out["properties"] = props
    for name in ("Composition", "Attributes", "Restricted", "RestrictedMax"):
        if name in kids:
            _children(kids[name], f"{path}.{name}")
            out[_FIELDS[name]] = {
                _key_of(e): (
                    _read_measure(
                        _children(e, f"{path}.{name}.{e.id_short}"),
                        "Value",
                        f"{path}.{name}.{e.id_short}",
                    )
                    if name.startswith("Restricted")
                    else _read_json(e, f"{path}.{name}.{e.id_short}")
                )
                for e in kids[name].value
            }
    quantity = _read_block(kids, "Quantity", path) or {}
    out["quantity"] = _quantity_in_kg(quantity, f"{path}.Quantity")
    env = _read_block(kids, "Environment", path)
    if env is not None:
        out["environment"] = _cfp_per_kg(env, f"{path}.Environment")
    for name in ("Social", "Certificates", "Grades"):
        if name in kids:
            data = _read_json(kids[name], f"{path}.{name}")
            if name != "Grades":
                data = [{_FIELDS.get(k, k): v for k, v in row.items()} for row in data]
            out[_FIELDS[name]] = data
    return out


def _element_path(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else "." + IDS.get(str(part), str(part))
    return out


def _environment_of(doc: Mapping[str, Any] | str | bytes) -> model.DictIdentifiableStore:
    text = doc if isinstance(doc, str | bytes) else json.dumps(doc)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if len(text) > MAX_DOCUMENT:
        raise _fail("", f"AAS document of {len(text)} characters, above {MAX_DOCUMENT}")
    try:
        store: model.DictIdentifiableStore = read_aas_json_file(io.StringIO(text), failsafe=False)
    except Exception as exc:  # noqa: BLE001 - BaSyx raises KeyError/TypeError/ValueError/…
        raise _fail("", f"not a valid AAS V3.0 JSON environment: {exc}") from None
    return store


def from_aas(doc: Mapping[str, Any] | str | bytes, *, submodel_id: str | None = None) -> Item:
    """The grading record of an AAS environment (as :func:`to_aas` writes it; a dict or JSON
    text). With several junkan grading submodels, name one by ``submodel_id``."""
    return read_aas(doc, submodel_id=submodel_id)[0]


def read_aas(
    doc: Mapping[str, Any] | str | bytes, *, submodel_id: str | None = None
) -> tuple[Item, list[str]]:
    """:func:`from_aas`'s record, and what it ignored: the paths of the grading submodel's
    other elements (``JunkanGrading.VendorExtra``), then the ids of the submodels that are
    no junkan grading record (``submodel urn:…``), each part sorted. Other grading records
    (``submodel_id`` chose one) are not listed."""
    store = _environment_of(doc)
    subs = [
        o
        for o in store
        if isinstance(o, model.Submodel)
        and o.semantic_id is not None
        and o.semantic_id.key[0].value == SUBMODEL_SEMANTIC_ID
        and (submodel_id is None or o.id == submodel_id)
    ]
    if len(subs) != 1:  # coded: the page says it in its language (it was English only)
        found = sorted(o.id for o in store if isinstance(o, model.Submodel))
        where = {"semantic": SUBMODEL_SEMANTIC_ID, "found": str(found[:10]),
                 "chosen": f", id {submodel_id}" if submodel_id else ""}
        raise PassportError([coded(
            "submodels", "aas-grading-none", "no junkan grading submodel(s) (semanticId "
            "{semantic}{chosen}); submodels found: {found}", **where,
        ) if not subs else coded(
            "submodels", "aas-grading-many", "{count} junkan grading submodel(s) (semanticId "
            "{semantic}{chosen}); submodels found: {found}", count=len(subs), **where,
        )])
    sm = subs[0]
    path = str(sm.id_short or sm.id)
    data = _read_item(sm, path)
    ignored = _ignored(_children(sm, path), path) + sorted(
        f"submodel {o.id}"
        for o in store
        if isinstance(o, model.Submodel)
        and (o.semantic_id is None or o.semantic_id.key[0].value != SUBMODEL_SEMANTIC_ID)
    )
    try:
        item = Item.model_validate(data)
    except ValidationError as exc:
        raise PassportError(
            [Problem(_element_path(path, tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        ) from None
    try:
        stored_values(item, path)
    except ModelError as exc:  # junkan field paths -> element paths
        raise PassportError(
            [
                Problem(_element_path(path, tuple(pr.path[len(path) + 1 :].split("."))), pr.message)
                if pr.path.startswith(path + ".")
                else pr
                for pr in exc.problems
            ]
        ) from None
    return item, ignored
