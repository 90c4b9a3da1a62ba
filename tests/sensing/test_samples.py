"""The sample format and the reorder buffer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from junkan.sensing import Batch, Reorder, SampleError, parse_message


def _msg(**kw: object) -> bytes:
    doc = {
        "line": "L1",
        "seq": 0,
        "t": 10.0,
        "dt": 0.01,
        "values": {"rpm": [600.0, None], "current": [1000, 1001]},
    }
    doc.update(kw)
    return json.dumps(doc).encode()


def test_a_good_message_fills_missing_channels() -> None:
    b = parse_message(_msg(units={"current": "A", "lel": "%LEL"}))  # a unit for any channel
    assert b.frames == 2 and np.isnan(b.values["rpm"][1]) and np.isnan(b.values["lel"]).all()


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"values": {"rpm": [1], "current": [1, 2]}}, "values.current"),
        ({"values": {"rpm": [1], "current": ["-5"]}}, "values.current: only numbers"),
        ({"values": {"rpm": [1], "current": [1], "torque": [1]}}, "unknown channel"),
        ({"values": {"rpm": [1]}}, "missing channel"),
        ({"units": {"current": "mA"}}, "units.current"),
        ({"seq": -1}, "seq"),
        ({"seq": True}, "seq"),
        ({"line": "L 1"}, "line"),
        ({"line": "L1\n"}, "line"),  # review 268: `$` matched before a trailing newline
        ({"units": {"foo": "x"}}, "units.foo: unknown channel"),
        ({"units": {"lel": "ppm"}}, "units.lel: expected '%LEL', got 'ppm'"),  # no lel values
        ({"units": []}, "units: give an object"),
        ({"units": None}, "units: give an object"),
        ({"dt": 0.02}, "dt"),
        ({"extra": 1}, "unknown field"),
    ],
)
def test_malformed_messages_name_the_field(change: dict[str, object], word: str) -> None:
    with pytest.raises(SampleError, match=word):
        parse_message(_msg(**change))


def test_a_reading_out_of_range_is_read_as_missing_and_named() -> None:
    """Not the whole batch refused (as before): the reading is missing, the rest kept."""
    b = parse_message(
        _msg(values={"rpm": [600.0, 601.0, 99999], "current": [1000, -5, 1002],
                     "lel": [None, 150.5, None]})
    )
    assert np.allclose(b.values["rpm"][:2], [600.0, 601.0]) and np.isnan(b.values["rpm"][2])
    assert b.values["current"][0] == 1000 and np.isnan(b.values["current"][1])
    assert np.isnan(b.values["lel"]).all()
    assert b.masked == (
        "values.rpm[2]: 99,999 is outside 0..10,000 rpm; read as missing",
        "values.current[1]: -5 is outside 0..1,000,000 A; read as missing",
        "values.lel[1]: 150.5 is outside 0..100 %LEL; read as missing",
    )
    many = parse_message(_msg(values={"rpm": [1] * 8, "current": [-1] * 8}))
    assert many.masked == (
        "values.current[0, 1, 2, 3, 4, …]: 8 values outside 0..1,000,000 A (the first -1); "
        "read as missing",
    )
    assert parse_message(_msg()).masked == ()


def test_nan_and_non_json_are_refused() -> None:
    with pytest.raises(SampleError, match="not JSON"):
        parse_message(b'{"line": "L1", "seq": 0, "t": NaN, "values": {}}')
    with pytest.raises(SampleError, match="not JSON"):
        parse_message(b"\xff\xfe")
    with pytest.raises(SampleError, match="t:"):
        parse_message(_msg(t=1e300))


def test_a_key_given_twice_is_refused() -> None:
    """JSON readers keep the last of a repeated key: the reading is refused, not guessed."""
    with pytest.raises(SampleError, match="the key 'seq' is given twice"):
        parse_message(b'{"line": "L1", "seq": 0, "seq": 7, "t": 0, "values": {}}')
    with pytest.raises(SampleError, match="the key 'rpm' is given twice"):
        parse_message(b'{"line": "L1", "seq": 0, "t": 0, "values": {"rpm": [1], "rpm": [2]}}')


def _b(seq: int) -> Batch:
    return Batch("L1", seq, seq * 0.1, {"rpm": np.zeros(10), "current": np.zeros(10)})


def test_reorder_handles_out_of_order_duplicates_missing_and_late() -> None:
    asked: list[tuple[int, int]] = []
    ro = Reorder(max_wait=3, on_gap=lambda a, z: asked.append((a, z)))
    assert [x.seq for x in ro.push(_b(0))] == [0]  # type: ignore[union-attr]
    assert ro.push(_b(2)) == [] and asked == [(1, 1)]  # waits for 1, asks for it
    assert [x.seq for x in ro.push(_b(1))] == [1, 2]  # type: ignore[union-attr]
    assert ro.push(_b(1)) == [] and ro.stats.duplicates == 1
    ro.push(_b(4))
    ro.push(_b(5))
    out = ro.push(_b(6))  # 3 is declared missing after max_wait
    assert out[0] == 3 and [x.seq for x in out[1:]] == [4, 5, 6]  # type: ignore[union-attr]
    assert ro.push(_b(3)) == [] and ro.stats.late == 1 and ro.stats.missing == 1
    assert ro.stats.backfilled == 1
