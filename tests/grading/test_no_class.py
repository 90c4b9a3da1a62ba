"""A lot of a material a ranked family is not for has no class in it, not the family's
fallback: an aluminium or PP lot graded with the soil classes was "mud" (a soil fit only for
disposal) in the CLI, the JSON, the records, the HTML report and the soil market, which then
sent it to disposal without a word. The fallback stays for soil that meets no class."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from junkan import grading, market
from junkan.core.errors import ModelError
from tests.market.test_soil import doc, solve

DAY = date(2026, 12, 7)
CONE = {"cone_index": {"value": "100 kN/m**2"}}


def _lot(name: str, id: str = "a", soil_type: str = "SF", **props: Any) -> grading.Item:
    return grading.Item.model_validate({
        "id": id, "kind": "recycled_material", "material": {"name": name},
        "quantity": {"mass": "1 t"}, "attributes": {"soil_type": soil_type},
        "properties": props or CONE})


def test_a_lot_of_another_material_has_no_class_and_soil_below_every_class_is_mud() -> None:
    items = [_lot("aluminium", "al"), _lot("soil", "weak"), _lot("改良土", "improved", "I"),
             _lot("PP", "pp", "G")]
    res = grading.grade(items, ["soil-mlit"], as_of=DAY)
    # SF at 100 kN/m² meets no class: mud; improved soil at 100 kN/m² too; G is class 1 for
    # soil, but the PP lot is not soil whatever its attributes say
    assert res.classes["soil-mlit"] == [None, "mud", "mud", None]
    assert res.better_unknown["soil-mlit"] == [[], [], [], []]
    assert res.class_notes() == [
        "al: no soil-mlit class: its classes are for soil and the lot is aluminium",
        "pp: no soil-mlit class: its classes are for soil and the lot is PP"]
    assert res.to_json()["classes"] == {"soil-mlit": [None, "mud", "mud", None]}


def test_a_blend_with_a_lot_that_is_not_soil_has_no_class() -> None:
    blend = grading.blend([_lot("soil", "s", "G"), _lot("PP", "p", "G")], [1.0, 1.0])
    res = grading.grade([blend], ["soil-mlit"], as_of=DAY)
    assert res.classes["soil-mlit"] == [None]


def test_records_and_report_say_why_there_is_no_class(tmp_path: Path) -> None:
    res = grading.grade([_lot("PP", "pp"), _lot("soil", "s", "G")], ["soil-mlit"], as_of=DAY)
    fams = [[g for g in it["grades"] if "family" in g] for it in res.graded_items()]
    assert fams == [
        [{"family": "soil-mlit", "class": None,
          "note": "no soil-mlit class: its classes are for soil and the lot is PP"}],
        [{"family": "soil-mlit", "class": "soil-class-1"}]]
    html = res.report(tmp_path / "r.html").read_text("utf-8")
    assert "no soil-mlit class: its classes are for soil and the lot is PP" in html
    assert ">mud<" not in html


def test_the_cli_says_no_class(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from junkan.cli.main import app

    out = CliRunner().invoke(app, ["grade", "examples/market/grade.yaml", "--as-of",
                                   DAY.isoformat()])
    assert out.exit_code == 0, out.output  # (wrapped at the console's width)
    assert ("soil-mlit: rpp-17 → – (no soil-mlit class: its classes are for soil and the "
            "lot is PP), twitch-3 → – (no soil-mlit class: its classes are for soil and the "
            "lot is aluminium), soil-A → soil-class-3") in " ".join(out.output.split())


def test_the_soil_market_refuses_a_source_whose_record_is_not_soil() -> None:
    d = doc()
    d["sources"][0] = {"id": "S", "location": {"lat": 0.0, "lon": 0.0}, "volumes": [100, 0],
                       "item": _lot("aluminium", "al", "G").model_dump(mode="json",
                                                                        exclude_none=True)}
    with pytest.raises(ModelError, match=(
            r"sources\[0\]\.item\.material\.name: source 'S': no soil-mlit class: its "
            r"classes are for soil and the lot is aluminium; give a soil record, or the "
            r"source's grade")):
        solve(d)
    d["sources"][0]["item"]["material"]["name"] = "Soil"
    assert market.soil.grades_of(market.SoilMarket.model_validate(d)) == ["soil-class-1"]


def test_plastics_and_alloy_buyer_sets_take_any_spelling_of_their_material() -> None:
    """The PP, ABS and alloy-buyer sets matched ``material.name`` exactly: ``pp`` was no
    PP and ``Aluminum`` no aluminium for an alloy buyer (``[aluminium]``)."""
    rpp = {"mfr": {"value": "12 g/(10 min)"}, "density": {"value": "0.9 g/cm**3"},
           "ash": {"value": "1 %"}, "tensile_strength": {"value": "25 MPa"}}
    lots = [grading.Item.model_validate({
        "id": name, "kind": "recycled_material", "material": {"name": name},
        "quantity": {"mass": "1 t"}, "properties": rpp, "restricted": {"pbde_sum": "0 mg/kg"},
        "composition": {"Si": 9.0, "Fe": 0.4, "Cu": 0.1, "Mn": 0.1, "Mg": 0.3, "Zn": 0.3,
                        "Ni": 0.01, "Pb": 0.01, "Sn": 0.01, "Ti": 0.05, "Cr": 0.01,
                        "Li": 0.0}})
        for name in ("pp", "Polypropylene", "ＰＰ", "PE", "Aluminum", "アルミ")]
    res = grading.grade(lots, ["rpp-injection", "alloy-buyer.casting_premium"], as_of=DAY)
    met = {(r["item"], r["criteria"]): r["met"] for r in res.rows()}
    assert [met[n, "rpp-injection"] for n in ("pp", "Polypropylene", "ＰＰ", "PE")] == [
        True, True, True, False]
    assert [met[n, "alloy-buyer.casting_premium"] for n in ("Aluminum", "アルミ", "pp")] == [
        True, True, False]
    rows = {(r["item"], r["criteria"]): r["failed"] for r in res.rows()}
    assert rows["PE", "rpp-injection"] == ["the set is for PP, the lot is PE"]
    assert rows["pp", "alloy-buyer.casting_premium"] == [
        "the set is for aluminium, the lot is pp"]
