"""Freight transport modes: one definition for every capability that moves material (lifecycle
transport processes, network collection and trunk legs).

A mode is written with unit factors per tonne-kilometre (``208 gCO2e/(t*km)``,
``30 JPY/(t*km)``, ``0.9 MJ/(t*km)``), optionally a detour factor (route distance ÷
great-circle distance) and a handling cost per tonne per leg, and always the source of its
numbers. The factors keep what the user wrote (a lifecycle model reads costs in its own
currency); :meth:`Mode.quantity` converts one to the unit a capability computes in, and its
error message is the one a quantity field gives (see :func:`junkan.core.fields.quantity_converter`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from junkan.core.base import Strict
from junkan.core.errors import short
from junkan.core.quantities import to_unit
from junkan.core.registry import UnitParseError

ModeField = Literal["co2e", "energy", "cost", "handling"]
"""The fields of a :class:`Mode` that hold quantities."""
Written = str | int | float | None
"""A quantity as written (``"30 JPY/(t*km)"``); a bare number keeps its type, so a message
about it shows what was written."""


class Mode(Strict):
    """A freight transport mode with unit factors per t·km."""

    title: str | None = None
    co2e: Written = None
    """Emissions per t·km, e.g. ``208 gCO2e/(t*km)``."""
    energy: Written = None
    """Energy per t·km, e.g. ``0.9 MJ/(t*km)``."""
    cost: Written = None
    """Cost per t·km, e.g. ``30 JPY/(t*km)``."""
    detour_factor: float | None = Field(default=None, gt=0)
    """Route distance ÷ great-circle distance (network planning)."""
    handling: Written = None
    """Cost per tonne per leg, e.g. port loading and unloading ``2500 JPY/t`` (network
    planning)."""
    source: str = Field(min_length=1)
    """Where the numbers come from (citation), or ``assumption: ...``."""

    def quantity(self, field: ModeField, unit: str, what: str) -> float | None:
        """``field`` in ``unit`` (None when not given). Raises :class:`ValueError` with a
        message for the user (``what`` names the quantity) when it cannot be read, has
        another dimension or is negative."""
        value = getattr(self, field)
        if value is None:
            return None
        try:
            v = to_unit(value, unit, what=what)
        except UnitParseError as exc:
            raise ValueError(str(exc)) from None
        if v < 0:
            raise ValueError(f"{what} must not be negative, got {short(value)}")
        return v
