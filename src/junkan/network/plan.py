"""Solve the multi-echelon reverse-logistics MILP (:mod:`junkan.network.formulation`) with
HiGHS (:mod:`junkan.network.solver`): stop at the requested gap or time limit and say which,
then fix the hubs chosen and solve the flows as an exact LP ("polish"), so that routing
differences between two plans are exact and only the hub choice carries the MIP gap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.errors import JunkanError
from junkan.network.formulation import Formulation, flows, formulate, open_hubs
from junkan.network.model import Network, build
from junkan.network.solver import (
    MilpResult,
    Progress,
    quiet_stdout,
    solve_fixed,
    solve_milp,
)

OnPlan = Callable[["Plan"], None]
"""Called with each improving plan found during a solve (``Plan.stopped == 'improving'``)."""

__all__ = ["Network", "Plan", "build", "quiet_stdout", "solve"]


@dataclass
class Plan:
    """A solved plan: hubs opened (with tier, inflow, utilisation), flows per leg, cost and
    CO2e (t/yr). ``to_json()`` is the document the CLI and the API return."""

    status: str
    objective: float
    cost: float
    co2_t: float
    mip_gap: float
    seconds: float
    open_hubs: list[dict[str, Any]]
    flows: list[dict[str, Any]] = field(default_factory=list)
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    network: Network | None = None
    bound: float = float("nan")
    """The solver's dual bound on the objective (JPY/yr): no plan can do better."""
    requested_gap: float = 0.0
    stopped: str = "gap reached"
    """Why the solver stopped: ``gap reached`` or ``time limit`` (then ``mip_gap`` is what
    it reached)."""
    marginal_abatement: float | None = None
    """JPY per tCO2e: the LP dual of a binding CO2 cap with the hubs fixed (what one more
    tonne of allowed CO2e would save); ``None`` without a binding cap."""
    hubs_key: tuple[int, ...] = ()
    """The hub configuration (tier chosen per candidate, −1 closed): warm starts other
    solves and lets plans be compared."""
    z: np.ndarray | None = None
    label: str = ""
    co2_cap_t: float | None = None
    """The CO2e cap this plan was solved under (t/yr), if any."""
    work: dict[str, float] = field(default_factory=dict)
    """What the solve cost: ``nodes``, ``lp_iterations`` (deterministic with one thread) and
    ``cpu_seconds`` (barely changed by other processes' load, unlike ``seconds``)."""

    def to_json(self, *, flows: bool = True, places: bool = False) -> dict[str, Any]:
        """The plan's JSON-ready document (``junkan.network.report.plan_document``):
        ``flows=False`` leaves the flow list out (the CLI's ``--format json``),
        ``places=True`` adds destinations and the coordinates of every zone and hub (what
        the service's map needs)."""
        from junkan.core.encoding import jsonable
        from junkan.network.report import plan_document

        doc = plan_document(self)
        if not flows:
            doc = {k: v for k, v in doc.items() if k != "flows"}
        if places and self.network is not None:
            net = self.network
            doc["destinations"] = [
                {"name": d.name, "lat": d.lat, "lon": d.lon,
                 "port": None if port is None else [port.lon, port.lat],
                 "port_name": None if port is None else port.name}
                for d, port in zip(net.dests, net.dest_port, strict=True)]
            doc["places"] = {p.name: [p.lon, p.lat] for p in (*net.zones, *net.hubs)}
        return dict(jsonable(doc))

    def to_frame(self) -> Any:
        """The flows as a table: leg, from, to, mode, commodity, t (t/yr), km."""
        import pandas as pd

        return pd.DataFrame(self.flows, columns=["leg", "from", "to", "mode", "commodity", "t",
                                                 "km"])

    def hubs_frame(self) -> Any:
        """The hubs opened as a table (hub, prefecture, tier, capacity_t, inflow_t, …)."""
        import pandas as pd

        return pd.DataFrame(self.open_hubs)

    def report(self, out: str | Path, title: str | None = None,
               pareto_front: list[Plan] | None = None,
               sensitivity_rows: list[dict[str, Any]] | None = None) -> Path:
        """Write maps (PNG, SVG), ``report.html`` and ``plan.json`` into ``out`` (through
        :mod:`junkan.network.report`); returns the page's path."""
        from junkan.network.report import write_report

        out = Path(out)
        if title is None:
            sc = self.network.scenario if self.network is not None else None
            title = (sc.title or sc.name) if sc is not None else "Network plan"
        write_report(self, out, title, pareto_front, sensitivity_rows)
        return out / "report.html"


def _hubs_key(net: Network, form: Formulation, z: np.ndarray) -> tuple[int, ...]:
    lay = form.layout
    out = []
    for h in range(lay.i):
        zl = z[lay.z_off[h]:lay.z_off[h + 1]]
        out.append(int(np.argmax(zl)) if zl.max(initial=0) > 0.5 else -1)
    return tuple(out)


def z_of(form: Formulation, key: tuple[int, ...]) -> np.ndarray:
    """The full column vector with the hub configuration ``key`` set (flows zero)."""
    lay = form.layout
    x = np.zeros(form.problem.n)
    for h, tier in enumerate(key):
        if tier >= 0:
            x[lay.z_off[h] + tier] = 1.0
    return x


def evaluate(net: Network, form: Formulation, key: tuple[int, ...]) -> MilpResult | None:
    """The exact best flows (an LP) for hub configuration ``key`` under ``form``'s prices and
    cap; ``None`` when those hubs cannot carry the supply (or meet the cap), or when ``key``
    is no configuration of this network (another scenario's: a hub count or tier that does
    not fit)."""
    lay = form.layout
    if len(key) != lay.i or any(
            not -1 <= tier < lay.z_off[h + 1] - lay.z_off[h] for h, tier in enumerate(key)):
        return None
    return solve_fixed(form.problem, z_of(form, key))


def plan_from(net: Network, form: Formulation, res: MilpResult, *, requested_gap: float,
              label: str = "") -> Plan:
    """A :class:`Plan` from a solution vector of ``form``."""
    lay = form.layout
    x = res.x
    f = x[lay.f0:lay.g0].reshape(lay.k, lay.i, lay.p)
    g = x[lay.g0:].reshape(len(lay.arcs), lay.p)
    co2 = float(form.co2 @ x)
    cost = form.cost
    breakdown = {"fixed": float(cost[:lay.nz] @ x[:lay.nz]),
                 "collection_transport": float(cost[lay.f0:lay.g0] @ x[lay.f0:lay.g0]),
                 "trunk_transport": float(cost[lay.g0:] @ x[lay.g0:]),
                 "carbon": form.carbon_price * co2}
    mac = None
    if form.cap_row is not None and res.row_dual is not None:
        dual = -float(res.row_dual[form.cap_row])
        mac = dual if dual > 1e-9 else None
    z = np.round(x[:lay.nz])
    return Plan(status=res.status, objective=res.objective, cost=float(cost @ x), co2_t=co2,
                mip_gap=res.gap, seconds=res.seconds, open_hubs=open_hubs(net, lay, z, f),
                flows=flows(net, lay, f, g), cost_breakdown=breakdown, network=net,
                bound=res.bound, requested_gap=requested_gap,
                stopped="gap reached" if res.optimal else "time limit",
                marginal_abatement=mac, hubs_key=_hubs_key(net, form, z), z=z, label=label)


def polish(net: Network, form: Formulation, res: MilpResult) -> MilpResult:
    """Fix the hubs of ``res`` and re-solve the flows exactly (an LP, with duals); the MIP's
    bound stays, the gap is recomputed against the polished objective."""
    lp = solve_fixed(form.problem, res.x)
    if lp is None or lp.objective > res.objective + 1e-9 * max(1.0, abs(res.objective)):
        return res
    gap = max(0.0, (lp.objective - res.bound) / max(abs(lp.objective), 1e-12))
    return replace(res, x=lp.x, objective=lp.objective, gap=gap,
                   seconds=res.seconds + lp.seconds, row_dual=lp.row_dual)


def solve(net: Network, *, carbon_price: float | None = None, co2_cap_t: float | None = None,
          minimise: str = "cost", time_limit: float | None = None,
          mip_rel_gap: float | None = None, start: tuple[int, ...] | None = None,
          progress: Progress | None = None, label: str = "",
          on_plan: OnPlan | None = None) -> Plan:
    """Solve to ``mip_rel_gap`` (the scenario's unless given) or ``time_limit``;
    ``minimise='co2'`` gives the CO2-minimal plan (for the Pareto front). ``start`` is a hub
    configuration (``Plan.hubs_key`` of another plan): its best flows under this question's
    prices and cap become HiGHS's first incumbent (a warm start). ``on_plan`` receives the
    streamed answer: the first feasible plan as soon as HiGHS has one, then every improved
    one (flows as the MIP has them, ``stopped='improving'``), before the polished final."""
    sc = net.scenario
    price = sc.carbon_price if carbon_price is None else carbon_price  # JPY per tCO2e
    cap_t = sc.co2_cap_t if co2_cap_t is None else co2_cap_t
    gap = mip_rel_gap or sc.mip_rel_gap
    form = formulate(net, carbon_price=0.0 if minimise == "co2" else price, co2_cap_t=cap_t,
                     minimise=minimise)
    x0 = None
    if start is not None:
        warm = evaluate(net, form, start)
        x0 = warm.x if warm is not None else None
    with quiet_stdout():
        try:
            res = solve_milp(form.problem, gap=gap, time_limit=time_limit or sc.time_limit_s,
                             start=x0, progress=progress,
                             incumbent=_streamer(net, form, gap, label, on_plan))
        except JunkanError as exc:
            if cap_t is not None:
                raise JunkanError(_cap_refusal(net, exc, cap_t, gap,
                                               time_limit or sc.time_limit_s)) from None
            raise
        res = polish(net, form, res)
    plan = plan_from(net, form, res, requested_gap=gap, label=label)
    plan.co2_cap_t = cap_t
    plan.work = {"nodes": res.nodes, "lp_iterations": res.lp_iterations,
                 "cpu_seconds": res.cpu_seconds}
    return plan


def _cap_refusal(net: Network, exc: JunkanError, cap_t: float, gap: float,
                 time_limit: float) -> str:
    """Why no plan meets a CO2e cap: the least CO2e any plan emits (solved without the cap,
    minimising CO2e), or that no plan exists even without the cap."""
    form = formulate(net, carbon_price=0.0, co2_cap_t=None, minimise="co2")
    try:
        res = solve_milp(form.problem, gap=gap, time_limit=time_limit)
    except JunkanError:
        return f"{exc}, even without the CO2e cap of {cap_t:,.6g} t/yr"
    least = plan_from(net, form, res, requested_gap=gap).co2_t
    proven = (f" (to the relative MIP gap {gap:g})" if res.optimal
              else f" (the least found in {time_limit:g} s, not proven least)")
    return (f"{exc}: no plan emits at most co2_cap_t = {cap_t:,.6g} t CO2e/yr; the least "
            f"any plan emits is {least:,.6g} t/yr{proven}: raise co2_cap_t to at least that")


def _streamer(net: Network, form: Formulation, gap: float, label: str,
              on_plan: OnPlan | None) -> Callable[[np.ndarray, dict[str, float]], None] | None:
    """The solver's incumbent callback turned into :class:`Plan` objects for ``on_plan``."""
    if on_plan is None:
        return None

    def send(x: np.ndarray, info: dict[str, float]) -> None:
        res = MilpResult(x=x, objective=info["objective"], bound=info["bound"],
                         gap=info["gap"], seconds=info["elapsed"], status="improving",
                         optimal=False)
        plan = plan_from(net, form, res, requested_gap=gap, label=label)
        plan.stopped = "improving"
        on_plan(plan)

    return send
