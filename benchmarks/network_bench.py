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


def main() -> None:
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
    out = Path(__file__).parent / "results" / "network.json"
    out.write_text(json.dumps({"benchmark": "OR-Library CFLP (HiGHS via scipy.optimize.milp)",
                               "instances": rows}, indent=2))
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
