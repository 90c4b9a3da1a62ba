"""Field types for input schemas: quantities with units, shares, rates and calendar years.

Each type converts what the user wrote (``"1.2 kg"``, ``"40%"``) to a float in a fixed unit and
refuses NaN, infinities and values beyond ±``Limits.quantity_magnitude`` (1e15 in the stored
unit); pydantic reports the field's path with the message. Build more quantity types with
:func:`quantity_converter`::

    Energy = Annotated[float, BeforeValidator(quantity_converter("MWh", "energy"))]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from junkan.core.base import Strict
from junkan.core.errors import refusal, short
from junkan.core.quantities import convert, parse_quantity, to_unit
from junkan.core.registry import UnitParseError


def quantity_converter(unit: str, what: str, *, positive: bool = False,
                       nonneg: bool = True) -> Callable[[Any], float]:
    """A validator reading a quantity string and returning its magnitude in ``unit``.

    ``what`` names the quantity in messages (``"mass"``; the web page's catalogue says it
    in its language, ``val.what.<what>``); ``positive`` refuses 0 and below, ``nonneg``
    (the default) refuses negative values."""

    def convert_value(value: Any) -> float:
        try:
            v = to_unit(value, unit, what=what)
        except UnitParseError as exc:
            raise exc.refusal() from None
        if positive and not v > 0:
            raise refusal("quantity-not-positive", "{what} must be greater than 0, got "
                          "{value}", what=what, value=short(value))
        if nonneg and v < 0:
            raise refusal("quantity-negative", "{what} must not be negative, got {value}",
                          what=what, value=short(value))
        return v

    return convert_value


Mass = Annotated[float, BeforeValidator(quantity_converter("kg", "mass"))]
"""A mass, stored in kg."""
Duration = Annotated[float, BeforeValidator(quantity_converter("year", "duration",
                                                               positive=True))]
"""A positive duration, stored in years."""
Distance = Annotated[float, BeforeValidator(quantity_converter("km", "distance"))]
"""A distance, stored in km."""


def fraction(value: Any) -> float:
    """A share in [0, 1] from a number or a percentage string (``"40%"``)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise refusal("percentage-unreadable", "cannot read {value} as a percentage",
                          value=short(value)) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refusal("fraction-expected", "expected a fraction between 0 and 1 (or '40%'), "
                      "got {value}", value=short(value))
    if not math.isfinite(_float(value)):
        raise refusal("fraction-not-finite", "must be a finite number between 0 and 1, got "
                      "{value}", value=short(value))
    if not 0.0 <= float(value) <= 1.0:
        raise refusal("fraction-range", "must be between 0 and 1, got {value}",
                      value=short(value))
    return float(value)


Fraction = Annotated[float, BeforeValidator(fraction)]
"""A share in [0, 1]; ``"40%"`` is accepted."""


def _float(value: int | float) -> float:
    """``float(value)``, infinite for an integer beyond a float's range (not an
    ``OverflowError``)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def annual_rate(value: Any) -> float:
    """A share per year in [0, 1] from a number (``0.05``) or a quantity (``"0.05 1/year"``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = _float(value)
        if not math.isfinite(v):
            raise refusal("annual-rate-not-finite", "annual rate must be a finite number, "
                          "got {value}", value=short(value))
    else:
        try:
            v = convert(parse_quantity(value), "1/year", value=value, what="annual rate")
        except UnitParseError:
            raise refusal("annual-rate-expected", "expected an annual rate such as 0.05 or "
                          "'0.05 1/year', got {value}", value=short(value)) from None
    if not 0.0 <= v <= 1.0:
        raise refusal("annual-rate-range", "annual rate must be between 0 and 1 per year, "
                      "got {value}", value=short(value))
    return v


AnnualRate = Annotated[float, BeforeValidator(annual_rate)]
"""A share per year in [0, 1] (e.g. part replacements per installed part per year)."""


YEAR_MIN, YEAR_MAX = 1, 9999
"""Calendar years a model may use: year arithmetic stays within machine integers (and within
``int16``, which compact result tables use)."""
YEARS_SPAN_MAX = 1000
"""Longest horizon, in years after the first."""
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
"""A calendar year from ``YEAR_MIN`` to ``YEAR_MAX``."""


class Years(Strict):
    """The simulated horizon, both years included."""

    start: Year
    end: Year

    @model_validator(mode="after")
    def _order(self) -> Years:
        if self.end < self.start:
            raise refusal("years-end-before-start", "end ({end}) is before start ({start})",
                          end=self.end, start=self.start)
        if self.end - self.start > YEARS_SPAN_MAX:
            raise refusal("years-too-many", "more than {most} years; shorten the horizon",
                          most=f"{YEARS_SPAN_MAX:,}")
        return self


def _iso_text(value: Any) -> Any:
    """Dates and times are ISO 8601 text (or already dates): a number is refused rather than
    read as seconds since 1970, which pydantic would do silently."""
    if isinstance(value, bool | int | float):
        raise ValueError(f"expected an ISO 8601 date such as '2026-04-01', got {short(value)}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
"""A calendar date written as ISO 8601 text (``2026-04-01``)."""
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]
"""A date and time written as ISO 8601 text (``2026-04-01T09:00:00Z``)."""


def _lei(value: Any) -> Any:
    """An LEI (ISO 17442): 18 upper-case letters or digits, then two check digits that make the
    whole, read with letters as 10-35, equal 1 modulo 97 (ISO 7064 MOD 97-10)."""
    if not isinstance(value, str) or len(value) != 20 or not value.isascii() \
            or not value.isalnum() or value != value.upper() or not value[18:].isdigit():
        raise refusal("lei-format", "an LEI is 20 characters, 18 letters or digits then two "
                      "check digits; got {value}", value=short(value))
    if not 2 <= int(value[18:]) <= 98 or int("".join(str(int(c, 36)) for c in value)) % 97 != 1:
        raise refusal("lei-check-digits", "LEI {value}: the check digits do not match (ISO "
                      "17442, MOD 97-10); copy it again from the GLEIF record", value=value)
    return value


def _corporate_number(value: Any) -> Any:
    """A Japanese corporate number (法人番号, 13 digits): the first is a check digit, 9 minus the
    sum over the 12 others (counted from the last, odd places × 1, even places × 2) modulo 9
    (National Tax Agency, 法人番号の指定等に関する省令 第2条)."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise refusal("corporate-number-as-text", "write the corporate number as quoted text "
                      "('{value}'): a number loses leading zeros", value=short(value))
    if not isinstance(value, str) or len(value) != 13 or not value.isascii() \
            or not value.isdigit():
        raise refusal("corporate-number-format", "a corporate number (法人番号) is 13 digits; "
                      "got {value}", value=short(value))
    base = value[1:][::-1]
    check = 9 - sum(int(d) * (1 if n % 2 == 0 else 2) for n, d in enumerate(base)) % 9
    if int(value[0]) != check:
        raise refusal("corporate-number-check-digit", "corporate number {value}: the check "
                      "digit does not match (it would be {check}); copy it again from the "
                      "法人番号公表サイト", value=value, check=check)
    return value


Lei = Annotated[str, BeforeValidator(_lei)]
"""A Legal Entity Identifier (ISO 17442) with its check digits verified."""
CorporateNumber = Annotated[str, BeforeValidator(_corporate_number)]
"""A Japanese corporate number (法人番号) with its check digit verified."""


CONTROL = re.compile("[\x00-\x1f\x7f]")
"""Control characters, which a name (one line of printable text) may not hold."""
NOT_IN_XML = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")
"""Control characters and those XML 1.0 has no place for (U+FFFE, U+FFFF): a name written
into an XML document may hold none of them."""


def printable(name: str, not_allowed: re.Pattern[str] = CONTROL) -> str:
    """``name`` if it holds none of ``not_allowed`` (rule ``name-control-character``), for an
    ``AfterValidator``: a NUL in a market partner's name was stored and broke the conditions
    list on PostgreSQL; a vertical tab or U+FFFF in a disclosing company's name made the
    inline XBRL not well-formed (reviews before 2026-12-08, 318)."""
    bad = not_allowed.search(name)
    if bad is not None:
        raise refusal("name-control-character", "{name} holds the control character "
                      "U+{code}; a name is printable text", name=short(name, 40),
                      code=f"{ord(bad[0]):04X}")
    return name
