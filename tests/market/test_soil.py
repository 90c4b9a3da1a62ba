"""Surplus-soil matching (junkan.market.run_soil): hand-checked routes and costs on sites
along the equator (1° of longitude = 6371.0088 km × π/180), the reason given for every m³
not matched, classification of graded records, and errors naming the field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan import market
from junkan.core.errors import ModelError

KM_PER_DEG = 6371.0088 * math.pi / 180
EXAMPLE = Path(market.__file__).parents[1] / "data" / "examples" / "soil" / "soil.yaml"


def at(km: float) -> dict[str, float]:
    return {"lat": 0.0, "lon": km / KM_PER_DEG}


def doc(**over: Any) -> dict[str, Any]:
    """Source S at 0 km (100 m³ in period 1), sink K at 20 km wanting 100 m³ in period 2,
    stockyard Y at 10 km, disposal D at −10 km; haul 1 JPY/(m³·km), straight lines."""
    d: dict[str, Any] = {
        "periods": ["p1", "p2"],
        "sources": [{"id": "S", "location": at(0), "grade": "A", "volumes": [100, 0]}],
        "sinks": [{"id": "K", "location": at(20), "accepts": ["A"], "demand": [0, 100]}],
        "stockyards": [
            {
                "id": "Y",
                "location": at(10),
                "capacity": 1000,
                "storage_cost": "2 JPY/m**3",
                "handling": "5 JPY/m**3",
            }
        ],
        "disposal": [{"id": "D", "location": at(-10), "gate_fee": "50 JPY/m**3"}],
        "haul": {"cost": "1 JPY/(m**3*km)", "source": "assumption: test"},
    }
    d.update(over)
    return d


def solve(d: dict[str, Any]) -> market.SoilResult:
    return market.run_soil(market.SoilMarket.model_validate(d))


def test_soil_waits_in_the_stockyard_when_that_is_cheaper_than_disposal() -> None:
    # stockyard: 10 km + 5 handling + 2 storage + 10 km out = 27 JPY/m³; disposal 10 + 50 = 60
    r = solve(doc())
    kinds = {(f["kind"], f["period"]): f["m3"] for f in r.flows()}
    assert kinds == {("to_stockyard", "p1"): 100.0, ("from_stockyard", "p2"): 100.0}
    s = r.summary()
    assert s["net_cost_JPY"] == pytest.approx(2700.0, rel=1e-6)
    assert s["matched_m3"] == 100.0 and s["disposed_m3"] == 0.0 and r.unmatched() == []
    assert s["haul_m3_km"] == pytest.approx(2000.0, rel=1e-6)


def test_cheap_disposal_wins_and_the_reason_names_both_costs() -> None:
    d = doc()
    d["disposal"][0]["gate_fee"] = "10 JPY/m**3"  # 10 km + 10 = 20 < 27
    r = solve(d)
    assert r.summary()["disposed_m3"] == 100.0
    (u,) = r.unmatched()
    assert u["code"] == "cheaper_to_dispose"
    assert "20 JPY/m³" in u["message"] and "27 JPY/m³" in u["message"]


def test_the_sinks_saving_on_purchased_soil_pays_for_a_longer_haul() -> None:
    d = doc()
    d["disposal"][0]["gate_fee"] = "10 JPY/m**3"
    d["sinks"][0]["virgin_cost"] = "10 JPY/m**3"  # 27 - 10 = 17 < 20
    r = solve(d)
    assert r.summary()["matched_m3"] == 100.0
    assert r.summary()["net_cost_JPY"] == pytest.approx(1700.0, rel=1e-6)


def test_a_full_stockyard_sends_the_rest_to_disposal_and_says_so() -> None:
    d = doc()
    d["stockyards"][0]["capacity"] = 60
    r = solve(d)
    assert r.summary()["matched_m3"] == pytest.approx(60.0)
    (u,) = r.unmatched()
    assert u["disposed_m3"] == pytest.approx(40.0) and u["code"] == "stockyard_full"


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (
            {"sinks": [{"id": "K", "location": at(20), "accepts": ["B"], "demand": [0, 100]}]},
            "no_sink_grade",
            "no sink accepts grade A",
        ),
        (
            {"haul": {"cost": 1, "max_km": 15, "source": "assumption: test"}},
            "too_far",
            "20.0 km away (longest haul allowed 15 km",
        ),
        (
            {"sinks": [{"id": "K", "location": at(20), "accepts": ["A"], "demand": [0, 0]}]},
            "no_demand",
            "take nothing in p1",
        ),
    ],
)
def test_each_reason_for_soil_not_matched(change: dict[str, Any], code: str, words: str) -> None:
    (u,) = solve(doc(**change, stockyards=[])).unmatched()
    assert u["code"] == code and words in u["message"]


def test_a_stockyard_relays_soil_beyond_the_longest_haul() -> None:
    # S → K is 20 km, over the 15 km allowed; S → Y and Y → K are 10 km each
    r = solve(doc(haul={"cost": 1, "max_km": 15, "source": "assumption: test"}))
    assert r.summary()["matched_via_stockyard_m3"] == 100.0


def test_demand_taken_by_a_closer_source() -> None:
    d = doc(stockyards=[])
    d["periods"] = ["p1"]
    d["sources"] = [
        {"id": "near", "location": at(15), "grade": "A", "volumes": [100]},
        {"id": "far", "location": at(0), "grade": "A", "volumes": [100]},
    ]
    d["sinks"][0]["demand"] = [100]
    d["disposal"][0]["gate_fee"] = 100
    r = solve(d)
    (u,) = r.unmatched()
    assert (u["source"], u["code"]) == ("far", "demand_taken")
    # near → K 5 km (500) + far → D 10 km + 100 fee (11,000)
    assert r.summary()["net_cost_JPY"] == pytest.approx(11_500.0, rel=1e-6)


def test_soil_with_nowhere_to_go_is_reported_unplaced() -> None:
    d = doc(disposal=[], stockyards=[])
    d["sinks"][0]["demand"] = [40, 0]
    r = solve(d)
    s = r.summary()
    assert s["matched_m3"] == pytest.approx(40.0) and s["unplaced_m3"] == pytest.approx(60.0)
    assert s["net_cost_JPY"] == pytest.approx(40 * 20.0)  # the slack's penalty is left out
    (u,) = r.unmatched()
    assert u["unplaced_m3"] == pytest.approx(60.0) and "left unplaced" in u["message"]


def test_a_graded_record_is_classified_with_the_mlit_family() -> None:
    d = doc()
    d["sources"][0] = {
        "id": "S",
        "location": at(0),
        "volumes": [100, 0],
        "item": {
            "id": "soil-S",
            "kind": "recycled_material",
            "material": {"name": "soil"},
            "properties": {"cone_index": {"value": "850 kN/m**2"}},
            "attributes": {"soil_type": "SF"},  # sandy soil: a class is a type and a qc
            "quantity": {"mass": "180 t"},
        },
    }
    d["sinks"][0]["accepts"] = ["soil-class-2"]
    r = solve(d)
    assert r.grades == ["soil-class-2"] and r.summary()["matched_m3"] == 100.0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"sources": [{"id": "S", "location": at(0), "grade": "A", "volumes": [100]}]},
            "sources[0].volumes: 1 values for 2 periods",
        ),
        (
            {
                "sources": [
                    {"id": "S", "location": at(0), "grade": "A", "volumes": [float("nan"), 0]}
                ]
            },
            "not a finite number",
        ),
        ({"sources": [{"id": "S", "location": at(0), "volumes": [1, 0]}]}, "give either grade"),
        ({"periods": ["p1", "p1"]}, "listed twice"),
        (
            {
                "periods": ["2027-05", "2027-04"],
            },
            "periods: months must be ascending and contiguous",
        ),
        (
            {
                "sinks": [
                    {"id": "K", "location": at(20), "accepts": ["soil-clas-1"], "demand": [0, 100]}
                ]
            },
            "sinks[0].accepts: 'soil-clas-1' is offered by no source",
        ),
        ({"haul": {"cost": "1 JPY/kg", "source": "x"}}, "haul.cost"),
        # wrong inputs that gave wrong plans silently (a review, 2026-12-03)
        ({"disposal": [{"id": "D", "location": at(-10), "gate_fee": "-2500 JPY/m**3"}]},
         "disposal[0].gate_fee: Input should be greater than or equal to 0"),
        ({"sources": [{"id": "S", "location": at(0), "grade": "soil-clas-1",
                       "volumes": [100, 0]}]},
         "sources[0].grade: 'soil-clas-1' is not a soil-mlit class; did you mean "
         "'soil-class-1'?"),
        ({"haul": {"cost": "1 JPY/(m**3*km)", "source": "x", "density": "1.8 kg/m**3",
                   "emission_factor": "100 g/(t*km)"}}, "haul.density"),
        ({"haul": {"source": "x"}}, "haul.cost"),
        (
            {"disposal": [{"id": "K", "location": at(-10), "gate_fee": "50 JPY/m**3"}]},
            "site ids used more than once: 'K' at sinks[0], disposal[0]",
        ),
    ],
)
def test_bad_documents_name_the_field(change: dict[str, Any], words: str, tmp_path: Path) -> None:
    import json

    f = tmp_path / "soil.json"
    f.write_text(json.dumps(doc(**change)))
    with pytest.raises(ModelError) as err:
        market.load_soil(f)
    assert words in str(err.value) and "soil.json" in str(err.value)


def test_the_example_through_the_command_line(tmp_path: Path) -> None:
    from junkan.cli.main import app

    out = CliRunner().invoke(
        app,
        ["market", "soil", str(EXAMPLE), "--format", "json", "--report", str(tmp_path / "r.html")],
    )
    assert out.exit_code == 0, out.output
    import json

    res = json.loads(out.output)
    assert res["grades"]["building-B"] == "soil-class-3"  # cone index 650 kN/m² ≥ 400
    s = res["summary"]
    assert s["supplied_m3"] == 17_600 and s["unplaced_m3"] == 0
    assert s["matched_m3"] + s["disposed_m3"] == pytest.approx(s["supplied_m3"])
    assert {u["code"] for u in res["unmatched"]} >= {"no_sink_grade"}  # the mud
    assert (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "periods",
    [
        ["2027-07", "2027-05", "2027-06", "2027-04"],  # out of order
        ["2027-04", "2027-05", "2027-07"],  # a month skipped
    ],
)
def test_month_periods_must_be_ascending_and_contiguous(periods: list[str]) -> None:
    vols = [100] + [0] * (len(periods) - 1)
    d = doc(periods=periods)
    d["sources"][0]["volumes"] = vols
    d["sinks"][0]["demand"] = [0] * (len(periods) - 1) + [100]
    d["disposal"][0]["capacity"] = None
    with pytest.raises(ValueError) as err:
        market.SoilMarket.model_validate(d)
    msg = str(err.value)
    assert "periods" in msg and "ascending and contiguous" in msg and periods[1] in msg


def test_month_periods_in_order_and_free_labels_are_accepted() -> None:
    d = doc(periods=["2027-12", "2028-01"])
    assert market.SoilMarket.model_validate(d).periods == ["2027-12", "2028-01"]
    assert market.SoilMarket.model_validate(doc(periods=["q3", "q1"])).periods == ["q3", "q1"]


def test_a_sink_accepting_a_grade_nobody_offers_is_refused() -> None:
    d = doc()
    d["sinks"][0]["accepts"] = ["A", "soil-clas-1"]
    with pytest.raises(ValueError) as err:
        market.SoilMarket.model_validate(d)
    assert "sinks[0].accepts: 'soil-clas-1'" in str(err.value)
    assert "did you mean 'soil-class-1'" in str(err.value)
    d["stockyards"][0]["accepts"] = ["soil-clas-2"]
    d["sinks"][0]["accepts"] = ["A"]
    with pytest.raises(ValueError, match="stockyards"):
        market.SoilMarket.model_validate(d)
    d["stockyards"][0]["accepts"] = None
    d["sinks"][0]["accepts"] = ["A", "soil-class-3"]  # a soil-mlit class: fine
    assert market.SoilMarket.model_validate(d).sinks[0].accepts == ["A", "soil-class-3"]
