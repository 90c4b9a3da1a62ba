"""Lifecycle models within limits (issue 13, items 1, 3 and 6): BOM DAGs, scenario counts,
years × products, unit strings and non-finite numbers are refused quickly, naming the path
and the limit; legitimate models load as before."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
import yaml

from junkan.core.errors import ModelError
from junkan.core.limits import override_limits
from junkan.lifecycle import load_model
from junkan.lifecycle.api import compile_scenario


def _text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def _refused(doc: dict[str, Any] | str, seconds: float = 1.0) -> str:
    text = doc if isinstance(doc, str) else _text(doc)
    t0 = time.perf_counter()
    with pytest.raises(ModelError) as err:
        load_model(text=text, source="m.yaml")
    assert time.perf_counter() - t0 < seconds
    assert len(str(err.value)) < 2000
    return str(err.value)


def _dag(small: dict[str, Any], levels: int) -> dict[str, Any]:
    """Two parts per level, each using both parts of the next level: 2**(levels+1) - 2
    instances per product from 2 * levels part types."""
    d = copy.deepcopy(small)
    parts: dict[str, Any] = {}
    for lv in range(levels):
        for side in "ab":
            bom: list[dict[str, Any]] = [{"material": "steel", "mass": "1 kg"}]
            if lv + 1 < levels:
                bom += [{"part": f"p{lv + 1}a", "quantity": 1},
                        {"part": f"p{lv + 1}b", "quantity": 2}]
            parts[f"p{lv}{side}"] = {"bom": bom,
                                     "recovery": {"residual": {"steel_recycling": 1}}}
    d["parts"] = parts
    prod = d["products"]["widget"]
    prod["bom"] = [{"part": "p0a", "quantity": 1}, {"part": "p0b", "quantity": 1},
                   {"material": "steel", "mass": "1 kg"}]
    prod["maintenance"] = [{"part": "p0a/p1b", "replacement_rate": 0.05,
                            "uncollected": {"landfill": 1}}]
    prod["eol"]["dismantling"]["extract"] = ["p0a", "p0b/p1a/p2b"]
    d["scenarios"] = {}
    return d


def test_deep_bom_dag_is_refused_before_it_is_expanded(small: dict) -> None:
    msg = _refused(_dag(small, 19), seconds=0.5)  # 1,048,574 paths from 38 part types
    assert "m.yaml:products.widget.bom" in msg
    assert "1,048,574 part instances" in msg and "JUNKAN_LIMIT_BOM_INSTANCES" in msg


def test_a_dag_within_the_limit_is_expanded_per_path(small: dict) -> None:
    mf = load_model(text=_text(_dag(small, 8)), source="m.yaml")
    c = mf.compiled["baseline"]
    assert len(c.inst_type) == 2**9 - 2
    assert len(set(c.inst_path)) == len(c.inst_path)
    assert c.inst_path[:3] == ["p0a", "p0a/p1a", "p0a/p1a/p2a"]
    with override_limits(bom_instances=2**9 - 3):
        assert "JUNKAN_LIMIT_BOM_INSTANCES" in _refused(_dag(small, 8))


def test_product_mass_of_a_dag_counts_every_path(small: dict) -> None:
    mf = load_model(text=_text(_dag(small, 3)), source="m.yaml")
    # level 2 parts: 1 kg; level 1: 1 + 1*1 + 2*1 = 4 kg; level 0: 1 + 4 + 2*4 = 13 kg
    assert mf.compiled["baseline"].product_mass[0] == pytest.approx(1 + 13 + 13)


@pytest.mark.slow
def test_bom_depth_is_limited_without_recursion(small: dict) -> None:
    d = copy.deepcopy(small)
    chain = 3000  # deeper than Python's recursion limit
    d["parts"] = {f"q{i}": {"bom": [{"material": "steel", "mass": "1 kg"}] + (
        [{"part": f"q{i + 1}", "quantity": 1}] if i + 1 < chain else []),
        "recovery": {"residual": {"steel_recycling": 1}}} for i in range(chain)}
    prod = d["products"]["widget"]
    prod["bom"] = [{"part": "q0", "quantity": 1}]
    prod["maintenance"] = []
    prod["eol"]["dismantling"]["extract"] = []
    msg = _refused(d, seconds=5.0)
    assert "3,000 part levels deep" in msg and "JUNKAN_LIMIT_BOM_DEPTH" in msg


def test_a_bom_cycle_deeper_than_the_recursion_limit_is_reported(small: dict) -> None:
    d = copy.deepcopy(small)
    n = 2000
    d["parts"] = {f"q{i}": {"bom": [{"part": f"q{(i + 1) % n}", "quantity": 1}]}
                  for i in range(n)}
    d["products"]["widget"]["bom"] = [{"part": "q0", "quantity": 1}]
    msg = _refused(d, seconds=5.0)
    assert "parts.q1999.bom[0].part" in msg and "cycle" in msg


def test_scenario_count_is_limited(small: dict) -> None:
    d = copy.deepcopy(small)
    d["scenarios"] = {f"s{i}": {"set": {"products.widget.eol.collection.rate": 0.5}}
                      for i in range(1000)}
    msg = _refused(d, seconds=2.0)
    assert "m.yaml:scenarios" in msg and "1,000 scenarios" in msg
    assert "JUNKAN_LIMIT_SCENARIOS" in msg
    with override_limits(scenarios=1000):
        d["scenarios"] = dict(list(d["scenarios"].items())[:3])
        assert len(load_model(text=_text(d)).scenarios) == 4


def test_years_times_products_is_limited(small: dict) -> None:
    with override_limits(years_products=19):
        assert "JUNKAN_LIMIT_YEARS_PRODUCTS" in _refused(small)
    with override_limits(years_products=20):
        assert load_model(text=_text(small)).name == "small"


@pytest.mark.parametrize("where,value,path", [
    (("products", "widget", "bom", 1, "mass"), "9**9**9 kg", "products.widget.bom[1].mass"),
    (("products", "widget", "bom", 1, "mass"), "9**9**7 kg", "products.widget.bom[1].mass"),
    (("products", "widget", "bom", 1, "mass"), "nan kg", "products.widget.bom[1].mass"),
    (("products", "widget", "bom", 1, "mass"), "1e300 kg", "products.widget.bom[1].mass"),
    (("products", "widget", "bom", 0, "quantity"), float("inf"),
     "products.widget.bom[0].quantity"),
    (("products", "widget", "lifetime", "shape"), float("nan"),
     "products.widget.lifetime.shape"),
    (("processes", "assembly", "co2e"), "9**9**9 kgCO2e/piece", "processes.assembly.co2e"),
    (("processes", "assembly", "co2e"), "1e20 kgCO2e/piece", "processes.assembly.co2e"),
    (("processes", "assembly", "co2e"), "nan kgCO2e/piece", "processes.assembly.co2e"),
    (("products", "widget", "sales", 2030), "1e300", "products.widget.sales"),
    (("products", "widget", "sales", 2030), "9**9**9 piece/year", "products.widget.sales.2030"),
    (("products", "widget", "eol", "collection", "rate"), float("nan"),
     "products.widget.eol.collection.rate"),
    (("years", "start"), 10**30, "years.start"),
    (("years", "start"), 99_999, "years.start"),
])
def test_bad_numbers_are_refused_naming_the_path(small: dict, where: tuple, value: Any,
                                                  path: str) -> None:
    d = copy.deepcopy(small)
    node: Any = d
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    msg = _refused(d, seconds=1.0)
    assert f"m.yaml:{path}" in msg, msg


def test_nan_in_json_models_is_refused_naming_the_path(small: dict) -> None:
    d = copy.deepcopy(small)
    d["products"]["widget"]["bom"][0]["quantity"] = float("nan")
    msg = _refused(json.dumps(d))  # json.dumps writes NaN
    assert "m.yaml:products.widget.bom[0].quantity" in msg and "finite" in msg


def test_headline_units_are_read_by_the_grammar(small: dict) -> None:
    d = copy.deepcopy(small)
    d["headline"] = {"co2": {"metric": "co2e", "unit": "9**9**9"}}
    assert "m.yaml:headline.co2.unit" in _refused(d, seconds=0.5)
    d["headline"] = {"co2": {"metric": "co2e", "unit": "t"}}
    assert load_model(text=_text(d)).baseline.headline["co2"].unit == "t"


def test_run_overrides_are_read_by_the_grammar(small: dict) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="products.widget.bom.1..mass|out of range"):
        compile_scenario(_text(small), overrides={"products.widget.bom[1].mass": "9**9**7 kg"})
    assert time.perf_counter() - t0 < 1.0


def test_messages_quote_values_briefly(small: dict) -> None:
    d = copy.deepcopy(small)
    d["products"]["widget"]["bom"][1]["mass"] = "x" * 100_000
    msg = _refused(d)
    assert "100,000 characters" in msg and len(msg) < 400
