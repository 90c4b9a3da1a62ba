"""TNFD C3.0 (withdrawal and consumption in water-stressed areas), flood frequency from
annual-maximum water extent, area centroids, the small sample (60 px) and the PDF report."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from junkan import nature
from junkan.nature import pdf as nature_pdf
from junkan.nature import sample as smp
from junkan.nature.flood import RETURN_PERIODS, annual_maxima, flood_frequency
from junkan.nature.geo import Polygon, centroid
from junkan.nature.rasters import mask, window
from junkan.nature.water import c3_0, read_withdrawals
from tests.nature.conftest import SIZE


def test_c3_0_on_the_sample(result) -> None:  # type: ignore[no-untyped-def]
    by = {a["id"]: a["C3.0"] for a in result.areas}
    # A lies wholly in the west basin (bws 0.55, high): everything counts
    assert by["A"]["withdrawal_m3"] == pytest.approx(240_000.0)
    assert by["A"]["consumption_m3"] == pytest.approx(240_000.0 - 50_000.0)
    assert by["A"]["by_water_source"]["groundwater"]["withdrawal_m3"] == pytest.approx(180_000.0)
    assert by["A"]["bounds_m3"]["withdrawal_m3"] == [240_000.0, 240_000.0]
    # B wholly in the east basin (0.25, medium-high): nothing
    assert by["B"]["withdrawal_m3"] == 0.0 and by["B"]["total_withdrawal_m3"] == 90_000.0
    # C straddles the split at column SIZE/2: share by pixel columns, bounds all-or-none
    c0, c1 = round(0.20 * SIZE), round(0.90 * SIZE)
    west = (SIZE // 2 - c0) / (c1 - c0)
    assert by["C"]["stress_shares"]["high"] == pytest.approx(west)
    assert by["C"]["withdrawal_m3"] == pytest.approx(40_000.0 * west)
    assert by["C"]["consumption_m3"] == pytest.approx(30_000.0 * west)
    assert by["C"]["bounds_m3"]["withdrawal_m3"] == [0.0, 40_000.0]
    port = result.portfolio()["*"]["C3.0"]
    assert port["withdrawal_m3"] == pytest.approx(sum(d["withdrawal_m3"] for d in by.values()))
    assert port["withdrawal_m3_bounds"] == pytest.approx([240_000.0, 280_000.0])
    assert by["A"]["stress_source"].startswith("synthetic")
    assert by["A"]["definition"].startswith("TNFD")


def _csv(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "water.csv"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("area,water_source\nA,surface\n", "needs columns"),
        ("area,water_source,withdrawal_m3\nZ,surface,1\n", "line 2: area 'Z'"),
        ("area,water_source,withdrawal_m3\nA,rain,1\n", "water_source 'rain'"),
        ("area,water_source,withdrawal_m3\nA,surface,-5\n", "withdrawal_m3=-5"),
        ("area,water_source,withdrawal_m3\nA,surface,nan\n", "withdrawal_m3=nan"),
        ("area,water_source,withdrawal_m3\nA,surface,1e13\n", "withdrawal_m3=1e13"),
        ("area,water_source,withdrawal_m3\nA,surface,\n", "withdrawal_m3 is required"),
        ("area,water_source,withdrawal_m3,discharge_m3\nA,surface,1,2\n", "exceeds withdrawal"),
        ("area,water_source,withdrawal_m3,consumption_m3\nA,surface,1,2\n", "exceeds withdrawal"),
        ("area,water_source,withdrawal_m3\n", "no rows"),
    ],
)
def test_withdrawal_errors(tmp_path: Path, body: str, message: str) -> None:
    p = _csv(tmp_path, body)
    with pytest.raises(nature.NatureInputError, match=re.escape(message)) as e:
        read_withdrawals(p, {"A", "B"})
    assert str(p) in str(e.value)


def test_withdrawals_not_a_csv(tmp_path: Path) -> None:
    p = tmp_path / "water.csv"
    p.write_bytes(b"area,water_source,withdrawal_m3\n\xff\xfe,surface,1\n")
    with pytest.raises(nature.NatureInputError, match="not a UTF-8 CSV"):
        read_withdrawals(p, {"A"})
    with pytest.raises(nature.NatureInputError, match="cannot read"):
        read_withdrawals(tmp_path / "missing.csv", {"A"})


def test_row_bws_and_unknown_stress(tmp_path: Path) -> None:
    p = _csv(
        tmp_path,
        "area,water_source,withdrawal_m3,discharge_m3,bws,reference\n"
        "A,groundwater,100,40,0.9,meter 2024\nA,surface,50,,,\n",
    )
    rows = read_withdrawals(p, {"A"})
    doc = c3_0(rows, None)  # no stress polygons: the second row's stress is unknown
    assert doc["withdrawal_m3"] == 100.0 and doc["consumption_m3"] == 60.0
    assert doc["withdrawal_with_unknown_stress_m3"] == 50.0
    assert doc["bounds_m3"]["withdrawal_m3"] == [100.0, 150.0]
    assert doc["references"] == ["meter 2024"]
    low = c3_0([rows[0] | {"bws": 0.39}], None)  # just below 'high' (0.40)
    assert low["withdrawal_m3"] == 0.0 and low["bounds_m3"]["withdrawal_m3"] == [0.0, 0.0]


def test_stress_inputs_are_checked(sample: Path, tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(sample.read_text())
    doc["water"] = {"withdrawals": "water.csv", "stress": "water_stress.geojson"}
    with pytest.raises(Exception, match="stress_source"):
        nature.load(doc=doc, base=sample.parent)
    bad = json.loads((sample.parent / "water_stress.geojson").read_text())
    bad["features"][0]["properties"]["bws"] = "high"
    (tmp_path / "stress.geojson").write_text(json.dumps(bad))
    doc["water"] = {
        "withdrawals": str(sample.parent / "water.csv"),
        "stress": str(tmp_path / "stress.geojson"),
        "stress_source": "test",
    }
    with pytest.raises(nature.NatureInputError, match=r"features\[0\]\.properties\.bws: 'high'"):
        nature.run(nature.load(doc=doc, base=sample.parent))


def test_gumbel_fit_and_return_levels() -> None:
    rng = np.random.default_rng(7)
    x = stats.gumbel_r.rvs(10.0, 2.0, size=2000, random_state=rng)
    f = flood_frequency(list(range(2000)), list(x), seed=1)
    assert f["distribution"] == "gumbel"
    assert f["params"]["loc"] == pytest.approx(10.0, rel=0.03)
    assert f["params"]["scale"] == pytest.approx(2.0, rel=0.05)
    loc, scale = f["params"]["loc"], f["params"]["scale"]
    for t in RETURN_PERIODS:  # x_T = μ − β·ln(−ln(1 − 1/T))
        lv = f["return_levels_km2"][str(t)]
        assert lv["value"] == pytest.approx(loc - scale * math.log(-math.log(1 - 1 / t)))
        assert lv["low"] < lv["value"] < lv["high"]
    truth100 = 10.0 - 2.0 * math.log(-math.log(0.99))
    assert f["return_levels_km2"]["100"]["low"] < truth100 < f["return_levels_km2"]["100"]["high"]
    t_last = 1 / stats.gumbel_r.sf(x[-1], loc, scale)
    assert f["latest_return_period_years"]["value"] == pytest.approx(t_last)


@pytest.mark.slow
def test_gev_only_when_the_tail_demands_it() -> None:
    rng = np.random.default_rng(3)
    heavy = stats.genextreme.rvs(-0.4, 10.0, 2.0, size=300, random_state=rng)  # ξ = 0.4
    f = flood_frequency(list(range(300)), list(heavy), resamples=20)
    assert f["distribution"] == "gev" and f["gev_test"]["p"] < 0.05
    assert f["gev_test"]["shape_xi"] == pytest.approx(0.4, abs=0.15)
    short = flood_frequency(list(range(10)), list(heavy[:10]))
    assert short["distribution"] == "gumbel" and short["gev_test"] is None


def test_annual_maxima_and_notes() -> None:
    ys, x = annual_maxima([2020, 2020, 2021, 2022], [1.0, 3.0, None, 2.0])
    assert ys == [2020, 2022] and x.tolist() == [3.0, 2.0]
    assert "at least 5" in flood_frequency([2019, 2020, 2021], [1.0, 2.0, 3.0])["note"]
    assert "do not vary" in flood_frequency(list(range(6)), [2.0] * 6)["note"]


def test_flood_and_centroids_in_the_result(result) -> None:  # type: ignore[no-untyped-def]
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    for a in doc["areas"]:
        c = a["centroid"]
        w, s, e, n = c["bbox"]
        assert w < c["lon"] < e and s < c["lat"] < n
        assert 107 < c["lon"] < 109 and 12 < c["lat"] < 13.5  # Dak Lak, Vietnam
        assert len(a["flood"]["years"]) == len(smp.YEARS)
    a = {x["id"]: x for x in doc["areas"]}["A"]  # holds floodplain grassland: it varies
    assert a["flood"]["distribution"] == "gumbel"
    assert max(a["flood"]["annual_max_km2"]) > min(a["flood"]["annual_max_km2"])


def test_flat_series_is_not_annual_monitoring() -> None:
    from junkan.nature.metrics import responsiveness

    years = [2019.0, 2020.0, 2021.0, 2022.0, 2023.0]
    out = responsiveness(
        years, {"flat": [1.0] * 5, "line": [1.0, 2.0, 3.0, 4.0, 5.0]}, alpha=0.05, power=0.8
    )
    assert out["flat"]["annual_monitoring"] is False  # used to be True (0 ≥ 0)
    assert out["line"]["annual_monitoring"] is True  # noiseless trend: detectable


def test_centroid_with_hole_and_winding() -> None:
    outer = [[0, 0], [0, 4], [4, 4], [4, 0], [0, 0]]  # clockwise on purpose
    hole = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    c = centroid(Polygon("x", {"type": "Polygon", "coordinates": [outer, hole]}), "EPSG:4326")
    assert c["lon"] == pytest.approx(28 / 12) and c["lat"] == pytest.approx(28 / 12)
    assert c["bbox"] == [0, 0, 4, 4]


@pytest.mark.slow
def test_small_sample_runs(tmp_path: Path) -> None:
    """Size 60 (the API's minimum) used to fail: 'class water has 1 polygon'."""
    res = nature.run(nature.load(nature.write_sample(tmp_path, size=60, seed=0)))
    assert res.classifier is not None and len(res.classifier["classes"]) == 5
    counts = np.bincount(smp.class_maps(60, 0)[0][:: smp.BLOCK, :: smp.BLOCK].ravel())
    assert counts[1:].min() >= smp.MIN_PATCHES
    with pytest.raises(ValueError, match="too small"):
        smp.class_maps(45, 0)


@pytest.mark.slow
def test_reports_html_and_pdf(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for lang, heading in (("en", "Flood frequency"), ("ja", "洪水頻度")):
        html = result.report(tmp_path / lang / "r.html", lang=lang).read_text()
        assert heading in html and "C3.0" in html
    pdf = result.report(tmp_path / "r.pdf", lang="en").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) >= 3
    assert not list(tmp_path.glob(".r.pdf.*"))


def test_pdf_japanese_needs_a_font(result, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(nature_pdf, "CJK_FONTS", ("No Such Font JP",))
    monkeypatch.setattr(nature_pdf, "CJK_FILES", ())
    with pytest.raises(nature.NatureInputError, match="no Japanese font"):
        result.report(tmp_path / "r.pdf", lang="ja")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_pdf_japanese(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    try:
        nature_pdf._font("ja")
    except nature.NatureInputError:
        pytest.skip("no CJK font on this machine")
    pdf = result.report(tmp_path / "r.pdf", lang="ja").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/BaseFont /[A-Z]{6}\+(NotoSans|IPA|Takao)", pdf)  # embedded subset


# Per-pixel surface water and flooding (junkan.nature.inundation) on the shared result

PX_KM2 = smp.PIXEL * smp.PIXEL / 1e6


def _truth(sample: Path) -> dict[str, list[tuple[float, float]]]:
    """Per area and year: the generated truth's flooded and water km²."""
    maps = smp.class_maps(SIZE, 0)
    water = list(smp.signatures()["classes"]).index("water") + 1
    s0 = nature.open_raster(sample.parent / "scene_2019.tif")
    out = {}
    for poly in nature.read_layer(sample.parent / "areas.geojson").polygons:
        win = window(poly, s0)
        assert win is not None
        inside = mask([poly], s0, win)
        w0 = maps[0][win] == water
        out[poly.fid] = [
            (
                float((inside & (m[win] == water) & ~w0).sum() * PX_KM2),
                float((inside & (m[win] == water)).sum() * PX_KM2),
            )
            for m in maps
        ]
    return out


def test_flooded_extent_per_area_matches_the_truth(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    truth = _truth(sample)
    sw = result.to_json()["surface_water"]
    assert sw["index"] == "MNDWI" and sw["reference_date"] == "2019-06-15"
    assert all(t["method"] == "otsu" for t in sw["thresholds"])
    flooded_any = 0.0
    tol = 6 * PX_KM2  # a few noisy pixels
    for a in result.areas:
        for (fl, wat), row in zip(truth[a["id"]], a["inundation"], strict=True):
            f = row["flooded_km2"]
            assert f["value"] == pytest.approx(fl, abs=tol)
            assert f["low"] - 1e-12 <= f["value"] <= f["high"] + 1e-12
            assert f["low"] - tol <= fl <= f["high"] + tol
            # the sample's water is dark (SWIR 0.008) under 0.015 noise: ~2 % of its
            # pixels fall below any threshold; the widest estimate catches most of them
            w = row["water_km2"]
            assert w["value"] == pytest.approx(wat, abs=max(tol, 0.03 * wat))
            assert w["low"] - tol <= wat <= w["high"] + tol
            assert row["permanent_km2"] + row["flooded_km2"]["value"] == pytest.approx(
                row["water_km2"]["value"], abs=1e-9
            )
            flooded_any += fl
    assert flooded_any > 20 * PX_KM2  # the sample floods in some years: the check has teeth


def test_result_round_trips_and_reports_flooding(result) -> None:  # type: ignore[no-untyped-def]
    """The service writes a job's report from its stored JSON: the result read back is the
    same, and the report carries the per-pixel flooding table in both languages."""
    from junkan.nature.report import blocks
    from junkan.nature.results import TEXT, NatureResult

    doc = json.loads(json.dumps(result.to_json()))
    again = NatureResult.from_json(doc)
    assert json.loads(json.dumps(again.to_json())) == doc
    for lang in ("en", "ja"):
        bs = blocks(again, TEXT[lang])
        i = next(k for k, b in enumerate(bs) if b.text == TEXT[lang]["inundation"])
        rows = bs[i + 2].rows
        assert len(rows) == len(result.areas) * len(result.scenes)
        assert rows[0][:2] == [result.areas[0]["id"], "2019-06-15"]
    with pytest.raises(nature.NatureInputError, match="not an assessment result"):
        NatureResult.from_json({"name": "x"})
