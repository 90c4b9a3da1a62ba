"""RFC 8785 JSON Canonicalization Scheme (via the ``rfc8785`` package) and record hashes."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (floats must be finite)."""
    return rfc8785.dumps(obj)


def digest(obj: Any) -> str:
    """Hex SHA-256 of the canonical form."""
    return hashlib.sha256(canonical(obj)).hexdigest()
