"""The unescaped quotes of a JSON text, found with numpy (:mod:`junkan.core.json_scan`), are
those a byte-by-byte reading finds: a quote after an odd run of backslashes is escaped, also
when the run is long or spans the pieces the text is read in."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.core import json_scan
from junkan.core.limits import limits


def _reference(data: bytes) -> list[int] | None:
    """The quotes a reading byte by byte keeps (None past the escaped quotes resolved)."""
    after_backslash = [i for i, c in enumerate(data) if c == 34 and i and data[i - 1] == 92]
    if len(after_backslash) > json_scan._ESCAPED_QUOTES_MAX:
        return None
    out, run = [], 0
    for i, c in enumerate(data):
        if c == 34 and run % 2 == 0:
            out.append(i)
        run = run + 1 if c == 92 else 0
    return out


def _found(data: bytes, chunk: int) -> list[int] | None:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(json_scan, "CHUNK", chunk)
        got = json_scan._quotes(np, np.frombuffer(data, dtype=np.uint8))
    return None if got is None else got.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(['"', "\\", "\\\\\\", "a", "é"]), min_size=1,
                max_size=60),
       st.sampled_from([3, 8, 64, 1 << 20]))
def test_backslash_heavy_text_gives_the_quotes_a_byte_reading_gives(
        parts: list[str], chunk: int) -> None:
    data = "".join(parts).encode()
    assert _found(data, chunk) == _reference(data)


@pytest.mark.parametrize("run", [0, 1, 2, 3, 63, 64, 65, 200, 201])
@pytest.mark.parametrize("chunk", [16, 64, 1 << 20])
def test_a_long_run_of_backslashes_across_pieces_escapes_only_when_odd(
        run: int, chunk: int) -> None:
    data = ('["x", "' + "\\" * run + '"]').encode()
    assert _found(data, chunk) == _reference(data)
    escaped = run % 2 == 1
    assert (len(_reference(data) or []) == 3) == escaped  # an escaped quote leaves 3


def test_escaped_quotes_after_long_runs_leave_the_strings_whole() -> None:
    """Two thousand quotes, each after 1,501 backslashes (escaped), in one 3 MB string read in
    pieces of 64 KiB (runs span them): the string is found whole, as ``json.loads`` reads
    it, and checked against the string length limit."""
    text = '{"s": "' + ("\\\\" * 750 + '\\"') * 2_000 + '"}'
    assert len(json.loads(text)["s"]) == 1_502_000
    assert _found(text.encode(), 1 << 16) == [1, 3, 6, len(text) - 2]
    lim = limits()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(json_scan, "CHUNK", 1 << 16)
        assert not json_scan.json_text_within(text, lim)  # longer than string_length
        assert json_scan.json_text_within(text, lim.model_copy(update={"string_length": 10**7}))
