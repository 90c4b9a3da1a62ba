"""Physical units for junkan, on one shared :mod:`pint` registry.

Beyond pint's defaults the registry knows:

* ``kgCO2e`` (dimension ``[co2e]``), with ``gCO2e`` and ``tCO2e``;
* ``piece`` (dimension ``[item]``; alias ``pcs``) for counted items;
* currencies ``JPY``, ``USD``, ``EUR``, each its own dimension so that an amount in one currency
  is never silently added to another (no exchange rates are assumed).

Engines work in these base units: kg, piece, kgCO2e, MJ, currency unit, year.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("kgCO2e = [co2e] = kg_CO2e = kgCO2eq")
ureg.define("gCO2e = 1e-3 kgCO2e")
ureg.define("tCO2e = 1000 kgCO2e = t_CO2e")
ureg.define("piece = [item] = pcs")
ureg.define("JPY = [currency_JPY] = yen")
ureg.define("USD = [currency_USD]")
ureg.define("EUR = [currency_EUR]")

Q_ = ureg.Quantity

CURRENCIES = ("JPY", "USD", "EUR")


class UnitParseError(ValueError):
    """A string could not be read as a quantity, or has the wrong dimension."""


def parse_quantity(value: Any, *, default_unit: str | None = None) -> pint.Quantity:
    """Read ``"12.5 kg"``, ``12.5`` (with ``default_unit``) or a pint quantity.

    Raises :class:`UnitParseError` with a message fit for the user.
    """
    if isinstance(value, pint.Quantity):
        return value
    if isinstance(value, bool):
        raise UnitParseError(f"expected a quantity such as '5 kg', got {value!r}")
    if isinstance(value, int | float):
        if default_unit is None:
            raise UnitParseError(
                f"{value!r} has no unit; write it with one, e.g. '{value} kg'"
            )
        return Q_(float(value), default_unit)
    if not isinstance(value, str) or not value.strip():
        raise UnitParseError(f"expected a quantity such as '5 kg', got {value!r}")
    try:
        q: Any = ureg.Quantity(value)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitParseError(f"unknown unit in {value!r} ({exc}); known e.g. kg, t, piece, "
                             "kgCO2e, MJ, kWh, km, JPY") from exc
    except Exception as exc:  # pint raises assorted tokenizer errors on garbage
        raise UnitParseError(f"cannot read {value!r} as a quantity such as '5 kg'") from exc
    if not isinstance(q, pint.Quantity):
        q = Q_(float(q), "dimensionless")
    if q.dimensionless and default_unit is not None and value.strip().replace(".", "", 1).replace(
        "e", "", 1
    ).replace("-", "").isdigit():
        return Q_(q.magnitude, default_unit)
    return q


_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@lru_cache(maxsize=4096)
def _factor(unit: str, target: str) -> float | None:
    """Multiplier from ``unit`` to ``target`` (None when the fast path does not apply)."""
    try:
        return float(ureg.Quantity(1.0, unit).to(target).magnitude)
    except Exception:  # unknown or incompatible unit: the slow path explains the problem
        return None


def to_unit(value: Any, unit: str, *, what: str = "value") -> float:
    """Parse ``value`` and convert it to ``unit``, returning the magnitude as float.

    ``"<number> <unit>"`` strings take a cached fast path (one pint conversion per distinct
    unit string); everything else goes through :func:`parse_quantity`."""
    if isinstance(value, str):
        m = _NUMBER_UNIT.match(value)
        if m and m.group(2):
            factor = _factor(m.group(2), unit)
            if factor is not None:
                return float(m.group(1)) * factor
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise UnitParseError(f"{value!r} has no unit; write it with one, e.g. '{value} {unit}'")
    q = parse_quantity(value)
    try:
        return float(q.to(unit).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitParseError(
            f"{what} {value!r} has unit '{q.units:~}', which cannot be converted to '{unit}'"
        ) from exc
