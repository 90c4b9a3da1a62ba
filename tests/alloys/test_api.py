"""The alloy verbs on a hand-checkable library: one vehicle of 100 kg steel and a 50 kg
engine block whose alloy has a single known composition (Si 10, Fe 1, Cu 2 wt %, Al 87), and
a shredder that liberates everything, loses no fines and catches 90 % of the steel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from junkan import alloys
from junkan.alloys import (
    GradeRequest,
    GradeResult,
    Library,
    PlanRequest,
    PlanResult,
    PredictRequest,
    PredictResult,
    UpdateRequest,
    UpdateResult,
)
from junkan.alloys.predict import TRACKED
from junkan.core.errors import ModelError

SHREDDER = {
    "reference_grain_mm": 65,
    "liberation": {"d_lib_mm": {"cast": 1e9, "wrought": 1e9, "magnesium": 1e9}, "k": 2.0,
                   "variability_sigma": 0.0},
    "attached_steel": {"mean": 0.01, "variability_sigma": 0.0, "residue": 0.0,
                       "to_magnet": 0.0},
    "fines": {"f0": 0.0, "d_fines_mm": 22, "wrought_factor": 1.0},
    "residue_carry": {"c0": 0.0, "d_carry_mm": 30},
    "fe_recovery": {"r_min": 0.9, "r_max": 0.9, "d_fe_mm": 40},
    "throughput": {"t_ref_t_per_h": 20, "beta": 0.6},
    "heavy_misplaced": 0.0, "light_misplaced": 0.0, "copper_in_heavy": 1.0,
    "materials": {"steel": {"Fe": 100.0}, "copper": {"Cu": 100.0},
                  "heavy_nonferrous": {"Cu": 50.0, "Zn": 50.0}, "residue": {"Si": 10.0}},
}
LIB = Library.model_validate({
    "alloys": {"KNOWN": {"family": "cast", "standard": "test", "source": "test",
                         "limits": {"Si": [10.0, 10.0], "Fe": [1.0, 1.0], "Cu": [2.0, 2.0]}}},
    "components": {"engine_block": {"name": "Engine block"}},
    "vehicles": {"car": {"id": "car", "make": "M", "model": "m", "year": 2020,
                         "powertrain": "ICEV", "curb_kg": 150,
                         "materials": {"steel": 100, "copper": 0, "heavy_nonferrous": 0,
                                       "residue": 0},
                         "aluminium": {"engine_block": {"alloy": "KNOWN", "kg": 50}}}},
    "labour_JPY_per_hour": 3000, "dismantling": {},
    "buyers": {"strict": {"name": "Strict", "max": {"Fe": 0.9, "Si": 11.0},
                          "price_met_JPY_per_kg": 300, "price_not_met_JPY_per_kg": 200,
                          "source": "test"},
               "loose": {"name": "Loose", "max": {"Fe": 1.5, "Si": 11.0},
                         "price_met_JPY_per_kg": 300, "price_not_met_JPY_per_kg": 200,
                         "source": "test"}},
    "prices": {k: {"value": v, "source": "test"} for k, v in {
        "fe_scrap_JPY_per_kg": 40, "copper_JPY_per_kg": 900, "heavy_nonferrous_JPY_per_kg": 250,
        "residue_cost_JPY_per_kg": 20, "shredding_JPY_per_vehicle": 1000}.items()},
    "shredder": SHREDDER})


def test_run_predicts_the_known_composition_and_the_mass_split(tmp_path: Path) -> None:
    req = alloys.load(text="vehicles: [{vehicle: car, count: 2}]\nsamples: 50\nbuyer: strict")
    assert isinstance(req, PredictRequest)
    res = alloys.run(req, LIB)
    assert isinstance(res, PredictResult)
    al = res.prediction.composition("al")
    for el, wt in {"Si": 10.0, "Fe": 1.0, "Cu": 2.0, "Al": 87.0, "Mg": 0.0}.items():
        assert al[:, TRACKED.index(el)] == pytest.approx(wt, abs=1e-9)
    doc = res.to_json()
    fr = doc["fractions"]
    assert fr["al"]["mass_kg"]["mean"] == pytest.approx(2 * 50)
    assert fr["fe"]["mass_kg"]["mean"] == pytest.approx(2 * 100 * 0.9)
    assert fr["residue"]["mass_kg"]["mean"] == pytest.approx(2 * 100 * 0.1)
    assert doc["al_fraction"]["al_recovery"]["mean"] == pytest.approx(1.0)
    assert doc["throughput_t_per_h"] == pytest.approx(20)
    # Fe 1 % against a 0.9 % limit: never met, sold at the 'not met' price
    assert doc["grade_al_fraction"]["probability_met"] == 0.0
    assert doc["grade_al_fraction"]["expected_price_JPY_per_kg"] == 200
    frame = res.to_frame()
    row = frame[(frame["product"] == "al") & (frame["quantity"] == "Si")].iloc[0]
    assert row["unit"] == "wt %" and row["mean"] == pytest.approx(10.0)
    path = res.report(tmp_path / "pred")
    assert json.loads(path.read_text())["fractions"]["al"]["mass_kg"]["mean"] == \
        pytest.approx(100)
    assert (tmp_path / "pred" / "prediction.csv").exists()


def test_plan_shreds_all_stock_at_the_hand_computed_margin(tmp_path: Path) -> None:
    req = alloys.load(doc={"stock": {"car": 10}, "buyer": "loose", "samples": 50},
                      kind="plan")
    assert isinstance(req, PlanRequest)
    res = alloys.plan(req, LIB)
    assert isinstance(res, PlanResult)
    # per car: 50 kg Al at 300 + 90 kg Fe at 40 − 10 kg residue at 20 − 1,000 shredding
    assert res.counts == {"car": pytest.approx(10)}
    assert res.margin_JPY == pytest.approx(10 * (50 * 300 + 90 * 40 - 10 * 20 - 1000))
    assert res.product_kg == pytest.approx(500)
    assert res.probability_all == 1.0 and res.status == "optimal"
    doc = res.to_json()
    assert doc["learnt_estimates"] is False and doc["composition_mean_wt_pct"]["Fe"] == \
        pytest.approx(1.0)
    assert res.to_frame().to_dict("records") == [{"vehicle": "car", "shredded": 10.0}]
    assert res.report(tmp_path / "plan").name == "plan.json"
    with pytest.raises(alloys.PlanError, match="binding"):
        alloys.plan(PlanRequest(stock={"car": 10}, buyer="strict", samples=50), LIB)


def test_grade_names_the_limiting_element() -> None:
    res = alloys.grade(GradeRequest(composition={"Si": 10, "Fe": 1, "Cu": 2}), LIB)
    assert isinstance(res, GradeResult)
    strict, loose = res.grades["strict"], res.grades["loose"]
    assert not strict["met"] and strict["limiting_element"] == "Fe"
    assert strict["elements"]["Fe"]["margin"] == pytest.approx(-0.1)
    assert strict["price_JPY_per_kg"] == 200
    assert loose["met"] and loose["price_JPY_per_kg"] == 300
    frame = res.to_frame()
    assert set(frame["buyer"]) == {"strict", "loose"} and len(frame) == 4


def test_update_keeps_a_known_composition_and_charts_the_lots(tmp_path: Path) -> None:
    req = UpdateRequest(feed={"vehicles": [{"vehicle": "car", "count": 10}]}, buyer="loose",
                        lots=[{"lot": "a", "composition": {"Si": 10.0}},
                              {"lot": "b", "composition": {"Si": 10.2}}])
    res = alloys.update(req, LIB)
    assert isinstance(res, UpdateResult)
    assert res.estimates.lots == 2 and res.changed == []  # the window is a single value
    ch = res.control_charts["Si"]
    # individuals chart: centre = mean, σ = moving range / 1.128, limits ± 3σ
    assert ch["centre"] == pytest.approx(10.1)
    assert ch["sigma"] == pytest.approx(0.2 / 1.128)
    assert ch["ucl"] == pytest.approx(10.1 + 3 * 0.2 / 1.128)
    assert ch["limit"] == 11.0 and ch["flags"] == [[], []]
    assert res.to_json()["estimates"]["lots"] == 2
    page = res.report(tmp_path / "upd")
    assert page.name == "control-chart.html" and (tmp_path / "upd" / "plotly.min.js").exists()


def test_load_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("stock: {car: 1}\nprobability: 2\n")
    with pytest.raises(ModelError) as err:
        alloys.load(bad, kind="plan")
    text = str(err.value)
    assert str(bad) in text and "buyer" in text and "probability" in text
    with pytest.raises(ValueError, match="unknown request kind"):
        alloys.load(doc={}, kind="sell")  # type: ignore[call-overload]


def test_verbs_and_modules_keep_their_names() -> None:
    from junkan.alloys.grade import grade_composition
    from junkan.alloys.plan import plan_feed

    assert alloys.plan is not plan_feed and alloys.grade is not grade_composition
    assert alloys.load_library is alloys.load_alloy_library
