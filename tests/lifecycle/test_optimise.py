"""The optimiser equals enumeration on a small model with every kind of loop option."""

from __future__ import annotations

import json

import pytest

from junkan import lifecycle
from junkan.core.errors import JunkanError, ModelError
from junkan.lifecycle import optimise as opt
from junkan.lifecycle.optimise.features import value

MODEL = """
junkan: 1
name: kettle
currency: JPY
years: {start: 2020, end: 2028}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
  waste: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 150 JPY/kg, source: assumption}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 120 JPY/kg, source: assumption}
  plastic:
    virgin: {co2e: 3.0 kgCO2e/kg, cost: 200 JPY/kg, source: assumption}
parts:
  heater:
    make: [heater_making]
    bom: [{material: steel, mass: 300 g}]
    recovery:
      reuse: {share: 0.5, pass_rate: 0.8, processes: [inspection]}
products:
  kettle:
    make: [assembly]
    sales: {2020: 10000, 2028: 14000}
    lifetime: {distribution: weibull, scale: 4 year, shape: 2}
    bom:
      - {part: heater, quantity: 1}
      - {material: steel, mass: 1.2 kg}
      - {material: plastic, mass: 0.5 kg}
    eol:
      collection: {rate: 0.5, processes: [pickup]}
      reuse: {share: 0.2, pass_rate: 0.5, processes: [refurb]}
      dismantling: {processes: [dismantle], extract: [heater], residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
processes:
  assembly: {actor: maker, stage: manufacturing, co2e: 2 kgCO2e/piece, cost: 800 JPY/piece,
             revenue: 5000 JPY/piece, source: assumption}
  heater_making: {actor: maker, stage: manufacturing, co2e: 1.5 kgCO2e/piece,
                  cost: 400 JPY/piece, source: assumption}
  pickup: {actor: recycler, stage: collection, co2e: 0.8 kgCO2e/piece, cost: 150 JPY/piece,
           source: assumption}
  refurb: {actor: recycler, stage: reuse, co2e: 1.0 kgCO2e/piece, cost: 600 JPY/piece,
           revenue: 1500 JPY/piece, source: assumption}
  inspection: {actor: recycler, stage: reuse, co2e: 0.2 kgCO2e/piece, cost: 120 JPY/piece,
               revenue: 300 JPY/piece, source: assumption}
  reman: {actor: recycler, stage: remanufacturing, co2e: 0.6 kgCO2e/piece,
          cost: 250 JPY/piece, revenue: 350 JPY/piece, source: assumption}
  dismantle: {actor: recycler, stage: dismantling, co2e: 0.1 kgCO2e/piece, cost: 60 JPY/piece,
              source: assumption}
  steel_recycling: {kind: recycling, actor: recycler, stage: recycling, yields: {steel: 0.9},
                    residue: {landfill: 1}, co2e: 0.3 kgCO2e/kg, cost: 10 JPY/kg,
                    revenue: 25 JPY/kg, source: assumption}
  energy_recovery: {kind: energy_recovery, actor: waste, stage: energy_recovery,
                    co2e: 0.9 kgCO2e/kg, cost: 30 JPY/kg, revenue: 5 JPY/kg, source: assumption}
  landfill: {kind: landfill, actor: waste, stage: disposal, co2e: 0.02 kgCO2e/kg,
             cost: 40 JPY/kg, source: assumption}
scenarios:
  more:
    set:
      products.kettle.eol.collection.rate: 0.8
      parts.heater.recovery.reuse.share: 0.9
"""

DECISIONS = [
    {"name": "product_reuse", "parameter": "products.kettle.eol.reuse.share", "values": [0.0, 0.2]},
    {
        "name": "heater",
        "options": {
            "none": {"set": {"parts.heater.recovery.reuse.share": 0.0}},
            "reuse": {"set": {"parts.heater.recovery.reuse.share": 0.5}},
            "remanufacture": {
                "set": {
                    "parts.heater.recovery.reuse.share": 0.0,
                    "parts.heater.recovery.remanufacture": {"share": 0.6, "processes": ["reman"]},
                }
            },
        },
    },
    {
        "name": "route",
        "parameter": "products.kettle.eol.dismantling.residual",
        "values": [{"steel_recycling": 1}, {"energy_recovery": 1}],
    },
    {
        "name": "depth",
        "parameter": "products.kettle.eol.dismantling.extract",
        "values": [["heater"], []],
    },
    {
        "name": "collection",
        "parameter": "products.kettle.eol.collection.rate",
        "range": [0.3, 0.9],
        "steps": 3,
    },
]


@pytest.fixture(scope="module")
def model() -> lifecycle.ModelFile:
    return lifecycle.load(text=MODEL, source="kettle.yaml")


def spec(**kw):
    return opt.load_spec(doc={"decisions": DECISIONS, **kw})


def _check_equal(model, s):
    best = opt.optimise(model, s)
    ref, points = opt.enumerate_options(model, s)
    got, want = value(s.objective, best.best.raw), value(s.objective, ref.raw)
    sign = -1 if s.objective.maximise else 1
    if best.method.get("refined"):  # a range moved off its levels: better than any level
        assert sign * got < sign * want
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert best.best.feasible
    # no feasible combination beats it
    assert all(
        sign * value(s.objective, p.raw) >= sign * got - 1e-9 * abs(got)
        for p in points
        if p.feasible
    )
    return best, points


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["co2e", "cost", "virgin_input", "margin"])
def test_optimum_equals_enumeration(model, objective):
    best, points = _check_equal(model, spec(objective=objective))
    assert len(points) == 2 * 3 * 2 * 2 * 3
    assert best.method["name"] in ("milp", "enumeration")


@pytest.mark.slow
def test_constraints_budget_share_capacity(model):
    free = opt.optimise(model, spec(objective="co2e"))
    budget = free.best.raw["cost"] * 0.995
    s = spec(
        objective="co2e",
        constraints=[
            {"metric": "cost", "max": budget},
            {"metric": "recycled_share", "material": "steel", "min": 0.02},
            {"metric": "activity", "process": "refurb", "basis": "piece", "max": 1500},
        ],
    )
    best, points = _check_equal(model, s)
    assert best.best.raw["cost"] <= budget * (1 + 1e-9)
    assert any(not p.feasible for p in points)  # the constraints bite


@pytest.mark.slow
def test_rap_ratio_by_dinkelbach(model):
    best, _ = _check_equal(model, spec(objective="rap:recycler"))
    assert "Dinkelbach" in best.method["text"]


def test_interactions_detected_and_linear_range_kept(model):
    best = opt.optimise(model, spec(objective="co2e"))
    pairs = {tuple(i["decisions"]) for i in best.method["interactions"]}
    assert ("product_reuse", "collection") in pairs or ("collection", "product_reuse") in pairs
    assert best.method["deviation"] <= 1e-6


def test_continuous_range_alone_is_exact():
    # without reuse loops the model is linear in the collection rate
    text = MODEL.replace("share: 0.5, pass_rate: 0.8", "share: 0.0, pass_rate: 0.8")
    m = lifecycle.load(
        text=text.replace("share: 0.2, pass_rate: 0.5", "share: 0.0"), source="kettle.yaml"
    )
    s = opt.load_spec(doc={"objective": "cost", "decisions": [DECISIONS[-1]]})
    best = opt.optimise(m, s)
    assert not best.method["interactions"] and not best.method["nonlinear_ranges"]
    # cost falls or rises linearly with collection: the optimum is a bound
    assert best.best.choices[0]["value"] in (pytest.approx(0.3), pytest.approx(0.9))


def test_pareto_points_are_nondominated(model):
    s = spec(objective="co2e", pareto={"objectives": ["co2e", "cost"], "points": 6})
    front = opt.pareto(model, s)
    _, points = opt.enumerate_options(model, s)
    vals = [(p.raw["co2e"], p.raw["cost"]) for p in points]
    for p in front.points:
        c, k = p.raw["co2e"], p.raw["cost"]
        assert not any(a < c - 1e-9 * c and b < k - 1e-9 * k for a, b in vals)
    best_co2 = min(v[0] for v in vals)
    best_cost = min(v[1] for v in vals)
    assert min(p.raw["co2e"] for p in front.points) == pytest.approx(best_co2, rel=1e-9)
    assert min(p.raw["cost"] for p in front.points) == pytest.approx(best_cost, rel=1e-9)
    doc = json.loads(json.dumps(front.to_json()))
    assert {a["actor"] for a in doc["points"][0]["actors"]} == {"maker", "recycler", "waste"}
    assert doc["scenario"] == "baseline"  # as the optimum's document says it (review 251)
    # money in the model's currency (review 248: actors.csv's margin said none)
    assert set(front.to_frame().columns) >= {"point", "point_co2e", "point_cost_JPY", "actor",
                                             "margin_JPY", "margin_change_JPY", "co2e_t"}
    assert "margin_change_JPY" in opt.optimise(model, spec(objective="co2e")).to_frame().columns


def test_reports(model, tmp_path):
    s = spec(objective="co2e", pareto={"objectives": ["co2e", "cost"], "points": 3})
    page = opt.pareto(model, s).report(tmp_path)
    assert "Pareto" in page.read_text(encoding="utf-8")
    page = opt.optimise(model, s).report(tmp_path)
    assert "gain or loss" in page.read_text(encoding="utf-8")
    # a per-year constraint's binding year is a year, not an amount (review 251: "2,044")
    s = spec(objective="co2e", constraints=[{"metric": "activity", "process": "pickup",
                                             "basis": "piece", "max": 1e9},
                                            {"metric": "cost", "max": 1e15}])
    best = opt.optimise(model, s)
    years = [c["year"] for c in best.to_json()["constraints"]]
    assert 2020 <= years[0] <= 2028 and years[1] is None  # a figure over the whole window
    html = best.report(tmp_path / "y").read_text(encoding="utf-8")
    assert f">{years[0]}<" in html and f"{years[0]:,}" not in html
    assert f"{years[0]}.0" not in html and ">nan<" not in html  # nor 2028.0 beside a None


def test_auto_spec_from_scenarios(model):
    s = opt.auto_spec(model.raw, model.source)
    names = {d.name for d in s.decisions}
    assert names == {"products.kettle.eol.collection.rate", "parts.heater.recovery.reuse.share"}
    assert all(list(d.options or {})[0] == "baseline" for d in s.decisions)
    _check_equal(model, s)


def test_bad_specs(model):
    with pytest.raises(ModelError, match="both set"):
        opt.optimise(
            model,
            opt.load_spec(
                doc={
                    "decisions": [
                        DECISIONS[-1],
                        {
                            "name": "c2",
                            "parameter": "products.kettle.eol.collection",
                            "values": [{"rate": 0.1}],
                        },
                    ]
                }
            ),
        )
    with pytest.raises(JunkanError, match="unknown actor"):
        opt.optimise(model, spec(objective="rap:nobody"))
    with pytest.raises(JunkanError, match=r"constraints\[0\]\.max: cost ≤ 1 JPY cannot be met"):
        opt.optimise(model, spec(constraints=[{"metric": "cost", "max": 1.0}]))
    with pytest.raises(ModelError, match="range"):
        opt.load_spec(doc={"decisions": [{"name": "x", "parameter": "a.b", "range": [1, 0]}]})
    with pytest.raises(ModelError, match="objective"):
        opt.load_spec(doc={"objective": "activity:pickup"})
    with pytest.raises(ModelError):
        opt.load_spec(doc={"decisions": [{"name": "x", "parameter": "a", "range": [0, "nan"]}]})


def test_cli(tmp_path):
    from typer.testing import CliRunner

    from junkan.cli.main import app

    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(json.dumps({"decisions": DECISIONS[:2]}), encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "optimise",
            str(tmp_path / "m.yaml"),
            "--spec",
            str(tmp_path / "s.yaml"),
            "--pareto",
            "co2e,cost",
            "--out",
            str(tmp_path / "out"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "pareto.html").exists()
    assert json.loads(res.output)["points"]
    res = CliRunner().invoke(app, ["optimise", str(tmp_path / "m.yaml"), "--objective", "nope"])
    assert res.exit_code == 2


def test_the_model_as_given_says_whether_it_meets_the_constraints(model):
    """The Pareto chart's ✕ (the model as given) could look cheaper than every optimal loop
    without saying it breaks a constraint: both documents now say, constraint by constraint,
    with the value simulated for the model as given."""
    as_given = opt.optimise(model, spec(objective="co2e"))
    steel = value(opt.load_spec(doc={"objective": "co2e", "decisions": DECISIONS, "constraints": [
        {"metric": "recycled_share", "material": "steel", "min": 0.0}]}).constraints[0],
        as_given.as_modelled.raw)
    for bound, met in ((0.5 * steel, True), (min(1.0, 1.5 * steel + 0.01), False)):
        cons = [{"metric": "recycled_share", "material": "steel", "min": bound},
                {"metric": "cost", "max": 1e30}]
        front = opt.pareto(model, spec(objective="co2e", constraints=cons, pareto={
            "objectives": ["co2e", "cost"], "points": 3})).to_json()
        best = opt.optimise(model, spec(objective="co2e", constraints=cons)).to_json()
        for doc in (front, best):
            share, cost = doc["as_modelled_constraints"]
            assert share["figure"] == best["constraints"][0]["figure"] and share["min"] == bound
            assert share["value"] == pytest.approx(steel) and share["met"] is met
            assert cost["met"] is True and cost["max"] == 1e30
        assert all(c["met"] for c in best["constraints"])  # the optimum keeps its bounds
