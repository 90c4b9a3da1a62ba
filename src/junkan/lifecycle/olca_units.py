"""Units of openLCA JSON-LD zips for :mod:`junkan.lifecycle.olca`: openLCA's reference units
(their ids), the names junkan converts without the zip (kg, MJ, t*km …), and the zip's own
unit groups and flow property factors, through which an amount is converted first.

openLCA defines a unit by its unit group: olca-schema's ``Unit.conversionFactor`` is "the
conversion factor to the reference unit of the unit group to which this unit belongs"
(olca-schema ``yaml/Unit.yaml``), so a group of mass with ``{"name": "bag",
"conversionFactor": 25}`` says 1 bag = 25 kg, whatever else "bag" may mean. A flow may be
measured in several quantities, each with a ``FlowPropertyFactor`` (olca-schema
``yaml/FlowPropertyFactor.yaml``: "a conversion factor of a quantity to the reference flow
property of a flow"); openLCA converts an exchange's amount into the flow's reference unit
and property as ``amount × unit.conversionFactor / flowPropertyFactor.conversionFactor``
(olca-core ``org.openlca.core.math.ReferenceAmount``), which :class:`Units` does too."""

from __future__ import annotations

import functools
import math
from typing import Any

from junkan.core.errors import JunkanError, short
from junkan.core.quantities import to_unit

# openLCA reference data (ids as in olca-schema's units table)
REF = {
    "kg": (
        "20aadc24-a391-41cf-b340-3e4529f44bde",
        "Units of mass",
        "93a60a57-a4c8-11da-a746-0800200c9a66",
        "Mass",
        "93a60a56-a3c8-11da-a746-0800200b9a66",
    ),
    "Item(s)": (
        "6dabe201-aaac-4509-92f0-d00c26cb72ab",
        "Units of items",
        "5beb6eed-33a9-47b8-9ede-1dfe8f679159",
        "Number of items",
        "01846770-4cfe-4a25-8ad9-919d8d378345",
    ),
    "MJ": (
        "52765a6c-3896-43c2-b2f4-c679acf13efe",
        "Units of energy",
        "93a60a57-a3c8-11da-a746-0800200c9a66",
        "Energy",
        "f6811440-ee37-11de-8a39-0800200c9a66",
    ),
}
REF_UNIT = {ids[4]: unit for unit, ids in REF.items()}
"""The reference unit of openLCA's reference flow properties, for zips without them."""


MASS = {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "t": 1e3, "Mg": 1e3, "kt": 1e6, "lb": 0.45359237}
PIECE = {"Item(s)", "item", "items", "p", "pcs", "piece", "unit"}
TRANSPORT = {"t*km": 1.0, "kg*km": 1e-3, "tkm": 1.0}
ENERGY = {"MJ": 1.0, "kJ": 1e-3, "GJ": 1e3, "kWh": 3.6, "Wh": 3.6e-3, "MWh": 3600.0}

Base = tuple[float, str | None]
"""``(f, unit)``: one unit of an amount is ``f`` of the unit named (``None``: unknown)."""


def unit_factor(unit: str | None, table: dict[str, float], target: str) -> float | None:
    """How many ``target`` one ``unit`` is: from ``table`` (openLCA's names), else by
    junkan's unit registry (``oz``, ``kcal``, ``TJ``); ``None`` when it is not one. Only for
    a unit the zip does not define (:class:`Units` first)."""
    if unit is None or unit in table:
        return None if unit is None else table[unit]
    return _registry_factor(unit, target)


@functools.lru_cache(maxsize=1024)
def _registry_factor(unit: str, target: str) -> float | None:
    """:func:`unit_factor` by the unit registry, once per unit: every exchange's amount is
    checked in kg or MJ, and a zip has few distinct units."""
    try:
        return to_unit(f"1 {unit}", target)
    except (ValueError, ArithmeticError):  # UnitParseError is a ValueError
        return None


def convert(base: Base, table: dict[str, float], target: str) -> float | None:
    """How many ``target`` one unit of an amount is, its :data:`Base` known: the zip's factor
    times the name's (:func:`unit_factor`); ``None`` when the base is not such a unit."""
    f, name = base
    g = unit_factor(name, table, target)
    return None if g is None else f * g


def _get(doc: Any, key: str) -> Any:
    return doc.get(key) if isinstance(doc, dict) else None


def _factor(value: Any) -> float | None:
    """A usable conversion factor: a finite positive number."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) and value > 0 else None


class Units:
    """The zip's unit groups and flow properties: each unit by ``@id`` and, within its group,
    by name (and synonyms), as (factor to the group's reference unit, group)."""

    def __init__(self, entities: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.by_id: dict[str, tuple[float, str]] = {}
        self.by_name: dict[str, dict[str, float]] = {}
        self.ref_name: dict[str, str] = {}
        self.group_of: dict[str, str] = {}
        self.unusable: dict[tuple[str, str], str] = {}
        """(group id, unit name or ``@id``) → why a unit the zip defines cannot convert:
        read by its name instead, 1 "bag" of CO2 was pint's cement bag (review 212)."""
        for gid, group in entities.get("unit_groups", {}).items():
            units = [u for u in _get(group, "units") or [] if isinstance(u, dict)]
            ref = next((u for u in units if u.get("isRefUnit")), None) or \
                next((u for u in units if _factor(u.get("conversionFactor")) == 1.0), None)
            if ref is None or not isinstance(ref.get("name"), str):
                continue
            self.ref_name[gid] = ref["name"]
            names = self.by_name.setdefault(gid, {})
            # openLCA converts by each unit's conversionFactor alone (ReferenceAmount), so a
            # unit is that factor over the reference unit's (1 in a consistent group; a
            # reference flagged with 1000 makes kg (factor 1) 0.001 of it, not 1)
            ref_f = _factor(ref.get("conversionFactor")) or 1.0
            for u in units:
                given = _factor(u.get("conversionFactor"))
                f = 1.0 if u is ref else None if given is None else given / ref_f
                if f is None:
                    self._unusable(gid, group, u)
                    continue
                for name in [u.get("name"), *(_get(u, "synonyms") or [])]:
                    if isinstance(name, str) and name:
                        names.setdefault(name, f)
                if isinstance(u.get("@id"), str):
                    self.by_id[u["@id"]] = (f, gid)
        for pid, prop in entities.get("flow_properties", {}).items():
            gid = _get(_get(prop, "unitGroup"), "@id")
            if gid in self.ref_name:
                self.group_of[pid] = gid

    def _unusable(self, gid: str, group: dict[str, Any], unit: dict[str, Any]) -> None:
        why = (f"unit group {short(group.get('name') or gid)}: unit "
               f"{short(unit.get('name'))} has conversionFactor "
               f"{short(unit.get('conversionFactor'))}, not a positive number, so an amount "
               "in it cannot be converted; correct the unit group in openLCA and export the "
               "zip again")
        for key in [unit.get("name"), *(_get(unit, "synonyms") or [])]:
            if isinstance(key, str) and key:
                self.unusable.setdefault((gid, key), why)
        if isinstance(unit.get("@id"), str) and unit["@id"]:  # an @id names it anywhere
            self.unusable.setdefault(("", unit["@id"]), why)

    def base(self, flow: Any, unit_id: str | None, unit_name: str | None,
             prop_id: str | None) -> Base | None:
        """The first of :meth:`bases` (the flow's reference unit), ``None`` when none."""
        found = self.bases(flow, unit_id, unit_name, prop_id)
        return found[0] if found else None

    def bases(self, flow: Any, unit_id: str | None, unit_name: str | None,
              prop_id: str | None) -> list[Base]:
        """One unit of an amount in the flow's reference unit (and reference flow property
        when the flow gives the factors), through the zip: the unit by ``@id``, else by
        name in the group of its flow property (``prop_id``, else the flow's reference
        property); no unit at all is that group's reference unit. Empty when the zip does
        not define the unit (then it is converted by its name). A second base gives the
        amount in its own flow property (360 MJ of a gas measured in m3 is 360 MJ)."""
        factors, ref_prop = _property_factors(flow)
        prop = prop_id or ref_prop
        gid = self.group_of.get(prop or "")
        why = (self.unusable.get(("", unit_id)) if unit_id else None) or \
            self.unusable.get((gid or "", unit_name or ""))
        usable = unit_id in self.by_id or (
            gid is not None and unit_name in self.by_name.get(gid, {}))  # a usable synonym
        if why is not None and not usable:
            raise JunkanError(why)
        if unit_id in self.by_id:
            f, gid = self.by_id[str(unit_id)]
        elif gid is not None and unit_name in self.by_name[gid]:
            f = self.by_name[gid][str(unit_name)]
        elif gid is not None and unit_id is None and unit_name is None:
            f = 1.0
        else:
            return []
        if self.group_of.get(prop or "") != gid:  # the property the unit measures
            prop = next((p for p in factors if self.group_of.get(p) == gid), None)
        ref_gid = self.group_of.get(ref_prop or "")
        own: Base = (f, self.ref_name[gid])
        if prop and ref_prop and prop != ref_prop and ref_gid and prop in factors \
                and ref_prop in factors:
            return [(f * factors[ref_prop] / factors[prop], self.ref_name[ref_gid]), own]
        return [own]

    def in_properties(self, flow: Any, base: Base) -> list[tuple[Base, str]]:
        """``base``, one unit of an amount in ``flow``'s reference unit, in each other flow
        property the flow gives a factor for, with that property's ``@id``: 1 m3 of a gas
        whose Energy factor is 36 is 36 of the energy group's reference unit (the inverse
        of openLCA's ``amount × unit factor / property factor``). Empty when the flow gives
        no factor for its reference property, or the zip no unit group for the other."""
        factors, ref_prop = _property_factors(flow)
        if ref_prop not in factors or base[1] != self.ref_name.get(
                self.group_of.get(ref_prop or "", ""), base[1]):
            return []
        return [((base[0] * f / factors[str(ref_prop)], self.ref_name[self.group_of[pid]]), pid)
                for pid, f in factors.items() if pid != ref_prop and pid in self.group_of]

    def has_property(self, flow: Any, prop_id: str | None) -> bool:
        """Whether ``flow`` is measured in flow property ``prop_id`` (no property named, or
        a flow without flow properties, is not judged: ``True``)."""
        factors, _ = _property_factors(flow)
        return not prop_id or not factors or prop_id in factors


def _property_factors(flow: Any) -> tuple[dict[str, float], str | None]:
    """A flow's flow property factors by property id, and its reference property's id."""
    out: dict[str, float] = {}
    ref = None
    for fpf in _get(flow, "flowProperties") or []:
        pid = _get(_get(fpf, "flowProperty"), "@id")
        if not isinstance(pid, str):
            continue
        given = _get(fpf, "conversionFactor")
        f = 1.0 if given is None else _factor(given)  # openLCA's default factor is 1
        if f is not None:
            out[pid] = f
        if _get(fpf, "isRefFlowProperty"):
            ref = pid
    return out, ref
