"""Rasters read lazily: GeoTIFF / Cloud-Optimized GeoTIFF through ``rioxarray`` and Zarr
through ``xarray``, chunked with Dask so a full Sentinel-2 tile (or a country) runs on a
laptop or a ``dask.distributed`` cluster. A raster is a ``(band, y, x)`` DataArray with band
names (GeoTIFF band descriptions, or a Zarr store's variables) and a CRS.

Polygons are rasterised on the raster's own grid (``rasterio.features.geometry_mask``, pixel
centres inside), window by window, so a polygon costs its bounding box, never the tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from junkan.nature.geo import Layer, NatureInputError, Polygon

CHUNK = 1024
"""Default chunk edge in pixels (a 10-band uint16 chunk is 20 MiB)."""
EARTH_RADIUS_M = 6_371_007.2
"""Authalic Earth radius of GRS80 (R₂ = 6,371,007.1810 m; Moritz 1980, "Geodetic Reference
System 1980", Bulletin Géodésique 54:395–405), for pixel areas in EPSG:4326
(R²·Δλ·(sin φ₂ − sin φ₁)): the sphere of the ellipsoid's area."""


@dataclass
class Raster:
    """A lazily read raster and where it came from."""

    path: str
    data: Any  # xarray.DataArray (band, y, x), Dask-backed
    crs: str
    transform: Any  # affine.Affine
    nodata: float | None

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.data.sizes["y"]), int(self.data.sizes["x"])

    @property
    def bands(self) -> list[str]:
        return [str(b) for b in self.data["band"].values]

    def band(self, name: str) -> Any:
        if name not in self.bands:
            raise NatureInputError(
                f"{self.path}: no band {name!r} (it has {', '.join(self.bands)}); name the "
                "bands in the GeoTIFF's band descriptions or map them with 'bands:' in the "
                "assessment"
            )
        return self.data.sel(band=name)

    def pixel_area_m2(self, rows: slice | None = None) -> np.ndarray:
        """Area of one pixel of each row (m²): |a·e| in a projected CRS in metres, the
        spherical band area in EPSG:4326."""
        return self.row_area_m2(np.arange(self.shape[0])[rows or slice(None)])

    def row_area_m2(self, r: np.ndarray) -> np.ndarray:
        """Area of one pixel (m²) of each row index in ``r``; rows off the raster (negative
        or past its end, e.g. for a polygon reaching past the scene) follow the same grid."""
        t = self.transform
        if not _geographic(self.crs):
            return np.full(len(r), abs(t.a * t.e))
        lat1 = np.radians(t.f + t.e * r)
        lat2 = np.radians(t.f + t.e * (r + 1))
        return np.asarray(
            EARTH_RADIUS_M**2 * math.radians(abs(t.a)) * np.abs(np.sin(lat1) - np.sin(lat2))
        )


def _geographic(crs: str) -> bool:
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)


def _named(da: Any, path: str) -> Any:
    names = da.attrs.get("long_name")
    if isinstance(names, str):
        names = (names,)
    if names and len(names) == da.sizes["band"] and all(names):
        return da.assign_coords(band=[str(n) for n in names])
    return da.assign_coords(band=[f"band{i + 1}" for i in range(da.sizes["band"])])


def open_raster(
    path: str | Path, *, chunks: int = CHUNK, bands: dict[str, str] | None = None
) -> Raster:
    """Open a GeoTIFF/COG (any file rasterio reads) or a Zarr store (a folder ending in
    ``.zarr``) lazily. ``bands`` renames bands (raster name → name used here)."""
    p = Path(path)
    if not p.exists():
        raise NatureInputError(f"{p}: no such file; check the path in the assessment")
    try:
        zarr = p.suffix.lower() == ".zarr" or p.is_dir()
        da = _open_zarr(p, chunks) if zarr else _open_tiff(p, chunks)
    except NatureInputError:
        raise
    except Exception as exc:  # rasterio / zarr errors: name the file
        raise NatureInputError(f"{p}: cannot read as a raster ({exc})") from None
    if bands:
        da = da.assign_coords(band=[bands.get(b, b) for b in map(str, da["band"].values)])
    crs = da.rio.crs
    if crs is None:
        raise NatureInputError(f"{p}: has no CRS; write one (gdal_edit.py -a_srs EPSG:…)")
    nodata = da.rio.nodata
    return Raster(
        str(p), da, crs.to_string(), da.rio.transform(), None if nodata is None else float(nodata)
    )


def _open_tiff(p: Path, chunks: int) -> Any:
    import rioxarray

    da = rioxarray.open_rasterio(
        p, chunks={"band": -1, "y": chunks, "x": chunks}, lock=False, cache=False
    )
    return _named(da, str(p))


def _open_zarr(p: Path, chunks: int) -> Any:
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    ds = xr.open_zarr(p, chunks={"y": chunks, "x": chunks})
    names = [v for v in ds.data_vars if set(ds[v].dims) == {"y", "x"}]
    if not names:
        raise NatureInputError(f"{p}: no (y, x) variables to use as bands")
    da = xr.concat([ds[v] for v in names], dim="band").assign_coords(band=names)
    if "spatial_ref" in ds.coords or "spatial_ref" in ds:
        da = da.rio.write_crs(
            ds["spatial_ref"].attrs.get("crs_wkt") or ds["spatial_ref"].attrs.get("spatial_ref")
        )
    nodata = ds[names[0]].attrs.get("_FillValue", ds[names[0]].encoding.get("_FillValue"))
    return da.rio.write_nodata(nodata) if nodata is not None else da


def check_same_grid(rasters: list[Raster]) -> None:
    """Every raster on the first one's grid (CRS, transform, shape)."""
    first = rasters[0]
    for r in rasters[1:]:
        if r.crs != first.crs:
            raise NatureInputError(
                f"{r.path}: CRS {r.crs} differs from {first.path} ({first.crs}); reproject "
                f"it onto the same grid (gdalwarp -t_srs {first.crs} -tr … -te …)"
            )
        if r.shape != first.shape or not r.transform.almost_equals(first.transform):
            raise NatureInputError(
                f"{r.path}: its grid (shape {r.shape}, origin {r.transform.c:.6g}, "
                f"{r.transform.f:.6g}) differs from {first.path} ({first.shape}); resample it "
                "onto the same grid (gdalwarp -tap -tr … -te …)"
            )


def check_layer(layer: Layer, raster: Raster) -> None:
    """The layer's CRS is the raster's, and every polygon overlaps the raster."""
    from pyproj.exceptions import CRSError

    try:
        same = _same_crs(layer.crs, raster.crs)
    except CRSError as exc:  # a CRS pyproj does not know (EPSG:999999)
        raise NatureInputError(f"{layer.path}: its crs {layer.crs!r} is not one pyproj knows "
                               f"({str(exc).splitlines()[0][:200]}); give an EPSG code such "
                               "as EPSG:6677") from None
    if not same:
        raise NatureInputError(
            f"{layer.path}: polygons are in {layer.crs} but {raster.path} is in {raster.crs}; "
            f"reproject the polygons (ogr2ogr -t_srs {raster.crs} …) or set "
            "'reproject_polygons: true' in the assessment"
        )
    ny, nx = raster.shape
    for poly in layer.polygons:
        if window(poly, raster) is None:
            t = raster.transform
            ext = (t.c, t.f + t.e * ny, t.c + t.a * nx, t.f)
            raise NatureInputError(
                f"{layer.path}: polygon {poly.fid!r} (bounds {_fmt(poly.bounds())}) lies "
                f"outside {raster.path} (extent {_fmt(ext)}); check the coordinates' CRS or "
                "use a raster that covers it"
            )


def _same_crs(a: str, b: str) -> bool:
    from pyproj import CRS

    return bool(CRS.from_user_input(a) == CRS.from_user_input(b))


def _fmt(b: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in b) + ")"


def window(poly: Polygon, raster: Raster) -> tuple[slice, slice] | None:
    """Row and column slices of the polygon's bounding box on the raster (None if they do
    not overlap)."""
    inv = ~raster.transform
    x0, y0, x1, y1 = poly.bounds()
    cols, rows = zip(*(inv * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
    ny, nx = raster.shape
    r0, r1 = max(0, math.floor(min(rows))), min(ny, math.ceil(max(rows)))
    c0, c1 = max(0, math.floor(min(cols))), min(nx, math.ceil(max(cols)))
    if r0 >= r1 or c0 >= c1:
        return None
    return slice(r0, r1), slice(c0, c1)


def coverage(poly: Polygon, raster: Raster) -> dict[str, float]:
    """How much of the polygon the raster covers, on the raster's grid extended past its
    edges (pixel centres inside, as :func:`mask`): ``polygon_km2`` (the whole polygon),
    ``covered_km2`` (its pixels on the raster), ``covered_share`` and ``edge_pixels`` (the
    whole polygon's boundary pixels, for C1.0's ±)."""
    inv = ~raster.transform
    x0, y0, x1, y1 = poly.bounds()
    cols, rows = zip(*(inv * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
    r0, r1 = math.floor(min(rows)), max(math.ceil(max(rows)), math.floor(min(rows)) + 1)
    c0, c1 = math.floor(min(cols)), max(math.ceil(max(cols)), math.floor(min(cols)) + 1)
    inside = mask([poly], raster, (slice(r0, r1), slice(c0, c1)))
    ny, nx = raster.shape
    rr = np.arange(r0, r1)
    w = raster.row_area_m2(rr)[:, None] / 1e6
    on = ((rr >= 0) & (rr < ny))[:, None] & ((np.arange(c0, c1) >= 0) & (np.arange(c0, c1) < nx))
    full = float((inside * w).sum())
    covered = float((inside * on * w).sum())
    core = inside.copy()
    core[1:-1, 1:-1] &= (inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2]
                         & inside[1:-1, 2:])
    core[[0, -1], :] = False
    core[:, [0, -1]] = False
    return {
        "polygon_km2": full,
        "covered_km2": covered,
        "covered_share": covered / full if full > 0 else 1.0,
        "edge_pixels": float(inside.sum() - core.sum()),
    }


def mask(polys: list[Polygon], raster: Raster, win: tuple[slice, slice], *,
         all_touched: bool = False) -> np.ndarray:
    """Boolean mask (True inside any of ``polys``) of the window ``win``: pixels whose centre
    is inside, or with ``all_touched`` every pixel the polygons touch."""
    from rasterio.features import geometry_mask
    from rasterio.windows import Window
    from rasterio.windows import transform as win_transform

    rows, cols = win
    w = Window(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
    shape = (rows.stop - rows.start, cols.stop - cols.start)
    return np.asarray(
        ~geometry_mask(
            [p.geometry for p in polys],
            out_shape=shape,
            transform=win_transform(w, raster.transform),
            all_touched=all_touched,
        )
    )


def nodata_error(raster: Raster, what: str) -> NatureInputError:
    return NatureInputError(
        f"{raster.path}: every pixel of {what} is nodata ({raster.nodata}); use a scene "
        "that covers it without clouds, or check the nodata value in the file"
    )
