"""The loader's fast paths give what the general code gives: the schema's mass and share
validators (a shortcut for ``"<number> kg"`` and for a float in [0, 1]) against
:mod:`junkan.core.fields`, value for value and message for message; and the BOM checks'
cycle and duplicate reports on parts with and without sub-parts."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from junkan.core import fields
from junkan.core.errors import ModelError
from junkan.lifecycle import load_model
from junkan.lifecycle.schema_types import Fraction, Mass


class _Fast(BaseModel):
    mass: Mass | None = None
    share: Fraction | None = None


class _Core(BaseModel):
    mass: fields.Mass | None = None
    share: fields.Fraction | None = None


def _outcome(cls: type[BaseModel], **kw: Any) -> Any:
    try:
        return ("ok", cls(**kw).model_dump())
    except ValidationError as exc:
        return ("error", [(e["loc"], e["msg"]) for e in exc.errors()])


MASSES = ["1.5 kg", "  2 kg ", "+.5kg", "3e2 kg", "0 kg", "250 g", "1.2 t", "-1 kg", "1e400 kg",
          "1e16 kg", "kg", "1.5 kgs", "1.5 lb", "nan kg", 3, 2.5, True, None, "x" * 300 + " kg"]
SHARES = [0.0, 0.3, 1.0, 1, 0, "40%", " 5 % ", 1.5, -0.1, float("nan"), float("inf"), True,
          "0.3", "abc%", None, -0.0]


@pytest.mark.parametrize("value", MASSES, ids=repr)
def test_mass_fast_path_equals_the_core_converter(value: Any) -> None:
    fast, core = _outcome(_Fast, mass=value), _outcome(_Core, mass=value)
    assert fast == core
    if fast[0] == "ok" and isinstance(value, str) and value.strip().endswith(" kg"):
        assert fast[1]["mass"] == float(value.strip()[:-3])


@pytest.mark.parametrize("value", SHARES, ids=repr)
def test_fraction_fast_path_equals_the_core_validator(value: Any) -> None:
    assert _outcome(_Fast, share=value) == _outcome(_Core, share=value)


def _doc(parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t", "years": {"start": 2020, "end": 2022},
        "actors": {"m": {"role": "product_maker"}},
        "materials": {"steel": {"virgin": {"source": "assumption: test"}}},
        "processes": {"landfill": {"kind": "landfill", "actor": "m", "stage": "disposal",
                                   "source": "assumption: test"}},
        "parts": parts,
        "products": {"w": {"sales": 10, "lifetime": {"distribution": "fixed", "mean": "5 year"},
                           "bom": [{"part": "a"}], "eol": {"uncollected": {"landfill": 1}}}},
    }


def _problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    import json

    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="t.json")
    return [(p.path, p.message) for p in err.value.problems]


def test_bom_cycle_is_reported_with_its_line() -> None:
    steel = {"material": "steel", "mass": "1 kg"}
    parts = {"leaf": {"bom": [steel]},
             "a": {"bom": [steel, {"part": "leaf"}, {"part": "b"}]},
             "b": {"bom": [{"part": "a"}, steel]}}
    (path, msg), = _problems(_doc(parts))
    assert path == "parts.b.bom[0].part"
    assert msg == "the BOM has a cycle: a → b → a; a part cannot contain itself"


def test_duplicate_and_unknown_bom_lines_are_reported() -> None:
    steel = {"material": "steel", "mass": "1 kg"}
    parts = {"leaf": {"bom": [steel]},
             "a": {"bom": [{"part": "leaf"}, steel, {"part": "leaf"}, {"part": "nope"}]}}
    got = _problems(_doc(parts))
    assert got[0] == ("parts.a.bom[2].part", "part 'leaf' is listed twice; list it once with "
                      "the summed quantity")
    assert got[1][0] == "parts.a.bom[3].part" and got[1][1].startswith("unknown part 'nope'")


def test_nested_bom_expands_in_document_order() -> None:
    import json

    steel = {"material": "steel", "mass": "1 kg"}
    parts = {"a": {"bom": [{"part": "b", "quantity": 2}, steel, {"part": "c"}]},
             "b": {"bom": [{"part": "c", "quantity": 3}, steel]},
             "c": {"bom": [{"material": "steel", "mass": "0.5 kg"}]}}
    mf = load_model(text=json.dumps(_doc(parts)), source="t.json")
    c = mf.compiled["baseline"]
    assert c.inst_path == ["a", "a/b", "a/b/c", "a/c"]
    # a = 2 b + 1 kg + c; b = 3 c + 1 kg; c = 0.5 kg
    assert c.part_mass.tolist() == [2 * (3 * 0.5 + 1) + 1 + 0.5, 3 * 0.5 + 1, 0.5]
