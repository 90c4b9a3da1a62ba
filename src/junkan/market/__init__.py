"""Market: buyers' acceptance conditions shared bilaterally, sellers' graded lots, and
matching with pooling — an assignment of lots to buyers (directly or through consolidation
points) that maximises the total margin subject to each buyer's quality window on the blend
it receives, minimum lots, capacities and time windows (MILP, HiGHS).

    m = market.load("market.yaml")      # a Market (lots, conditions, pools)
    res = market.run(m)                 # MatchResult: .to_frame(), .to_json(), .report()
    market.offer(m, "dismantler-3")     # grades of a seller's lots vs the conditions granted
"""

from junkan.market.api import check, defaults, load, match, offer, run, visible_conditions
from junkan.market.odrl import check as check_policy
from junkan.market.odrl import granted, to_odrl
from junkan.market.result import MatchResult
from junkan.market.schema import Condition, Lot, Market, Place, Pool, Price, Window

__all__ = [
    "Condition",
    "Lot",
    "Market",
    "MatchResult",
    "Place",
    "Pool",
    "Price",
    "Window",
    "check",
    "check_policy",
    "defaults",
    "granted",
    "load",
    "match",
    "offer",
    "run",
    "to_odrl",
    "visible_conditions",
]
