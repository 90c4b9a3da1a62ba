"""Network planner benchmark (issues 8 and 25): OR-Library capacitated facility location
timings (published optima checked), the large synthetic instance, one solve of the shipped ELV
example to a 0.5 % gap (target ≤ 10 s), the README's ``junkan network report`` end to end
(target ≤ 60 s, run as a user would, in a subprocess) and the multi-period example.
Results: benchmarks/results/network.json. Run: ``.venv/bin/python benchmarks/network_bench.py``
(``--quick`` skips the large instance; ``--large`` runs only the large instance,
``--targets`` only the example's one solve, report and periods, ``--options`` the one
solve under HiGHS option variants and a perfect warm start, and ``--cases`` only the
twelve case studies comparison, ``junkan network cases``, each merged
into the results). The large instance is also a regression check: CPU seconds and, with
the same HiGHS version, nodes and LP iterations against :data:`LARGE_REFERENCE` (wall time
on the shared machine follows the load); the script exits non-zero when one is 1.5× over."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from junkan.network import read_orlib, solve_cflp

ORLIB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "orlib"
OPTIMA = {"cap41": 1040444.375, "cap131": 793439.562}


def large_scenario(n_hubs: int = 60, n_commodities: int = 12, seed: int = 0) -> dict:
    """47 zones × ``n_hubs`` candidates (24 ports + prefectural offices) × ``n_commodities``
    × 3 modes (truck, ship, rail between declared terminals); synthetic supplies and costs."""
    import numpy as np

    from junkan.network.geo import ports, prefectures

    rng = np.random.default_rng(seed)
    comms = {f"c{p}": {"collection_rate": 0.9, "supply": {
        "national_total": f"{rng.uniform(5e4, 5e5):.0f} t", "source": "benchmark"}}
        for p in range(n_commodities)}
    n_extra = n_hubs - len(ports())
    offices = [z for z in prefectures() if z.prefecture not in (1, 47)]
    extra = [{"name": f"hub {z.name}", "prefecture": z.prefecture, "rail": bool(i % 3 == 0)}
             for i, z in enumerate(offices[:n_extra])]
    dest_prefs = ["Hokkaido", "Miyagi", "Ibaraki", "Chiba", "Niigata", "Aichi", "Osaka",
                  "Hyogo", "Okayama", "Hiroshima", "Fukuoka", "Kagoshima"]
    port_of = {"Hokkaido": "Tomakomai", "Miyagi": "Sendai-Shiogama", "Chiba": "Chiba",
               "Niigata": "Niigata", "Aichi": "Nagoya", "Osaka": "Sakai-Senboku",
               "Hyogo": "Kobe", "Okayama": "Mizushima", "Hiroshima": "Hiroshima",
               "Fukuoka": "Kitakyushu"}
    dests = [{"name": f"recycler {d}", "prefecture": d, "rail": True,
              **({"port": port_of[d]} if d in port_of else {}),
              "capacity": {c: f"{rng.uniform(1.5e5, 6e5):.0f} t" for c in comms}}
             for d in dest_prefs]
    dests.append({"name": "recycler Okinawa", "prefecture": "Okinawa",
                  "capacity": {c: "400000 t" for c in comms}})
    return {"junkan_network": 1, "name": "bench", "commodities": comms,
            "hubs": {"ports": True, "extra": extra, "handling": "1500 JPY/t", "loss": 0.02,
                     "tiers": [{"capacity": "200000 t", "fixed_cost": "1.5e8 JPY"},
                               {"capacity": "600000 t", "fixed_cost": "3.5e8 JPY"},
                               {"capacity": "1500000 t", "fixed_cost": "6.5e8 JPY"}]},
            "destinations": dests,
            "modes": {"truck": {"cost": "30 JPY/(t*km)", "co2e": "208 gCO2e/(t*km)",
                                "detour_factor": 1.3, "source": "benchmark"},
                      "ship": {"cost": "6 JPY/(t*km)", "co2e": "43 gCO2e/(t*km)",
                               "detour_factor": 1.25, "handling": "2500 JPY/t",
                               "source": "benchmark"},
                      "rail": {"cost": "12 JPY/(t*km)", "co2e": "25 gCO2e/(t*km)",
                               "detour_factor": 1.3, "handling": "1500 JPY/t",
                               "source": "benchmark"}},
            "carbon_price": "10000 JPY/tCO2e", "mip_rel_gap": 0.001, "time_limit_s": 120}


ROOT = Path(__file__).resolve().parents[1]

LARGE_REFERENCE = {"highspy": "1.15.1", "nodes": 44, "lp_iterations": 38181,
                   "cpu_seconds": 17.2,
                   "source": "measured 2026-11-30 on this machine (1 thread, gap 0.1 %), "
                             "load 3.8; the code before issue 25 took 20.0 CPU s"}
"""The large instance's work at the last accepted state. Wall time on a shared machine follows
the load (17.9 s idle, 61 s at load 6.4 for the same 17 CPU s), so a regression is judged on
CPU seconds and, with the same HiGHS version, on the deterministic node and LP-iteration
counts."""


def regression_check(got: dict, ref: dict = LARGE_REFERENCE, factor: float = 1.5) -> list[str]:
    """What in ``got`` (cpu_seconds, nodes, lp_iterations, highspy) is more than ``factor``
    times the reference: an empty list when nothing regressed."""
    out = []
    if got["cpu_seconds"] > factor * ref["cpu_seconds"]:
        out.append(f"cpu_seconds {got['cpu_seconds']:.1f} > {factor} × {ref['cpu_seconds']}")
    if got.get("highspy") == ref["highspy"]:
        out.extend(f"{k} {got[k]} > {factor} × {ref[k]}" for k in ("nodes", "lp_iterations")
                   if got[k] > factor * ref[k])
    return out


def timed_solve(fn: Callable[[], Any]) -> tuple[Any, dict]:
    """Run ``fn`` and say what it cost: wall and CPU seconds, load average before and after."""
    import os

    load0, w0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
    out = fn()
    return out, {"seconds": time.perf_counter() - w0, "cpu_seconds": time.process_time() - c0,
                 "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}


def example_targets() -> dict:
    """Issue 25's targets on the shipped example, measured as a user meets them."""
    import os
    import subprocess
    import sys

    from junkan import network
    from junkan.network.multiperiod import solve_periods

    net = network.load(ROOT / "examples" / "network_elv_japan.yaml")
    first: list[float] = []

    def streamed(p: network.Plan) -> None:
        first.append(p.seconds)

    plan, cost = timed_solve(lambda: network.run(net, mip_rel_gap=0.005, on_plan=streamed))
    one = {**cost, "first_answer_s": first[0] if first else None, "mip_gap": plan.mip_gap,
           "stopped": plan.stopped, "hubs_opened": len(plan.open_hubs), **plan.work,
           "target": "<= 10 s to 0.5 % gap"}
    junkan = Path(sys.executable).with_name("junkan")
    cmd = [str(junkan), "network", "report", "examples/network_elv_japan.yaml", "--out",
           "out/network_elv_bench"]
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    report = {"command": " ".join(cmd[1:]), "seconds": time.perf_counter() - t0,
              "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2),
              "exit_code": run.returncode, "log": run.stderr.strip().splitlines()[-12:],
              "target": "<= 60 s total"}
    periods_net = network.load(ROOT / "examples" / "network_solar_periods.yaml")
    t0 = time.perf_counter()
    mp = solve_periods(periods_net)
    periods = {"seconds": time.perf_counter() - t0, "mip_gap": mp.mip_gap,
               "stopped": mp.stopped, "years": mp.years,
               "hubs_ever_open": len(mp.schedule)}
    return {"one_solve": one, "report": report, "periods": periods}


def case_studies() -> dict:
    """The twelve case studies compared as a user runs it (``junkan network cases --out``,
    a subprocess, 2 worker processes, 1 % gap): target a few minutes on 2 cores."""
    import os
    import subprocess
    import sys

    junkan = Path(sys.executable).with_name("junkan")
    cmd = [str(junkan), "network", "cases", "--out", "out/network_cases_bench", "--gap",
           "0.01", "--workers", "2"]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    seconds = time.perf_counter() - t0
    cases_json = ROOT / "out" / "network_cases_bench" / "cases.json"
    per_case = {}
    if cases_json.exists():
        doc = json.loads(cases_json.read_text("utf-8"))
        per_case = {c["case"]: {"seconds": round(c["wall_seconds"], 2),
                                "mip_gap": c["mip_gap"], "stopped": c["stopped"],
                                "cost_per_t_JPY": round(c["cost_per_t"]),
                                "co2e_kg_per_t": round(c["co2_kg_per_t"], 1),
                                "hubs_opened": len(c["hubs_opened"])}
                    for c in doc["cases"]}
    return {"command": " ".join(cmd[1:]), "seconds": seconds, "exit_code": run.returncode,
            "cases": per_case, "target": "a few minutes (<= 180 s) on 2 cores"}


SOLVE_OPTIONS = {"default": {}, "pscost_minreliable 2": {"mip_pscost_minreliable": 2},
                 "no RINS/RENS sub-MIPs": {"mip_heuristic_run_rins": False,
                                           "mip_heuristic_run_rens": False},
                 "no symmetry detection": {"mip_detect_symmetry": False}}
"""HiGHS option variants :func:`solve_options` compares with junkan's settings (1 thread,
heuristic effort 0.3) on the one UI solve."""


def _highs_run(prob: Any, options: dict, start: Any = None) -> dict:
    """One HiGHS run of a :class:`junkan.network.solver.MilpProblem` to 0.5 % with junkan's
    settings plus ``options``; ``start``: a first incumbent. CPU seconds, nodes, LP iterations."""
    import highspy
    import numpy as np

    from junkan.network.solver import HEURISTIC_EFFORT

    highspy.Highs.resetGlobalScheduler(True)
    h = highspy.Highs()
    for k, v in {"output_flag": False, "mip_rel_gap": 0.005, "threads": 1,
                 "mip_heuristic_effort": HEURISTIC_EFFORT, **options}.items():
        h.setOptionValue(k, v)
    a = prob.a.tocsc()  # the model as junkan.network.solver passes it (same order)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = prob.n, a.shape[0]
    lp.col_cost_, lp.col_lower_ = prob.c, prob.col_lo
    lp.col_upper_ = np.where(np.isinf(prob.col_hi), highspy.kHighsInf, prob.col_hi)
    lp.row_lower_ = np.where(np.isinf(prob.row_lo), -highspy.kHighsInf, prob.row_lo)
    lp.row_upper_ = np.where(np.isinf(prob.row_hi), highspy.kHighsInf, prob.row_hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = prob.n, a.shape[0]
    lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                       for b in prob.integer]
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    c0 = time.process_time()
    h.run()
    info = h.getInfo()
    return {"cpu_seconds": round(time.process_time() - c0, 2),
            "objective": info.objective_function_value, "bound": info.mip_dual_bound,
            "mip_gap": info.mip_gap, "nodes": int(info.mip_node_count),
            "lp_iterations": int(info.simplex_iteration_count),
            "x": np.asarray(h.getSolution().col_value)}


def solve_options(prices: tuple[float, ...] = (0.0, 20000.0)) -> dict:
    """The UI solve (shipped ELV example to 0.5 %) under HiGHS option variants and carbon
    prices, and with a first incumbent: the best plan known (how much a perfect warm start
    could save) and the previous price's plan (the UI's next solve). Judged on CPU seconds,
    nodes and LP iterations (deterministic for the same HiGHS version), not wall time on the
    shared machine."""
    import os

    from junkan import network
    from junkan.network.formulation import formulate

    net = network.load(ROOT / "examples" / "network_elv_japan.yaml")
    load0 = os.getloadavg()[0]
    rows = []
    previous = None
    for price in prices:
        prob = formulate(net, carbon_price=price, co2_cap_t=None).problem
        runs = {name: _highs_run(prob, opts) for name, opts in SOLVE_OPTIONS.items()}
        best = min(runs.values(), key=lambda r: r["objective"])
        runs["default, best plan as start"] = _highs_run(prob, {}, start=best["x"])
        if previous is not None:  # the UI's next solve: the last price's plan as start
            runs["default, previous price's plan as start"] = _highs_run(prob, {},
                                                                          start=previous)
        previous = best["x"]
        for name, r in runs.items():
            rows.append({"carbon_price": price, "variant": name,
                         **{k: v for k, v in r.items() if k != "x"}})
            print(rows[-1], flush=True)
    return {"rows": rows, "load_before": round(load0, 2),
            "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    import sys

    if "--large" in sys.argv:  # only the large instance, merged into the last results
        from junkan.network.plan import build, solve
        from junkan.network.scenario import NetworkScenario

        out = Path(__file__).parent / "results" / "network.json"
        doc = json.loads(out.read_text("utf-8")) if out.exists() else {}
        doc["large"] = large_instance(build, solve, NetworkScenario)
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        print(json.dumps(doc["large"], indent=2, ensure_ascii=False))
        if doc["large"]["regression"]:
            raise SystemExit("network bench: the large instance regressed")
        return
    if "--targets" in sys.argv:  # only the example's targets, merged into the last results
        out = Path(__file__).parent / "results" / "network.json"
        doc = json.loads(out.read_text("utf-8")) if out.exists() else {}
        doc.update(example_targets())
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        print(json.dumps({k: doc[k] for k in ("one_solve", "report", "periods")}, indent=2,
                         ensure_ascii=False))
        return
    if "--options" in sys.argv:  # HiGHS option variants on the UI solve, merged
        out = Path(__file__).parent / "results" / "network.json"
        doc = json.loads(out.read_text("utf-8")) if out.exists() else {}
        doc["solve_options"] = solve_options()
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if "--cases" in sys.argv:  # only the case comparison, merged into the last results
        out = Path(__file__).parent / "results" / "network.json"
        doc = json.loads(out.read_text("utf-8")) if out.exists() else {}
        doc["case_studies"] = case_studies()
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        print(json.dumps(doc["case_studies"], indent=2, ensure_ascii=False))
        return

    from junkan.network.plan import build, solve
    from junkan.network.scenario import NetworkScenario

    rows = []
    for name, optimum in OPTIMA.items():
        inst = read_orlib(ORLIB / f"{name}.txt")
        times, sol = [], None
        for _ in range(5):
            t0 = time.perf_counter()
            sol = solve_cflp(inst)
            times.append(time.perf_counter() - t0)
        assert sol is not None
        rows.append({"instance": name, "sites": int(inst.capacity.size),
                     "customers": int(inst.demand.size), "objective": sol.objective,
                     "published_optimum": optimum,
                     "relative_error": abs(sol.objective - optimum) / optimum,
                     "seconds_median_of_5": statistics.median(times)})
    targets = {**example_targets(), "case_studies": case_studies()}
    large: dict = {"skipped": "--quick"}
    if "--quick" in sys.argv:
        return _write(rows, large, targets)
    large = large_instance(build, solve, NetworkScenario)
    _write(rows, large, targets)
    if large["regression"]:
        raise SystemExit("network bench: the large instance regressed: "
                         + "; ".join(large["regression"]))


def large_instance(build: Any, solve: Any, scenario: Any) -> dict:
    """The large synthetic instance: wall and CPU seconds, load, work counts, and the
    regression check against :data:`LARGE_REFERENCE`."""
    import importlib.metadata

    net = build(scenario.model_validate(large_scenario()))
    plan, cost = timed_solve(lambda: solve(net))
    large = {"zones": len(net.zones), "candidate_hubs": len(net.hubs),
             "commodities": len(net.commodities), "modes": len(net.modes),
             "destinations": len(net.dests), **cost,
             "solver_seconds": plan.seconds, "mip_gap": plan.mip_gap, "status": plan.status,
             "hubs_opened": len(plan.open_hubs), "objective": plan.objective, **plan.work,
             "highspy": importlib.metadata.version("highspy"),
             "target": "<= 0.1 % gap in <= 30 s (idle machine; judged on CPU seconds)",
             "reference": LARGE_REFERENCE}
    large["regression"] = regression_check(large)
    return large


def _write(rows: list, large: dict, targets: dict) -> None:
    import os

    from junkan.network.solver import backend

    doc = {"benchmark": f"network planner (HiGHS via {backend()})",
           "machine": f"{os.cpu_count()} cores, shared; load average at the end "
                      f"{os.getloadavg()[0]:.1f}",
           "orlib": rows, "large": large, **targets}
    out = Path(__file__).parent / "results" / "network.json"
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    print(json.dumps(doc, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
