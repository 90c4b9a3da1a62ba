"""Hostile optimisation specs (review of issue 17): a window outside the horizon and a
constraint no value can meet are refused instead of optimising figures of 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from junkan import lifecycle
from junkan.core.errors import JunkanError, ModelError
from junkan.lifecycle import optimise as opt
from tests.lifecycle.test_optimise import MODEL

DECISION = {
    "name": "collection",
    "parameter": "products.kettle.eol.collection.rate",
    "values": [0.3, 0.6],
}


def test_years_outside_the_horizon_or_reversed_are_refused() -> None:
    """Both used to optimise an empty window: every figure 0, a meaningless 'optimum'."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    spec = opt.OptimiseSpec.model_validate({"decisions": [DECISION], "years": [1990, 2000]})
    with pytest.raises(JunkanError, match=r"not within the model's horizon 2020–2028"):
        opt.optimise(model, spec)
    # past bug: a window reaching past the horizon was optimised over the years it shares
    # with it, silently; one around it said 'no combination satisfies the constraints'
    for years in ([2024, 2100], [1900, 2100]):
        spec = opt.OptimiseSpec.model_validate({"decisions": [DECISION], "years": years})
        with pytest.raises(JunkanError, match=rf"years: \[{years[0]}, {years[1]}\] is not within"):
            opt.optimise(model, spec)
    with pytest.raises(ValidationError, match="first year must not come after the last"):
        opt.OptimiseSpec.model_validate({"decisions": [DECISION], "years": [2028, 2020]})


def test_a_constraint_with_min_above_max_is_refused() -> None:
    """It used to be accepted and end in 'no combination satisfies the constraints'."""
    with pytest.raises(ValidationError, match=r"constraints\.0[\s\S]*min \(5\) is above max"):
        opt.OptimiseSpec.model_validate(
            {"decisions": [DECISION], "constraints": [{"metric": "cost", "min": 5, "max": 1}]}
        )


def test_a_pareto_front_of_one_objective_against_itself_is_refused() -> None:
    """``--pareto co2e,co2e`` used to print a 'front' of one figure."""
    with pytest.raises(ValidationError, match=r"the two objectives are the same \(co2e\)"):
        opt.OptimiseSpec.model_validate(
            {"decisions": [DECISION], "pareto": {"objectives": ["co2e", "co2e"]}}
        )


def test_errors_in_a_spec_file_name_that_file(tmp_path: Path) -> None:
    """An unknown scenario in an option was reported at the model's 'scenarios'; overlapping
    decisions at the model's 'decisions' (a field it does not have)."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    path = tmp_path / "spec.yaml"
    bad = {"name": "x", "options": {"a": {"scenario": "nope"}}}
    path.write_text(yaml.safe_dump({"decisions": [bad]}), encoding="utf-8")
    with pytest.raises(ModelError) as err:
        opt.optimise(model, opt.load_spec(path))
    assert str(err.value) == (
        f"{path}:decisions[0].options.a.scenario: unknown scenario 'nope'; the model has: "
        "baseline, more"
    )
    twice = {**DECISION, "name": "y", "parameter": "products.kettle.eol.collection"}
    twice["values"] = [{"rate": 0.4}]
    path.write_text(yaml.safe_dump({"decisions": [DECISION, twice]}), encoding="utf-8")
    with pytest.raises(ModelError, match=f"^{re.escape(str(path))}:decisions: .* both set"):
        opt.optimise(model, opt.load_spec(path))


def test_a_bad_option_names_its_decision_and_option() -> None:
    """The model's refusal named the model file and path only, not the spec's decision."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    bad = {**DECISION, "name": "collect", "values": [0.3, 5]}
    spec = opt.OptimiseSpec.model_validate({"decisions": [bad]})
    with pytest.raises(ModelError, match=r"option '5' of decision 'collect' \(optimisation "
                       r"spec:decisions\[0\]\) in the optimisation spec: its options must lie"):
        opt.optimise(model, spec)


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["co2e", "cost", "recycled_share:rare_earth", "rap"])
def test_optimum_equals_enumeration_on_the_magnet_example(objective: str) -> None:
    """A second model than the kettle: the shipped compressor-magnet spec (two option
    decisions and a collection range, a budget and a minimum recycled share)."""
    from junkan.lifecycle.optimise.features import value
    from tests.conftest import EXAMPLES

    model = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    spec = opt.load_spec(EXAMPLES / "optimise" / "compressor_magnet.yaml")
    doc = spec.model_dump(exclude={"pareto"}) | {"objective": objective}
    spec = opt.OptimiseSpec.model_validate(doc)
    best = opt.optimise(model, spec)
    reference, _ = opt.enumerate_options(model, spec)
    got, want = value(spec.objective, best.best.raw), value(spec.objective, reference.raw)
    # the range is continuous where it interacts (enumeration takes its levels): at least as
    # good as every level, and equal where the optimum lies on one
    sign = -1 if spec.objective.maximise else 1
    assert sign * got <= sign * want + 1e-9 * abs(want)
    if not best.method.get("ranges_continuous_in_blocks"):
        assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("decision", [
    {"name": "horizon", "parameter": "years.end", "values": [2040, 2045]},
    {"name": "horizon", "options": {"short": {"set": {"years.end": 2024}}, "long": {}}},
    {"name": "money", "options": {"usd": {"set": {"currency": "USD"}}}},
])
def test_a_decision_on_what_describes_the_model_is_refused(decision: dict[str, object]) -> None:
    """A decision on ``years.end`` compared different horizons and 'chose' the shorter one
    (less CO2e summed): the horizon, currency and scenarios are no loop options."""
    with pytest.raises(ValidationError, match=r"describes the model itself"):
        opt.OptimiseSpec.model_validate({"decisions": [decision]})


@pytest.mark.parametrize("decision", [
    {"name": "rate", "parameter": "products.kettle..rate", "values": [0.2, 0.4]},
    {"name": "rate", "parameter": "products.kettle.eol.collection.rate.", "values": [0.2]},
    {"name": "rate", "options": {"a": {"set": {"products.kettle.eol[0": 0.5}}}},
])
def test_a_decision_on_what_is_not_a_document_path_is_refused(
        decision: dict[str, object]) -> None:
    """``products.kettle..rate`` was read leniently as ``products.kettle.rate`` when the
    decisions were grouped and their units looked up; it is refused as the loader refuses
    it, naming the path."""
    with pytest.raises(ValidationError, match=r"is not a document path"):
        opt.OptimiseSpec.model_validate({"decisions": [decision]})


@pytest.mark.parametrize("sink", ["landfil", "landfill.", "land[fill"])
def test_an_options_problem_at_a_path_that_is_no_document_path_names_the_option(
        sink: str) -> None:
    """A sink named ``landfill.`` in an option's mix is reported at
    ``products.kettle.eol.uncollected.landfill.``, which is no document path: the problem
    is still the model's, named with the option that set it (it was a ValueError)."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    spec = opt.OptimiseSpec.model_validate({"decisions": [{"name": "mix", "options": {
        "a": {"set": {"products.kettle.eol.collection.rate": 0.5}},
        "b": {"set": {"products.kettle.eol.uncollected": {sink: 1}}}}}]})
    with pytest.raises(ModelError, match=r"set by option 'b' of decision 'mix'"):
        opt.optimise(model, spec)


def test_decisions_from_scenarios_leave_out_a_scenarios_horizon() -> None:
    """A scenario that also shortens the horizon gives a decision on its loop settings only."""
    raw = yaml.safe_load(MODEL)
    raw["scenarios"] = {"short": {"set": {"years.end": 2024,
                                          "products.kettle.eol.collection.rate": 0.9}}}
    spec = opt.auto_spec(raw, "kettle.yaml")
    paths = [p for d in spec.decisions for o in (d.options or {}).values() for p in o.set]
    assert paths == ["products.kettle.eol.collection.rate"]


def test_a_spec_whose_tests_take_too_long_is_refused_before_any_run() -> None:
    """12 decisions of 30 values each simulated 55,855 option pairs (some ten minutes) only
    to be refused by max_enumerate; the tests are now counted first: here 1 + 3 × 2 options
    alone + 3 pairs of decisions × 2 × 2 = 19, above max_tests."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    paths = ["products.kettle.eol.collection.rate", "parts.heater.recovery.reuse.share",
             "parts.heater.recovery.reuse.pass_rate"]
    decisions = [{"name": f"d{i}", "parameter": p, "values": [0.2, 0.5, 0.8]}
                 for i, p in enumerate(paths)]
    calls: list[object] = []
    spec = opt.OptimiseSpec.model_validate({"decisions": decisions, "max_tests": 18})
    with pytest.raises(ModelError, match=r"would take 19 simulations.*max_tests \(18\)"):
        opt.optimise(model, spec, progress=lambda *a: calls.append(a))
    assert not calls  # nothing ran
    spec = opt.OptimiseSpec.model_validate({"decisions": decisions, "max_tests": 19})
    assert opt.optimise(model, spec).to_json()["choices"]


def test_two_decisions_on_one_year_written_two_ways_are_refused() -> None:
    """Review 258: ``sales.2020`` and ``sales.02020`` are one field of ``sales: {2020: …}``;
    two decisions setting it were accepted, the later one's value taking the field."""
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    a = {"name": "a", "parameter": "products.kettle.sales.2020", "values": [9000, 10000]}
    b = {"name": "b", "parameter": "products.kettle.sales.02020", "values": [8000, 12000]}
    spec = opt.OptimiseSpec.model_validate({"decisions": [a, b]})
    with pytest.raises(ModelError, match=r"decisions 'a' and 'b' both set .*sales\.0?2020"):
        opt.optimise(model, spec)
    # another year is another field
    spec = opt.OptimiseSpec.model_validate(
        {"decisions": [a, {**b, "parameter": "products.kettle.sales.2028"}]})
    assert opt.optimise(model, spec).best.choices


def test_options_from_scenarios_name_the_baseline_as_the_model_does() -> None:
    """Review 261: the model as given was the option 'baseline' of a model whose baseline is
    called 'reference' (``baseline_name``)."""
    model = lifecycle.load(text="baseline_name: reference\n" + MODEL, source="kettle.yaml")
    spec = opt.auto_spec(model.raw, model.source)
    assert spec.decisions and all(list(d.options or {})[0] == "reference"
                                  for d in spec.decisions)
    assert all("baseline" not in (d.options or {}) for d in spec.decisions)
