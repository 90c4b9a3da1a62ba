"""Measured unit factors into a lifecycle model: processes that reference a model × step, and
the uncertainty of those factors in the model's ``uncertainty`` section.

A lifecycle model document names the measured factor it wants in a process::

    processes:
      cmp_rotor_removal:
        actor: dismantler
        stage: dismantling
        measured: {model: CMP-A, step: rotor_removal}   # read by link(), removed from the output
      cmp_all_steps:                                     # the whole reverse process: a sum
        measured: {model: CMP-A, steps: [rotor_removal, coil_extraction, case_cutting]}

:func:`link` fills ``energy`` (kWh/piece) from the factors table, and ``co2e`` (kgCO2e/piece)
and ``cost`` (JPY/piece) of the electricity where the process does not state them (the
model's own entries win, as with library templates: a dismantling cost usually includes
labour), prefixes ``source`` with the measurement (units, factor set, labour time), removes
``measured``, and appends to ``uncertainty.parameters`` one lognormal per factor (mean = the
measured mean; std = the standard error of the mean, ``sd/√n``, for ``spread="mean"`` — what a
flow of many units sees — or the per-unit ``sd`` for ``spread="unit"``), the three of one
process in one group (correlation 1: CO2e and cost are kWh × a constant). The output is an
ordinary lifecycle model document: ``junkan uncertainty``/``sensitivity`` draw the measured
factors with everything else. The lifecycle loader itself does not read ``measured`` (the
lifecycle package is not changed here; see docs/metering.md).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pandas as pd

from junkan.metering.config import MeteringError

MAX_LINKS = 500


def _rows(factors: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    need = {"model", "step", "units", "kwh_mean", "kwh_sd", "kg_co2e", "jpy"}
    if missing := need - set(factors.columns):
        raise MeteringError(f"factors: missing column(s) {', '.join(sorted(missing))}")
    return {(str(r["model"]), str(r["step"])): r for r in factors.to_dict("records")}


def _pick(
    ref: Any, table: dict[tuple[str, str], dict[str, Any]], where: str
) -> tuple[tuple[str, str], dict[str, Any]]:
    """The factor row of ``{model, step}``, or the sum over ``{model, steps: [...]}`` (the
    whole reverse process: means add, standard deviations in quadrature — steps taken as
    independent; labour times add)."""
    if not isinstance(ref, dict) or set(ref) not in ({"model", "step"}, {"model", "steps"}):
        raise MeteringError(f"{where}: give {{model: …, step: …}} or {{model: …, steps: [...]}}")
    steps = ref.get("steps", [ref.get("step")])
    if not isinstance(steps, list) or not 1 <= len(steps) <= 50:
        raise MeteringError(f"{where}.steps: give a list of 1 to 50 step names")
    rows = []
    for st in steps:
        k = (str(ref["model"]), str(st))
        if k not in table:
            known = ", ".join(f"{m}/{s}" for m, s in sorted(table)[:10])
            raise MeteringError(f"{where}: no measured factor for {k[0]}/{k[1]}; known: {known}")
        rows.append(table[k])
    if len(rows) == 1:
        return (str(ref["model"]), str(steps[0])), rows[0]
    out = {
        "units": min(int(r["units"]) for r in rows),
        "kwh_mean": sum(float(r["kwh_mean"]) for r in rows),
        "kg_co2e": sum(float(r["kg_co2e"]) for r in rows),
        "jpy": sum(float(r["jpy"]) for r in rows),
        "kwh_sd": math.sqrt(sum(float(r["kwh_sd"]) ** 2 for r in rows)),
        "labour_s_mean": sum(float(r.get("labour_s_mean", math.nan)) for r in rows),
    }
    return (str(ref["model"]), " + ".join(map(str, steps))), out


def _std(r: dict[str, Any], spread: str) -> float:
    sd, n = float(r["kwh_sd"]), int(r["units"])
    return sd / math.sqrt(n) if spread == "mean" else sd


def link(
    doc: dict[str, Any],
    factors: pd.DataFrame,
    *,
    spread: str = "mean",
    set_id: str = "",
    source: str = "factors",
) -> dict[str, Any]:
    """A copy of lifecycle model ``doc`` with every ``measured: {model, step}`` process filled
    from ``factors`` (see the module docstring); errors name the process and the field."""
    if spread not in ("mean", "unit"):
        raise MeteringError(f"spread: 'mean' or 'unit', got {spread!r}")
    if not isinstance(doc, dict):
        raise MeteringError(f"{source}: the model document must be a mapping")
    out = copy.deepcopy(doc)
    procs = out.get("processes")
    if not isinstance(procs, dict):
        raise MeteringError(f"{source}: processes: no process references a measured factor")
    table = _rows(factors)
    params: list[dict[str, Any]] = []
    groups: dict[str, Any] = {}
    linked = 0
    for name, proc in procs.items():
        if not isinstance(proc, dict) or "measured" not in proc:
            continue
        linked += 1
        if linked > MAX_LINKS:
            raise MeteringError(f"{source}: more than {MAX_LINKS} measured processes")
        ref = proc.pop("measured")
        where = f"{source}: processes.{name}.measured"
        key, r = _pick(ref, table, where)
        kwh = float(r["kwh_mean"])
        if not (math.isfinite(kwh) and kwh > 0):
            raise MeteringError(f"{where}: measured kWh per unit is {kwh!r}; cannot link it")
        grid, tariff = float(r["kg_co2e"]) / kwh, float(r["jpy"]) / kwh
        values = {
            "energy": (f"{kwh:.6g} kWh/piece", 1.0),
            "co2e": (f"{float(r['kg_co2e']):.6g} kgCO2e/piece", grid),
            "cost": (f"{float(r['jpy']):.6g} JPY/piece", tariff),
        }
        filled = [f for f in values if f == "energy" or f not in proc]  # own entries win
        for f in filled:
            proc[f] = values[f][0]
        lab = float(r.get("labour_s_mean", math.nan))
        note = (
            f"metered ({key[0]}, {key[1]}): {int(r['units'])} units"
            f"{f', factor set {set_id}' if set_id else ''}; {', '.join(filled)} from "
            "electricity only"
            + (f"; labour {lab / 60:.3g} min/piece (scan windows)" if lab > 0 else "")
        )
        proc["source"] = f"{note}; {proc['source']}" if proc.get("source") else note
        p, g = _uncertain(name, key, r, {f: values[f][1] for f in filled}, spread)
        params += p
        groups |= g
    if not linked:
        raise MeteringError(f"{source}: no process has 'measured: {{model, step}}'")
    if params:
        unc = out.setdefault("uncertainty", {})
        if not isinstance(unc, dict):
            raise MeteringError(f"{source}: uncertainty: expected a mapping")
        taken = {p.get("parameter") for p in unc.get("parameters") or []}
        unc["parameters"] = [
            *(unc.get("parameters") or []),
            *(p for p in params if p["parameter"] not in taken),
        ]
        unc["groups"] = {**groups, **(unc.get("groups") or {})}
    return out


def _uncertain(
    name: str, key: tuple[str, str], r: dict[str, Any], scale: dict[str, float], spread: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The uncertainty parameters (one lognormal per filled field, one group) of a process."""
    std = _std(r, spread)
    if int(r["units"]) < 2 or not std > 0:
        return [], {}  # one unit: no spread measured, the factor stays fixed
    kwh = float(r["kwh_mean"])
    group = f"metered_{name}"
    what = "standard error of the mean" if spread == "mean" else "spread over units"
    params = [
        {
            "parameter": f"processes.{name}.{field}",
            "distribution": "lognormal",
            "mean": kwh * k,
            "std": std * k,
            "group": group,
            "source": f"measured: {int(r['units'])} units of {key[0]} at {key[1]}; std = {what}",
        }
        for field, k in scale.items()
    ]
    return params, {group: {"correlation": 1.0, "source": f"one metered kWh behind {name}"}}
