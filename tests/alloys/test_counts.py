"""Vehicle counts are whole and at most ``predict.MAX_VEHICLES`` of a type, in files, API
bodies and library calls alike (review 270, low): a stock of 1,000,000,000 was answered "no
feed … (the capacity or minimum product constraint leaves nothing to plan)" with no capacity
given, and a predict body took count 1e300 (spreads came back null) and 0.5."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from junkan.alloys import PlanRequest, PredictRequest
from junkan.alloys.data import Buyer, load_library
from junkan.alloys.plan import PlanError, plan
from junkan.alloys.predict import MAX_VEHICLES

LIB = load_library()
KEI = "makerA_kei_2008_icev"
LOOSE = Buyer(name="Fe ≤ 5 %", max={"Fe": 5.0}, price_met_JPY_per_kg=300,
              price_not_met_JPY_per_kg=200, source="test")


@pytest.mark.parametrize(("count", "code"), [(1e300, "vehicle-count-range"),
                                             (MAX_VEHICLES + 1, "vehicle-count-range"),
                                             (0.5, "vehicle-count-not-whole"),
                                             (-1, "vehicle-count-range")])
def test_a_feed_line_count_is_whole_and_bounded(count: float, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        PredictRequest.model_validate({"vehicles": [{"vehicle": KEI, "count": count}]})
    e = err.value.errors()[0]
    assert e["type"] == code and e["loc"][0] == "vehicles" and "count" in e["msg"]


def test_a_stock_beyond_the_limit_is_refused_naming_the_vehicle() -> None:
    body = {"stock": {KEI: 1e9}, "buyer": LOOSE.model_dump(), "levers": False}
    with pytest.raises(ValidationError) as err:
        PlanRequest.model_validate(body)
    e = err.value.errors()[0]
    assert e["type"] == "vehicle-count-range" and e["loc"] == ("stock",)
    assert f"{KEI} is 1e+09" in e["msg"] and "10,000,000" in e["msg"]
    with pytest.raises(PlanError, match="at most 10,000,000 vehicles of a type"):
        plan({KEI: 1e9}, LOOSE, n=100, levers=False, lib=LIB)
    with pytest.raises(ValidationError, match="purchasable"):
        PlanRequest.model_validate({**body, "stock": {KEI: 5}, "purchasable": {KEI: 1e12},
                                    "capacity_vehicles": 1})


def test_the_limit_itself_is_planned() -> None:
    res = plan({KEI: MAX_VEHICLES}, LOOSE, n=100, levers=False, lib=LIB)
    assert res.status == "optimal" and res.counts[KEI] > 0
