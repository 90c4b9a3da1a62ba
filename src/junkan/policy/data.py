"""The shipped reference data of :mod:`junkan.policy` (``junkan/data/policy``)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from junkan.core.documents import parse_document


def data_document(name: str) -> tuple[dict[str, Any], str]:
    """The document ``data/policy/<name>`` and its source name (for error messages)."""
    res = resources.files("junkan.data") / "policy" / name
    source = f"data/policy/{name}"
    doc = parse_document(res.read_text("utf-8"), source=source)
    if not isinstance(doc, dict):
        raise ValueError(f"{source}: expected a mapping")
    return doc, source
