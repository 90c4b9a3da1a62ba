"""Spectral indices through ``spyndex`` (the Awesome Spectral Indices catalogue: each
index's formula, bands and reference DOI in ``spyndex/data/spectral-indices-dict.json``).

Bands are surface reflectance (0–1): digital numbers × ``scale`` + ``offset`` (Sentinel-2
L2A: × 1e-4, with offset −0.1 from processing baseline 04.00, 25 Jan 2022). The same function
serves a lazy xarray (per-area statistics, whole tiles) and a NumPy block (classification
features), so both compute the catalogue's formula.
"""

from __future__ import annotations

from functools import cache
from typing import Any

SENTINEL2: dict[str, str] = {
    "B": "B02",
    "G": "B03",
    "R": "B04",
    "RE1": "B05",
    "RE2": "B06",
    "RE3": "B07",
    "N": "B08",
    "N2": "B8A",
    "S1": "B11",
    "S2": "B12",
}
"""spyndex band codes → Sentinel-2 band names (ESA S2 MSI band numbering)."""
DEFAULT_INDICES = ("NDVI", "NDWI", "MNDWI", "EVI", "NBR", "NDMI")


@cache
def _catalogue() -> Any:
    import spyndex

    return spyndex


def index_info(name: str) -> dict[str, Any]:
    """Formula, bands, reference and long name of a catalogue index."""
    from junkan.nature.geo import NatureInputError

    sp = _catalogue()
    if name not in sp.indices:
        raise NatureInputError(
            f"indices: {name!r} is not in the spyndex catalogue "
            "(e.g. NDVI, NDWI, MNDWI, EVI, NBR, NDMI, SAVI)"
        )
    idx = sp.indices[name]
    return {
        "name": name,
        "formula": idx.formula,
        "bands": list(idx.bands),
        "reference": idx.reference,
        "long_name": idx.long_name,
    }


def needed_bands(names: list[str] | tuple[str, ...], mapping: dict[str, str]) -> list[str]:
    """Raster band names the indices need (constants such as EVI's g, C1, C2, L excluded)."""
    sp = _catalogue()
    out: list[str] = []
    for n in names:
        for code in index_info(n)["bands"]:
            if code in sp.constants:
                continue
            if code not in sp.bands:
                from junkan.nature.geo import NatureInputError

                raise NatureInputError(
                    f"indices: {n} needs {code!r}, which is neither a band nor a constant of "
                    "the spyndex catalogue (e.g. a kernel index's parameter: kNDVI, kEVI, …); "
                    "such indices are not computed here: choose another (e.g. NDVI for kNDVI)"
                )
            if code not in mapping:
                from junkan.nature.geo import NatureInputError

                raise NatureInputError(
                    f"bands: index {n} needs band {code!r} ({sp.bands[code].long_name}); map "
                    f"it to a raster band, e.g. bands: {{{code}: …}}"
                )
            if mapping[code] not in out:
                out.append(mapping[code])
    return out


def compute(
    names: list[str] | tuple[str, ...], reflectance: dict[str, Any], mapping: dict[str, str]
) -> dict[str, Any]:
    """Each index of ``names`` from ``reflectance`` (raster band name → array, reflectance
    units), by the catalogue's formula with its default constants."""
    sp = _catalogue()
    out: dict[str, Any] = {}
    for n in names:
        info = index_info(n)
        params: dict[str, Any] = {}
        for code in info["bands"]:
            if code in sp.constants:
                params[code] = sp.constants[code].default
            else:
                params[code] = reflectance[mapping[code]]
        out[n] = sp.computeIndex(n, params=params)
    return out
