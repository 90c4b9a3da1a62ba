"""Vision benchmark (issue 21) on held-out synthetic belt frames: per-piece accuracy by group
with the confusion matrix and calibration, accuracy by shred size / overlap / dirt, counts and
mass per belt interval (after calibrating the mass scale on the first interval's bin
weights), and images per second of 1,280 × 1,024 with ~50 pieces on one thread.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vision_bench.py [--train 120 --test 60]

Writes benchmarks/results/vision.json. Timings are wall clock on a shared machine: the load
average is recorded beside them."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from junkan.vision import (  # noqa: E402
    GROUPS,
    ImageMeta,
    RenderSpec,
    analyse,
    evaluate,
    from_frames,
    render,
    train,
    weigh,
)
from junkan.vision.pipeline import group_mass_kg, scatter  # noqa: E402

GRAINS = (45.0, 65.0, 90.0)
OUT = Path(__file__).parent / "results" / "vision.json"


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def frames(n: int, seed: int) -> list:  # type: ignore[type-arg]
    return [render(RenderSpec(grain_mm=GRAINS[i % len(GRAINS)]), seed=seed + i) for i in range(n)]


def throughput(model, test) -> dict:  # type: ignore[no-untyped-def]
    meta = ImageMeta(mm_per_px=0.8)
    analyse(model, test[0].image, meta)
    la0 = loadavg()
    t = time.perf_counter()
    for f in test[:30]:
        analyse(model, f.image, meta)
    dt = time.perf_counter() - t
    n = min(30, len(test))
    return {
        "images": n,
        "seconds": dt,
        "images_per_s": n / dt,
        "pieces_per_image": float(np.mean([len(f.pieces) for f in test[:n]])),
        "size": "1280x1024",
        "threads": 1,
        "loadavg_before": la0,
        "loadavg_after": loadavg(),
    }


def calibrated_mass(model, test, per: int) -> dict:  # type: ignore[no-untyped-def]
    """Weigh the first interval's sorted bins (true mass per group, sd 1 %), update the mass
    calibration, and compare the other intervals' mass per group with the truth."""
    meta = ImageMeta(mm_per_px=0.8)
    res = [analyse(model, f.image, meta) for f in test]
    cal = model.calibration
    first = res[:per]
    h = group_mass_kg(model, first)
    for g in range(len(GROUPS)):
        true = sum(p["mass_g"] for f in test[:per] for p in f.pieces if p["group"] == GROUPS[g])
        hg = np.zeros(len(GROUPS))
        hg[g] = h[g]
        cal = weigh(cal, hg, true / 1e3, 0.01 * true / 1e3 + 1e-6, scatter(model, first) / 2)
    model.calibration = cal
    out = []
    for s in range(per, len(test) - per + 1, per):
        est = group_mass_kg(model, res[s : s + per]) * np.array(cal["mean"])
        true = np.array(
            [
                sum(p["mass_g"] for f in test[s : s + per] for p in f.pieces if p["group"] == g)
                / 1e3
                for g in GROUPS
            ]
        )
        out.append({g: float(est[i] / true[i] - 1) for i, g in enumerate(GROUPS)})
    return {"calibration": cal, "interval_mass_error": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=120)
    ap.add_argument("--test", type=int, default=60)
    ap.add_argument("--per-interval", type=int, default=20)
    ap.add_argument("--trees", type=int, default=120)
    a = ap.parse_args()
    cv2.setNumThreads(1)
    t0 = time.perf_counter()
    tr = frames(a.train, 10_000)
    te = frames(a.test, 90_000)
    t_render = time.perf_counter() - t0
    t = time.perf_counter()
    model = train(from_frames(tr), trees=a.trees)
    t_train = time.perf_counter() - t
    frame_s = 1024 * 0.8 / 1000 / 2.0
    doc = evaluate(model, from_frames(te, "held-out renders"), interval_s=a.per_interval * frame_s)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "train_images": a.train,
        "test_images": a.test,
        "render_seconds": t_render,
        "train_seconds": t_train,
        "loadavg_train": loadavg(),
        "model": model.info,
        "evaluation": doc,
        "throughput": throughput(model, te),
        "mass": calibrated_mass(model, te, a.per_interval),
        "interval": {
            "images": a.per_interval,
            "seconds_of_belt": a.per_interval * frame_s,
            "note": "a 10-minute interval at 2 m/s is ~1,465 frames of 0.82 m",
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, default=float))
    print(
        json.dumps(
            {
                "accuracy": doc["accuracy"],
                "by_group": doc["accuracy_by_group"],
                "count_error": doc["count_error"],
                "images_per_s": result["throughput"]["images_per_s"],
                "mass": result["mass"]["interval_mass_error"],
                "loadavg": loadavg(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
