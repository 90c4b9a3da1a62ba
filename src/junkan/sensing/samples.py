"""The one sample format, and putting a line's stream back in order.

A message carries one batch of 100 Hz frames of one line (JSON, UTF-8)::

    {"line": "L1", "seq": 42, "t": 1764547200.0, "dt": 0.01,
     "units": {"current": "A"},                  # optional; checked against CHANNELS
     "values": {"rpm": [606.1, …], "current": [1350.0, …], "lel": [null, …], …}}

``seq`` numbers the batches of a line from 0 without gaps; ``t`` is the time of the first
frame (seconds, UNIX epoch or from the start of a recording); ``null`` is a missing value.
A number outside its channel's physical range (:data:`RANGES`) is read as missing and
described in :attr:`Batch.masked` (field, frames, value): one garbled or over-range reading
costs only itself, never the batch's other frames and channels, which a refused message
would lose for good once the broker has its acknowledgement (a gateway's backfill would
send the same batch again). :func:`parse_message` refuses anything else — the message's
structure, not a reading — with a :class:`SampleError` naming the field. The
JSON is read as input documents are (:func:`junkan.core.documents.parse_data`, within
:func:`~junkan.core.limits.limits`): text nested deeper than ``nesting_depth`` levels, NaN or
±Infinity, a key given twice in one object are refused with their reason, never raised as
anything but a :class:`SampleError`.
Putting a line's batches in ``seq`` order is :class:`junkan.sensing.reorder.Reorder`'s."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.core.documents import parse_data
from junkan.core.errors import JunkanError, ModelError
from junkan.sensing.generator import CHANNELS, DT

MAX_MESSAGE_BYTES = 256 * 1024
MAX_FRAMES = 1000
LINE_ID = re.compile(r"\A[A-Za-z0-9_-]{1,40}\Z")
RANGES: dict[str, tuple[float, float]] = {
    "rpm": (0, 10_000),
    "current": (0, 1e6),
    "feed": (0, 2),
    "lel": (0, 100),
    "sparks": (0, 1e4),
    "ac_low": (-200, 200),
    "ac_mid": (-200, 200),
    "ac_high": (-200, 200),
    "ac_crest": (0, 1e4),
    "hw_alarm": (0, 1),
}
"""Physically possible values per channel; a value outside is read as missing (and
reported, :attr:`Batch.masked`)."""
UNITS = {**CHANNELS, "hw_alarm": "1"}
"""Every channel a message may carry (``hw_alarm``: the hard-wired safety alarm, read only)."""
REQUIRED = ("rpm", "current")


class SampleError(JunkanError):
    """A malformed message; the text says which field and why."""


@dataclass(frozen=True)
class Batch:
    line: str
    seq: int
    t: float
    values: dict[str, np.ndarray]
    received: float = 0.0  # monotonic time the message arrived (for latency)
    masked: tuple[str, ...] = ()
    """Values outside their channel's physical range, read as missing (one text per
    channel: field, frames, value, range); the rest of the batch is kept."""

    @property
    def frames(self) -> int:
        return len(next(iter(self.values.values())))

    def to_message(self) -> bytes:
        vals = {
            k: [None if math.isnan(x) else round(float(x), 4) for x in v]
            for k, v in self.values.items()
        }
        return json.dumps(
            {"line": self.line, "seq": self.seq, "t": self.t, "dt": DT, "values": vals},
            separators=(",", ":"),
        ).encode()


NOT_JSON = frozenset({"json-syntax", "json-invalid", "number-not-finite"})
"""The reader's refusals of text that is not JSON (NaN and Infinity are not JSON numbers);
its other refusals (too deep, a key twice, a value too long or too large) say what they are."""


def message_json(payload: bytes | str) -> Any:
    """A message's JSON text as data, read by :func:`junkan.core.documents.parse_data` (the
    document limits: nesting, NaN/Infinity, keys given twice, value sizes); every refusal is a
    :class:`SampleError` with the reader's reason (``not JSON: …`` for text that is not JSON).
    Bytes are decoded as ``json.loads`` decodes them (UTF-8, or UTF-16/32 by their BOM)."""
    if isinstance(payload, bytes):
        code = json.detect_encoding(payload)
        try:
            payload = payload.decode(code, "surrogatepass")
        except UnicodeDecodeError as exc:
            raise SampleError(f"not JSON: not {code.upper()} text (byte {exc.start})") from None
    try:
        return parse_data(payload, source="", as_json=True)
    except ModelError as exc:
        raise SampleError(refusal(exc)) from None


def refusal(exc: ModelError) -> str:
    """The reason of the reader's first problem (its path cut to 60 characters)."""
    if not exc.problems:
        return "not JSON"
    p = exc.problems[0]
    path = p.path if len(p.path) <= 60 else p.path[:59] + "…"
    return f"{'not JSON: ' if p.kind in NOT_JSON else ''}{path}{': ' if path else ''}{p.message}"


def parse_message(payload: bytes | str, *, received: float = 0.0) -> Batch:
    """One message → a :class:`Batch`, or :class:`SampleError` naming what is wrong."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise SampleError(f"message of {len(payload)} bytes; at most {MAX_MESSAGE_BYTES}")
    doc = message_json(payload)
    if not isinstance(doc, dict):
        raise SampleError("the message must be a JSON object")
    unknown = set(doc) - {"line", "seq", "t", "dt", "units", "values"}
    if unknown:
        raise SampleError(f"unknown field(s) {sorted(unknown)[:5]}")
    line, seq, t, dt = doc.get("line"), doc.get("seq"), doc.get("t"), doc.get("dt", DT)
    if not isinstance(line, str) or not LINE_ID.fullmatch(line):
        raise SampleError("line: give 1-40 letters, digits, '_' or '-'")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**53:
        raise SampleError("seq: give a whole number from 0")
    if (
        not isinstance(t, int | float)
        or isinstance(t, bool)
        or not math.isfinite(t)
        or abs(t) > 1e11
    ):
        raise SampleError("t: give a finite time in seconds")
    if dt != DT:
        raise SampleError(f"dt: only {DT} s frames (100 Hz) are supported, got {dt!r}")
    _units(doc.get("units", {}))
    masked: list[str] = []
    values = _values(doc.get("values"), masked)
    return Batch(line, seq, float(t), values, received, tuple(masked))


def _units(units: Any) -> None:
    """``units`` (optional): an object naming, for channels of :data:`UNITS`, each one's unit
    as :data:`UNITS` gives it; an unknown channel or another unit is refused, naming it."""
    if not isinstance(units, dict):
        raise SampleError("units: give an object channel → unit")
    for ch, unit in units.items():
        if ch not in UNITS:
            raise SampleError(f"units.{str(ch)[:40]}: unknown channel; known: {', '.join(UNITS)}")
        if unit != UNITS[ch]:
            raise SampleError(f"units.{ch}: expected {UNITS[ch]!r}, got {str(unit)[:20]!r}")


def _mask_out_of_range(ch: str, arr: np.ndarray) -> str | None:
    """Set the values of ``arr`` outside the channel's physical range to missing (NaN), in
    place; the text names the field, the frames and the first value, or ``None``."""
    lo, hi = RANGES[ch]
    bad = np.flatnonzero(~np.isnan(arr) & (~np.isfinite(arr) | (arr < lo) | (arr > hi)))
    if not len(bad):
        return None
    first = float(arr[bad[0]])
    arr[bad] = np.nan
    frames = ", ".join(str(i) for i in bad[:5]) + (", …" if len(bad) > 5 else "")
    rng = f"{lo:,.10g}..{hi:,.10g} {UNITS[ch]}"
    if len(bad) == 1:
        return f"values.{ch}[{frames}]: {first:,.10g} is outside {rng}; read as missing"
    return (
        f"values.{ch}[{frames}]: {len(bad)} values outside {rng} (the first {first:,.10g}); "
        "read as missing"
    )


def _values(raw: Any, masked: list[str]) -> dict[str, np.ndarray]:
    """The channels' values; values out of range are set missing and described in
    ``masked`` (a garbled reading must not cost the batch's good ones)."""
    if not isinstance(raw, dict) or not raw:
        raise SampleError("values: give an object channel → list of numbers")
    out: dict[str, np.ndarray] = {}
    n = None
    for ch, xs in raw.items():
        if ch not in UNITS:
            raise SampleError(f"values.{str(ch)[:40]}: unknown channel; known: {', '.join(UNITS)}")
        if not isinstance(xs, list) or not 1 <= len(xs) <= MAX_FRAMES:
            raise SampleError(f"values.{ch}: give a list of 1 to {MAX_FRAMES} values")
        if n is not None and len(xs) != n:
            raise SampleError(f"values.{ch}: {len(xs)} values, other channels have {n}")
        n = len(xs)
        if not all(
            x is None or (isinstance(x, int | float) and not isinstance(x, bool)) for x in xs
        ):
            raise SampleError(f"values.{ch}: only numbers or null")
        arr = np.array([np.nan if x is None else x for x in xs], dtype=float)
        note = _mask_out_of_range(ch, arr)
        if note:
            masked.append(note)
        out[ch] = arr
    missing = [c for c in REQUIRED if c not in out]
    if missing:
        raise SampleError(f"values: missing channel(s) {', '.join(missing)}")
    assert n is not None
    for ch in UNITS:
        if ch not in out and ch != "hw_alarm":
            out[ch] = np.full(n, np.nan)
    return out


def __getattr__(name: str) -> Any:
    """``Reorder`` and ``StreamStats`` were defined here; they live in
    :mod:`junkan.sensing.reorder` now (imported on first use: that module needs :class:`Batch`)."""
    if name in ("Reorder", "StreamStats", "Gap"):
        from junkan.sensing import reorder

        return getattr(reorder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
