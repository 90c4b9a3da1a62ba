"""The shipped reference data of :mod:`junkan.policy` (``junkan/data/policy``)."""

from __future__ import annotations

from datetime import date
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


def years_after(d: date, years: int) -> date:
    """The same date ``years`` later (calendar years, as "3 years" of the data files mean):
    29 February becomes 28 February in a year without one."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
