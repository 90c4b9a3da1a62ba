"""Physical units for junkan: the shared :mod:`pint` registry and quantity parsing.

The registry is defined in :mod:`junkan.core.registry` (kgCO2e, piece, currencies) and strings
are read by the grammar in :mod:`junkan.core.quantities`, never by pint's expression
evaluator. This module keeps the names every capability imports.
"""

from __future__ import annotations

from junkan.core.quantities import (
    check_magnitude,
    convert,
    parse_quantity,
    parse_unit,
    to_unit,
)
from junkan.core.registry import CURRENCIES, Q_, UnitParseError, ureg

__all__ = ["CURRENCIES", "Q_", "UnitParseError", "check_magnitude", "convert", "parse_quantity",
           "parse_unit", "to_unit", "ureg"]
