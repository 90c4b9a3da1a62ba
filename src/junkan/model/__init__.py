"""Domain types shared by every junkan capability: units, errors."""

from junkan.model.errors import JunkanError, ModelError, Problem
from junkan.model.units import Q_, parse_quantity, ureg

__all__ = ["JunkanError", "ModelError", "Problem", "Q_", "parse_quantity", "ureg"]
