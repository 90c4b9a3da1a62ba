"""Foresight benchmark (issues 7 and 18): 20,000 scenarios × 27 years × 400 factors (1,600
signed links) — engine time and memory; the analysis of 20,000 scenarios (target ≤ 5 s and
≤ 1 GiB), each case in a fresh process so its peak resident memory is its own; EMA Workbench
and the Dask backend side by side; the Japan example. Results: results/foresight.json.

    python benchmarks/foresight_bench.py                   # everything (a few minutes)
    python benchmarks/foresight_bench.py --only analysis   # the analysis cases only
    python benchmarks/foresight_bench.py --case bench400 float16   # one case, JSON on stdout
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from junkan.foresight import compile_model, run_ensemble
from junkan.foresight.analysis import analyse
from junkan.foresight.engine import step_scenarios
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
        lag = int(rng.choice([1, 1, 1, 2, 3]))
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
        r = step_scenarios(c, p, rng, store_states=False)
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
    """The shipped Japan CE model: groups, their tree, branch years and drivers (seed 0)."""
    from junkan.foresight import load_causal_model
    from junkan.foresight.analysis import scenario_tree

    c = load_causal_model(JAPAN)
    t0 = time.perf_counter()
    ens = run_ensemble(c, 20_000, seed=0, store_states="float16")
    t_run = time.perf_counter() - t0
    res = analyse(ens, k=9, seed=0, transitions_every=3)
    tree = scenario_tree(res)
    auto = analyse(ens, k="auto", seed=0, transitions_every=9)
    return {"factors": len(c.ids), "links": len(c.model.links), "engine_seconds": t_run,
            "group_shares": [round(x, 4) for x in res.shares], "ratings": res.ratings,
            "tree": [{"groups": t["groups"], "branch_year": t["branch_year"],
                      "driver": t["driver"], "separation": round(t["separation"], 3),
                      "variance_share": round(t["variance_share"], 3)} for t in tree],
            "input_drivers": res.feature_scores[:5],
            "auto": {"k": auto.k, "silhouette": auto.silhouette,
                     "root_branch_year": auto.tree[-1]["branch_year"]}}


JAPAN = Path(__file__).parents[1] / "examples" / "japan_ce.yaml"
CASES = [("bench400", "float16"), ("bench400", "float32"), ("bench400", "kpis-only"),
         ("japan", "float16")]
"""(model, how states are kept) of the analysis benchmark: the 400-factor model with the
factor paths in half precision (what ``junkan foresight analyse`` does), in float32, or not
kept (the analysis re-runs the chunks for them); the Japan example."""


def _rss_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def analysis_case(model: str, states: str, repeat: int = 3) -> dict[str, object]:
    """One analysis case in this process: the ensemble (20,000 scenarios, seed 0), then
    ``analyse(k=9, transitions every year)`` ``repeat`` times; the peak resident memory is
    measured from just before the first analysis (the ensemble included), after resetting
    the kernel's high-water mark (``/proc/self/clear_refs``)."""
    import gc

    from junkan.foresight import load_causal_model

    c = compile_model(generate()) if model == "bench400" else load_causal_model(JAPAN)
    keep: bool | str = {"float16": "float16", "float32": True, "kpis-only": False}[states]
    t0 = time.perf_counter()
    ens = run_ensemble(c, 20_000, seed=0, store_states=keep)
    t_run = time.perf_counter() - t0
    held = sum(a.nbytes for a in (ens.states, ens.kpis, ens.inputs, ens.lever_on)
               if a is not None) / 2**20
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    rss_before = _rss_mib("VmRSS")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = analyse(ens, k=9, seed=0, transitions_every=1)
        times.append(time.perf_counter() - t0)
    peak = _rss_mib("VmHWM")
    return {"model": model, "factors": len(c.ids), "kpis": len(c.kpis), "states": states,
            "scenarios": ens.n, "engine_seconds": t_run, "ensemble_arrays_MiB": held,
            "analysis_seconds": times, "analysis_seconds_median": sorted(times)[len(times) // 2],
            "rss_before_analysis_MiB": rss_before, "peak_rss_during_analysis_MiB": peak,
            "groups": res.k, "real_splits": sum(m["branch_year"] is not None for m in res.tree),
            "target_met": sorted(times)[len(times) // 2] <= 5.0 and peak <= 1024}


def analysis_cases() -> list[dict[str, object]]:
    """Every case of :data:`CASES`, each in a fresh interpreter."""
    out = []
    for model, states in CASES:
        proc = subprocess.run([sys.executable, __file__, "--case", model, states],
                              capture_output=True, text=True, check=True)
        out.append(json.loads(proc.stdout))
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    c = compile_model(generate())
    run_ensemble(c, 2000, seed=0)  # warm-up (imports, first allocations)
    times = []
    for rep in range(3):
        t0 = time.perf_counter()
        run_ensemble(c, 20_000, seed=rep)  # every factor's path kept (float32), as before
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    run_ensemble(c, 20_000, seed=9, store_states=False)
    peak_kpi_only = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    median = sorted(times)[1]
    ema = ema_side_by_side(c, 300)
    report = {"benchmark": "foresight ensemble (NumPy + SciPy CSR, factors × scenarios, "
                           "1,024-scenario chunks) and its analysis",
              "size": {"scenarios": 20_000, "years": len(c.years), "factors": len(c.ids),
                       "links": sum(m.nnz for m in c.lag_matrices.values()),
                       "sampled_inputs": len(c.input_names)},
              "engine_seconds": times, "engine_seconds_median": median,
              "states_MiB_float32": len(c.years) * len(c.ids) * 20_000 * 4 / 2**20,
              "kpi_only_run_peak_MiB": peak_kpi_only,
              "analysis": analysis_cases(),
              "ema_workbench": ema,
              "ratio_ema_over_junkan": float(ema["seconds_per_20000_extrapolated"]) / median,
              "dask_local_cluster": dask_backend(c, 200_000),
              "japan_ce_example": japan_example(),
              "target": "engine ≤ 5 s; analysis of 20,000 scenarios ≤ 5 s and ≤ 1 GiB"}
    _write(report)


def _write(report: dict[str, object]) -> None:
    out = Path(__file__).parent / "results" / "foresight.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        print(json.dumps(analysis_case(sys.argv[2], sys.argv[3])))
    elif sys.argv[1:3] == ["--only", "analysis"]:
        path = Path(__file__).parent / "results" / "foresight.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        _write({**previous, "analysis": analysis_cases()})
    else:
        main()
