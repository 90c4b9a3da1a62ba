"""Your ENCORE export: its published layout read as is (ratings kept as codes, ND and N/A
never numbers), bad files refused naming the file, line and column, "no rating" for an
activity the file lacks, and the ratings in Evaluate and in the risk rating (en and ja).
The fixtures are hand-written test values in ENCORE's layout, not ENCORE's ratings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from junkan.core.errors import ModelError
from junkan.nature import NatureInputError
from junkan.nature.encore import evaluate, read_ratings
from junkan.nature.encore_report import evaluate_blocks, risk_blocks
from junkan.nature.results import TEXT
from junkan.nature.risk import rate
from junkan.nature.schema import load

FIX = Path(__file__).parent / "fixtures"
DEPS, PRES = FIX / "encore_dependencies.csv", FIX / "encore_pressures.csv"
HEAD = ("ISIC Unique code,ISIC Section,ISIC Division,ISIC Group,ISIC Class,"
        "ISIC level used for analysis,Water supply,Pollination\n")
ROW = "A_1_12_127,A,Crops,Perennial,Growing of beverage crops,Class,"


def test_published_layout_is_read_with_its_codes() -> None:
    d = read_ratings(DEPS, "dependencies")  # a title row above the header, as some releases
    assert d.columns[:3] == ["Water supply", "Pollination", "Soil quality regulation"]
    coffee = d.lookup("0127")
    assert coffee is not None and (coffee.code, coffee.line) == ("A_1_12_127", 3)
    assert coffee.ratings == {"Water supply": "VH", "Pollination": "M",
                              "Soil quality regulation": "H", "Water flow regulation": "ND",
                              "Rainfall pattern regulation": "N/A"}
    assert d.lookup("0129") is None  # rubber is not in the fixture: no row, no made-up one
    with pytest.raises(NatureInputError, match=r"ISIC 3510 has 2 rows .*encore: activity:"):
        d.lookup("3510")  # a group-level code ENCORE splits into several rows
    hydro = d.lookup("3510", "hydropower production")
    assert hydro is not None and hydro.klass is None and hydro.ratings["Water supply"] == "VH"


@pytest.mark.parametrize(("text", "message"), [
    (HEAD + ROW + "VH,High\n", r"line 2, column 'Pollination': 'High' is not an ENCORE rating"),
    (HEAD + ROW + "VH,\n", r"line 2, column 'Pollination': empty is not an ENCORE rating"),
    (HEAD + ROW + "VH\n", r"line 2, column 'Pollination': empty"),
    (HEAD + ROW + "VH,M,L\n", r"line 2: 9 cells, the header has 8"),
    (HEAD + "0127" + ROW[10:] + "VH,M\n", r"line 2, column 'ISIC Unique code': '0127' is not"),
    (HEAD + ROW + "VH,M\n" + ROW + "H,M\n", r"line 3: A_1_12_127 .* repeats line 2"),
    ("code,Water supply\nA_1_12_127,VH\n", r"no column 'ISIC Unique code' in the first 5"),
    (HEAD.replace("Pollination", "Area of land use") + ROW + "VH,M\n",
     r"looks like '07. Pressure mat ratings.csv', given as encore: dependencies"),
    (HEAD, r"no activity rows below the header"),
])
def test_bad_files_name_the_file_line_and_column(tmp_path: Path, text: str,
                                                 message: str) -> None:
    p = tmp_path / "06. Dependency mat ratings.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(NatureInputError, match=message) as err:
        read_ratings(p, "dependencies")
    assert str(p) in str(err.value)


def test_windows_1252_export_and_trailing_space_in_a_header(tmp_path: Path) -> None:
    p = tmp_path / "deps.csv"
    text = HEAD.replace("analysis,", "analysis ,") + ROW.replace("beverage", "bev\xa0erage")
    p.write_bytes((text + "vh,n/a\n").encode("cp1252"))
    d = read_ratings(p, "dependencies")
    a = d.lookup("0127")
    assert a is not None and a.level == "Class" and a.ratings == {"Water supply": "VH",
                                                                   "Pollination": "N/A"}
    assert d.encoding == "cp1252" and d.notes


def test_missing_activity_or_class_is_no_rating_not_zero() -> None:
    d, p = read_ratings(DEPS, "dependencies"), read_ratings(PRES, "pressures")
    ev = evaluate(["coffee", "rubber", "tea"], d, None, {"tea": "0127"})
    assert ev["coffee"]["dependencies"]["ratings"]["Water supply"] == "VH"
    assert ev["coffee"]["pressures"] == {"status": "not given"}
    assert ev["rubber"]["isic"] == "0129"  # the bundled class (UN ISIC Rev.4)
    assert ev["rubber"]["dependencies"] == {
        "status": "no rating", "reason": "ISIC 0129 is not in encore_dependencies.csv"}
    assert ev["tea"]["isic_source"] == "your assessment (encore: isic:)"
    cocoa = evaluate(["cocoa"], d, p)["cocoa"]
    assert cocoa["isic"] is None and cocoa["pressures"]["reason"] == "no ISIC class"


QUIET: dict[str, float | None] = {"water_loss": 0.0, "vegetation_decline": 0.0}


def _area(**kw: Any) -> dict[str, Any]:
    return {"commodity": "coffee", "integrated": {"value": 5.0},
            "land_change": {"conversion_share": 0.0}, "protected_overlap_share": 0.0,
            "kba_overlap_share": None, "spi": {"latest": 0.3}, "drought": {"VCI_latest": 70.0},
            "C3.0": None} | kw


def _answer(deps: dict[str, str], pres: dict[str, str]) -> dict[str, Any]:
    def side(r: dict[str, str]) -> dict[str, Any]:
        return {"status": "rated", "activity": {"code": "A_1_12_127"}, "ratings": r}
    return {"dependencies": side(deps), "pressures": side(pres)}


def test_risk_weighs_measured_levels_by_encore_materiality() -> None:
    plain = rate(_area(), QUIET)
    assert plain["rating"] == "low"
    # Very high materiality raises a low measured state to medium (the data file's matrix)
    vh = rate(_area(), QUIET, None, _answer({"Water supply": "VH"}, {"Area of land use": "L"}))
    spi = vh["dependency"]["measures"]["spi_latest"]
    assert (spi["state"], spi["materiality"], spi["level"]) == ("low", "VH", "medium")
    assert vh["dependency"]["level"] == "medium" and vh["rating"] == "medium"
    assert "ENCORE matrix" in vh["method"]
    # a medium measured conversion under a low pressure rating stays low
    conv = rate(_area(land_change={"conversion_share": 0.02}), QUIET, None,
                _answer({}, {"Area of land use": "L"}))
    assert conv["impact"]["measures"]["conversion_share"]["level"] == "low"
    # N/A on every column: no link, not counted; ND: the measured level stands
    na = rate(_area(spi={"latest": -2.0}), QUIET, None, _answer(
        {"Water supply": "N/A", "Rainfall pattern regulation": "N/A",
         "Soil quality regulation": "ND"}, {}))
    assert na["dependency"]["measures"]["spi_latest"]["level"] is None
    assert na["dependency"]["measures"]["vegetation_decline"]["materiality"] is None
    assert na["dependency"]["measures"]["vegetation_decline"]["level"] == "low"
    # the activity missing from the file: measured levels, said so
    none = rate(_area(), QUIET, None, {"dependencies": {"status": "no rating", "reason": "x"},
                                       "pressures": {"status": "not given"}})
    assert none["rating"] == "low" and none["dependency"]["encore"]["status"] == "no rating"


def test_report_shows_the_ratings_and_the_matrix_in_both_languages() -> None:
    d, p = read_ratings(DEPS, "dependencies"), read_ratings(PRES, "pressures")
    r = SimpleNamespace(encore={"source": "fixture", "commodities": evaluate(
        ["coffee", "rubber"], d, p)})
    words = {"en": ("no rating", "very high", "high", "medium", "no data"),
             "ja": ("評価なし", "非常に高い", "高い", "中程度", "データなし")}
    for lang, (no_rating, vh, h, m, nd) in words.items():
        blocks = evaluate_blocks(r, TEXT[lang])
        coffee, rubber = (b for b in blocks if b.kind == "table")
        assert any(b.text == "coffee: ISIC 0127 — A_1_12_127 Growing of beverage crops ("
                   + ("line" if lang == "en" else "行") + " 3)" for b in blocks)
        assert [row[1:] for row in coffee.rows[:4]] == [  # highest first, ND last
            ["Water supply", f"VH ({vh})"], ["Soil quality regulation", f"H ({h})"],
            ["Pollination", f"M ({m})"], ["Water flow regulation", f"ND ({nd})"]]
        assert "Rainfall pattern regulation" not in {row[1] for row in coffee.rows}  # N/A
        assert rubber.rows[0][1:] == ["ISIC 0129 is not in encore_dependencies.csv", no_rating]
        rule = risk_blocks(r, TEXT[lang])
        assert any(b.kind == "defs" and "ENCORE VH" in b.items for b in rule)
    assert evaluate_blocks(SimpleNamespace(encore=None), TEXT["en"]) == []


def test_assessment_field_and_cli_options(tmp_path: Path) -> None:
    from junkan.cli.nature import with_encore
    from junkan.nature.encore import assess_encore

    doc = {"areas": "areas.geojson", "scenes": [{"path": "s.tif", "date": "2024-01-01"}],
           "encore": {"dependencies": str(DEPS), "isic": {"tea": "0127"}}}
    a = load(doc=doc, base=tmp_path)
    enc = assess_encore(a, ["coffee", "tea"])
    assert enc is not None and enc["files"]["dependencies"]["activities"] == 4
    assert enc["commodities"]["tea"]["dependencies"]["status"] == "rated"
    both = with_encore(a, None, PRES)  # the command line adds a file, keeps the rest
    assert both.spec.encore is not None and both.spec.encore.pressures == str(PRES.resolve())
    assert both.spec.encore.isic == {"tea": "0127"}
    with pytest.raises(ModelError, match="four digits"):
        load(doc=doc | {"encore": {"dependencies": "x.csv", "isic": {"tea": "127"}}})
    with pytest.raises(ModelError, match="and/or pressures"):
        load(doc=doc | {"encore": {"isic": {"tea": "0127"}}})
    with pytest.raises(NatureInputError, match="no such file"):
        assess_encore(load(doc=doc | {"encore": {"pressures": "none.csv"}}, base=tmp_path),
                      ["coffee"])
