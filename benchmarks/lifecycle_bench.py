"""Benchmark: the lifecycle engine on a generated model against flodym (issue 2, item 7).

Model: 1,000 products × 20 part instances (some nested) × 10 materials × 50 years, Weibull
lifetimes, and every loop type (maintenance replacement, product reuse, part reuse and
remanufacture, closed- and open-loop recycling, energy recovery, landfill, export).

flodym's equivalent: inflow-driven dynamic stock models over (time × product × material) with
the same inflows and Weibull lifetimes — one for new products (``inflow_at='middle'``) and one
for reused products (``inflow_at='end'``), as junkan's two stock layers. Agreement is checked
on in-use stock and outflow by product and material (relative 1e-9).

Time: wall clock, median of ``--repeat`` untraced runs. Memory: peak of Python-tracked
allocations (tracemalloc; numpy reports its buffers there) in one separate traced run — the
same meter for both tools (tracing slows Python-heavy code, so it is never timed).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from junkan.lifecycle import load_model, simulate
from junkan.lifecycle.api import ModelFile


def generate_model(n_products: int = 1000, n_parts: int = 20, n_materials: int = 10,
                   n_years: int = 50, seed: int = 0) -> dict[str, Any]:
    """A synthetic value network with every loop type."""
    rng = np.random.default_rng(seed)
    mats = [f"m{i}" for i in range(n_materials)]
    materials = {m: {"virgin": {"co2e": f"{rng.uniform(1, 20):.3f} kgCO2e/kg",
                                "cost": f"{rng.uniform(50, 5000):.1f} JPY/kg",
                                "source": "benchmark"},
                     "recycled": {"co2e": f"{rng.uniform(0.2, 2):.3f} kgCO2e/kg",
                                  "source": "benchmark"}} for m in mats}
    processes: dict[str, Any] = {
        "make": {"actor": "supplier", "stage": "manufacturing", "co2e": "1 kgCO2e/kg",
                 "cost": "100 JPY/kg", "source": "benchmark"},
        "assemble": {"actor": "maker", "stage": "manufacturing", "co2e": "5 kgCO2e/piece",
                     "revenue": "50000 JPY/piece", "source": "benchmark"},
        "use": {"actor": "user", "stage": "use", "co2e": "20 kgCO2e/piece/year",
                "source": "benchmark"},
        "collect": {"actor": "collector", "stage": "collection", "co2e": "208 gCO2e/(t*km)",
                    "distance": "120 km", "cost": "500 JPY/piece", "source": "benchmark"},
        "dismantle": {"actor": "dismantler", "stage": "dismantling", "cost": "800 JPY/piece",
                      "source": "benchmark"},
        "inspect": {"actor": "dismantler", "stage": "reuse", "cost": "300 JPY/piece",
                    "source": "benchmark"},
        "reman": {"actor": "maker", "stage": "remanufacturing", "co2e": "0.5 kgCO2e/kg",
                  "source": "benchmark"},
        "closed_recycling": {"kind": "recycling", "actor": "regenerator", "stage": "recycling",
                             "yields": {m: round(float(rng.uniform(0.5, 0.95)), 3)
                                        for m in mats[: n_materials // 2]},
                             "residue": {"landfill": 0.5, "energy_recovery": 0.5},
                             "co2e": "0.3 kgCO2e/kg", "source": "benchmark"},
        "open_recycling": {"kind": "recycling", "closed_loop": False, "actor": "regenerator",
                           "stage": "recycling",
                           "yields": {m: round(float(rng.uniform(0.3, 0.9)), 3) for m in mats},
                           "residue": {"landfill": 1}, "source": "benchmark"},
        "energy_recovery": {"kind": "energy_recovery", "actor": "waste", "stage":
                            "energy_recovery", "co2e": "1 kgCO2e/kg", "source": "benchmark"},
        "landfill": {"kind": "landfill", "actor": "waste", "stage": "disposal",
                     "source": "benchmark"},
        "export": {"kind": "export", "actor": "waste", "stage": "export", "source": "benchmark"},
    }
    parts: dict[str, Any] = {}
    products: dict[str, Any] = {}
    start = 2000
    for p in range(n_products):
        names = [f"p{p}_q{j}" for j in range(n_parts)]
        # parts 0..14 top-level; 15..19 nested under parts 0..4 (two levels)
        for j, q in enumerate(names):
            bom: list[dict[str, Any]] = [
                {"material": mats[int(k)], "mass": f"{rng.uniform(0.1, 5):.3f} kg"}
                for k in rng.choice(n_materials, size=2, replace=False)]
            if j < 5:
                bom.append({"part": names[15 + j], "quantity": 1})
            reuse_share = float(rng.uniform(0, 0.3))
            parts[q] = {"make": ["make"], "price": "2000 JPY/piece", "bom": bom,
                        "recovery": {"reuse": {"share": reuse_share, "pass_rate": 0.8,
                                               "processes": ["inspect"]},
                                     "remanufacture": {"share": float(rng.uniform(0, 0.2)),
                                                       "pass_rate": 0.9,
                                                       "processes": ["reman"]},
                                     "residual": {"closed_recycling": 0.7,
                                                  "open_recycling": 0.3}}}
        products[f"p{p}"] = {
            "make": ["assemble"], "use": ["use"],
            "sales": {start: float(rng.uniform(500, 5000)),
                      start + n_years - 1: float(rng.uniform(500, 5000))},
            "lifetime": {"distribution": "weibull", "scale": f"{rng.uniform(5, 20):.3f} year",
                         "shape": round(float(rng.uniform(1.2, 4)), 3)},
            "bom": [{"part": q, "quantity": 1} for q in names[:15]]
            + [{"material": mats[0], "mass": f"{rng.uniform(5, 50):.3f} kg"}],
            "maintenance": [{"part": names[0], "replacement_rate": 0.03,
                             "collection": {"rate": 0.6, "processes": ["collect"]},
                             "extract": [names[15]], "uncollected": {"landfill": 1}}],
            "eol": {"collection": {"rate": float(rng.uniform(0.3, 0.9)),
                                   "processes": ["collect"]},
                    "reuse": {"share": 0.1, "pass_rate": 0.6, "processes": ["inspect"]},
                    "dismantling": {"processes": ["dismantle"],
                                    "extract": names[:3] + [f"{names[0]}/{names[15]}"],
                                    "residual": {"open_recycling": 0.6,
                                                 "energy_recovery": 0.2, "landfill": 0.1,
                                                 "export": 0.1}},
                    "uncollected": {"landfill": 0.5, "export": 0.5}},
        }
    return {
        "junkan": 1, "name": "benchmark", "currency": "JPY",
        "years": {"start": start, "end": start + n_years - 1},
        "actors": {"maker": {"role": "product_maker"}, "supplier": {"role": "part_maker"},
                   "user": {"role": "user"}, "collector": {"role": "collector"},
                   "dismantler": {"role": "dismantler"},
                   "regenerator": {"role": "material_regenerator"},
                   "waste": {"role": "waste_handler"}},
        "materials": materials, "parts": parts, "products": products, "processes": processes,
    }


def _measure(fn: Any, repeat: int = 1) -> tuple[Any, float, float]:
    """(result, median wall time of ``repeat`` untraced runs in s, traced peak in MiB)."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, statistics.median(times), peak / 2**20


def run_flodym(inflow_new: np.ndarray, inflow_reused: np.ndarray, scale: np.ndarray,
               shape: np.ndarray, years: list[int], content: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Stock and outflow (T, P, M) in kg from two flodym inflow-driven DSMs."""
    import flodym

    n_p, n_m = content.shape
    dims = flodym.DimensionSet(dim_list=[
        flodym.Dimension(name="time", letter="t", items=years),
        flodym.Dimension(name="product", letter="p", items=list(range(n_p))),
        flodym.Dimension(name="material", letter="m", items=list(range(n_m)))])
    scale_arr = np.broadcast_to(scale[:, None], (n_p, n_m))
    shape_arr = np.broadcast_to(shape[:, None], (n_p, n_m))
    stock = np.zeros((len(years), n_p, n_m))
    outflow = np.zeros_like(stock)
    for inflow, at in ((inflow_new, "middle"), (inflow_reused, "end")):
        lt = flodym.WeibullLifetime(dims=dims, inflow_at=at,
                                    weibull_scale=np.broadcast_to(scale_arr, dims.shape).copy(),
                                    weibull_shape=np.broadcast_to(shape_arr, dims.shape).copy())
        dsm = flodym.InflowDrivenDSM(dims=dims, lifetime_model=lt)
        dsm.inflow.values[...] = inflow[:, :, None] * content[None, :, :]
        dsm.compute()
        stock += dsm.stock.values
        outflow += dsm.outflow.values
    return stock, outflow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--parts", type=int, default=20)
    ap.add_argument("--materials", type=int, default=10)
    ap.add_argument("--years", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-flodym", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" /
                    "lifecycle.json")
    args = ap.parse_args()

    doc = generate_model(args.products, args.parts, args.materials, args.years)
    text = json.dumps(doc)  # a generated model of this size is best kept as JSON

    mf, t_load, mem_load = _measure(lambda: load_model(text=text, source="benchmark.json"),
                                    args.repeat)
    assert isinstance(mf, ModelFile)
    res, t_sim, mem_sim = _measure(lambda: simulate(mf), args.repeat)
    c = res.raw.compiled
    report: dict[str, Any] = {
        "benchmark": "lifecycle engine, generated model",
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
        "size": {"products": len(c.products), "part_instances": len(c.inst_type),
                 "part_types": len(c.parts), "materials": len(c.materials),
                 "years": len(c.years), "processes": len(c.processes)},
        "junkan": {"load_and_compile_s": t_load, "load_and_compile_peak_MiB": mem_load,
                   "simulate_s": t_sim, "simulate_peak_MiB": mem_sim,
                   "total_s": t_load + t_sim,
                   "mass_balance_max_relative_error": res.raw.balance_error},
    }
    if not args.no_flodym:
        lifetimes = [mf.baseline.products[p].lifetime for p in c.products]
        scale = np.array([lt.scale for lt in lifetimes], dtype=float)
        shape = np.array([lt.shape for lt in lifetimes], dtype=float)
        years = [int(y) for y in c.years]
        content = c.product_materials
        (stock, outflow), t_fl, mem_fl = _measure(lambda: run_flodym(
            res.raw.new_products, res.raw.reused_products, scale, shape, years, content),
            args.repeat)
        j_stock = res.raw.in_use[:, :, None] * content[None]
        j_out = res.raw.retired[:, :, None] * content[None]

        def rel(a: np.ndarray, b: np.ndarray) -> float:
            return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300 + np.abs(b).max()
                                                           * 1e-12)))

        from importlib.metadata import version

        report["flodym"] = {"version": version("flodym"), "compute_s": t_fl,
                            "peak_MiB": mem_fl}
        report["agreement"] = {"stock_max_relative_error": rel(j_stock, stock),
                               "outflow_max_relative_error": rel(j_out, outflow)}
        report["ratios"] = {
            "speed_flodym_over_junkan_simulate": t_fl / t_sim,
            "speed_flodym_over_junkan_total": t_fl / (t_load + t_sim),
            "memory_flodym_over_junkan_simulate": mem_fl / mem_sim,
            "memory_flodym_over_junkan_total": mem_fl / max(mem_sim, mem_load),
        }
    # memory must grow linearly with the number of years (no years × cohorts arrays)
    scaling = []
    for n_years in (50, 100, 200, 400):
        small = load_model(text=json.dumps(generate_model(100, args.parts, args.materials,
                                                          n_years)), source="scaling.json")
        _, t, mem = _measure(lambda m=small: simulate(m))
        scaling.append({"products": 100, "years": n_years, "simulate_s": t,
                        "simulate_peak_MiB": mem})
    report["scaling_with_years"] = scaling
    report["targets"] = {"simulate_le_2s": t_sim <= 2.0,
                         "simulate_le_1GiB": mem_sim <= 1024,
                         "load_compile_simulate_le_2s": t_load + t_sim <= 2.0}
    if "ratios" in report:
        report["targets"].update({
            "agree_1e-9": max(report["agreement"].values()) <= 1e-9,
            "speed_ge_5x": report["ratios"]["speed_flodym_over_junkan_simulate"] >= 5,
            "memory_ge_10x": report["ratios"]["memory_flodym_over_junkan_simulate"] >= 10})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
