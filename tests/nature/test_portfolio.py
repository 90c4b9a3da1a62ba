"""Roll-ups: companies weighted by their areas' sourcing volume, a bank's portfolio weighted by
its exposure to each company (hand-checkable figures), and the inputs that would make weights
up refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from junkan.nature.geo import Layer, NatureInputError, Polygon, check_volumes
from junkan.nature.portfolio import bank_view, by_company
from junkan.nature.schema import BankPortfolio

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def _area(fid: str, company: str | None, volume: float | None, score: float | None,
          km2: float) -> dict[str, Any]:
    return {"id": fid, "company": company, "volume_t": volume,
            "integrated": {"value": score}, "C1.0": {"value_km2": km2}}


AREAS = [_area("A", "X", 300.0, 60.0, 10.0), _area("B", "X", 100.0, 20.0, 5.0),
         _area("C", "Y", 400.0, 30.0, 2.0)]
BANK = {"name": "Lender", "currency": "JPY", "as_of": "2026-03-31", "source": "test",
        "exposures": {"X": 600.0, "Y": 200.0, "Z": 200.0}}


def test_companies_are_weighted_by_volume() -> None:
    c = by_company(AREAS)
    assert c["X"]["integrated"] == pytest.approx((300 * 60 + 100 * 20) / 400)  # 50
    assert c["*"]["integrated"] == pytest.approx((300 * 60 + 100 * 20 + 400 * 30) / 800)  # 40
    assert c["X"]["C1.0_km2"] == 15.0 and c["X"]["volume_t"] == 400.0
    assert c["*"]["weighting"] == "volume_t"


def test_without_volumes_the_areas_weigh_equally_and_say_so() -> None:
    c = by_company([{**a, "volume_t": None} for a in AREAS])
    assert c["X"]["integrated"] == pytest.approx(40.0)
    assert c["*"]["volume_t"] is None and c["*"]["weighting"].startswith("equal")


def test_a_stored_result_with_some_volumes_missing_weighs_equally_and_says_so() -> None:
    c = by_company([{**AREAS[0], "volume_t": None}, *AREAS[1:]])
    assert c["X"]["integrated"] == pytest.approx(40.0)
    assert c["*"]["weighting"] == "equal (volume_t missing for some areas)"


def test_bank_view_weights_companies_by_exposure() -> None:
    b = bank_view(by_company(AREAS), BANK)
    # X scores 50, Y 30; Z has no assessed area: outside the mean, and reported uncovered
    assert b["integrated"] == pytest.approx((600 * 50 + 200 * 30) / 800)  # 45
    assert b["covered_share"] == pytest.approx(0.8)
    z = next(r for r in b["companies"] if r["company"] == "Z")
    assert not z["covered"] and z["integrated"] is None and z["share"] == pytest.approx(0.2)
    assert b["not_in_portfolio"] == []
    only_x = bank_view(by_company(AREAS), {**BANK, "exposures": {"X": 1.0}})
    assert only_x["not_in_portfolio"] == ["Y"] and only_x["integrated"] == pytest.approx(50.0)


@pytest.mark.parametrize("exposures, message", [
    ({"X": 0.0}, "must be > 0"),
    ({"X": -5.0}, "must be > 0"),
    ({" ": 5.0}, "empty"),
    ({"X": float("nan")}, "finite"),
    ({}, "at least 1"),
])
def test_bad_exposures_are_refused(exposures: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BankPortfolio.model_validate({**BANK, "exposures": exposures})


def test_currency_and_source_are_required() -> None:
    with pytest.raises(ValidationError, match="currency"):
        BankPortfolio.model_validate({**BANK, "currency": "yen"})
    with pytest.raises(ValidationError, match="source"):
        BankPortfolio.model_validate({k: v for k, v in BANK.items() if k != "source"})


def _layer(*volumes: Any) -> Layer:
    return Layer("areas.geojson", "EPSG:4326",
                 [Polygon(f"a{i}", SQUARE, {"volume_t": v}) for i, v in enumerate(volumes)])


def test_volumes_for_every_area_or_none() -> None:
    check_volumes(_layer(1.0, 2))
    check_volumes(_layer(None, None))
    with pytest.raises(NatureInputError, match=r"areas.geojson: volume_t is given for 1 areas "
                                               r"but not for \['a1'\]"):
        check_volumes(_layer(5.0, None))
    for bad in (0, -1.0, "12", True, float("inf")):
        with pytest.raises(NatureInputError, match="area 'a0': volume_t"):
            check_volumes(_layer(bad))


def test_the_sample_reports_its_lenders_portfolio(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    b = doc["bank_portfolio"]
    x, y = doc["portfolio"]["Company X"]["integrated"], doc["portfolio"]["Company Y"]["integrated"]
    assert b["integrated"] == pytest.approx((3 * x + 1 * y) / 4)
    assert b["covered_share"] == pytest.approx(0.8)
    # a stored job's document gives the same report
    again = type(result).from_json(doc)
    assert again.bank_portfolio() == result.bank_portfolio()
    for lang, heading in (("en", "Bank portfolio (exposure-weighted): Sample lender"),
                          ("ja", "銀行ポートフォリオ（エクスポージャー加重）")):
        html = result.report(tmp_path / lang / "r.html", lang=lang).read_text()
        assert heading in html and "3,000,000,000" in html


def test_evaluate_lists_each_areas_measured_impacts(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from junkan.nature.report import _impacts
    from junkan.nature.results import TEXT

    (table,) = [b for b in _impacts(result, TEXT["en"]) if b.kind == "table"]
    a = result.areas[0]
    mine = {row[2]: row[3] for row in table.rows if row[0] == a["id"]}
    assert mine["C1.0"].startswith(f"{a['C1.0']['value_km2']:.3g}")
    assert mine["C3.0"] == (f"{a['C3.0']['withdrawal_m3']:.3g} m³" if a.get("C3.0") else "—")
    html = result.report(tmp_path / "r.html", lang="en").read_text()
    assert "Impacts measured at the sourcing areas, by impact driver" in html


def test_the_japanese_report_has_no_english_headings(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from junkan.nature.results import TEXT

    html = result.report(tmp_path / "r.html", lang="ja").read_text()
    for name in ("Company X", "Company Y", "Company Z"):  # the sample's names are data
        html = html.replace(name, "")
    english = [v for k, v in TEXT["en"].items() if k != "note" and v != TEXT["ja"][k]
               and len(v) >= 6]
    assert [v for v in english if v in html] == []
    # the map and charts the PDF has, as plotly figures
    assert all(f'id="figure-{n}"' in html for n in (1, 2, 3, 4))
    # headings once written in English in the Japanese report (found by a review)
    for old in ("commodity", "supplier", "protected share", "ENCORE-style", "NDVI first",
                "Sen slope", "annual?", "reference \\ predicted", "accuracy"):
        assert old not in html, old



def test_empty_volume_cells_read_as_not_given() -> None:
    c = by_company([{**a, "volume_t": ""} for a in AREAS])  # an export's empty column
    assert c["X"]["integrated"] == pytest.approx(40.0) and c["*"]["volume_t"] is None


def test_a_company_without_an_indicator_is_not_covered() -> None:
    areas = [*AREAS[:2], {**AREAS[2], "integrated": {"value": None}}]
    b = bank_view(by_company(areas), BANK)
    y = next(r for r in b["companies"] if r["company"] == "Y")
    assert not y["covered"] and b["covered_share"] == pytest.approx(0.6)
    assert b["integrated"] == pytest.approx(50.0)


def test_the_map_titles_its_axes_in_degrees_and_greys_an_unassessed_area(result) -> None:  # type: ignore[no-untyped-def]
    """An area without an integrated indicator is drawn grey, never in the colour of a low
    score (which read as 'little impact'); the axes say they are degrees."""
    from dataclasses import replace

    from junkan.nature.charts import figures
    from junkan.nature.results import TEXT

    areas = [dict(a) for a in result.areas]
    areas[0]["integrated"] = {**areas[0]["integrated"], "value": None}
    for lang, lon in (("en", "longitude (°)"), ("ja", "経度（°）")):
        fig = figures(replace(result, areas=areas), TEXT[lang])[0]
        assert fig.layout.xaxis.title.text == lon
        fills = {t.name: t.fillcolor for t in fig.data if t.name}
        assert fills[str(areas[0]["id"])] == "rgba(160, 160, 160, 0.6)"
        assert fills[str(areas[1]["id"])] != fills[str(areas[0]["id"])]
