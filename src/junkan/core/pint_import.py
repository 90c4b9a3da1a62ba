"""Importing :mod:`pint` without the part of Dask it reaches for.

``pint.compat`` imports ``dask.base`` whenever Dask is installed (the ``uncertainty`` and
``nature`` extras install it) to recognise Dask arrays inside quantities, which junkan never
makes: its quantities are scalars (:mod:`junkan.core.quantities`). That import added
0.07–0.10 s of CPU to the start of every command (``import dask.base`` after junkan's other
imports, 5 runs, 2026-12-03). :func:`import_pint` imports pint
with Dask hidden from it, so pint treats Dask as absent; Dask itself stays importable. If
pint or Dask was imported before (by the user's own code), nothing is hidden.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType

__all__ = ["import_pint"]


def import_pint() -> ModuleType:
    """:mod:`pint`, imported (once) without importing Dask."""
    if "pint" in sys.modules or "dask" in sys.modules:
        return import_module("pint")
    sys.modules["dask"] = None  # type: ignore[assignment]  # pint's find_spec: not installed
    try:
        return import_module("pint")
    finally:
        del sys.modules["dask"]
