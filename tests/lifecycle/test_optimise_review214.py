"""Review 214 of the optimiser against brute-force enumeration (an evaluator of its own): an
interaction of three decisions that no pair shows from the reference was missed and the
wrong optimum called exact, a constraint only that combination meets called unmeetable,
and the Pareto front kept a point that breaks a constraint; a ratio objective or bound of
0/0 at some options refused the run; one constraint with both bounds called "can be met
alone"; each actor's margin written over the front's margin column. Each failed before."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from tests.conftest import EXAMPLES

WASHER = """junkan: 1
name: washer
currency: JPY
years:
  start: 2015
  end: 2035
actors:
  maker:
    role: product_maker
  supplier:
    role: part_maker
  service:
    role: maintainer
  collector:
    role: collector
  refurbisher:
    role: maintainer
  recycler:
    role: material_regenerator
  dump:
    role: waste_handler
materials:
  steel:
    buyer: supplier
    virgin:
      co2e: 2.0 kgCO2e/kg
      cost: 150 JPY/kg
      source: assumption
    recycled:
      co2e: 0.6 kgCO2e/kg
      cost: 120 JPY/kg
      source: assumption
  copper:
    buyer: supplier
    virgin:
      co2e: 4.0 kgCO2e/kg
      cost: 1200 JPY/kg
      source: assumption
    recycled:
      co2e: 1.0 kgCO2e/kg
      cost: 1000 JPY/kg
      source: assumption
  plastic:
    buyer: maker
    virgin:
      co2e: 3.0 kgCO2e/kg
      cost: 250 JPY/kg
      source: assumption
parts:
  motor:
    price: 20000 JPY/piece
    buyer: maker
    make:
    - motor_making
    bom:
    - material: copper
      mass: 2 kg
    - material: steel
      mass: 3 kg
    recovery:
      reuse:
        share: 0
        pass_rate: 0.7
        processes:
        - motor_test
        into: spares
  drum:
    make:
    - drum_making
    bom:
    - material: steel
      mass: 10 kg
products:
  washer:
    make:
    - assembly
    sales: 2000
    lifetime:
      distribution: weibull
      scale: 8 year
      shape: 3
    bom:
    - part: motor
      quantity: 1
    - part: drum
      quantity: 1
    - material: plastic
      mass: 5 kg
    - material: steel
      mass: 20 kg
    maintenance:
    - part: motor
      replacement_rate: 0.05
      processes:
      - service_visit
      collection:
        rate: 0.5
      residual:
        steel_recycling: 1
      uncollected:
        landfill: 1
    eol:
      collection:
        rate: 0.3
        processes:
        - pickup
      reuse:
        share: 0
        pass_rate: 0.6
        processes:
        - refurb
      dismantling:
        processes:
        - dismantle
        extract:
        - motor
        residual:
          steel_recycling: 1
      uncollected:
        landfill: 1
processes:
  assembly:
    actor: maker
    stage: manufacturing
    co2e: 30 kgCO2e/piece
    cost: 15000 JPY/piece
    revenue: 80000 JPY/piece
    source: assumption
  motor_making:
    actor: supplier
    stage: manufacturing
    co2e: 10 kgCO2e/piece
    cost: 6000 JPY/piece
    revenue: 20000 JPY/piece
    source: assumption
  drum_making:
    actor: supplier
    stage: manufacturing
    co2e: 5 kgCO2e/piece
    cost: 2000 JPY/piece
    source: assumption
  service_visit:
    actor: service
    stage: maintenance
    co2e: 8 kgCO2e/piece
    cost: 9000 JPY/piece
    revenue: 25000 JPY/piece
    source: assumption
  pickup:
    actor: collector
    stage: collection
    co2e: 4 kgCO2e/piece
    cost: 3000 JPY/piece
    revenue: 1000 JPY/piece
    source: assumption
  refurb:
    actor: refurbisher
    stage: reuse
    co2e: 12 kgCO2e/piece
    cost: 9000 JPY/piece
    revenue: 30000 JPY/piece
    source: assumption
  motor_test:
    actor: refurbisher
    stage: reuse
    co2e: 1 kgCO2e/piece
    cost: 2500 JPY/piece
    revenue: 6000 JPY/piece
    source: assumption
  reman:
    actor: refurbisher
    stage: remanufacturing
    co2e: 4 kgCO2e/piece
    cost: 5000 JPY/piece
    revenue: 9000 JPY/piece
    source: assumption
  dismantle:
    actor: recycler
    stage: dismantling
    co2e: 1 kgCO2e/piece
    cost: 1500 JPY/piece
    source: assumption
  steel_recycling:
    kind: recycling
    actor: recycler
    stage: recycling
    yields:
      steel: 0.9
      copper: 0.8
    residue:
      landfill: 1
    co2e: 0.3 kgCO2e/kg
    cost: 15 JPY/kg
    revenue: 40 JPY/kg
    source: assumption
  energy_recovery:
    kind: energy_recovery
    actor: dump
    stage: energy_recovery
    co2e: 1.1 kgCO2e/kg
    cost: 20 JPY/kg
    revenue: 8 JPY/kg
    source: assumption
  landfill:
    kind: landfill
    actor: dump
    stage: disposal
    co2e: 0.02 kgCO2e/kg
    cost: 30 JPY/kg
    source: assumption
scenarios:
  circular:
    set:
      products.washer.eol.collection.rate: 0.8
      products.washer.eol.reuse.share: 0.5
"""
THREE: dict[str, Any] = {
    "objective": "co2e", "years": [2020, 2035],
    "decisions": [
        {"name": "collection", "parameter": "products.washer.eol.collection.rate",
         "values": [0.0, 0.9]},
        {"name": "refurb_tech", "options": {
            "std": {}, "dearer": {"set": {"processes.refurb.cost": "9500 JPY/piece"}},
            # matters only when collection and product reuse are both on
            "green": {"set": {"processes.refurb.co2e": "0 kgCO2e/piece",
                              "processes.assembly.co2e": "30.01 kgCO2e/piece"}}}},
        {"name": "product_reuse", "parameter": "products.washer.eol.reuse.share",
         "values": [0.0, 0.6]}]}


@pytest.fixture(scope="module")
def washer() -> lifecycle.ModelFile:
    return lifecycle.load(text=WASHER, source="washer.yaml")


def _options(result: dict[str, Any]) -> list[str]:
    return [c["option"] for c in result["choices"]]


def _brute(washer: lifecycle.ModelFile, spec: opt.OptimiseSpec) -> list[Any]:
    return opt.enumerate_options(washer, spec)[1]


def test_an_interaction_of_three_decisions_is_found(washer: lifecycle.ModelFile) -> None:
    spec = opt.load_spec(doc=THREE)
    best = opt.optimise(washer, spec).to_json()
    every = _brute(washer, spec)
    least = min(p.raw["co2e"] for p in every)
    assert best["objective"]["value"] == pytest.approx(least, rel=1e-9)  # 3132.6, not 3306.4
    assert _options(best) == ["0.9", "green", "0.6"]
    assert not best["method"]["text"].startswith("exact: ")


def test_a_bound_only_the_missed_combination_meets_is_met(washer: lifecycle.ModelFile) -> None:
    spec = opt.load_spec(doc={**THREE, "constraints": [{"metric": "co2e", "max": 3200}]})
    best = opt.optimise(washer, spec).to_json()
    assert _options(best) == ["0.9", "green", "0.6"]
    assert "found no combination that meets the constraints" in best["method"]["text"]


def test_a_front_keeps_no_point_that_breaks_a_constraint(washer: lifecycle.ModelFile) -> None:
    spec = opt.load_spec(doc={**THREE, "constraints": [{"metric": "co2e", "max": 3400}],
                              "pareto": {"objectives": ["co2e", "cost"]}})
    front = opt.pareto(washer, spec)
    assert front.points and all(p.feasible for p in front.points)
    assert all(p.raw["co2e"] <= 3400 for p in front.points)
    plain = opt.load_spec(doc={**THREE, "pareto": {"objectives": ["co2e", "cost"]}})
    best = {tuple(c["option"] for c in p["choices"])
            for p in opt.pareto(washer, plain).to_json()["points"]}
    assert ("0.9", "green", "0.6") in best  # it dominates the (0.9, std, 0.6) reported alone


def test_a_ratio_objective_undefined_at_some_options_is_optimised() -> None:
    """rap:atm_maker is 0/0 where the maker runs no circulation process: the example was
    refused ('its denominator is 0 at a feasible choice'); brute force gives 13,203."""
    atm = lifecycle.load(EXAMPLES / "atm_reuse.yaml")
    best = opt.optimise(atm, opt.auto_spec(atm.raw, atm.source, "rap:atm_maker"))
    assert best.to_json()["objective"]["value"] == pytest.approx(13203.16, rel=1e-4)


def test_one_constraint_with_two_bounds_no_option_meets_is_named_alone() -> None:
    doc = yaml.safe_load(WASHER)
    doc["products"]["washer"]["sales"] = {2015: 2000, 2025: 2000, 2026: 600}
    mf = lifecycle.load(text=yaml.safe_dump(doc), source="w.yaml")
    spec = opt.load_spec(doc={"objective": "co2e", "years": [2020, 2030], "decisions": [
        {"name": "collection", "parameter": "products.washer.eol.collection.rate",
         "values": [0.2, 0.35, 0.5, 0.65, 0.8, 0.9]},
        {"name": "product_reuse", "parameter": "products.washer.eol.reuse.share",
         "values": [0.0, 0.3, 0.6]}],
        "constraints": [{"metric": "activity", "process": "pickup", "basis": "piece",
                         "min": 400, "max": 1000}]})
    with pytest.raises(ModelError, match=r"constraints\[0\]: activity:pickup cannot be met "
                       "even alone"):
        opt.optimise(mf, spec)


def test_the_fronts_objectives_keep_their_own_columns(washer: lifecycle.ModelFile) -> None:
    spec = opt.load_spec(doc={**THREE, "pareto": {"objectives": ["co2e", "margin"]}})
    front = opt.pareto(washer, spec)
    frame = front.to_frame()
    for i, p in enumerate(front.points):
        rows = frame[frame["point"] == i]
        assert all(m == pytest.approx(p.raw["margin"]) for m in rows["point_margin_JPY"])
