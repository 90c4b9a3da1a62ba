"""Market: buyers' acceptance conditions shared bilaterally, sellers' graded lots, and
matching with pooling — an assignment of lots to buyers (directly or through consolidation
points) that maximises the total margin subject to each buyer's quality window on the blend
it receives, minimum lots, capacities and time windows (MILP, HiGHS).

    m = market.load("market.yaml")      # a Market (lots, conditions, pools)
    res = market.run(m)                 # MatchResult: .to_frame(), .to_json(), .report()
    market.offer(m, "dismantler-3")     # grades of a seller's lots vs the conditions granted
    soil = market.load_soil("soil.yaml")  # surplus soil: sources, sinks, stockyards, disposal
    market.run_soil(soil)               # SoilResult: routes per period, why not matched
"""

from junkan.market.api import (
    check,
    defaults,
    load,
    match,
    offer,
    organisations,
    run,
    seen_by,
    visible_conditions,
)
from junkan.market.odrl import check as check_policy
from junkan.market.odrl import granted, to_odrl
from junkan.market.result import MatchResult
from junkan.market.schema import Condition, Lot, Market, Place, Pool, Price, Window
from junkan.market.soil import load_soil, run_soil
from junkan.market.soil_result import SoilResult
from junkan.market.soil_schema import SoilMarket
from junkan.market.usable import usable

__all__ = [
    "Condition",
    "Lot",
    "Market",
    "MatchResult",
    "Place",
    "Pool",
    "Price",
    "SoilMarket",
    "SoilResult",
    "Window",
    "check",
    "check_policy",
    "defaults",
    "granted",
    "load",
    "load_soil",
    "match",
    "offer",
    "organisations",
    "run",
    "run_soil",
    "seen_by",
    "to_odrl",
    "usable",
    "visible_conditions",
]
