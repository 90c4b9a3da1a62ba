"""A source's graded record that lacks what the soil-mlit classes read is refused, naming
the source and the property: without its cone index it fell to the fallback class (mud)
and all its soil went to disposal as having no taker, without a word."""

from __future__ import annotations

from typing import Any

import pytest

from junkan import market
from junkan.core.errors import ModelError
from tests.market.test_soil import doc, solve


def _record(properties: dict[str, Any], soil_type: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": "soil-S", "kind": "recycled_material",
                            "material": {"name": "soil"}, "properties": properties,
                            "quantity": {"mass": "180 t"}}
    if soil_type:
        item["attributes"] = {"soil_type": soil_type}
    return {"id": "S", "location": {"lat": 0.0, "lon": 0.0}, "volumes": [100, 0], "item": item}


def test_a_record_without_its_cone_index_is_refused_not_sent_to_disposal() -> None:
    d = doc()
    d["sources"][0] = _record({})
    with pytest.raises(ModelError, match=r"sources\[0\]\.item\.properties: source 'S': its "
                                         r"record gives no cone_index"):
        solve(d)


@pytest.mark.parametrize(("properties", "soil_type", "cls"), [
    ({}, "G", "soil-class-1"),  # gravel: class 1 whatever its cone index
    ({"cone_index": {"value": "100 kN/m**2"}}, "SF", "mud"),  # measured, and mud indeed
    ({"cone_index": {"value": "900 kN/m**2"}}, "C", "soil-class-3"),  # clay: never class 2
])
def test_a_record_classed_without_a_missing_value_is_graded(
    properties: dict[str, Any], soil_type: str | None, cls: str
) -> None:
    d = doc()
    d["sources"][0] = _record(properties, soil_type)
    m = market.SoilMarket.model_validate(d)
    assert market.soil.grades_of(m) == [cls]


def test_a_period_listed_twice_is_named_with_its_positions() -> None:
    d = doc(periods=["p1", "p1"])
    with pytest.raises(ValueError, match=r"a period is listed twice: 'p1' at periods\[0, 1\]"):
        market.SoilMarket.model_validate(d)


@pytest.mark.parametrize(("soil_type", "words"), [
    (None, "its record gives no soil_type, which the soil-mlit classes read"),
    ("sf", "its record gives soil_type 'sf', which no soil-mlit class lists"),
])
def test_a_record_without_a_soil_type_the_classes_list_is_refused(
    soil_type: str | None, words: str
) -> None:
    """Every class reads the soil type (review 283: a clay of 900 kN/m² was class 2 by its
    cone index alone): a record without one, or with one no class lists, would fall to
    mud and be sent to disposal."""
    d = doc()
    d["sources"][0] = _record({"cone_index": {"value": "900 kN/m**2"}}, soil_type)
    with pytest.raises(ModelError, match=r"sources\[0\]\.item\.attributes\.soil_type: "
                       rf"source 'S': {words} \(C, G, GF, GS, I, M, O, S, SF, SG, V\)"):
        solve(d)
