"""Review 310 (grading): an attribute an enumeration reads (``attributes.separation`` among
[float_sink], a material family, a soil type) that the lot does not state is *unknown* for
the grade — stated, it may be one allowed — with a reason saying what to state; a
certificate it does not hold stays a fail. Blends, the market and the ranked families
follow, as for a value not measured (review 303)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from junkan import grading, market
from tests.market.test_match import _base

DAY = date(2026, 12, 7)
SEP = grading.CriteriaSet.model_validate({
    "id": "twitch", "version": "1", "title": "t", "status": "partial", "source": "s",
    "rules": [{"type": "range", "property": "composition.Fe", "max": 1.0},
              {"type": "enum", "attribute": "attributes.separation", "allowed": ["float_sink"]},
              {"type": "enum", "attribute": "material.family", "allowed": ["wrought"]}]})
CERT = grading.CriteriaSet.model_validate({
    "id": "zorba", "version": "1", "title": "t", "status": "partial", "source": "s",
    "rules": [{"type": "certificate", "kind": "magnet_separated"}]})


def _al(attributes: dict[str, Any] | None = None, family: str | None = "wrought",
        **over: Any) -> grading.Item:
    return grading.Item.model_validate({
        "id": over.pop("id", "a"), "kind": "recycled_material",
        "material": {"name": "aluminium", **({"family": family} if family else {})},
        "composition": {"Fe": 0.4}, "quantity": {"mass": "1 t"},
        "attributes": attributes or {}, **over})


def _row(item: grading.Item, cs: Any = SEP) -> dict[str, Any]:
    return grading.grade([item], [cs], as_of=DAY).rows(codes=True)[0]


def test_an_attribute_not_stated_is_unknown_and_told_what_to_state() -> None:
    row = _row(_al())
    assert row["met"] is None and row["verdict"] == "unknown"  # was "no"
    assert row["unmeasured"] == ["attributes.separation"]
    assert row["failed"] == ["attributes.separation: not stated, so the grade is unknown: "
                             "state it (one of ['float_sink'] meets the rule)"]
    assert row["reasons"][0]["code"] == "grade-unknown-attribute"
    assert _row(_al({"separation": "float_sink"}))["met"] is True
    stated = _row(_al({"separation": "hand"}))  # stated and not allowed: no
    assert stated["met"] is False and "unmeasured" not in stated
    assert _row(_al({"separation": "float_sink"}, family=None))["unmeasured"] == [
        "material.family"]
    row = _row(_al({}, family="cast"))  # a stated fail is no, what is unstated still listed
    assert row["met"] is False and row["unmeasured"] == ["attributes.separation"]


def test_a_certificate_not_held_stays_no() -> None:
    row = _row(_al(), CERT)
    assert row["met"] is False and row["failed"] == ["no valid magnet_separated attestation"]
    assert "unmeasured" not in row


def test_the_catalogues_say_the_reason_word_for_word() -> None:
    from junkan.core.errors import fill_in
    from tests.web.test_catalogue import _catalogue

    en, ja = _catalogue("en"), _catalogue("ja")
    row = _row(_al())
    why = row["reasons"][0]
    assert fill_in(en[f"val.{why['code']}"], why["params"]) == row["failed"][0]
    assert "{" not in fill_in(ja[f"val.{why['code']}"], why["params"])


def test_a_soil_without_a_type_is_mud_with_the_better_classes_named() -> None:
    lot = grading.Item.model_validate({
        "id": "lot", "kind": "recycled_material", "material": {"name": "soil"},
        "quantity": {"mass": "1 t"}, "properties": {"cone_index": {"value": "900 kN/m**2"}}})
    res = grading.grade([lot], ["soil-mlit"], as_of=DAY)
    assert res.classes["soil-mlit"] == ["mud"]
    better = res.better_unknown["soil-mlit"][0]
    assert [b["criteria"] for b in better] == [f"soil-class-{k}" for k in (1, 2, 3, 4)]
    assert all(b["unmeasured"] == ["attributes.soil_type"] for b in better)
    assert res.class_notes()[0].startswith("lot: soil-class-1 unknown: state "
                                           "attributes.soil_type; ")


def test_blend_record_and_derived_verdicts_agree_on_unstated_attributes() -> None:
    cases = [({"separation": "float_sink"}, {}), ({"separation": "hand"}, {}),
             ({"separation": "float_sink"}, {"separation": "float_sink"}),
             ({}, {})]
    for a, b in cases:
        items = [_al(a, id="x"), _al(b, id="y", process={"route": "mechanical"})]
        blend = grading.blend(items, [1.0, 2.0])
        res = grading.grade([blend], [SEP], as_of=DAY)
        compiled = grading.compile_sets([SEP], DAY)
        met, unknown = grading.derive_verdicts(
            compiled, grading.build_table(compiled, items, DAY), [1.0, 2.0])
        assert (met[0], unknown[0]) == (res.met[0, 0], res.verdicts.unknown[0, 0]), (a, b)
    assert (met[0], unknown[0]) == (False, True)
    route = grading.CriteriaSet.model_validate({
        "id": "mech", "version": "1", "title": "t", "status": "partial", "source": "s",
        "rules": [{"type": "enum", "attribute": "process.route", "allowed": ["mechanical"]}]})
    both = [_al(id=k, process={"route": "mechanical"}) for k in "xy"]
    assert _row(grading.blend(both, [1.0, 1.0]), route)["met"] is True  # carried: was lost


def test_the_market_says_what_to_state() -> None:
    doc = _base()
    doc["conditions"][0]["criteria"] = {
        "id": "sep", "version": "1", "title": "t", "status": "sourced", "source": "test",
        "rules": [{"type": "enum", "attribute": "attributes.separation",
                   "allowed": ["float_sink"]}]}
    for k, lot in enumerate(doc["lots"]):
        if k != 1:
            lot["item"]["attributes"] = {"separation": "float_sink"}
    res = market.run(market.load(text=json.dumps(doc)))
    assert "l1" not in {a["lot"] for a in res.to_json()["assignments"]}
    why = next(u for u in res.unmatched_rows() if u["lot"] == "l1")
    assert why["code"] == "grade_unknown"
    assert why["unmeasured"] == {"c0": ["attributes.separation"]}
    assert "for an attribute, stated" in why["message"]
