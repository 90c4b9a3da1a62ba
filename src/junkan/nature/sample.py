"""A generated sample for tests and demos (nothing downloaded, nothing licence-restricted):
annual Sentinel-2-like scenes (10 bands, uint16 digital numbers = reflectance × 10,000,
GeoTIFF on a UTM grid in the Central Highlands of Vietnam), sourcing areas (coffee and rubber
suppliers), a user-supplied protected area, training polygons, monthly precipitation,
water withdrawals with two water-stress basins (TNFD C3.0), a floodplain whose flooded
share varies by year, and the truth (forest converted to cropland each year) the tests
check against.

Class reflectances are the illustrative assumptions of
``junkan/data/nature/sample_signatures.yaml``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from junkan.core.documents import dump_yaml

CRS = "EPSG:32648"
ORIGIN = (806_000.0, 1_406_000.0)
"""Upper-left corner (UTM 48N, near Buon Ma Thuot, Dak Lak)."""
PIXEL = 10.0
BLOCK = 15
"""Edge of the homogeneous land-cover patches, in pixels."""
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
FLOODPLAIN = 0.3
"""Share of grassland patches on the floodplain (flooded in some years; the truth)."""
FLOOD_GUMBEL = (0.15, 0.12)
"""Location and scale of the yearly flooded share of the floodplain (Gumbel; assumption)."""
MIN_PATCHES = 3
"""Fewest whole patches of each class (≥ 2 training polygons per class, one held out)."""
CONVERT_PER_YEAR = 0.06
"""Share of the remaining forest patches converted to cropland each year (the truth)."""


@cache
def signatures() -> dict[str, Any]:
    text = resources.files("junkan.data").joinpath("nature/sample_signatures.yaml").read_text()
    return dict(yaml.safe_load(text))


def class_maps(size: int, seed: int, years: tuple[int, ...] = YEARS) -> list[np.ndarray]:
    """Class codes (1-based, order of the signature file's classes) per year: patches of
    ``BLOCK`` pixels; each year a share of forest patches becomes cropland. The class shares
    are illustrative assumptions of the generated sample (a forest landscape being
    converted), the truth the tests check against, not data about Dak Lak."""
    names = list(signatures()["classes"])
    rng = np.random.default_rng(seed)
    nb = -(-size // BLOCK)
    probs = {"forest": 0.45, "cropland": 0.25, "grassland": 0.12, "water": 0.08, "bare": 0.10}
    coarse = rng.choice(np.arange(1, len(names) + 1), size=(nb, nb), p=[probs[n] for n in names])
    _top_up(coarse, size // BLOCK, len(names), rng)
    forest, crop = names.index("forest") + 1, names.index("cropland") + 1
    grass, water = names.index("grassland") + 1, names.index("water") + 1
    flood_rng = np.random.default_rng(seed + 5)  # its own stream: the forest truth unchanged
    plain = np.argwhere(coarse == grass)
    plain = plain[flood_rng.random(len(plain)) < FLOODPLAIN]
    maps = []
    for k in range(len(years)):
        if k:
            fidx = np.argwhere(coarse == forest)
            n = int(round(CONVERT_PER_YEAR * len(fidx)))
            pick = fidx[rng.choice(len(fidx), n, replace=False)]
            coarse[pick[:, 0], pick[:, 1]] = crop
        year = coarse.copy()
        share = float(np.clip(flood_rng.gumbel(*FLOOD_GUMBEL), 0.0, 1.0))
        wet = plain[flood_rng.random(len(plain)) < share]
        year[wet[:, 0], wet[:, 1]] = water
        full = np.kron(year, np.ones((BLOCK, BLOCK), dtype=coarse.dtype))[:size, :size]
        maps.append(full.astype(np.uint8))
    return maps


def _top_up(coarse: np.ndarray, whole: int, n_classes: int, rng: np.random.Generator) -> None:
    """Give every class at least ``MIN_PATCHES`` whole patches (the training polygons need
    two per class), taking them from the most common class; small samples only (a large
    random map already has them, and draws nothing more from ``rng``)."""
    inner = coarse[:whole, :whole]
    if whole * whole < MIN_PATCHES * n_classes:
        raise ValueError(
            f"size: too small for {n_classes} classes × {MIN_PATCHES} patches of "
            f"{BLOCK} px; use at least {BLOCK * math.isqrt(MIN_PATCHES * n_classes - 1) + BLOCK}"
        )
    for code in range(1, n_classes + 1):
        while (short := MIN_PATCHES - int((inner == code).sum())) > 0:
            counts = np.bincount(inner.ravel(), minlength=n_classes + 1)
            donor = int(np.argmax(counts))
            cells = np.argwhere(inner == donor)
            pick = cells[
                rng.choice(len(cells), min(short, len(cells) - MIN_PATCHES), replace=False)
            ]
            inner[pick[:, 0], pick[:, 1]] = code


def render(classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(10, y, x) uint16 digital numbers of a class map with pixel and scene noise."""
    sig = signatures()
    table = np.array([sig["classes"][c] for c in sig["classes"]], dtype=np.float32)
    refl = table[classes.astype(np.int64) - 1].transpose(2, 0, 1)
    gain = np.float32(1.0 + rng.normal(0.0, sig["scene_gain_sd"]))
    noise = rng.normal(0.0, sig["pixel_noise_sd"], refl.shape).astype(np.float32)
    dn = np.clip((refl * gain + noise) * 10_000.0, 1, 65_535)
    return dn.astype(np.uint16)


def write_tiff(
    path: Path,
    dn: np.ndarray,
    *,
    origin: tuple[float, float] = ORIGIN,
    crs: str = CRS,
    bands: list[str] | None = None,
    nodata: float | None = 0,
) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    names = bands or list(signatures()["bands"])
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=dn.shape[2],
        height=dn.shape[1],
        count=dn.shape[0],
        dtype=dn.dtype,
        crs=crs,
        nodata=nodata,
        transform=from_origin(origin[0], origin[1], PIXEL, PIXEL),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as dst:
        dst.write(dn)
        for i, n in enumerate(names):
            dst.set_band_description(i + 1, n)
    return path


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _fc(features: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": CRS}},
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }


def _xy(row: float, col: float) -> tuple[float, float]:
    return ORIGIN[0] + col * PIXEL, ORIGIN[1] - row * PIXEL


def training_polygons(first: np.ndarray, per_class: int, seed: int) -> dict[str, Any]:
    """Rectangles inside homogeneous patches of the first year's map, ``per_class`` per
    class."""
    names = list(signatures()["classes"])
    rng = np.random.default_rng(seed + 1)
    nb = first.shape[0] // BLOCK
    feats = []
    for code, name in enumerate(names, start=1):
        cells = [
            (i, j) for i in range(nb) for j in range(nb) if first[i * BLOCK, j * BLOCK] == code
        ]
        for n, k in enumerate(rng.permutation(len(cells))[:per_class]):
            i, j = cells[k]
            x0, y1 = _xy(i * BLOCK + 3, j * BLOCK + 3)
            x1, y0 = _xy(i * BLOCK + BLOCK - 3, j * BLOCK + BLOCK - 3)
            feats.append(({"id": f"{name}-{n}", "class": name}, _rect(x0, y0, x1, y1)))
    return _fc(feats)


def areas(size: int) -> dict[str, Any]:
    """Three sourcing areas: two coffee suppliers and a rubber supplier."""
    s = size
    boxes = [
        ("A", "coffee", "Supplier A", "Company X", 1200.0, (0.05, 0.05, 0.45, 0.50)),
        ("B", "coffee", "Supplier B", "Company X", 800.0, (0.55, 0.10, 0.95, 0.45)),
        ("C", "rubber", "Supplier C", "Company Y", 500.0, (0.20, 0.55, 0.90, 0.95)),
    ]
    feats = []
    for fid, com, sup, company, vol, (c0, r0, c1, r1) in boxes:
        x0, y1 = _xy(round(r0 * s), round(c0 * s))
        x1, y0 = _xy(round(r1 * s), round(c1 * s))
        feats.append(
            (
                {"id": fid, "commodity": com, "supplier": sup, "company": company, "volume_t": vol},
                _rect(x0, y0, x1, y1),
            )
        )
    return _fc(feats)


def protected(size: int) -> dict[str, Any]:
    x0, y1 = _xy(round(0.30 * size), round(0.30 * size))
    x1, y0 = _xy(round(0.70 * size), round(0.60 * size))
    return _fc(
        [({"id": "PA-1", "name": "Example protected area (synthetic)"}, _rect(x0, y0, x1, y1))]
    )


def basins(size: int) -> dict[str, Any]:
    """Two synthetic water-stress basins split at column 0.5 (west high stress, east
    medium-high), reaching beyond the scene as real sub-basins do."""
    x0, y1 = _xy(-size, -size)
    xm, _ = _xy(0, round(0.5 * size))
    x1, y0 = _xy(2 * size, 2 * size)
    return _fc(
        [
            ({"id": "W", "name": "West basin (synthetic)", "bws": 0.55}, _rect(x0, y0, xm, y1)),
            ({"id": "E", "name": "East basin (synthetic)", "bws": 0.25}, _rect(xm, y0, x1, y1)),
        ]
    )


WITHDRAWALS = (
    ("A", "groundwater", 180_000.0, 20_000.0),
    ("A", "surface", 60_000.0, 30_000.0),
    ("B", "groundwater", 90_000.0, 0.0),
    ("C", "surface", 40_000.0, 10_000.0),
)
"""Illustrative withdrawals and discharges (m³/yr) of the sample's suppliers: an
ASSUMPTION for the demo, not data of any real farm."""


def precipitation(years: int, seed: int) -> list[tuple[str, float]]:
    """Monthly precipitation (mm) ending in the last sample year: a wet-season gamma
    climate, the last year drier (the drought to find)."""
    rng = np.random.default_rng(seed + 2)
    start = YEARS[-1] - years + 1
    clim = np.array([5, 10, 35, 90, 220, 260, 280, 300, 320, 210, 80, 20], float)
    out = []
    for y in range(start, YEARS[-1] + 1):
        factor = 0.55 if y == YEARS[-1] else 1.0
        for m in range(12):
            v = rng.gamma(4.0, clim[m] * factor / 4.0)
            out.append((f"{y}-{m + 1:02d}", round(float(v), 1)))
    return out


def write_sample(
    folder: str | Path, *, size: int = 300, seed: int = 0, years: tuple[int, ...] = YEARS
) -> Path:
    """Write the sample (scenes, GeoJSON, precipitation CSV, assessment.yaml, truth.json)
    to ``folder``; returns the assessment's path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    maps = class_maps(size, seed, years)
    rng = np.random.default_rng(seed + 3)
    scenes = []
    for y, cm in zip(years, maps, strict=True):
        write_tiff(out / f"scene_{y}.tif", render(cm, rng))
        scenes.append({"path": f"scene_{y}.tif", "date": f"{y}-06-15"})
    files = {
        "areas.geojson": areas(size),
        "protected.geojson": protected(size),
        "training.geojson": training_polygons(maps[0], 6, seed),
        "water_stress.geojson": basins(size),
    }
    for name, doc in files.items():
        (out / name).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    water = "\n".join(
        f"{a},{src},{w},{d},synthetic sample (assumption)" for a, src, w, d in WITHDRAWALS
    )
    (out / "water.csv").write_text(
        "area,water_source,withdrawal_m3,discharge_m3,reference\n" + water + "\n",
        encoding="utf-8",
    )
    rows = "\n".join(f"{m},{v}" for m, v in precipitation(30, seed))
    (out / "precipitation.csv").write_text("month,mm\n" + rows + "\n", encoding="utf-8")
    forest = list(signatures()["classes"]).index("forest") + 1
    lost = int(((maps[0] == forest) & (maps[-1] != forest)).sum())
    truth = {
        "forest_lost_km2": lost * PIXEL * PIXEL / 1e6,
        "classes": maps[0].tolist() if size <= 64 else None,
    }
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    doc = {
        "name": "Sample: coffee and rubber sourcing areas (generated)",
        "areas": "areas.geojson",
        "scenes": scenes,
        "training": "training.geojson",
        "protected": "protected.geojson",
        "precipitation": "precipitation.csv",
        "natural_classes": ["forest"],
        "converted_classes": ["cropland", "bare"],
        "water": {
            "withdrawals": "water.csv",
            "stress": "water_stress.geojson",
            "stress_source": "synthetic basins of the generated sample (not Aqueduct data)",
        },
        # a lender's book over the sample's companies, Company Z without assessed areas
        "portfolio": {
            "name": "Sample lender",
            "currency": "JPY",
            "as_of": "2026-03-31",
            "source": "made-up amounts of the generated sample (not a bank's figures)",
            "exposures": {"Company X": 3.0e9, "Company Y": 1.0e9, "Company Z": 1.0e9},
        },
    }
    path = out / "assessment.yaml"
    path.write_text(dump_yaml(doc), encoding="utf-8")
    return path
