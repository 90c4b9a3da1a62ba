"""Reading openLCA JSON-LD zips for :mod:`junkan.lifecycle.olca`: the entities by folder and
id within size limits (a damaged or hostile zip is an error naming its member; what is not
read is said in the notes), the flows an exchange refers to and their categories (a path,
or an openLCA 1.x category reference), the units of their amounts (through the zip's own
units, :mod:`.olca_units`), and exchange amounts within junkan's limits (formulas:
:mod:`.olca_formula`)."""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError, short
from junkan.core.limits import limits
from junkan.core.zips import unbounded
from junkan.lifecycle.olca_formula import Overflowed, formula, parameters
from junkan.lifecycle.olca_member import ValueBudget, member
from junkan.lifecycle.olca_units import (
    REF_UNIT,
    Base,
    Units,
    convert,
)


def _olca() -> Any:
    import olca_schema

    return olca_schema


Entities = dict[str, dict[str, dict[str, Any]]]

_NUMBERS = frozenset({"amount", "costValue", "value", "conversionFactor"})
_FLAGS = frozenset({"isInput", "isAvoidedProduct", "isQuantitativeReference",
                    "isInputParameter", "isRefFlowProperty"})
_V1_FLAGS = {"input": "isInput", "avoidedProduct": "isAvoidedProduct",
             "quantitativeReference": "isQuantitativeReference",
             "inputParameter": "isInputParameter", "referenceFlowProperty": "isRefFlowProperty"}
"""openLCA 1.x's names of the flags (olca-schema 1), which olca-schema 2 renamed: an entry
that uses them is refused (review 280: ``avoidedProduct: true`` was read as an ordinary
input, so an avoided 0.5 kWh became a burden, with no word)."""
_ITEMS = ("exchanges", "parameters", "impactFactors", "flowProperties", "allocationFactors")
"""The numbers and flags an import reads, and the lists of an entity that hold them."""
_TEXTS = ("@id", "name")
_REFS = ("flow", "unit", "flowProperty", "currency", "product", "unitGroup", "exchange")
"""The texts of an entity and the references of it and its items (a JSON object each)."""
_FLOW_TYPES = ("ELEMENTARY_FLOW", "PRODUCT_FLOW", "WASTE_FLOW")
"""olca-schema's flow types, as openLCA writes them (a flow or a reference to one)."""


def typed(doc: dict[str, Any], where: str) -> None:
    """Refuse an entity whose numbers (``amount``, ``costValue``, a parameter's or factor's
    ``value``) or flags (``isInput``, ``isAvoidedProduct``…) are of another JSON type, in
    the entity or an item of its exchanges, parameters, impact factors or flow properties:
    olca-schema's classes keep any JSON value as given, so ``"amount": true`` was read as
    1, ``"amount": "12"`` as 12 and ``"isInput": "false"`` as an input, without a word."""
    items = [("", doc)]
    for name in _ITEMS:
        listed = doc.get(name)
        if listed is None:
            continue
        if not isinstance(listed, list):
            raise JunkanError(f"{where}: {name} is a JSON {type(listed).__name__}, not a list")
        items += [(f"{name}[{i}].", item) for i, item in enumerate(listed)]
    for at, item in items:
        if not isinstance(item, dict):
            raise JunkanError(f"{where}: {at[:-1]} is a JSON {type(item).__name__}, not an "
                              "object")
        for key in _NUMBERS & item.keys():
            value = item[key]
            if value is not None and (type(value) is bool or not isinstance(value, int | float)):
                raise JunkanError(f"{where}: {at}{key} is {_json(value)}, not a number; "
                                  "export it again from openLCA or correct it")
        for key in _V1_FLAGS.keys() & item.keys():
            raise JunkanError(
                f"{where}: {at}{key} is openLCA 1.x's name ({_V1_FLAGS[key]} in olca-schema "
                "2): this import reads olca-schema 2, as openLCA 2 exports it; export the "
                "data again from openLCA 2")
        for key in _FLAGS & item.keys():
            value = item[key]
            if value is not None and type(value) is not bool:
                raise JunkanError(f"{where}: {at}{key} is {_json(value)}, not true or false; "
                                  "export it again from openLCA or correct it")
        _texts(item, at, where)


def _texts(item: dict[str, Any], at: str, where: str) -> None:
    """Refuse an ``@id``, ``name`` or ``category`` (of an entity or a reference in it) that
    is not a JSON string — a category may be an object, a reference as openLCA 1.x writes
    it — and a reference (``flow``, ``unit``…) that is not an object: such a value was read
    as something else or stopped the import with a Python error."""
    refs = [(f"{at}{key}.", item[key]) for key in _REFS if item.get(key) is not None]
    for ref_at, ref in refs:
        if not isinstance(ref, dict):
            raise JunkanError(f"{where}: {ref_at[:-1]} is {_json(ref)}, not a reference (a "
                              "JSON object); export it again from openLCA or correct it")
    most = limits().olca_text_chars
    for in_at, obj in [(at, item), *refs]:
        kind = obj.get("flowType")
        if kind is not None and kind not in _FLOW_TYPES:  # review 249: an emission dropped
            raise JunkanError(f"{where}: {in_at}flowType is {_json(kind)}, not one of "
                              f"{', '.join(_FLOW_TYPES)}; export it again from openLCA or "
                              "correct it")
        for key in _TEXTS:
            value = obj.get(key)
            if value is not None and not isinstance(value, str):
                raise JunkanError(f"{where}: {in_at}{key} is {_json(value)}, not a string "
                                  "(text); export it again from openLCA or correct it")
            if value is not None and len(value) > most:
                _too_long(where, f"{in_at}{key}", value)
        cat = obj.get("category")
        if cat is not None and not isinstance(cat, str | dict):
            raise JunkanError(f"{where}: {in_at}category is {_json(cat)}, not a category path "
                              "(text); export it again from openLCA or correct it")
        if isinstance(cat, str) and len(cat) > most:
            _too_long(where, f"{in_at}category", cat)


def _too_long(where: str, at: str, value: str) -> None:
    raise JunkanError(f"{where}: {at} has {len(value):,} characters, more than the "
                      f"{limits().describe('olca_text_chars')}; shorten it in openLCA and "
                      "export the zip again")


MAX_NOTES = 1_000
"""Notes an import lists; the rest are counted in one last note (:class:`Notes`)."""


class Notes(list[str]):
    """An import's notes on what it left out or read its own way: at most
    :data:`MAX_NOTES` kept, the rest counted (a zip of 16,000 exchanges without amounts gave
    a note each); :meth:`closed` lists them with that count."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def append(self, note: str) -> None:
        if len(self) < MAX_NOTES:
            super().append(note)
        else:
            self.dropped += 1

    def extend(self, notes: Iterable[str]) -> None:
        for note in notes:
            self.append(note)

    def __iadd__(self, notes: Iterable[str]) -> Notes:  # type: ignore[override, misc]
        self.extend(notes)
        return self

    def closed(self) -> list[str]:
        """The notes kept, then how many more there were (if any)."""
        more = [f"… and {self.dropped:,} more notes, not listed (the first {MAX_NOTES:,} "
                "are)"] if self.dropped else []
        return [*self, *more]


def _json(value: Any) -> str:
    """A value as JSON writes it, cut to 30 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 30 else text[:29] + "…"


def read_zip(path: Path, notes: list[str] | None = None) -> tuple[Entities, dict[str, str]]:
    """Every JSON entity of the zip by folder and ``@id``, within size limits, and the
    member of each ``folder/id``; two entities of a folder with the same id are refused.
    What is not read — an entry not named ``.json`` (``.JSON``, a zip inside the zip) or an
    entity in the folder of another type — is said in ``notes``."""
    try:
        zf = zipfile.ZipFile(path)
    except OSError as exc:  # missing, unreadable, a folder: the system's words
        raise JunkanError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except zipfile.BadZipFile as exc:
        raise JunkanError(f"{path}: not a readable zip file ({exc})") from None
    with zf:
        lim = limits()
        every = zf.infolist()
        if len(every) > lim.olca_entries:  # entries not read are listed in the notes
            raise JunkanError(f"{path}: {len(every):,} entries, more than the "
                              f"{lim.describe('olca_entries')}")
        infos = [i for i in every if i.filename.endswith(".json")]
        odd = unbounded(infos)
        if odd is not None:
            raise JunkanError(
                f"{path}:{short(odd[0].filename)}: compressed with {odd[1]}, which unpacks "
                "without a bound; openLCA writes deflate, so export the zip again from "
                "openLCA (or zip the entries with deflate)")
        total = sum(i.file_size for i in infos)
        big = [i.filename for i in infos if i.file_size > lim.olca_member_bytes]
        if big or total > lim.olca_total_bytes:
            raise JunkanError(
                f"{path}: too large to import ({short(big[0]) if big else f'{total:,} bytes'};"
                " at most the "
                f"{lim.describe('olca_member_bytes')} bytes an entity and the "
                f"{lim.describe('olca_total_bytes')} bytes in all)")
        unsafe = [i.filename for i in infos if _outside(i.filename)]
        if unsafe:  # read in memory, nothing is written: such an entry was dropped unsaid
            raise JunkanError(
                f"{path}:{short(unsafe[0])}: an entry named outside the zip's folders "
                "('..', a leading '/', '\\' or a drive); openLCA writes <folder>/<id>.json, "
                "so export the zip again from openLCA")
        out: Entities = {}
        members: dict[str, str] = {}
        budget = ValueBudget(lim.olca_values)
        for info in infos:
            folder, _, name = info.filename.rpartition("/")
            doc = member(zf, info, f"{path}:{info.filename}", budget)
            if not isinstance(doc, dict):
                raise JunkanError(
                    f"{path}:{info.filename}: a JSON {type(doc).__name__}, not an "
                    "olca-schema entity (a JSON object); export it again from openLCA or "
                    "remove it from the zip")
            typed(doc, f"{path}:{info.filename}")
            key = str(doc.get("@id") or name[:-5])
            if members.get(f"{folder}/{key}") == info.filename:
                raise JunkanError(f"{path}:{info.filename}: the zip holds two entries of this "
                                  "name; openLCA writes one per entity, so remove one or "
                                  "export the zip again")
            if f"{folder}/{key}" in members:
                raise JunkanError(
                    f"{path}:{info.filename}: @id {short(key)} is also the id of "
                    f"{members[folder + '/' + key]}; openLCA keeps one entity per id, so "
                    "remove or re-export one of them"
                )
            members[f"{folder}/{key}"] = info.filename
            out.setdefault(folder, {})[key] = doc
        if notes is not None:
            notes += _unread(zf) + _misfiled(out, members)
    return out, members


FOLDERS = {"flows": "Flow", "unit_groups": "UnitGroup", "flow_properties": "FlowProperty",
           "lcia_categories": "ImpactCategory", "currencies": "Currency",
           "parameters": "Parameter", "categories": "Category"}
"""The folders an import reads besides ``processes/``, and the ``@type`` of their entities
(olca-schema's zip layout: one folder per type)."""


def _unread(zf: zipfile.ZipFile) -> list[str]:
    """Notes on the entries not read: openLCA writes each entity as ``<folder>/<id>.json``;
    a zip inside the zip is not opened, and ``.JSON`` (another case) is not openLCA's."""
    names = [i.filename for i in zf.infolist()
             if not i.is_dir() and not i.filename.endswith(".json")]
    kinds = (
        ([n for n in names if n.lower().endswith(".zip")],
         "a zip inside the zip, not opened: unpack it and import each zip on its own"),
        ([n for n in names if n.lower().endswith(".json")],
         "not named '.json' (openLCA writes <folder>/<id>.json in lower case): rename them "
         "or export again from openLCA"),
        ([n for n in names if not n.lower().endswith((".zip", ".json"))],
         "not JSON (openLCA's entities are <folder>/<id>.json)"),
    )
    return [f"{len(found)} entr{'y' if len(found) == 1 else 'ies'} not read "
            f"({', '.join(short(n) for n in found[:3])}{' …' if len(found) > 3 else ''}): "
            f"{why}" for found, why in kinds if found]


def _misfiled(out: Entities, members: dict[str, str]) -> list[str]:
    """Drop (with a note each) an entity whose ``@type`` is not its folder's — a process in
    ``flows/`` is no flow; the processes folder refuses another type instead."""
    said = []
    for folder, want in FOLDERS.items():
        for key, doc in list(out.get(folder, {}).items()):
            kind = doc.get("@type")
            if kind is not None and kind != want:
                del out[folder][key]
                said.append(f"{members[folder + '/' + key]}: @type {short(str(kind))} in "
                            f"{folder}/, not a {want}; not read — move it to its own folder")
    return said


def _outside(name: str) -> bool:
    """Whether a zip entry's name reaches outside the zip's own folders."""
    return name.startswith("/") or "\\" in name or ".." in name.split("/") or \
        (len(name) > 1 and name[1] == ":")


def _get(doc: Any, key: str) -> Any:
    return doc.get(key) if isinstance(doc, dict) else None


def _ref_unit(doc: dict[str, Any], entities: Entities) -> str | None:
    """The reference unit of a flow's reference flow property, through the zip."""
    for fpf in _get(doc, "flowProperties") or []:
        if _get(fpf, "isRefFlowProperty"):
            prop_id = str(_get(_get(fpf, "flowProperty"), "@id"))
            prop = entities.get("flow_properties", {}).get(prop_id)
            group_id = str(_get(_get(prop, "unitGroup"), "@id"))
            group = entities.get("unit_groups", {}).get(group_id)
            for unit in _get(group, "units") or []:
                if _get(unit, "isRefUnit") and _get(unit, "name"):
                    return str(unit["name"])
            return REF_UNIT.get(prop_id)
    return None


def category_path(ref: dict[str, Any], cats: dict[str, Any]) -> tuple[str | None, bool]:
    """The path of a category given as a reference (openLCA 1.x): its ``categoryPath`` and
    ``name``, else its chain of parents through ``categories/`` by ``@id``; and whether the
    path is whole (``False``: the name alone, or nothing)."""
    name, parents = ref.get("name"), ref.get("categoryPath")
    if isinstance(name, str) and isinstance(parents, list) and \
            all(isinstance(p, str) for p in parents):
        return "/".join([*parents, name]), True
    chain: list[str] = []
    cur: Any = ref
    while isinstance(cur, dict) and len(chain) < 50:
        doc = cats.get(str(cur.get("@id")))
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            break
        chain.insert(0, doc["name"])
        cur = doc.get("category")
        if cur is None or isinstance(cur, str):  # the top, or a parent's path (olca-schema 2)
            return "/".join(([cur] if cur else []) + chain), True
    return (name if isinstance(name, str) else None), False


def _circular(ref: dict[str, Any], cats: dict[str, Any]) -> bool:
    """Whether a category reference's chain of parents through ``categories/`` comes back
    to a category it has passed (it was reported as "not in categories/")."""
    seen: set[str] = set()
    cur: Any = ref
    while isinstance(cur, dict):
        key = str(cur.get("@id"))
        if key in seen:
            return True
        seen.add(key)
        cur = cats.get(key, {}).get("category") if isinstance(cats.get(key), dict) else None
    return False


class Context:
    """What the exchanges of a process are read with: the zip's entities and units, the
    characterisation factors, the global parameters and the notes."""

    def __init__(self, entities: Entities, cf: dict[str, Any] | None, notes: list[str]
                 ) -> None:
        self.entities, self.cf, self.notes = entities, cf, notes
        self.flows = entities.get("flows", {})
        self.globals = parameters(entities.get("parameters", {}).values())
        self.units = Units(entities)
        self._said: set[str] = set()
        self._providers: dict[str, set[str]] | None = None

    def only_provider(self, flow_id: str, proc: Any) -> bool:
        """Whether process ``proc`` is the zip's only process providing flow ``flow_id`` (a
        product output or a waste input: olca-core ``TechFlow``; the flow's type from the
        zip's flow, else from the exchange's reference to it, as :meth:`flow` reads it): the
        provider openLCA's auto-linking finds for an input without ``defaultProvider`` in a
        database made of this zip. A process without ``@id`` is known by its name."""
        if self._providers is None:
            self._providers = {}
            for doc in self.entities.get("processes", {}).values():
                for e in doc.get("exchanges") or [] if isinstance(doc, dict) else []:
                    ref = e.get("flow") if isinstance(e, dict) else None
                    fid = ref.get("@id") if isinstance(ref, dict) else None
                    kind = fid and (self.flows.get(fid, {}).get("flowType")
                                    or ref.get("flowType"))  # type: ignore[union-attr]
                    if fid and not e.get("isAvoidedProduct") and (
                            kind == "PRODUCT_FLOW" and not e.get("isInput")
                            or kind == "WASTE_FLOW" and e.get("isInput")):
                        self._providers.setdefault(fid, set()).add(
                            str(doc.get("@id") or f"name:{doc.get('name')}"))
        return self._providers.get(flow_id, set()) == {str(proc.id or f"name:{proc.name}")}

    def category(self, value: Any, what: str) -> str:
        """A category path: a string as given (olca-schema 2); a reference (openLCA 1.x) by
        :func:`category_path`, with a note naming ``what`` when its path cannot be read."""
        if not isinstance(value, dict):
            return str(value or "")
        path, whole = category_path(value, self.entities.get("categories", {}))
        if not whole and what not in self._said:
            self._said.add(what)
            why = ("its category's parents in categories/ lead back to it (a cycle)"
                   if _circular(value, self.entities.get("categories", {})) else
                   "its category is a reference without its path (no categoryPath, and not "
                   "in categories/)")
            self.notes.append(
                f"{what}: {why}, so " + (f"only its name {path!r} is read" if path else
                                         "it is not read") + "; export the zip again from "
                "openLCA 2")
        return path or ""

    def flow(self, e: Any) -> tuple[str | None, str, str | None, str]:
        """Type, category path, reference unit and name of an exchange's flow: from the
        zip's flow, else from the exchange's own reference to it (as openLCA resolves a
        flow by its ``@id``: a reference naming "Methane, fossil" for the zip's "Methane,
        biogenic" counted it fossil; review 225)."""
        ref, doc = e.flow, self.flows.get(e.flow.id if e.flow else "", {})
        kind = doc.get("flowType") or (ref and ref.flow_type and ref.flow_type.value)
        name = str(doc.get("name") or (ref and ref.name) or "")
        cat = self.category(doc.get("category") or (ref and ref.category),
                            f"flow {name!r} ({ref.id if ref else ''})")
        if not kind and re.match(r"\s*(elementary flows|emissions?)\b", cat, re.I):
            kind = "ELEMENTARY_FLOW"
        unit = _ref_unit(doc, self.entities) or (ref and ref.ref_unit)
        return kind, cat, unit, name

    def unit(self, e: Any) -> str | None:
        return (e.unit.name if e.unit else None) or self.flow(e)[2]

    def base(self, e: Any, unit: Any = False, prop: Any = None) -> Base:
        """One unit of exchange ``e``'s amount (or of a factor of its flow per ``unit`` and
        ``prop``): in the flow's reference unit through the zip's own units
        (:class:`~junkan.lifecycle.olca_units.Units`), else as the unit is named — no unit
        being the flow's reference unit."""
        if unit is False:
            unit, prop = e.unit, e.flow_property
        found = self.units.base(self.flows.get(e.flow.id if e.flow else "", {}),
                                unit.id if unit else None, unit.name if unit else None,
                                prop.id if prop else None)
        return found or (1.0, (unit.name if unit else None) or self.flow(e)[2])

    def bases(self, e: Any) -> list[Base]:
        """One unit of ``e``'s amount in its flow's reference unit (:meth:`base`) and,
        when that is another flow property, in the reference unit of its own property."""
        found = self.units.bases(self.flows.get(e.flow.id if e.flow else "", {}),
                                 e.unit.id if e.unit else None, e.unit.name if e.unit else None,
                                 e.flow_property.id if e.flow_property else None)
        return found or [self.base(e)]

    def in_properties(self, e: Any) -> list[tuple[Base, str]]:
        """One unit of ``e``'s amount in each other flow property of its flow
        (:meth:`~junkan.lifecycle.olca_units.Units.in_properties`)."""
        return self.units.in_properties(self.flows.get(e.flow.id if e.flow else "", {}),
                                        self.base(e))

    def in_own_property(self, e: Any) -> bool:
        """Whether ``e`` is given in a flow property its flow has (openLCA cannot convert
        an amount in another to the flow's reference unit)."""
        return self.units.has_property(self.flows.get(e.flow.id if e.flow else "", {}),
                                       e.flow_property.id if e.flow_property else None)

    def to(self, e: Any, table: dict[str, float], target: str) -> float | None:
        """How many ``target`` one unit of ``e``'s amount is (:func:`convert`): in its
        flow's reference property, else in its own (an input of 360 MJ of a gas whose
        reference is m3 is 360 MJ)."""
        for base in self.bases(e):
            found = convert(base, table, target)
            if found is not None:
                return found
        return None


def within(value: float, where: str) -> float:
    """``value`` when it is finite and its magnitude within junkan's quantity limit; else a
    :class:`JunkanError` saying ``where`` (the process, the flow and what the value is)."""
    lim = limits()
    if not math.isfinite(value) or abs(value) > lim.quantity_magnitude:
        raise JunkanError(
            f"{where} is {value:g}, beyond the magnitude junkan accepts (at most "
            f"{lim.quantity_magnitude:g}, {lim.env('quantity_magnitude')}): a value this "
            "large is a typing or unit mistake and overflows once multiplied; correct it in "
            "openLCA and export again")
    return value


def exchange_amount(proc: Any, e: Any, name: str, params: dict[str, Any], notes: list[str],
                    unit: str | None = None, per: float = 1.0) -> float | None:
    """An exchange's amount: as given, else its formula's value; ``None`` with a note.
    An amount whose magnitude in the unit junkan keeps (``per`` of it to one ``unit``:
    kg for a mass, MJ for an energy) is beyond its quantity limit is refused
    (:func:`within`)."""
    if e.amount is not None:
        value, how = float(e.amount), ""
    elif not e.amount_formula:
        notes.append(f"{proc.name}: exchange {name!r} has no amount; left out")
        return None
    else:
        how = f" (the formula {short(e.amount_formula)})"
        try:
            value = formula(str(e.amount_formula), params)
        except Overflowed:
            value = math.inf  # refused below, as an absurd amount
        except ValueError as exc:
            notes.append(f"{proc.name}: exchange {name!r} has only the formula "
                         f"{short(e.amount_formula)}, which cannot be evaluated ({exc}); "
                         "left out")
            return None
    amount = (f"the amount {value:g} {unit[:30]}{how}, converted," if per != 1 and unit
              else f"the amount{' in ' + unit[:30] if unit else ''}{how}")
    within(value * per, f"process {short(proc.name or proc.id)}: exchange {short(name)}: "
           f"{amount}")
    return value
