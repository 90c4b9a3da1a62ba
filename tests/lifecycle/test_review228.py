"""Review 228 (the JSON fast path against the ordinary reader, ~1,480 documents): found
equal under the default limits; these are what differed with limits raised, and a message
cached across documents."""

from __future__ import annotations

import json

import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.core.limits import override_limits
from junkan.lifecycle import cache, typed_json
from tests.conftest import SMALL


def _refusal(text: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    cache.clear()
    if not fast:
        monkeypatch.setattr(typed_json, "decode", lambda _text: None)
    try:
        with pytest.raises(ModelError) as exc:
            lifecycle.load(text=text, source="m.json")
    finally:
        monkeypatch.undo()
    return str(exc.value)


@pytest.mark.parametrize("depth", [986, 989, 992])
def test_nesting_past_pythons_recursion_is_refused_on_both_paths(
        depth: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a nesting limit raised to 5,000, a scenario value nested ~990 deep: msgspec
    decodes a few levels deeper than ``json.loads``, so the plain document, parsed later,
    raised RecursionError out of ``load`` (and ``copy.deepcopy`` of a set value did on
    both paths): a crash, where the limit's refusal is due."""
    doc = json.loads(json.dumps(SMALL))
    doc["scenarios"] = {"s": {"set": {"parts.motor.title": "X"}}}
    text = json.dumps(doc).replace('"X"', "[" * depth + "]" * depth)
    with override_limits(nesting_depth=5000):
        for fast in (True, False):
            assert "nested more deeply than the limit" in _refusal(text, fast, monkeypatch)


def test_a_price_bound_above_two_to_the_53_is_not_rounded_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """msgspec compares with a double: a limit of 2**53 + 3 became 2**53 + 4, and a price of
    2**53 + 4 passed the records to be refused for its missing unit, not for the limit."""
    doc = json.loads(json.dumps(SMALL))
    doc["parts"]["motor"]["price"] = 9007199254740996.0
    with override_limits(integer_magnitude=9007199254740995):
        fast, ordinary = (_refusal(json.dumps(doc), f, monkeypatch) for f in (True, False))
    assert fast == ordinary and "number beyond ±9,007,199,254,740,995" in fast


def test_a_factor_as_a_number_is_said_as_written() -> None:
    """0.0 after -0.0 (one key of the factor cache) was refused as "-0.0 has no unit"."""
    said = []
    for price in (-0.0, 0.0, 2.5):
        doc = json.loads(json.dumps(SMALL))
        doc["parts"]["motor"]["price"] = price
        cache.clear()
        with pytest.raises(ModelError) as exc:
            lifecycle.load(text=json.dumps(doc), source="m.json")
        said.append(str(exc.value).split("price.cost: ")[1].split(" has no unit")[0])
    assert said == ["-0.0", "0.0", "2.5"]
