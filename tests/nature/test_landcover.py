"""Your own land-cover maps (generated GeoTIFFs with ESA WorldCover codes, written from the
sample's truth): C1.1 and class areas from them, a value missing from the legend named, a
map on another grid refused or resampled, and the classifier checked against them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from junkan import nature
from junkan.core.errors import JunkanError
from junkan.nature import sample as smp
from tests.nature.conftest import SIZE
from tests.nature.test_assess import _inside

WORLDCOVER = {"forest": 10, "cropland": 40, "grassland": 30, "water": 80, "bare": 60}
"""The sample's classes as ESA WorldCover codes."""


def _codes(cm: np.ndarray) -> np.ndarray:
    names = list(smp.signatures()["classes"])
    lut = np.array([0] + [WORLDCOVER[n] for n in names], dtype=np.uint8)
    return lut[cm]


def _write(path: Path, values: np.ndarray, **kw: Any) -> str:
    smp.write_tiff(path, values[None], bands=["landcover"], **kw)
    return str(path)


def _doc(sample: Path, landcover: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc = yaml.safe_load(sample.read_text())
    for k in ("training", "water", "precipitation", "portfolio"):  # faster; not needed here
        doc.pop(k)
    doc["scenes"] = [doc["scenes"][0], doc["scenes"][-1]]
    return doc | {"landcover": landcover} | extra


def _maps(tmp_path: Path, years: tuple[int, ...] = (0, -1)) -> list[dict[str, Any]]:
    maps = smp.class_maps(SIZE, 0)
    return [
        {"path": _write(tmp_path / f"lc_{i}.tif", _codes(maps[i])),
         "date": f"{smp.YEARS[i]}-12-31"}
        for i in years
    ]


WC = {"legend": "esa-worldcover", "source": "generated from the sample's truth (test)"}
NATURAL = {"natural_classes": ["tree cover"], "converted_classes": ["cropland"]}


def test_c11_and_class_areas_come_from_the_maps(sample: Path, tmp_path: Path) -> None:
    a = nature.load(doc=_doc(sample, WC | {"maps": _maps(tmp_path)}, **NATURAL),
                    base=sample.parent)
    res = nature.run(a)
    maps = smp.class_maps(SIZE, 0)
    forest = list(smp.signatures()["classes"]).index("forest") + 1
    lost = (maps[0] == forest) & (maps[-1] != forest)
    for area in res.areas:
        inside = _inside(sample.parent / "areas.geojson", area["id"])
        lc = area["land_change"]
        assert lc["from"] == "landcover"
        assert lc["C1.1"]["value_km2"] == pytest.approx((lost & inside).sum() * 1e-4)
        assert lc["maps"][0]["classes_km2"]["tree cover"] == pytest.approx(
            ((maps[0] == forest) & inside).sum() * 1e-4)
        rate = (lost & inside).sum() / ((maps[0] == forest) & inside).sum() / (
            (np.datetime64("2024-12-31") - np.datetime64("2019-12-31")).astype(int) / 365.25)
        assert lc["forest_loss_rate_per_year"] == pytest.approx(rate)
        assert "ESA WorldCover" in lc["source"] and "note" in lc
    # the report's C1.1 is the map's; the report names the maps, in English and Japanese
    assert res.summary()[0][4] == f"{res.areas[0]['land_change']['C1.1']['value_km2']:.3g}"
    html = res.report(tmp_path / "r.html", lang="en").read_text()
    assert "Land cover from your maps" in html and "tree cover km²" in html
    assert "different products or versions" not in html
    ja = res.report(tmp_path / "r.html", lang="ja").read_text()
    assert "利用者提供の土地被覆図" in ja and "差分で変化を測らない" in ja


def test_maps_of_different_products_are_flagged(sample: Path, tmp_path: Path) -> None:
    maps = _maps(tmp_path)
    maps[-1]["source"] = "ESA WorldCover v200 (2021)"
    res = nature.run(nature.load(doc=_doc(sample, WC | {"maps": maps}, **NATURAL),
                                 base=sample.parent))
    assert res.areas[0]["land_change"]["sources_differ"][1] == "ESA WorldCover v200 (2021)"
    html = res.report(tmp_path / "r.html", lang="en").read_text()
    assert "part of the change may be a difference of method" in html


def test_class_trends_over_the_maps_dates(sample: Path, tmp_path: Path) -> None:
    spec = WC | {"maps": _maps(tmp_path, (0, 1, 2, 3, 4, 5))}
    res = nature.run(nature.load(doc=_doc(sample, spec, **NATURAL), base=sample.parent))
    r = res.areas[0]["responsiveness"]["tree cover_km2"]
    assert r["n"] == 6 and r["sen_slope_per_year"] < 0  # forest converted every year


def test_a_value_missing_from_the_legend_is_named(sample: Path, tmp_path: Path) -> None:
    maps = _maps(tmp_path)
    values = _codes(smp.class_maps(SIZE, 0)[-1])
    inside = _inside(sample.parent / "areas.geojson", "A")
    r, c = np.argwhere(inside)[0]
    values[r, c] = 77
    maps[-1]["path"] = _write(tmp_path / "odd.tif", values)
    a = nature.load(doc=_doc(sample, WC | {"maps": maps}, **NATURAL), base=sample.parent)
    with pytest.raises(nature.NatureInputError, match=r"odd\.tif: value\(s\) 77 in sourcing "
                       r"area 'A' are not in the legend"):
        nature.run(a)


def test_a_map_on_another_grid_is_refused_or_resampled(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maps = _maps(tmp_path)
    big = np.zeros((SIZE + 20, SIZE + 20), np.uint8)  # 10 px more on each side, nodata 0
    big[10:-10, 10:-10] = _codes(smp.class_maps(SIZE, 0)[-1])
    origin = (smp.ORIGIN[0] - 10 * smp.PIXEL, smp.ORIGIN[1] + 10 * smp.PIXEL)
    maps[-1]["path"] = _write(tmp_path / "big.tif", big, origin=origin)
    doc = _doc(sample, WC | {"maps": maps}, **NATURAL)
    with pytest.raises(nature.NatureInputError, match=r"big\.tif: its grid .* reproject: true"):
        nature.run(nature.load(doc=doc, base=sample.parent))
    maps[-1]["path"] = _write(tmp_path / "utm47.tif", big, crs="EPSG:32647")
    with pytest.raises(nature.NatureInputError, match=r"utm47\.tif: its CRS EPSG:32647 differs"):
        nature.run(nature.load(doc=doc, base=sample.parent))
    maps[-1]["path"] = str(tmp_path / "big.tif")
    doc["landcover"]["reproject"] = True
    from junkan.nature import landcover

    monkeypatch.setattr(landcover, "MAX_REPROJECT_PIXELS", SIZE * SIZE)  # the map is larger
    with pytest.raises(nature.NatureInputError, match=r"big\.tif: 28,900 pixels to resample"):
        nature.run(nature.load(doc=doc, base=sample.parent))
    monkeypatch.undo()
    res = nature.run(nature.load(doc=doc, base=sample.parent))
    same = nature.run(nature.load(doc=_doc(sample, WC | {"maps": _maps(tmp_path)}, **NATURAL),
                                  base=sample.parent))
    for x, y in zip(res.areas, same.areas, strict=True):
        assert x["land_change"]["C1.1"]["value_km2"] == pytest.approx(
            y["land_change"]["C1.1"]["value_km2"])


def test_classes_and_legend_are_checked(sample: Path, tmp_path: Path) -> None:
    maps = _maps(tmp_path)
    a = nature.load(doc=_doc(sample, WC | {"maps": maps}), base=sample.parent)  # 'forest'
    with pytest.raises(nature.NatureInputError, match=r"natural_classes: \['forest'\] not in "
                       "the land-cover legend"):
        nature.run(a)
    floats = _write(tmp_path / "float.tif", _codes(smp.class_maps(SIZE, 0)[0]).astype(np.float32))
    doc = _doc(sample, WC | {"maps": [{"path": floats, "date": "2020-01-01"}]}, **NATURAL)
    with pytest.raises(nature.NatureInputError, match=r"float\.tif: values are float32"):
        nature.run(nature.load(doc=doc, base=sample.parent))
    bad = [
        ({"legend": {10: "tree", 0: "none"}, "nodata": [0]}, "also in the legend"),
        ({"legend": "corine"}, "unknown legend 'corine'"),
        ({"legend": {10: " "}}, "class name"),
        ({"maps": maps[::-1]}, r"maps\[1\]\.date: .* is not after"),
    ]
    for change, msg in bad:
        with pytest.raises(JunkanError, match=msg):
            nature.load(doc=_doc(sample, WC | {"maps": maps} | change), base=sample.parent)


def test_check_mode_measures_the_classifier_against_the_maps(sample: Path, tmp_path: Path
                                                             ) -> None:
    maps = smp.class_maps(SIZE, 0)
    names = list(smp.signatures()["classes"])
    own = {"legend": {i: n for i, n in enumerate(names, start=1)}, "use": "check",
           "source": "the sample's truth (test)"}
    f, b = names.index("forest") + 1, names.index("grassland") + 1
    swapped = np.where(maps[-1] == f, b, np.where(maps[-1] == b, f, maps[-1]))  # in the 2nd map
    lc = own | {"maps": [
        {"path": _write(tmp_path / "t0.tif", maps[0]), "date": "2019-06-15"},
        {"path": _write(tmp_path / "t5.tif", swapped.astype(np.uint8)), "date": "2024-06-15"},
    ]}
    doc = yaml.safe_load(sample.read_text()) | {"landcover": lc}
    doc["scenes"] = [doc["scenes"][0], doc["scenes"][-1]]
    res = nature.run(nature.load(doc=doc, base=sample.parent))
    for a in res.areas:
        first, last = a["landcover_check"]
        assert first["agreement"] > 0.9  # the classifier finds the truth
        assert last["agreement"] < first["agreement"] - 0.2  # the swapped map disagrees
        assert first["compared_km2"] == pytest.approx(a["C1.0"]["value_km2"], rel=0.02)
        assert a["land_change"]["C1.1"]["uncertainty_km2_95"] is not None  # the classifier's
    ja = res.report(tmp_path / "r.html", lang="ja").read_text()
    assert "利用者提供の土地被覆図と分類結果の照合" in ja and "一致率" in ja
    lc["maps"][1]["date"] = "2024-01-01"
    with pytest.raises(nature.NatureInputError, match="2024-01-01 is no scene's date"):
        nature.run(nature.load(doc=doc, base=sample.parent))
