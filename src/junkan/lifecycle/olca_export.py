"""Export of a scenario's inventory per process as an olca-schema JSON-LD zip openLCA
imports (:func:`export_inventory`, ``junkan olca export``; the ``olca`` extra): one unit
process per junkan process, with the reference units, flow properties and unit groups of
openLCA's reference data (their ids), so nothing is duplicated on import; each process says
the years its totals are for (description and documentation's validity)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
import zipfile
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError
from junkan.lifecycle.olca_costs import JUNKAN_KINDS, TREATMENT
from junkan.lifecycle.olca_factors import EXPORTED_SOURCE, process_source, reference_basis
from junkan.lifecycle.olca_units import REF
from junkan.lifecycle.schema import SINK_KINDS

EXPORT_MARK = b"written by junkan olca export"  # the zip's comment


class NothingToExport(JunkanError):
    """The scenario runs no process (no sales, say): an inventory would be empty."""


def uid(name: str) -> str:
    """A stable UUID for an exported entity (the same name: the same id in every export)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"junkan:{name}"))


def export_label(given: str) -> str:
    """The label an export gives its processes and category (``… (label)``,
    ``junkan/label``) and from which their ids are made: the scenario's (or the given)
    name with letters, digits, ``_ . -`` kept and runs of anything else as ``_``, at most
    80 characters; a name that had to be changed carries 8 hex digits of its SHA-256, so
    that ``改善`` and ``基準``, or ``a/b`` and ``a_b``, do not share ids (openLCA would
    let the second import overwrite the first's processes: review 212)."""
    label = re.sub(r"[^\w.-]+", "_", given)[:80]
    if label == given:
        return label
    return f"{label[:71]}-{hashlib.sha256(given.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


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
    o: Any, row: dict[str, Any], refs: dict[str, Any], label: str, period: tuple[int, int],
    model: Any,
) -> list[Any]:
    by_piece, said = row["basis"]  # the basis of its own factors (review 249)
    per_piece = row["activity_piece"] > 0 and (by_piece is not False or row["activity_kg"] <= 0)
    unit = "Item(s)" if per_piece else "kg"
    amount = float(row["activity_piece"] if per_piece else row["activity_kg"])
    product = o.new_product(f"{row['process']} ({label})", refs[unit][1])
    product.id = uid(f"flow/{label}/{row['process']}")
    proc = o.new_process(f"{row['process']} ({label})")
    proc.id = uid(f"process/{label}/{row['process']}")
    proc.description = (
        f"junkan inventory of process '{row['process']}' run by "
        f"'{row['actor']}' at stage '{row['stage']}' ({label}); reference: the "
        f"activity over {period[0]}–{period[1]}, {amount:.10g} {unit}{said}"
    )
    # the period the totals are for, where openLCA shows a process's time (review 263)
    proc.process_documentation = o.ProcessDocumentation(
        valid_from=f"{period[0]}-01-01", valid_until=f"{period[1]}-12-31",
        time_description=f"totals over the years {period[0]}–{period[1]}, both included")
    if src := process_source(model, row["process"]):  # review 248: the sources were dropped
        proc.description += f"; {EXPORTED_SOURCE}{src}"
    kind = next((v for k, v in JUNKAN_KINDS.items() if row["process"].startswith(k)),
                TREATMENT if row.get("kind") in SINK_KINDS else None)
    proc.category = f"junkan/{label}" + (f"/{kind}" if kind else "")
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
    scenario's name), ``years`` limits the period (default: all) and must lie within the
    model's horizon: a window reaching beyond it would be summed over fewer years than it
    names."""
    import olca_schema as o
    from olca_schema import zipio

    cur = result.currency
    frame = result.to_frame("processes")
    first, last = int(result.years[0]), int(result.years[-1])
    if years is not None:
        if not first <= years[0] <= years[1] <= last:
            raise JunkanError(f"years {years[0]}–{years[1]} are not within the model horizon "
                              f"{first}–{last}; give a window inside it")
        frame = frame[(frame.year >= years[0]) & (frame.year <= years[1])]
    cols = ["activity_piece", "activity_kg", "co2e_kg", "energy_MJ", f"cost_{cur}",
            f"revenue_{cur}"]
    totals = frame.groupby(["process", "actor", "stage"], as_index=False)[cols].sum()
    totals = totals.rename(columns={f"cost_{cur}": "cost", f"revenue_{cur}": "revenue"})
    table = result.raw.compiled.processes
    totals["kind"] = totals["process"].map(dict(zip(table.names, table.kind, strict=True)))
    totals["basis"] = [reference_basis(table, p) for p in totals["process"]]
    period = years or (first, last)
    # a window's totals are other processes than the horizon's: their own ids (review 263:
    # a 2021 export replaced the whole horizon's in openLCA, and neither said its years)
    within = f"-{period[0]}-{period[1]}" if period != (first, last) else ""
    label = export_label((name or result.scenario) + within)
    entities, refs = _reference_entities(o, cur)
    n = 0
    for row in totals.to_dict("records"):
        if row["activity_piece"] <= 0 and row["activity_kg"] <= 0:
            continue
        entities += _export_process(o, row, refs, label, period, result.raw.compiled.model)
        n += 1
    if not n:
        raise NothingToExport("the scenario has no process activity to export")
    target = Path(path)
    if target.is_dir():
        raise JunkanError(f"{target}: is a folder; give the path of the .zip to write")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w") as z:  # marked junkan's: `olca export` replaces its own only
            z.comment = EXPORT_MARK
        with zipio.ZipWriter(tmp) as w:
            for entity in entities:
                w.write(entity)
        tmp.replace(target)
    except OSError as exc:
        raise JunkanError(f"{target}: cannot write the zip ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
