"""The assessment on the generated sample, checked against the sample's truth: areas,
forest converted, protected overlap, classification on held-out polygons, indices against
their formula, responsiveness, the integrated indicator, the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from junkan import nature
from junkan.nature import sample as smp
from tests.nature.conftest import SIZE


def _inside(geojson: Path, fid: str) -> np.ndarray:
    """Pixel centres inside the rectangle of feature ``fid`` (computed independently)."""
    doc = json.loads(geojson.read_text())
    (f,) = [f for f in doc["features"] if f["properties"]["id"] == fid]
    xs = [p[0] for p in f["geometry"]["coordinates"][0]]
    ys = [p[1] for p in f["geometry"]["coordinates"][0]]
    cx = smp.ORIGIN[0] + (np.arange(SIZE) + 0.5) * smp.PIXEL
    cy = smp.ORIGIN[1] - (np.arange(SIZE) + 0.5) * smp.PIXEL
    return (
        (cy[:, None] > min(ys))
        & (cy[:, None] < max(ys))
        & (cx[None, :] > min(xs))
        & (cx[None, :] < max(xs))
    )


def test_areas_and_protected_overlap(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    prot = _inside(sample.parent / "protected.geojson", "PA-1")
    for a in result.areas:
        inside = _inside(sample.parent / "areas.geojson", a["id"])
        assert a["C1.0"]["value_km2"] == pytest.approx(inside.sum() * 100 / 1e6)
        assert a["protected_overlap_km2"] == pytest.approx((inside & prot).sum() * 100 / 1e6)
        assert a["C1.0"]["uncertainty_km2"] > 0


def test_forest_converted_matches_the_truth(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    maps = smp.class_maps(SIZE, 0)
    forest = list(smp.signatures()["classes"]).index("forest") + 1
    lost = (maps[0] == forest) & (maps[-1] != forest)
    for a in result.areas:
        truth = (lost & _inside(sample.parent / "areas.geojson", a["id"])).sum() * 1e-4
        c11 = a["land_change"]["C1.1"]
        assert c11["value_km2"] == pytest.approx(truth, abs=0.05 * truth + 3e-4)
        assert 0 <= c11["uncertainty_km2_95"] < c11["value_km2"] + 0.01
        assert set(c11) >= {"method", "inputs"}


def test_classifier_on_held_out_polygons(result) -> None:  # type: ignore[no-untyped-def]
    c = result.classifier
    assert c["classes"] == ["bare", "cropland", "forest", "grassland", "water"]
    cm = np.array(c["confusion"])
    assert cm.sum() == sum(c["n_test_pixels"].values())
    assert c["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    assert c["accuracy"] > 0.9 and c["kappa"] > 0.85
    assert all(v > 0.8 for v in c["f1"].values())
    # held-out polygons are whole polygons of every class
    assert {h.split("-")[0] for h in c["held_out_polygons"]} == set(c["classes"])


def test_training_needs_two_polygons_per_class(sample: Path, tmp_path: Path) -> None:
    doc = json.loads((sample.parent / "training.geojson").read_text())
    water = [f for f in doc["features"] if f["properties"]["class"] == "water"]
    doc["features"] = [f for f in doc["features"] if f["properties"]["class"] != "water"]
    doc["features"].append(water[0])
    (tmp_path / "t.geojson").write_text(json.dumps(doc))
    a = nature.load(sample)
    a.spec.training = str(tmp_path / "t.geojson")
    with pytest.raises(nature.NatureInputError, match="class 'water' has 1 polygon"):
        nature.classify(a)


def test_ndvi_follows_its_formula(sample: Path) -> None:
    r = nature.open_raster(sample.parent / "scene_2019.tif")
    red = r.band("B04").values.astype(float) * 1e-4
    nir = r.band("B08").values.astype(float) * 1e-4
    from junkan.nature.indices import compute, index_info

    ndvi = compute(["NDVI"], {"B04": red, "B08": nir}, {"R": "B04", "N": "B08"})["NDVI"]
    assert np.allclose(ndvi, (nir - red) / (nir + red))
    assert index_info("EVI")["formula"] == "g*(N-R)/(N+C1*R-C2*B+L)"
    with pytest.raises(nature.NatureInputError, match="not in the spyndex catalogue"):
        index_info("NOPE")


def test_scene_means_and_water(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    r = nature.open_raster(sample.parent / "scene_2019.tif")
    red = r.band("B04").values.astype(np.float32) * np.float32(1e-4)
    nir = r.band("B08").values.astype(np.float32) * np.float32(1e-4)
    green = r.band("B03").values.astype(np.float32) * np.float32(1e-4)
    swir = r.band("B11").values.astype(np.float32) * np.float32(1e-4)
    inside = _inside(sample.parent / "areas.geojson", "C")
    (c,) = [a for a in result.areas if a["id"] == "C"]
    first = c["scenes"][0]
    assert first["NDVI"] == pytest.approx(
        float(((nir - red) / (nir + red))[inside].mean()), rel=1e-5
    )
    water = ((green - swir) / (green + swir) > 0) & inside
    assert first["water_km2"] == pytest.approx(water.sum() * 1e-4)


def test_responsiveness_and_integrated(result) -> None:  # type: ignore[no-untyped-def]
    a = result.areas[0]
    resp = a["responsiveness"]
    assert {"NDVI", "forest_km2", "cropland_km2"} <= set(resp)
    f = resp["forest_km2"]
    assert f["trend"] == "decreasing" and f["sen_slope_per_year"] < 0
    assert f["min_detectable_change"] >= 0 and isinstance(f["annual_monitoring"], bool)
    integ = a["integrated"]
    assert 0 <= integ["value"] <= 100
    assert integ["weights"] == result.weights
    assert sum(integ["weights_used"].values()) == pytest.approx(1)
    comp = integ["components"]
    manual = sum(
        integ["weights_used"][k] * min(1.0, max(0.0, comp[k])) for k in integ["weights_used"]
    )
    assert integ["value"] == pytest.approx(100 * manual)
    assert result.spi["latest"] < 0  # the sample's last year is dry


def test_outputs_and_portfolio(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = result.to_frame()
    assert len(frame) == len(result.areas) * 6 and "forest_km2" in frame
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    port = doc["portfolio"]
    assert set(port) == {"Company X", "Company Y", "*"}
    assert port["*"]["C1.0_km2"] == pytest.approx(sum(a["C1.0"]["value_km2"] for a in result.areas))
    for lang, heading in (("en", "Locate"), ("ja", "発見")):
        html = result.report(tmp_path / lang / "r.html", lang=lang).read_text()
        assert heading in html and "C1.1" in html and f'lang="{lang}"' in html


@pytest.mark.slow
def test_same_numbers_twice(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    again = nature.run(nature.load(sample), scheduler="synchronous")
    assert json.dumps(again.to_json()["areas"]) == json.dumps(result.to_json()["areas"])


def test_a_class_name_the_classifier_lacks_is_refused(sample: Path) -> None:
    """A misspelt natural class set C1.1 to 0 km² for every area, silently."""
    a = nature.load(sample)
    a.spec.natural_classes = ["forrest"]
    with pytest.raises(nature.NatureInputError, match=r"natural_classes: \['forrest'\] not "
                       "among the classifier's training classes .*forest"):
        nature.run(a, scheduler="synchronous")


def test_two_scenes_on_one_date_are_refused(sample: Path) -> None:
    """Two scenes with the same date were accepted without comment."""
    a = nature.load(sample)
    doc = a.spec.model_dump(mode="json")
    doc["scenes"][1]["date"] = doc["scenes"][0]["date"]
    with pytest.raises(ValueError, match=r"scenes\[1\]\.date: .* is the date of scenes\[0\]"):
        type(a.spec).model_validate(doc)

