"""Reference data of the PACT mapping, read from ``junkan/data/trace/``: the carbon content of
materials (``carbon_content.yaml``) and what a footprint states when its maker did not
(``pact_defaults.yaml``). Each value there names its source or says it is an assumption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("junkan.data") / "trace" / name).read_text("utf-8")
    doc = yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)
    if not isinstance(doc, dict):
        raise ValueError(f"junkan/data/trace/{name}: expected a mapping")
    return doc


@cache
def pact_defaults() -> dict[str, Any]:
    """``pact_defaults.yaml``: each entry has ``value`` (or a rule with its numbers) and
    ``source``."""
    doc = _read("pact_defaults.yaml")
    for key, entry in doc.items():
        if isinstance(entry, dict) and "source" not in entry:
            raise ValueError(f"junkan/data/trace/pact_defaults.yaml: {key} has no source")
    return doc


def default(key: str) -> Any:
    """The ``value`` of a default in ``pact_defaults.yaml``."""
    return pact_defaults()[key]["value"]


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


@cache
def carbon_table() -> dict[str, tuple[float, str]]:
    """Normalised material name → (kg C per kg, table entry) from ``carbon_content.yaml``."""
    doc = _read("carbon_content.yaml")
    out: dict[str, tuple[float, str]] = {}
    for entry, row in doc["materials"].items():
        value = row["carbon_kg_per_kg"]
        if not row.get("source") or isinstance(value, bool) or not 0 <= value <= 1:
            raise ValueError(f"junkan/data/trace/carbon_content.yaml: {entry}: needs a "
                             "source and a carbon_kg_per_kg in [0, 1]")
        for name in row["names"]:
            key = _norm(str(name))
            if key in out:
                raise ValueError(f"junkan/data/trace/carbon_content.yaml: {name!r} is "
                                 "listed twice")
            out[key] = (float(value), entry)
    return out


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def carbon_content(material: str) -> tuple[float, str] | None:
    """(kg fossil carbon per kg, table entry) of a material named exactly as in the table
    (case and spacing aside), or None when the table does not know it."""
    return carbon_table().get(_norm(material))


def add_years(at: datetime, years: int) -> datetime:
    """``at`` plus whole calendar years (29 February → 28 February)."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


def utc(at: datetime) -> datetime:
    """An aware time in UTC (a naive one is read as UTC, as the store writes them)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def default_reference_period(recorded: datetime) -> tuple[datetime, datetime]:
    """The reference period assumed for a lot recorded at ``recorded``
    (``pact_defaults.yaml``: the 12 months before it)."""
    months = int(pact_defaults()["reference_period"]["months"])
    end = utc(recorded).replace(microsecond=0)
    if months % 12:
        return end - timedelta(days=round(months * 30.4375)), end
    return add_years(end, -(months // 12)), end


def stamp(at: datetime) -> str:
    """RFC 3339 text in UTC with a ``Z``: ``2026-04-01T09:00:00Z``."""
    text = utc(at).isoformat()
    return text.removesuffix("+00:00") + "Z"
