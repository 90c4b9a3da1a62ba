"""Benchmark: the best loop of ``examples/compressor_magnet.yaml`` (issue 17, item 5) with the
shipped spec ``examples/optimise/compressor_magnet.yaml`` (two discrete decisions, one
collection-rate range, a budget, a minimum recycled share and a capacity).

Timed (wall clock, median of ``--repeat`` after one untimed call, each from a freshly loaded
model with no run kept from an earlier one): ``optimise`` (levels, then
the search between them) and ``pareto`` (the CO2e–cost front), each with the number of
simulations it ran and the time per simulation. The peer is what a user without the search
would run: every combination on a grid of the range fine enough to come near the search's
answer (``--grid`` levels, default 25: a 0.0125 step over the range's 0.3), through
``enumerate_options``; its best objective is reported beside the search's.

    .venv/bin/python benchmarks/optimise_bench.py [--repeat 3] [--grid 25]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from junkan import lifecycle
from junkan.lifecycle import cache
from junkan.lifecycle import optimise as opt
from junkan.lifecycle.optimise import surrogate

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "compressor_magnet.yaml"
SPEC = ROOT / "examples" / "optimise" / "compressor_magnet.yaml"


def _fresh() -> lifecycle.ModelFile:
    """The model loaded anew with empty caches (the model cache and the optimiser's runs
    shared between searches of one process): no run of an earlier repeat is reused."""
    cache.clear()
    surrogate._SHARED.clear()
    return lifecycle.load(MODEL)


def _timed(fn: Any, repeat: int) -> tuple[float, Any, int]:
    """Median seconds of ``repeat`` calls of ``fn(model, progress)``, each on a freshly loaded
    model (untimed), the last result and the simulations it said it ran."""
    times, result, runs = [], None, 0
    fn(_fresh(), None)  # imports and first-call set-up, untimed
    for _ in range(repeat):
        seen: list[int] = []
        mf = _fresh()
        t = time.perf_counter()
        result = fn(mf, lambda done, most, seen=seen: seen.append(done))
        times.append(time.perf_counter() - t)
        runs = max(seen, default=0)
    return statistics.median(times), result, runs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--grid", type=int, default=25)
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks" / "results" / "optimise.json")
    args = ap.parse_args()
    spec = opt.load_spec(SPEC)
    single = spec.model_copy(update={"pareto": None})
    s_opt, best, n_opt = _timed(lambda mf, cb: opt.optimise(mf, single, progress=cb),
                                 args.repeat)
    s_par, front, n_par = _timed(lambda mf, cb: opt.pareto(mf, spec, progress=cb), args.repeat)
    fine = opt.load_spec(doc={**spec.model_dump(mode="json", exclude_none=True, by_alias=True),
                              "pareto": None}, source=str(SPEC))
    fine = fine.model_copy(update={"decisions": [
        d.model_copy(update={"steps": args.grid}) if d.range is not None else d
        for d in fine.decisions]})
    mf = _fresh()
    t = time.perf_counter()
    grid_best, grid_points = opt.enumerate_options(mf, fine)
    s_grid = time.perf_counter() - t
    doc = {
        "machine": platform.machine(), "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"), "model": str(MODEL.relative_to(ROOT)),
        "spec": str(SPEC.relative_to(ROOT)), "repeat": args.repeat,
        "optimise": {"seconds": round(s_opt, 3), "simulations": n_opt,
                     "ms_per_simulation": round(1000 * s_opt / max(n_opt, 1), 2),
                     "objective_t": best.to_json()["objective"]["value"]},
        "pareto": {"seconds": round(s_par, 3), "simulations": n_par, "points": len(front.points),
                   "ms_per_simulation": round(1000 * s_par / max(n_par, 1), 2)},
        "peer_grid_enumeration": {"levels": args.grid, "seconds": round(s_grid, 3),
                                  "simulations": len(grid_points),
                                  "objective_t": grid_best.raw["co2e"]},
        "ratio_grid_to_optimise": round(s_grid / s_opt, 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
