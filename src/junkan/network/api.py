"""The network capability's verbs: :func:`load` a scenario into a :class:`Network`,
:func:`run` it into a :class:`Plan` (``to_frame()``, ``to_json()``, ``report()``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import JunkanError
from junkan.network.model import Network, build
from junkan.network.periods_tables import resolve_table_files
from junkan.network.plan import OnPlan, Plan, solve
from junkan.network.scenario import NetworkScenario
from junkan.network.solver import Progress


def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, source: str | None = None) -> Network:
    """Read (YAML or JSON, within the document limits), validate and resolve a network
    scenario: places, supply, distances and unit costs. Every problem is reported at once
    as a :class:`junkan.core.errors.ModelError` naming ``source`` (default: the path). From
    a path, ``periods.supply_by_year`` and ``periods.demand_by_year`` may name CSV files
    beside the scenario (:mod:`junkan.network.periods_tables`, errors naming the file, line
    and column); from text or a doc they are inline."""
    if path is not None:
        source = source or str(path)
        doc = resolve_table_files(read_document(path), Path(path).parent)
    elif text is not None:
        source = source or "<scenario>"
        doc = parse_document(text, source=source)
    elif doc is None:
        raise ValueError("give a path, text or doc")
    source = source or "<scenario>"
    return build(validate_with(NetworkScenario, doc, source), source)


MAX_CARBON_PRICE = 1e6
"""Largest carbon price (JPY per tCO2e) a solve accepts as an override (CLI
``--carbon-price``, the API's ``carbon_price``). An assumption, not a sourced figure: a
hundred times the 10,000 JPY/tCO2e of the shipped period scenarios
(``examples/network_periods_*.yaml``), so only a typing mistake (or an infinity) is
refused."""


def check_carbon_price(value: float | None) -> float | None:
    """``value`` if it is a finite carbon price from 0 to :data:`MAX_CARBON_PRICE` JPY per
    tCO2e (or None); otherwise a :class:`JunkanError` saying what was given and expected."""
    if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_CARBON_PRICE):
        raise JunkanError(f"carbon price {value!r} JPY/tCO2e: give a finite price from 0 to "
                          f"{MAX_CARBON_PRICE:,.0f} JPY/tCO2e")
    return value


def run(net: Network, *, carbon_price: float | None = None, co2_cap_t: float | None = None,
        minimise: str = "cost", time_limit: float | None = None,
        mip_rel_gap: float | None = None, start: tuple[int, ...] | None = None,
        progress: Progress | None = None, on_plan: OnPlan | None = None) -> Plan:
    """Choose hubs and flows at least cost (plus the carbon price, JPY per tCO2e; the
    scenario's unless given), optionally under a CO2e cap (t/yr) or minimising CO2e
    (``minimise="co2"``), to the MIP gap or the time limit (HiGHS; ``plan.stopped`` says
    which). ``start``: another plan's ``hubs_key`` as a warm start; ``progress``: called
    about twice a second with elapsed, gap, objective and bound; ``on_plan``: the streamed
    answer — the first feasible plan as soon as there is one, then each improved plan
    (``plan.stopped == "improving"``; :func:`progress_document` makes a job's progress of
    it) — before the final, polished plan is returned."""
    check_carbon_price(carbon_price)
    return solve(net, carbon_price=carbon_price, co2_cap_t=co2_cap_t, minimise=minimise,
                 time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=start,
                 progress=progress, on_plan=on_plan)


def progress_document(plan: Plan) -> dict[str, Any]:
    """A small JSON-ready summary of a streamed (or final) plan for a job's progress: what
    it costs, its CO2e, the hubs opened, the gap and bound reached so far and the elapsed
    seconds."""
    return {"stopped": plan.stopped, "elapsed_s": plan.seconds, "objective": plan.objective,
            "bound": plan.bound, "mip_gap": plan.mip_gap, "cost_JPY": plan.cost,
            "co2e_t": plan.co2_t, "hubs_opened": [h["hub"] for h in plan.open_hubs]}
