"""ELV aluminium benchmark (issues 6 and 18): load a library of N vehicle types × 40
aluminium components, predict a feed of every type (1,000 Monte Carlo samples) and plan over
every type (40 removable parts each, 1,000 samples, capacity half the stock), the plan in
whole vehicles with its gap to the LP bound. Targets at 10,000 types: load ≤ 2 s, predict
≤ 5 s, plan ≤ 5 s.

Synthetic library: the shipped alloys, buyers and shredder; vehicles with 40 components each
(alloy, mass and dismantling option drawn at random; seeded). "load" is the library read
from a JSON file of its vehicles: parse within the document limits, validate, check, index.

    .venv/bin/python benchmarks/alloy_bench.py                    # 200, 2,000, 10,000 types
    .venv/bin/python benchmarks/alloy_bench.py --sizes 200 2000 --out /tmp/before.json

Results: ``results/alloys.json``; ``results/alloys_before.json`` holds the same script run on
the code before issue 18 (the commit's tree exported with ``git archive`` and put first on
PYTHONPATH), where 10,000 types did not finish.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

FAMILY_ALLOYS = {"cast": ["ADC12", "A380", "AC4B", "A356", "AC2B", "AC4CH"],
                 "wrought": ["6016", "6061", "6063", "5182", "5052", "3003", "1100", "6111"]}


def synthetic_vehicles(n_vehicles: int, n_parts: int = 40, seed: int = 0
                       ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """(vehicles, components, dismantling options) of a synthetic library."""
    rng = np.random.default_rng(seed)
    comps = {f"part{j:02d}": {"name": f"synthetic part {j}"} for j in range(n_parts)}
    alloys_of = {c: str(rng.choice(FAMILY_ALLOYS["cast" if j % 2 else "wrought"]))
                 for j, c in enumerate(comps)}
    dis = {c: {"minutes": float(rng.uniform(5, 40)), "value_JPY_per_kg":
               float(rng.uniform(100, 280))} for c in comps}
    vehicles = []
    for i in range(n_vehicles):
        al = {c: {"alloy": alloys_of[c], "kg": round(float(rng.uniform(0.5, 8)), 3)}
              for c in comps}
        steel = round(float(rng.uniform(500, 950)), 1)
        vehicles.append({
            "id": f"v{i:05d}", "make": f"Maker {i % 7}", "model": "synthetic",
            "year": int(2005 + i % 18), "powertrain": "ICEV",
            "curb_kg": round(steel / 0.62, 1),
            "materials": {"steel": steel, "copper": 20.0, "heavy_nonferrous": 4.0,
                          "residue": round(steel * 0.4, 1)}, "aluminium": al})
    return vehicles, comps, dis


def load_library(n_vehicles: int, folder: Path) -> tuple[Any, float]:
    """The synthetic library read from a JSON file (parse within the document limits,
    validate, check, index); seconds to load it."""
    from junkan.alloys import data
    from junkan.core.documents import read_document

    vehicles, comps, dis = synthetic_vehicles(n_vehicles)
    path = folder / f"vehicles_{n_vehicles}.json"
    path.write_text(json.dumps({"vehicles": vehicles}))
    shipped = {"alloys": data._read("alloy_specs.yaml")["alloys"],
               "labour_JPY_per_hour": 3000, "buyers": data._read("market.yaml")["buyers"],
               "prices": data._read("market.yaml")["prices"],
               "shredder": data._read("shredder.yaml")}
    t0 = time.perf_counter()
    doc = read_document(path)
    lib = data.Library.model_validate({**shipped, "components": comps, "dismantling": dis,
                                       "vehicles": {v["id"]: v for v in doc["vehicles"]}})
    if hasattr(data, "check_library"):
        data.check_library(lib, str(path))
        lib.index()
    else:  # before issue 18: the part keys were the library's only derived data
        lib.part_keys()
    return lib, time.perf_counter() - t0


def run(n_vehicles: int, folder: Path) -> dict[str, Any]:
    from junkan.alloys.plan import PlanError, plan
    from junkan.alloys.predict import FeedPlan, predict

    lib, t_load = load_library(n_vehicles, folder)
    feed = FeedPlan(vehicles=[{"vehicle": v, "count": 5} for v in lib.vehicles])
    t0 = time.perf_counter()
    pred = predict(feed, lib, n=1000)
    t_pred = time.perf_counter() - t0
    residue_min = float(pred.mass[:, -1].min())
    stock = {v: 20.0 for v in lib.vehicles}
    t0 = time.perf_counter()
    try:
        doc = plan(stock, "adc12_feed", probability=0.9, n=1000, seed=0, lib=lib,
                   capacity_vehicles=10.0 * n_vehicles).document()
    except PlanError as exc:
        doc = {"status": "infeasible", "message": str(exc)}
    t_plan = time.perf_counter() - t0
    whole = doc.get("whole_units") or {}
    return {"vehicle_types": n_vehicles, "parts_per_type": 40, "samples": 1000,
            "load_seconds": t_load, "predict_seconds": t_pred,
            "plan_seconds": t_plan, "plan_status": doc.get("status"),
            "plan_units": doc.get("units"), "plan_probability_met": doc.get("probability_met"),
            "plan_lp_solves": doc.get("lp_solves"), "plan_margin_JPY": doc.get("margin_JPY"),
            # whole vehicles: how (MILP or rounding) and the margin's gap to the LP bound
            "plan_whole_method": whole.get("method"), "plan_lp_bound_JPY": whole.get(
                "lp_bound_JPY"), "plan_gap_JPY": whole.get("gap_JPY"),
            "plan_gap_pct": whole.get("gap_pct"), "predict_residue_kg_min": residue_min}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10000])
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "alloys.json")
    args = ap.parse_args()
    # a 10,000-type vehicle file is ~24 MB of JSON: above the default document limit
    os.environ.setdefault("JUNKAN_LIMIT_DOCUMENT_BYTES", str(64 * 2**20))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        run(50, Path(tmp))  # warm-up (imports)
        for n in args.sizes:
            rows.append(run(n, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    report = {"benchmark": "alloys: load, predict and plan for N vehicle types x 40 parts x "
                           "1,000 Monte Carlo samples (plan: HiGHS LP, core method above "
                           "2,000 units; whole vehicles by MILP up to 2,000 units, "
                           "else the LP plan rounded and repaired, gap to the LP bound "
                           "reported; chance constraint verified on the whole plan's "
                           "samples)",
              "targets_at_10000_types": {"load_seconds": 2.0, "predict_seconds": 5.0,
                                         "plan_seconds": 5.0},
              "python": sys.version.split()[0], "runs": rows}
    args.out.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
