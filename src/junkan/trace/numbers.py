"""Strict numbers of the ledger's documents: a JSON number, never a boolean or a numeric
string; finite (no NaN, ±Infinity, or ``1e999``, which parsers turn into infinity); integers
below 2^53 (what every JSON reader represents exactly and RFC 8785 can sign); and within
bounds, so that nothing derived from them (CFP per kg, blends of blends) can overflow."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_MASS_KG = 1e12
"""Largest mass of a lot or of an input taken from one (10^12 kg: a billion tonnes)."""
MIN_MASS_KG = 1e-6
"""Smallest mass (1 mg): CFP per kg stays finite however a lot is split."""
MAX_CFP_PER_KG = 1e6
"""Largest CFP per kg of a lot (and of a step's own emissions per kg of its output), kg CO2e
per kg: above the most carbon-intensive materials (platinum-group metals, ~4·10^4)."""
MAX_CFP_KG = MAX_MASS_KG * MAX_CFP_PER_KG
"""Largest CFP of a whole lot, kg CO2e (the mass bound times the per-kg bound)."""
MAX_ENERGY_KWH = 1e15
"""Largest process energy of one step, kWh."""
MAX_SAFE_INT = 2**53
"""Integers must be smaller in magnitude (exact in every JSON reader; RFC 8785)."""


def _number_check(ge: float | None, gt: float | None, le: float | None,
                  unit: str) -> Any:
    lo = max(x for x in (ge, gt, -sys.float_info.max) if x is not None)
    hi = min(le, sys.float_info.max) if le is not None else sys.float_info.max

    def check(v: Any) -> int | float:
        # the common case first (an audit checks millions): a float or a safe integer within
        # the bounds; NaN and infinities fail the comparisons and take the full path
        t = type(v)
        if (t is float or (t is int and -MAX_SAFE_INT < v < MAX_SAFE_INT)) and \
                lo <= v <= hi and (gt is None or v > gt):
            return v
        return full_check(v)

    def full_check(v: Any) -> int | float:
        if isinstance(v, bool):
            raise PydanticCustomError("number_type", "must be a number, not a boolean")
        if isinstance(v, str):
            raise PydanticCustomError("number_type", "must be a number, not a string (write "
                                      "it without quotes)")
        if not isinstance(v, int | float):
            raise PydanticCustomError("number_type", "must be a number")
        if isinstance(v, int):
            if abs(v) >= MAX_SAFE_INT:
                raise PydanticCustomError("number_range", "integer too large: its magnitude "
                                          "must be below 2^53 (9007199254740992)")
        elif not math.isfinite(v):
            raise PydanticCustomError("number_finite", "must be a finite number (not NaN or "
                                      "infinity; 1e999 and larger overflow to infinity)")
        if ge is not None and v < ge:
            raise PydanticCustomError("number_range", "must be ≥ {bound}{unit}",
                                      {"bound": f"{ge:g}", "unit": unit})
        if gt is not None and v <= gt:
            raise PydanticCustomError("number_range", "must be > {bound}{unit}",
                                      {"bound": f"{gt:g}", "unit": unit})
        if le is not None and v > le:
            raise PydanticCustomError("number_range", "must be ≤ {bound}{unit}",
                                      {"bound": f"{le:g}", "unit": unit})
        return v

    return check


def Quantity(*, ge: float | None = None, gt: float | None = None,  # noqa: N802
             le: float | None = None, unit: str = "") -> Any:
    """A strict, finite, bounded JSON number (an integer stays an integer: it signs and
    hashes as written)."""
    schema: dict[str, Any] = {"type": "number"}
    if ge is not None:
        schema["minimum"] = ge
    if gt is not None:
        schema["exclusiveMinimum"] = gt
    if le is not None:
        schema["maximum"] = le
    # checked before the (native) int | float validation, which then keeps an integer an
    # integer; serialisation stays native too (a plain validator would add a Python call
    # per number to every model_dump)
    return Annotated[int | float, BeforeValidator(_number_check(ge, gt, le, unit)),
                     WithJsonSchema(schema)]


if TYPE_CHECKING:  # what the validated values are
    Mass: TypeAlias = int | float
    CfpKg: TypeAlias = int | float
    SignedCfpKg: TypeAlias = int | float
    CarbonKg: TypeAlias = int | float
    EnergyKwh: TypeAlias = int | float
    Share: TypeAlias = int | float
    Percent: TypeAlias = int | float
    Number: TypeAlias = int | float
else:
    Mass = Quantity(ge=MIN_MASS_KG, le=MAX_MASS_KG, unit=" kg")
    CfpKg = Quantity(ge=0, le=MAX_CFP_KG, unit=" kg CO2e")
    SignedCfpKg = Quantity(ge=-MAX_CFP_KG, le=MAX_CFP_KG, unit=" kg CO2e")
    CarbonKg = Quantity(ge=0, le=MAX_MASS_KG, unit=" kg")
    EnergyKwh = Quantity(ge=0, le=MAX_ENERGY_KWH, unit=" kWh")
    Share = Quantity(ge=0, le=1)
    Percent = Quantity(ge=0, le=100, unit=" %")
    Number = Quantity()
    """Any strict finite number."""

