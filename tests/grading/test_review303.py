"""Review 303 (grading): a verdict is three-valued where the answer is not known. A lot that
meets every limit it gives a value for but leaves out a value a maximum reads is *unknown*
for that grade (``met`` None, ``verdict`` "unknown"), with the reason naming what to write
(``PE: 0`` for a PP lot analysed and found to hold none); one that fails a measured limit
is "no" whatever else is missing; a minimum on a value not given is failed — the rule of
``junkan alloy grade`` (:func:`junkan.alloys.grade.grade_composition`). The market neither
admits nor prices an unknown lot and says why apart from a fail; blends agree."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from junkan import grading, market
from junkan.alloys import load_alloy_library
from junkan.alloys.grade import grade_composition
from tests.market.test_match import _base

DAY = date(2026, 12, 7)
PE = grading.CriteriaSet.model_validate({
    "id": "pp-grade", "version": "1", "title": "t", "status": "partial", "source": "s",
    "rules": [{"type": "range", "property": "composition.PE", "max": 5},
              {"type": "range", "property": "composition.PP", "min": 90},
              {"type": "range", "property": "restricted.pbde_sum", "max": "500 mg/kg"}]})


def _pp(comp: dict[str, float], **over: Any) -> grading.Item:
    return grading.Item.model_validate({
        "id": "p", "kind": "recycled_material", "material": {"name": "PP"},
        "composition": comp, "quantity": {"mass": "1 t"},
        "restricted": {"pbde_sum": "10 mg/kg"}, **over})


OTHER = grading.Item.model_validate({"id": "o", "kind": "recycled_material",
                                     "material": {"name": "PP"}, "quantity": {"mass": "1 t"},
                                     "composition": {"PP": 96, "PE": 4},
                                     "restricted": {"pbde_sum": "10 mg/kg"}})
"""A lot that states PE: with it, a PE limit is no typo (:func:`unstated_key`)."""


def _row(item: grading.Item, cs: Any = PE) -> dict[str, Any]:
    return grading.grade([item, OTHER], [cs], as_of=DAY).rows(codes=True)[0]


def test_a_pp_lot_without_pe_is_unknown_and_told_to_write_pe_0() -> None:
    row = _row(_pp({"PP": 99.5}))
    assert row["met"] is None and row["verdict"] == "unknown"  # was "no", not measured
    assert row["unmeasured"] == ["composition.PE"]
    assert row["failed"] == ["composition.PE: not measured, so the grade is unknown: give PE "
                             "in the composition (PE: 0 if the analysis found none)"]
    assert row["reasons"] == [{"code": "grade-unknown-element",
                               "params": {"property": "composition.PE", "key": "PE"}}]
    assert _row(_pp({"PP": 99.5, "PE": 0}))["met"] is True  # written: met


def test_a_pe_limit_no_pp_lot_states_says_what_to_write() -> None:
    with pytest.raises(grading.GradingError, match=r"stated: PP; if 'PE' is meant, write it "
                       r"where it was analysed \('PE: 0' when none was found\)"):
        grading.grade([_pp({"PP": 99.5})], [PE], as_of=DAY)


def test_a_measured_fail_is_no_whatever_else_is_missing() -> None:
    row = _row(_pp({"PP": 80}))  # PP below its minimum, PE not given
    assert row["met"] is False and row["verdict"] == "not met"
    assert row["unmeasured"] == ["composition.PE"]  # still said: what else to measure
    row = _row(_pp({"PE": 1}))  # a minimum on PP, not measured: failed, as alloys says
    assert row["met"] is False and row["failed"] == ["composition.PP: not measured"]


def test_a_substance_and_a_property_not_given_are_unknown_under_a_maximum() -> None:
    row = _row(_pp({"PP": 99, "PE": 1}, restricted={}))
    assert row["met"] is None and row["failed"] == [
        "restricted.pbde_sum: not measured, so the grade is unknown: give pbde_sum under "
        "restricted (pbde_sum: 0 if the analysis found none)"]
    ash = grading.CriteriaSet.model_validate({
        "id": "ash", "version": "1", "title": "t", "status": "partial", "source": "s",
        "rules": [{"type": "range", "property": "ash", "max": "3 %"}]})
    row = _row(_pp({"PP": 99}), ash)
    assert row["met"] is None and row["reasons"][0]["code"] == "grade-unknown-property"


def test_the_catalogues_say_the_unknown_reasons_word_for_word() -> None:
    from junkan.core.errors import fill_in
    from tests.web.test_catalogue import _catalogue

    en, ja = _catalogue("en"), _catalogue("ja")
    for item in (_pp({"PP": 99.5}), _pp({"PP": 99, "PE": 1}, restricted={})):
        row = _row(item)
        for text, why in zip(row["failed"], row["reasons"], strict=True):
            assert fill_in(en[f"val.{why['code']}"], why["params"]) == text
            assert "{" not in fill_in(ja[f"val.{why['code']}"], why["params"])
    assert en["pp.unknown"] and ja["pp.unknown"] != en["pp.unknown"]


def test_the_record_and_the_command_line_say_unknown(tmp_path: Any) -> None:
    from junkan.cli.main import app

    record = grading.grade([_pp({"PP": 99.5}), OTHER], [PE], as_of=DAY).graded_items()[0]
    assert record["grades"][0]["met"] is None and record["grades"][0]["verdict"] == "unknown"
    f = tmp_path / "g.json"
    f.write_text(json.dumps({"criteria": [PE.model_dump(mode="json", exclude_none=True)],
                             "items": [it.model_dump(mode="json", exclude_none=True)
                                       for it in (_pp({"PP": 99.5}), OTHER)]}))
    out = CliRunner().invoke(app, ["grade", str(f), "--as-of", DAY.isoformat()])
    assert out.exit_code == 0, out.output
    assert "unknown" in out.output  # the met column: yes / no / unknown
    out = CliRunner().invoke(app, ["grade", str(f), "--as-of", DAY.isoformat(), "--format",
                                   "json"])
    row = json.loads(out.output)["grades"][0]
    assert row["met"] is None and "(PE: 0 if the analysis found none)" in row["failed"][0]


def test_the_alloy_buyer_sets_answer_as_alloy_grade_does() -> None:
    """One rule: grading's alloy-buyer sets and junkan alloy grade give the same verdict for
    compositions that leave elements out (minima and maxima)."""
    lib = load_alloy_library()
    comps = [{"Si": 6.8, "Fe": 0.45, "Cu": 1.2, "Mn": 0.2, "Mg": 0.3, "Zn": 0.3},
             {"Fe": 0.45}, {"Fe": 3.0}, {"Si": 10.0, "Fe": 0.2, "Cu": 2.0, "Mg": 0.1},
             {"Si": 10.0, "Fe": 0.2, "Cu": 2.0, "Mg": 0.1, "Zn": 0.5, "Mn": 0.1, "Ni": 0.05,
              "Ti": 0.05, "Pb": 0.05, "Sn": 0.05, "Li": 0.0}]
    for key, buyer in lib.buyers.items():
        for comp in comps:
            item = grading.Item.model_validate({
                "id": "a", "kind": "recycled_material", "material": {"name": "aluminium"},
                "composition": comp, "quantity": {"mass": "1 t"}})
            assert _row(item, f"alloy-buyer.{key}")["met"] == grade_composition(
                comp, buyer)["met"], (key, comp)


def test_the_market_tells_unknown_apart_and_does_not_price_it() -> None:
    doc = _base()
    del doc["lots"][1]["item"]["composition"]["Li"]
    res = market.run(market.load(text=json.dumps(doc)))
    assert "l1" not in {a["lot"] for a in res.to_json()["assignments"]}  # not a pass
    why = next(u for u in res.unmatched_rows() if u["lot"] == "l1")
    assert why["code"] == "grade_unknown"  # not "grade": a fail
    assert why["unmeasured"] == {"c0": ["composition.Li"]} and "analyse the lot" in \
        why["message"]
    doc["lots"][1]["item"]["composition"]["Fe"] = 50.0  # a measured fail as well: no
    why = next(u for u in market.run(market.load(text=json.dumps(doc))).unmatched_rows()
               if u["lot"] == "l1")
    assert why["code"] == "grade" and "composition.Fe = 50 wt %" in why["message"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.fixed_dictionaries({}, optional={
                              "PE": st.sampled_from([0.0, 2.0, 8.0]),
                              "PP": st.sampled_from([80.0, 90.0, 92.0])}).filter(bool),
                          st.sampled_from([1.0, 3.0])), min_size=1, max_size=3))
def test_blend_record_and_derived_verdicts_agree(parts: list) -> None:
    items = [_pp(c, id=f"i{k}") for k, (c, _) in enumerate(parts)] + [OTHER]
    masses = [m for _, m in parts] + [0.0]
    res = grading.grade([grading.blend(items, masses), OTHER], [PE], as_of=DAY)
    compiled = grading.compile_sets([PE], DAY)
    met, unknown = grading.derive_verdicts(compiled, grading.build_table(compiled, items, DAY),
                                           masses)
    assert (met[0], unknown[0]) == (res.met[0, 0], res.verdicts.unknown[0, 0])


@pytest.mark.parametrize("comp", [{"PP": 99.5}, {"PP": 99.5, "PE": 0}])
def test_a_seller_sees_unknown_in_its_offer(comp: dict[str, float]) -> None:
    res = grading.grade([_pp(comp), OTHER], [PE], as_of=DAY)
    assert [r["verdict"] for r in res.to_json()["grades"]] == (
        ["unknown", "met"] if "PE" not in comp else ["met", "met"])
