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
from junkan.foresight.engine import simulate
from junkan.foresight.model import CausalModel, Compiled


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


def ema_side_by_side(c: Compiled, n: int) -> dict[str, float | int | str]:
    """EMA Workbench 2.5.3 running the same model one scenario per call (its only mode):
    the model function steps one scenario with the junkan engine, EMA samples the same
    uncertainties by LHS. Measured on ``n`` scenarios, rate extrapolated to 20,000."""
    import logging

    from ema_workbench import Model, RealParameter, ScalarOutcome, perform_experiments
    from ema_workbench.em_framework.evaluators import SequentialEvaluator

    logging.getLogger("EMA").setLevel(logging.WARNING)
    names = c.input_names
    keys = [f"u{j}" for j in range(len(names))]  # EMA parameter names must be identifiers
    rng = np.random.default_rng(0)

    def one_scenario(**kw: float) -> dict[str, float]:
        p = np.array([kw[key] for key in keys], dtype=np.float32)[:, None]
        r = simulate(c, p, rng, store_states=False)
        return {"kpi_mean_final": float(r.kpis[-1].mean())}

    model = Model("junkanbench", function=one_scenario)
    model.uncertainties = [RealParameter(key, float(lo), float(hi)) for key, lo, hi in
                           zip(keys, c.input_low, c.input_high, strict=True)]
    model.outcomes = [ScalarOutcome("kpi_mean_final")]
    t0 = time.perf_counter()
    with SequentialEvaluator(model) as ev:
        perform_experiments(model, scenarios=n, evaluator=ev)
    sec = time.perf_counter() - t0
    return {"tool": "ema_workbench 2.5.3 (SequentialEvaluator; 3.0 needs Python >= 3.12)",
            "scenarios_measured": n, "seconds": sec,
            "seconds_per_20000_extrapolated": sec / n * 20_000}


def dask_backend(c: Compiled, n: int) -> dict[str, float | int]:
    """The Dask backend on a 2-worker LocalCluster, KPI paths written as Parquet (inputs not
    stored: they regenerate from the seed)."""
    import shutil
    import tempfile

    from distributed import Client

    from junkan.foresight.distributed import local_cluster, run_distributed

    out = Path(tempfile.mkdtemp()) / "ens"
    with local_cluster(2) as cluster, Client(cluster) as client:
        run_distributed(c, 20_000, out, client=client, seed=1)  # warm-up
        t0 = time.perf_counter()
        run_distributed(c, n, out, client=client, seed=2, store_inputs=False)
        sec = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    shutil.rmtree(out.parent, ignore_errors=True)
    t0 = time.perf_counter()
    run_ensemble(c, n, seed=2, store_states=False)
    local = time.perf_counter() - t0
    return {"scenarios": n, "workers": 2, "seconds": sec, "scenarios_per_second": n / sec,
            "parquet_MiB": size / 2**20, "same_run_in_one_process_seconds": local,
            "speed_up": local / sec}


def japan_example() -> dict[str, object]:
    """The shipped Japan CE model: groups, their branch years and drivers (seed 0)."""
    from junkan.foresight import load_causal_model
    from junkan.foresight.analysis import scenario_tree

    c = load_causal_model(Path(__file__).parents[1] / "examples" / "japan_ce.yaml")
    t0 = time.perf_counter()
    ens = run_ensemble(c, 20_000, seed=0)
    t_run = time.perf_counter() - t0
    res = analyse(ens, k=9, seed=0, transitions_every=3)
    tree = scenario_tree(res, int(c.years[-1]))
    return {"factors": len(c.ids), "links": len(c.model.links), "engine_seconds": t_run,
            "group_shares": [round(x, 4) for x in res.shares], "ratings": res.ratings,
            "tree": [{"groups": t["groups"], "branch_year": t["branch_year"],
                      "driver": t["driver"]} for t in tree]}


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
    median = sorted(times)[1]
    ema = ema_side_by_side(c, 300)
    report = {"benchmark": "foresight ensemble (NumPy + SciPy CSR, factors × scenarios, "
                           "1,024-scenario chunks)",
              "size": {"scenarios": 20_000, "years": len(c.years), "factors": len(c.ids),
                       "links": sum(m.nnz for m in c.lag_matrices.values()),
                       "sampled_inputs": len(c.input_names)},
              "engine_seconds": times, "engine_seconds_median": median,
              "states_MiB": ens.states.nbytes / 2**20 if ens.states is not None else 0,
              "kpi_only_run_peak_MiB": peak_kpi_only,
              "analysis_seconds": t_an, "groups": res.k, "group_shares": res.shares,
              "ema_workbench": ema,
              "ratio_ema_over_junkan": float(ema["seconds_per_20000_extrapolated"]) / median,
              "dask_local_cluster": dask_backend(c, 200_000),
              "japan_ce_example": japan_example(),
              "target": "engine ≤ 5 s"}
    out = Path(__file__).parent / "results" / "foresight.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
