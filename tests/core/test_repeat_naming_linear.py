"""Naming a key given twice costs one reading of the text, not one per repeat: past bug, for
each object with a repeat (up to 100) the whole document was walked again to find its path,
so one anonymous 200 KB request body with 101 repeats among 50,000 other items held the
service's event loop for 20-52 s (/api/health blocked; review of 2026-12-03, item 1)."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest

from junkan.core import documents
from junkan.core.documents import loads_with_repeat, parse_document
from junkan.core.errors import ModelError


class _TooManyCalls(Exception):
    pass


def _calls_within(limit: int, read: Any) -> int:
    """Run ``read()`` counting the calls of functions of :mod:`junkan.core.documents` (the
    reading's hooks and walks); stop it with :class:`_TooManyCalls` past ``limit``."""
    calls = 0
    here = documents.__file__

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename == here:
            calls += 1
            if calls > limit:
                raise _TooManyCalls

    sys.setprofile(profile)
    try:
        read()
    except _TooManyCalls:
        pytest.fail(f"more than {limit:,} calls: the work grows faster than the text")
    finally:
        sys.setprofile(None)
    return calls


def _bomb(items: int = 50_000, repeats: int = 101) -> str:
    """The review's body: a list of ``items`` small lists, then ``repeats`` objects that each
    give a key twice, all under one key the body gives ``repeats`` times (only the last is
    kept, so every earlier object with a repeat is no longer in the data)."""
    return ('{"z": [' + ",".join(["[1]"] * items) + "], " +
            ", ".join(['"k": {"d": 1, "d": 1}'] * repeats) + "}")


def test_the_first_repeat_kept_is_named_in_time_linear_in_the_text() -> None:
    text = _bomb()
    containers = text.count("{") + text.count("[")  # 50,103
    got: list[Any] = []
    # a few calls per container at most; a walk per repeat made 100 x 50,000 and more
    calls = _calls_within(3 * containers + 100,
                          lambda: got.extend(loads_with_repeat(text)))
    data, repeat = got
    assert len(data["z"]) == 50_000 and data["k"] == {"d": 1}
    assert repeat is not None
    # the repeat still in the data: the last "k" object (past bug: the 100 noted were all
    # dropped by the outer repeat, and the key was named at the top level)
    assert (repeat.path, repeat.kind, repeat.limits) == ("k", "json-duplicate-key",
                                                         {"key": "'d'"})
    assert calls < 3 * containers + 100


def test_a_document_is_refused_naming_the_same_repeat_in_linear_time() -> None:
    text = _bomb()
    containers = text.count("{") + text.count("[")

    def read() -> None:
        with pytest.raises(ModelError) as exc:
            parse_document(text, source="m.json")
        (problem,) = exc.value.problems
        assert (problem.path, problem.kind) == ("k", "json-duplicate-key")

    _calls_within(3 * containers + 100, read)


@pytest.mark.parametrize("text, path, key", [
    ('{"a": {"b": 1, "b": 2}, "a": 3}', "", "a"),  # the inner repeat went with its object
    ('{"a": [[{"b": {"c": 1, "c": 2}}]], "d": {"e": 1, "e": 1}}', "a[0][0].b", "c"),
    ('[{"x": 1}, [{"y": {"z": 1, "z": 2}, "y": 0}, {"w": 1, "w": 1}]]', "[1][0]", "y"),
    ('{"' + "q" * 80 + '": {"r": 1, "r": 1}}', "q" * 59 + "…", "r"),
])
def test_the_repeat_named_is_the_first_still_in_the_data(text: str, path: str, key: str
                                                          ) -> None:
    _, repeat = loads_with_repeat(text)
    assert repeat is not None and repeat.path == path and repeat.limits == {"key": repr(key)}
