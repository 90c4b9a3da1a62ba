"""Review 315 of the lifecycle analyses (a reviewer's own cases)."""

from __future__ import annotations

import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from junkan.lifecycle import uncertainty as U

TWO = """\
junkan: 1
name: two
currency: JPY
years: {start: 2020, end: 2035}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
materials:
  steel:
    buyer: maker
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 100 JPY/kg, source: "assumption"}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 90 JPY/kg, source: "assumption"}
  plastic:
    buyer: maker
    virgin: {co2e: 3.0 kgCO2e/kg, cost: 200 JPY/kg, source: "assumption"}
    recycled: {co2e: 1.0 kgCO2e/kg, cost: 150 JPY/kg, source: "assumption"}
products:
  a:
    sales: 1000
    lifetime: {distribution: fixed, mean: 4 year}
    bom:
      - {material: steel, mass: 10 kg}
      - {material: plastic, mass: 2 kg}
    eol:
      collection: {rate: 0.5, processes: [pickup]}
      reuse: {share: 0.0, pass_rate: 0.8, processes: [refurb]}
      dismantling: {residual: {landfill: 1}}
      uncollected: {landfill: 1}
  b:
    sales: {2020: 500, 2030: 1500}
    lifetime: {distribution: weibull, scale: 6 year, shape: 2}
    bom:
      - {material: steel, mass: 3 kg}
      - {material: plastic, mass: 5 kg}
    eol:
      collection: {rate: 0.3, processes: [pickup]}
      reuse: {share: 0.0, pass_rate: 0.7, processes: [refurb]}
      dismantling: {residual: {landfill: 1}}
      uncollected: {landfill: 1}
processes:
  pickup: {actor: recycler, stage: collection, co2e: 3 kgCO2e/piece, cost: 800 JPY/piece,
           source: "assumption"}
  refurb: {actor: recycler, stage: reuse, co2e: 5 kgCO2e/piece, cost: 1500 JPY/piece,
           revenue: 2500 JPY/piece, source: "assumption"}
  landfill: {kind: landfill, actor: recycler, stage: disposal, co2e: 0.05 kgCO2e/kg,
             cost: 20 JPY/kg, source: "assumption"}
  recycling: {kind: recycling, actor: recycler, stage: recycling,
              yields: {steel: 0.9, plastic: 0.5}, residue: {landfill: 1},
              co2e: 0.3 kgCO2e/kg, cost: 30 JPY/kg, revenue: 10 JPY/kg, source: "assumption"}
headline:
  co2: {metric: co2e, unit: t}
"""
"""Two products; recycling at a loss: the actors' value added is negative whatever the
choice (the recycler's processes cost more than they earn and nobody sells anything)."""


def test_a_pareto_front_of_a_negative_rap_says_so() -> None:
    """RAP whose value added is negative at every point met was told "rap and cost have no
    value together (0/0) at any combination found": it is refused as optimise refuses it,
    naming the value added and the choice."""
    model = lifecycle.load(text=TWO, source="two.yaml")
    doc = {"objective": "co2e", "pareto": {"objectives": ["rap", "cost"]}, "decisions": [
        {"name": "a_route", "options": {"landfill": {}, "recycle": {"set": {
            "products.a.eol.dismantling.residual": {"recycling": 1}}}}},
        {"name": "a_coll", "parameter": "products.a.eol.collection.rate",
         "range": [0.2, 0.8]}]}
    with pytest.raises(ModelError, match=r"rap: the value added of the model's actors "
                       r"together .* is -[0-9.e+]+ JPY, below 0, at the choice 'a_route="):
        opt.pareto(model, opt.load_spec(doc=doc))


LT = """\
junkan: 1
name: lt
currency: JPY
years: {start: 2020, end: 2040}
actors:
  maker: {role: product_maker}
materials:
  steel:
    buyer: maker
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 100 JPY/kg, source: "assumption"}
products:
  box:
    sales: 1000
    lifetime: {distribution: fixed, mean: 5 year}
    bom:
      - {material: steel, mass: 1 kg}
    eol:
      collection: {rate: 0.5}
      dismantling: {residual: {landfill: 1}}
      uncollected: {landfill: 1}
processes:
  landfill: {kind: landfill, actor: maker, stage: disposal, co2e: 1 kgCO2e/kg, source: "assumption"}
headline:
  disposal: {metric: final_disposal, unit: t}
"""
"""One product of fixed lifetime: its disposal changes in steps as the lifetime moves."""


def test_a_parameter_whose_figures_change_in_steps_is_not_said_to_fit_anywhere() -> None:
    """A fixed lifetime fitted to 10 t of disposal: 10.9 years fits, but the Jacobian is 0
    there (the cohorts fall due in whole years). It was reported as "other values (moving
    together) fit as well" over its whole range, 4 … 25 years, where 4 years gives 17 t."""
    model = lifecycle.load(text=LT, source="lt.yaml")
    section = U.UncertaintySection.model_validate({"parameters": [
        {"parameter": "products.box.lifetime.mean", "distribution": "uniform", "min": 4,
         "max": 25, "calibrate": True, "source": "t"}],
        "observations": [{"headline": "disposal", "scenario": "baseline", "value": 10,
                          "sigma": 0.5, "source": "x"}]})
    cal = U.calibrate(model, section=section)
    assert abs(float(cal.predicted[0]) - 10) < 0.5
    (warning,) = [w for w in cal.warnings() if w.startswith("not identified")]
    assert "fit as well" not in warning and "moving together" not in warning
    assert "no fitted figure moves with it near the fitted value" in warning
    (param,) = cal.to_json()["parameters"]
    assert param["identified"] is False and "change in steps" in param["source"]


def test_a_best_combination_that_takes_a_scenario_apart_says_so() -> None:
    """compressor_magnet's scenario A sets the compressors' return collection and the
    magnets' extraction: two decisions when read from the scenarios. The best for CO2e
    takes A's extraction without its collection — a combination no scenario describes,
    without a word. Now a note names the scenario, what was taken and what was left; a
    spec that takes the scenario whole has no such note."""
    from tests.conftest import EXAMPLES

    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    best = opt.optimise(mf, opt.auto_spec(mf.raw, mf.source)).to_json()
    taken = {c["decision"]: c["option"] for c in best["choices"]}
    collection = "products.room_ac.maintenance_0_.collection.processes"
    assert taken[collection] == "baseline"
    assert taken["products.room_ac.maintenance_0_.extract"] == "A"
    assert best["scenario_splits"][0] == {"scenario": "A", "taken": [
        "products.room_ac.maintenance_0_.extract"], "left": [collection]}
    assert best["notes"][0].startswith(
        "the best combination takes scenario A's settings in "
        f"products.room_ac.maintenance_0_.extract but not in {collection}, which it sets "
        "together")
    whole = opt.load_spec(doc={"objective": "co2e", "decisions": [
        {"name": "magnets", "options": {"none": {}, "a": {"scenario": "A"},
                                        "b": {"scenario": "B"}}}]})
    assert opt.optimise(mf, whole).to_json()["notes"] == []


def test_the_command_line_prints_the_note() -> None:
    """--objective re-reads the spec made from the scenarios: the note survives it."""
    from typer.testing import CliRunner

    from junkan.cli.main import app
    from tests.conftest import EXAMPLES

    out = CliRunner().invoke(app, ["optimise", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--objective", "co2e"])
    assert out.exit_code == 0, out.output
    assert "note: the best combination takes scenario A's settings" in " ".join(
        out.output.split())


@pytest.mark.parametrize("values", [[4, 3], ["4 kg", "3000 g"], ["4", "3"]])
def test_values_on_a_field_with_a_unit_are_read_as_a_range_is(values: list[object]) -> None:
    """``values: [4, 3]`` on a mass was refused ("4 has no unit …: its options must lie
    within the field's limits") where ``range: [5, 20]`` is read in the field's unit, and
    ``["4 kg", "3000 g"]`` came out as text with no unit. Each is now a number in kg."""
    model = lifecycle.load(text=TWO, source="two.yaml")
    doc = {"objective": "co2e", "decisions": [
        {"name": "mass_b", "parameter": "products.b.bom[1].mass", "values": values}]}
    best = opt.optimise(model, opt.load_spec(doc=doc)).to_json()
    (choice,) = best["choices"]
    assert (choice["value"], choice["unit"]) == (3.0, "kg")  # the lighter part: less CO2e
    assert choice["set"] == {"products.b.bom[1].mass": "3.0 kg"}  # as reported, in full
    assert choice["option"] == ("3000 g" if values[1] == "3000 g" else "3 kg")


def test_a_value_of_another_kind_is_refused_naming_the_values() -> None:
    model = lifecycle.load(text=TWO, source="two.yaml")
    doc = {"objective": "co2e", "decisions": [
        {"name": "mass_b", "parameter": "products.b.bom[1].mass", "values": ["4 kg", "3 m"]}]}
    with pytest.raises(ModelError, match=r"decisions\[0\]\.values: .*the unit the model "
                                         r"writes this field in is kg"):
        opt.optimise(model, opt.load_spec(doc=doc))


def test_a_distribution_field_with_a_unit_says_to_give_the_number() -> None:
    with pytest.raises(ValueError, match=r"parameters\.0\.mean\n.*expected a number, got "
                                         r"'2 kgCO2e/kg': .*without the unit"):
        U.UncertaintySection.model_validate({"parameters": [
            {"parameter": "materials.steel.virgin.co2e", "distribution": "normal",
             "mean": "2 kgCO2e/kg", "std": 0.2, "source": "t"}]})
    ok = U.UncertaintySection.model_validate({"parameters": [
        {"parameter": "materials.steel.virgin.co2e", "distribution": "normal",
         "mean": "2", "std": 0.2, "source": "t"}]})
    assert ok.parameters[0].mean == 2.0


def test_an_imported_process_named_in_japanese_keeps_its_name_as_key() -> None:
    """openLCA import keyed a process named only in Japanese ``process`` (the key kept
    ASCII letters only)."""
    from junkan.lifecycle.olca import _slug

    taken: dict[str, int] = {}
    assert [_slug(n, taken) for n in ("鋼材 製造 — ü", "鋼材 製造", "ＡＢＣ-1", "---")] == [
        "鋼材_製造_ü", "鋼材_製造", "abc_1", "process"]


def test_each_pareto_point_says_which_scenario_it_takes_apart() -> None:
    from typer.testing import CliRunner

    from junkan.cli.main import app
    from tests.conftest import EXAMPLES

    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    spec = opt.auto_spec(mf.raw, mf.source)
    spec = opt.load_spec(doc={**spec.model_dump(exclude_none=True),
                              "pareto": {"objectives": ["co2e", "cost"]}}).scenarios_of(spec)
    front = opt.pareto(mf, spec).to_json()
    split = [i for i, p in enumerate(front["points"]) if p["scenario_splits"]]
    assert split, "the CO2e end of the front takes A's extraction without its collection"
    for i in split:
        taken = {c["decision"]: c["option"] for c in front["points"][i]["choices"]}
        for s in front["points"][i]["scenario_splits"]:
            assert all(taken[d] != s["scenario"] for d in s["left"])
    out = CliRunner().invoke(app, ["optimise", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--pareto", "co2e,cost"])
    assert out.exit_code == 0, out.output
    assert f"note: point {split[0]} takes scenario" in " ".join(out.output.split())


def test_values_are_written_into_the_model_as_reported() -> None:
    """'3.123456789123 kg' ran the model at '3.123456789 kg' (10 digits) while the choice
    reported 3.123456789123 (review 316)."""
    model = lifecycle.load(text=TWO, source="two.yaml")
    doc = {"objective": "co2e", "decisions": [
        {"name": "mass_b", "parameter": "products.b.bom[1].mass",
         "values": ["3.123456789123 kg", 4]}]}
    (choice,) = opt.optimise(model, opt.load_spec(doc=doc)).to_json()["choices"]
    assert choice["value"] == 3.123456789123
    assert choice["set"] == {"products.b.bom[1].mass": "3.123456789123 kg"}


def test_a_family_of_several_materials_names_them_all() -> None:
    """A user's set for aluminium joining the soil family: a PP lot was told the classes are
    for aluminium only (review 316)."""
    from junkan import grading

    own = grading.CriteriaSet.model_validate({
        "id": "al-class", "version": "1", "title": "t", "status": "assumption",
        "assumption_reason": "test", "source": "s", "family": "soil-mlit", "rank": 9,
        "materials": ["aluminium"],
        "rules": [{"type": "range", "property": "composition.Fe", "max": 1.0}]})
    lot = grading.Item.model_validate({"id": "pp-1", "kind": "recycled_material",
                                       "material": {"name": "PP"}, "quantity": {"mass": "1 t"},
                                       "composition": {"Fe": 0.1}})
    res = grading.grade([lot], ["soil-mlit", own])
    assert res.classes["soil-mlit"] == [None]
    assert res.class_notes() == ["pp-1: no soil-mlit class: its classes are for soil or "
                                 "aluminium and the lot is PP"]
