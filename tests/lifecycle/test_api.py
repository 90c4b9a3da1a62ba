"""The public verbs on a model small enough to follow by hand.

One product (``box``: a 3 kg ``motor`` part plus 1 kg of steel, so 4 kg of steel), 100 sold a
year for three years, a fixed one-year lifetime: each year's boxes retire the next year.
Half of the retired boxes are collected and recycled whole (yield 0.8, closed loop, residue to
landfill); the other half go to landfill. Recycled steel re-enters supply the year after.

=====================  ======  ======  ===================
figure                  2020    2021    2022
=====================  ======  ======  ===================
new boxes, motors        100     100     100
retired boxes              0     100     100
steel demand (kg)        400     400     400
recycled steel used        0       0     160  (= 0.8 × 200)
virgin steel             400     400     240
landfill (kg)              0     240     240  (200 + 0.2 × 200)
CO2e (t)                 0.8     0.8    0.56  (240 × 2 + 160 × 0.5 kg)
collection cost (JPY)      0     500     500  (50 × 10)
=====================  ======  ======  ===================
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError

TINY = """
name: tiny
years: {start: 2020, end: 2022}
actors:
  maker: {role: product_maker}
  collector: {role: collector}
  recycler: {role: material_regenerator}
  waste: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2 kgCO2e/kg, source: test}
    recycled: {co2e: 0.5 kgCO2e/kg, source: test}
parts:
  motor: {bom: [{material: steel, mass: 3 kg}]}
products:
  box:
    sales: 100
    lifetime: {distribution: fixed, mean: 1 year}
    bom: [{part: motor}, {material: steel, mass: 1 kg}]
    eol:
      collection: {rate: 0.5, processes: [collect]}
      dismantling: {residual: {recycling: 1}}
      uncollected: {landfill: 1}
processes:
  collect: {actor: collector, stage: collection, cost: 10 JPY/piece, source: test}
  recycling: {actor: recycler, stage: recycling, kind: recycling, yields: {steel: 0.8},
              residue: {landfill: 1}, source: test}
  landfill: {actor: waste, stage: disposal, kind: landfill, source: test}
scenarios:
  more_collection:
    set: {products.box.eol.collection.rate: 1.0}
"""


@pytest.fixture(scope="module")
def model() -> lifecycle.ModelFile:
    return lifecycle.load(text=TINY)


@pytest.fixture(scope="module")
def result(model: lifecycle.ModelFile) -> lifecycle.Result:
    return lifecycle.run(model)


def test_load_checks_every_scenario(model: lifecycle.ModelFile) -> None:
    assert model.name == "tiny"
    assert model.scenarios == ["baseline", "more_collection"]


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    assert lifecycle.load(path).scenarios == ["baseline", "more_collection"]


def test_indicators_by_hand(result: lifecycle.Result) -> None:
    df = result.to_frame().set_index("year")
    assert list(df.index) == [2020, 2021, 2022]
    assert df["virgin_input_t"].tolist() == pytest.approx([0.4, 0.4, 0.24])
    assert df["recycled_input_t"].tolist() == pytest.approx([0.0, 0.0, 0.16])
    assert df["recycled_share"].tolist() == pytest.approx([0.0, 0.0, 0.4])
    assert df["outflow_t"].tolist() == pytest.approx([0.0, 0.4, 0.4])
    assert df["final_disposal_t"].tolist() == pytest.approx([0.0, 0.24, 0.24])
    # issue 27: a rate of nothing (0 kg outflow in 2020) is not defined (NaN), no longer 0
    assert df["recycling_rate"].tolist() == pytest.approx([float("nan"), 0.4, 0.4],
                                                          nan_ok=True)
    assert df["co2e_t"].tolist() == pytest.approx([0.8, 0.8, 0.56])
    assert df["cost_JPY"].tolist() == pytest.approx([0.0, 500.0, 500.0])
    assert df["in_use_piece"].tolist() == pytest.approx([100, 100, 100])


def test_product_and_part_tables_by_hand(result: lifecycle.Result) -> None:
    products = result.to_frame("products").set_index("year")
    assert products["new_piece"].tolist() == pytest.approx([100, 100, 100])
    assert products["retired_piece"].tolist() == pytest.approx([0, 100, 100])
    parts = result.to_frame("parts").set_index("year")
    assert parts["made_piece"].tolist() == pytest.approx([100, 100, 100])
    materials = result.to_frame("materials").set_index("year")
    assert materials["secondary_output_kg"].tolist() == pytest.approx([0, 160, 160])


def test_flows_by_hand(result: lifecycle.Result) -> None:
    flows = result.to_frame("flows")
    y2021 = flows[flows["year"] == 2021].set_index(["source", "target"])["mass_kg"]
    assert y2021[("Use", "End-of-life collection")] == pytest.approx(200)
    assert y2021[("Use", "landfill")] == pytest.approx(200)
    assert y2021[("End-of-life collection", "Dismantling & sorting")] == pytest.approx(200)
    assert y2021[("recycling", "Secondary material")] == pytest.approx(160)
    assert y2021[("recycling", "landfill")] == pytest.approx(40)


def test_every_table_is_a_frame(result: lifecycle.Result) -> None:
    for name in lifecycle.TABLES:
        frame = result.to_frame(name)
        assert isinstance(frame, pd.DataFrame) and "year" in frame
        pd.testing.assert_frame_equal(frame, result.tables()[name])
    with pytest.raises(KeyError, match="unknown table"):
        result.to_frame("nope")


def test_to_json_is_the_run_summary(result: lifecycle.Result) -> None:
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["scenario"] == "baseline"
    assert doc["years"] == [2020, 2021, 2022]
    assert doc["totals"]["virgin_input_t"] == pytest.approx(1.04)
    assert doc["recycled_share_by_material_total"]["steel"] == pytest.approx(160 / 1200)


def test_run_with_overrides_equals_the_scenario(model: lifecycle.ModelFile) -> None:
    scenario = lifecycle.run(model, "more_collection").to_frame()
    override = lifecycle.run(model, overrides={"products.box.eol.collection.rate": 1.0})
    pd.testing.assert_frame_equal(override.to_frame(), scenario)
    # all 400 kg collected: 320 kg recycled steel supplies 2022
    assert scenario["recycled_input_t"].tolist() == pytest.approx([0.0, 0.0, 0.32])


def test_run_refuses_unknown_scenario_and_parameter(model: lifecycle.ModelFile) -> None:
    with pytest.raises(ModelError, match="unknown scenario"):
        lifecycle.run(model, "nope")
    with pytest.raises(ModelError, match="no such parameter"):
        lifecycle.run(model, overrides={"products.box.eol.nope[3]": 1})


def test_compare_side_by_side(model: lifecycle.ModelFile) -> None:
    comparison = lifecycle.compare(model)
    assert isinstance(comparison, lifecycle.Comparison)
    assert [s["name"] for s in comparison["scenarios"]] == ["baseline", "more_collection"]
    assert set(comparison.results) == {"baseline", "more_collection"}
    change = comparison["scenarios"][1]["change_vs_baseline"]
    assert change["recycled_input_t"] == pytest.approx(0.16)
    frame = comparison.to_frame()
    # issue 27: every value carries its unit (a ``unit`` column was added)
    assert list(frame.columns) == ["scenario", "section", "figure", "value", "unit"]
    row = frame[(frame.scenario == "more_collection") & (frame.section == "totals")
                & (frame.figure == "recycled_input_t")]
    assert row["value"].item() == pytest.approx(0.32)
    assert row["unit"].item() == "t"
    assert comparison["units"]["totals"]["co2e_t"] == "tCO2e"
    assert comparison.to_json() == json.loads(json.dumps(comparison.to_json()))


def test_reports_are_written(model: lifecycle.ModelFile, result: lifecycle.Result,
                             tmp_path: Path) -> None:
    page = lifecycle.compare(model).report(tmp_path / "all")
    assert page == tmp_path / "all" / "report.html"
    assert (tmp_path / "all" / "plotly.min.js").exists()
    assert "more_collection" in page.read_text(encoding="utf-8")
    one = result.report(tmp_path / "one.html")
    assert one.exists() and "baseline" in one.read_text(encoding="utf-8")
