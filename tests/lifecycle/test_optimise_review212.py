"""Review 212 of the optimiser (hostile specs): decisions taken from scenarios whose paths
read alike once cut to a name's characters (products named in Japanese) crashed with a
pydantic traceback, and more than 40 of them too; a share constraint of 0/0 was reported,
exit 0, as met by the optimum; a spec refused for its number of tests was first expanded
(every option's paths compared pairwise: 70 s). The first three failed before their fixes;
the last two pin the count and the overlap check that were moved."""

from __future__ import annotations

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from junkan.lifecycle.optimise import solve
from junkan.lifecycle.optimise.spec import auto_spec
from junkan.lifecycle.optimise.surrogate import spec_tests
from junkan.lifecycle.optimise.surrogate import tests as count_tests
from tests.lifecycle.test_optimise_review import FRONT, TOY


def _renamed(doc: dict, names: dict[str, str]) -> dict:
    doc["products"] = {names.get(k, k): v for k, v in doc["products"].items()}
    return doc


def test_decisions_of_products_named_alike_get_their_own_names() -> None:
    doc = _renamed(yaml.safe_load(TOY), {"kettle": "電気ケトル", "fan": "電子レンジ"})
    doc["scenarios"] = {"a": {"set": {"products.電気ケトル.eol.collection.rate": 0.8}},
                        "b": {"set": {"products.電子レンジ.eol.collection.rate": 0.6}}}
    mf = lifecycle.load(text=yaml.safe_dump(doc, allow_unicode=True), source="jp.yaml")
    spec = auto_spec(mf.raw, mf.source)
    names = [d.name for d in spec.decisions]
    assert names == ["products._____.eol.collection.rate",
                     "products._____.eol.collection.rate-2"]
    best = opt.optimise(mf, spec)
    assert best.to_json()["choices"]


def test_more_decisions_than_one_optimisation_takes_is_said_plainly() -> None:
    doc = yaml.safe_load(TOY)
    doc["processes"].update({f"p{i}": {"actor": "maker", "stage": "manufacturing",
                                       "co2e": "1 kgCO2e/piece", "source": "assumption"}
                             for i in range(41)})
    doc["scenarios"] = {f"s{i}": {"set": {f"processes.p{i}.co2e": "2 kgCO2e/piece"}}
                        for i in range(41)}
    mf = lifecycle.load(text=yaml.safe_dump(doc), source="many.yaml")
    with pytest.raises(ModelError, match=r"many\.yaml:scenarios: the scenarios set 41 "
                       r"separate groups of fields, each a decision: more than the 40"):
        auto_spec(mf.raw, mf.source)


def test_a_share_of_nothing_as_a_bound_refuses_the_optimum() -> None:
    """Copper's recycled share bounded in a model without copper: 0/0 at every choice."""
    doc = yaml.safe_load(TOY)
    doc["products"]["kettle"]["bom"] = [{"material": "steel", "mass": "2 kg"}]
    del doc["parts"]
    mf = lifecycle.load(text=yaml.safe_dump(doc), source="nocopper.yaml")
    spec = opt.load_spec(doc={**FRONT, "pareto": None, "constraints": [
        {"metric": "recycled_share", "material": "copper", "max": 0.5}]})
    with pytest.raises(ModelError, match=r"constraints\[0\]: recycled_share:copper: the best "
                       r"choice found, .* its figure is 0/0 there"):
        opt.optimise(mf, spec)


def test_the_number_of_tests_is_counted_before_the_decisions_are_expanded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    mf = lifecycle.load(text=TOY, source="toy.yaml")
    spec = opt.load_spec(doc=FRONT)
    assert spec_tests(spec) == count_tests(solve._Problem(mf, spec).expanded)
    options = {f"o{j}": {"set": {"products.kettle.eol.collection.rate": 0.01 * j}}
               for j in range(64)}
    heavy = opt.load_spec(doc={"objective": "co2e", "max_tests": 100, "decisions": [
        {"name": "a", "options": options},
        {"name": "b", "options": {k: {"set": {"products.fan.eol.collection.rate": v}}
                                  for k, v in ((f"o{j}", 0.01 * j) for j in range(64))}}]})

    def expanded(*args: object) -> None:
        raise AssertionError("the decisions were expanded")

    monkeypatch.setattr(solve, "expand", expanded)
    with pytest.raises(ModelError, match="4,096 simulations .* more than max_tests"):
        opt.optimise(mf, heavy)


def test_decisions_setting_one_field_spelt_two_ways_are_refused() -> None:
    mf = lifecycle.load(text=TOY, source="toy.yaml")
    spec = opt.load_spec(doc={"objective": "co2e", "decisions": [
        {"name": "a", "options": {"x": {}, "y": {"set": {
            "products.kettle.bom[00].quantity": 2}}}},
        {"name": "b", "options": {"x": {}, "y": {"set": {
            "products.kettle.bom[0]": {"part": "motor", "quantity": 3}}}}}]})
    with pytest.raises(ModelError, match="decisions '[ab]' and '[ab]' both set"):
        opt.optimise(mf, spec)


def test_a_front_of_one_figure_and_its_opposite_is_refused() -> None:
    """co2e minimised against co2e maximised: both objectives had one key in every point."""
    with pytest.raises(ModelError, match=r"one figure \(co2e\), minimised and maximised"):
        opt.load_spec(doc={**FRONT, "pareto": {"objectives": [
            "co2e", {"metric": "co2e", "sense": "max"}]}})
