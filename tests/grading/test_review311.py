"""Review 311 (grading): a set for one material (the ISRI aluminium grades, EU copper
end-of-waste, the soil classes) names it (``materials``), so a lot of another material is
*no* for it — "the set is for aluminium, the lot is PP" — not unknown for want of values
only that material has; a lot of the right material, by any accepted spelling or case, is
judged as before. Blends and the market follow."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from junkan import grading, market
from tests.market.test_match import _base

DAY = date(2026, 12, 7)
ROOT = Path(__file__).resolve().parents[2]


def _lot(name: str, id: str = "a", **over: Any) -> grading.Item:
    return grading.Item.model_validate({
        "id": id, "kind": "recycled_material", "material": {"name": name},
        "quantity": {"mass": "1 t"}, **over})


TWITCH = {"properties": {"free_zn": {"value": "0.5 %"}, "free_mg": {"value": "0.5 %"}},
          "composition": {"Fe": 0.4}, "attributes": {"separation": "float_sink"}}


def test_a_lot_of_another_material_is_no_with_the_reason() -> None:
    res = grading.grade([_lot("PP"), _lot("aluminium", id="b")],
                        ["isri-twitch", "soil-class-1"], as_of=DAY)
    rows = {(r["item"], r["criteria"]): r for r in res.rows(codes=True)}
    pp, al = rows["a", "isri-twitch"], rows["b", "soil-class-1"]
    assert (pp["met"], pp["verdict"]) == (False, "not met")  # was unknown: measure free_zn
    assert pp["failed"] == ["the set is for aluminium, the lot is PP"]
    assert "unmeasured" not in pp
    assert pp["reasons"] == [{"code": "grade-other-material",
                              "params": {"material": "aluminium", "name": "PP"}}]
    assert al["failed"] == ["the set is for soil, the lot is aluminium"]
    assert rows["b", "isri-twitch"]["met"] is None  # the right material: unknown, as before


def test_spellings_and_case_of_the_right_material_are_judged_as_before() -> None:
    names = ["aluminium", "Aluminum", "ALUMINIUM", " aluminum ", "ＡＬＵＭＩＮＩＵＭ"]
    lots = [_lot(n, id=str(k), **TWITCH) for k, n in enumerate(names)]
    res = grading.grade(lots, ["isri-twitch"], as_of=DAY)
    assert [r["met"] for r in res.rows()] == [True] * len(names)
    assert grading.grade([_lot("Soil", properties={"cone_index": {"value": "900 kN/m**2"}},
                               attributes={"soil_type": "SF"})], ["soil-mlit"],
                         as_of=DAY).classes["soil-mlit"] == ["soil-class-2"]


def test_a_soil_family_tells_another_material_no_better_class_to_state() -> None:
    res = grading.grade([_lot("PP")], ["soil-mlit"], as_of=DAY)
    assert res.better_unknown["soil-mlit"] == [[]]
    assert res.classes["soil-mlit"] == [None]  # not the fallback "mud": it is not soil
    assert res.class_notes() == [
        "a: no soil-mlit class: its classes are for soil and the lot is PP"]


def test_a_blend_of_aluminium_lots_is_aluminium_and_one_with_pp_is_not() -> None:
    cs = grading.shipped_sets()["isri-twitch"]
    compiled = grading.compile_sets([cs], DAY)
    al = [_lot("aluminium", id="x", **TWITCH), _lot("Aluminum", id="y", **TWITCH)]
    mixed = [al[0], _lot("PP", id="z", **TWITCH)]
    for items, want in ((al, True), (mixed, False)):
        blend = grading.blend(items, [1.0, 2.0])
        row = grading.grade([blend], [cs], as_of=DAY).rows()[0]
        met, unknown = grading.derive_verdicts(
            compiled, grading.build_table(compiled, items, DAY), [1.0, 2.0])
        assert (row["met"], bool(met[0]), bool(unknown[0])) == (want, want, False)
    assert row["failed"] == ["the set is for aluminium, the lot is PP"]  # its odd input
    gate, _, _ = grading.linear_terms(compiled.sets[0],
                                      grading.build_table(compiled, mixed, DAY))
    assert gate.tolist() == [True, False]


def test_a_scope_is_validated() -> None:
    base = {"id": "s", "version": "1", "title": "t", "status": "sourced", "source": "s",
            "rules": [{"type": "range", "property": "composition.Fe", "max": 1.0}]}
    with pytest.raises(ValidationError):
        grading.CriteriaSet.model_validate({**base, "materials": []})
    with pytest.raises(ValidationError):
        grading.CriteriaSet.model_validate({**base, "materials": "aluminium"})
    assert grading.CriteriaSet.model_validate(base).materials is None


def test_the_example_says_no_for_the_cross_material_pairs() -> None:
    for path in (ROOT / "examples/market/grade.yaml",
                 ROOT / "src/junkan/data/examples/market/grade.yaml"):
        res = grading.run(grading.load(path), as_of=DAY)
        rows = {(r["item"], r["criteria"]): r["met"] for r in res.rows()}
        assert rows["rpp-17", "isri-twitch"] is False
        assert rows["twitch-3", "soil-class-1"] is False
        assert rows["twitch-3", "isri-twitch"] is True
        assert rows["soil-A", "soil-class-2"] is True


def test_the_catalogues_say_the_reason_word_for_word() -> None:
    from junkan.core.errors import fill_in
    from tests.web.test_catalogue import _catalogue

    row = grading.grade([_lot("PP")], ["isri-tweak"], as_of=DAY).rows(codes=True)[0]
    why = row["reasons"][0]
    assert fill_in(_catalogue("en")[f"val.{why['code']}"], why["params"]) == row["failed"][0]
    assert "{" not in fill_in(_catalogue("ja")[f"val.{why['code']}"], why["params"])


def test_the_market_says_the_lot_is_another_material() -> None:
    doc = _base()
    doc["conditions"][0]["criteria"] = "isri-tweak"
    doc["lots"][1]["item"]["material"] = {"name": "PP"}
    res = market.run(market.load(text=json.dumps(doc)))
    assert "l1" not in {a["lot"] for a in res.to_json()["assignments"]}
    why = next(u for u in res.unmatched_rows() if u["lot"] == "l1")
    assert why["code"] == "grade"
    assert "the set is for aluminium, the lot is PP" in why["message"]


def test_the_published_condition_says_the_material() -> None:
    from junkan.market.odrl import rule_terms

    terms = rule_terms(grading.shipped_sets()["isri-twitch"])
    assert terms[0] == {"leftOperand": "jkm:material.name", "operator": "isAnyOf",
                        "rightOperand": grading.shipped_sets()["isri-twitch"].materials}
    assert "aluminum" in terms[0]["rightOperand"]
    zorba = rule_terms(grading.shipped_sets()["isri-zorba"])[0]  # scoped since 2026-12-08
    assert zorba["leftOperand"] == "jkm:material.name" and "zorba" in zorba["rightOperand"]
    from junkan.market.odrl import acceptance, check

    doc = _base()
    doc["conditions"][0]["criteria"] = "isri-tweak"
    offer = acceptance(market.load(text=json.dumps(doc)).conditions[0], "urn:uuid:x")
    assert check(offer) == []
