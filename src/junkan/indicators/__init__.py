"""Circularity indicators from one mass-flow model: EMF MCI, WBCSD CTI v4, ISO 59020 core,
ESRS E5-4/E5-5, RAP (seed 003) and the seed-003 base-indicator catalogue."""

from junkan.indicators.compute import FRAMEWORKS, compute, from_lifecycle
from junkan.indicators.inputs import FlowModel, load_flow_model
from junkan.indicators.mci import material_circularity
from junkan.indicators.values import Indicator

__all__ = ["FRAMEWORKS", "FlowModel", "Indicator", "compute", "from_lifecycle",
           "load_flow_model", "material_circularity"]
