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
    29 February becomes 28 February in a year without one; beyond the last date Python has
    (9999-12-31), that date. An installation commissioned in 9990, which the registry
    stores, ended every view holding it in 'year 10010 is out of range' (a 500 for its
    owner, its model's maker and its municipality; review 318)."""
    year = d.year + years
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    try:
        return d.replace(year=year)
    except ValueError:
        return d.replace(year=year, day=28)
