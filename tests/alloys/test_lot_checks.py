"""What a lot's analysis must be before the alloy tools believe it: an element the buyer
limits and the analysis does not give is *not measured* (never 0 wt %), a composition adds up
to at most 100 wt %, each lot once, every share finite and not negative; and the CLI's table
shows every warning its JSON carries."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from junkan.alloys import GradeError, GradeRequest, UpdateRequest
from junkan.alloys.data import Buyer, load_library
from junkan.alloys.feedback import Estimates, update
from junkan.alloys.grade import (
    TOTAL_TOLERANCE_WT_PCT,
    composition_rules,
    grade_composition,
    grade_samples,
)
from junkan.alloys.predict import TRACKED, FeedPlan
from junkan.api.work import alloys_job
from junkan.cli.main import app

LIB = load_library()
FEED = {"vehicles": [{"vehicle": "makerA_kei_2008_icev", "count": 20}],
        "remove": ["battery_cells"], "grain_mm": 65}
CATALOGUES = Path(__file__).parents[2] / "src" / "junkan" / "web" / "static" / "i18n"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cli(tmp_path: Path, verb: str, doc: dict[str, Any], *args: str) -> Any:
    f = tmp_path / "in.yaml"
    f.write_text(yaml.safe_dump(doc))
    return CliRunner().invoke(app, ["alloy", verb, str(f), *args])


# 1. grade: an element the spec limits but the lot does not give is not measured

def test_a_lot_missing_a_limited_element_is_not_declared_compliant() -> None:
    buyer = LIB.buyers["casting_premium"]  # max Fe, Mg, Zn, Li, Pb, Sn
    g = grade_composition({"Fe": 0.45, "Mg": 0.30, "Zn": 0.33}, buyer)
    assert g["met"] is None and g["status"] == "not measured"
    assert g["unmeasured"] == ["Li", "Pb", "Sn"] and g["price_JPY_per_kg"] is None
    assert g["elements"]["Li"] == {"value": None, "measured": False, "max": 0.002,
                                   "met": None, "margin": None, "relative_margin": None}
    assert g["limiting_element"] == "Zn"  # among the measured ones
    assert "Li, Pb, Sn not measured" in g["warnings"][0]
    # a measured element over its limit still fails the lot, unmeasured or not
    bad = grade_composition({"Fe": 0.6, "Mg": 0.30, "Zn": 0.33}, buyer)
    assert bad["met"] is False and bad["price_JPY_per_kg"] == 200
    assert bad["unmeasured"] == ["Li", "Pb", "Sn"] and "fails the spec" in bad["warnings"][0]
    full = grade_composition({"Fe": 0.45, "Mg": 0.30, "Zn": 0.33, "Li": 0.001, "Pb": 0.05,
                              "Sn": 0.05}, buyer)
    assert full["met"] is True and full["unmeasured"] == [] and full["warnings"] == []


def test_a_minimum_limit_on_an_unmeasured_element_fails() -> None:
    buyer = Buyer(name="needs Si", max={"Fe": 1.0}, min={"Si": 7.0},
                  price_met_JPY_per_kg=300, price_not_met_JPY_per_kg=200, source="test")
    g = grade_composition({"Fe": 0.5}, buyer)
    assert g["met"] is False and g["status"] == "not met" and g["price_JPY_per_kg"] == 200
    assert g["elements"]["Si"]["met"] is False and g["unmeasured"] == ["Si"]
    assert "a minimum on Si fails" in g["warnings"][0]
    low = grade_composition({"Fe": 0.5, "Si": 6.0}, buyer)
    assert low["met"] is False and low["limiting_element"] == "Si"
    assert low["elements"]["Si"]["margin_low"] == pytest.approx(-1.0)


def test_cli_and_api_grade_an_unmeasured_lot_the_same(tmp_path: Path) -> None:
    doc = {"composition": {"Fe": 0.45, "Mg": 0.30, "Zn": 0.33}, "buyer": "casting_premium"}
    res = _cli(tmp_path, "grade", doc, "--format", "json")
    assert res.exit_code == 0, res.output
    # what POST /api/alloys/grade answers (the service's job on the validated body)
    api = alloys_job("grade", GradeRequest.model_validate(doc))
    assert json.loads(res.stdout) == api
    assert api["grades"]["casting_premium"]["met"] is None
    table = _cli(tmp_path, "grade", doc)
    assert table.exit_code == 0, table.output
    out = _flat(table.output)
    assert "unknown" in out and "Li, Pb, Sn" in out
    assert _flat(api["grades"]["casting_premium"]["warnings"][0]) in out


def test_a_buyer_cannot_limit_an_element_no_lot_or_sample_carries() -> None:
    with pytest.raises(ValidationError) as err:
        Buyer(name="x", max={"Cr": 0.1}, price_met_JPY_per_kg=1, price_not_met_JPY_per_kg=0,
              source="test")
    assert err.value.errors()[0]["type"] == "buyer-unknown-elements"
    buyer = LIB.buyers["casting_premium"]
    comp = np.zeros((4, len(TRACKED) - 1))
    short = tuple(e for e in TRACKED if e != "Li")  # samples without Li: never read as 0
    with pytest.raises(GradeError, match="Li"):
        grade_samples(comp, short, buyer)


# 2. update: refuse what no analysis can be

def test_update_refuses_a_lot_above_100_wt_pct_naming_the_lot_and_total(
        tmp_path: Path) -> None:
    lots = [{"lot": "L001", "composition": {"Si": 99, "Fe": 2}},
            {"lot": "L002", "composition": {"Si": 8.2, "Fe": 1.2}}]
    res = _cli(tmp_path, "update", {"feed": FEED, "lots": lots})
    assert res.exit_code == 2, res.output
    out = _flat(res.output)
    assert "lots[0]: lot 'L001': the elements add up to 101 wt %, above 100 wt %" in out
    assert f"{TOTAL_TOLERANCE_WT_PCT:g} wt % allowed for rounding" in out
    # within the stated rounding tolerance it is taken as it is
    edge = 100 + TOTAL_TOLERANCE_WT_PCT / 2
    UpdateRequest(feed=FEED, lots=[{"lot": "A", "composition": {"Si": edge - 1, "Fe": 1}}])
    with pytest.raises(GradeError, match="above 100"):
        grade_composition({"Si": 95, "Al": 5.5}, LIB.buyers["adc12_feed"])


def test_update_refuses_a_lot_id_given_twice_naming_both_places(tmp_path: Path) -> None:
    lots = [{"lot": "L001", "composition": {"Si": 8.1}},
            {"lot": "L002", "composition": {"Si": 8.2}},
            {"lot": "L001", "composition": {"Si": 8.3}}]
    res = _cli(tmp_path, "update", {"feed": FEED, "lots": lots})
    assert res.exit_code == 2, res.output
    assert "lot 'L001' is given twice: lots[0] and lots[2]" in _flat(res.output)


def test_update_refuses_an_empty_composition(tmp_path: Path) -> None:
    lots = [{"lot": "L001", "composition": {}}, {"lot": "L002", "composition": {"Si": 8}}]
    res = _cli(tmp_path, "update", {"feed": FEED, "lots": lots})
    assert res.exit_code == 2, res.output
    assert "lots[0]: lot 'L001': the composition is empty" in _flat(res.output)
    with pytest.raises(ValidationError, match="composition is empty"):
        GradeRequest(composition={})


@pytest.mark.parametrize("value,code", [(-1.0, "lot-negative"), (math.nan, "lot-not-finite"),
                                        (math.inf, "lot-not-finite"),
                                        (-math.inf, "lot-not-finite")])
def test_update_refuses_bad_shares_naming_the_lot_and_element(value: float,
                                                              code: str) -> None:
    # the API's body (JSON may carry NaN and Infinity) and the library's own call
    body = {"feed": FEED, "lots": [{"lot": "L7", "composition": {"Si": 8.0, "Fe": value}}]}
    with pytest.raises(ValidationError) as err:
        UpdateRequest.model_validate(body)
    e = err.value.errors()[0]
    assert e["type"] == code and e["loc"] == ("lots", 0)
    assert e["ctx"]["lot"] == "'L7'" and e["ctx"]["element"] == "'Fe'"
    assert "lot 'L7': 'Fe' is" in e["msg"]
    with pytest.raises(GradeError, match="'Fe' is"):
        update(Estimates.prior(LIB), FeedPlan(**FEED), {"Fe": value}, "spark_oes", lib=LIB)


@pytest.mark.parametrize("verb", ["grade", "update"])
def test_a_share_beyond_100_wt_pct_is_refused_naming_the_element(verb: str) -> None:
    # review 270: {"Fe": 1e308, "Si": 1e308} overflowed math.fsum (OverflowError, a 500 of
    # POST /api/alloys/grade and /update); the API's body is now refused as the CLI's file is
    comp = {"Fe": 1e308, "Si": 1e308}
    with pytest.raises(ValidationError) as err:
        if verb == "grade":
            GradeRequest.model_validate({"composition": comp})
        else:
            UpdateRequest.model_validate({"feed": FEED,
                                          "lots": [{"lot": "L9", "composition": comp}]})
    e = err.value.errors()[0]
    assert e["type"] == ("composition-share-above-100" if verb == "grade"
                         else "lot-share-above-100")
    assert e["ctx"]["element"] == "'Fe'"
    assert "'Fe' is 1e+308 wt %: a share cannot exceed 100 wt %" in e["msg"]
    assert {c for c, _, _ in composition_rules(comp)} == {"composition-share-above-100"}
    # a share of 100.05 wt % is within the rounding allowed; 100.2 is not
    assert not composition_rules({"Al": 100 + TOTAL_TOLERANCE_WT_PCT / 2})
    assert [c for c, _, _ in composition_rules({"Al": 100.2})] == [
        "composition-share-above-100"]


def test_a_lots_chart_leaves_out_lots_that_did_not_measure_the_element(
        tmp_path: Path) -> None:
    lots = [{"lot": "L001", "composition": {"Si": 8.0}},
            {"lot": "L002", "composition": {"Si": 8.2, "Fe": 1.2}},
            {"lot": "L003", "composition": {"Si": 8.1, "Fe": 1.3}}]
    res = _cli(tmp_path, "update", {"feed": FEED, "lots": lots}, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    fe = doc["control_charts"]["Fe"]
    assert fe["values"] == [1.2, 1.3] and fe["lots"] == ["L002", "L003"]  # no 0 for L001
    assert fe["centre"] == pytest.approx(1.25)
    assert doc["control_charts"]["Si"]["lots"] == ["L001", "L002", "L003"]
    assert any("not measured in lot(s) L001" in w for w in doc["warnings"])


def test_every_composition_rule_has_a_message_in_both_languages() -> None:
    en = json.loads((CATALOGUES / "en.json").read_text("utf-8"))
    ja = json.loads((CATALOGUES / "ja.json").read_text("utf-8"))
    codes = {"lot-repeated", "buyer-unknown-elements", "samples-missing-elements"}
    for lot in (None, "L1"):
        rules = composition_rules({}, lot=lot) + composition_rules(
            {"Xx": 1.0, "Si": 200.0, "Fe": -1.0, "Mg": math.nan}, lot=lot) + composition_rules(
            {"Si": 60.0, "Fe": 50.0}, lot=lot)
        assert len(rules) == 6
        codes |= {code for code, _, _ in rules}
        for code, template, _ in rules:
            assert en[f"val.{code}"] == template
    missing = sorted(c for c in codes if f"val.{c}" not in en or f"val.{c}" not in ja)
    assert len(codes) == 15 and not missing, missing


# 3. predict: the table shows the warnings the JSON carries

def test_predict_table_prints_every_warning_of_the_json(tmp_path: Path) -> None:
    feed = {"vehicles": [{"vehicle": "makerB_compact_2021_bev", "count": 10}],
            "grain_mm": 65, "samples": 100}  # battery cells left in: against the law
    doc = json.loads(_cli(tmp_path, "predict", feed, "--format", "json").stdout)
    assert doc["warnings"] and "battery_cells left in 10 vehicle(s)" in doc["warnings"][0]
    res = _cli(tmp_path, "predict", feed)
    assert res.exit_code == 0, res.output
    out = _flat(res.output)
    for w in doc["warnings"]:
        assert f"warning: {_flat(w)}" in out
