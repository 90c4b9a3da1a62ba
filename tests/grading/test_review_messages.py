"""The grade and passport messages of the 2026-12-03 review (/tmp/reports/caps_review.md,
part C) that were still unclear: a failed window shown in two spellings of its unit, a
wrong type told in pydantic's words (``constrained-str``) or twice, problems told one stage
at a time, a huge decimal number said against an integer limit, clashing passport names
without the ids, and a JSON array read as a broken Battery Pass."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from junkan import grading
from junkan.core.errors import ModelError


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as exc:
        grading.run(grading.load(text=text))
    return [(p.path, p.message) for p in exc.value.problems]


def _item(id: str, extra: str = "") -> str:
    return (f"  - {{id: {id}, kind: recycled_material, material: {{name: PP}}, "
            f"quantity: {{mass: 1}}{extra}}}\n")


# item 2: the value and the window it is outside, in one unit and one spelling


def test_a_failed_window_is_shown_in_the_unit_the_value_is_shown_in() -> None:
    text = textwrap.dedent("""
        criteria:
          - id: t
            version: "1"
            title: t
            status: assumption
            assumption_reason: test
            source: test
            rules:
              - {type: range, property: mfr, min: "8 g/(10 min)", max: "2.5 g/min"}
              - {type: range, property: tensile_strength, min: "20 MPa"}
              - {type: range, property: restricted.pbde_sum, max: "0.035 %"}
        items:
          - id: a
            kind: recycled_material
            material: {name: PP}
            quantity: {mass: 1}
            properties:
              mfr: {value: "25.0001 g/(10 min)"}
              tensile_strength: {value: "19.999 MPa"}
            restricted: {pbde_sum: "351 mg/kg"}
        """)
    [row] = grading.run(grading.load(text=text)).rows()
    assert row["failed"] == [
        "mfr = 25.0001 g/10 min outside [8 g/10 min, 25 g/10 min]",
        "tensile_strength = 19.999 MPa outside [20 MPa, −]",
        "restricted.pbde_sum = 351 mg/kg outside [−, 350 mg/kg]",
    ]
    for said in row["failed"]:  # one spelling of the unit on either side
        value_unit = re.search(r"= [-\d.e+]+ (.+?) outside", said)
        assert value_unit is not None
        for limit in re.findall(r"[\[,] ?([^\[\],]+)", said.split("outside")[1]):
            assert limit.strip() == "−" or limit.strip().endswith(value_unit[1]), said


# item 3: which field, what was given, what is expected — once, in words


def test_a_wrong_type_says_what_was_given_and_what_is_expected() -> None:
    text = ("criteria: [rpp-injection]\nitems:\n"
            + _item("5", ", attributes: {x: 5, y: [red, 2]}, properties: {mfr: {value: [1]}}"))
    problems = _problems(text)
    assert problems == [
        ("items[0].id", "expected text, got 5 (a number)"),
        ("items[0].properties.mfr.value", "expected a number or a quantity with its unit, "
         "such as '14 g/(10 min)', got [1] (a list)"),
        ("items[0].attributes.x", "expected text or a list of texts, got 5 (a number)"),
        ("items[0].attributes.y", "expected a list of texts, but one entry is 2 (a number)"),
    ]
    assert not any("constrained-str" in p or "valid string" in m for p, m in problems)


def test_a_too_long_attribute_is_told_once() -> None:
    problems = _problems("criteria: [rpp-injection]\nitems:\n"
                         + _item("a", f", attributes: {{note: {'x' * 250}}}"))
    assert problems == [("items[0].attributes.note",
                         "an attribute's text has at most 200 characters, got 250")]


def test_the_published_schema_is_unchanged_by_the_messages() -> None:
    from junkan.grading.publish import TARGET

    assert grading.json_schema() == json.loads(TARGET.read_text("utf-8"))


# item 4: every item's and every criteria set's problems in one go


def test_the_problems_of_all_items_and_all_criteria_come_together() -> None:
    text = textwrap.dedent("""
        criteria:
          - rpp-injection
          - no-such-set
          - id: t
            version: "1"
            title: t
            status: sourced
            source: s
            rules:
              - {type: range, property: mfr}
              - {type: enum, attribute: colour, allowed: [red]}
        items:
        """) + _item("a", ', properties: {mfr: {value: "14 MPa"}}, composition: {Fe: 1, fe: 2}') \
        + _item("b", ', properties: {smell: {value: "1 %"}}, restricted: {xx: 1}')
    paths = [p for p, _ in _problems(text)]
    assert paths == [
        "items[0].properties.mfr.value",
        "items[0].composition.fe",
        "items[1].properties.smell.value",
        "items[1].restricted.xx",
        "criteria[1]",
        "t.rules[0]",
        "t.rules[1].attribute",
    ]


def test_the_problems_told_together_are_capped() -> None:
    items = "".join(_item(f"i{k}", ', properties: {mfr: {value: "14 MPa"}}') for k in range(120))
    with pytest.raises(ModelError) as exc:
        grading.load(text="criteria: [rpp-injection]\nitems:\n" + items)
    problems = exc.value.problems
    assert len(problems) == 101
    assert problems[99].path == "items[99].properties.mfr.value"
    assert problems[100].kind == "more-problems" and "120 errors in all" in problems[100].message


# item 1 / 7: a huge decimal number is said to be a number beyond the limit


def test_a_huge_decimal_in_a_json_grading_document_is_a_number_beyond_the_limit() -> None:
    doc = {"criteria": ["rpp-injection"], "items": [
        {"id": "a", "kind": "part", "material": {"name": "PP"}, "quantity": {"mass": 1e30}}]}
    [(path, message)] = _problems(json.dumps(doc))
    assert path == "items[0].quantity.mass"
    assert message.startswith("1e+30: number beyond ±9,007,199,254,740,992 (")
    assert "JUNKAN_LIMIT_INTEGER_MAGNITUDE, which bounds decimal numbers too" in message


# item 6: what a passport file must hold at its top level


@pytest.mark.parametrize("text", ['{"hello": 1}', "[1]", '"text"'])
def test_a_json_that_is_no_passport_says_what_either_kind_holds(text: str) -> None:
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport(text, source="x.json")
    [p] = exc.value.problems
    assert p.kind == "passport-unknown-kind" and exc.value.source == "x.json"
    assert p.message.startswith("neither an AAS V3.0 environment nor a Battery Pass document")
    assert "'assetAdministrationShells' or 'submodels' at its top level" in p.message
    assert "GeneralProductInformation" in p.message
    with pytest.raises(grading.GradingError) as exc:  # a format given is read as that format
        grading.read_passport("[1]", "batterypass")
    assert [p.kind for p in exc.value.problems] == ["pass-not-object"]
