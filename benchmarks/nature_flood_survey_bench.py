"""Benchmark of issue 23's later parts: per-pixel surface water and flooding, the survey sync
and the report through the API.

    .venv/bin/python benchmarks/nature_flood_survey_bench.py [--size 1000]

- **flood**: ``junkan.nature.inundation.assess`` (Otsu histograms of every scene, then the
  per-area pixel comparison) on a generated sample of ``--size``² px × 6 scenes, with peak
  RSS; the per-area flooded km² against the generated truth;
- **survey**: ``POST /api/nature/survey/sync`` with batches of 500 observations (SQLite, in
  process): new ones, then the same batch again (a device whose answer was lost);
- **report**: ``GET /api/nature/jobs/{id}/report`` (PDF, English) of a 120 px sample job.

Results: ``results/nature_flood_survey.json``, each timing with the load average.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def flood(size: int) -> dict[str, Any]:
    import numpy as np

    from junkan import nature
    from junkan.nature import inundation
    from junkan.nature import sample as smp
    from junkan.nature.assess import features, layer, open_scenes
    from junkan.nature.rasters import mask, window

    with tempfile.TemporaryDirectory() as tmp:
        a = nature.load(nature.write_sample(tmp, size=size, seed=0))
        scenes = open_scenes(a)
        feats = features(a, scenes[0])
        areas = layer(a, a.spec.areas, "areas", scenes[0], ("commodity", "supplier"))
        dates = [s.date.isoformat() for s in a.spec.scenes]
        load0, t0 = loadavg(), time.perf_counter()
        out = inundation.assess(scenes, dates, areas, feats, name="MNDWI", reference=0, fixed=0.0)
        wall = time.perf_counter() - t0
        maps = smp.class_maps(size, 0)
        water = list(smp.signatures()["classes"]).index("water") + 1
        err: list[float] = []
        rel: list[float] = []
        inside_range, flooded = 0, 0.0
        for poly in areas.polygons:
            win = window(poly, scenes[0])
            assert win is not None
            inside = mask([poly], scenes[0], win)
            w0 = maps[0][win] == water
            for m, row in zip(maps, out["areas"][poly.fid], strict=True):
                truth = float((inside & (m[win] == water) & ~w0).sum()) * 1e-4
                err.append(abs(row["flooded_km2"]["value"] - truth))
                rel.append(err[-1] / truth if truth > 0 else 0.0)
                inside_range += (
                    row["flooded_km2"]["low"] - 1e-9 <= truth <= row["flooded_km2"]["high"] + 1e-9
                )
                flooded += truth
    return {
        "pixels": size * size * len(dates),
        "wall_s": round(wall, 2),
        "load_before": load0,
        "load_after": loadavg(),
        "true_flooded_km2_all_areas_scenes": round(flooded, 4),
        "max_abs_error_km2": float(np.max(err)),
        "max_rel_error": round(float(np.max(rel)), 4),
        "truth_inside_range": f"{inside_range}/{len(err)}",
        "methods": sorted({t["method"] for t in out["thresholds"]}),
    }


def _client() -> Any:
    from fastapi.testclient import TestClient

    from junkan.api.app import create_app
    from junkan.store.db import Settings

    db = Path(tempfile.mkdtemp()) / "bench.db"
    return TestClient(create_app(Settings(database_url=f"sqlite:///{db}"), seed=True))


def survey_and_report(batches: int) -> dict[str, Any]:
    from tests.api.conftest import demo_tokens, wait_for

    out: dict[str, Any] = {}
    with _client() as c:
        demo, _ = demo_tokens(c)
        obs = [
            {
                "observation": {
                    "id": f"b{k}-{i}",
                    "species": "Apis cerana",
                    "count": 1 + i % 7,
                    "lat": 12.6,
                    "lon": 108.0,
                    "time": "2024-05-01T07:30:00+07:00",
                    "observer": "bench",
                    "area": "ABC"[i % 3],
                }
            }
            for k in range(batches)
            for i in range(500)
        ]
        for label in ("new", "resent"):
            load0, t0 = loadavg(), time.perf_counter()
            for k in range(batches):
                r = c.post(
                    "/api/nature/survey/sync",
                    json={"observations": obs[k * 500 : (k + 1) * 500]},
                    headers=demo,
                )
                assert r.status_code == 200, r.text
            wall = time.perf_counter() - t0
            out[f"sync_{label}"] = {
                "observations": len(obs),
                "wall_s": round(wall, 2),
                "per_500_s": round(wall / batches, 3),
                "load_before": load0,
                "load_after": loadavg(),
            }
        assert c.get("/api/nature/survey/observations", headers=demo).json()["total"] == len(obs)
        t0 = time.perf_counter()
        r = c.get("/api/nature/survey/export.csv", headers=demo)
        out["export_csv_s"] = round(time.perf_counter() - t0, 3)
        job = c.post("/api/nature/jobs?kind=assess", json={"sample": {"size": 120}}, headers=demo)
        done = wait_for(c, f"/api/nature/jobs/{job.json()['id']}", demo, timeout=600)
        assert done["status"] == "succeeded", done
        load0, t0 = loadavg(), time.perf_counter()
        r = c.get(f"/api/nature/jobs/{done['id']}/report?lang=en&format=pdf", headers=demo)
        assert r.status_code == 200, r.text
        out["report_pdf"] = {
            "wall_s": round(time.perf_counter() - t0, 2),
            "bytes": len(r.content),
            "load_before": load0,
            "load_after": loadavg(),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "nature_flood_survey.json")
    args = ap.parse_args()
    doc: dict[str, Any] = {"flood": flood(args.size)}
    doc["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    doc.update(survey_and_report(args.batches))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
