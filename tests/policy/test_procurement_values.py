"""A declared value (or a criterion's ``value``) that is neither true/false nor a number in
range is one problem of its field saying in plain words what is accepted — it used to be two
problems per field naming pydantic's union members (``….spare_parts_years.bool: Input should
be a valid boolean``, ``….constrained-float: …``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from junkan import policy
from junkan.core.errors import ModelError

LEAKS = ("bool", "constrained-float", "float", "function-", "union", "Input should")


def problems(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    with pytest.raises(ModelError) as err:
        policy.load(text=json.dumps(doc))
    return [(p.path, p.message, p.kind) for p in err.value.problems]


def declared(values: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "procurement_check", "item": "office_chair",
            "product": {"name": "Chair", "maker": "org-maker", "declared": values}}


@pytest.mark.parametrize("bad", ["seven", [7], {"years": 7}, None, 1e13, -2e12])
def test_a_wrong_declared_value_says_what_is_accepted(bad: Any) -> None:
    found = problems(declared({"take_back": True, "spare_parts_years": bad}))
    assert len(found) == 1, found
    path, message, kind = found[0]
    assert path == "product.declared.spare_parts_years"
    assert message.startswith("must be true or false, or a number from -10¹² to 10¹²; got ")
    assert kind == "declared-value-invalid"
    assert not any(leak in message or leak in path.split(".")[-1] for leak in LEAKS), found


def test_each_wrong_field_is_named_once() -> None:
    found = problems(declared({"take_back": "yes please", "spare_parts_years": "seven"}))
    assert [p for p, _, _ in found] == ["product.declared.take_back",
                                       "product.declared.spare_parts_years"]
    assert "got 'seven'" in found[1][1]


def test_a_criterion_value_is_said_the_same_way(tmp_path: Any) -> None:
    crit = tmp_path / "criteria.yaml"
    crit.write_text(json.dumps({"date": "2026-12-01", "items": {"office_chair": {
        "ja": "事務用いす", "en": "Office chairs", "source": "our tender",
        "criteria": [{"id": "spare", "ja": "補修部品", "en": "Spare parts",
                      "property": "spare_parts_years", "op": ">=", "value": "seven"}]}}}),
                    encoding="utf-8")
    with pytest.raises(ModelError) as err:
        policy.read_procurement_criteria(crit)
    [p] = err.value.problems
    assert p.path == "items.office_chair.criteria[0].value"
    assert p.message.startswith("must be true or false, or a number")


def test_good_values_still_read() -> None:
    chk = policy.load(text=json.dumps(declared({"take_back": True, "spare_parts_years": 8,
                                                "share": 0.5})))
    assert isinstance(chk, policy.Check)
    assert chk.product.declared == {"take_back": True, "spare_parts_years": 8.0, "share": 0.5}



@pytest.mark.parametrize(("item", "values", "key", "want"), [
    ("stamp_pad", {"recycled_plastic_share": 0.8, "refillable": 1}, "refillable",
     "true or false"),
    ("copy_paper", {"total_evaluation_value": True}, "total_evaluation_value", "a number"),
])
def test_a_number_for_a_true_or_false_criterion_is_refused_not_passed(
    item: str, values: dict[str, Any], key: str, want: str
) -> None:
    """``refillable: 1`` passed ``== true`` (1 == True in Python) and a criterion of a number
    declared ``true`` was only a fail: each is a problem of the declaration saying what to
    give (review 318)."""
    doc = {"kind": "procurement_check", "item": item,
           "product": {"name": "P", "maker": "org-maker", "declared": values}}
    chk = policy.load(text=json.dumps(doc))
    assert isinstance(chk, policy.Check)
    with pytest.raises(ModelError) as err:
        policy.run(chk)
    [p] = err.value.problems
    assert p.path == f"product.declared.{key}"
    assert p.message.endswith(f"give {want}"), p.message
