"""A decision's ``values``: when two are the same value (:func:`repeated`) — as numbers
(``0.4``, ``"40%"`` and ``"0.4"``; ``0.0`` and ``-0.0``) or quantities (``"0.4 kg"`` and
``"400 g"``), in base units to 12 significant digits; anything else (a date, a mapping) by
its text — and each value as a number in the field's unit (:func:`in_unit`)."""

from __future__ import annotations

import json
from typing import Any

from junkan.core import UnitParseError, parse_quantity
from junkan.core.errors import ModelError, Problem
from junkan.core.quantities import to_unit, written_unit

__all__ = ["in_unit", "repeated", "values_in"]


def _key(v: Any) -> str:
    if type(v) in (int, float) or isinstance(v, str):
        try:
            q = parse_quantity(str(v)).to_base_units()
            return f"{float(q.magnitude) + 0.0:.12g} {q.units:~}"
        except (UnitParseError, ValueError, TypeError, OverflowError, AttributeError):
            pass
    return json.dumps(v, sort_keys=True, default=repr)


def repeated(values: list[Any]) -> tuple[int, int] | None:
    """The positions (first, second) of the first value given twice, or ``None``."""
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        first = seen.setdefault(_key(v), i)
        if first != i:
            return first, i
    return None


def in_unit(value: Any, unit: str) -> float | None:
    """``value`` as a number in ``unit``, the unit the model writes the field in, as a
    ``range`` reads its bounds: a bare number (or number text) is in that unit, a quantity
    is converted (``"3000 g"`` → 3.0 in kg). ``None`` when the field has no unit or the value
    is no number or quantity (a mapping, a list: set as written). UnitParseError for a
    quantity in another dimension. Review 315: ``values: [4, 3]`` on a mass was refused
    ("4 has no unit") where ``range: [5, 20]`` was read in kg, and ``["4 kg", "3000 g"]``
    came out as text with no ``unit``, unlike a range's number and unit."""
    if not unit or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and not written_unit(value):
        try:
            return float(value)
        except ValueError:
            return None
    return float(value) if isinstance(value, int | float) else to_unit(value, unit)


def values_in(values: list[Any], unit: str, k: int, origin: str
              ) -> list[tuple[str, str, float] | None]:
    """Each of decision ``k``'s values in the field's ``unit`` (:func:`in_unit`) as (label,
    text written into the model, number), as a range's levels are; ``None`` for a value set
    as written. ModelError naming ``decisions[k].values`` for a quantity of another kind."""
    out: list[tuple[str, str, float] | None] = []
    for v in values:
        try:
            x = in_unit(v, unit)
        except (UnitParseError, ValueError) as exc:
            raise ModelError([Problem(f"decisions[{k}].values", f"{exc} (the unit the model "
                                      f"writes this field in is {unit})")], origin) from None
        if x is None:
            out.append(None)
            continue
        label = v if isinstance(v, str) and written_unit(v) else f"{x:.6g} {unit}"
        out.append((label, f"{x!r} {unit}", x))  # as reported (review 316: 10 digits)
    return out
