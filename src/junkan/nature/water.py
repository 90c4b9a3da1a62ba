"""TNFD core global metric C3.0: water withdrawal and consumption from areas of water
scarcity, per sourcing area and by water source.

Inputs (both data the user supplies, each with its source):

- a withdrawals CSV, one row per area and water source: ``area``, ``water_source``
  (GRI 303-3: surface, groundwater, seawater, produced, third-party), ``withdrawal_m3``,
  optional ``discharge_m3`` and ``consumption_m3`` (default: withdrawal − discharge, GRI
  303-5), optional ``bws`` (the area's baseline water stress, a ratio) and ``reference``
  (where the figure comes from: meter, supplier declaration, estimate);
- optionally, water-stress polygons (e.g. WRI Aqueduct sub-basins, under the user's
  licence) with a baseline-water-stress ratio property (``bws`` = withdrawals / available
  renewable supply); a missing value means "no data".

An area is split over the stress polygons on the scene grid. Where the intake is unknown,
its withdrawal is assumed spread over the area in proportion to area (``value``), with
bounds: everything inside stressed basins (upper) or nothing (lower) unless the area lies
wholly on one side.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.errors import brief, listed, short
from junkan.nature.checklist import csv_rows
from junkan.nature.geo import Layer, NatureInputError, Polygon, read_layer, reproject
from junkan.nature.rasters import Raster, check_layer, mask, window
from junkan.nature.schema import Assessment, reference

MAX_ROWS = 100_000
MAX_M3 = 1e12
"""Largest volume one row may state: 10¹² m³, a quarter of global annual freshwater
withdrawals (≈ 4,000 km³/yr, FAO AQUASTAT); anything larger is a unit error."""


def _num(row: dict[str, Any], key: str, where: str, *, upper: float = MAX_M3) -> float | None:
    raw = (row.get(key) or "").strip()
    if raw == "":
        return None
    try:
        v = float(raw)
    except ValueError:
        raise NatureInputError(f"{where}: {key}={short(raw)} is not a number") from None
    if not math.isfinite(v) or v < 0 or v > upper:
        raise NatureInputError(f"{where}: {key}={brief(raw)} must be a finite number in "
                               f"[0, {upper:g}]")
    return v


def read_withdrawals(path: Path, area_ids: set[str]) -> list[dict[str, Any]]:
    """The checked rows of a withdrawals CSV (see the module's doc)."""
    sources = set(reference("water_stress")["c3_0"]["water_sources"])
    out: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:  # Excel writes a BOM
            rows = csv.DictReader(fh)
            need = {"area", "water_source", "withdrawal_m3"}
            if rows.fieldnames is None or not need <= set(rows.fieldnames):
                raise NatureInputError(
                    f"{path}: needs columns {sorted(need)} (optional: discharge_m3, "
                    "consumption_m3, bws, reference)"
                )
            for i, r in enumerate(csv_rows(rows, str(path)), start=2):
                out.append(_row(r, f"{path}: line {i}", area_ids, sources))
                if len(out) > MAX_ROWS:
                    raise NatureInputError(f"{path}: more than {MAX_ROWS:,} rows")
    except OSError as exc:
        raise NatureInputError(f"{path}: cannot read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise NatureInputError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    if not out:
        raise NatureInputError(f"{path}: no rows")
    return out


def _row(r: dict[str, Any], where: str, area_ids: set[str], sources: set[str]) -> dict[str, Any]:
    area = (r.get("area") or "").strip()
    if area not in area_ids:
        raise NatureInputError(
            f"{where}: area {short(area)} is not a sourcing area (have {listed(sorted(area_ids))})"
        )
    src = (r.get("water_source") or "").strip().lower()
    if src not in sources:
        raise NatureInputError(f"{where}: water_source {short(src)}; use one of "
                               f"{sorted(sources)}")
    w = _num(r, "withdrawal_m3", where)
    if w is None:
        raise NatureInputError(f"{where}: withdrawal_m3 is required")
    d = _num(r, "discharge_m3", where)
    c = _num(r, "consumption_m3", where)
    if c is None:
        if d is not None and d > w:
            raise NatureInputError(
                f"{where}: discharge_m3 {d:g} exceeds withdrawal_m3 {w:g}; give consumption_m3 "
                "explicitly (e.g. when runoff is discharged too)"
            )
        c = w - (d or 0.0)
    elif c > w:
        raise NatureInputError(f"{where}: consumption_m3 {c:g} exceeds withdrawal_m3 {w:g}")
    return {
        "area": area,
        "water_source": src,
        "withdrawal_m3": w,
        "discharge_m3": d,
        "consumption_m3": c,
        "bws": _num(r, "bws", where, upper=1e4),
        "reference": (r.get("reference") or "").strip()[:500] or None,
    }


def stress_layer(a: Assessment, raster: Raster) -> Layer | None:
    """The water-stress polygons in the scene's CRS (those off the scene dropped); each
    feature's stress property is a ratio ≥ 0 or missing (no data)."""
    w = a.spec.water
    if w is None or w.stress is None:
        return None
    lay = read_layer(a.path(w.stress, "water.stress"), crs=a.spec.polygon_crs.get("water.stress"))
    if a.spec.reproject_polygons:
        lay = reproject(lay, raster.crs)
    check_layer(Layer(lay.path, lay.crs, []), raster)  # the CRS only: basins may lie off it
    for i, p in enumerate(lay.polygons):
        v = p.properties.get(w.stress_field)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1e4
        ):
            raise NatureInputError(
                f"{lay.path}: features[{i}].properties.{w.stress_field}: {v!r}; give the "
                "baseline water stress as a ratio ≥ 0 (withdrawals / available supply, e.g. "
                "Aqueduct bws_raw) or leave it empty for no data"
            )
    return Layer(lay.path, lay.crs, [p for p in lay.polygons if window(p, raster)])


def stress_shares(
    poly: Polygon, raster: Raster, stress: Layer, field: str
) -> dict[str, float | None]:
    """Shares of the area's pixels per stress category, with no data / no basin as
    ``unknown``; also the area-weighted mean BWS over the known part."""
    ref = reference("water_stress")
    cats = sorted(ref["categories"].items(), key=lambda kv: kv[1])
    win = window(poly, raster)
    assert win is not None
    inside = mask([poly], raster, win)
    total = int(inside.sum())
    counts = dict.fromkeys([c for c, _ in cats], 0)
    claimed = np.zeros_like(inside)
    bws_sum = 0.0
    ax0, ay0, ax1, ay1 = poly.bounds()
    for p in stress.polygons:  # the first polygon covering a pixel wins (basins do not overlap)
        v = p.properties.get(field)
        bx0, by0, bx1, by1 = p.bounds()
        if v is None or bx0 > ax1 or bx1 < ax0 or by0 > ay1 or by1 < ay0:
            continue
        m = mask([p], raster, win) & inside & ~claimed
        n = int(m.sum())
        if n == 0:
            continue
        claimed |= m
        cat = [c for c, lo in cats if v >= lo][-1]
        counts[cat] += n
        bws_sum += float(v) * n
    known = int(claimed.sum())
    out: dict[str, float | None] = {c: n / total if total else 0.0 for c, n in counts.items()}
    out["unknown"] = (total - known) / total if total else 1.0
    out["mean_bws"] = bws_sum / known if known else None
    return out


def _category(bws: float) -> str:
    cats = sorted(reference("water_stress")["categories"].items(), key=lambda kv: kv[1])
    return [c for c, lo in cats if bws >= lo][-1]


def _shares_of_row(
    row: dict[str, Any], shares: dict[str, float | None] | None
) -> dict[str, float | None]:
    if row["bws"] is not None:
        cats = reference("water_stress")["categories"]
        out: dict[str, float | None] = dict.fromkeys(cats, 0.0)
        out[_category(row["bws"])] = 1.0
        return out | {"unknown": 0.0, "mean_bws": row["bws"]}
    if shares is None:
        return {"unknown": 1.0, "mean_bws": None}
    return shares


def c3_0(rows: list[dict[str, Any]], shares: dict[str, float | None] | None) -> dict[str, Any]:
    """C3.0 of one area from its withdrawal rows and its stress shares (None: no stress
    polygons given)."""
    ref = reference("water_stress")
    stressed_cats = [c for c, lo in ref["categories"].items() if lo >= ref["stressed_from"]]
    tot = {"withdrawal_m3": 0.0, "consumption_m3": 0.0}
    val = {"withdrawal_m3": 0.0, "consumption_m3": 0.0}
    lo = {"withdrawal_m3": 0.0, "consumption_m3": 0.0}
    hi = {"withdrawal_m3": 0.0, "consumption_m3": 0.0}
    by_source: dict[str, dict[str, float]] = {}
    unknown = 0.0
    for r in rows:
        sh = _shares_of_row(r, shares)
        s = sum(float(sh.get(c) or 0.0) for c in stressed_cats)
        u = float(sh.get("unknown") or 0.0)
        unknown += r["withdrawal_m3"] * u
        src = by_source.setdefault(r["water_source"], {"withdrawal_m3": 0.0, "consumption_m3": 0.0})
        for k in tot:
            tot[k] += r[k]
            val[k] += r[k] * s
            lo[k] += r[k] if s >= 1.0 - 1e-12 else 0.0
            hi[k] += r[k] if s + u > 1e-12 else 0.0
            src[k] += r[k] * s
    return {
        "withdrawal_m3": val["withdrawal_m3"],
        "consumption_m3": val["consumption_m3"],
        "bounds_m3": {k: [lo[k], hi[k]] for k in tot},
        "total_withdrawal_m3": tot["withdrawal_m3"],
        "total_consumption_m3": tot["consumption_m3"],
        "withdrawal_with_unknown_stress_m3": unknown,
        "by_water_source": by_source,
        "stress_shares": shares,
        "references": sorted({r["reference"] for r in rows if r["reference"]}),
    }


def assess_water(a: Assessment, areas: Layer, raster: Raster) -> dict[str, dict[str, Any]]:
    """C3.0 per area id (areas without withdrawal rows are left out)."""
    w = a.spec.water
    if w is None:
        return {}
    ref = reference("water_stress")
    rows = read_withdrawals(
        a.path(w.withdrawals, "water.withdrawals"), {p.fid for p in areas.polygons}
    )
    stress = stress_layer(a, raster)
    out = {}
    for poly in areas.polygons:
        mine = [r for r in rows if r["area"] == poly.fid]
        if not mine:
            continue
        shares = None if stress is None else stress_shares(poly, raster, stress, w.stress_field)
        doc = c3_0(mine, shares)
        doc["method"] = (
            f"Σ withdrawal (and consumption = withdrawal − discharge, GRI 303-5) × share of the "
            f"area in basins with baseline water stress ≥ {ref['stressed_from']:g} "
            "(high or extremely high); an area's withdrawal is assumed spread over it by area "
            "unless the row gives its own 'bws'; bounds: all or none of a straddling area's "
            "withdrawal counted"
        )
        doc["inputs"] = [w.withdrawals, *([w.stress] if w.stress else [])]
        doc["stress_source"] = w.stress_source
        doc["definition"] = ref["c3_0"]["source"]
        doc["threshold_source"] = ref["stressed_source"]
        out[poly.fid] = doc
    return out
