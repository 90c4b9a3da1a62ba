"""Exchange with openLCA through its JSON-LD format (olca-schema), the ``olca`` extra.

* :func:`import_template` reads the processes, flows and exchanges of an openLCA JSON-LD zip
  and turns each process into *unit factors* per unit of its quantitative reference (per
  piece, kg or t·km): CO2e from its emissions to air — characterised by a climate-change
  impact category in the zip when there is one, else by IPCC AR6 GWP100 for CO2, CH4 and
  N2O — energy from its energy inputs, cost from its inputs' costs and revenue from its
  reference output's. The result is a library template (``src/junkan/data/library/``
  format: ``actors``, ``processes``, ``materials``, ``sources``), every value with its source.
* :func:`export_inventory` writes a scenario's inventory per process (activity, CO2e,
  energy, cost, revenue over the horizon or a window) as a JSON-LD zip openLCA imports: one
  unit process per junkan process, with the reference units, flow properties and unit
  groups of openLCA's reference data (their ids), so nothing is duplicated on import.

CO2e is exported as one elementary flow, "CO2e (junkan aggregate)" to air in kg: junkan
keeps CO2e as one number, not per gas; map it to a flow of your method if you need to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError, short

MAX_ENTRIES = 50_000
MAX_MEMBER = 16 * 2**20
MAX_TOTAL = 256 * 2**20

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
MASS = {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "t": 1e3, "Mg": 1e3, "kt": 1e6, "lb": 0.45359237}
PIECE = {"Item(s)", "item", "items", "p", "pcs", "piece", "unit"}
TRANSPORT = {"t*km": 1.0, "kg*km": 1e-3, "tkm": 1.0}
ENERGY = {"MJ": 1.0, "kJ": 1e-3, "GJ": 1e3, "kWh": 3.6, "Wh": 3.6e-3, "MWh": 3600.0}
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
    "CH4 non-fossil 27.0, N2O 273"
)


def uid(name: str) -> str:
    """A stable UUID for an exported entity (the same name gives the same id in every
    export, so a second import updates instead of duplicating)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"junkan:{name}"))


def _olca() -> Any:
    import olca_schema

    return olca_schema


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", name.strip()).strip("_").lower()[:60] or "process"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    taken.add(out)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_zip(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every JSON entity of the zip by folder and id, within size limits."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise JunkanError(f"{path}: not a readable zip file ({exc})") from None
    with zf:
        infos = [i for i in zf.infolist() if i.filename.endswith(".json")]
        if len(infos) > MAX_ENTRIES:
            raise JunkanError(f"{path}: {len(infos):,} entries, more than {MAX_ENTRIES:,}")
        total = sum(i.file_size for i in infos)
        big = [i.filename for i in infos if i.file_size > MAX_MEMBER]
        if big or total > MAX_TOTAL:
            raise JunkanError(
                f"{path}: too large to import ({short(big[:1] or total)}; at most "
                f"{MAX_MEMBER // 2**20} MiB an entity, {MAX_TOTAL // 2**20} MiB "
                "in all)"
            )
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for info in infos:
            folder, _, name = info.filename.rpartition("/")
            try:
                doc = json.loads(zf.read(info), parse_constant=_no_constant)
            except (ValueError, UnicodeDecodeError) as exc:
                raise JunkanError(f"{path}:{info.filename}: not JSON ({exc})") from None
            if isinstance(doc, dict):
                out.setdefault(folder, {})[name[:-5]] = doc
    return out


def _climate(
    entities: dict[str, dict[str, dict[str, Any]]], impact: str | None
) -> tuple[dict[str, float], str]:
    """Characterisation factors (flow id → kg CO2e per reference unit) and their source."""
    o = _olca()
    cats = [o.ImpactCategory.from_dict(d) for d in entities.get("lcia_categories", {}).values()]
    want = [
        c
        for c in cats
        if (impact and (c.name == impact or c.id == impact))
        or (not impact and re.search(r"climate|gwp|global warming", c.name or "", re.I))
    ]
    if impact and not want:
        raise JunkanError(
            f"impact category {short(impact)} is not in the zip; it has: "
            f"{', '.join(c.name or c.id or '' for c in cats) or 'none'}"
        )
    if want:
        cat = want[0]
        factors = {
            f.flow.id: float(f.value or 0)
            for f in cat.impact_factors or []
            if f.flow is not None and f.flow.id
        }
        return factors, f"impact category '{cat.name}' ({cat.ref_unit}) of the zip"
    return {}, GWP_SOURCE


def _gwp(name: str) -> float | None:
    low = name.lower()
    for key, value in GWP100:
        if low.startswith(key):
            return value
    return None


def _basis(unit: str) -> tuple[str, float] | None:
    """The junkan activity basis of a reference unit and the factor to it."""
    if unit in MASS:
        return "kg", MASS[unit]
    if unit in PIECE:
        return "piece", 1.0
    if unit in TRANSPORT:
        return "(t*km)", TRANSPORT[unit]
    return None


def _process_factors(
    proc: Any, flows: dict[str, dict[str, Any]], cf: dict[str, float], notes: list[str]
) -> dict[str, Any] | None:
    ref = next((e for e in proc.exchanges or [] if e.is_quantitative_reference), None)
    if ref is None or not ref.amount:
        notes.append(f"{proc.name}: no quantitative reference with an amount; skipped")
        return None
    if float(ref.amount) < 0:
        notes.append(f"{proc.name}: negative reference amount {ref.amount}; skipped")
        return None
    unit = ref.unit.name if ref.unit else "kg"
    basis = _basis(unit or "")
    if basis is None:
        notes.append(f"{proc.name}: reference unit {unit!r} is not a mass, item or t*km; skipped")
        return None
    per, to_basis = basis[0], basis[1]
    amount = float(ref.amount) * to_basis
    co2e = energy = cost = revenue = 0.0
    for e in proc.exchanges or []:
        if e is ref:
            revenue += float(e.cost_value or 0) if not e.is_input else 0.0
            cost += float(e.cost_value or 0) if e.is_input else 0.0
            continue
        flow = flows.get(e.flow.id if e.flow else "", {})
        name = (e.flow.name if e.flow else None) or flow.get("name", "")
        u = e.unit.name if e.unit else ""
        qty = float(e.amount or 0)
        if e.is_input:
            cost += float(e.cost_value or 0)
        else:
            revenue += float(e.cost_value or 0)
        if flow.get("flowType") == "ELEMENTARY_FLOW" and not e.is_input:
            f = cf.get(e.flow.id) if cf and e.flow else (None if cf else _gwp(name))
            if f is not None and f != 0.0 and (u or "kg") not in MASS:
                notes.append(f"{proc.name}: emission of {name!r} in {u!r}, not a mass; left out")
            elif f is not None and f != 0.0:
                co2e += qty * MASS[u or "kg"] * f
        elif e.is_input and u in ENERGY:
            energy += qty * ENERGY[u]
    out: dict[str, Any] = {}
    for key, total, unit_ in (("co2e", co2e, "kgCO2e"), ("energy", energy, "MJ")):
        if total:
            out[key] = f"{total / amount:.10g} {unit_}/{per}"
    cur = _currency(proc)
    for key, total in (("cost", cost), ("revenue", revenue)):
        if total and cur:
            out[key] = f"{total / amount:.10g} {cur}/{per}"
        elif total:
            notes.append(f"{proc.name}: {key} without a currency code; left out")
    return out


def _currency(proc: Any) -> str | None:
    for e in proc.exchanges or []:
        if e.currency is not None:
            code = (e.currency.name or "").upper()
            return code if code in ("JPY", "USD", "EUR") else None
    return None


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
    fit your model); with ``materials=True`` a process whose reference is a product in mass
    becomes ``materials.<slug>`` (its factors are the virgin supply per kg)."""
    o = _olca()
    p = Path(path)
    entities = _read_zip(p)
    cf, cf_source = _climate(entities, impact)
    flows = entities.get("flows", {})
    notes: list[str] = []
    taken: set[str] = set()
    procs: dict[str, Any] = {}
    mats: dict[str, Any] = {}
    sources: dict[str, str] = {}
    today = dt.date.today().isoformat()
    docs = sorted(entities.get("processes", {}).items(), key=lambda d: str(d[1].get("name")))
    for entry, doc in docs:
        try:
            proc = o.Process.from_dict(doc)
            factors = _process_factors(proc, flows, cf, notes)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            raise JunkanError(
                f"{p}:processes/{entry}.json: not an olca-schema process ({type(exc).__name__}: "
                f"{short(str(exc))}); export it again from openLCA or remove it from the zip"
            ) from None
        if factors is None:
            continue
        key = _slug(proc.name or proc.id or "", taken)
        pname = (proc.name or "")[:120]
        src = (
            f"openLCA JSON-LD {p.name}: process '{pname}' ({proc.id}, "
            f"version {proc.version}); CO2e by {cf_source}; imported {today}"
        )
        sources[key] = src
        ref = next(e for e in proc.exchanges or [] if e.is_quantitative_reference)
        is_mass = _basis(ref.unit.name if ref.unit else "kg") == ("kg", 1.0) or (
            ref.unit is not None and ref.unit.name in MASS
        )
        if materials and is_mass and not ref.is_input:
            supply = {k: v for k, v in factors.items() if k != "revenue"}
            mats[key] = {"title": proc.name, "virgin": {**supply, "source": src}}
        else:
            procs[key] = {
                "title": proc.name,
                "actor": actor,
                "stage": stage,
                **factors,
                "source": src,
            }
    if not procs and not mats:
        raise JunkanError(
            f"{p}: no process could be imported" + (f" ({'; '.join(notes[:3])})" if notes else "")
        )
    template: dict[str, Any] = {
        "actors": {
            actor: {
                "role": "material_maker" if mats and not procs else "part_maker",
                "title": actor,
            }
        }
    }
    if procs:
        template["processes"] = procs
    if mats:
        template["materials"] = mats
    template["sources"] = sources
    return template, notes


def _reference_entities(o: Any, currency: str) -> tuple[list[Any], dict[str, Any]]:
    """Unit groups, flow properties, the currency and the shared flows of an export."""
    out, refs = [], {}
    for unit, (unit_id, gname, gid, pname, pid) in REF.items():
        group = o.UnitGroup(
            id=gid,
            name=gname,
            units=[o.Unit(id=unit_id, name=unit, conversion_factor=1.0, is_ref_unit=True)],
            default_flow_property=o.Ref(ref_type=o.RefType.FlowProperty, id=pid, name=pname),
        )
        prop = o.FlowProperty(
            id=pid,
            name=pname,
            flow_property_type=o.FlowPropertyType.PHYSICAL_QUANTITY,
            unit_group=o.as_ref(group),
        )
        out += [group, prop]
        refs[unit] = (o.Ref(ref_type=o.RefType.Unit, id=unit_id, name=unit), prop)
    cur = o.Currency(
        id=uid(f"currency/{currency}"), name=currency, code=currency, conversion_factor=1.0
    )
    cur.ref_currency = o.as_ref(cur)
    co2e = o.new_elementary_flow("CO2e (junkan aggregate)", refs["kg"][1])
    co2e.id, co2e.category = uid("flow/co2e"), "Elementary flows/Emission to air/unspecified"
    energy = o.new_product("Energy (junkan aggregate)", refs["MJ"][1])
    energy.id = uid("flow/energy")
    costs = o.new_product("Costs (junkan)", refs["Item(s)"][1])
    costs.id = uid("flow/costs")
    out += [cur, co2e, energy, costs]
    refs.update(currency=cur, co2e=co2e, energy=energy, costs=costs)
    return out, refs


def _export_process(
    o: Any, row: dict[str, Any], refs: dict[str, Any], label: str, cur: str
) -> list[Any]:
    per_piece = row["activity_piece"] > 0
    unit = "Item(s)" if per_piece else "kg"
    amount = float(row["activity_piece"] if per_piece else row["activity_kg"])
    product = o.new_product(f"{row['process']} ({label})", refs[unit][1])
    product.id = uid(f"flow/{label}/{row['process']}")
    proc = o.new_process(f"{row['process']} ({label})")
    proc.id = uid(f"process/{label}/{row['process']}")
    proc.description = (
        f"junkan inventory of process '{row['process']}' run by "
        f"'{row['actor']}' at stage '{row['stage']}' ({label}); reference: the "
        f"activity over the period, {amount:.10g} {unit}"
    )
    proc.category = f"junkan/{label}"
    ref = o.new_output(proc, product, amount, refs[unit][0])
    ref.is_quantitative_reference = True
    if row["revenue"]:
        ref.cost_value, ref.currency = float(row["revenue"]), o.as_ref(refs["currency"])
    if row["co2e_kg"]:
        o.new_output(proc, refs["co2e"], float(row["co2e_kg"]), refs["kg"][0])
    if row["energy_MJ"]:
        o.new_input(proc, refs["energy"], float(row["energy_MJ"]), refs["MJ"][0])
    if row["cost"]:
        ex = o.new_input(proc, refs["costs"], 1.0, refs["Item(s)"][0])
        ex.cost_value, ex.currency = float(row["cost"]), o.as_ref(refs["currency"])
    return [product, proc]


def export_inventory(
    result: Any, path: str | Path, *, name: str | None = None, years: tuple[int, int] | None = None
) -> Path:
    """Write a scenario's inventory per process (a :class:`junkan.lifecycle.Result`) as an
    olca-schema JSON-LD zip at ``path``; ``name`` labels the processes (default: the
    scenario's name), ``years`` limits the period (default: all)."""
    o = _olca()
    from olca_schema import zipio

    cur = result.currency
    frame = result.to_frame("processes")
    if years is not None:
        frame = frame[(frame.year >= years[0]) & (frame.year <= years[1])]
        if frame.empty:
            raise JunkanError(f"years {years[0]}–{years[1]} are outside the model horizon "
                              f"{result.years[0]}–{result.years[-1]}")
    cols = [
        "activity_piece",
        "activity_kg",
        "co2e_kg",
        "energy_MJ",
        f"cost_{cur}",
        f"revenue_{cur}",
    ]
    totals = frame.groupby(["process", "actor", "stage"], as_index=False)[cols].sum()
    totals = totals.rename(columns={f"cost_{cur}": "cost", f"revenue_{cur}": "revenue"})
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", name or result.scenario)[:80]
    entities, refs = _reference_entities(o, cur)
    n = 0
    for row in totals.to_dict("records"):
        if row["activity_piece"] <= 0 and row["activity_kg"] <= 0:
            continue
        entities += _export_process(o, row, refs, label, cur)
        n += 1
    if not n:
        raise JunkanError("the scenario has no process activity to export")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with zipio.ZipWriter(tmp) as w:
        for entity in entities:
            w.write(entity)
    tmp.replace(target)
    return target
