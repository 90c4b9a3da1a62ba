"""RFC 8785 JSON Canonicalization Scheme and record hashes.

``canonical`` takes a fast path through the standard library's JSON encoder (sorted keys, no
spaces, UTF-8) and then rewrites the number tokens outside strings (found by splitting at the
quotes when no string has an escape, else by a tokenising regular expression): a float that is
integral below 2^53 loses its ".0" (as ECMAScript writes it), one with 1e-4 ≤ |x| < 1e16 stays as
Python's shortest repr (identical to ECMAScript's there); anything else — other floats,
integers ≥ 2^53, text outside the Basic Multilingual Plane (where key order by UTF-16 code
units differs) — goes to the ``rfc8785`` package. A property test checks both paths agree."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

_MAX_INT = 2**53
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                           allow_nan=False).encode


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
_MAX_INT_DIGITS = len(str(_MAX_INT))
_SUSPECTS = (re.compile(r"\.0(?![0-9])"), re.compile(r"[0-9][eE][-+]?[0-9]"),
             re.compile(r"[0-9]{16}"))
"""What the stdlib writes differently from RFC 8785: integral floats ("10.0"), exponents and
long integers. Text without any of them (even inside strings) is already canonical."""


_UNUSUAL = re.compile(r"\d[eE]|\d{16}|-0\.0(?![0-9])")
"""Outside strings: exponents, 16+ digit runs, negative zero — left to the token path."""
_INTEGRAL = re.compile(r"(-?\d+)\.0(?![0-9])")


def _digits(m: re.Match[str]) -> str:
    return m.group(1)


class _Unsafe(Exception):
    pass


def _number(m: re.Match[str]) -> str:
    tok = m.group(0)
    if tok[0] == '"':
        return tok
    if "." not in tok and "e" not in tok and "E" not in tok:
        if len(tok.lstrip("-")) >= _MAX_INT_DIGITS and abs(int(tok)) >= _MAX_INT:
            raise _Unsafe
        return tok
    x = float(tok)
    if x.is_integer():
        if abs(x) < _MAX_INT:
            return str(int(x))
        raise _Unsafe
    if 1e-4 <= abs(x) < 1e16:
        return tok
    raise _Unsafe


def canonical(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (floats must be finite)."""
    try:
        text = _encode(obj)
    except (TypeError, ValueError):
        return rfc8785.dumps(obj)  # let the reference implementation report it
    if not text.isascii() and any(ord(c) >= 0xD800 for c in text):
        return rfc8785.dumps(obj)  # surrogates / beyond the BMP: UTF-16 key order
    if "\\" not in text:  # no escapes: strings are exactly the odd parts between quotes
        parts = text.split('"')
        outside = "".join(parts[::2])  # numbers, punctuation, true/false/null
        if not _UNUSUAL.search(outside):
            if ".0" in outside:  # integral floats lose their ".0"
                parts[::2] = [_INTEGRAL.sub(_digits, p) if ".0" in p else p
                              for p in parts[::2]]
                text = '"'.join(parts)
            return text.encode("utf-8")
    if not any(p.search(text) for p in _SUSPECTS):
        return text.encode("utf-8")
    try:
        return _TOKEN.sub(_number, text).encode("utf-8")
    except _Unsafe:
        return rfc8785.dumps(obj)


def digest(obj: Any) -> str:
    """Hex SHA-256 of the canonical form."""
    return hashlib.sha256(canonical(obj)).hexdigest()
