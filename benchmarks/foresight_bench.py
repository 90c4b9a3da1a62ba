"""Foresight benchmark (issue 7): 20,000 scenarios × 27 years × 400 factors (1,600 signed
links) — engine time and memory, and the analysis time. Results: results/foresight.json."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import numpy as np

from junkan.foresight import compile_model, run_ensemble
from junkan.foresight.analysis import analyse
from junkan.foresight.model import CausalModel


def generate(n_factors: int = 400, n_links: int = 1600, n_drivers: int = 40, n_kpis: int = 24,
             seed: int = 0) -> CausalModel:
    rng = np.random.default_rng(seed)
    fams = ["resource_circulation", "environment", "economy", "society"]
    factors = []
    for i in range(n_factors):
        if i < n_drivers:
            factors.append({"id": f"f{i}", "role": "driver", "trend": [-0.01, 0.01],
                            "shock": 0.005})
        elif i >= n_factors - n_kpis:
            factors.append({"id": f"f{i}", "role": "kpi", "family": fams[i % 4]})
        else:
            factors.append({"id": f"f{i}", "role": "state", "x0": [0.3, 0.7]})
    links, seen = [], set()
    while len(links) < n_links:
        s, d = int(rng.integers(0, n_factors - n_kpis)), int(rng.integers(n_drivers, n_factors))
        lag = int(rng.choice([0, 0, 0, 1, 2]))
        if s == d or (s, d, lag) in seen:
            continue
        seen.add((s, d, lag))
        links.append({"src": f"f{s}", "dst": f"f{d}", "sign": "+" if rng.random() < 0.6 else "-",
                      "strength": int(rng.integers(1, 4)), "lag": lag, "uncertainty": 0.3})
    for i in range(n_factors - n_kpis, n_factors):  # every KPI driven
        links.append({"src": f"f{int(rng.integers(n_drivers, n_factors - n_kpis))}",
                      "dst": f"f{i}", "sign": "+", "strength": 2})
    return CausalModel.model_validate({"name": "bench", "years": {"start": 2024, "end": 2050},
                                       "factors": factors, "links": links})


def main() -> None:
    c = compile_model(generate())
    run_ensemble(c, 2000, seed=0)  # warm-up (imports, first allocations)
    times = []
    for rep in range(3):
        t0 = time.perf_counter()
        ens = run_ensemble(c, 20_000, seed=rep)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    run_ensemble(c, 20_000, seed=9, store_states=False)
    peak_kpi_only = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    t0 = time.perf_counter()
    res = analyse(ens, k=9, seed=0, transitions_every=2)
    t_an = time.perf_counter() - t0
    report = {"benchmark": "foresight ensemble (NumPy + SciPy CSR, factors × scenarios, "
                           "1,024-scenario chunks)",
              "size": {"scenarios": 20_000, "years": len(c.years), "factors": len(c.ids),
                       "links": sum(m.nnz for m in c.lag_matrices.values()),
                       "sampled_inputs": len(c.input_names)},
              "engine_seconds": times, "engine_seconds_median": sorted(times)[1],
              "states_MiB": ens.states.nbytes / 2**20 if ens.states is not None else 0,
              "kpi_only_run_peak_MiB": peak_kpi_only,
              "analysis_seconds": t_an, "groups": res.k, "group_shares": res.shares,
              "target": "engine ≤ 5 s"}
    out = Path(__file__).parent / "results" / "foresight.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
