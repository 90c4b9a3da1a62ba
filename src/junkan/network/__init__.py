"""Resource-circulation networks: where to open collection hubs and how to route material
to recyclers at least cost and CO2e (a multi-echelon MILP), and capacitated facility location
(OR-Library instances), both solved to optimality by HiGHS.

    net = network.load("scenario.yaml")      # validated and resolved: a Network
    plan = network.run(net, carbon_price=10_000)
    plan.to_json(); plan.to_frame(); plan.report("out/")
"""

from junkan.network.api import MAX_CARBON_PRICE, check_carbon_price, load, progress_document, run
from junkan.network.cases import CaseComparison, case_files, cases
from junkan.network.cflp import CFLP_TIME_LIMIT_S, CFLPSolution, solve_cflp
from junkan.network.geo import prefecture_polygons, prefectures, sites
from junkan.network.lifecycle_link import (
    Outflow,
    Proxy,
    TransportFootprint,
    TransportFootprints,
    outflow_series,
    supply_from_lifecycle,
    transport_footprint,
    with_transport,
)
from junkan.network.model import Network
from junkan.network.multiperiod import PeriodPlan, solve_periods
from junkan.network.orlib import CFLPInstance, read_orlib
from junkan.network.periods_tables import (
    read_demand_csv,
    read_supply_csv,
    read_year_csv,
    year_table_csv,
)
from junkan.network.plan import Plan
from junkan.network.proxy import ProxyTable, read_proxy_table
from junkan.network.scenario import NetworkScenario
from junkan.network.sweep import Question, Study, pareto, sensitivity, study

__all__ = ["CaseComparison", "case_files", "cases", "CFLP_TIME_LIMIT_S", "CFLPInstance",
           "CFLPSolution", "load",
           "Network", "NetworkScenario", "Outflow", "outflow_series", "pareto", "PeriodPlan",
           "Plan", "prefecture_polygons", "prefectures", "progress_document", "Proxy",
           "ProxyTable", "read_demand_csv", "read_proxy_table", "read_supply_csv",
           "read_year_csv",
           "Question", "read_orlib", "run", "sensitivity", "sites", "solve_cflp",
           "MAX_CARBON_PRICE", "check_carbon_price",
           "solve_periods", "study", "Study", "supply_from_lifecycle", "transport_footprint",
           "TransportFootprint", "TransportFootprints", "with_transport", "year_table_csv"]
