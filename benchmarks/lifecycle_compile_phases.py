"""Where the lifecycle compile spends its time: each phase of
:func:`junkan.lifecycle.compile.compile_model` timed on the benchmark's generated model
(``lifecycle_bench.generate_model``), median of ``--repeat`` runs with the collector paused,
as a load runs them.

    python benchmarks/lifecycle_compile_phases.py [--products 1000] [--years 50] [--repeat 7]

Prints seconds per phase (wall clock on a shared machine: compare phases within one run).
The phases are the ones ``compile_model`` calls, in order; keep them in step with it."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from junkan.lifecycle.build import Index, assemble, flatten_bom
from junkan.lifecycle.checks import Checker, Problems, check_bom_size, checked_bom
from junkan.lifecycle.gc_pause import paused_gc
from junkan.lifecycle.loader import validate
from junkan.lifecycle.processes import process_table
from junkan.lifecycle.routing import Router, add_routes
from lifecycle_bench import generate_model


def phases(model: Any, repeat: int) -> dict[str, float]:
    """Median seconds of each phase of compiling ``model``."""
    times: dict[str, list[float]] = {}

    def timed(name: str, step: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = step()
        times.setdefault(name, []).append(time.perf_counter() - t0)
        return out

    for _ in range(repeat):
        with paused_gc():
            _compile_once(model, timed)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _compile_once(model: Any, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    """``compile_model``'s steps, each through ``timed``."""
    problems = Problems()
    table = timed("process table", lambda: process_table(model, problems))
    ix = timed("index", lambda: Index.of(model, table))
    graph, lines = timed("BOM graph", lambda: checked_bom(model, ix.m_index, problems))

    def checker() -> Checker:
        check = Checker(model, table, ix.d_index, problems)
        check.makers()
        check.process_lists()
        check.recycling(ix.m_index)
        return check

    check = timed("checks", checker)
    timed("size check", lambda: check_bom_size(model, graph, lines, len(ix.years), problems))
    bom = timed("flattening", lambda: flatten_bom(model, ix, graph, lines))
    c = timed("assembly", lambda: assemble(model, ix, table, bom, check))
    router = Router(c, bom, check)
    eol = timed("end-of-life routing", router.end_of_life)
    maint, repl, kernels = timed("maintenance routing", router.maintenance)
    timed("operators", lambda: add_routes(c, eol, maint, repl, kernels))
    problems.raise_if_any()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--years", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    model = validate(generate_model(n_products=args.products, n_years=args.years), "bench")
    out = phases(model, args.repeat)
    for name, s in out.items():
        print(f"{name:22s} {s:8.4f} s")
    print(f"{'total':22s} {sum(out.values()):8.4f} s")


if __name__ == "__main__":
    main()
