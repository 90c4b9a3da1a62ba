"""Circularity indicators from one mass-flow model: EMF MCI, WBCSD CTI v4, ISO 59020 core,
ESRS E5-4/E5-5, RAP (Hitachi–AIST Circular Economy Lab) and the Circular Partners
base-indicator catalogue.

The verbs::

    from junkan import indicators
    flows = indicators.load("flows.yaml")
    result = indicators.run(flows, ["cti", "mci"])
    result["cti.circular_inflow"].value
    result["cti.circular_inflow"].status   # text | summary | inferred (and .notes: why)
    result.to_frame()          # one row per indicator
    result.report("out/ind")   # HTML with the inflow → outflow Sankey

``indicators.run`` also takes a lifecycle result (its flows over ``years``). ``compute`` and
``load_flow_model`` remain as the earlier forms of ``run`` and ``load``.
"""

from junkan.indicators.api import IndicatorResult, load, run
from junkan.indicators.compute import FRAMEWORKS, from_lifecycle, scenario_indicators
from junkan.indicators.compute import compute as compute  # earlier form of run
from junkan.indicators.inputs import FlowModel, is_flow_document
from junkan.indicators.inputs import load_flow_model as load_flow_model  # earlier name of load
from junkan.indicators.mci import material_circularity as material_circularity
from junkan.indicators.report import indicators_page
from junkan.indicators.values import STATUS_TEXT, Indicator, IndicatorInputError

__all__ = ["FlowModel", "FRAMEWORKS", "from_lifecycle", "Indicator", "IndicatorInputError",
           "IndicatorResult", "indicators_page", "is_flow_document", "load", "run",
           "scenario_indicators", "STATUS_TEXT"]
