"""Nodata in your land-cover maps: the fill value of resampled pixels is never a legend
class (nor nodata of the other maps), partial nodata is reported and does not bend the
class trends, and a nodata value that is also a legend class is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from junkan import nature
from junkan.nature import landcover
from junkan.nature import sample as smp
from tests.nature.conftest import SIZE
from tests.nature.test_assess import _inside
from tests.nature.test_landcover import NATURAL, WC, _codes, _doc, _maps, _write

AT_MAX = {"forest": 255, "cropland": 40, "grassland": 30, "water": 80, "bare": 60}
"""The sample's classes with tree cover at uint8's maximum (255)."""
LEGEND = {255: "tree cover", 40: "cropland", 30: "grassland", 80: "water", 60: "bare"}


def _at_max(cm: np.ndarray) -> np.ndarray:
    names = list(smp.signatures()["classes"])
    return np.array([0] + [AT_MAX[n] for n in names], dtype=np.uint8)[cm]


def _shifted_pair(tmp_path: Path, first: np.ndarray | None = None) -> list[dict[str, Any]]:
    """The first and last maps, no file nodata; the last one shifted by one pixel."""
    maps = smp.class_maps(SIZE, 0)
    a0 = _write(tmp_path / "m0.tif", _at_max(maps[0]) if first is None else first,
                nodata=None)
    a1 = _write(tmp_path / "m1.tif", _at_max(maps[-1]), nodata=None,
                origin=(smp.ORIGIN[0] + smp.PIXEL, smp.ORIGIN[1]))
    return [{"path": a0, "date": f"{smp.YEARS[0]}-12-31"},
            {"path": a1, "date": f"{smp.YEARS[-1]}-12-31"}]


def _run(sample: Path, spec: dict[str, Any]) -> Any:
    return nature.run(nature.load(doc=_doc(sample, spec, **NATURAL), base=sample.parent))


def test_a_legend_class_at_the_types_maximum_survives_resampling(
    sample: Path, tmp_path: Path
) -> None:
    spec = {"legend": LEGEND, "source": "test", "reproject": True,
            "maps": _shifted_pair(tmp_path)}
    res = _run(sample, spec)
    same = _run(sample, WC | {"maps": _maps(tmp_path)})  # the same classes, not shifted
    for x, y in zip(res.areas, same.areas, strict=True):
        got, want = x["land_change"], y["land_change"]
        tree = got["maps"][-1]["classes_km2"]["tree cover"]
        assert tree == pytest.approx(want["maps"][-1]["classes_km2"]["tree cover"], rel=0.15)
        assert got["C1.1"]["value_km2"] == pytest.approx(want["C1.1"]["value_km2"], rel=0.15)
        assert got["C1.1"]["value_km2"] > 0


def test_the_fill_value_is_nodata_of_the_resampled_map_only(sample: Path, tmp_path: Path
                                                            ) -> None:
    # 0 is free in uint8 and fills the shifted map; in the first map it is no nodata
    first = _at_max(smp.class_maps(SIZE, 0)[0])
    r, c = np.argwhere(_inside(sample.parent / "areas.geojson", "A"))[0]
    first[r, c] = 0
    spec = {"legend": LEGEND, "source": "test", "reproject": True,
            "maps": _shifted_pair(tmp_path, first)}
    with pytest.raises(nature.NatureInputError, match=r"m0\.tif: value\(s\) 0 in sourcing "
                       r"area 'A' are not in the legend"):
        _run(sample, spec)


def test_a_full_legend_widens_the_resampled_map(sample: Path, tmp_path: Path) -> None:
    legend: dict[int, str] = {v: "other" for v in range(256)} | LEGEND
    res = _run(sample, {"legend": legend, "source": "test", "reproject": True,
                        "maps": _shifted_pair(tmp_path)})
    lc = res.areas[0]["land_change"]
    assert lc["maps"][-1]["classes_km2"]["tree cover"] > 0
    assert lc["maps"][-1]["nodata_km2"] >= 0 and lc["C1.1"]["value_km2"] > 0
    assert landcover._free_value(np.dtype(np.uint8), set(range(256))) is None
    assert landcover._free_value(np.dtype(np.uint8), set(range(200, 256)) | {0}) == 199
    assert landcover._free_value(np.dtype(np.int16), set(range(256))) == 32767


def test_a_map_with_no_free_value_is_refused_clearly(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(landcover, "WIDER", {})  # as for a 64-bit map
    legend: dict[int, str] = {v: "other" for v in range(256)} | LEGEND
    with pytest.raises(nature.NatureInputError,
                       match=r"m1\.tif: every uint8 value is a legend class or nodata"):
        _run(sample, {"legend": legend, "source": "test", "reproject": True,
                      "maps": _shifted_pair(tmp_path)})


def test_partial_nodata_is_reported_and_does_not_bend_the_trends(
    sample: Path, tmp_path: Path
) -> None:
    full = _maps(tmp_path, (0, 1, 2, 3))
    part = [dict(m) for m in full]
    values = _codes(smp.class_maps(SIZE, 0)[3])
    values[::2, :] = 0  # every other row nodata in the last map
    part[-1]["path"] = _write(tmp_path / "half.tif", values)
    res, ref = _run(sample, WC | {"maps": part}), _run(sample, WC | {"maps": full})
    a, b = res.areas[0], ref.areas[0]
    lc = a["land_change"]
    assert lc["maps"][0]["valid_share"] == pytest.approx(1.0)
    assert lc["maps"][-1]["valid_share"] == pytest.approx(0.5, abs=0.05)
    assert lc["maps"][-1]["valid_km2"] + lc["maps"][-1]["nodata_km2"] == pytest.approx(
        a["C1.0"]["value_km2"], rel=0.01)
    assert lc["coverage_differs"] == [part[-1]["date"]] and "coverage_note" in lc
    assert lc["C1.1"]["valid_share"] == pytest.approx(0.5, abs=0.05)
    assert "valid (not nodata) in both maps" in lc["C1.1"]["method"]
    # the trend is of each class's share of the valid area: about that of the full maps
    got = a["responsiveness"]["tree cover_km2"]["sen_slope_per_year"]
    want = b["responsiveness"]["tree cover_km2"]["sen_slope_per_year"]
    assert got == pytest.approx(want, rel=0.35)
    assert "coverage_note" not in ref.areas[0]["land_change"]
    html = res.report(tmp_path / "r.html", lang="en").read_text()
    assert "valid %" in html and "only pixels valid in both" in html
    assert "有効 %" in res.report(tmp_path / "r.html", lang="ja").read_text()


def test_a_nodata_value_that_is_a_legend_class_is_refused(sample: Path, tmp_path: Path
                                                          ) -> None:
    maps = _maps(tmp_path)
    maps[-1]["path"] = _write(tmp_path / "nd10.tif", _codes(smp.class_maps(SIZE, 0)[-1]),
                              nodata=10)
    with pytest.raises(nature.NatureInputError, match=r"nd10\.tif: its nodata value 10 is "
                       r"the legend class 'tree cover'"):
        _run(sample, WC | {"maps": maps})
    with pytest.raises(nature.NatureInputError, match=r"value\(s\) 10 are both nodata and "
                       r"legend classes"):
        _run(sample, WC | {"maps": _maps(tmp_path), "nodata": [10]})
