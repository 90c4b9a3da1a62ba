"""``junkan nature flood-map``: one scene's flooding against the reference scene, per pixel
(a GeoTIFF of :data:`junkan.nature.inundation.CODES`) and per sourcing area (water, flooded,
receded and permanent-water km², water and flooded with the range from the Otsu threshold's
uncertainty). The thresholds are those of :func:`junkan.nature.inundation.thresholds` for the
two scenes, so the map and the table use the same cut."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from junkan.nature import inundation
from junkan.nature.assess import features, layer, open_scenes
from junkan.nature.geo import NatureInputError
from junkan.nature.schema import Assessment

COLUMNS = (
    "area",
    "date",
    "reference_date",
    "valid_km2",
    "water_km2",
    "water_low_km2",
    "water_high_km2",
    "flooded_km2",
    "flooded_low_km2",
    "flooded_high_km2",
    "receded_km2",
    "permanent_km2",
)
"""Columns of the per-area table (areas in km², WGS 84 ellipsoidal pixel areas)."""


def flood_areas(
    a: Assessment, out: str | Path, *, scene: int | None = None, scheduler: Any = None
) -> dict[str, Any]:
    """Write ``flood.tif`` (per-pixel classes of ``scene``, default the last, against the
    assessment's ``flood_reference`` scene) and ``flood_areas.csv`` (one row per sourcing
    area, :data:`COLUMNS`) into the folder ``out``; return the thresholds, the rows and the
    paths. Needs a water index (MNDWI or NDWI) among the assessment's indices."""
    n = len(a.spec.scenes)
    s = n - 1 if scene is None else scene
    if not 0 <= s < n:
        raise NatureInputError(f"scene: {s} but there are {n} scenes; give 0 to {n - 1}")
    ref = a.spec.flood_reference
    if s == ref:
        raise NatureInputError(
            f"scene {s} is the flood reference scene (flood_reference); choose another scene"
        )
    name = inundation.water_index(a.spec.indices, a.spec.water_index)
    if name is None:
        raise NatureInputError(
            f"{a.source}: indices: add MNDWI (or NDWI) to map surface water and flooding"
        )
    scenes = open_scenes(a)
    feats = features(a, scenes)
    areas = layer(a, a.spec.areas, "areas", scenes[0], ("commodity", "supplier"))
    dates = [sc.date.isoformat() for sc in a.spec.scenes]
    pair = [scenes[ref], scenes[s]]
    got = inundation.assess(
        pair,
        [dates[ref], dates[s]],
        areas,
        feats,
        name=name,
        reference=0,
        fixed=a.spec.water_threshold,
        scheduler=scheduler,
    )
    t_ref, t_now = (t["threshold"] for t in got["thresholds"])
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tif = inundation.flood_map(pair[0], pair[1], feats, name, t_ref, t_now, folder / "flood.tif")
    rows = []
    for fid, per_scene in got["areas"].items():
        x = per_scene[1]
        rows.append(
            {
                "area": fid,
                "date": dates[s],
                "reference_date": dates[ref],
                "valid_km2": x["valid_km2"],
                "water_km2": x["water_km2"]["value"],
                "water_low_km2": x["water_km2"]["low"],
                "water_high_km2": x["water_km2"]["high"],
                "flooded_km2": x["flooded_km2"]["value"],
                "flooded_low_km2": x["flooded_km2"]["low"],
                "flooded_high_km2": x["flooded_km2"]["high"],
                "receded_km2": x["receded_km2"],
                "permanent_km2": x["permanent_km2"],
            }
        )
    table = folder / "flood_areas.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return {
        "index": name,
        "scene": s,
        "reference_scene": ref,
        "thresholds": got["thresholds"],
        "classes": inundation.CODES,
        "areas": rows,
        "map": str(tif),
        "table": str(table),
        "method": got["method"],
    }
