"""Exchange with openLCA through its JSON-LD format (olca-schema), the ``olca`` extra.

* :func:`import_template` reads the processes, flows and exchanges of an openLCA JSON-LD zip
  and turns each process into *unit factors* per unit of its quantitative reference (per
  piece, kg or t·km): CO2e from the elementary flows a climate-change impact category of
  the zip characterises (in the factors' units), else from CO2, CH4 and N2O emitted to air
  (the flow's category path) by IPCC AR6 GWP100; energy from its energy inputs, cost and
  revenue from its exchanges' cost values as openLCA's life cycle costing counts them
  (:mod:`.olca_costs`), each in one currency. Amounts are converted by the zip's own units
  first (:mod:`.olca_units`), a process with co-products is allocated to its reference by
  its default allocation method, avoided products count negative, amounts given by formula
  are evaluated as arithmetic, and what cannot be read is left out with a note (user
  guide, chapter 11). The result is a library template
  (``src/junkan/data/library/`` format: ``actors``, ``processes``, ``materials``,
  ``sources``), every value with its source.
* :func:`export_inventory` writes a scenario's inventory per process (activity, CO2e,
  energy, cost, revenue over the horizon or a window) as a JSON-LD zip openLCA imports: one
  unit process per junkan process, with the reference units, flow properties and unit
  groups of openLCA's reference data (their ids), so nothing is duplicated on import.

CO2e is exported as one elementary flow, "CO2e (junkan aggregate)" to air in kg: junkan
keeps CO2e as one number, not per gas; map it to a flow of your method if you need to.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError, short
from junkan.lifecycle.olca_costs import (
    allocation,
    cost_side,
    currency_code,
    is_product,
    is_virgin_supply,
    money,
    twins,
    virgin_supply,
)
from junkan.lifecycle.olca_export import (
    EXPORT_MARK,
    NothingToExport,
    export_inventory,
    export_label,
    uid,
)
from junkan.lifecycle.olca_factors import (
    GWP100,
    GWP_SOURCE,
    climate,
    co2e,
    energy,
    imported_source,
)
from junkan.lifecycle.olca_formula import Overflowed, formula, parameters
from junkan.lifecycle.olca_read import Context, Notes, exchange_amount, read_zip, within
from junkan.lifecycle.olca_units import ENERGY, MASS, PIECE, REF, TRANSPORT

__all__ = ["EXPORT_MARK", "GWP100", "GWP_SOURCE", "REF", "NothingToExport", "export_inventory",
           "export_label", "import_template", "uid"]


def _olca() -> Any:
    import olca_schema

    return olca_schema


def _slug(name: str, taken: dict[str, int]) -> str:
    """A key for a process named ``name``, not in ``taken`` (every key given so far, each
    with the next number to try after it: 20,000 processes of one name took 43 s when the
    numbers were tried from 2 each time). Letters of any script are kept (review 315:
    "鋼材 製造" was keyed ``process``), in NFKC (full-width letters as ASCII)."""
    text = unicodedata.normalize("NFKC", name.strip())
    base = re.sub(r"\W+", "_", text).strip("_").lower()[:60] or "process"
    out, n = base, taken.get(base, 2)
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    taken[base] = max(n, taken.get(base, 2))
    taken.setdefault(out, 2)
    return out


def _basis(unit: str) -> tuple[str, float] | None:
    """The junkan activity basis of a reference unit and the factor to it."""
    if unit in MASS:
        return "kg", MASS[unit]
    if unit in PIECE:
        return "piece", 1.0
    if unit in TRANSPORT:
        return "(t*km)", TRANSPORT[unit]
    return None


def _reference(
    proc: Any, ctx: Context, params: dict[str, Any]
) -> tuple[Any, float, str] | None:
    """The reference exchange, its amount in the junkan basis and the basis (else a note)."""
    refs = [e for e in proc.exchanges or [] if e.is_quantitative_reference]
    if len(refs) > 1:
        names = ", ".join(repr(ctx.flow(e)[3] or f"#{e.internal_id}")[:80] for e in refs)
        raise JunkanError(
            f"process {short(proc.name or proc.id)} has {len(refs)} quantitative reference "
            f"exchanges ({names}); openLCA allows one, so mark only one of them")
    ref = refs[0] if refs else None
    kind = ctx.flow(ref)[0] if ref is not None else None
    if ref is not None and kind is not None and not is_product(kind, bool(ref.is_input)):
        side = "input" if ref.is_input else "output"
        ctx.notes.append(f"{proc.name}: its quantitative reference is {kind} {side}, not a "
                         "product output or waste input, which openLCA requires of a "
                         "provider (olca-core TechFlow.of, FlowDirectionCheck); skipped")
        return None
    unit = ctx.unit(ref) if ref is not None else None
    # the zip's units first: in the flow's reference property, else in the exchange's own
    # (400 kg of an oil measured in m3 is a reference in kg)
    options = ctx.bases(ref) if ref is not None else [(1.0, None)]
    f, name = next((b for b in options if _basis(b[1] or "")), options[0])
    basis = _basis(name or "")
    scale = f * basis[1] if basis else f
    why: list[str] = []  # a formula that cannot be evaluated says why (noted if skipped)
    qty = (exchange_amount(proc, ref, "reference", params, why, unit, scale)
           if ref is not None else None)
    if ref is not None and qty is not None:  # a second exchange of the reference flow adds
        for e in twins(proc, ref, ctx):
            ef = next((b[0] for b in ctx.bases(e) if b[1] == name), None)
            more = exchange_amount(proc, e, "reference", params, [], ctx.unit(e), 1.0)
            if ef is None or more is None:
                ctx.notes.append(f"{proc.name}: another exchange of its reference flow is "
                                 "not in the reference's unit; left out of the amount")
                continue
            own = bool(e.is_input) != bool(ref.is_input)  # its own product consumed
            qty += (-1.0 if own else 1.0) * more * ef / f
            said = "returns its own waste" if ref.is_input else "consumes its own product"
            how = "" if e.default_provider else " linking it to the zip's only provider"
            ctx.notes.extend([f"{proc.name}: {said} ({more:g}), taken from its reference "
                              f"amount as openLCA does{how}"] if own else [])
    if ref is None or qty is None or qty <= 0:
        ctx.notes.extend(why)
        said = ("no quantitative reference with an amount" if ref is None or qty is None else
                f"negative reference amount {qty:g}" if qty else
                "reference amount 0, no basis for factors per unit")  # review 253
        ctx.notes.append(f"{proc.name}: {said}; skipped")
        return None
    if basis is None:
        ctx.notes.append(f"{proc.name}: reference unit {unit!r} is not a mass, item or t*km "
                         "(an energy reference such as MJ is not a junkan basis); skipped")
        return None
    return ref, qty * scale, basis[0]


def _cost(proc: Any, e: Any, ctx: Context, share: float,
          parts: dict[str, list[tuple[float, str | None]]], params: dict[str, Any]) -> None:
    """Add an exchange's cost value (times the share its process's reference bears) to
    the cost or the revenue, as openLCA's life cycle costing counts it
    (:func:`~junkan.lifecycle.olca_costs.cost_side`): a product output or a waste input
    earns revenue, any other exchange costs. A cost formula is evaluated first, as openLCA
    does (its value replaces the cost value; one that cannot be is noted)."""
    kind, _, _, name = ctx.flow(e)
    value = e.cost_value
    if e.cost_formula:
        try:
            value = formula(str(e.cost_formula), params)
        except Overflowed:  # a value beyond floating point: refused below, as any too large
            value = math.inf
        except ValueError as exc:
            ctx.notes.append(f"{proc.name}: the cost formula {short(str(e.cost_formula))} "
                             f"of {name!r} cannot be evaluated ({exc}); "
                             + ("its cost value is used" if value is not None
                                else "no cost is counted"))
    if value is None:
        return
    side = cost_side(kind, bool(e.is_input))
    if side is None:  # the flow's type is unknown: an input costs, an output is sold
        side = "cost" if e.is_input else "revenue"
        if not e.is_input:
            ctx.notes.append(f"{proc.name}: the cost value of {name!r} counts as revenue, as "
                             "a product output's; neither the zip nor the exchange gives the "
                             "flow's type (a waste or elementary output's would be a cost)")
    cost = within(float(value), f"process {short(proc.name or proc.id)}: cost "
                  f"value of exchange {short(name or e.internal_id)}")
    # an avoided flow's cost value keeps its side and sign: olca-core
    # CalcExchange.costValue does not look at isAvoided (an avoided product, an input,
    # is a cost)
    parts[side].append((cost * share, currency_code(e, ctx)))


def _process_factors(
    proc: Any, ctx: Context
) -> tuple[dict[str, Any], str, Any, float] | None:
    """The unit factors of a process, its basis, its reference exchange and amount."""
    params = {**ctx.globals, **parameters(proc.parameters or [])}
    found = _reference(proc, ctx, params)
    if found is None:
        return None
    ref, amount, per = found
    same_flow = {id(e) for e in twins(proc, ref, ctx)}
    alloc = allocation(proc, ref, ctx, params, same_flow)
    kg_co2e = mj = 0.0
    parts: dict[str, list[tuple[float, str | None]]] = {"cost": [], "revenue": []}
    exchanges = proc.exchanges or []
    for pos, e in enumerate(exchanges):
        if alloc.leaves_out(e):  # a co-product: its own process's, by the allocation
            continue
        same = e is ref or id(e) in same_flow
        share = 1.0 if same else alloc.factor(e, ctx.flow(e)[0])
        if e.cost_value or e.cost_formula:
            _cost(proc, e, ctx, share, parts, params)
        if same:
            continue
        # an avoided product (input side) or waste (output side) counts negative, as in
        # openLCA's matrices: its energy is credited (its cost value keeps its side)
        sign = -1.0 if e.is_avoided_product else 1.0
        name = ctx.flow(e)[3]
        if e.flow is None or not (e.flow.id or name):
            which = f"#{e.internal_id}" if e.internal_id is not None else \
                f"{pos + 1} of {len(exchanges)}"
            ctx.notes.append(f"{proc.name}: exchange {which} names no flow, so its "
                             "amount is left out (a cost value it has counts)")
            continue
        u = ctx.unit(e)  # the amount's limit is in kg or MJ when it is a mass or energy
        qty = exchange_amount(proc, e, name, params, ctx.notes, u,
                              ctx.to(e, MASS, "kg") or ctx.to(e, ENERGY, "MJ") or 1.0)
        if qty is None:
            continue
        if sign < 0:
            ctx.notes.append(f"{proc.name}: avoided {name!r} ({qty:g} {u}) credited "
                             "(its energy counts negative; a cost value keeps its side, as "
                             "in openLCA); the burden of making it elsewhere is not, as the "
                             "factors hold own exchanges only")
        kg_co2e += co2e(proc, e, ctx, qty * sign * share)
        if e.is_input:
            mj += energy(proc, e, qty, ctx) * sign * share
    out: dict[str, Any] = {}
    for key, total, unit_ in (("co2e", kg_co2e, "kgCO2e"), ("energy", mj, "MJ")):
        if total:  # a sum or a tiny reference amount may overflow what each exchange kept
            value = within(total / amount, f"process {short(proc.name or proc.id)}: {key} "
                           f"per {per} of its reference ({total:g} {unit_} for {amount:g})")
            out[key] = f"{value:.10g} {unit_}/{per}"
    out.update(money(proc, parts, ctx.notes, amount, per))
    return out, per, ref, amount


def _unread_folders(entities: dict[str, Any]) -> list[str]:
    """A note naming the nested folders the import does not read: openLCA writes each kind
    of entity in its own folder at the zip's top (``processes/`` …; ``olca-schema.json``)."""
    nested = sorted(f for f in entities if "/" in f)
    return [] if not nested else [f"entries in {', '.join(repr(f + '/') for f in nested[:3])}"
            f"{' …' if len(nested) > 3 else ''} were not read: openLCA writes each kind of "
            "entity in its own folder at the zip's top (processes/, flows/ …)"]


ROLE_OF_STAGE = {"material": "material_maker", "manufacturing": "part_maker",
                 "distribution": "wholesaler", "use": "user", "maintenance": "maintainer",
                 "collection": "collector", "transport": "collector", "reuse": "dismantler",
                 "remanufacturing": "part_maker", "dismantling": "dismantler",
                 "recycling": "material_regenerator", "energy_recovery": "waste_handler",
                 "disposal": "waste_handler", "export": "waste_handler"}
"""The role of the actor who runs imported processes of a stage (review 231: a recycling
stage's actor was a part maker); a template's reader may change it."""


def _require_processes(p: Path, entities: dict[str, Any], notes: list[str]) -> None:
    """Refuse a zip without processes, saying what to export (review 231) and what was not
    read (review 249: entries named .JSON were said in notes the refusal never showed)."""
    if not entities.get("processes"):
        raise JunkanError(f"{p}: holds no processes/ folder of olca-schema processes"
                          f"{' (' + '; '.join(notes[:3]) + ')' if notes else ''}; in openLCA, "
                          "export the processes (with their flows) as JSON-LD and import that zip")


def import_template(
    path: str | Path,
    *,
    actor: str = "olca_supplier",
    stage: str = "manufacturing",
    impact: str | None = None,
    materials: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """A library template from an openLCA JSON-LD zip, and notes on what was left out.

    Each process becomes ``processes.<slug>`` run by ``actor`` at ``stage`` (edit them to
    fit your model); with ``materials=True`` a process whose reference is a product output
    in mass becomes ``materials.<slug>``: its factors are the virgin supply per kg, the
    cost being the product's price (the reference output's cost value, what the buyer
    pays), not the maker's input costs."""
    o = _olca()
    p = Path(path)
    notes = Notes()
    entities, members = read_zip(p, notes)
    _require_processes(p, entities, notes)
    notes += _unread_folders(entities)
    try:
        cf, cf_source = climate(entities, impact, notes)
        ctx = Context(entities, cf, notes)
    except JunkanError as exc:  # an --impact the zip lacks: say which zip
        raise JunkanError(f"{p}: {exc}") from None
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise JunkanError(f"{p}: an impact category or global parameter is not olca-schema "
                          f"({type(exc).__name__}: {short(str(exc))})") from None
    taken: dict[str, int] = {}
    procs: dict[str, Any] = {}
    mats: dict[str, Any] = {}
    sources: dict[str, str] = {}
    today = dt.date.today().isoformat()
    docs = sorted(entities.get("processes", {}).items(), key=lambda d: str(d[1].get("name")))
    for entry, doc in docs:
        kind = doc.get("@type")
        if kind not in (None, "Process"):
            raise JunkanError(
                f"{p}:{members['processes/' + entry]}: @type {short(kind)} in the processes "
                "folder, not a Process; move it to its own folder or remove it from the zip")
        try:
            proc = o.Process.from_dict(doc)
            proc.category = ctx.category(doc.get("category"), f"process {proc.name!r}")
            found = _process_factors(proc, ctx)
        except JunkanError as exc:
            raise JunkanError(f"{p}:{members['processes/' + entry]}: {exc}") from None
        except (AttributeError, TypeError, ValueError, KeyError, OverflowError) as exc:
            raise JunkanError(
                f"{p}:{members['processes/' + entry]}: not an olca-schema process "
                f"({type(exc).__name__}: {short(str(exc))}); export it again from openLCA or "
                "remove it from the zip"
            ) from None
        if found is None:
            continue
        factors, per, ref, amount = found
        key = _slug(proc.name or proc.id or "", taken)
        src = imported_source(p.name, proc, cf_source, today, members["processes/" + entry])
        sources[key] = src
        if materials and is_virgin_supply(proc, ref, per, ctx):
            supply = virgin_supply(proc, ref, factors, amount, ctx)
            mats[key] = {"title": proc.name, "virgin": {**supply, "source": src}}
        else:
            procs[key] = {"title": proc.name, "actor": actor, "stage": stage, **factors,
                          "source": src}
    if not procs and not mats:
        raise JunkanError(
            f"{p}: no process could be imported" + (f" ({'; '.join(notes[:3])})" if notes else "")
        )
    role = "material_maker" if mats and not procs else ROLE_OF_STAGE.get(stage, "part_maker")
    template: dict[str, Any] = {"actors": {actor: {"role": role, "title": actor}}}
    if procs:
        template["processes"] = procs
    if mats:
        template["materials"] = mats
    template["sources"] = sources
    return template, notes.closed()
