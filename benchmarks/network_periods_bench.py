"""Planning over time at scale (issue 25, item 2): the whole-horizon (monolithic) MILP against
the rolling horizon — relax-and-fix alone and followed by fix-and-optimize — and Benders
decomposition (:mod:`junkan.network.benders`) on the 71-site × 6-period case, each given the
same wall-time budget.

The case is the shipped ELV example (``examples/network_elv_japan.yaml``: 47 zones, 71
candidate hubs = 24 ports + 47 prefectural offices, 3 tiers, 6 destinations, truck and ship)
with a ``periods`` section added here: 2025–2050 in 5-year steps, the hulk supply × 0.8, 0.9,
1.0, 1.1, 1.0, 0.9, capital costs 0.6 / 1.0 / 2.0 billion JPY for the three tiers, 4 % discount
rate, 20 % salvage, no lead time (all ASSUMPTIONS for the benchmark, like the example's own
costs). Every answer's cost is compared with the best dual bound any of the runs proved, a
valid lower bound on the true optimum.

Run: ``.venv/bin/python benchmarks/network_periods_bench.py [--budget 180] [--window 2]
[--method monolithic --method benders …]`` (default: all four);
results in ``benchmarks/results/network_periods.json`` with the load average per run (the
machine is shared: wall-time budgets buy less work under load; CPU seconds are recorded)."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import yaml

from junkan import network
from junkan.core.errors import JunkanError
from junkan.network import rolling
from junkan.network.benders import solve_benders
from junkan.network.multiperiod import formulate_periods, period_model
from junkan.network.rolling import solve_rolling
from junkan.network.solver import MilpResult, solve_milp

ROOT = Path(__file__).resolve().parents[1]
PERIODS = {
    "years": [2025, 2030, 2035, 2040, 2045, 2050],
    "discount_rate": 0.04,
    "lead_time": 0,
    "salvage": 0.2,
    "supply_factor": {"elv_hulk": [0.8, 0.9, 1.0, 1.1, 1.0, 0.9]},
    "source": "ASSUMPTION (benchmark case)",
}
CAPEX = ["0.6e9 JPY", "1.0e9 JPY", "2.0e9 JPY"]  # ASSUMPTION, one per tier
METHODS = ("monolithic", "relax-and-fix", "rolling", "benders")


def case() -> network.Network:
    doc = yaml.safe_load((ROOT / "examples" / "network_elv_japan.yaml").read_text("utf-8"))
    for tier, capex in zip(doc["hubs"]["tiers"], CAPEX, strict=True):
        tier["capital_cost"] = capex
    doc["periods"] = PERIODS
    return network.load(doc=doc, source="network_elv_japan.yaml + 6 periods")


def run(label: str, fn: Any) -> tuple[MilpResult | None, dict[str, Any]]:
    load0, w0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
    try:
        res = fn()
    except JunkanError as exc:  # e.g. a relax-and-fix step out of time before any plan
        row = {"method": label, "npv_cost_JPY": None, "own_bound_JPY": None,
               "status": str(exc), "seconds": round(time.perf_counter() - w0, 1),
               "cpu_seconds": round(time.process_time() - c0, 1),
               "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}
        print(json.dumps(row), flush=True)
        return None, row
    row = {
        "method": label,
        "npv_cost_JPY": res.objective,
        "own_bound_JPY": res.bound,
        "status": res.status,
        "seconds": round(time.perf_counter() - w0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "load_before": round(load0, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row), flush=True)
    return res, row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=180.0, help="wall seconds per method")
    ap.add_argument("--window", type=int, default=2)
    ap.add_argument("--gap", type=float, default=0.005)
    ap.add_argument("--method", action="append", choices=METHODS,
                    help="run only these (repeat the option); default: all")
    args = ap.parse_args()
    net = case()
    m = period_model(net)
    prob, cc = formulate_periods(m)
    b, w, g = args.budget, args.window, args.gap
    runs = {
        "monolithic": ("monolithic", lambda: solve_milp(prob, gap=g, time_limit=b)),
        "relax-and-fix": (
            f"relax-and-fix, window {w}",
            lambda: solve_rolling(prob, cc, w, gap=g, time_limit=b, improve=False),
        ),
        "rolling": (
            f"relax-and-fix + fix-and-optimize, window {w}",
            lambda: solve_rolling(prob, cc, w, gap=g, time_limit=b, improve=True),
        ),
        "benders": ("benders", lambda: solve_benders(prob, cc, m, gap=g, time_limit=b)),
    }
    rows = [run(*runs[name])[1] for name in (args.method or METHODS)]
    best_bound = max(r["own_bound_JPY"] for r in rows if r["own_bound_JPY"] is not None)
    best = min(r["npv_cost_JPY"] for r in rows if r["npv_cost_JPY"] is not None)
    for r in rows:
        if r["npv_cost_JPY"] is None:
            continue
        r["above_best_bound"] = (r["npv_cost_JPY"] - best_bound) / r["npv_cost_JPY"]
        r["above_best_plan"] = (r["npv_cost_JPY"] - best) / best
    out = ROOT / "benchmarks" / "results" / "network_periods.json"
    doc = json.loads(out.read_text("utf-8")) if out.exists() else {}
    doc.update(
        {
            "benchmark": "multi-period network planning: monolithic vs rolling horizon vs "
            "Benders decomposition",
            "case": {
                "sites": len(net.hubs),
                "zones": len(net.zones),
                "periods": cc.t,
                "tiers": cc.l,
                "destinations": len(net.dests),
                "columns": prob.n,
                "rows": int(prob.a.shape[0]),
                "binaries": int(prob.integer.sum()),
                "periods_section": PERIODS,
                "capital_cost_per_tier": CAPEX,
            },
            "requested_gap": g,
        }
    )
    key = f"{b:g} s" + (f" ({', '.join(args.method)})" if args.method else "")
    doc.setdefault("by_budget", {})[key] = {
        "budget_s_per_method": b,
        "relax_share": rolling.RELAX_SHARE,
        "best_bound_JPY": best_bound,
        "command": f"python benchmarks/network_periods_bench.py --budget {b:g} --window {w}"
        + "".join(f" --method {n}" for n in args.method or ()),
        "runs": rows,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    print(json.dumps(doc, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
