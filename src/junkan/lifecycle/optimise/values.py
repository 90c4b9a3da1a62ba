"""When two of a decision's ``values`` are the same value: as numbers (``0.4``, ``"40%"`` and
``"0.4"``; ``0.0`` and ``-0.0``) or quantities (``"0.4 kg"`` and ``"400 g"``), in base units
to 12 significant digits; anything else (a date, a mapping) by its text."""

from __future__ import annotations

import json
from typing import Any

from junkan.core import UnitParseError, parse_quantity

__all__ = ["repeated"]


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
