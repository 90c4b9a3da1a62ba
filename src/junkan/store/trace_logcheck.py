"""The checks of a log that need nothing but its rows — signature, JSON, canonical form,
indexed columns against the signed record — run on parts of a log in the background
(:class:`Background`: worker processes for large audits), while the audit's main process
parses and replays the same records (:mod:`junkan.store.trace_verify`)."""

from __future__ import annotations

import json
import json.encoder
import multiprocessing
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import orjson

from junkan.trace.canonical import canonical
from junkan.trace.signing import failing


def _not_json(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def compact_json(*, sort_keys: bool, ensure_ascii: bool, allow_nan: bool) -> Callable[[Any],
                                                                                      str]:
    """The standard library's compact JSON encoder (``separators=(",", ":")``) without its
    per-call set-up (~1 µs of a 2–5 µs call) and circular-reference check (parsed JSON has
    no cycles)."""
    c = json.encoder
    make: Any = getattr(c, "c_make_encoder", None)
    strings: Any = getattr(c, "c_encode_basestring_ascii" if ensure_ascii else
                           "c_encode_basestring", None)
    if make is None or strings is None:  # not CPython
        return json.JSONEncoder(separators=(",", ":"), sort_keys=sort_keys,
                                ensure_ascii=ensure_ascii, allow_nan=allow_nan).encode
    enc = make(None, _not_json, strings, None, ":", ",", sort_keys, False, allow_nan)
    return lambda obj: "".join(enc(obj, 0))


_UNUSUAL = re.compile(rb"\.0(?![0-9])|[0-9][eE]|[0-9]{16}")
"""Outside strings, where orjson's (or Python's) JSON may differ from RFC 8785: integral
floats, exponents, long digit runs."""
_BEYOND_BMP = re.compile(rb"[\xf0-\xf4]")
"""Text beyond the Basic Multilingual Plane (keys sort by UTF-16 units there)."""


def canonical_form(record: Any, data: bytes) -> bool:
    """Is ``data`` the RFC 8785 form of ``record`` (parsed from it)? orjson's sorted compact
    text is that form when the numbers outside strings are plain and the text stays in the
    Basic Multilingual Plane with nothing escaped; otherwise (or if the texts differ)
    :func:`junkan.trace.canonical.canonical` decides (several times the cost)."""
    try:
        if orjson.dumps(record, option=orjson.OPT_SORT_KEYS) == data and b"\\" not in data \
                and (data.isascii() or not _BEYOND_BMP.search(data)) and \
                not _UNUSUAL.search(b"".join(data.split(b'"')[::2])):
            return True
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        pass
    try:
        return canonical(record) == data
    except Exception:  # noqa: BLE001 - what cannot be canonicalised is not canonical
        return False


def parse(data: bytes | str) -> Any:
    """A signed record parsed (orjson: strict JSON, ~2× the standard library's speed).
    Raises ValueError (orjson.JSONDecodeError) for what is not JSON — including NaN,
    infinities and integers beyond 64 bits, which no canonical record contains."""
    return orjson.loads(data)


def check_events(public: str, name: str, rows: list[tuple[int, str, str, bytes, str]],
                 verify_upto: int | None = None) -> list[str]:
    """Problems of a part of ``name``'s log — rows (sequence, type and lot columns, record
    bytes, signature) — that its rows alone show. Signatures are verified for the events
    up to ``verify_upto`` (default: all; those after it are covered by a signed
    checkpoint's signature chain, checked by the caller)."""
    out = []
    signed = rows if verify_upto is None else [r for r in rows if r[0] <= verify_upto]
    bad = {signed[i][0] for i in failing(public, [r[3] for r in signed],
                                         [r[4] for r in signed])}
    for seq, typ, lot, data, _ in rows:
        where = f"{name} event {seq} ({typ} {lot})"
        if seq in bad:
            out.append(f"{where}: signature does not verify")
        try:
            record = parse(data)
        except ValueError:
            out.append(f"{where}: record is not JSON any more")
            continue
        if not isinstance(record, dict):
            out.append(f"{where}: record is not a JSON object")
            continue
        if not canonical_form(record, data):
            out.append(f"{where}: record is not in canonical form")
        ev = record.get("event")
        ev = ev if isinstance(ev, dict) else {}
        signed_lot = ev.get("lot") if ev.get("type") != "close_period" else \
            f"{ev.get('site')}@{ev.get('period')}"
        if (record.get("seq"), ev.get("type"), signed_lot) != (seq, typ, lot) or \
                record.get("org") != name:
            out.append(f"{where}: indexed columns differ from the signed record")
    return out


def check_signed(public: str, rows: list[tuple[str, bytes, str]]) -> list[str]:
    """``<label>: signature does not verify`` for each (label, data, signature) whose
    signature is not ``public``'s."""
    return [f"{label}: signature does not verify"
            for i in failing(public, [r[1] for r in rows], [r[2] for r in rows])
            for label in (rows[i][0],)]


class Background:
    """Checks run beside the caller: in ``processes`` worker processes (spawned, so
    nothing of the caller's state is copied), or in this process when 0 (small audits:
    starting a worker costs ~0.5 s). :meth:`results` waits and yields each check's problems;
    a part a worker could not finish (it died, or could not start) is checked here."""

    def __init__(self, processes: int = 0) -> None:
        self._executor: Executor | None = ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn")) if processes else None
        self._parts: list[tuple[Any, Callable[..., list[str]], tuple[Any, ...],
                                Future[list[str]] | None]] = []

    def submit(self, tag: Any, fn: Callable[..., list[str]], *args: Any) -> None:
        """Run ``fn(*args)``; its problems come back with ``tag``."""
        part: Future[list[str]] | None = None
        if self._executor is not None:
            try:
                part = self._executor.submit(fn, *args)
            except BrokenProcessPool:
                self._executor = None
        self._parts.append((tag, fn, args, part))

    def results(self) -> Iterator[tuple[Any, str]]:
        """``(tag, problem)`` of every check, in the order they were submitted."""
        for tag, fn, args, part in self._parts:
            try:
                found = part.result() if part is not None else fn(*args)
            except BrokenProcessPool:
                found = fn(*args)
            for problem in found:
                yield tag, problem
        self._parts = []

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

