"""A domain rule's parameters are safe to show: filled in once (a name holding ``{kind}``
stays as written), bounded in size and free of characters that would not show as
themselves, whatever the document names (past bugs found by review)."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from junkan.core.errors import (
    MAX_PARAM,
    CodedError,
    ModelError,
    Problem,
    brief,
    coded,
    fill_in,
    listed,
    refusal,
    rule_of,
)
from junkan.core.quantities import to_unit
from junkan.core.registry import UnitParseError
from junkan.lifecycle import load_model
from tests.conftest import SMALL


def test_a_parameter_is_never_read_as_a_field() -> None:
    assert fill_in("process {name} is a {kind} sink", {"name": "'{kind}'", "kind": "landfill"}) \
        == "process '{kind}' is a landfill sink"
    assert fill_in("e.g. {landfill: 1} {x}", {}) == "e.g. {landfill: 1} {x}"


def test_a_sink_named_like_a_field_keeps_its_name() -> None:
    doc = copy.deepcopy(SMALL)
    doc["processes"]["{kind}"] = doc["processes"]["landfill"]
    doc["products"]["widget"]["make"] = ["assembly", "{kind}"]
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = [p for p in err.value.problems if p.kind == "process-is-sink"]
    assert p.message.startswith("process '{kind}' is a landfill sink"), p.message


def test_parameters_are_bounded() -> None:
    names = [f"commodity-{i}-" + "x" * 60 for i in range(3000)]
    p = coded("x", "unknown-commodity", "unknown commodity {name}; known: {known}",
              name="'gold'", known=", ".join(names))
    assert p.limits is not None and len(str(p.limits["known"])) <= MAX_PARAM
    shown = listed(names)
    assert shown.endswith(" …") and shown.count(",") == 11 and len(shown) < 600


def test_a_long_bom_cycle_names_its_parts_briefly() -> None:
    doc = copy.deepcopy(SMALL)
    long = "m" + "a" * 5000
    doc["parts"][long] = {"bom": [{"part": "motor"}]}
    doc["parts"]["magnet"]["bom"].append({"part": long})
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = [p for p in err.value.problems if p.kind == "bom-cycle"]
    assert p.limits is not None and len(str(p.limits["cycle"])) < 200, p.limits


def test_names_that_would_not_show_as_themselves_are_escaped() -> None:
    assert brief("mak\u202eer\x07") == "mak\\u202eer\\x07"
    assert brief("maker") == "maker" and brief("y" * 100).endswith("…")
    doc = copy.deepcopy(SMALL)
    doc["actors"]["evil\u202e\n"] = {"role": "user"}
    doc["processes"]["assembly"]["actor"] = "nobody"
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = [p for p in err.value.problems if p.kind == "unknown-actor"]
    assert p.limits is not None and "evil\\u202e\\n" in str(p.limits["known"])
    assert "\u202e" not in p.message


def test_every_quantity_is_named_in_both_languages() -> None:
    """A quantity's refusal names it (``what``): the page says it in its language."""
    import re
    from pathlib import Path

    src = Path(__file__).parents[2] / "src" / "junkan"
    whats = {w for f in src.rglob("*.py") for w in re.findall(
        r'quantity_converter\(\s*"[^"]*",\s*"([^"]+)"', f.read_text("utf-8"))}
    assert {"mass", "duration", "density"} <= whats, whats
    for lang in ("en", "ja"):
        cat = json.loads((src / "web" / "static" / "i18n" / f"{lang}.json").read_text("utf-8"))
        assert not {w for w in whats if f"val.what.{w}" not in cat}, lang


def test_an_unknown_prefecture_says_its_rule() -> None:
    from junkan import network
    from tests.network.test_cases import TINY

    with pytest.raises(ModelError) as err:
        network.load(text=TINY.replace("Osaka: 500 t", "Atlantis: 500 t"))
    (p,) = [p for p in err.value.problems if p.kind == "unknown-prefecture"]
    assert p.limits == {"name": "'Atlantis'"} and p.message.startswith("unknown prefecture")


def test_unit_refusals_unknown_fields_and_scenario_problems_keep_their_rule() -> None:
    """Past gaps (Japanese walkthrough): a wrong or missing unit, a misspelled key and any
    problem inside a scenario were shown in English."""
    from tests.core.test_rule_codes import _says_its_rule

    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["bom"][1]["mass"] = "5 km"
    doc["products"]["widget"]["colour"] = "red"
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    kinds = {p.kind: p for p in err.value.problems}
    assert kinds["unit-mismatch"].limits == {"what": "mass", "value": "'5 km'", "unit": "km",
                                             "target": "kg"}
    assert "title" in str(kinds["unknown-field"].limits)
    for p in kinds.values():
        _says_its_rule(p)
    doc = copy.deepcopy(SMALL)
    doc["scenarios"] = {"low": {"set": {"products.widget.eol.collection.rate": 3}}}
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = err.value.problems
    assert p.kind == "fraction-range" and p.limits == {"value": "3", "scenario": "low"}, p


def _refused_by(refuse: Callable[[], Exception]) -> dict[str, Any]:
    """The one error of a model whose validator raises ``refuse()``."""

    class Doc(BaseModel):
        x: int

        @field_validator("x")
        @classmethod
        def _x(cls, v: int) -> int:
            raise refuse()

    with pytest.raises(ValidationError) as err:
        Doc.model_validate({"x": 1})
    (e,) = err.value.errors(include_url=False)
    return dict(e)


@pytest.mark.parametrize("params", [
    {"name": "'{kind}'", "kind": "landfill"},
    {"name": "'{{kind}}'", "kind": "landfill"},
    {"name": "'{'", "kind": "{name}"},
    {"name": "'{{}'", "kind": "{{}{"},
], ids=["field", "doubled", "open", "escape-like"])
def test_a_refusal_fills_a_parameter_once(params: dict[str, str]) -> None:
    """pydantic fills a template's fields one after another: a name holding ``{kind}`` was
    filled again (``process 'landfill' is a landfill sink``). The message is written once,
    as :func:`coded` writes it, and the rule keeps exactly its parameters."""
    e = _refused_by(lambda: refusal("process-is-sink", "process {name} is a {kind} sink",
                                    **params))
    assert e["msg"] == f"process {params['name']} is a {params['kind']} sink"
    assert e["msg"] == coded("", "process-is-sink", "process {name} is a {kind} sink",
                             **params).message
    assert rule_of(e) == ("process-is-sink", params)


def test_a_refusal_without_braces_is_as_pydantic_wrote_it() -> None:
    e = _refused_by(lambda: refusal("fraction-range", "must be between 0 and 1, got {value}",
                                    value="3"))
    assert e["msg"] == "must be between 0 and 1, got 3" and e["ctx"] == {"value": "3"}


def test_a_quantity_holding_braces_is_quoted_as_written() -> None:
    """Through the loader: the unreadable quantity ``{reason} kg`` is quoted as written."""
    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["bom"][1]["mass"] = "{reason} kg"
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = err.value.problems
    assert p.kind == "quantity-unreadable" and p.path == "products.widget.bom[1].mass"
    assert p.message == ("cannot read '{reason} kg' as a quantity such as '5 kg': unexpected "
                         "character '{' at position 1")
    assert p.limits == {"value": "'{reason} kg'", "reason": "unexpected character '{' at "
                                                           "position 1",
                        "reason_code": "unexpected-character", "found": "{", "position": 1}


def test_coded_errors_are_one_kind_of_error() -> None:
    """An unknown prefecture (a ``KeyError``) and an unreadable unit (a ``ValueError``)
    say their rule the same way, survive pickling (they cross process boundaries) and stay
    what their callers catch."""
    from junkan.network.geo import UnknownPrefecture, prefecture_code

    with pytest.raises(KeyError) as err:
        prefecture_code("Atlantis")
    exc = err.value
    assert isinstance(exc, UnknownPrefecture) and isinstance(exc, CodedError)
    assert exc.args[0].startswith("unknown prefecture 'Atlantis'; use a code 1–47")
    assert exc.problem("p") == Problem("p", exc.args[0])
    assert exc.problem("p").kind == "unknown-prefecture"
    assert _refused_by(exc.refusal)["type"] == "unknown-prefecture"
    with pytest.raises(ValueError) as verr:
        to_unit("5 km", "kg", what="mass")
    unit = verr.value
    assert isinstance(unit, UnitParseError) and unit.rule == "unit-mismatch"
    assert _refused_by(unit.refusal)["msg"] == str(unit)
    for e in (exc, unit):
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and back.args == e.args
        assert back.problem("p").limits == e.problem("p").limits
    plain = UnitParseError("too long")
    assert plain.rule == "" and plain.problem("p") == Problem("p", "too long")
    assert plain.problem("p").kind == "" and _refused_by(plain.refusal)["type"] == "value_error"
