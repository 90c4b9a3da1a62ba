"""Shipped reference data: every value carries its source and date, or says it is an
assumption. Templates in ``library/`` are imported by models with ``uses: [name]``."""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import yaml

LIBRARY_SECTIONS = ("actors", "modes", "processes", "materials", "parts", "sources")


def library_names() -> list[str]:
    """Names of the templates a model can import with ``uses:``."""
    root = resources.files("junkan.data") / "library"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def library_fingerprint() -> str:
    """A digest of every library template's name and bytes: what a model that ``uses`` them
    reads, for a cache key (a template imported or edited in a running service is read
    again). A few kilobytes: well under a millisecond."""
    h = hashlib.sha256()
    root = resources.files("junkan.data") / "library"
    for name in library_names():
        h.update(name.encode("utf-8") + b"\0" + (root / f"{name}.yaml").read_bytes() + b"\0")
    return h.hexdigest()


def load_library(name: str) -> dict[str, Any]:
    """The raw document of library template ``name`` (``KeyError`` if there is none)."""
    if name not in library_names():
        raise KeyError(name)
    text = (resources.files("junkan.data") / "library" / f"{name}.yaml").read_text("utf-8")
    doc = yaml.safe_load(text) or {}
    return {k: v for k, v in doc.items() if k in LIBRARY_SECTIONS}
