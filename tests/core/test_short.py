"""Error messages quote values briefly: a 422 never echoes an alias bomb (issue 13, item 2)."""

from __future__ import annotations

import time

import pytest

from junkan.core.errors import ModelError, Problem, short


@pytest.mark.parametrize("value,expected", [
    ("abc", "'abc'"), ("it's", '"it\'s"'), (1.5, "1.5"), (float("nan"), "nan"), (None, "None"),
    (True, "True"), ([1, 2], "[1, 2]"), ({"a": 1}, "{'a': 1}"), ((), "()"), (2**63 + 1,
                                                                           "9223372036854775809"),
])
def test_short_values_are_quoted_as_repr(value: object, expected: str) -> None:
    assert short(value) == expected


def test_long_strings_are_cut_with_their_length() -> None:
    text = short("x" * 1_000_000)
    assert text.startswith("'xxx") and text.endswith("…' (1,000,000 characters)")
    assert len(text) < 90


def test_containers_are_cut_with_their_size() -> None:
    assert short(list(range(5000))) == "[0, 1, 2, 3, 4, 5, …] (list of 5,000 items)"
    assert short({"k": {"a": {"b": {"c": 1}}}}) == "{'k': {'a': {…}}} (dict of 1 item)"


def test_huge_integers_are_not_converted_to_text() -> None:
    assert short(10**100_000) == "<integer of about 100,000 digits>"


def test_quoting_a_bomb_or_a_cycle_costs_nothing() -> None:
    bomb: list = ["lol"] * 10
    for _ in range(12):  # 10**13 strings once expanded
        bomb = [bomb] * 10
    cyclic: list = []
    cyclic.append(cyclic)
    t0 = time.perf_counter()
    for value in (bomb, cyclic):
        assert len(short(value)) < 120
    assert time.perf_counter() - t0 < 0.01


def test_short_respects_the_limit() -> None:
    for value in ("y" * 500, [["z" * 100] * 10] * 10, {"k" * 300: "v" * 300}):
        head = short(value, limit=40).split(" (")[0]
        assert len(head) <= 40


def test_problems_never_carry_huge_text() -> None:
    p = Problem("a." * 1000, "m" * 100_000)
    assert len(p.path) == 300 and len(p.message) == 1000 and p.message.endswith("…")
    assert len(str(ModelError([p], "src"))) < 1400
