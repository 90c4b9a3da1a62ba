"""Field types of the model format as the JSON Schema shows them: what a document may contain.

The loader converts quantities with units (:mod:`junkan.core.fields`); here each type also says
so in the JSON Schema (a string with a unit, a share as a number or a percentage), and
:class:`Strict` makes every field's docstring its description. A bare number where a unit is
needed is refused by both.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, WithJsonSchema

from junkan.core.base import Plain
from junkan.core.errors import refusal
from junkan.core.fields import AnnualRate as _AnnualRate
from junkan.core.fields import Distance as _Distance
from junkan.core.fields import Duration as _Duration
from junkan.core.fields import Year, fraction, quantity_converter
from junkan.core.fields import Years as _Years
from junkan.core.limits import limits

__all__ = [
    "FACTOR_PATTERN",
    "PERCENT_PATTERN",
    "QUANTITY_PATTERN",
    "AnnualRate",
    "Distance",
    "Duration",
    "Factor",
    "Fraction",
    "Mass",
    "Sales",
    "Stage",
    "Strict",
    "Years",
]


class Strict(Plain):
    """Base: unknown keys are errors (they are usually typos); fields also by their name. The
    docstring under each field is its description in the JSON Schema. A model holds
    thousands of these objects: a plain number field refuses a boolean itself, in its
    type's validator or in its object's (see :class:`~junkan.core.base.Plain`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_attribute_docstrings=True)


_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
QUANTITY_PATTERN = rf"^\s*\+?{_NUMBER}[^A-Za-z]*[A-Za-z\u00b5\u00b0].*$"
"""A non-negative number followed by a unit: ``"250 g"``, ``"12 year"``, ``"1.2e3 kg"``."""
FACTOR_PATTERN = rf"^\s*[-+]?{_NUMBER}[^A-Za-z]*[A-Za-z\u00b5\u00b0].*$"
"""A number followed by a unit per activity: ``"1.5 kgCO2e/piece"``, ``"208 gCO2e/(t*km)"``."""
PERCENT_PATTERN = rf"^\s*\+?{_NUMBER}\s*%\s*$"


def _quantity(example: str, what: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": QUANTITY_PATTERN,
            "examples": [example],
            "description": f"{what}: a number with a unit, e.g. '{example}'",
        }
    )


_KG = re.compile(r"^\s*\+?((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*kg\s*$")
_mass = quantity_converter("kg", "mass")


def _fast_mass(value: Any) -> Any:
    """:data:`junkan.core.fields.Mass`'s converter with a fast path for ``"<number> kg"``
    (the same float: kg to kg multiplies by exactly 1); anything else, and every error,
    goes through the converter itself."""
    if type(value) is str and (m := _KG.match(value)) is not None:
        lim = limits()
        if len(value) <= lim.quantity_length:
            x = float(m.group(1))
            if x <= lim.quantity_magnitude:  # also refuses inf; the converter explains
                return x
    return _mass(value)


def _fast_fraction(value: Any) -> Any:
    """:func:`junkan.core.fields.fraction` with a fast path for a float in [0, 1]."""
    if type(value) is float and 0.0 <= value <= 1.0:
        return value
    return fraction(value)


_Mass = Annotated[float, BeforeValidator(_fast_mass)]
_Fraction = Annotated[float, BeforeValidator(_fast_fraction)]
Mass = Annotated[_Mass, _quantity("250 g", "A mass (converted to kg)")]
Duration = Annotated[_Duration, _quantity("12 year", "A positive duration (converted to years)")]
Distance = Annotated[_Distance, _quantity("150 km", "A distance (converted to km)")]
Fraction = Annotated[
    _Fraction,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": PERCENT_PATTERN},
            ],
            "description": "A share from 0 to 1, or a percentage such as '40%'",
        }
    ),
]
AnnualRate = Annotated[
    _AnnualRate,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": QUANTITY_PATTERN},
            ],
            "description": "A share per year from 0 to 1: 0.05 or '0.05 1/year'",
        }
    ),
]
Factor = Annotated[
    str | float,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": FACTOR_PATTERN,
            "examples": ["1.5 kgCO2e/piece", "0.21 kgCO2e/kg", "208 gCO2e/(t*km)"],
            "description": "A unit factor: a number with a unit per piece, per kg, per t*km or per "
            "piece-year",
        }
    ),
]
"""A unit factor (原単位) string, read when the model is compiled."""


class Years(_Years):
    """The simulated horizon, both years included."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    start: Year
    """First simulated year."""
    end: Year
    """Last simulated year (at most 1,000 years after ``start``)."""


def _sales(value: Any) -> Any:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"constant": value}
    if isinstance(value, dict):  # one year written twice (JSON's "2020" and "02020") was
        seen: dict[int, Any] = {}  # read as the last of the two (review 227)
        for key in value:
            text = str(key).strip()
            if text.isdigit():
                if int(text) in seen:
                    raise refusal("sales-year-twice", "year {year} is given twice ({first} and "
                                  "{second}); give each year once", year=int(text),
                                  first=repr(seen[int(text)]), second=repr(key))
                seen[int(text)] = key
    return value


_UNITS_PER_YEAR = [
    {"type": "number", "minimum": 0},
    {"type": "string", "pattern": QUANTITY_PATTERN},
]
Sales = Annotated[
    dict[str | int, float | str],
    BeforeValidator(_sales),
    WithJsonSchema(
        {
            "anyOf": [
                *_UNITS_PER_YEAR,
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": "^[0-9]{1,4}$"},
                    "additionalProperties": {"anyOf": _UNITS_PER_YEAR},
                },
            ]
        }
    ),
]
"""Units put into use per year: a number (or ``"1200 piece/year"``) for every year, or
``{year: units}``; read into a ``{year: value}`` mapping (``{"constant": v}`` for one value)."""


Stage = Literal[
    "material",
    "manufacturing",
    "distribution",
    "use",
    "maintenance",
    "collection",
    "transport",
    "reuse",
    "remanufacturing",
    "dismantling",
    "recycling",
    "energy_recovery",
    "disposal",
    "export",
]
"""Life-cycle stage of a process (CO2 by stage, headline selections)."""
