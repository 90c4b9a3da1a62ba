"""A continuous ``range`` on a field with a unit (written with units, or as numbers in the
field's unit) and errors that name the spec's field: years outside the horizon, a decision
on a path the model does not have, and constraints no option can meet (each one that cannot
be met with the best value its figure reaches, or that they conflict).

Hand figures on ``BOX``: 1000 boxes sold a year for 5 years (5000), 1 kg of steel each at
2 kgCO2e/kg and 150 JPY/kg; a 60-year life, so nothing returns in the horizon. Virgin
input = 5 t per kg of box mass, CO2e = 10 t per kg, cost = 750 000 JPY per kg."""

from __future__ import annotations

import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt

BOX = """junkan: 1
name: box
currency: JPY
years: {start: 2020, end: 2024}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 150 JPY/kg, source: "assumption"}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 120 JPY/kg, source: "assumption"}
products:
  box:
    sales: 1000
    lifetime: {distribution: fixed, mean: 60 year}
    bom:
      - {material: steel, mass: 1 kg}
    eol:
      collection: {rate: 0.5, processes: []}
      dismantling: {residual: {landfill: 1}}
      uncollected: {landfill: 1}
processes:
  landfill: {kind: landfill, actor: recycler, stage: disposal, source: "assumption"}
"""
MASS = "products.box.bom[0].mass"


def _model() -> lifecycle.ModelFile:
    return lifecycle.load(text=BOX, source="box.yaml")


def _spec(**doc: object) -> opt.OptimiseSpec:
    return opt.load_spec(doc={"objective": "co2e", **doc}, source="s.yaml")


@pytest.mark.parametrize("bounds", [["500 g", "2 kg"], [0.5, 2], ["0.5", "2"]])
def test_a_range_on_a_mass_is_read_in_the_fields_unit(bounds: list[object]) -> None:
    # virgin input >= 7.5 t needs 1.5 kg a box; the least CO2e is there (15 t)
    spec = _spec(decisions=[{"name": "mass", "parameter": MASS, "range": bounds}],
                 constraints=[{"metric": "virgin_input", "min": 7.5}])
    best = opt.optimise(_model(), spec)
    doc = best.to_json()
    choice = doc["choices"][0]
    assert choice["value"] == pytest.approx(1.5)
    assert choice["unit"] == "kg" and choice["option"] == "1.5 kg"
    assert choice["set"] == {MASS: "1.5 kg"}
    assert doc["objective"]["value"] == pytest.approx(15.0)


def test_a_range_in_the_wrong_dimension_names_the_specs_range() -> None:
    spec = _spec(decisions=[{"name": "mass", "parameter": MASS, "range": ["1 km", "2 km"]}])
    with pytest.raises(ModelError) as err:
        opt.optimise(_model(), spec)
    text = str(err.value)
    assert "s.yaml:decisions[0].range" in text and "kg" in text


def test_years_outside_the_horizon_name_the_spec() -> None:
    spec = _spec(years=[1990, 2100],
                 decisions=[{"name": "m", "parameter": MASS, "values": ["1 kg", "2 kg"]}])
    with pytest.raises(ModelError) as err:
        opt.optimise(_model(), spec)
    assert str(err.value).startswith("s.yaml:years:") and "2020–2024" in str(err.value)


def test_a_decision_on_a_missing_product_names_the_specs_parameter() -> None:
    spec = _spec(decisions=[{"name": "r", "parameter": "products.ghost.eol.collection.rate",
                             "values": [0.1, 0.2]}])
    with pytest.raises(ModelError) as err:
        opt.optimise(_model(), spec)
    assert len(err.value.problems) == 1
    assert "s.yaml:decisions[0].parameter" in str(err.value)
    assert "'products.ghost.eol.collection.rate' does not exist" in str(err.value)


@pytest.mark.parametrize("solver", [opt.optimise, opt.enumerate_options])
def test_a_constraint_no_option_meets_is_named_with_its_best_value(solver: object) -> None:
    spec = _spec(decisions=[{"name": "m", "parameter": MASS, "values": ["1 kg", "2 kg"]}],
                 constraints=[{"metric": "cost", "max": 1e5},
                              {"metric": "co2e", "max": 100}])
    with pytest.raises(ModelError) as err:
        solver(_model(), spec)  # type: ignore[operator]
    assert [p.path for p in err.value.problems] == ["constraints[0].max"]
    assert "≤ 100,000 JPY cannot be met: the options reach at least 750,000 JPY" in str(
        err.value) and err.value.source == "s.yaml"


def test_constraints_that_conflict_are_named_together() -> None:
    # 7.5 t virgin needs the 2 kg box (20 t CO2e) but CO2e <= 12 t allows only the 1 kg one
    spec = _spec(decisions=[{"name": "m", "parameter": MASS, "values": ["1 kg", "2 kg"]}],
                 constraints=[{"metric": "virgin_input", "min": 7.5},
                              {"metric": "co2e", "max": 12}])
    with pytest.raises(ModelError) as err:
        opt.optimise(_model(), spec)
    text = str(err.value)
    assert "s.yaml:constraints:" in text and "constraints[0]" in text
    assert "constraints[1]" in text
