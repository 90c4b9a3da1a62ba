"""Benchmark: Monte Carlo uncertainty of ``examples/compressor_magnet.yaml`` (issue 17,
item 2). Target: 1,000 paired runs of every scenario in ≤ 10 s on this machine.

The uncertain parameters are those of ``examples/uncertainty/compressor_magnet.yaml``
(10 parameters: rates, a BOM mass, a yield, unit factors and prices; one correlated group).
Timed from the loaded model to the percentiles (``propagate`` + ``to_json``): the setup
(probe compilations of each scenario's multilinear form, the engine check of one run per
scenario) and the 1,000 runs are reported separately. Also timed: the same runs through the
engine one run at a time (the reference the batched path is checked against), on a subset.

    .venv/bin/python benchmarks/uncertainty_bench.py [--runs 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import yaml

from junkan import lifecycle
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty.evaluate import Evaluator
from junkan.lifecycle.uncertainty.sampling import draw

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engine-runs", type=int, default=50)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "uncertainty.json"
    )
    args = ap.parse_args()
    model = lifecycle.load(ROOT / "examples" / "compressor_magnet.yaml")
    spec = ROOT / "examples" / "uncertainty" / "compressor_magnet.yaml"
    section = U.UncertaintySection.model_validate(yaml.safe_load(spec.read_text("utf-8")))
    totals, setups, runs_only, cpu = [], [], [], []
    methods: dict[str, str] = {}
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        st = U.resolve(model, section)
        theta = draw(st, args.runs, seed=1)
        ev = Evaluator(st).prepare(theta)
        ev.evaluate(theta[:1])  # the engine check of one run per scenario
        t1 = time.perf_counter()
        out = ev.evaluate(theta)
        U.Ensemble(st, theta, out, 1).to_json()
        t2 = time.perf_counter()
        totals.append(t2 - t0)
        cpu.append(time.process_time() - c0)
        setups.append(t1 - t0)
        runs_only.append(t2 - t1)
        methods = out.methods
    ev = Evaluator(st)
    ev.engine_only = set(st.scenarios)
    t0 = time.perf_counter()
    ev.evaluate(theta[: args.engine_runs])
    engine_per_run = (time.perf_counter() - t0) / args.engine_runs
    doc = {
        "benchmark": "uncertainty: Monte Carlo of compressor_magnet (issue 17, item 2)",
        "command": "python benchmarks/uncertainty_bench.py",
        "runs": args.runs,
        "scenarios": len(st.scenarios),
        "parameters": len(st.names),
        "repeat": args.repeat,
        "methods": methods,
        "total_s_median": statistics.median(totals),
        "total_s_all": totals,
        "cpu_s_median": statistics.median(cpu),
        "setup_s_median": statistics.median(setups),
        "runs_s_median": statistics.median(runs_only),
        "engine_one_run_at_a_time_s_per_run": engine_per_run,
        "engine_one_run_at_a_time_s_extrapolated": engine_per_run * args.runs,
        "target_s": TARGET_S,
        "meets_target": statistics.median(totals) <= TARGET_S,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "note": "wall clock on the shared 2-core machine (other jobs running); cpu_s is this "
        "process's CPU time, less sensitive to the sharing",
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
