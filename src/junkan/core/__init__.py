"""Domain types shared by every junkan capability: units and quantities, documents, limits,
errors and field types."""

from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.core.fields import (
    AnnualRate,
    Distance,
    Duration,
    Fraction,
    Mass,
    quantity_converter,
)
from junkan.core.limits import Limits, limits, override_limits
from junkan.core.quantities import convert, parse_quantity, parse_unit, to_unit
from junkan.core.registry import Q_, UnitParseError, ureg

__all__ = ["AnnualRate", "Distance", "Duration", "Fraction", "JunkanError", "Limits", "Mass",
           "ModelError", "Problem", "Q_", "UnitParseError", "convert", "limits",
           "override_limits", "parse_document", "parse_quantity", "parse_unit",
           "quantity_converter", "read_document", "short", "to_unit", "ureg", "validate_with"]
