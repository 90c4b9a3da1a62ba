"""The end-of-life and maintenance operators laid out with array operations (issue 17, "fast
end to end": :mod:`junkan.lifecycle.routing_eol`, :mod:`~junkan.lifecycle.routing_repl`) are
the operators the product-by-product walk builds, bit for bit, on the benchmark model, the
examples and random models with nested extractions; a model they do not take (a problem, a
missing residual, a replaced part inside another) is left to the walk, which reports its
problems as always."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import routing
from junkan.lifecycle.compile import Compiled, compile_model
from junkan.lifecycle.loader import validate
from tests.conftest import EXAMPLES
from tests.lifecycle.test_patch import assert_same
from tests.lifecycle.test_properties import models
from tests.lifecycle.test_routing_batch import _assert_bitwise

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[bool]]]:
    """Whether each call of the array layouts took its model (True) or left it to the walk."""
    took: dict[str, list[bool]] = {"eol": [], "maint": []}
    eol, maint = routing.eol_columns, routing.maint_columns

    def eol_spy(router: Any, route: Any) -> bool:
        took["eol"].append(eol(router, route))
        return took["eol"][-1]

    def maint_spy(router: Any, route: Any) -> Any:
        out = maint(router, route)
        took["maint"].append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(routing, "eol_columns", eol_spy)
        m.setattr(routing, "maint_columns", maint_spy)
        yield took


def _walked(model: Any, monkeypatch: pytest.MonkeyPatch) -> Compiled:
    """``model`` compiled by the walk alone (the array layouts turned off)."""
    with monkeypatch.context() as m:
        m.setattr(routing, "eol_columns", lambda router, route: False)
        m.setattr(routing, "maint_columns", lambda router, route: None)
        return compile_model(model)


def _assert_walk_equal(model: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """Compile ``model`` both ways: the same operators and kernels, or the same problems."""
    try:
        walked: Compiled | ModelError = _walked(model, monkeypatch)
    except ModelError as exc:
        walked = exc
    with _counted(monkeypatch) as took:
        try:
            laid: Compiled | ModelError = compile_model(model)
        except ModelError as exc:
            laid = exc
    if isinstance(walked, ModelError):
        assert isinstance(laid, ModelError)
        assert [(p.path, p.message) for p in laid.problems] == \
            [(p.path, p.message) for p in walked.problems]
        return took
    assert isinstance(laid, Compiled)
    _assert_bitwise(laid, walked)
    for name in ("repl_inst", "repl_entry", "repl_new", "repl_reused"):
        assert_same(getattr(laid, name), getattr(walked, name), name)
        assert getattr(laid, name).tobytes() == getattr(walked, name).tobytes(), name
    return took


def _benchmark(**kw: Any) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from lifecycle_bench import generate_model
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return generate_model(**kw)  # type: ignore[no-any-return]


def test_the_benchmark_model_is_laid_out_with_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    model = validate(_benchmark(n_products=40, n_years=6, seed=2), "bench.json")
    took = _assert_walk_equal(model, monkeypatch)
    assert took == {"eol": [True], "maint": [True]}


@pytest.mark.parametrize("example", ["atm_reuse.yaml", "compressor_magnet.yaml"])
def test_examples_are_laid_out_with_arrays(example: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for c in lifecycle.load(EXAMPLES / example).compiled.values():
        took = _assert_walk_equal(c.model, monkeypatch)
        assert took == {"eol": [True], "maint": [True]}, c.model.name


def _paths(doc: dict[str, Any], part: str, prefix: str = "") -> list[str]:
    """Every BOM path below (and including) ``part``."""
    here = f"{prefix}/{part}" if prefix else part
    out = [here]
    for item in doc["parts"][part]["bom"]:
        if "part" in item:
            out += _paths(doc, item["part"], here)
    return out


@st.composite
def varied(draw: st.DrawFn) -> dict[str, Any]:
    """:func:`~tests.lifecycle.test_properties.models` with nested extractions, parts
    without a residual of their own (the product's or the entry's then), a product without
    a dismantling residual, a second product, a second maintenance entry (possibly around
    or inside the first) and uncollected products and parts."""
    doc = draw(models())
    for part in doc["parts"].values():
        if draw(st.booleans()):
            del part["recovery"]["residual"]
    thing = doc["products"]["thing"]
    tops = [line["part"] for line in thing["bom"] if "part" in line]
    paths = [p for top in tops for p in _paths(doc, top)]
    eol = thing["eol"]
    eol["dismantling"]["extract"] = draw(st.lists(st.sampled_from(paths), unique=True,
                                                  max_size=4))
    if draw(st.integers(0, 4)) == 0:
        del eol["dismantling"]["residual"]
    if draw(st.integers(0, 4)) == 0:
        eol["collection"]["rate"] = 0.0
    entry = thing["maintenance"][0]
    below = _paths(doc, entry["part"])
    entry["extract"] = [p.split("/", 1)[1] for p in draw(st.lists(
        st.sampled_from(below), unique=True, max_size=2)) if "/" in p]
    if draw(st.booleans()):
        entry.pop("residual")
    if draw(st.booleans()):
        second = copy.deepcopy(entry)
        second.update(part=draw(st.sampled_from(paths)), extract=[])
        thing["maintenance"].insert(draw(st.integers(0, 1)), second)
    if draw(st.booleans()):
        other = copy.deepcopy(thing)
        other["eol"]["collection"]["rate"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
        other["eol"]["dismantling"]["extract"] = draw(st.lists(
            st.sampled_from(paths), unique=True, max_size=3))
        doc["products"]["other"] = other
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=varied())
def test_random_models_laid_out_with_arrays_equal_the_walk(doc: dict[str, Any]) -> None:
    try:
        model = validate(doc, "random.yaml")
    except ModelError:
        return  # refused before compiling (a nested path the schema refuses)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _assert_walk_equal(model, monkeypatch)


def _atm(edit: Any) -> Any:
    doc = lifecycle.load(EXAMPLES / "atm_reuse.yaml").raw
    doc = copy.deepcopy(doc)
    edit(doc)
    return validate(doc, "atm.yaml")


def _first_product(doc: dict[str, Any]) -> dict[str, Any]:
    return next(iter(doc["products"].values()))  # type: ignore[no-any-return]


@pytest.mark.parametrize("edit", [
    lambda d: _first_product(d)["eol"]["collection"].update(processes=["no_such_process"]),
    lambda d: _first_product(d)["eol"].update(uncollected={"no_such_sink": 1}),
    lambda d: _first_product(d)["eol"]["dismantling"].update(extract=["no/such/part"]),
    lambda d: _first_product(d)["eol"]["dismantling"].update(residual={"landfill": 0.5}),
], ids=["process", "sink", "extract", "shares"])
def test_a_problem_is_left_to_the_walk_and_reported_as_it_reports_it(
        edit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _atm(edit)
    took = _assert_walk_equal(model, monkeypatch)
    assert took["eol"] == [False]
    with pytest.raises(ModelError):
        compile_model(model)


@pytest.mark.parametrize("inner_first", [True, False])
def test_a_replaced_part_inside_another_is_refused_in_either_order(
        inner_first: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested replacements are not supported: said when the outer part's entry came first,
    and (since 2026-12-05) when the inner part's did — the walk built both columns then."""
    doc = _benchmark(n_products=3, n_years=5, seed=1)
    for name, product in doc["products"].items():
        inner = dict(product["maintenance"][0], part=f"{name}_q0/{name}_q15", extract=[])
        product["maintenance"].insert(0 if inner_first else 1, inner)
    model = validate(doc, "nested.json")
    took = _assert_walk_equal(model, monkeypatch)
    assert took == {"eol": [True], "maint": [False]}
    with pytest.raises(ModelError) as got:
        compile_model(model)
    said = [p for p in got.value.problems if "nested replacements" in p.message]
    assert [p.path for p in said] == [f"products.p{i}.maintenance[1].part" for i in range(3)]
