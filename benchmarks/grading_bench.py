"""Grading benchmark (issue 22): grade evaluations per second — target 100,000/s.

Synthetic items (recycled PP / ABS, shredded aluminium, soil; seeded) against every shipped
criteria set (18 sets). One *evaluation* is one (item, criteria set) verdict with every rule
of the set checked. Three timings, each the best of ``--repeat`` runs:

- ``evaluate``: the verdicts from a built table (:func:`junkan.grading.evaluate`, numpy);
- ``table+evaluate``: also building the feature table from the items' stored values;
- ``end_to_end``: :func:`junkan.grading.grade` on validated items, unit conversion of every
  property string included (the path of ``junkan grade``).

    .venv/bin/python benchmarks/grading_bench.py             # 2,000 and 20,000 items
    .venv/bin/python benchmarks/grading_bench.py --sizes 500 --out /tmp/g.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from junkan import grading

DAY = date(2026, 11, 30)


def synthetic_items(n: int, seed: int = 0) -> list[grading.Item]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 4
        doc: dict[str, Any] = {
            "id": f"i{i}",
            "kind": "recycled_material",
            "quantity": {"mass": float(rng.uniform(100, 30_000))},
        }
        if k in (0, 1):
            doc["material"] = {"name": "PP" if k == 0 else "ABS"}
            doc["properties"] = {
                "mfr": {"value": f"{rng.uniform(3, 40):.3f} g/(10 min)"},
                "density": {"value": f"{rng.uniform(0.88, 1.08):.4f} g/cm**3"},
                "ash": {"value": f"{rng.uniform(0, 5):.2f} %"},
                "tensile_strength": {"value": f"{rng.uniform(15, 35):.1f} MPa"},
            }
            doc["restricted"] = {"pbde_sum": f"{rng.uniform(0, 900):.0f} mg/kg"}
        elif k == 2:
            doc["material"] = {"name": "aluminium", "family": str(rng.choice(["cast", "wrought"]))}
            doc["properties"] = {
                "free_zn": {"value": f"{rng.uniform(0, 4):.2f} %"},
                "free_mg": {"value": f"{rng.uniform(0, 2):.2f} %"},
                "oil_grease": {"value": f"{rng.uniform(0, 3):.2f} %"},
            }
            doc["composition"] = {
                "Si": float(rng.uniform(3, 9)),
                "Fe": float(rng.uniform(0.2, 1.6)),
                "Mg": float(rng.uniform(0.1, 0.6)),
                "Zn": float(rng.uniform(0.1, 0.8)),
            }
            doc["attributes"] = {"separation": str(rng.choice(["float_sink", "hand"]))}
            if rng.random() < 0.7:
                doc["certificates"] = [{"kind": "magnet_separated"}]
        else:
            doc["material"] = {"name": "soil"}
            doc["properties"] = {"cone_index": {"value": f"{rng.uniform(100, 1200):.0f} kN/m**2"}}
            doc["attributes"] = {"soil_type": str(rng.choice(["GS", "SF", "M", "C"]))}
            if rng.random() < 0.5:  # else dry: no excavation attribute (a value the
                doc["attributes"]["excavation"] = "rain_or_seepage"  # set lacks is refused)
        out.append(grading.Item.model_validate(doc))
    return out


def best(f: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def run(n: int, repeat: int) -> dict[str, Any]:
    items = synthetic_items(n)
    sets = list(grading.shipped_sets().values())
    compiled = grading.compile_sets(sets)
    stored = [grading.stored_values(it, f"items[{i}]") for i, it in enumerate(items)]
    table = grading.build_table(compiled, items, DAY, stored)
    evals = n * len(sets)
    t_eval = best(lambda: grading.evaluate(compiled, table), repeat)
    t_table = best(
        lambda: grading.evaluate(compiled, grading.build_table(compiled, items, DAY, stored)),
        repeat,
    )
    t_all = best(lambda: grading.grade(items, sets, as_of=DAY), max(1, repeat // 2))
    met = grading.evaluate(compiled, table).met
    return {
        "items": n,
        "criteria_sets": len(sets),
        "evaluations": evals,
        "share_met": round(float(met.mean()), 4),
        "evaluate_s": round(t_eval, 4),
        "evaluate_per_s": round(evals / t_eval),
        "table_evaluate_s": round(t_table, 4),
        "table_evaluate_per_s": round(evals / t_table),
        "end_to_end_s": round(t_all, 4),
        "end_to_end_per_s": round(evals / t_all),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "grading.json")
    a = ap.parse_args()
    rows = [run(n, a.repeat) for n in a.sizes]
    doc = {
        "benchmark": "grading",
        "target": "100,000 grade evaluations per second",
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores (shared)",
        "command": "python benchmarks/grading_bench.py "
        + " ".join(f"--sizes {' '.join(map(str, a.sizes))}".split()),
        "runs": rows,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
