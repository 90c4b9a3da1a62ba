"""Scenario overrides patched into the compiled form (:mod:`junkan.lifecycle.patch`) give the
arrays of a whole compilation, exactly: on the examples' scenarios, on overrides of a
generated benchmark model, and on random models and overrides (hypothesis)."""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle.compile import Compiled, compile_model
from junkan.lifecycle.loader import scenario_document, set_path, validate, validate_changed
from junkan.lifecycle.patch import changed_products, patched
from tests.conftest import EXAMPLES
from tests.lifecycle.test_properties import models

ROOT = Path(__file__).resolve().parents[2]


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """Equal values, arrays equal element by element, sparse matrices with equal entries."""
    if sparse.issparse(a):
        assert sparse.issparse(b) and a.shape == b.shape, where
        assert (a != b).nnz == 0, where
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    else:
        assert a == b, where


def assert_compiled_equal(fast: Compiled, whole: Compiled, *, model: bool = True) -> None:
    if model:
        assert fast.model == whole.model
    for f in dataclasses.fields(Compiled):
        if f.name not in ("model", "bom"):  # bom: the baseline's, shared (same BOMs)
            assert_same(getattr(fast, f.name), getattr(whole, f.name), f.name)


def patch_of(
    base: Compiled, overrides: dict[str, Any], raw: dict[str, Any]
) -> tuple[Compiled | None, Any]:
    doc = copy.deepcopy(raw)
    for k, v in overrides.items():
        set_path(doc, k, v)
    model = validate_changed(base.model, doc, list(overrides), "m.yaml")
    return patched(base, model), model


@pytest.mark.parametrize("example", ["compressor_magnet.yaml", "atm_reuse.yaml"])
def test_scenarios_of_the_examples_equal_a_whole_compilation(example: str) -> None:
    mf = lifecycle.load(EXAMPLES / example)
    for c in mf.compiled.values():
        assert_compiled_equal(c, compile_model(c.model))
    base = mf.compiled[mf.baseline.baseline_name]
    kinds = [changed_products(base.model, c.model) for c in mf.compiled.values()]
    if example == "compressor_magnet.yaml":  # scenarios A and B change the product only
        assert kinds[1:] == [["room_ac"], ["room_ac"]]
        assert all(patched(base, c.model) is not None for c in list(mf.compiled.values())[1:])


def test_overrides_of_the_example_run_the_same_as_a_whole_compilation() -> None:
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    raw = yaml.safe_load((EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8"))
    overrides = {
        "products.room_ac.eol.collection.rate": 0.37,
        "products.room_ac.maintenance[0].collection.rate": 0.9,
    }
    for name in mf.scenarios:
        fast = lifecycle.run(mf, name, overrides=overrides).raw
        doc = copy.deepcopy(scenario_document(raw, name, "m.yaml"))
        for k, v in overrides.items():
            set_path(doc, k, v)
        doc["scenarios"] = {}
        whole = lifecycle.run(
            lifecycle.load(text=yaml.safe_dump(doc, sort_keys=False), source="m.yaml")
        ).raw
        assert_compiled_equal(fast.compiled, whole.compiled, model=False)  # no scenarios
        for f in dataclasses.fields(fast):
            if f.name not in ("compiled", "scenario"):
                assert_same(getattr(fast, f.name), getattr(whole, f.name), f.name)


def _bench_model() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from lifecycle_bench import generate_model
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return generate_model(12, 20, 10, 15)


@pytest.mark.parametrize(
    "overrides",
    [
        {"products.p0.eol.collection.rate": 0.55},
        {"products.p3.eol.dismantling.extract": []},  # stage edges change order
        {"products.p3.eol.dismantling.extract": ["p3_q1"], "products.p4.eol.reuse.share": 0},
        {"products.p7.lifetime.scale": "3 year", "products.p8.sales": {"2000": 10}},
        {
            "products.p2.maintenance[0].collection.rate": 0.0,
            "products.p2.maintenance[0].replacement_rate": 0.2,
        },
    ],
)
def test_overrides_of_a_benchmark_model_equal_a_whole_compilation(
    overrides: dict[str, Any],
) -> None:
    raw = _bench_model()
    base = compile_model(validate(raw, "m.yaml"))
    fast, model = patch_of(base, overrides, raw)
    assert fast is not None
    assert_compiled_equal(fast, compile_model(model))


def test_what_cannot_be_patched_is_compiled_whole() -> None:
    raw = _bench_model()
    base = compile_model(validate(raw, "m.yaml"))
    cases: list[dict[str, Any]] = [
        {"parts.p0_q1.recovery.reuse.share": 0.2},  # a part: many products
        {"products.p0.maintenance": []},  # replaceable parts change
        {"products.p0.bom[15].mass": "6 kg"},  # a BOM
        {"products.p0.eol.uncollected": {"landfill": 0.5}},  # a problem
    ]
    for overrides in cases:
        assert patch_of(base, overrides, raw)[0] is None, overrides


def test_a_scenario_with_a_problem_reports_it_as_before() -> None:
    raw = yaml.safe_load((EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8"))
    raw["scenarios"]["B"]["set"]["products.room_ac.eol.uncollected"] = {"landfill": 0.5}
    with pytest.raises(ModelError) as exc:
        lifecycle.load(text=yaml.safe_dump(raw, sort_keys=False), source="m.yaml")
    assert "products.room_ac.eol.uncollected" in str(exc.value)
    assert "below 1" in str(exc.value) and "scenario 'B'" in str(exc.value)


@st.composite
def models_and_overrides(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A random model (:func:`models`) with a second product, and random overrides of the
    first product's entries."""
    doc = draw(models())
    thing = doc["products"]["thing"]
    doc["products"]["other"] = copy.deepcopy(thing)
    top = [item["part"] for item in thing["bom"] if "part" in item]
    overrides: dict[str, Any] = {}
    if draw(st.booleans()):
        overrides["products.thing.eol.collection.rate"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        overrides["products.thing.eol.reuse.share"] = draw(st.floats(0, 0.5))
    if draw(st.booleans()):
        overrides["products.thing.eol.dismantling.extract"] = [
            nm for nm in top if draw(st.booleans())
        ]
    if draw(st.booleans()):
        overrides["products.thing.maintenance[0].collection.rate"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        overrides["products.thing.lifetime"] = {
            "distribution": "weibull",
            "scale": f"{draw(st.integers(2, 15))} year",
            "shape": draw(st.sampled_from([1.5, 2.0, 3.0])),
        }
    if draw(st.booleans()):
        overrides["products.thing.sales"] = {2020: draw(st.integers(0, 500))}
    return doc, overrides


@pytest.mark.slow
@given(models_and_overrides())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_patched_random_models_equal_a_whole_compilation(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    raw, overrides = case
    base = compile_model(validate(raw, "m.yaml"))
    before = copy.deepcopy(base)
    fast, model = patch_of(base, overrides, raw)
    assert_compiled_equal(base, before)  # the base model is shared: patching leaves it be
    whole = compile_model(model)
    if overrides and model != base.model:
        assert fast is not None  # every override here is of one product's own entries
    if fast is not None:
        assert_compiled_equal(fast, whole)
        res_fast = lifecycle.simulate_compiled(fast)
        res_whole = lifecycle.simulate_compiled(whole)
        for name in ("in_use", "retired", "activity", "edges", "sink_input", "virgin"):
            np.testing.assert_array_equal(getattr(res_fast, name), getattr(res_whole, name))


def test_the_benchmark_edit_is_patched_not_compiled() -> None:
    raw = _bench_model()
    mf = lifecycle.load(text=json.dumps(raw), source="bench.json")
    res = lifecycle.run(mf, overrides={"products.p0.eol.collection.rate": 0.5})
    assert res.raw.compiled.bom is mf.compiled["baseline"].bom  # patched: BOM shared
    assert (
        res.raw.compiled.route_eol["prod"][:, 1:].nnz
        == mf.compiled["baseline"].route_eol["prod"][:, 1:].nnz
    )


def test_compile_scenario_patches_a_loaded_document() -> None:
    text = (EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8")
    overrides = {"products.room_ac.eol.collection.rate": 0.45}
    lifecycle.cache.clear()
    alone = lifecycle.compile_scenario(text, "B", overrides, source="m.yaml")
    lifecycle.cache.clear()
    mf = lifecycle.load(text=text, source="m.yaml")
    fast = lifecycle.compile_scenario(text, "B", overrides, source="m.yaml")
    assert fast.bom is mf.compiled["B"].bom  # patched from the loaded document
    assert_compiled_equal(fast, alone)
    with pytest.raises(ModelError) as exc:
        lifecycle.compile_scenario(
            text, "B", {"products.room_ac.eol.collection.rate": 2}, source="m.yaml"
        )
    lifecycle.cache.clear()
    with pytest.raises(ModelError) as whole:
        lifecycle.compile_scenario(
            text, "B", {"products.room_ac.eol.collection.rate": 2}, source="m.yaml"
        )
    assert str(exc.value) == str(whole.value)


TWO = """
junkan: 1
name: two_products
currency: JPY
years: {start: 2020, end: 2030}
actors: {maker: {role: product_maker}, recycler: {role: material_regenerator},
         dump: {role: waste_handler}}
materials:
  steel: {virgin: {co2e: 2 kgCO2e/kg, source: a}, recycled: {co2e: 0.5 kgCO2e/kg, source: a}}
  copper: {virgin: {co2e: 4 kgCO2e/kg, source: a}, recycled: {co2e: 1 kgCO2e/kg, source: a}}
parts:
  motor: {bom: [{material: copper, mass: 1 kg}]}
products:
  kettle:
    sales: 1000
    lifetime: {distribution: fixed, mean: 2 year}
    bom: [{part: motor, quantity: 1}, {material: steel, mass: 2 kg}]
    maintenance:
      - {part: motor, replacement_rate: 0.2, collection: {rate: 0.9},
         residual: {steel_recycling: 1}, uncollected: {landfill: 1}}
    eol:
      collection: {rate: 0.5}
      dismantling: {extract: [motor], residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
  fan:
    sales: 500
    lifetime: {distribution: fixed, mean: 3 year}
    bom: [{material: steel, mass: 8 kg}]
    eol:
      collection: {rate: 0.3}
      dismantling: {residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
processes:
  steel_recycling: {kind: recycling, actor: recycler, stage: recycling,
                    yields: {steel: 0.9, copper: 0.8}, residue: {landfill: 1}, source: a}
  cheap_recycling: {kind: recycling, actor: recycler, stage: recycling,
                    yields: {steel: 0.6, copper: 0.0}, residue: {landfill: 1}, source: a}
  landfill: {kind: landfill, actor: dump, stage: disposal, co2e: 0.01 kgCO2e/kg, source: a}
scenarios:
  fan_dump: {set: {products.fan.eol.dismantling.residual: {landfill: 1}}}
"""


@pytest.mark.parametrize("override", [
    {"products.fan.eol.dismantling.residual": {"landfill": 1}},
    {"products.fan.eol.collection.rate": 0.0},
    {"products.fan.eol.uncollected": {"cheap_recycling": 1}},
], ids=["other sink", "nothing collected", "uncollected recycled"])
def test_an_override_leaves_the_shared_model_as_it_was(override: dict[str, Any]) -> None:
    """Past bug: a patched product that reorders the stage edges reordered the base model's
    maintenance operator in place (the maintenance of another product, not patched): the
    baseline then crashed (operands could not be broadcast), broke its mass balance, or gave
    other figures, in every later run of the loaded (cached, shared) model."""
    lifecycle.cache.clear()
    mf = lifecycle.load(text=TWO, source="two.yaml")
    first = lifecycle.run(mf).totals()
    lifecycle.run(mf, overrides=override)
    again = lifecycle.run(mf)
    assert again.totals() == first
    assert lifecycle.run(mf, "fan_dump").totals() == lifecycle.run(
        lifecycle.load(text=TWO, source="other.yaml"), "fan_dump").totals()
