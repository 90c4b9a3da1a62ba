"""Unit factors per product model × process step from attributed energy, and their export as a
lifecycle library template (``uses:`` in a model, or merged into its ``processes``).

kWh per unit is the machine's load energy above the circuit's idle level during the unit's
operation (idle energy is reported per circuit, not spread over units). CO2e uses the sourced
grid factor and cost the tariff of ``junkan/data/metering/electrical.yaml`` (the tariff is a
price list, not a measured cost).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from junkan.metering.attribute import Attribution
from junkan.metering.config import Electrical, MeteringError, electrical

FACTOR_VERSION = 1


DISTRIBUTION = (
    "model",
    "step",
    "units",
    "kwh_mean",
    "kwh_sd",
    "kwh_p05",
    "kwh_p50",
    "kwh_p95",
    "operating_s_mean",
    "operating_s_sd",
)
"""Columns of a factors table that describe one model x step's distribution."""

LABOUR = ("labour_s_mean", "labour_s_sd", "labour_s_p05", "labour_s_p50", "labour_s_p95")
"""Optional columns (tables written before labour time was added lack them): operator time
per unit from the station's scan events (scan start to scan end of that unit × step)."""


NO_SD = "one unit: a standard deviation needs two or more units"
"""``sd_note`` of a factor from one unit, whose ``*_sd`` columns are empty (NaN; ``null`` in
JSON) — not 0, which would claim a measured absence of spread."""


def _sd(x: np.ndarray) -> float:
    return float(x.std(ddof=1)) if len(x) > 1 else float("nan")


def unit_factors(att: Attribution, ref: Electrical | None = None) -> pd.DataFrame:
    """One row per (model, step): units, kWh per unit (mean, sd, p05/p50/p95), machine operating
    time, operator (labour) time from the scan windows, CO2e and cost per unit. With one unit
    the standard deviations are NaN and ``sd_note`` says why (:data:`NO_SD`)."""
    ref = ref or electrical()
    ev = att.events
    if ev.empty:
        raise MeteringError("no scan events were attributed: unit factors need scan events")
    rows = []
    for (model, step), g in ev.groupby(["model", "step"], sort=True):
        kwh = g["wh"].to_numpy(float) / 1000
        dur = g["operating_s"].to_numpy(float)
        lab = (  # no scan windows, no labour time
            g["end"].to_numpy(float) - g["start"].to_numpy(float)
            if {"start", "end"} <= set(g.columns)
            else np.full(len(g), np.nan)
        )
        q = np.percentile(kwh, [5, 50, 95])
        ql = np.percentile(lab, [5, 50, 95])
        rows.append(
            {
                "model": model,
                "step": step,
                "units": len(g),
                "kwh_mean": float(kwh.mean()),
                "kwh_sd": _sd(kwh),
                "kwh_p05": float(q[0]),
                "kwh_p50": float(q[1]),
                "kwh_p95": float(q[2]),
                "operating_s_mean": float(dur.mean()),
                "operating_s_sd": _sd(dur),
                "labour_s_mean": float(lab.mean()),
                "labour_s_sd": _sd(lab),
                "labour_s_p05": float(ql[0]),
                "labour_s_p50": float(ql[1]),
                "labour_s_p95": float(ql[2]),
                "shared_units": int(g["shared"].sum()),
                "kg_co2e": float(kwh.mean()) * ref.grid_kg_per_kwh.value,
                "jpy": float(kwh.mean()) * ref.tariff_jpy_per_kwh.value,
                "sd_note": NO_SD if len(g) < 2 else None,
            }
        )
    return pd.DataFrame(rows)


def step_totals(att: Attribution) -> pd.DataFrame:
    """kWh per step over the whole recording: attributed to scanned units + inferred."""
    per = att.events.groupby("step")["wh"].sum() if not att.events.empty else pd.Series()
    inf = att.inferred.groupby("step")["wh"].sum() if not att.inferred.empty else pd.Series()
    steps = sorted(set(per.index) | set(inf.index))
    return pd.DataFrame(
        {
            "step": steps,
            "scanned_kwh": [float(per.get(s, 0.0)) / 1000 for s in steps],
            "inferred_kwh": [float(inf.get(s, 0.0)) / 1000 for s in steps],
        }
    ).assign(kwh=lambda d: d["scanned_kwh"] + d["inferred_kwh"])


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]+", "_", str(text)).strip("_").lower() or "x"


def library_template(
    factors: pd.DataFrame,
    provenance: dict[str, Any],
    ref: Electrical | None = None,
    actor: str = "dismantler",
) -> dict[str, Any]:
    """A lifecycle library document: one ``dismantling`` process per model × step with
    ``energy`` (kWh/piece), ``co2e`` (kgCO2e/piece) and ``cost`` (JPY/piece); the distributions
    and provenance in ``unit_factors`` (not read by the lifecycle loader)."""
    ref = ref or electrical()
    if factors.empty:
        raise MeteringError("no unit factors to export")
    digest = hashlib.sha256(
        json.dumps(
            {"factors": factors.to_dict("records"), "provenance": provenance},
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()[:16]
    processes: dict[str, Any] = {}
    dists: dict[str, Any] = {}
    for r in factors.to_dict("records"):
        name = f"{_slug(r['model'])}_{_slug(r['step'])}"
        processes[name] = {
            "actor": actor,
            "stage": "dismantling",
            "title": f"{r['step']} ({r['model']}), metered",
            "energy": f"{r['kwh_mean']:.6g} kWh/piece",
            "co2e": f"{r['kg_co2e']:.6g} kgCO2e/piece",
            "cost": f"{r['jpy']:.6g} JPY/piece",
            "source": (
                f"metered: {r['units']} units, clamp data sha256 "
                f"{str(provenance.get('sha256', ''))[:16]}, factor set {digest}; "
                f"CO2e: {ref.grid_kg_per_kwh.value:g} kg/kWh, "
                f"{ref.grid_kg_per_kwh.source}; cost: {ref.tariff_jpy_per_kwh.source} "
                "(electricity only; labour and consumables not included)"
            ),
        }
        dists[name] = {k: r[k] for k in (*DISTRIBUTION, *LABOUR) if k in r and r[k] is not None
                      and r[k] == r[k]}  # no sd from one unit: absent, not NaN or null
        if isinstance(r.get("sd_note"), str) and r["sd_note"]:
            dists[name]["sd_note"] = r["sd_note"]  # why the sds are absent
    return {
        "actors": {actor: {"role": "dismantler", "title": "Dismantling plant (metered)"}},
        "processes": processes,
        "unit_factors": {
            "version": FACTOR_VERSION,
            "id": digest,
            "provenance": provenance,
            "distributions": dists,
        },
    }
