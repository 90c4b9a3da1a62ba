"""Ids used more than once in a document's list are refused by one check
(:mod:`junkan.core.unique`) naming each such id and where it stands."""

from __future__ import annotations

import pytest

from junkan.core.unique import repeated, unique_ids, unique_problem
from junkan.market import Market


def test_each_id_used_more_than_once_is_named_with_its_positions() -> None:
    assert repeated(["b", "a", "b", "c", "a", "b"]) == {"b": [0, 2, 5], "a": [1, 4]}
    assert unique_problem(["a", "b", "c"], "items") is None
    p = unique_problem(["a", "b", "a", "b"], "items", "item ids")
    assert p is not None and p.path == "items"
    assert p.render("lots.yaml") == ("lots.yaml:items: item ids used more than once: 'a' at "
                                     "items[0, 2]; 'b' at items[1, 3]; give each entry its own")


def test_a_long_list_of_repeats_is_cut_with_counts() -> None:
    p = unique_problem(["brass"] * 12 + [str(i % 7) for i in range(14)] + ["x" * 500] * 2,
                       "classes", "class names", fix="list each class once")
    assert p is not None
    assert "'brass' at classes[0, 1, 2, 3, 4, 5, 6, 7, …] (12 times)" in p.message
    assert "'0' at classes[12, 19]" in p.message and "(and 4 more)" in p.message
    assert "xxxx" not in p.message and p.message.endswith("; list each class once")
    with pytest.raises(ValueError, match=r"^m\.json:classes: class names used more than once"):
        unique_ids(["brass"] * 2, "classes", "class names", source="m.json")


def test_a_market_names_the_lots_used_twice_and_where() -> None:
    lot = {"seller": "s", "location": {"lat": 35.0, "lon": 139.0},
           "item": {"id": "x", "kind": "part", "material": {"name": "PP"},
                    "quantity": {"mass": "1 t"}}}
    doc = {"lots": [lot | {"id": i} for i in ("l1", "l2", "l1")]}
    with pytest.raises(ValueError, match=r"lots: ids used more than once: 'l1' at lots\[0, 2\]"):
        Market.model_validate(doc)

