"""Indicator values: a fraction (or quantity) with its formula, source and inputs — or null
with the reason, never a silent 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Indicator:
    """One computed indicator.

    Attributes
    ----------
    key: machine name, e.g. ``cti.circular_inflow``.
    value: the value (fractions in [0, 1], quantities in ``unit``), or ``None``.
    unit: ``"fraction"`` or a unit such as ``"t"`` or ``"JPY/t"``.
    formula: the formula as text.
    source: where the formula comes from.
    inputs: the numbers that went in.
    reason: why ``value`` is ``None`` (e.g. a zero denominator).
    """

    key: str
    value: float | None
    unit: str
    formula: str
    source: str
    inputs: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def display(self) -> str:
        if self.value is None:
            return f"n/a ({self.reason})"
        if self.unit == "fraction":
            return f"{100 * self.value:.1f} %"
        return f"{self.value:,.4g} {self.unit}"


def ratio(key: str, num: float, den: float, *, formula: str, source: str,
          inputs: dict[str, Any], what: str = "denominator") -> Indicator:
    """num / den as a fraction, or null when the denominator is zero."""
    if den == 0:
        return Indicator(key, None, "fraction", formula, source, inputs,
                         reason=f"{what} is zero")
    return Indicator(key, num / den, "fraction", formula, source, inputs)


class IndicatorInputError(ValueError):
    """Inputs out of range; the message names the field."""
