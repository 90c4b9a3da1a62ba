"""The parts section read as columns (issue 17): the same values as the schema's pydantic
validation, the same problems, and a mapping of Part objects for code that wants them."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

from junkan import lifecycle
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.lifecycle.compile import compile_model
from junkan.lifecycle.loader import validate
from junkan.lifecycle.part_table import PartTable, read_parts
from junkan.lifecycle.schema import LifecycleModel, Part
from tests.conftest import SMALL


def _unusual() -> dict[str, Any]:
    """SMALL with valid but unusual spellings: grams, percentages, integer shares, a
    quantity as a string, a float price, explicit nulls, no recovery at all."""
    doc = copy.deepcopy(SMALL)
    parts = doc["parts"]
    parts["magnet"]["bom"][0]["mass"] = "250 g"
    parts["motor"]["recovery"]["reuse"]["share"] = "40%"
    parts["motor"]["recovery"]["residual"] = {"steel_recycling": 1}
    parts["motor"]["price"] = 1200.5
    parts["motor"]["title"] = None
    parts["spare"] = {"bom": [{"material": "plastic", "mass": "1.5 kg", "quantity": 2}]}
    # a numeric string: pydantic reads it (the column reader leaves this part to it)
    parts["spare"]["bom"][0]["quantity"] = "2"
    return doc


def _kg_spellings() -> dict[str, Any]:
    """SMALL with every mass in kilograms, written in the forms the column reader reads
    all at once (signs, exponents, points, spaces)."""
    doc = copy.deepcopy(SMALL)
    spellings = iter(["+1.5e0 kg", " .5kg ", "12. kg", "1E-3 kg", "0.25kg", "3 kg  "])
    for part in doc["parts"].values():
        for line in part["bom"]:
            if "mass" in line:
                line["mass"] = next(spellings)
    return doc


@pytest.mark.parametrize("doc", [copy.deepcopy(SMALL), _unusual(), _kg_spellings()],
                         ids=["plain", "unusual", "kg spellings"])
def test_parts_equal_the_schema_objects(doc: dict[str, Any]) -> None:
    model = validate(doc, "m.yaml")
    reference = validate_with(LifecycleModel, doc, "m.yaml")
    assert isinstance(model.parts, PartTable)
    assert list(model.parts) == list(reference.parts)
    for name, part in reference.parts.items():
        assert model.parts[name] == part  # every field, nested objects included
    assert model.model_dump(exclude={"parts"}) == reference.model_dump(exclude={"parts"})


def test_a_document_is_compiled_the_same_from_columns_and_from_objects() -> None:
    doc = _unusual()
    doc["parts"]["motor"]["price"] = "1200.5 JPY/piece"  # a bare number is refused here
    doc["products"]["widget"]["bom"].append({"part": "spare", "quantity": 1})
    columns = lifecycle.compile_scenario(json.dumps(doc), source="a.json")
    objects = compile_model(validate_with(LifecycleModel, doc, "a.json"))
    for name in ("sales", "product_materials", "part_mass", "inst_qty_rel", "yields"):
        np.testing.assert_array_equal(getattr(columns, name), getattr(objects, name))
    for name in ("act_make", "mat_of_inst"):
        assert (getattr(columns, name) != getattr(objects, name)).nnz == 0
    for key, op in objects.route_eol.items():
        assert (columns.route_eol[key] != op).nnz == 0


_MAGNET_IN_KG = ("magnet", "bom", 0, "mass", "0.25 kg")
"""Every mass in kilograms: the column reader matches them all at once, joined by NUL
characters."""


@pytest.mark.parametrize(("edits", "where"), [
    ([("motor", "bom", 0, "mass", "-1 kg")], "parts.motor.bom[0].mass"),
    ([("motor", "bom", 0, "mass", 3)], "parts.motor.bom[0].mass"),
    ([("motor", "bom", 0, "quantity", 0)], "parts.motor.bom[0].quantity"),
    ([("motor", "recovery", "reuse", "share", 1.5)], "parts.motor.recovery.reuse.share"),
    ([("motor", "recovery", "reuse", "into", "elsewhere")], "parts.motor.recovery.reuse.into"),
    ([("motor", "recovery", "reuse", "colour", "red")], "parts.motor.recovery.reuse.colour"),
    # a string that holds two masses once the masses are joined
    ([_MAGNET_IN_KG, ("motor", "bom", 1, "mass", "1 kg\x002 kg")], "parts.motor.bom[1].mass"),
    # a NUL at the end of a string: one segment more than strings, the last one empty
    ([_MAGNET_IN_KG, ("motor", "bom", 1, "mass", "1 kg\x00")], "parts.motor.bom[1].mass"),
], ids=["negative mass", "mass without unit", "zero quantity", "share above 1",
        "unknown destination", "unknown key", "two masses in one", "NUL after a mass"])
def test_part_problems_are_those_of_the_schema(edits: list[tuple[Any, ...]],
                                                where: str) -> None:
    doc = copy.deepcopy(SMALL)
    for *keys, field, value in edits:
        node: Any = doc["parts"]
        for key in keys:
            node = node[key]
        node[field] = value
    doc["products"]["widget"]["sales"] = {2020: -5}  # a problem after the parts, too
    with pytest.raises(ModelError) as got:
        validate(doc, "m.yaml")
    with pytest.raises(ModelError) as want:
        validate_with(LifecycleModel, doc, "m.yaml")
    assert str(got.value) == str(want.value)
    assert where in str(got.value)
    assert read_parts(doc["parts"]) is None


def test_a_scenario_that_changes_a_part_replaces_its_columns() -> None:
    doc = copy.deepcopy(SMALL)
    doc["scenarios"] = {"heavy": {"set": {"parts.magnet.bom[0].mass": "400 g"}}}
    mf = lifecycle.load(text=json.dumps(doc), source="s.json")
    heavy = mf.compiled["heavy"].model.parts
    assert isinstance(heavy, PartTable) and heavy is not mf.baseline.parts
    assert heavy["magnet"].bom[0].mass == pytest.approx(0.4)
    assert mf.baseline.parts["magnet"].bom[0].mass == 0.25
    edited = copy.deepcopy(SMALL)
    edited["parts"]["magnet"]["bom"][0]["mass"] = "400 g"
    direct = lifecycle.load(text=json.dumps(edited), source="e.json").compiled["baseline"]
    np.testing.assert_array_equal(mf.compiled["heavy"].product_materials,
                                  direct.product_materials)


def test_the_table_is_a_read_only_mapping_of_parts() -> None:
    table = validate(copy.deepcopy(SMALL), "m.yaml").parts
    assert isinstance(table, PartTable)
    assert len(table) == 2 and "motor" in table and "nope" not in table
    assert table["motor"] is table["motor"]  # built once
    assert isinstance(table["magnet"], Part)
    assert table == PartTable.of(dict(table.items()))
    with pytest.raises(KeyError):
        table["nope"]


_LONG_NUMBER = """
import copy, sys
from junkan.core.errors import ModelError
from junkan.core.limits import override_limits
from junkan.lifecycle.loader import validate
from tests.conftest import SMALL
doc = copy.deepcopy(SMALL)
doc["parts"]["magnet"]["bom"][0]["mass"] = "1" * 100_000 + sys.argv[1]
with override_limits(quantity_length=200_000):
    try:
        validate(doc, "m.yaml")
    except ModelError as exc:
        print(str(exc).splitlines()[0][:60])
"""


@pytest.mark.slow  # a fresh process per case
@pytest.mark.parametrize("tail", ["x", " kg", "e5 g"])
def test_a_long_number_in_a_mass_is_read_in_one_pass(tail: str) -> None:
    """A past bug: the mass patterns (``"<number> kg"`` and the number of any quantity)
    split a run of digits between two digit groups in every way before giving up, so a
    mass of n digits not followed by ``kg`` took time in n²: 300 masses of 200 digits cost
    1.3 s of CPU, a 16 MiB document of them minutes. 100,000 digits are now read (or
    refused) at once; the old patterns take minutes on them."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", _LONG_NUMBER, tail], timeout=60,
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert tail != "x" or "unknown unit" in done.stdout
