"""The one :mod:`pint` unit registry of junkan.

Beyond pint's defaults it knows:

* ``kgCO2e`` (dimension ``[co2e]``), with ``gCO2e`` and ``tCO2e``;
* ``piece`` (dimension ``[item]``; alias ``pcs``) for counted items;
* currencies ``JPY``, ``USD``, ``EUR``, each its own dimension so that an amount in one currency
  is never silently added to another (no exchange rates are assumed).

Engines work in these base units: kg, piece, kgCO2e, MJ, currency unit, year. Strings from users
never reach pint's parser: :mod:`junkan.core.quantities` reads them.

Building the registry parses pint's definition file, about a quarter of a second at every
start of a process. Pint keeps what it parsed in a cache folder when given one
(:func:`cached_registry`); junkan gives it one under the user's cache folder, filled
atomically, so a second process reads it in about a tenth of the time.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pint
import platformdirs

from junkan.core.errors import CodedError

CACHE_ENV = "JUNKAN_CACHE_DIR"
"""Environment variable: the folder junkan keeps its caches in (default: the user's cache
folder, e.g. ``~/.cache/junkan``); ``off`` keeps none."""

_COMPLETE = "complete"
"""The file that says a cache folder holds every file pint wrote while building."""


def cache_folder() -> Path | None:
    """The folder of pint's parsed definitions for this pint and Python, or ``None`` when
    caching is off (:data:`CACHE_ENV` set to ``off``)."""
    base = os.environ.get(CACHE_ENV, "").strip()
    if base.lower() == "off":
        return None
    root = Path(base) if base else platformdirs.user_cache_path("junkan", appauthor=False)
    return root / f"pint-{pint.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}"


def cached_registry(folder: Path | None, **options: Any) -> pint.UnitRegistry:
    """A unit registry built with pint's cache of parsed definitions in ``folder``.

    A folder marked complete is read (a cache that cannot be read is ignored). Otherwise the
    registry is built with a new folder beside it, whose files are then moved in one by one
    (each move atomic) and the folder marked complete last: a process never reads a file
    another is still writing. A cache that cannot be written (a read-only home) is skipped;
    the registry is the same either way."""
    if folder is None:
        return pint.UnitRegistry(**options)
    if (folder / _COMPLETE).is_file():
        try:
            return pint.UnitRegistry(cache_folder=folder, **options)
        except Exception:  # noqa: BLE001 - a damaged cache: rebuilt below
            pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    except OSError:
        return pint.UnitRegistry(**options)
    try:
        reg: pint.UnitRegistry = pint.UnitRegistry(cache_folder=fresh, **options)
        for f in fresh.iterdir():
            os.replace(f, folder / f.name)
        (fresh / _COMPLETE).write_text(f"pint {pint.__version__}\n", encoding="utf-8")
        os.replace(fresh / _COMPLETE, folder / _COMPLETE)
    except OSError:
        reg = pint.UnitRegistry(**options)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return reg


ureg: pint.UnitRegistry = cached_registry(cache_folder(), autoconvert_offset_to_baseunit=True)
ureg.define("kgCO2e = [co2e] = kg_CO2e = kgCO2eq")
ureg.define("gCO2e = 1e-3 kgCO2e")
ureg.define("tCO2e = 1000 kgCO2e = t_CO2e")
ureg.define("piece = [item] = pcs")
ureg.define("JPY = [currency_JPY] = yen")
ureg.define("USD = [currency_USD]")
ureg.define("EUR = [currency_EUR]")

Q_ = ureg.Quantity

CURRENCIES = ("JPY", "USD", "EUR")


class UnitParseError(CodedError, ValueError):
    """A string could not be read as a quantity, or has the wrong dimension. Made by
    :meth:`~junkan.core.errors.CodedError.coded`, its message is a domain rule's, which a
    validator refuses with (:meth:`~junkan.core.errors.CodedError.refusal`)."""
