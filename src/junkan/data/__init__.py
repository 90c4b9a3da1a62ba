"""Shipped reference data: every value carries its source and date, or says it is an
assumption. Templates in ``library/`` are imported by models with ``uses: [name]``."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

LIBRARY_SECTIONS = ("actors", "modes", "processes", "materials", "parts", "sources")


def library_names() -> list[str]:
    """Names of the templates a model can import with ``uses:``."""
    root = resources.files("junkan.data") / "library"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def load_library(name: str) -> dict[str, Any]:
    """The raw document of library template ``name`` (``KeyError`` if there is none)."""
    if name not in library_names():
        raise KeyError(name)
    text = (resources.files("junkan.data") / "library" / f"{name}.yaml").read_text("utf-8")
    doc = yaml.safe_load(text) or {}
    return {k: v for k, v in doc.items() if k in LIBRARY_SECTIONS}
