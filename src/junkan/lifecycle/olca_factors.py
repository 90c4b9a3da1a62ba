"""CO2e and energy of the exchanges of an openLCA process, for :mod:`junkan.lifecycle.olca`:
with the zip's climate-change impact category, else IPCC AR6 GWP100 for CO2, CH4 and N2O
emitted to air; amounts and factors in the zip's own units (:mod:`.olca_units`)."""

from __future__ import annotations

import math
import re
from typing import Any

from junkan.core.errors import JunkanError, short
from junkan.lifecycle.olca_formula import Overflowed, formula, parameters
from junkan.lifecycle.olca_read import Context, Entities, within
from junkan.lifecycle.olca_units import ENERGY, MASS, Base, convert

GWP100 = (  # IPCC AR6 WG1 (2021), ch. 7, table 7.15; GWP100
    ("carbon dioxide, biogenic", 0.0),
    ("carbon dioxide, non-fossil", 0.0),
    ("carbon dioxide", 1.0),
    ("co2e", 1.0),
    ("methane, non-fossil", 27.0),
    ("methane, biogenic", 27.0),
    ("methane", 29.8),
    ("dinitrogen monoxide", 273.0),
    ("nitrous oxide", 273.0),
)
GWP_SOURCE = (
    "IPCC AR6 WG1 (2021) ch. 7 table 7.15, GWP100: CO2 1, CH4 fossil 29.8, "
    "CH4 non-fossil 27.0, N2O 273; a flow named 'CO2e…' (an aggregate such as junkan's own "
    "export writes) counts 1 per kg"
)
_NON_FOSSIL = {"carbon dioxide": 0.0, "methane": 27.0}
_FORMULAS = {"co2": "carbon dioxide", "ch4": "methane", "n2o": "dinitrogen monoxide"}
_HALOGENATED = re.compile(r"fluoro|chloro|bromo|iodo|\b(h?cfc|hfc|halon)\b")


def _olca() -> Any:
    import olca_schema

    return olca_schema


def gwp(name: str) -> float | None:
    """GWP100 of a flow by its name: the names of :data:`GWP100`, or the gases' formulas as
    some databases name them (``CO2``, ``CH4, fossil``, ``N2O``); a name that says biogenic
    or non-fossil anywhere (``Carbon dioxide (biogenic)``) counts as such. A halogenated
    methane (ecoinvent's ``Methane, dichlorodifluoro-, CFC-12``) is no methane: ``None``."""
    low = " ".join(name.lower().split())
    m = re.match(r"(co2|ch4|n2o)(?![a-z0-9])", low)
    if m:
        low = _FORMULAS[m.group(1)] + low[m.end():]
    if _HALOGENATED.search(low):
        return None
    for key, value in GWP100:
        if low.startswith(key):
            if key in _NON_FOSSIL and re.search(r"biogenic|non-fossil", low):
                return _NON_FOSSIL[key]
            return value
    return None


def mass_of_co2e(ref_unit: str | None, where: str = "impact category",
                others: bool = True) -> float:
    """kg per unit of an impact category's reference unit (kg, g or t CO2 eq); else a
    JunkanError naming the category (``where``) and, when the zip has ``others``, --impact."""
    m = re.match(r"\s*(kg|g|t)\s*CO2", ref_unit or "", re.I)
    if not m:
        said = ("has no reference unit (refUnit)" if not ref_unit else
                f"has the reference unit {short(ref_unit)}, not kg (or g, t) CO2 eq")
        raise JunkanError(f"{where} {said}; give it 'kg CO2 eq' in openLCA and export again"
                          + (", or choose another category with --impact" if others else ""))
    return MASS[m.group(1).lower()]


_CLIMATE = re.compile(r"climate|gwp|global warming", re.I)


def _listed(cats: list[Any]) -> str:
    """The categories by name and id, for a message."""
    return ", ".join(f"{short(c.name or '', 50)} (id {short(c.id or '', 40)})" for c in cats)


def climate_category(
    cats: list[tuple[str, Any]], impact: str | None
) -> tuple[Any | None, list[Any]]:
    """The impact category for CO2e among the zip's ``(key, category)`` pairs (``key``: the
    ``@id``, or the member's name without it), and the matching ones left out.

    ``impact`` (``--impact``) picks the category of that id, else of that name — refused
    when the zip lacks it or two categories have that name. Without it, the categories named
    like climate change (``climate``, ``GWP``, ``global warming``): none, or the one; of
    several, the one whose name begins every other's (EF 3.1's ``Climate change`` before
    ``Climate change - Fossil``, ``- Biogenic`` and ``- Land use and LU change``: the total
    of its sub-categories); else refused naming them all (IPCC 2013's ``GWP 100a`` and
    ``GWP 20a`` are two indicators, neither a part of the other, and taking the first in
    zip order would pick one silently)."""
    if impact:
        want = [c for key, c in cats if impact in (c.id, key)] or \
            [c for _, c in cats if c.name == impact]
        if not want:
            raise JunkanError(
                f"impact category {short(impact)} is not in the zip; it has: "
                f"{', '.join(c.name or c.id or key for key, c in cats) or 'none'}"
            )
        if len(want) > 1:
            raise JunkanError(
                f"impact category {short(impact)} is the name of {len(want)} categories of "
                f"the zip: {_listed(want)}; choose one by its id with --impact ID"
            )
        return want[0], []
    want = [c for _, c in cats if _CLIMATE.search(c.name or "")]
    if len(want) <= 1:
        return (want[0] if want else None), []
    names = [(c.name or "").strip().casefold() for c in want]
    totals = [c for c, name in zip(want, names, strict=True)
              if all(_begins(n, name) for n in names)]
    if len(totals) == 1:
        return totals[0], [c for c in want if c is not totals[0]]
    raise JunkanError(
        f"the zip has {len(want)} climate-change impact categories and not one of them alone "
        f"is the total of the others: {_listed(want)}; choose one with --impact NAME (or its "
        "id)"
    )


def _begins(name: str, total: str) -> bool:
    """Whether ``name`` is ``total`` or begins with it as a whole word ("climate change -
    fossil" begins with "climate change"; "gwp 200" does not begin with "gwp 20")."""
    return name == total or (name.startswith(total) and not name[len(total)].isalnum())


def climate(entities: Entities, impact: str | None, notes: list[str]
            ) -> tuple[dict[str, Any] | None, str]:
    """Characterisation factors (flow id → (kg CO2e per unit, the factor's unit and flow
    property references, ``None`` for the flow's reference unit)) and their source: the
    impact category :func:`climate_category` picks (its factors may be none: every flow then
    counts 0, as in openLCA), else ``(None, GWP_SOURCE)``. A factor given by a formula is
    evaluated with the category's and the zip's global parameters; one with neither a value
    nor a formula it can read, or without a flow id, is left out with a note, as are factors
    for a location (review 252: a regionalised method gives a flow one per region); two
    different factors of one flow without a location (value or units) are refused (review
    249: the last one won, without a word)."""
    o = _olca()
    cats = [(str(key), o.ImpactCategory.from_dict(d))
            for key, d in entities.get("lcia_categories", {}).items()]
    cat, left_out = climate_category(cats, impact)
    if cat is None:
        return None, GWP_SOURCE
    where = f"impact category {short(cat.name or cat.id)}"
    said = f"{where} (@id {short(cat.id)})" if cat.id and cat.name else where
    scale = mass_of_co2e(cat.ref_unit, said, len(cats) > 1)
    params = {**parameters(entities.get("parameters", {}).values()),
              **parameters(cat.parameters or [])}
    factors: dict[str, Any] = {}
    located = 0
    for f in cat.impact_factors or []:
        if f.flow is None or not f.flow.id:
            notes.append(f"{where}: a factor without a flow id; left out")
            continue
        if f.location is not None:  # a regionalised method's: junkan's processes have none
            located += 1
            continue
        flow = f"flow {short(f.flow.name or f.flow.id)} ({f.flow.id})"
        value = _factor_value(f, params, f"{where}: the factor of {flow}", notes)
        if value is None:
            continue
        kg = within(value * scale, f"{where}: the factor of {flow}, {value:g} {cat.ref_unit},")
        per = (f.unit.id if f.unit else None, f.flow_property.id if f.flow_property else None)
        if f.flow.id in factors and (factors[f.flow.id][0], _ids(factors[f.flow.id])) != (kg, per):
            raise JunkanError(f"{where} gives {flow} two factors without a location, "
                              f"{factors[f.flow.id][0] / scale:g} and {value:g} {cat.ref_unit} "
                              "(or per other units); openLCA keeps one per flow and location, so "
                              "remove one and export the zip again")
        factors[f.flow.id] = (kg, f.unit, f.flow_property)
    if located:
        notes.append(f"{where}: {located:,} factor{'s' if located != 1 else ''} for a location "
                     "(a regionalised method) left out; each flow counts by its factor without "
                     "a location")
    source = f"impact category '{cat.name or cat.id}' ({cat.ref_unit}) of the zip"
    if left_out:
        source += (f" — the total of the zip's {len(left_out)} other climate-change "
                   f"categor{'y, which is' if len(left_out) == 1 else 'ies, which are'} "
                   "left out: " + ", ".join(short(c.name, 50) for c in left_out))
    return factors, source


def _ids(factor: tuple[float, Any, Any]) -> tuple[str | None, str | None]:
    """The unit and flow property ids a factor is given per (``None``: the flow's own)."""
    return (factor[1].id if factor[1] else None, factor[2].id if factor[2] else None)


def _factor_value(f: Any, params: dict[str, Any], where: str, notes: list[str]) -> float | None:
    """An impact factor's value: its ``value``, else its ``formula`` evaluated (openLCA's
    arithmetic, :func:`~.olca_formula.formula`); ``None``, noted, when it has neither."""
    if f.value is not None:
        return float(f.value)
    if f.formula:
        try:
            return formula(str(f.formula), params)
        except Overflowed:
            return math.inf  # refused by the caller, as an absurd factor
        except ValueError as exc:
            notes.append(f"{where}: formula {short(str(f.formula), 60)} cannot be read "
                         f"({short(str(exc), 80)}); left out, so the flow counts 0")
            return None
    notes.append(f"{where}: no value and no formula; left out, so the flow counts 0")
    return None


def co2e(proc: Any, e: Any, ctx: Context, qty: float) -> float:
    """kg CO2e of one exchange of ``qty`` (in its unit): with the zip's factor of its flow
    (input or output, as openLCA does), else by GWP100 when it is an emission to air; 0
    with a note when left out. Amount and factor are compared in the flow's reference unit
    when the zip's units give both, else each converted to kg."""
    kind, cat, ref_unit, name = ctx.flow(e)
    fid = e.flow.id if e.flow else ""
    per: Base
    if ctx.cf is not None:  # the zip's category chosen, even with no factor (review 249)
        value, f_unit, f_prop = ctx.cf.get(fid, (0.0, None, None))
        per, shown = ctx.base(e, f_unit, f_prop), (f_unit.name if f_unit else None) or ref_unit
        if fid not in ctx.cf and kind == "ELEMENTARY_FLOW" and not e.is_input and gwp(name):
            ctx.notes.append(f"{proc.name}: flow {name!r} ({fid}): the impact category has "
                             "no factor for it, so it counts 0, as in openLCA; left out")
    elif kind is None and not e.is_input and gwp(name):
        ctx.notes.append(f"{proc.name}: flow {name!r} ({fid}): neither the zip nor the "
                         "exchange's reference to it gives its type or category; left out")
        return 0.0
    elif kind != "ELEMENTARY_FLOW" or e.is_input or not gwp(name):
        return 0.0
    elif not cat:
        ctx.notes.append(f"{proc.name}: flow {name!r} has no category, so no compartment; "
                         "left out")
        return 0.0
    elif not re.search(r"(^|/)\s*(emissions? to )?air\b", cat, re.I):
        return 0.0  # CO2 to water or soil is no emission to air
    else:
        value, per, shown = gwp(name) or 0.0, (1.0, "kg"), "kg"
    if not value:
        return 0.0
    amount = ctx.base(e)
    if amount[1] is not None and amount[1] == per[1]:
        return qty * amount[0] / per[0] * value
    kg: list[float] = []
    for what, base, unit in (("emission", amount, ctx.unit(e)),
                             ("characterisation factor per unit", per, shown)):
        factor = convert(base, MASS, "kg")
        if factor is None:
            said = f"in {unit!r}" if unit else "without a unit"  # review 263: "in None"
            ctx.notes.append(f"{proc.name}: {what} of {name!r} {said}, not a mass; "
                             "left out")
            return 0.0
        kg.append(factor)
    return qty * kg[0] / kg[1] * value


def energy(proc: Any, e: Any, qty: float, ctx: Context) -> float:
    """MJ of an input in an energy unit, or of a flow the zip gives an energy content for
    (natural gas in m3 with an Energy flow property of 36 MJ per m3: 2 m3 are 72 MJ, as
    openLCA converts between a flow's properties; review 263: it counted 0 without a
    word); 0 for another input. A note when its unit is not one junkan reads though its
    flow is measured in energy, and when the amount is in a flow property its flow does
    not have (left out: openLCA cannot convert it either)."""
    u, name = ctx.unit(e), ctx.flow(e)[3]
    if not ctx.in_own_property(e):
        prop = e.flow_property.name or e.flow_property.id
        ctx.notes.append(f"{proc.name}: input {name!r} is given in flow property "
                         f"{prop!r}, which its flow does not have, so the amount cannot be "
                         "converted to the flow's unit; left out")
        return 0.0
    mj = ctx.to(e, ENERGY, "MJ")
    if mj is None:
        mj = _through_property(proc, e, ctx)
    if mj is None and u is not None and \
            convert(ctx.base(e, None, None), ENERGY, "MJ") is not None:
        ctx.notes.append(f"{proc.name}: energy input {name!r} in {u!r}, not an energy unit "
                         "junkan converts (MJ, kWh, kcal …); left out")
    return qty * mj if mj is not None else 0.0


def _through_property(proc: Any, e: Any, ctx: Context) -> float | None:
    """MJ of one unit of ``e``'s amount through its flow's energy property, with a note
    saying the factor used; ``None`` when the flow has none."""
    for base, _ in ctx.in_properties(e):
        mj = convert(base, ENERGY, "MJ")
        if mj is not None:
            ctx.notes.append(f"{proc.name}: input {ctx.flow(e)[3]!r} in {ctx.unit(e)!r} "
                             f"counted as energy through its flow's energy property: "
                             f"{mj:.6g} MJ per {ctx.unit(e)}")
            return mj
    return None


EXPORTED_SOURCE = "factors' source: "
"""Where an exported process's description says the source of its factors, last (read back
on import by :func:`given_source`)."""


def process_source(model: Any, name: str) -> str | None:
    """The source a model gives process ``name``'s factors: the process's own, or for a
    material's supply (``virgin:steel``, ``recycled:steel``) that supply's; ``None`` where
    it gives none (a part's purchase: a price without a source field)."""
    procs = getattr(model, "processes", None) or {}
    if name in procs:
        return getattr(procs[name], "source", None)
    kind, _, material = name.partition(":")
    m = (getattr(model, "materials", None) or {}).get(material)
    supply = getattr(m, kind, None) if kind in ("virgin", "recycled") else None
    return getattr(supply, "source", None)


def reference_basis(table: Any, name: str) -> tuple[bool | None, str]:
    """Whether process ``name`` of a compiled process table is exported per piece (``True``),
    per kg (``False``: its factors are per kg or per t*km) or per whichever activity it has
    (``None``: it has no factor), as its own factors are given — per-kg factors exported per
    piece came back as an average over the masses handled (review 249) — and what the
    description says when they mix both bases."""
    i = table.index.get(name)
    if i is None:
        return None, ""
    piece, kg = bool(table.factors[i, 0].any()), bool(table.factors[i, 1].any())
    if piece and kg:
        return True, ("; its factors are per piece and per kg, the reference in pieces: its "
                      "per-kg factors come back averaged over the masses handled")
    return (True if piece else False if kg else None), ""


def given_source(description: str | None) -> str | None:
    """The factors' source a junkan export wrote at the end of a process's description
    (:data:`EXPORTED_SOURCE`), so that an import keeps it ('assumption: …' stays one)."""
    if description and EXPORTED_SOURCE in description:
        return description.rsplit(EXPORTED_SOURCE, 1)[1].strip() or None
    return None


def imported_source(zip_name: str, proc: Any, cf_source: str, today: str, member: str) -> str:
    """An imported process's source: the zip, the process (its ``member`` of the zip where it
    has no id or version: review 249 read ``process '' (None, version None)``), the climate
    factors, the day; and the source a junkan export wrote in its description (review 248:
    'assumption' was lost)."""
    ident = ", ".join(x for x in (proc.id, proc.version and f"version {proc.version}") if x)
    src = (f"openLCA JSON-LD {zip_name}: process '{(proc.name or '')[:120]}' "
           f"({ident or member}); CO2e by {cf_source}; imported {today}")
    given = given_source(proc.description)
    return f"{src}; source given there: {given}" if given else src
