"""Monthly precipitation from a raster time series, as each sourcing area's series for SPI.

The raster is a GeoTIFF / Cloud-Optimized GeoTIFF with one band per month (read lazily with
``rioxarray``), or a Zarr store / NetCDF file with a variable on ``(time, y, x)`` (or
``lat``/``lon``; read lazily with ``xarray``), chunked with Dask so only the windows around
the areas are read. Each band's month comes from its description or its ``date`` (or
``month``/``time``) tag in ``YYYY-MM`` form, or from ``start:`` in the assessment (one band
per month from it); a Zarr/NetCDF ``time`` gives its own. The months must be consecutive.

Each area's value for a month is the **unweighted mean of the pixels its polygon touches**
(``rasterio.features.geometry_mask(all_touched=True)``, after reprojecting the polygon to
the raster's CRS), leaving out nodata and NaN pixels: a coarse climate grid (CHIRPS 0.05°,
TerraClimate 1/24°, ERA5 0.25°) has few pixel centres in a farm, and all-touched gives a
small area the pixel it lies in. The result has the shape of
:func:`junkan.nature.assess.read_precipitation` (area id → month labels, mm), so SPI and the
drought component are computed as for a CSV.

Values must be precipitation totals in **millimetres per month**, stated in the assessment
(``units:``) or in the raster's ``units`` tag; any other unit (mm/day, kg m⁻² s⁻¹, m) is
refused rather than converted.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from junkan.nature.geo import Layer, NatureInputError, reproject
from junkan.nature.rasters import Raster, _fmt, _same_crs, mask, window
from junkan.nature.schema import PrecipitationRaster

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".zarr", ".nc", ".nc4", ".cdf")
"""Suffixes read as a precipitation raster (anything else: the CSV)."""
MIN_MONTHS = 24
"""Fewest months for SPI (as for the CSV: the gamma fit needs at least 2 years)."""
MAX_MONTHS = 12 * 200
MAX_MM = 10_000.0
"""Largest plausible monthly total (mm), as for the CSV."""
MM_PER_MONTH = frozenset({
    "mm", "mm/month", "mm/mon", "mm month-1", "mm mon-1", "mm month^-1", "mm/mo",
    "millimetres", "millimeters", "mm per month", "millimetres per month",
    "millimeters per month",
})
"""Spellings of millimetres per month (compared in lower case, spaces collapsed)."""
_MONTH = re.compile(r"^\s*(\d{4})-(0[1-9]|1[0-2])(?:-\d{2})?(?:[T ].*)?\s*$")
_DATE_TAGS = ("date", "month", "time", "DATE", "MONTH", "TIME")
CHUNKS = {"time": 120, "y": 256, "x": 256}
"""Dask chunk of the series (months, rows, columns): ≤ 63 MB in float64, so an area's window
reads a few chunks, never the whole series."""


def is_raster(value: str | PrecipitationRaster | None) -> bool:
    """Whether ``precipitation:`` names a raster series (else a CSV, or nothing)."""
    if isinstance(value, PrecipitationRaster):
        return True
    return value is not None and Path(value).suffix.lower() in RASTER_SUFFIXES


def spec_of(value: str | PrecipitationRaster) -> PrecipitationRaster:
    return value if isinstance(value, PrecipitationRaster) else PrecipitationRaster(path=value)


def area_series(path: Path, spec: PrecipitationRaster, areas: Layer
                ) -> dict[str, tuple[list[str], np.ndarray]]:
    """Each area's monthly precipitation (mm) from the raster at ``path``: area id →
    (``YYYY-MM`` labels, values; NaN where every pixel of the area is nodata)."""
    grid, labels = open_grid(path, spec)
    import dask

    polys = _in_crs(areas, grid.crs).polygons
    graphs = {p.fid: _sums(grid, p, _check_inside(grid, p)) for p in polys}
    (done,) = dask.compute(graphs)
    out = {}
    for fid, (s, n) in done.items():
        s, n = np.asarray(s, dtype=float), np.asarray(n)
        if not n.any():
            raise NatureInputError(
                f"{path}: every pixel of area {fid!r} is nodata ({grid.nodata}) in every "
                "month; use a raster that covers it, or check its nodata value"
            )
        mm = np.where(n > 0, s / np.maximum(n, 1), np.nan)
        bad = np.flatnonzero(np.isfinite(mm) & ((mm < 0) | (mm > MAX_MM)))
        if len(bad):
            i = int(bad[0])
            raise NatureInputError(
                f"{path}: area {fid!r}, {labels[i]}: mean {mm[i]:.6g} is not a monthly "
                f"precipitation in mm (0–{MAX_MM:,.0f}); check 'units:' and the nodata value"
            )
        out[fid] = (list(labels), mm)
    return out


def _in_crs(areas: Layer, crs: str) -> Layer:
    return areas if _same_crs(areas.crs, crs) else reproject(areas, crs)


def _check_inside(grid: Raster, poly: Any) -> tuple[slice, slice]:
    """The polygon's window on the grid; an area reaching past the raster is refused."""
    t = grid.transform
    ny, nx = grid.shape
    ext = (t.c, t.f + t.e * ny, t.c + t.a * nx, t.f)
    x0, y0, x1, y1 = poly.bounds()
    lo_x, hi_x = min(ext[0], ext[2]), max(ext[0], ext[2])
    lo_y, hi_y = min(ext[1], ext[3]), max(ext[1], ext[3])
    win = window(poly, grid)
    where = (f"area {poly.fid!r} (bounds {_fmt((x0, y0, x1, y1))} in {grid.crs}) "
             f"{{}} {grid.path} (extent {_fmt((lo_x, lo_y, hi_x, hi_y))})")
    if win is None:
        raise NatureInputError(
            where.format("lies outside") + "; use a precipitation raster that covers it"
        )
    if x0 < lo_x or x1 > hi_x or y0 < lo_y or y1 > hi_y:
        raise NatureInputError(
            where.format("reaches past") + "; use a precipitation raster that covers it"
        )
    return win


def _sums(grid: Raster, poly: Any, win: tuple[slice, slice]) -> tuple[Any, Any]:
    """Lazy per-month sum and count of the valid pixels the polygon touches."""
    rows, cols = win
    inside = mask([poly], grid, win, all_touched=True)
    block = grid.data.isel(y=rows, x=cols).data.astype("float64")
    valid = np.isfinite(block) & inside[None, :, :]
    if grid.nodata is not None and math.isfinite(grid.nodata):
        valid &= block != grid.nodata
    return (np.where(valid, block, 0.0).sum(axis=(1, 2)), valid.sum(axis=(1, 2)))


def open_grid(path: Path, spec: PrecipitationRaster) -> tuple[Raster, list[str]]:
    """The lazily read ``(time, y, x)`` grid and its month labels, checked: a CRS, the
    unit, consecutive months, 24 months at least."""
    if not path.exists():
        raise NatureInputError(f"{path}: no such file; check 'precipitation:' in the assessment")
    try:
        if path.suffix.lower() in (".tif", ".tiff", ".vrt"):
            da, months, unit = _open_tiff(path, spec)
        else:
            da, months, unit = _open_cube(path, spec)
    except NatureInputError:
        raise
    except Exception as exc:  # rasterio / xarray / zarr errors: name the file
        raise NatureInputError(f"{path}: cannot read as a precipitation raster ({exc})") from None
    _check_units(path, spec.units, unit)
    labels = _check_months(path, months)
    crs = da.rio.crs
    if crs is None:
        raise NatureInputError(
            f"{path}: has no CRS; write one (gdal_edit.py -a_srs EPSG:4326 …, or a "
            "grid_mapping / spatial_ref variable for Zarr/NetCDF)"
        )
    nodata = da.rio.nodata
    return Raster(str(path), da, crs.to_string(), da.rio.transform(),
                  None if nodata is None else float(nodata)), labels


def _open_tiff(p: Path, spec: PrecipitationRaster) -> tuple[Any, list[int | None], str | None]:
    import rasterio
    import rioxarray

    with rasterio.open(p) as src:
        descr = list(src.descriptions)
        tags = [src.tags(i) for i in range(1, src.count + 1)]
        unit = src.tags().get("units") or src.tags().get("UNITS") or next(
            (u for u in src.units if u), None)
        count = src.count
    if spec.start is not None:
        y, m = (int(v) for v in spec.start.split("-"))
        months: list[int | None] = [y * 12 + m - 1 + i for i in range(count)]
    else:
        months = [_month(d) if _month(d) is not None else
                  next((_month(t[k]) for k in _DATE_TAGS if _month(t.get(k))), None)
                  for d, t in zip(descr, tags, strict=True)]
    chunks = {"band": CHUNKS["time"], "y": CHUNKS["y"], "x": CHUNKS["x"]}
    da: Any = rioxarray.open_rasterio(p, chunks=chunks, lock=False, cache=False, masked=False)
    da = da.rename(band="time")
    return da, months, unit


def _month(text: Any) -> int | None:
    """``YYYY-MM`` (optionally with a day and time) → months since year 0, else None."""
    m = _MONTH.match(str(text)) if text else None
    return None if m is None else int(m[1]) * 12 + int(m[2]) - 1


def _open_cube(p: Path, spec: PrecipitationRaster) -> tuple[Any, list[int | None], str | None]:
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    if p.suffix.lower() == ".zarr" or p.is_dir():
        ds = xr.open_zarr(p, chunks={})
    else:
        ds = xr.open_dataset(p, decode_coords="all")  # lazy; chunked below
    ren = {k: v for k, v in (("lat", "y"), ("latitude", "y"), ("lon", "x"), ("longitude", "x"))
           if k in ds.dims}
    ds = ds.rename(ren)
    names = [v for v in ds.data_vars if set(ds[v].dims) == {"time", "y", "x"}]
    name = spec.variable or (names[0] if len(names) == 1 else None)
    if name is None or name not in ds.data_vars:
        raise NatureInputError(
            f"{p}: " + (f"no variable {spec.variable!r}" if spec.variable else
                        f"{len(names)} variables on (time, y, x)")
            + f" ({', '.join(map(str, names)) or 'none'}); name one with 'variable:'"
        )
    da = ds[name].transpose("time", "y", "x")
    if da.chunks is None:  # NetCDF: windows of CHUNKS (a Zarr store keeps its own chunks)
        da = da.chunk(CHUNKS)
    if da.sizes["y"] > 1 and float(da["y"][1]) > float(da["y"][0]):
        da = da.isel(y=slice(None, None, -1))  # north up
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y")
    if da.rio.crs is None and "spatial_ref" in ds.variables:
        ref = ds["spatial_ref"].attrs
        wkt = ref.get("crs_wkt") or ref.get("spatial_ref")
        if wkt:
            da = da.rio.write_crs(wkt)
    fill = da.attrs.get("_FillValue", da.encoding.get("_FillValue"))
    if da.rio.nodata is None and fill is not None:
        da = da.rio.write_nodata(fill)
    if spec.start is not None:
        y, m = (int(v) for v in spec.start.split("-"))
        months: list[int | None] = [y * 12 + m - 1 + i for i in range(da.sizes["time"])]
    else:
        months = [_month(str(t)[:10]) for t in np.asarray(da["time"].values)]
    return da, months, da.attrs.get("units")


def _norm(unit: str) -> str:
    return " ".join(unit.replace("·", " ").replace("*", " ").lower().split())


def _check_units(p: Path, stated: str | None, tagged: str | None) -> None:
    """The unit is millimetres per month, in the assessment or the raster's tags (both
    given: they must agree)."""
    if stated is None and not tagged:
        raise NatureInputError(
            f"{p}: no unit; state it in the assessment (precipitation: {{path: {p.name}, "
            "units: mm/month}) or in the raster's 'units' tag"
        )
    for unit, where in ((stated, "'units:' in the assessment"), (tagged, "the raster's tags")):
        if unit and _norm(unit) not in MM_PER_MONTH:
            raise NatureInputError(
                f"{p}: unit {unit!r} ({where}) is not millimetres per month; convert the "
                "values to monthly totals in mm (e.g. mm/day × days in the month)"
            )


def _check_months(p: Path, months: list[int | None]) -> list[str]:
    """The months' labels, refused unless every band has one, consecutive, 24 at least."""
    missing = [i + 1 for i, k in enumerate(months) if k is None]
    if missing:
        raise NatureInputError(
            f"{p}: band {', '.join(map(str, missing[:5]))}"
            f"{' …' if len(missing) > 5 else ''} has no date; give each band a description "
            "or a 'date' tag in YYYY-MM form, or 'start: YYYY-MM' in the assessment"
        )
    ks = [int(k) for k in months if k is not None]
    for i, (a, b) in enumerate(zip(ks, ks[1:], strict=False)):
        if b != a + 1:
            raise NatureInputError(
                f"{p}: band {i + 2} is {_label(b)} after {_label(a)}; the bands must be "
                "consecutive months (one per month, oldest first)"
            )
    if len(ks) < MIN_MONTHS:
        raise NatureInputError(
            f"{p}: {len(ks)} months; SPI needs at least {MIN_MONTHS} (2 years)"
        )
    if len(ks) > MAX_MONTHS:
        raise NatureInputError(f"{p}: more than {MAX_MONTHS} months")
    return [_label(k) for k in ks]


def _label(k: int) -> str:
    return f"{k // 12}-{k % 12 + 1:02d}"
