"""Sourcing areas that reach past the scenes (``partial_areas`` in the assessment).

A polygon partly outside the scenes' extent is refused by default, naming the file, the area
and the share outside: silently assessing the covered part would understate the footprint
and every satellite figure while the water withdrawals stay the whole area's. With
``partial_areas: clip`` the covered part is assessed and every figure of the area carries a
``coverage_note`` with the covered share (see docs/nature.md, "Areas partly outside the
scenes"): C1.0 stays the whole polygon's area (the footprint is the polygon, not what a
satellite saw); the satellite figures (indices, classes, C1.1, water extent, overlaps with
protected areas and KBAs, flood) cover only the covered pixels; C3.0 keeps the withdrawals
as reported for the whole area, split over water-stress basins by the covered part.
"""

from __future__ import annotations

from typing import Any

from junkan.nature.geo import Layer, NatureInputError
from junkan.nature.rasters import Raster, coverage

FULL = 1 - 1e-9
"""Covered share counted as whole (rounding of the pixel sums)."""


def check_coverage(layer: Layer, raster: Raster, mode: str) -> dict[str, dict[str, float]]:
    """Each area's :func:`coverage` on the scenes' grid; an area partly outside is refused
    unless ``mode`` is ``clip``."""
    covs = {p.fid: coverage(p, raster) for p in layer.polygons}
    part = [(fid, c) for fid, c in covs.items() if c["covered_share"] < FULL]
    if part and mode != "clip":
        t, (ny, nx) = raster.transform, raster.shape
        ext = (t.c, t.f + t.e * ny, t.c + t.a * nx, t.f)
        what = "; ".join(
            f"area {fid!r}: {100 * (1 - c['covered_share']):.1f} % of its "
            f"{c['polygon_km2']:.4g} km² lies outside" for fid, c in part[:5]
        )
        raise NatureInputError(
            f"{layer.path}: {what} the scenes' extent ({', '.join(f'{v:.6g}' for v in ext)}, "
            f"{raster.crs}); use scenes that cover the whole area, fix its coordinates, or "
            "set 'partial_areas: clip' in the assessment to assess the covered part only "
            "(every figure of the area then says so)"
        )
    return covs


def note(cov: dict[str, float]) -> str | None:
    """The note every figure of a partly covered area carries (None when whole)."""
    if cov["covered_share"] >= FULL:
        return None
    return (
        f"the scenes cover {100 * cov['covered_share']:.1f} % of this area "
        f"({cov['covered_km2']:.4g} of {cov['polygon_km2']:.4g} km², partial_areas: clip): "
        "C1.0 is the whole polygon; satellite figures (indices, classes, C1.1, water, "
        "overlaps, flood) cover only the covered part; C3.0 is the withdrawals as reported, "
        "split over water-stress basins by the covered part"
    )


def mark(doc: dict[str, Any], cov: dict[str, float]) -> None:
    """Add ``coverage`` to an area's result and a ``coverage_note`` to each of its figures
    (every dict-valued entry, and the C1.1 inside ``land_change``)."""
    text = note(cov)
    doc["coverage"] = {k: cov[k] for k in ("polygon_km2", "covered_km2", "covered_share")}
    doc["coverage"]["note"] = text
    if text is None:
        return
    for key, value in doc.items():
        if key in ("coverage", "centroid"):
            continue
        if isinstance(value, dict):
            value["coverage_note"] = text
            for sub in value.values():
                if isinstance(sub, dict) and "value_km2" in sub:
                    sub["coverage_note"] = text
        elif isinstance(value, list) and key == "scenes":
            for row in value:
                row["coverage_note"] = text
