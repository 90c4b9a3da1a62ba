"""Bad inputs give one clear error naming the file and what to do: GeoJSON structure, CRS
mismatch, polygon outside the raster, missing band, nodata everywhere, different grids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from junkan import nature
from junkan.core.errors import JunkanError
from junkan.nature.geo import NatureInputError, parse_layer
from junkan.nature.rasters import open_raster
from junkan.nature.sample import write_tiff

RING = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


def _fc(props: dict, ring: list | None = None) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ring or RING]},
            }
        ],
    }


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        (_fc({"id": "a", "supplier": "s"}), "properties.commodity: required"),
        (_fc({"id": "a", "commodity": "c", "supplier": "s"}, RING[:-1]), "ring is not closed"),
        (
            _fc({"id": "a", "commodity": "c", "supplier": "s"}, [[0, 0], [1, 0], [0, 0]]),
            "at least 4 positions",
        ),
        (
            _fc(
                {"id": "a", "commodity": "c", "supplier": "s"},
                [[0, 0], [float("nan"), 0], [1, 1], [0, 0]],
            ),
            "finite numbers",
        ),
        (
            {**_fc({"commodity": "c", "supplier": "s"}), "crs": {"properties": {"name": "foo"}}},
            "not an EPSG code",
        ),
    ],
)
def test_bad_geojson(doc: dict, needle: str) -> None:
    with pytest.raises(NatureInputError) as exc:
        parse_layer(doc, "areas.geojson", required=("commodity", "supplier"))
    assert needle in str(exc.value) and "areas.geojson" in str(exc.value)


def test_duplicate_ids_and_crs_names() -> None:
    doc = _fc({"id": "a"})
    doc["features"] *= 2
    with pytest.raises(NatureInputError, match="'a' is used twice"):
        parse_layer(doc, "x.geojson")
    urn = {**_fc({"id": "a"}), "crs": {"properties": {"name": "urn:ogc:def:crs:EPSG::32648"}}}
    assert parse_layer(urn, "x").crs == "EPSG:32648"
    assert parse_layer(_fc({"id": "a"}), "x").crs == "EPSG:4326"


def _copy(sample: Path, tmp: Path) -> Path:
    dst = tmp / "s"
    shutil.copytree(sample.parent, dst)
    return dst / "assessment.yaml"


def _edit(path: Path, **changes: object) -> Path:
    doc = yaml.safe_load(path.read_text())
    doc.update(changes)
    path.write_text(yaml.safe_dump(doc))
    return path


def _message(path: Path) -> str:
    with pytest.raises(JunkanError) as exc:
        nature.run(nature.load(path))
    return str(exc.value)


def test_crs_mismatch_names_both_and_the_fix(sample: Path, tmp_path: Path) -> None:
    from junkan.nature.geo import feature_collection, read_layer, reproject

    a = _copy(sample, tmp_path)
    wgs = reproject(read_layer(a.parent / "areas.geojson"), "EPSG:4326")
    # longitude/latitude (no 'crs' member: RFC 7946) while the raster is UTM 48N
    (a.parent / "areas.geojson").write_text(json.dumps(feature_collection(wgs.polygons)))
    msg = _message(a)
    assert "areas.geojson" in msg and "EPSG:4326" in msg and "EPSG:32648" in msg
    assert "ogr2ogr" in msg and "reproject_polygons" in msg
    # UTM coordinates without the member are not taken for longitude/latitude
    doc = json.loads((sample.parent / "areas.geojson").read_text())
    del doc["crs"]
    (a.parent / "areas.geojson").write_text(json.dumps(doc))
    msg = _message(a)
    assert "no 'crs' member" in msg and "look projected" in msg and "Traceback" not in msg


@pytest.mark.slow
def test_reprojected_polygons_give_the_same_areas(sample: Path, result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from junkan.nature.geo import feature_collection, read_layer, reproject

    a = _copy(sample, tmp_path)
    lay = read_layer(a.parent / "areas.geojson")
    wgs = reproject(lay, "EPSG:4326")
    (a.parent / "areas.geojson").write_text(json.dumps(feature_collection(wgs.polygons)))
    _edit(a, reproject_polygons=True, training=None, precipitation=None)
    res = nature.run(nature.load(a))
    for mine, ref in zip(res.areas, result.areas, strict=True):
        assert mine["C1.0"]["value_km2"] == pytest.approx(ref["C1.0"]["value_km2"], rel=0.01)


def test_polygon_outside_the_raster(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    doc = json.loads((a.parent / "areas.geojson").read_text())
    for p in doc["features"][1]["geometry"]["coordinates"][0]:
        p[0] += 50_000
    (a.parent / "areas.geojson").write_text(json.dumps(doc))
    msg = _message(a)
    assert "polygon 'B'" in msg and "lies outside" in msg and "scene_2019.tif" in msg


def test_missing_band(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    _edit(a, bands={"R": "B04", "N": "B08", "G": "B03"}, indices=["NDVI", "MNDWI"])
    msg = _message(a)
    assert "MNDWI" in msg and "'S1'" in msg
    _edit(a, bands={"R": "B04", "N": "B99"}, indices=["NDVI"])
    msg = _message(a)
    assert "no band 'B99'" in msg and "scene_2019.tif" in msg and "B02" in msg


def test_a_band_missing_from_a_later_scene_names_it(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    r = open_raster(a.parent / "scene_2019.tif")
    keep = [b for b in r.bands if b != "B11"]
    write_tiff(a.parent / "scene_2021.tif", r.data.sel(band=keep).values, bands=keep)
    msg = _message(a)
    assert "scene_2021.tif" in msg and "'B11'" in msg


def test_a_kernel_index_is_refused_by_name(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    _edit(a, indices=["NDVI", "kNDVI"])
    msg = _message(a)
    assert "kNDVI" in msg and "kernel" in msg


def test_nodata_everywhere(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    r = open_raster(a.parent / "scene_2019.tif")
    blank = np.zeros((10, *r.shape), np.uint16)
    write_tiff(a.parent / "scene_2020.tif", blank)
    _edit(a, training=None)
    msg = _message(a)
    assert "scene_2020.tif" in msg and "every pixel" in msg and "nodata" in msg


def test_scenes_on_different_grids(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    r = open_raster(a.parent / "scene_2019.tif")
    dn = r.data.values
    write_tiff(a.parent / "scene_2020.tif", dn, origin=(806_005.0, 1_406_000.0))
    assert "differs from" in _message(a)
    write_tiff(a.parent / "scene_2020.tif", dn, crs="EPSG:32649")
    msg = _message(a)
    assert "EPSG:32649" in msg and "gdalwarp" in msg


def test_missing_file_and_path_outside(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    _edit(a, scenes=[{"path": "nope.tif", "date": "2020-01-01"}])
    assert "nope.tif: no such file" in _message(a)
    _edit(a, scenes=[{"path": "../../etc/passwd", "date": "2020-01-01"}])
    with pytest.raises(JunkanError, match="points outside"):
        nature.run(nature.load(a, confine=True))


def test_bad_document_names_the_field(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("areas: a.geojson\nscenes: []\nweights: {forest: 1}\n")
    with pytest.raises(JunkanError) as exc:
        nature.load(p)
    assert "scenes" in str(exc.value) and "weights" in str(exc.value)


def test_zarr_reads_like_geotiff(sample: Path, tmp_path: Path) -> None:
    r = open_raster(sample.parent / "scene_2019.tif")
    ds = r.data.to_dataset(dim="band")
    ds.rio.write_crs(r.crs, inplace=True)
    store = tmp_path / "scene.zarr"
    ds.to_zarr(store)
    z = open_raster(store)
    assert sorted(z.bands) == sorted(r.bands) and z.crs == r.crs
    assert z.transform == r.transform
    assert np.array_equal(z.data.sel(band=r.bands).values, r.data.values)


def test_pixel_area_in_geographic_crs(tmp_path: Path) -> None:
    # a 1° × 1° pixel at the equator: R²·Δλ·(sin 1° − sin 0°) ≈ 12,364 km²
    write_tiff(
        tmp_path / "g.tif",
        np.ones((1, 2, 2), np.uint16),
        origin=(100.0, 1.0),
        crs="EPSG:4326",
        bands=["x"],
    )
    import rasterio

    with rasterio.open(tmp_path / "g.tif", "r+") as ds:
        ds.transform = rasterio.transform.from_origin(100.0, 1.0, 1.0, 1.0)
    r = open_raster(tmp_path / "g.tif")
    a = r.pixel_area_m2() / 1e6
    assert a[0] == pytest.approx(12_364, rel=1e-3) and a[1] == pytest.approx(a[0], rel=1e-3)


def test_precipitation_per_area_gives_each_area_its_own_spi(sample: Path, tmp_path: Path) -> None:
    import csv

    from junkan.nature.climate import spi

    a = _copy(sample, tmp_path)
    rows = list(csv.DictReader((a.parent / "precipitation.csv").open()))
    wet = [{**r, "mm": f"{float(r['mm']) * (3 if i >= len(rows) - 3 else 1):.1f}"}
           for i, r in enumerate(rows)]  # the last three months three times as wet
    with (a.parent / "rain.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["area", "month", "mm"])
        w.writeheader()
        w.writerows({"area": "", **r} for r in rows)  # every area without its own
        w.writerows({"area": "C", **r} for r in wet)
    _edit(a, precipitation="rain.csv")
    res = nature.run(nature.load(a))
    by = {x["id"]: x for x in res.areas}
    mm = np.array([float(r["mm"]) for r in wet])
    first = int(wet[0]["month"].split("-")[1])
    own = spi(np.concatenate([np.full(first - 1, np.nan), mm]), 3)[-1]
    assert by["C"]["spi"]["area"] == "C" and by["C"]["spi"]["latest"] == pytest.approx(own)
    assert by["A"]["spi"]["latest"] == res.spi["latest"] < own  # the shared series
    assert by["C"]["integrated"]["components"]["drought"] == 0.0  # wet: no drought
    # an area id that is no area, and an area with no series, are named
    with (a.parent / "rain.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["area", "month", "mm"])
        w.writeheader()
        w.writerows({"area": "Z", **r} for r in rows)
    assert "area 'Z' is not a sourcing area" in _message(a)
    with (a.parent / "rain.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["area", "month", "mm"])
        w.writeheader()
        w.writerows({"area": "A", **r} for r in rows)
    assert "no series for area 'B', 'C'" in _message(a)


def test_key_biodiversity_areas_are_reported_apart(sample: Path, tmp_path: Path) -> None:
    a = _copy(sample, tmp_path)
    shutil.copy(a.parent / "protected.geojson", a.parent / "kba.geojson")
    _edit(a, kba="kba.geojson")
    res = nature.run(nature.load(a))
    for x in res.areas:  # the same polygons as the protected areas: the same overlap
        assert x["kba_overlap_km2"] == pytest.approx(x["protected_overlap_km2"])
        assert x["kba_overlap_share"] == pytest.approx(x["protected_overlap_share"])
    html = res.report(tmp_path / "r.html", lang="en").read_text()
    assert "KBA share" in html
    _edit(a, kba="missing.geojson")
    assert "missing.geojson" in _message(a)
