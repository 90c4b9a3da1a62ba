"""``true`` / ``false`` where a number is wanted is refused, naming the field, in every input
schema (``junkan.core.base.Strict``): pydantic read them as 1 and 0, so ``gsd: true`` was
refused as "greater than 1" and ``mean: true`` or an installation ``count: true`` were taken as 1
without a word (found 2026-12-04; 270 fields of 40 modules)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

import junkan
from junkan.core.base import Plain, Strict, _number_fields
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.lifecycle.uncertainty.spec import UncertainParameter
from tests.conftest import EXAMPLES


def _schemas(base: type[Plain]) -> list[type[Plain]]:
    """Every input schema of the package under ``base`` with a field of plain numbers."""
    for mod in pkgutil.walk_packages(junkan.__path__, "junkan."):
        if ".web" in mod.name or "migrations" in mod.name:
            continue
        importlib.import_module(mod.name)
    out, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if _number_fields(cls) and not cls.__name__.startswith("_"):
            out.append(cls)
    return sorted(set(out), key=lambda c: f"{c.__module__}.{c.__qualname__}")


SCHEMAS = _schemas(Strict)
PLAIN = [c for c in _schemas(Plain) if not issubclass(c, Strict)]
"""Schemas validated by the thousand, whose fields refuse booleans themselves."""


def test_the_schemas_are_found() -> None:
    """The walk finds the schemas of many capabilities (a failed import would hide them)."""
    assert len({c.__module__.split(".")[1] for c in SCHEMAS}) >= 10, SCHEMAS
    assert UncertainParameter in SCHEMAS


@pytest.mark.parametrize("cls", SCHEMAS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_boolean_for_a_number_is_refused_naming_the_field(cls: type[BaseModel]) -> None:
    for key, how in _number_fields(cls):
        for flag in (True, False):
            value, loc = {"self": (flag, (key,)), "items": ([1, flag], (key, 1)),
                          "values": ({"a": 1, "b": flag}, (key, "b"))}[how]
            with pytest.raises(ValidationError) as got:
                cls.model_validate({key: value})
            first = got.value.errors()[0]
            assert (first["type"], first["loc"]) == ("number-not-boolean", loc)
            assert f"not a boolean ({str(flag).lower()})" in first["msg"]


@pytest.mark.parametrize("cls", PLAIN, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_hot_schema_s_own_fields_refuse_a_boolean(cls: type[BaseModel]) -> None:
    """:class:`~junkan.core.base.Plain` schemas (a model's BOM lines and lifetimes, trace
    events) refuse a boolean in each number field by its own type, at the field."""
    for key, how in _number_fields(cls):
        value, loc = {"self": (True, (key,)), "items": ([1, True], (key, 1)),
                      "values": ({"a": True}, (key, "a"))}[how]
        with pytest.raises(ValidationError) as got:
            cls.model_validate({key: value})
        assert loc in [e["loc"] for e in got.value.errors()], got.value.errors()


def test_the_lifecycle_model_s_weibull_shape_and_quantity_refuse_booleans() -> None:
    """Both were read as 1 (a Weibull shape of 1, one piece per parent)."""
    doc = yaml.safe_load((EXAMPLES / "compressor_magnet.yaml").read_text())
    product = next(iter(doc["products"].values()))
    product["lifetime"] = {"distribution": "weibull", "scale": "14 year", "shape": True}
    product["bom"][0]["quantity"] = True
    from junkan.lifecycle.loader import validate

    with pytest.raises(ModelError) as got:
        validate(doc, "m.yaml")
    paths = [p.path for p in got.value.problems]
    name = next(iter(doc["products"]))
    assert f"products.{name}.lifetime.shape" in paths
    assert f"products.{name}.bom[0].quantity" in paths
    # a part's BOM line, read from YAML (columns) and from JSON (typed records)
    doc = yaml.safe_load((EXAMPLES / "compressor_magnet.yaml").read_text())
    part = next(iter(doc["parts"]))
    doc["parts"][part]["bom"][0]["quantity"] = True
    from junkan.lifecycle.api import load_model

    for read in (lambda: validate(doc, "m.yaml"),
                 lambda: load_model(text=json.dumps(doc), source="m.json")):
        with pytest.raises(ModelError) as got:
            read()
        assert [p.path for p in got.value.problems] == [f"parts.{part}.bom[0].quantity"]


def test_lists_and_mappings_of_numbers_are_checked_too() -> None:
    hows = {how for cls in SCHEMAS for _, how in _number_fields(cls)}
    assert hows == {"self", "items", "values"}


@pytest.mark.parametrize("field,doc", [
    ("mean", {"distribution": "normal", "mean": True, "std": 1}),  # was taken as mean 1.0
    ("gsd", {"distribution": "lognormal", "median": 14, "gsd": True}),  # "greater than 1"
    ("std", {"distribution": "normal", "mean": 3, "std": False}),  # was std 0
])
def test_an_uncertain_parameter_says_which_number_is_a_boolean(field: str, doc: dict) -> None:
    with pytest.raises(ModelError) as got:
        validate_with(UncertainParameter, {"parameter": "x", "source": "s", **doc}, "u.yaml")
    (problem,) = got.value.problems
    assert (problem.path, problem.kind) == (field, "number-not-boolean")
    assert problem.message.startswith(f"{field} must be a number, not a boolean")


def test_numbers_and_numbers_inside_nested_models_still_read(tmp_path: Path) -> None:
    """Numbers (and integers for floats) are read as before; a nested schema's boolean is
    named with its whole path."""
    ok = validate_with(UncertainParameter, {"parameter": "x", "source": "s", "distribution":
                                            "normal", "mean": 2, "std": 0.5}, "u.yaml")
    assert (ok.mean, ok.std) == (2.0, 0.5)
    from junkan.lifecycle.uncertainty.spec import UncertaintySection

    section = {"parameters": [{"parameter": "x", "source": "s", "distribution": "uniform",
                               "min": 0, "max": True}]}
    with pytest.raises(ModelError) as got:
        validate_with(UncertaintySection, section, "u.yaml")
    assert [p.path for p in got.value.problems] == ["parameters[0].max"]
    section["parameters"][0].update(max=1, range=[0, True])
    with pytest.raises(ModelError) as got:
        validate_with(UncertaintySection, section, "u.yaml")
    assert [(p.path, p.message) for p in got.value.problems] == [
        ("parameters[0].range[1]", "range[1] must be a number, not a boolean (true)")]
    # and from the command line, with the file's name
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"parameters": [{
        "parameter": "products.compressor.lifetime.scale", "distribution": "lognormal",
        "median": 14, "gsd": True, "source": "test"}]}))
    from typer.testing import CliRunner

    from junkan.cli.main import app

    res = CliRunner().invoke(app, ["uncertainty", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--spec", str(spec), "--runs", "10"])
    assert res.exit_code != 0
    assert "spec.yaml:parameters[0].gsd: gsd must be a number, not a boolean (true)" in \
        " ".join(res.output.split()), res.output
