"""The report says why a VCI is not rated (en and ja), in the blocks both the HTML and the
PDF are written from."""

from __future__ import annotations

import pytest

from junkan.nature.report import blocks
from junkan.nature.results import TEXT


@pytest.mark.parametrize(("lang", "words"), [("en", "insufficient history"), ("ja", "履歴不足")])
def test_unrated_vci_says_insufficient_history(result, lang: str, words: str) -> None:  # type: ignore[no-untyped-def]
    a0 = result.areas[0]
    assert a0["drought"]["VCI_status"] == "insufficient history"  # six annual scenes
    text = "\n".join(b.text for b in blocks(result, TEXT[lang]) if b.kind == "p")
    line = next(x for x in text.splitlines() if x.startswith(TEXT[lang]["m_vci_latest"]))
    assert f"{a0['id']}: " in line and words in line
    assert str(a0["drought"]["VCI_history_years"]) in line


def test_polygon_crs_option_sets_a_files_crs(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A polygon file exported without its ``crs`` member reads as WGS 84 and is refused;
    ``polygon_crs`` in the assessment says its CRS; a bad code is refused naming the field."""
    import json

    import yaml

    from junkan import nature
    from junkan.nature.assess import layer, open_scenes
    from junkan.nature.geo import NatureInputError
    from junkan.nature.schema import load

    doc = yaml.safe_load(sample.read_text())
    geo = json.loads((sample.parent / doc["areas"]).read_text())
    crs = "EPSG:" + geo.pop("crs")["properties"]["name"].rsplit(":", 1)[-1]
    (tmp_path / "bare.geojson").write_text(json.dumps(geo))
    doc["areas"] = str(tmp_path / "bare.geojson")
    a = load(doc=doc, base=sample.parent)
    scenes = open_scenes(a)
    with pytest.raises(NatureInputError, match="no 'crs' member"):
        layer(a, a.spec.areas, "areas", scenes[0], ())
    a = load(doc=doc | {"polygon_crs": {"areas": crs.lower()}}, base=sample.parent)
    assert a.spec.polygon_crs == {"areas": crs}
    lay = layer(a, a.spec.areas, "areas", scenes[0], ())
    assert lay.crs == crs and len(lay.polygons) == len(geo["features"])
    assert nature.load(sample).spec.polygon_crs == {}
    for bad, words in (({"areas": "UTM 48N"}, "EPSG code"), ({"roads": crs}, "roads")):
        with pytest.raises(Exception, match=words):
            load(doc=doc | {"polygon_crs": bad}, base=sample.parent)


def test_cloudy_scene_refused_or_skipped_by_option(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A scene that is nodata over an area stops the run, naming skip_scenes_above; with it,
    the scene is left out (indices remapped) and named, in en and ja."""
    import rasterio
    import yaml

    from junkan import nature
    from junkan.nature.assess import compute_areas, features, layer, open_scenes
    from junkan.nature.cloudy import drop_cloudy, report_lines
    from junkan.nature.geo import NatureInputError

    path = nature.write_sample(tmp_path, size=60, seed=1, years=(2019, 2020, 2021))
    doc = yaml.safe_load(path.read_text())
    cloudy = tmp_path / doc["scenes"][0]["path"]
    with rasterio.open(cloudy, "r+") as dst:  # "clouds" (nodata) over 80 % of the rows
        dn = dst.read()
        dn[:, : int(0.8 * dn.shape[1])] = 0
        dst.write(dn)
    a = nature.load(doc=doc | {"skip_scenes_above": 0.5}, base=tmp_path)
    scenes = open_scenes(a)
    feats = features(a, scenes)
    areas = layer(a, a.spec.areas, "areas", scenes[0], ())
    with pytest.raises(NatureInputError, match="skip_scenes_above"):
        compute_areas(a, scenes, areas, feats, None)
    b, kept, (s,) = drop_cloudy(a, scenes, areas, feats)
    assert s["path"] == doc["scenes"][0]["path"] and 0.5 < s["nodata_share"] <= 1
    assert [x.path for x in b.spec.scenes] == [x["path"] for x in doc["scenes"][1:]]
    assert kept == scenes[1:] and b.spec.training_scene == 0  # the default moves along
    assert compute_areas(b, kept, areas, feats, None)  # runs on the clear scenes
    said = nature.load(doc=doc | {"skip_scenes_above": 0.5, "training_scene": 0}, base=tmp_path)
    with pytest.raises(NatureInputError, match="training_scene: 0"):  # chosen, not moved
        drop_cloudy(said, scenes, areas, feats)
    for lang, words in (("en", "Scenes skipped"), ("ja", "除外したシーン")):
        lines = report_lines([s], lang)
        assert lines[0] == words and s["path"] in lines[1] and s["date"] in lines[1]
