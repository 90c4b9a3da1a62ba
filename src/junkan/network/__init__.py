"""Resource-circulation networks: where to open collection hubs and how to route material
to recyclers at least cost and CO2e (a multi-echelon MILP), and capacitated facility location
(OR-Library instances), both solved to optimality by HiGHS.

    net = network.load("scenario.yaml")      # validated and resolved: a Network
    plan = network.run(net, carbon_price=10_000)
    plan.to_json(); plan.to_frame(); plan.report("out/")
"""

from junkan.network.api import load, run
from junkan.network.cflp import CFLPSolution, solve_cflp
from junkan.network.geo import prefecture_polygons, prefectures
from junkan.network.model import Network
from junkan.network.orlib import CFLPInstance, read_orlib
from junkan.network.plan import Plan, pareto, sensitivity
from junkan.network.scenario import NetworkScenario

__all__ = ["CFLPInstance", "CFLPSolution", "load", "Network", "NetworkScenario", "pareto", "Plan",
           "prefecture_polygons", "prefectures", "read_orlib", "run", "sensitivity",
           "solve_cflp"]
