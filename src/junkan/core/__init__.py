"""Domain types shared by every junkan capability: units, errors."""

from junkan.core.errors import JunkanError, ModelError, Problem
from junkan.core.units import Q_, parse_quantity, ureg

__all__ = ["JunkanError", "ModelError", "Problem", "Q_", "parse_quantity", "ureg"]
