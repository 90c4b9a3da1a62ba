"""The twelve case studies of seed 004 side by side: each shipped scenario
(``examples/network_cases/``, the seed's named areas as candidate sites from
``data/network/sites.yaml``) solved with the hub planner at one gap, in parallel worker
processes, and compared on cost per tonne, CO2e per tonne, modal split and hubs opened.

    cmp = network.cases(gap=0.01, workers=2)
    cmp.to_frame(); cmp.to_json(); cmp.report("out/cases")"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError
from junkan.network.api import load
from junkan.network.plan import Plan, solve

CASES_DIR = "examples/network_cases"
"""The shipped case scenarios, relative to ``junkan.data``."""
DEFAULT_GAP = 0.01
"""The comparison's MIP gap: 1 % keeps all twelve within a few minutes on 2 cores
(``benchmarks/network_bench.py``); costs are then within 1 % of the optimum."""


def case_files() -> list[Path]:
    """The shipped case scenarios, in case order."""
    root = Path(str(resources.files("junkan.data") / CASES_DIR))
    return sorted(root.glob("case*.yaml"))


def summarise(plan: Plan) -> dict[str, Any]:
    """One comparison row of a solved plan: supply, cost and CO2e per tonne collected, the
    modal split (share of tonne-kilometres per mode, collection legs included) and the hubs
    opened."""
    net = plan.network
    assert net is not None
    sc = net.scenario
    supply = float(net.collected.sum())
    tkm: dict[str, float] = dict.fromkeys(net.modes, 0.0)
    trunk_t: dict[str, float] = dict.fromkeys(net.modes, 0.0)
    for f in plan.flows:
        tkm[f["mode"]] = tkm.get(f["mode"], 0.0) + f["t"] * f["km"]
        if f["leg"] == "trunk":
            trunk_t[f["mode"]] += f["t"]
    total_tkm = sum(tkm.values()) or 1.0
    handling = {c: cm.handling.note or "special handling"
                for c, cm in sc.commodities.items() if cm.handling is not None}
    return {"case": sc.name, "title": sc.title or sc.name, "category": sc.category or "",
            "commodities": list(sc.commodities), "supply_t": supply,
            "cost_JPY": plan.cost, "co2_t": plan.co2_t,
            "cost_per_t": plan.cost / supply if supply else float("nan"),
            "co2_kg_per_t": 1000 * plan.co2_t / supply if supply else float("nan"),
            "tkm": tkm, "modal_split": {m: v / total_tkm for m, v in tkm.items()},
            "trunk_t_by_mode": trunk_t,
            "hubs_opened": [h["hub"] for h in plan.open_hubs],
            "cost_breakdown": plan.cost_breakdown, "mip_gap": plan.mip_gap,
            "stopped": plan.stopped, "seconds": plan.seconds, "handling": handling,
            "supply_sources": {c: cm.supply.source for c, cm in sc.commodities.items()}}


def solve_case(path: str, gap: float, time_limit: float) -> dict[str, Any]:
    """Load and solve one case scenario (run in a worker process); its comparison row."""
    started = time.perf_counter()
    net = load(path)
    try:
        plan = solve(net, mip_rel_gap=gap, time_limit=time_limit, label=net.scenario.name)
    except JunkanError as exc:
        raise JunkanError(f"{path}: {exc}") from None
    row = summarise(plan)
    row["wall_seconds"] = time.perf_counter() - started
    return row


@dataclass
class CaseComparison:
    """The case studies solved side by side (one row each, in case order)."""

    rows: list[dict[str, Any]]
    gap: float
    seconds: float

    def to_frame(self) -> Any:
        """One row per case: supply, cost and CO2e per tonne, modal split, hubs opened."""
        import pandas as pd

        return pd.DataFrame([{
            "case": r["case"], "title": r["title"], "supply_t": r["supply_t"],
            "cost_per_t_JPY": r["cost_per_t"], "co2_kg_per_t": r["co2_kg_per_t"],
            **{f"share_tkm_{m}": s for m, s in r["modal_split"].items()},
            "hubs_opened": len(r["hubs_opened"]), "mip_gap": r["mip_gap"],
            "stopped": r["stopped"]} for r in self.rows])

    def to_json(self) -> dict[str, Any]:
        from junkan.core.encoding import jsonable

        return dict(jsonable({"gap": self.gap, "seconds": self.seconds, "cases": self.rows}))

    def report(self, out: str | Path) -> Path:
        """``report.html`` (table and charts) and ``cases.json`` in ``out``."""
        from junkan.network.cases_report import write_cases_report

        return write_cases_report(self, Path(out))


def cases(paths: Sequence[str | Path] | None = None, *, gap: float = DEFAULT_GAP,
          time_limit: float = 120.0, workers: int = 2,
          listener: Callable[[dict[str, Any]], None] | None = None) -> CaseComparison:
    """Solve every case (the shipped twelve unless ``paths``) to ``gap`` in ``workers``
    processes; ``listener`` gets one event per finished case (``task``, ``state``,
    ``elapsed``, ``gap``, ``seconds``). Problems in a scenario raise before any solve."""
    files = [str(p) for p in (paths if paths is not None else case_files())]
    for f in files:
        load(f)  # every scenario's problems, at once, before spending solver time
    started = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {}
    if workers <= 1 or len(files) <= 1:
        for f in files:
            rows[f] = solve_case(f, gap, time_limit)
            _tell(listener, rows[f], started, files.index(f))
    else:
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods()
                             else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload([__name__])  # not the caller's __main__
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
            futs = {ex.submit(solve_case, f, gap, time_limit): f for f in files}
            for fut in as_completed(futs):
                rows[futs[fut]] = fut.result()
                _tell(listener, rows[futs[fut]], started, files.index(futs[fut]))
    return CaseComparison(rows=[rows[f] for f in files], gap=gap,
                          seconds=time.perf_counter() - started)


def _tell(listener: Callable[[dict[str, Any]], None] | None, row: dict[str, Any],
          started: float, index: int) -> None:
    if listener is not None:
        listener({"index": index + 1, "task": row["case"], "state": "done",
                  "gap": row["mip_gap"], "elapsed": row["wall_seconds"],
                  "total": time.perf_counter() - started, "stopped": row["stopped"]})
