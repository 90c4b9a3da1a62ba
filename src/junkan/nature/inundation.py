"""Surface water and flooding per pixel: each scene's water index (MNDWI, else NDWI) is
split into water and land at the scene's **Otsu threshold** (Otsu 1979: the cut of the
histogram that maximises the between-class variance), and each pixel of each scene is
compared with the same pixel in the reference scene:

- *flooded*: water now, not water in the reference;
- *receded*: water in the reference, not now;
- *permanent*: water in both.

Per sourcing area, each class's extent (km²) comes with a range from the threshold's
uncertainty: every threshold whose between-class variance is within ``NEAR_MAX`` of
Otsu's maximum is as defensible as Otsu's own, so the extent is recomputed at the lowest
and highest of them (flooded: widest = low threshold now and high threshold in the
reference; narrowest the other way round). A histogram that is not clearly two-peaked
(no valley between the two classes' peaks, see ``MAX_VALLEY``; e.g. a scene with no open
water) gets the assessment's fixed ``water_threshold`` instead, ± ``FIXED_HALF_WIDTH``.

The histograms are of the whole scene (every valid pixel), one Dask task per chunk; the
per-area sums are a second pass over the areas' windows, summed in chunk order, so any
scheduler gives the same numbers. ``flood_map`` writes the per-pixel classes as a GeoTIFF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from junkan.nature import indices as ix
from junkan.nature.classify import Features
from junkan.nature.geo import Layer, NatureInputError
from junkan.nature.rasters import Raster, mask, window

BINS = 400
"""Histogram bins over the index's range [−1, 1] (width 0.005)."""
NEAR_MAX = 0.95
"""ASSUMPTION (junkan team, 2026-12-01): thresholds whose between-class variance is at
least 95 % of Otsu's maximum bound the threshold's uncertainty."""
MAX_VALLEY = 0.5
"""ASSUMPTION (junkan team, 2026-12-01): the histogram counts as two classes when its
lowest point between the two class means is below half the lower of the two class peaks
(histogram smoothed over ``SMOOTH`` bins); otherwise the fixed threshold is used. Otsu's
separability η alone cannot tell: a single normal distribution split at its mean already
has η = 2/π ≈ 0.64, while a scene with 2 % open water may have η < 0.5."""
SMOOTH = 9
"""Bins of the moving average before the valley test (0.045 index units; assumption)."""
FIXED_HALF_WIDTH = 0.1
"""ASSUMPTION (junkan team, 2026-12-01): ± range of index values around a fixed
threshold (the spread of published MNDWI water thresholds, about −0.1 to 0.1)."""
CODES = {"nodata": 0, "dry": 1, "permanent": 2, "flooded": 3, "receded": 4}
"""Classes of the per-pixel map (uint8)."""


def water_index(a_indices: list[str] | tuple[str, ...], chosen: str | None) -> str | None:
    """The index used for water: ``chosen``, else MNDWI, else NDWI (None: neither)."""
    if chosen is not None:
        return chosen
    return next((n for n in ("MNDWI", "NDWI") if n in a_indices), None)


def otsu(counts: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    """Otsu's threshold of a histogram (``counts`` per bin, ``edges`` of the bins): the
    threshold (upper edge of the last bin of the lower class: water is ``> threshold``),
    the separability η and the range of near-optimal thresholds (see the module's doc)."""
    c = np.asarray(counts, np.float64)
    n = c.sum()
    if n <= 0:
        return {"threshold": None, "separability": 0.0, "range": None, "pixels": 0}
    centres = (edges[:-1] + edges[1:]) / 2
    p = c / n
    w0 = np.cumsum(p)[:-1]
    mu = np.cumsum(p * centres)[:-1]
    mu_t = float((p * centres).sum())
    w1 = 1.0 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        sb = (mu_t * w0 - mu) ** 2 / (w0 * w1)
    sb = np.where((w0 > 1e-12) & (w1 > 1e-12), sb, 0.0)
    total = float((p * (centres - mu_t) ** 2).sum())
    k = int(np.argmax(sb))
    near = np.flatnonzero(sb >= NEAR_MAX * sb[k]) if sb[k] > 0 else np.array([k])
    return {
        "threshold": float(edges[k + 1]),
        "separability": float(sb[k] / total) if total > 0 else 0.0,
        "valley": _valley(c, centres, k),
        "range": [float(edges[near.min() + 1]), float(edges[near.max() + 1])],
        "pixels": int(n),
    }


def _valley(c: np.ndarray, centres: np.ndarray, k: int) -> float:
    """Lowest smoothed count between the two classes' mean bins over the lower of the two
    classes' peaks (0: an empty gap; about 1: no valley, one class)."""
    sm = np.convolve(c, np.ones(SMOOTH) / SMOOTH, mode="same")
    lo, hi = c[: k + 1], c[k + 1 :]
    if lo.sum() <= 0 or hi.sum() <= 0:
        return 1.0
    m0 = int(np.searchsorted(centres, (lo * centres[: k + 1]).sum() / lo.sum()))
    m1 = int(np.searchsorted(centres, (hi * centres[k + 1 :]).sum() / hi.sum()))
    peak = min(sm[: k + 1].max(), sm[k + 1 :].max())
    return float(sm[m0 : m1 + 1].min() / peak) if peak > 0 else 1.0


def _index(block: np.ndarray, f: Features, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(index values float32 (y, x), valid flags) of a (band, y, x) block of ``f.bands``."""
    refl = {
        b: block[i].astype(np.float32) * np.float32(f.scale) + np.float32(f.offset)
        for i, b in enumerate(f.bands)
    }
    ok = np.ones(block.shape[1:], bool)
    for i in range(len(f.bands)):
        ok &= np.isfinite(block[i]) if f.nodata is None else (block[i] != f.nodata)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.asarray(ix.compute([name], refl, f.mapping)[name], np.float32)
    return v, ok & np.isfinite(v)


def _hist(block: np.ndarray, f: Features, name: str) -> np.ndarray:
    v, ok = _index(block, f, name)
    return np.histogram(np.clip(v[ok], -1, 1), bins=BINS, range=(-1.0, 1.0))[0]


def _features(f: Features, name: str) -> Features:
    bands = tuple(ix.needed_bands([name], f.mapping))
    return Features(bands, (name,), f.mapping, f.scale, f.offset, f.nodata)


def thresholds(
    scenes: list[Raster], f: Features, name: str, fixed: float, scheduler: Any = None
) -> list[dict[str, Any]]:
    """Each scene's water threshold (Otsu, or ``fixed`` when the histogram is not
    two-peaked) with its range and how it was chosen."""
    import dask

    g = _features(f, name)
    graphs = []
    for r in scenes:
        data = r.data.sel(band=list(g.bands)).data.rechunk({0: -1})
        parts = [dask.delayed(_hist, pure=True)(b, g, name) for b in data.to_delayed().ravel()]
        graphs.append(dask.delayed(sum, pure=True)(parts))
    hists = dask.compute(*graphs, **({"scheduler": scheduler} if scheduler else {}))
    edges = np.linspace(-1.0, 1.0, BINS + 1)
    out = []
    for r, h in zip(scenes, hists, strict=True):
        o = otsu(np.asarray(h), edges)
        if o["pixels"] == 0:
            raise NatureInputError(f"{r.path}: no valid {name} pixel; check nodata and bands")
        if o["valley"] < MAX_VALLEY:
            o["method"] = "otsu"
        else:
            o |= {
                "method": "fixed",
                "otsu_threshold": o["threshold"],
                "threshold": fixed,
                "range": [fixed - FIXED_HALF_WIDTH, fixed + FIXED_HALF_WIDTH],
            }
        out.append(o)
    return out


def _sums(
    stack: np.ndarray,
    inside: np.ndarray,
    w: np.ndarray,
    g: Features,
    name: str,
    ref: int,
    thr: np.ndarray,
) -> np.ndarray:
    """Per scene (area-weighted km²): valid, water at low/central/high threshold, flooded
    central/narrowest/widest, receded, permanent. ``thr``: (scene, [low, central, high])."""
    vals = [_index(stack[s], g, name) for s in range(stack.shape[0])]
    rv, rok = vals[ref]
    lo_r, mid_r, hi_r = (rv > thr[ref, j] for j in range(3))
    out = []
    for s, (v, ok) in enumerate(vals):
        both = ok & rok & inside
        lo, mid, hi = (v > thr[s, j] for j in range(3))
        parts = [
            ok & inside,
            lo & ok & inside,
            mid & ok & inside,
            hi & ok & inside,
            both & mid & ~mid_r,
            both & hi & ~lo_r,
            both & lo & ~hi_r,
            both & ~mid & mid_r,
            both & mid & mid_r,
        ]
        out.append([float(w[m].sum()) for m in parts])
    return np.asarray(out).ravel()


def _area_graph(
    scenes: list[Raster],
    g: Features,
    name: str,
    win: tuple[slice, slice],
    inside: np.ndarray,
    w: np.ndarray,
    ref: int,
    thr: np.ndarray,
) -> Any:
    import dask

    arrays = [
        r.data.sel(band=list(g.bands)).isel(y=win[0], x=win[1]).data.rechunk({0: -1})
        for r in scenes
    ]
    parts, y0 = [], 0
    fn = dask.delayed(_sums, pure=True)
    for h in arrays[0].chunks[1]:
        x0 = 0
        for wd in arrays[0].chunks[2]:
            ys, xs = slice(y0, y0 + h), slice(x0, x0 + wd)
            stack = dask.delayed(np.stack)([a[:, ys, xs] for a in arrays])
            parts.append(fn(stack, inside[ys, xs], w[ys, xs], g, name, ref, thr))
            x0 += wd
        y0 += h
    return dask.delayed(sum, pure=True)(parts)


FIELDS = (
    "valid_km2",
    "water_low",
    "water_km2",
    "water_high",
    "flooded_km2",
    "flooded_low",
    "flooded_high",
    "receded_km2",
    "permanent_km2",
)


def assess(
    scenes: list[Raster],
    dates: list[str],
    areas: Layer,
    f: Features,
    *,
    name: str,
    reference: int,
    fixed: float,
    scheduler: Any = None,
) -> dict[str, Any]:
    """Thresholds per scene and, per area id, the per-scene water, flooded, receded and
    permanent-water extents (km², with the range from the threshold's uncertainty)."""
    import dask

    if reference >= len(scenes):
        raise NatureInputError(
            f"flood_reference: {reference} but there are {len(scenes)} scenes; give the "
            "index (from 0) of the scene to compare with (a normal, non-flood date)"
        )
    for b in ix.needed_bands([name], f.mapping):
        scenes[0].band(b)
    th = thresholds(scenes, f, name, fixed, scheduler)
    thr = np.array([[t["range"][0], t["threshold"], t["range"][1]] for t in th])
    g = _features(f, name)
    graphs = []
    for poly in areas.polygons:
        win = window(poly, scenes[0])
        assert win is not None
        inside = mask([poly], scenes[0], win)
        w = np.asarray(inside * (scenes[0].pixel_area_m2(win[0]) / 1e6)[:, None], np.float64)
        graphs.append(_area_graph(scenes, g, name, win, inside, w, reference, thr))
    done = dask.compute(*graphs, **({"scheduler": scheduler} if scheduler else {}))
    per_area = {}
    for poly, vec in zip(areas.polygons, done, strict=True):
        rows = np.asarray(vec).reshape(len(scenes), len(FIELDS))
        per_area[poly.fid] = [
            _row(d, dict(zip(FIELDS, map(float, r), strict=True)))
            for d, r in zip(dates, rows, strict=True)
        ]
    return {
        "index": name,
        "reference_scene": reference,
        "reference_date": dates[reference],
        "thresholds": [{"date": d, **t} for d, t in zip(dates, th, strict=True)],
        "areas": per_area,
        "method": f"per pixel: water = {name} > the scene's Otsu threshold (Otsu 1979; fixed "
        f"threshold ± {FIXED_HALF_WIDTH:g} when the histogram has no valley between the "
        f"classes: lowest point ≥ {MAX_VALLEY:g} × the lower peak); "
        "flooded = water now and not in the reference scene; ranges: thresholds within "
        f"{1 - NEAR_MAX:.0%} of Otsu's maximum between-class variance",
    }


def _row(date: str, r: dict[str, float]) -> dict[str, Any]:
    return {
        "date": date,
        "valid_km2": r["valid_km2"],
        "water_km2": {"value": r["water_km2"], "low": r["water_high"], "high": r["water_low"]},
        "flooded_km2": {
            "value": r["flooded_km2"],
            "low": r["flooded_low"],
            "high": r["flooded_high"],
        },
        "receded_km2": r["receded_km2"],
        "permanent_km2": r["permanent_km2"],
    }


def _classes(
    ref: np.ndarray, now: np.ndarray, g: Features, name: str, t_ref: float, t_now: float
) -> np.ndarray:
    rv, rok = _index(ref, g, name)
    v, ok = _index(now, g, name)
    a, b = rv > t_ref, v > t_now
    out = np.full(v.shape, CODES["dry"], np.uint8)
    out[a & b] = CODES["permanent"]
    out[~a & b] = CODES["flooded"]
    out[a & ~b] = CODES["receded"]
    out[~(ok & rok)] = CODES["nodata"]
    return out


def flood_map(
    ref: Raster, now: Raster, f: Features, name: str, t_ref: float, t_now: float, out: str | Path
) -> Path:
    """Write the per-pixel classes (``CODES``) of ``now`` against ``ref`` as a tiled
    GeoTIFF (uint8, 0 = nodata), block by block."""
    import dask.array as da
    import xarray as xr

    g = _features(f, name)
    a = ref.data.sel(band=list(g.bands)).data.rechunk({0: -1})
    b = now.data.sel(band=list(g.bands)).data.rechunk({0: -1})
    cls = da.map_blocks(
        lambda x, y: _classes(x, y, g, name, t_ref, t_now), a, b, drop_axis=0, dtype=np.uint8
    )
    arr = xr.DataArray(cls, dims=("y", "x"), coords={"y": now.data["y"], "x": now.data["x"]})
    arr = arr.rio.write_crs(now.crs).rio.write_transform(now.transform).rio.write_nodata(0)
    arr.attrs["classes"] = ",".join(k for k, _ in sorted(CODES.items(), key=lambda kv: kv[1]))
    arr.rio.to_raster(out, tiled=True, compress="deflate", lock=False)
    return Path(out)
