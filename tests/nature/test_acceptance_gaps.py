"""Gaps found by issue 23's acceptance check: a sourcing area partly outside the scenes
(refused, or assessed with every figure noted), a projected GeoJSON without its ``crs``
member, the survey's checklist rule shared by the service and the assessment, and C1.1's
uncertainty when the held-out pixels show no error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from junkan.nature.geo import Layer, NatureInputError, Polygon, parse_layer, reproject
from junkan.nature.rasters import Raster

UTM = "EPSG:32648"
ROOT = "JUNKAN_NATURE_ROOT"


def _raster(nx: int = 10, ny: int = 10) -> Raster:
    """A 10 m grid of ``nx`` × ``ny`` pixels with its upper-left corner at (800000, 1400100)."""
    import xarray as xr
    from affine import Affine

    data = xr.DataArray(np.zeros((1, ny, nx), np.uint16), dims=("band", "y", "x"))
    return Raster("scene.tif", data, UTM, Affine(10, 0, 800_000, 0, -10, 1_400_100), 0.0)


def _square(fid: str, x0: float, y0: float, side: float) -> Polygon:
    ring = [[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side], [x0, y0]]
    return Polygon(fid, {"type": "Polygon", "coordinates": [ring]}, {"id": fid})


def test_area_partly_outside_is_refused_or_clipped_with_notes() -> None:
    from junkan.nature import partial

    s = _raster()
    # 60 m × 60 m, its western half (30 m) west of the scene's edge at x = 800000
    lay = Layer("areas.geojson", UTM, [_square("A", 799_970, 1_400_020, 60),
                                       _square("B", 800_010, 1_400_010, 40)])
    with pytest.raises(NatureInputError) as err:
        partial.check_coverage(lay, s, "refuse")
    msg = str(err.value)
    assert "areas.geojson" in msg and "area 'A'" in msg and "50.0 % of" in msg
    assert "partial_areas: clip" in msg and "'B'" not in msg
    covs = partial.check_coverage(lay, s, "clip")
    a, b = covs["A"], covs["B"]
    assert a["polygon_km2"] == pytest.approx(0.0036) and a["covered_km2"] == pytest.approx(0.0018)
    assert a["covered_share"] == pytest.approx(0.5) and b["covered_share"] == 1.0
    doc: dict[str, Any] = {"C1.0": {"value_km2": a["polygon_km2"]}, "C3.0": {"value": 1.0},
                           "land_change": {"C1.1": {"value_km2": 0.1}},
                           "scenes": [{"NDVI": 0.5}], "protected_overlap_share": 0.0}
    partial.mark(doc, a)
    for fig in (doc["C1.0"], doc["C3.0"], doc["land_change"]["C1.1"], doc["scenes"][0]):
        assert "50.0 %" in fig["coverage_note"]
    assert doc["coverage"]["covered_share"] == pytest.approx(0.5)
    whole: dict[str, Any] = {"C1.0": {"value_km2": b["polygon_km2"]}}
    partial.mark(whole, b)
    assert whole["coverage"]["note"] is None and "coverage_note" not in whole["C1.0"]


def test_projected_geojson_without_crs_member_is_named() -> None:
    ring = [[807_000, 1_405_000], [807_300, 1_405_000], [807_300, 1_405_300],
            [807_000, 1_405_000]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "A"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    with pytest.raises(NatureInputError) as err:
        parse_layer(doc, "areas.geojson")
    msg = str(err.value)
    assert "areas.geojson" in msg and "no 'crs' member" in msg and "look projected" in msg
    assert '"crs": {"type": "name"' in msg
    # said to be EPSG:4326 by its member: the same refusal, worded for it
    declared = doc | {"crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}
    with pytest.raises(NatureInputError, match="'crs' member says EPSG:4326"):
        parse_layer(declared, "areas.geojson")
    # a layer built by hand (never through the check) still fails with a named error
    bad = Layer("areas.geojson", "EPSG:4326", [_square("A", 807_000, 1_405_000, 300)])
    with pytest.raises(NatureInputError, match="feature 'A' cannot be reprojected"):
        reproject(bad, UTM)


def _observation(species: str) -> Any:
    from junkan.nature.survey import Observation

    return Observation(id="o-1", species=species, count=1, lat=12.68, lon=108.05,
                       time=dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC),
                       observer="N. Surveyor", area="A")


def test_species_off_the_bundled_checklist_points_to_the_users_option() -> None:
    from junkan.nature import Checklists, bundled_checklist, check_species, darwin_core

    lists = Checklists(default=bundled_checklist())
    with pytest.raises(NatureInputError) as err:
        check_species([_observation("Panthera leo")], lists)
    msg = str(err.value)
    assert "'o-1'" in msg and "'Panthera leo'" in msg and "survey: checklists:" in msg
    assert "junkan/data" not in msg and "PUT /api/nature/survey/checklist" in msg
    out = darwin_core([_observation("Copsychus saularis")], checklists=lists)
    assert ",Oriental magpie-robin," in out  # vernacularName from the checklist


def test_c1_1_uncertainty_counts_errors_never_observed() -> None:
    from junkan.nature.metrics import change_uncertainty, error_rate_bounds

    perfect = [[200, 0, 0], [0, 200, 0], [0, 0, 200]]
    r = error_rate_bounds(perfect)
    # Jeffreys 95 % upper bound of 0 errors in 200 pixels (scipy.stats.beta.ppf(0.975,
    # 0.5, 200.5)), ≈ 2.5/n
    assert r == pytest.approx(np.full(3, 0.0124657), rel=1e-3)
    fewer = error_rate_bounds([[20, 0, 0], [0, 200, 0], [0, 0, 200]])
    assert fewer[0] > 5 * r[0]  # fewer held-out pixels: a wider bound
    # codes 1 forest (natural), 2 cropland (converted), 3 water; 0 unclassified
    t = np.zeros((4, 4))
    t[1, 1], t[1, 2], t[3, 3], t[3, 2] = 5.0, 0.3, 1.0, 0.01
    u = change_uncertainty(t, r, nat=[1], conv=[2])
    assert u > 0.3 * 0.0124  # the lost cell, wrong at either date
    wrong = np.sqrt(2 * (0.3 * r[0]) ** 2 + (5.0 * r[0]) ** 2 + (0.01 * r[2]) ** 2)
    assert u == pytest.approx(wrong)


class _Unclassified:
    """A classifier stand-in whose map of any scene is all nodata (0), as a trained one's is
    on a scene with no valid pixel."""

    classes = ["forest", "cropland"]

    def classify(self, raster: Raster) -> Any:
        import dask.array as da

        return da.zeros(raster.shape, dtype=np.uint8, chunks=5)


def test_class_map_of_an_all_nodata_scene_is_refused(tmp_path: Any) -> None:
    from junkan.nature.api import write_classes

    s = _raster()
    s.data = s.data.assign_coords(y=1_400_095 - 10 * np.arange(10), x=800_005 + 10 * np.arange(10))
    out = tmp_path / "m.tif"
    with pytest.raises(NatureInputError, match="scene.tif: no pixel has a valid value") as err:
        write_classes(_Unclassified(), s, out)  # type: ignore[arg-type]
    assert "nothing written to" in str(err.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_missing_encore_file_says_where_to_download_it(tmp_path: Any) -> None:
    from junkan.nature.encore import read_ratings

    with pytest.raises(NatureInputError) as err:
        read_ratings(tmp_path / "06.csv", "dependencies")
    msg = str(err.value)
    assert "no such file" in msg and "'06. Dependency mat ratings.csv'" in msg
    assert "https://encorenature.org/en/data-and-methodology/methodology" in msg


def test_service_job_errors_hide_the_servers_paths(tmp_path: Any) -> None:
    from junkan.nature import service_job

    doc = {"areas": "farms/areas.geojson", "scenes": [{"path": "s2/x.tif", "date": "2024-01-01"}]}
    with pytest.raises(NatureInputError) as err:
        service_job("assess", doc, str(tmp_path), None, max_pixels=10**8, root_name=ROOT)
    msg = str(err.value)
    assert msg.startswith("s2/x.tif: no such file") and str(tmp_path) not in msg
    bad = doc | {"scenes": [{"path": "../x.tif", "date": "2024-01-01"}]}
    with pytest.raises(NatureInputError) as err:
        service_job("assess", bad, str(tmp_path) + "/", None, max_pixels=10**8, root_name=ROOT)
    assert "$JUNKAN_NATURE_ROOT" in str(err.value) and str(tmp_path) not in str(err.value)


def test_a_layer_whose_crs_pyproj_does_not_know_is_refused_naming_it() -> None:
    """``crs: EPSG:999999`` raised pyproj's CRSError, a traceback (a hostile-input sweep,
    2026-12-05)."""
    from junkan.nature.rasters import Raster, check_layer

    layer = Layer("areas.geojson", "EPSG:999999", [])
    raster = Raster("r.tif", None, "EPSG:6677", None, None)
    with pytest.raises(NatureInputError, match=r"areas.geojson: its crs 'EPSG:999999' is not"):
        check_layer(layer, raster)
