"""Network planner benchmark (issue 8): OR-Library capacitated facility location timings
(published optima checked). Results: benchmarks/results/network.json."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

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


def main() -> None:
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
    net = build(NetworkScenario.model_validate(large_scenario()))
    t0 = time.perf_counter()
    plan = solve(net)
    large = {"zones": len(net.zones), "candidate_hubs": len(net.hubs),
             "commodities": len(net.commodities), "modes": len(net.modes),
             "destinations": len(net.dests), "seconds": time.perf_counter() - t0,
             "solver_seconds": plan.seconds, "mip_gap": plan.mip_gap, "status": plan.status,
             "hubs_opened": len(plan.open_hubs), "target": "<= 0.1 % gap in <= 30 s"}
    out = Path(__file__).parent / "results" / "network.json"
    out.write_text(json.dumps({"benchmark": "network planner (HiGHS via scipy.optimize.milp)",
                               "orlib": rows, "large": large}, indent=2))
    print(json.dumps({"orlib": rows, "large": large}, indent=2))


if __name__ == "__main__":
    main()
