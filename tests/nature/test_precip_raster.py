"""Precipitation from a raster time series: each area's monthly mean over the pixels its
polygon touches (polygons in lon/lat, the raster in UTM), SPI equal to the CSV path's, and
each refusal naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from junkan.nature.engine import spi_by_area
from junkan.nature.geo import Layer, NatureInputError, Polygon
from junkan.nature.precip_raster import area_series
from junkan.nature.schema import PrecipitationRaster, load

UTM = "EPSG:32648"
X0, Y0, PX = 500_000.0, 1_500_000.0, 1000.0
NODATA = -9999.0


def _grid(months: int = 36, seed: int = 3) -> np.ndarray:
    """(months, 2, 4) mm: area A on columns 0–1, area B (drier) on columns 2–3."""
    rng = np.random.default_rng(seed)
    v = rng.gamma(2.0, 40.0, size=(months, 2, 4))
    v[:, :, 2:] *= 0.3
    v[0, :, :2] = [[10.0, 20.0], [30.0, 40.0]]  # A's first month: mean 25 by hand
    v[0, :, 2:] = [[1.0, 2.0], [3.0, NODATA]]  # B's first month: nodata left out, mean 2
    return v


def _tiff(path: Path, data: np.ndarray, *, crs: str | None = UTM,
          descriptions: list[str | None] | None = None, units: str | None = "mm/month") -> Path:
    import rasterio
    from rasterio.transform import from_origin

    n = data.shape[0]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=n, dtype="float64", crs=crs, nodata=NODATA,
                       transform=from_origin(X0, Y0, PX, PX)) as dst:
        dst.write(data)
        if units:
            dst.update_tags(units=units)
        descr = descriptions or [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]
        for i, d in enumerate(descr, start=1):
            if d is not None:
                dst.set_band_description(i, d)
    return path


def _square(fid: str, c0: int, c1: int, r0: int = 0, r1: int = 2) -> Polygon:
    """The pixels [r0, r1) × [c0, c1) shrunk by 100 m, in lon/lat."""
    from pyproj import Transformer

    t = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    x0, x1 = X0 + c0 * PX + 100, X0 + c1 * PX - 100
    y0, y1 = Y0 - r1 * PX + 100, Y0 - r0 * PX - 100
    ring = [list(t.transform(x, y)) for x, y in
            ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]
    return Polygon(fid, {"type": "Polygon", "coordinates": [ring]})


AREAS = Layer("areas.geojson", "EPSG:4326", [_square("A", 0, 2), _square("B", 2, 4)])


def _by_hand(v: np.ndarray, cols: slice) -> np.ndarray:
    block = v[:, :, cols].reshape(len(v), -1)
    return np.array([np.mean([x for x in row if x != NODATA]) for row in block])


def test_area_means_are_the_touched_pixels_mean(tmp_path: Path) -> None:
    v = _grid()
    tif = _tiff(tmp_path / "p.tif", v)
    series = area_series(tif, PrecipitationRaster(path="p.tif"), AREAS)
    labels, a = series["A"]
    assert labels[0] == "2020-01" and labels[-1] == "2022-12" and len(labels) == 36
    assert a[0] == pytest.approx(25.0) and series["B"][1][0] == pytest.approx(2.0)
    np.testing.assert_allclose(a, _by_hand(v, slice(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(series["B"][1], _by_hand(v, slice(2, 4)), rtol=1e-12)


def _assessment(tmp_path: Path, precipitation: Any) -> Any:
    doc = {"areas": "areas.geojson", "scenes": [{"path": "s.tif", "date": "2022-12-01"}],
           "precipitation": precipitation, "spi_scale": 3}
    return load(doc=doc, base=tmp_path)


def test_spi_from_the_raster_equals_spi_from_the_same_csv(tmp_path: Path) -> None:
    v = _grid()
    names: list[str | None] = [None] * 36  # no band dates: 'start' gives them
    _tiff(tmp_path / "p.tif", v, descriptions=names, units=None)
    a, b = _by_hand(v, slice(0, 2)), _by_hand(v, slice(2, 4))
    rows = [f"{area},{2020 + i // 12}-{i % 12 + 1:02d},{float(x)!r}"
            for area, s in (("A", a), ("B", b)) for i, x in enumerate(s)]
    (tmp_path / "p.csv").write_text("area,month,mm\n" + "\n".join(rows) + "\n")
    raster = spi_by_area(_assessment(
        tmp_path, {"path": "p.tif", "units": "mm/month", "start": "2020-01"}), AREAS)
    csv = spi_by_area(_assessment(tmp_path, "p.csv"), AREAS)
    assert raster["A"]["series"] != raster["B"]["series"]
    for k in ("A", "B"):
        assert raster[k]["input"] == "p.tif"
        assert {**raster[k], "input": "p.csv"} == csv[k]


def test_zarr_and_netcdf_with_a_time_dimension_give_the_same_series(tmp_path: Path) -> None:
    import pandas as pd
    import rioxarray  # noqa: F401
    import xarray as xr

    v = _grid()
    v[v == NODATA] = np.nan
    da = xr.DataArray(v, dims=("time", "y", "x"), coords={
        "time": pd.date_range("2020-01-01", periods=36, freq="MS"),
        "y": Y0 - PX * (np.arange(2) + 0.5), "x": X0 + PX * (np.arange(4) + 0.5)},
        attrs={"units": "mm"}).rio.write_crs(UTM)
    da.to_dataset(name="precip").to_zarr(tmp_path / "p.zarr")
    series = area_series(tmp_path / "p.zarr", PrecipitationRaster(path="p.zarr"), AREAS)
    np.testing.assert_allclose(series["A"][1], _by_hand(_grid(), slice(0, 2)), rtol=1e-12)
    assert series["B"][0][0] == "2020-01" and series["B"][1][0] == pytest.approx(2.0)
    south_up = da.isel(y=slice(None, None, -1))  # NetCDF-3 with rows south to north
    south_up.to_dataset(name="precip").to_netcdf(tmp_path / "p.nc", engine="scipy")
    nc = area_series(tmp_path / "p.nc", PrecipitationRaster(path="p.nc"), AREAS)
    for k in ("A", "B"):
        np.testing.assert_allclose(nc[k][1], series[k][1], rtol=1e-12)


def _refused(path: Path, spec: dict[str, Any], areas: Layer = AREAS) -> str:
    with pytest.raises(NatureInputError) as err:
        area_series(path, PrecipitationRaster(path=path.name, **spec), areas)
    assert str(path) in str(err.value)
    return str(err.value)


def test_refusals_name_the_file_and_the_fault(tmp_path: Path) -> None:
    v = _grid()
    assert "no CRS" in _refused(_tiff(tmp_path / "nocrs.tif", v, crs=None), {})
    far = Layer("a", "EPSG:4326", [_square("far", 400, 402)])
    assert "'far'" in _refused(_tiff(tmp_path / "ok.tif", v), {}, far)
    names: list[str | None] = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(36)]
    assert "band 4 has no date" in _refused(
        _tiff(tmp_path / "nodate.tif", v, descriptions=[*names[:3], None, *names[4:]]), {})
    assert "band 2 has no date" in _refused(
        _tiff(tmp_path / "bad.tif", v, descriptions=[names[0], "Feb 2020", *names[2:]]), {})
    gap = [*names[:10], *names[11:], "2023-01"]
    assert "2020-12 after 2020-10" in _refused(
        _tiff(tmp_path / "gap.tif", v, descriptions=gap), {})
    dry = v.copy()
    dry[:, :, 2:] = NODATA
    assert "area 'B' is nodata" in _refused(_tiff(tmp_path / "dry.tif", dry), {}).replace(
        "every pixel of ", "")
    assert "12 months; SPI needs at least 24" in _refused(
        _tiff(tmp_path / "short.tif", v[:12]), {})
    assert "'mm/day'" in _refused(_tiff(tmp_path / "day.tif", v, units="mm/day"), {})
    assert "no unit" in _refused(_tiff(tmp_path / "nounit.tif", v, units=None), {})
    assert "'m'" in _refused(tmp_path / "ok.tif", {"units": "m"})
