"""The published JSON Schema of the model format (issue 27, item 5): generated from the same
pydantic models the loader uses, a description on every field, quantities as strings with
units — every shipped example validates, and documents the loader refuses are refused."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan.core.errors import ModelError
from junkan.lifecycle import LifecycleModel, load
from tests.conftest import EXAMPLES, ROOT, SMALL

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_FILE = ROOT / "docs" / "schema" / "lifecycle-model.schema.json"
LIFECYCLE_EXAMPLES = sorted(
    p
    for p in EXAMPLES.glob("*.yaml")
    if re.search(r"^junkan: 1$", p.read_text(encoding="utf-8"), re.M)
)


def _validator() -> Any:
    schema = LifecycleModel.model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _as_json(doc: Any) -> Any:
    """What a JSON Schema validator sees of a YAML document (keys as strings)."""
    return json.loads(json.dumps(doc, default=str))


def _guide_model() -> dict[str, Any]:
    text = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(junkan: 1\n.*?)```", text, re.S)
    assert block is not None
    return yaml.safe_load(block.group(1))


def test_published_schema_is_the_generated_one() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == LifecycleModel.model_json_schema(), (
        "run: .venv/bin/junkan schema --out docs/schema/lifecycle-model.schema.json"
    )


def test_every_field_has_a_description() -> None:
    schema = LifecycleModel.model_json_schema()
    missing = [
        f"{name}.{field}"
        for name, d in schema["$defs"].items()
        for field, p in d.get("properties", {}).items()
        if not p.get("description")
    ]
    missing += [f"(root).{f}" for f, p in schema["properties"].items() if not p.get("description")]
    assert missing == []


def test_quantities_are_strings_with_units() -> None:
    defs = LifecycleModel.model_json_schema()["$defs"]
    mass = defs["BomItem"]["properties"]["mass"]["anyOf"][0]
    assert mass["type"] == "string" and "pattern" in mass
    for name, field in (
        ("Lifetime", "mean"),
        ("Lifetime", "std"),
        ("Lifetime", "scale"),
        ("Process", "distance"),
        ("Process", "co2e"),
    ):
        first = defs[name]["properties"][field]["anyOf"][0]
        assert first["type"] == "string", (name, field)


@pytest.mark.slow
def test_every_shipped_example_validates() -> None:
    assert len(LIFECYCLE_EXAMPLES) >= 2
    validator = _validator()
    for path in LIFECYCLE_EXAMPLES:
        doc = _as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], path.name
    for doc in (SMALL, _guide_model()):
        assert list(_validator().iter_errors(_as_json(doc))) == []


def _small() -> dict[str, Any]:
    doc = copy.deepcopy(SMALL)
    doc["scenarios"] = {}
    return doc


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: Any = doc
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last: Any = int(keys[-1]) if isinstance(node, list) else keys[-1]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()
INVALID = {
    "bare number as a mass": ("parts.motor.bom.1.mass", 3),
    "mass without a number": ("parts.motor.bom.1.mass", "kg"),
    "negative mass": ("parts.motor.bom.1.mass", "-3 kg"),
    "unknown key (a typo)": ("products.widget.lifetim", {"distribution": "fixed"}),
    "share above 1": ("products.widget.eol.collection.rate", 1.5),
    "percentage as text that is not one": ("products.widget.eol.collection.rate", "lots"),
    "fixed lifetime without mean": ("products.widget.lifetime", {"distribution": "fixed"}),
    "fixed lifetime with a std": (
        "products.widget.lifetime",
        {"distribution": "fixed", "mean": "5 year", "std": "1 year"},
    ),
    "weibull without shape": (
        "products.widget.lifetime",
        {"distribution": "weibull", "scale": "5 year"},
    ),
    "lifetime as a bare number": ("products.widget.lifetime", {"distribution": "fixed", "mean": 5}),
    "BOM line with part and material": (
        "parts.motor.bom.0",
        {"part": "magnet", "material": "steel", "mass": "1 kg"},
    ),
    "BOM material without mass": ("parts.motor.bom.1", {"material": "steel"}),
    "maintenance with rate and lifetime": (
        "products.widget.maintenance.0.lifetime",
        {"distribution": "fixed", "mean": "2 year"},
    ),
    "maintenance with neither": ("products.widget.maintenance.0.replacement_rate", _DELETE),
    "unknown reuse destination": ("parts.motor.recovery.reuse.into", "landfill"),
    "factor without a unit": ("processes.assembly.co2e", 4),
    "unknown currency": ("currency", "GBP"),
    "name with a space": ("name", "my model"),
    "format version 2": ("junkan", 2),
    "no years": ("years", _DELETE),
    "sales keyed by a word": ("products.widget.sales", {"soon": 100}),
    "negative sales": ("products.widget.sales", -5),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_documents_are_refused_by_schema_and_loader(case: str) -> None:
    path, value = INVALID[case]
    doc = _set(_small(), path, value)
    assert list(_validator().iter_errors(_as_json(doc))), f"schema accepts: {case}"
    with pytest.raises(ModelError):
        load(text=yaml.safe_dump(doc), source="invalid.yaml")


def test_the_valid_variants_pass_both() -> None:
    validator = _validator()
    variants = [
        ("products.widget.eol.collection.rate", "70%"),
        ("products.widget.maintenance.0.replacement_rate", "0.05 1/year"),
        ("parts.motor.bom.1.mass", "3000 g"),
        ("parts.motor.recovery.reuse.into", "both"),
        ("products.widget.sales", "1000 piece/year"),
        (
            "products.widget.lifetime",
            {"distribution": "lognormal", "mean": "6 year", "std": "2 year"},
        ),
    ]
    for path, value in variants:
        doc = _set(_small(), path, value)
        assert list(validator.iter_errors(_as_json(doc))) == [], path
        load(text=yaml.safe_dump(doc), source="valid.yaml")


def test_sections_left_empty_pass_both() -> None:
    """Past bug (review 262): ``observations:`` and ``groups:`` with nothing under them were
    read as empty, but the published schema required a list and a mapping there."""
    doc = _small()
    doc["uncertainty"] = {"parameters": [{
        "parameter": "products.widget.eol.collection.rate", "distribution": "uniform",
        "min": 0.3, "max": 0.7, "source": "assumption"}], "groups": None, "observations": None}
    assert list(_validator().iter_errors(_as_json(doc))) == []
    load(text=yaml.safe_dump(doc), source="valid.yaml")
    doc["uncertainty"]["observations"] = "none"
    assert list(_validator().iter_errors(_as_json(doc)))


def test_schema_file_is_what_the_cli_prints(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from junkan.cli.main import app

    out = tmp_path / "schema.json"
    res = CliRunner().invoke(app, ["schema", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        SCHEMA_FILE.read_text(encoding="utf-8")
    )
