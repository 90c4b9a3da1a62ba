"""RFC 8785 JSON Canonicalization Scheme and record hashes.

``canonical`` takes a fast path through the standard library's JSON encoder when the value is
one where its output is provably the RFC 8785 form — keys and strings in the Basic
Multilingual Plane without surrogates, floats integral below 2^53 (written as integers, as
ECMAScript does) or with 1e-4 ≤ |x| < 1e16 (where Python's shortest repr and ECMAScript's
Number-to-string agree) — and hands everything else to the ``rfc8785`` package. A property
test checks both paths agree."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_MAX_INT = 2**53
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                           allow_nan=False).encode


class _Unsafe(Exception):
    pass


def _bmp(text: str) -> bool:
    return all(ord(c) < 0xD800 or 0xE000 <= ord(c) < 0x10000 for c in text) \
        if not text.isascii() else True


def _prepare(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, str):
        if not _bmp(v):
            raise _Unsafe
        return v
    if isinstance(v, int):
        if abs(v) >= _MAX_INT:
            raise _Unsafe
        return v
    if isinstance(v, float):
        if v.is_integer():
            if abs(v) < _MAX_INT:
                return int(v)
            raise _Unsafe
        if 1e-4 <= abs(v) < 1e16:
            return v
        raise _Unsafe
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str) or not _bmp(k):
                raise _Unsafe
            out[k] = _prepare(x)
        return out
    if isinstance(v, list | tuple):
        return [_prepare(x) for x in v]
    raise _Unsafe


def canonical(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (floats must be finite)."""
    try:
        return _encode(_prepare(obj)).encode("utf-8")
    except _Unsafe:
        return rfc8785.dumps(obj)


def digest(obj: Any) -> str:
    """Hex SHA-256 of the canonical form."""
    return hashlib.sha256(canonical(obj)).hexdigest()
