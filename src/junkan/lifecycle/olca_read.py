"""Reading openLCA JSON-LD zips for :mod:`junkan.lifecycle.olca`: the entities by folder and
id within size limits (a damaged or hostile zip is an error naming its member), the flows an
exchange refers to, the reference units of flows, openLCA parameter formulas evaluated
as arithmetic (parsed, never run as code), cost and revenue per currency, and which process
``--materials`` reads as a virgin material supply."""

from __future__ import annotations

import ast
import functools
import json
import math
import operator
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from junkan.core.documents import loads_with_repeat, repeated_key
from junkan.core.errors import JunkanError, short
from junkan.core.limits import limits
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
_REF_UNIT = {ids[4]: unit for unit, ids in REF.items()}
"""The reference unit of openLCA's reference flow properties, for zips without them."""


MASS = {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "t": 1e3, "Mg": 1e3, "kt": 1e6, "lb": 0.45359237}
PIECE = {"Item(s)", "item", "items", "p", "pcs", "piece", "unit"}
TRANSPORT = {"t*km": 1.0, "kg*km": 1e-3, "tkm": 1.0}
ENERGY = {"MJ": 1.0, "kJ": 1e-3, "GJ": 1e3, "kWh": 3.6, "Wh": 3.6e-3, "MWh": 3600.0}


def unit_factor(unit: str | None, table: dict[str, float], target: str) -> float | None:
    """How many ``target`` one ``unit`` is: from ``table`` (openLCA's names), else by
    junkan's unit registry (``oz``, ``kcal``, ``TJ``); ``None`` when it is not one."""
    if unit is None or unit in table:
        return None if unit is None else table[unit]
    return _registry_factor(unit, target)


@functools.lru_cache(maxsize=1024)
def _registry_factor(unit: str, target: str) -> float | None:
    """:func:`unit_factor` by the unit registry, once per unit: every exchange's amount is
    checked in kg or MJ (:func:`exchange_amount`), and a zip has few distinct units."""
    try:
        return to_unit(f"1 {unit}", target)
    except (ValueError, ArithmeticError):  # UnitParseError is a ValueError
        return None


def _olca() -> Any:
    import olca_schema

    return olca_schema


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{short(text)} is not a finite number")
    return value


def _small_int(text: str) -> int:
    if len(text) > 309:
        raise ValueError(f"{short(text)} is not a finite number")
    return int(text)


Entities = dict[str, dict[str, dict[str, Any]]]

_NUMBERS = frozenset({"amount", "costValue", "value", "conversionFactor"})
_FLAGS = frozenset({"isInput", "isAvoidedProduct", "isQuantitativeReference",
                    "isInputParameter", "isRefFlowProperty"})
_ITEMS = ("exchanges", "parameters", "impactFactors", "flowProperties")
"""The numbers and flags an import reads, and the lists of an entity that hold them."""


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
        for key in _FLAGS & item.keys():
            value = item[key]
            if value is not None and type(value) is not bool:
                raise JunkanError(f"{where}: {at}{key} is {_json(value)}, not true or false; "
                                  "export it again from openLCA or correct it")


def _json(value: Any) -> str:
    """A value as JSON writes it, cut to 30 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 30 else text[:29] + "…"


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Any:
    """One JSON member of the zip, read within its size limit and parsed finite."""
    most = limits().olca_member_bytes
    try:
        with zf.open(info) as fh:
            raw = fh.read(most + 1)
    except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise JunkanError(f"{where}: cannot be read ({exc}); the zip is damaged") from None
    if len(raw) > most:
        raise JunkanError(f"{where}: more than {most:,} bytes unpacked, the "
                          f"{limits().describe('olca_member_bytes')}")
    repeats: list[str] = []
    try:
        doc = json.loads(raw, parse_constant=_no_constant, parse_float=_finite,
                         parse_int=_small_int, object_pairs_hook=_noting_repeats(repeats))
    except RecursionError:
        raise JunkanError(f"{where}: not JSON an import reads (nested too deeply)") from None
    except ValueError as exc:  # UnicodeDecodeError is one
        raise JunkanError(f"{where}: not JSON ({exc})") from None
    if repeats:  # read again only to name where: the path and the key
        _, problem = loads_with_repeat(raw)
        said = (f"{problem.path + ': ' if problem.path else ''}{problem.message}"
                if problem is not None else f"the key {short(repeats[0])} is given twice")
        raise JunkanError(f"{where}: {said}, so the import refuses it (json-duplicate-key); "
                          "keep the one you mean and export it again")
    return doc


def _noting_repeats(repeats: list[str]) -> Any:
    """A ``json.loads`` object hook building each object as ``json.loads`` does and noting
    in ``repeats`` each key an object gives twice (core's :func:`repeated_key`)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            repeats.append(str(repeated_key(pairs)))
        return obj

    return hook


def read_zip(path: Path) -> tuple[Entities, dict[str, str]]:
    """Every JSON entity of the zip by folder and ``@id``, within size limits, and the
    member of each ``folder/id``; two entities of a folder with the same id are refused."""
    try:
        zf = zipfile.ZipFile(path)
    except OSError as exc:  # missing, unreadable, a folder: the system's words
        raise JunkanError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except zipfile.BadZipFile as exc:
        raise JunkanError(f"{path}: not a readable zip file ({exc})") from None
    with zf:
        lim = limits()
        infos = [i for i in zf.infolist() if i.filename.endswith(".json")]
        if len(infos) > lim.olca_entries:
            raise JunkanError(f"{path}: {len(infos):,} entries, more than the "
                              f"{lim.describe('olca_entries')}")
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
        for info in infos:
            folder, _, name = info.filename.rpartition("/")
            doc = _member(zf, info, f"{path}:{info.filename}")
            if not isinstance(doc, dict):
                raise JunkanError(
                    f"{path}:{info.filename}: a JSON {type(doc).__name__}, not an "
                    "olca-schema entity (a JSON object); export it again from openLCA or "
                    "remove it from the zip")
            typed(doc, f"{path}:{info.filename}")
            key = str(doc.get("@id") or name[:-5])
            if f"{folder}/{key}" in members:
                raise JunkanError(
                    f"{path}:{info.filename}: @id {short(key)} is also the id of "
                    f"{members[folder + '/' + key]}; openLCA keeps one entity per id, so "
                    "remove or re-export one of them"
                )
            members[f"{folder}/{key}"] = info.filename
            out.setdefault(folder, {})[key] = doc
    return out, members


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
            return _REF_UNIT.get(prop_id)
    return None


class Context:
    """What the exchanges of a process are read with: the zip's entities, the
    characterisation factors, the global parameters and the notes."""

    def __init__(self, entities: Entities, cf: dict[str, Any], notes: list[str]) -> None:
        self.entities, self.cf, self.notes = entities, cf, notes
        self.flows = entities.get("flows", {})
        self.globals = parameters(entities.get("parameters", {}).values())

    def flow(self, e: Any) -> tuple[str | None, str, str | None, str]:
        """Type, category path, reference unit and name of an exchange's flow: from the
        zip's flow, else from the exchange's own reference to it."""
        ref, doc = e.flow, self.flows.get(e.flow.id if e.flow else "", {})
        kind = doc.get("flowType") or (ref and ref.flow_type and ref.flow_type.value)
        cat = str(doc.get("category") or (ref and ref.category) or "")
        if not kind and re.match(r"\s*(elementary flows|emissions?)\b", cat, re.I):
            kind = "ELEMENTARY_FLOW"
        unit = (ref and ref.ref_unit) or _ref_unit(doc, self.entities)
        return kind, cat, unit, str((ref and ref.name) or doc.get("name") or "")

    def unit(self, e: Any) -> str | None:
        return (e.unit.name if e.unit else None) or self.flow(e)[2]


def parameters(docs: Any) -> dict[str, Any]:
    """Parameter name (lower case) → value, or formula for a dependent parameter."""
    out: dict[str, Any] = {}
    for p in docs:
        p = p if not isinstance(p, dict) else _olca().Parameter.from_dict(p)
        if p.name and isinstance(p.name, str):
            dependent = p.is_input_parameter is False and p.formula
            out[p.name.lower()] = p.formula if dependent else p.value
    return out


_OPS: dict[type, Any] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                         ast.Div: operator.truediv, ast.Pow: operator.pow}


def formula(
    text: str, params: dict[str, Any], depth: int = 0, memo: dict[str, float] | None = None
) -> float:
    """The value of an openLCA formula of numbers, parameters, + - * / ^ and brackets —
    parsed, never run as code; ``ValueError`` when it is anything else (a function call,
    an unknown parameter, a cycle) or not finite."""
    if depth > 20 or len(text) > 1000:
        raise ValueError("too long or too deeply dependent")
    memo = {} if memo is None else memo

    def name(key: str) -> float:
        value = params.get(key)
        if value is None:
            raise ValueError(f"unknown parameter {key!r}")
        if key not in memo:  # each dependent parameter is evaluated once
            memo[key] = (formula(value, params, depth + 1, memo) if isinstance(value, str)
                         else float(value))
        return memo[key]

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return name(node.id.lower())
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return float(_OPS[type(node.op)](ev(node.left), ev(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        raise ValueError(f"{ast.dump(node)[:40]} is not arithmetic junkan evaluates")

    try:
        value = ev(ast.parse(text.replace("^", "**"), mode="eval").body)
    except OverflowError as exc:
        raise Overflowed(f"{type(exc).__name__}: {exc}") from None
    except (SyntaxError, ZeroDivisionError, RecursionError, TypeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    if not math.isfinite(value):
        raise Overflowed("not a finite number")
    return value


class Overflowed(ValueError):
    """A formula whose value is beyond a float (``1e200 * 1e200``): an absurd amount, which
    the import refuses (:func:`within`), not an expression it cannot read."""


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


def currency_code(e: Any, ctx: Context) -> str | None:
    if e.currency is None:
        return None
    doc = ctx.entities.get("currencies", {}).get(e.currency.id or "", {})
    return str(doc.get("code") or e.currency.name or "").upper() or None


def money(proc: Any, parts: dict[str, list[tuple[float, str | None]]], notes: list[str],
           amount: float, per: str) -> dict[str, str]:
    """Cost and revenue per unit of reference, each in the one currency its exchanges
    use; left out with a note when they mix currencies (no sourced rate to convert)."""
    out = {}
    for key, rows in parts.items():
        total = sum(v for v, _ in rows)
        codes = {c for v, c in rows if v}
        if not total:
            continue
        if None in codes:
            notes.append(f"{proc.name}: {key} without a currency code; left out")
        elif len(codes) > 1:
            notes.append(f"{proc.name}: {key} in {' and '.join(sorted(map(str, codes)))}; no "
                         "sourced exchange rate to add them, so the "
                         f"{key} is left out")
        elif (cur := next(iter(codes))) not in ("JPY", "USD", "EUR"):
            notes.append(f"{proc.name}: {key} in {cur}, not JPY, USD or EUR; left out")
        else:
            value = within(total / amount, f"process {short(proc.name or proc.id)}: {key} per "
                           f"{per} of its reference ({total:g} {cur} for {amount:g} {per})")
            out[key] = f"{value:.10g} {cur}/{per}"
    if len({v.split()[1].split("/")[0] for v in out.values()}) > 1:
        notes.append(f"{proc.name}: cost and revenue are in different currencies; a model has "
                     "one, so convert one of them with a sourced rate")
    return out


JUNKAN_KINDS = {"virgin:": "virgin material supply", "recycled:": "recycled material supply",
                "purchase:": "part purchase"}
"""The category tail junkan's export gives its implicit processes (by name prefix)."""
TREATMENT = "end-of-life treatment"
"""The category tail of an exported sink (recycling, energy recovery, landfill, export)."""


def is_virgin_supply(proc: Any, ref: Any, per: str, ctx: Context) -> bool:
    """Whether a process is a virgin material supply for ``--materials``: its reference is
    a product output (no waste flow) in mass and, in a junkan export, it is a ``virgin:``
    supply; a note says why another process stays a process."""
    kind = ctx.flow(ref)[0]
    cat = str(proc.category or "")
    why = None
    if per != "kg" or ref.is_input:
        return False  # a product per piece or t*km, or a treatment: a process, as documented
    if kind == "WASTE_FLOW":
        why = "its reference is a waste flow (a treatment)"
    elif cat.startswith("junkan/") and not cat.endswith("/" + JUNKAN_KINDS["virgin:"]):
        tail = cat.rsplit("/", 1)[-1]
        why = f"junkan's export marks it {tail!r}, not a virgin material supply"
        if tail not in (*JUNKAN_KINDS.values(), TREATMENT):
            # no kind in the category: an ordinary process, or any process of an export
            # written before the kinds were (2026-12-03), which named virgin supplies
            # 'virgin:<material> (<label>)'
            why = None if str(proc.name or "").startswith("virgin:") else \
                "junkan's export marks it as a process, not a virgin material supply"
    if why:
        ctx.notes.append(f"{proc.name}: {why}; imported as a process, not a material")
    return why is None


def virgin_supply(proc: Any, ref: Any, factors: dict[str, Any], amount: float, ctx: Context
            ) -> dict[str, Any]:
    """The virgin supply of a material: the maker's CO2e and energy per kg, and as cost
    the product's price (the reference output's cost value) or, for a junkan export's
    virgin supply, the purchase cost the export wrote as its cost."""
    supply = {k: v for k, v in factors.items() if k in ("co2e", "energy")}
    price = money(proc, {"price": [(float(ref.cost_value or 0), currency_code(ref, ctx))]},
                   ctx.notes, amount, "kg")
    if price:
        supply["cost"] = price["price"]
    elif str(proc.category or "").startswith("junkan/") and "cost" in factors:
        supply["cost"] = factors["cost"]  # junkan writes what the buyer pays as its cost
    else:
        ctx.notes.append(f"{proc.name}: its product has no price (reference cost value); "
                         "virgin cost left out")
    return supply
