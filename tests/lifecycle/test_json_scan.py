"""Large JSON model documents are checked against the document limits from their text
(:mod:`junkan.core.json_scan`) instead of a walk over the parsed data: every refusal must be
the walk's, with its message and path, and nothing the walk refuses may pass."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from junkan.core import documents, json_scan
from junkan.core.documents import parse_document
from junkan.core.errors import ModelError
from junkan.core.json_scan import SMALL, json_text_within
from junkan.core.limits import limits, override_limits


def _big(value: Any, key: str = "deep") -> str:
    """A document above :data:`SMALL` with ``value`` at ``filler[7].<key>``."""
    rows: list[Any] = [{"name": f"r{i}", "share": 0.25, "n": i, "ok": True, "none": None,
                        "note": 'quote \\" and \\\\ slash é 😀'} for i in range(1500)]
    rows[7][key] = value
    text = json.dumps({"junkan": 1, "filler": rows}, ensure_ascii=False)
    assert len(text) > SMALL
    return text


def _message(text: str) -> str:
    with pytest.raises(ModelError) as err:
        parse_document(text, source="big.json")
    return str(err.value)


def _walked(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(documents, "json_text_within", lambda *_: False)
        return _message(text)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


BAD = {
    "nan": "NaN", "infinity": "Infinity", "minus_infinity": "-Infinity", "overflow": "1e999",
    "big_exponent": "1.5e300", "huge_integer": "9007199254740993", "huge_float": "1e16",
    "negative_huge": "-12345678901234567890.5",
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_number_the_walk_refuses_is_refused_with_its_message(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _big(0).replace('"deep": 0', f'"deep": {BAD[name]}')
    msg = _message(text)
    assert "filler[7].deep" in msg and "big.json" in msg
    assert msg == _walked(text, monkeypatch)


def test_long_strings_keys_and_deep_nesting_are_refused_as_the_walk_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    lim = limits()
    monkeypatch.setattr(json_scan, "CHUNK", 4096)  # many pieces: nesting carried across
    for text in (_big("x" * (lim.string_length + 1)),
                 _big(1, key="k" * (lim.string_length + 1)),
                 _big(_nested(lim.nesting_depth))):
        msg = _message(text)
        assert "filler[7]" in msg and msg == _walked(text, monkeypatch)


def test_values_within_the_limits_pass_without_the_walk() -> None:
    lim = limits()
    text = _big({"small": 1.5e-7, "neg": -3.25E-12, "int": 900719925474099, "t": True,
                 "s": "y" * lim.string_length, "deep": _nested(lim.nesting_depth - 4)})
    assert json_text_within(text, lim)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(json_scan, "CHUNK", 1024)
        assert json_text_within(text, lim)
    assert parse_document(text, source="big.json")["filler"][7]["deep"]["small"] == 1.5e-7


def test_the_text_check_never_passes_what_the_walk_refuses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Random documents with random values near every limit: when the text check says
    within, the walk must agree."""
    monkeypatch.setattr(json_scan, "SMALL", 0)  # small documents are checked from text too
    rng = np.random.default_rng(1)
    lim = limits().model_copy(update={"string_length": 40, "nesting_depth": 6,
                                      "integer_magnitude": 10**6})
    atoms = ['"a"', '"b\\"c"', '"\\\\"', '"ééé"', "999999", "1000000", "1000001", "-999999.9",
             "1e5", "1e-5", "2E-3", "0.5", "true", "false", "null", '"' + "z" * 39 + '"',
             '"' + "z" * 41 + '"', '"x\\\\\\"y"']
    walk_refused = agreed = 0
    for i in range(400):
        # every other document read in pieces of a few bytes (cut after closing quotes)
        monkeypatch.setattr(json_scan, "CHUNK", 16 if i % 2 else 1 << 20)
        def value(depth: int) -> str:
            r = rng.random()
            if depth < 8 and r < 0.3:
                return "[" + ",".join(value(depth + 1) for _ in range(rng.integers(1, 4))) + "]"
            if depth < 8 and r < 0.5:
                return "{" + ",".join(f'"k{i}":{value(depth + 1)}'
                                      for i in range(rng.integers(1, 4))) + "}"
            return str(atoms[rng.integers(len(atoms))])
        text = '{"v":' + value(1) + "}"
        doc = json.loads(text)
        try:
            documents._check_data(doc, lim)
            ok = True
        except Exception:
            ok, walk_refused = False, walk_refused + 1
        if json_text_within(text, lim):
            assert ok, text
            agreed += 1
    assert walk_refused > 50 and agreed > 20  # both kinds were tried


def test_a_float_rounding_past_a_raised_integer_limit_is_walked() -> None:
    """Above 10**22 a power of ten is not a float64: 25 nines and a fraction read as a float
    just above 10**25, so an operator's limit of 10**25 must send the text to the walk."""
    text = '{"x": ' + "9" * 25 + '.9, "pad": "' + "a" * 70_000 + '"}'
    with override_limits(integer_magnitude=10**25, string_length=100_000) as lim:
        assert not json_text_within(text, lim)
