"""Each product of a simulation has its own MCI (review 259: every product took the system's
feedstock and end-of-life shares, so all had the same MCI, and the company's was that one).
A product's end of life is its own flows; its feedstock is the system's, allocated by its
material mix and its need of reused parts; summed over products, each is the system's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.indicators import compute, from_lifecycle
from junkan.indicators.lifecycle_products import product_flows

ROOT = Path(__file__).parents[2]

TWO = """
junkan: 1
name: two
currency: JPY
years: {start: 2020, end: 2040}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
  waste: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, source: assumption}
    recycled: {co2e: 0.5 kgCO2e/kg, source: assumption}
  copper:
    virgin: {co2e: 4.0 kgCO2e/kg, source: assumption}
    recycled: {co2e: 1.0 kgCO2e/kg, source: assumption}
products:
  kept:
    make: [assembly]
    sales: 1000
    lifetime: {distribution: weibull, scale: 5 year, shape: 2}
    bom: [{material: steel, mass: 10 kg}]
    eol:
      collection: {rate: 0.8, processes: [pickup]}
      dismantling: {processes: [dismantle], residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
  lost:
    make: [assembly]
    sales: 1000
    lifetime: {distribution: weibull, scale: 5 year, shape: 2}
    bom: [{material: copper, mass: 20 kg}]
    eol:
      collection: {rate: 0.2, processes: [pickup]}
      dismantling: {processes: [dismantle], residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
processes:
  assembly: {actor: maker, stage: manufacturing, co2e: 2 kgCO2e/piece, revenue: 5000 JPY/piece,
             source: assumption}
  pickup: {actor: recycler, stage: collection, co2e: 0.8 kgCO2e/piece, source: assumption}
  dismantle: {actor: recycler, stage: dismantling, co2e: 0.1 kgCO2e/piece, source: assumption}
  steel_recycling: {kind: recycling, actor: recycler, stage: recycling,
                    yields: {steel: 0.9, copper: 0.5}, residue: {landfill: 1},
                    closed_loop: true, co2e: 0.3 kgCO2e/kg, source: assumption}
  landfill: {kind: landfill, actor: waste, stage: disposal, co2e: 0.02 kgCO2e/kg,
             source: assumption}
"""


def _mci(fm: Any) -> dict[str, Any]:
    return {i.key: i for i in compute(fm, ["mci"])["mci"]}


def test_each_product_has_its_own_collection_and_feedstock() -> None:
    result = lifecycle.run(lifecycle.load(text=TWO, source="two.yaml"))
    fm = from_lifecycle(result)
    uses = {p.name: p for p in fm.products}
    # all collected goes to recycling: collected for recycling is the collection rate
    assert uses["kept"].collected_for_recycling == pytest.approx(0.8, rel=1e-9)
    assert uses["lost"].collected_for_recycling == pytest.approx(0.2, rel=1e-9)
    assert uses["kept"].collected_for_reuse == uses["lost"].collected_for_reuse == 0.0
    # recycled feedstock: each product's own material's recycled share
    raw = result.raw
    share = raw.recycled.sum(axis=0) / (raw.virgin.sum(axis=0) + raw.recycled.sum(axis=0))
    steel, copper = (raw.compiled.materials.index(m) for m in ("steel", "copper"))
    assert uses["kept"].recycled_feedstock == pytest.approx(share[steel], rel=1e-9)
    assert uses["lost"].recycled_feedstock == pytest.approx(share[copper], rel=1e-9)
    mci = _mci(fm)
    assert mci["mci.product.kept"].value > mci["mci.product.lost"].value
    assert mci["mci.company"].value == pytest.approx(
        (mci["mci.product.kept"].value + mci["mci.product.lost"].value) / 2)


def _bench() -> Any:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lifecycle_bench import generate_model

    return lifecycle.load(text=json.dumps(generate_model(30, 20, 4, 20)), source="bench.json")


@pytest.mark.parametrize("model", ["bench", "review259_two_collections", "compressor_magnet"])
def test_products_flows_add_up_to_the_systems(model: str) -> None:
    """Every loop (maintenance, product and part reuse, recycling, residues, export) and a
    part shared by two products."""
    if model == "bench":
        mf = _bench()
    elif model == "compressor_magnet":
        mf = lifecycle.load(ROOT / "examples" / "compressor_magnet.yaml")
    else:
        mf = lifecycle.load(ROOT / "tests" / "lifecycle" / "cases" / f"{model}.yaml")
    for scenario in mf.scenarios:
        result = lifecycle.run(mf, scenario)
        for window in (None, (int(result.years[3]), int(result.years[8]))):
            fm = from_lifecycle(result, window)
            mask = slice(None) if window is None else \
                (result.years >= window[0]) & (result.years <= window[1])
            own, raw = product_flows(result, mask), result.raw
            routes = {r: sum(o.mass for o in fm.outflows if o.route == r)
                      for r in ("reuse", "recycling")}
            rec = raw.recycled[mask].sum()
            pairs = [(own.reuse.sum(), routes["reuse"]),
                     (own.recycling.sum(), routes["recycling"]),
                     (own.out.sum(), sum(o.mass for o in fm.outflows)),
                     (own.recycled.sum(), rec), (own.material.sum(), raw.virgin[mask].sum() + rec),
                     (own.reused.sum(), result.reused_input_kg()[mask].sum())]
            for got, system in pairs:
                assert got == pytest.approx(system, rel=1e-9, abs=1e-6), (scenario, window)


def test_the_generated_products_differ() -> None:
    fm = from_lifecycle(lifecycle.run(_bench()))
    values = [i.value for k, i in _mci(fm).items() if k.startswith("mci.product.")]
    assert len(values) == 30 and np.std(values) > 0.01


def test_a_product_without_flows_has_no_mci_and_leaves_the_company_s() -> None:
    """Review 265: a product never sold got MCI 0.1 (nothing recycled of nothing) and
    pulled the company MCI from 0.667 to 0.384."""
    doc = yaml.safe_load(TWO)
    doc["products"]["lost"]["sales"] = 0
    fm = from_lifecycle(lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc),
                                                     source="two.yaml")))
    mci = _mci(fm)
    idle = mci["mci.product.lost"]
    assert idle.value is None and idle.reason_code == "product-no-flows"
    assert mci["mci.company"].value == pytest.approx(mci["mci.product.kept"].value)


def test_recycled_feedstock_follows_the_years_a_product_is_made() -> None:
    """Review 265: over the window, a product made in the early years (little scrap back
    yet) took the same recycled share as one made later."""
    doc = yaml.safe_load(TWO)
    doc["products"]["lost"]["bom"] = [{"material": "steel", "mass": "20 kg"}]
    doc["products"]["kept"]["sales"] = {2020: 1000, 2027: 1000, 2028: 0, 2040: 0}
    doc["products"]["lost"]["sales"] = {2020: 0, 2031: 0, 2032: 1000, 2040: 1000}
    result = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="two.yaml"))
    uses = {p.name: p for p in from_lifecycle(result).products}
    raw = result.raw
    steel = raw.compiled.materials.index("steel")
    total = raw.virgin[:, steel] + raw.recycled[:, steel]
    share = np.divide(raw.recycled[:, steel], total, out=np.zeros_like(total), where=total > 0)
    for p, name in enumerate(raw.compiled.products):
        new = raw.new_products[:, p]
        assert uses[name].recycled_feedstock == pytest.approx(
            (new * share).sum() / new.sum(), rel=1e-9), name
    assert abs(uses["lost"].recycled_feedstock - uses["kept"].recycled_feedstock) > 0.05


def test_the_company_mci_weights_each_product_by_its_revenue() -> None:
    """The company MCI's R_i: each product's revenue from making it (assembly at 5,000 JPY
    a piece, three times the pieces of one: three times its weight), not an even split."""
    doc = yaml.safe_load(TWO)
    doc["products"]["lost"]["sales"] = 3000
    result = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="two.yaml"))
    fm = from_lifecycle(result)
    made = {p.name: p.revenue for p in fm.products}
    new = result.raw.new_products.sum(axis=0)
    assert made == pytest.approx({name: 5000 * new[i]
                                  for i, name in enumerate(result.raw.compiled.products)})
    mci = _mci(fm)
    kept, lost = (mci[f"mci.product.{p}"].value for p in ("kept", "lost"))
    share = made["kept"] / (made["kept"] + made["lost"])
    assert mci["mci.company"].value == pytest.approx(share * kept + (1 - share) * lost)
    assert share == pytest.approx(0.25, rel=0.05)
