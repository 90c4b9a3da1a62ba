"""Vision benchmark (issue 21) on held-out synthetic belt frames: per-piece accuracy by group
with the confusion matrix and calibration, accuracy by shred size / overlap / dirt, counts and
(count model) and mass per belt interval (the mass scale calibrated, leaving each interval
out, on the sorted-bin weighings of the other frames), and images per second of
1,280 × 1,024 with ~50 pieces on one thread.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vision_bench.py [--train 120 --test 90]
        [--model boosted|cnn] [--seeds 90000,200000,300000]
        [--count-seeds 400000,500000 --count-test 200]

``--seeds`` gives the first seed of each held-out set (``--test`` frames each, never the
training seeds 10,000 …): accuracy and counts are reported per set, so that a figure is not
one seed's luck. Count errors per interval are over full intervals only, with the band
projected to a 10-minute interval as for mass. Per-group counts come from the group count
model and its adjusted count (:mod:`junkan.vision.group_counts`, 2026-12-02), made with the
fold pipelines the correction was measured on (:mod:`junkan.vision.count_folds`, since the
evening of 2026-12-02); the model's ``count_correction`` info gives the matrix, the
segment-level one it replaced and the correction's calibration sd per group (the error all
intervals share because ``A`` is measured on 120 renders). ``benchmarks/vision_count_bias.py``
splits a group's count error by cause.

Four 20-frame intervals per set cannot settle a ±3 % band (the per-interval sd is 1–5 %), so
each band comes with the standard error of its ends (:func:`band`) and a verdict — ``met``,
``not met`` or ``not settled`` — and ``--count-seeds`` adds further held-out sets of
``--count-test`` frames evaluated for counts only; ``counts_pooled`` gives the bands over the
intervals of all sets together (2026-12-02). Frames cycle through the shred sizes 45, 65 and
90 mm (:data:`GRAINS`); the count sets are rendered in chunks of ``--per-interval`` frames that
each start at 45 mm, so with 20 their intervals hold 7 : 7 : 6 frames of the three sizes
against 1 : 1 : 1 in training — until the count models saw their image's context
(:mod:`junkan.vision.context`, 2026-12-02) that alone took 0.6 point off "other"
(``docs/vision.md``, "Shred size").

The model has 250 trees (``--trees``; ``vision train`` defaults to 120: on these renders 250
gave 94.7 % against 94.3 % with the six texture features tried then, 2026-12-01). The
evaluation reports the segmentation's merged and fragment shares against the renderer's
masks (``segmentation``).

Writes benchmarks/results/vision.json. Timings are wall clock on a shared machine, with the
load average recorded beside them, and process CPU time (what one free core would take)."""

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
RESULTS = Path(__file__).parent / "results"


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def frames(n: int, seed: int) -> list:  # type: ignore[type-arg]
    return [render(RenderSpec(grain_mm=GRAINS[i % len(GRAINS)]), seed=seed + i) for i in range(n)]


def throughput(model, test) -> dict:  # type: ignore[no-untyped-def]
    meta = ImageMeta(mm_per_px=0.8)
    analyse(model, test[0].image, meta)
    la0 = loadavg()
    t, c = time.perf_counter(), time.process_time()
    for f in test[:30]:
        analyse(model, f.image, meta)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    n = min(30, len(test))
    return {
        "images": n,
        "seconds": dt,
        "images_per_s": n / dt,
        "cpu_seconds": cpu,
        "images_per_cpu_s": n / cpu,
        "pieces_per_image": float(np.mean([len(f.pieces) for f in test[:n]])),
        "size": "1280x1024",
        "threads": 1,
        "loadavg_before": la0,
        "loadavg_after": loadavg(),
    }


def _true_mass(frames: list, g: str) -> float:  # type: ignore[type-arg]
    return sum(p["mass_g"] for f in frames for p in f.pieces if p["group"] == g) / 1e3


def calibrate(model, res, test, frames: list[int]) -> dict:  # type: ignore[no-untyped-def]
    """The mass calibration after weighing, every 10 of ``frames``, each sorted bin (the
    pieces the model put in a group; its true mass per group, sd 1 %)."""
    cal = model.calibration
    for s in range(0, len(frames) - 9, 10):
        chunk = frames[s : s + 10]
        rs = [res[i] for i in chunk]
        h = group_mass_kg(model, rs)
        for g in range(len(GROUPS)):
            true = _true_mass([test[i] for i in chunk], GROUPS[g])
            hg = np.zeros(len(GROUPS))
            hg[g] = h[g]
            cal = weigh(cal, hg, true, 0.01 * true + 1e-6, scatter(model, rs, g))
    return cal


def calibrated_mass(model, res, test, per: int) -> dict:  # type: ignore[no-untyped-def]
    """Leave one interval out: for each interval of ``per`` frames, calibrate the mass scale
    on the sorted-bin weighings of all the other frames, then compare the interval's mass
    per group with the truth. Reported: per interval, the mean (the bias) and the spread,
    and the band projected to a 10-minute interval (1,465 frames: random errors shrink with
    √frames, the bias does not)."""
    out, cals = [], []
    for s in range(0, len(test) - per + 1, per):
        others = [i for i in range(len(test)) if not s <= i < s + per]
        cal = calibrate(model, res, test, others)
        cals.append(cal["mean"])
        est = group_mass_kg(model, res[s : s + per]) * np.array(cal["mean"])
        true = np.array([_true_mass(test[s : s + per], g) for g in GROUPS])
        out.append({g: float(est[i] / true[i] - 1) for i, g in enumerate(GROUPS)})
    bias = {g: float(np.mean([o[g] for o in out])) for g in GROUPS}
    sd = {g: float(np.std([o[g] for o in out], ddof=1)) for g in GROUPS}
    shrink = np.sqrt(per / (600 * 2.0 / (1024 * 0.8 / 1000)))
    return {
        "method": "leave one interval out; calibration on the other frames' bin weighings",
        "interval_frames": per,
        "calibration_means": cals,
        "interval_mass_error": out,
        "mean_error": bias,
        "interval_sd": sd,
        "projected_10min_band": {
            g: [bias[g] - 2 * sd[g] * shrink, bias[g] + 2 * sd[g] * shrink] for g in GROUPS
        },
    }


SHRINK = float(np.sqrt(1 / (600 * 2.0 / (1024 * 0.8 / 1000))))
"""√(1 / frames of a 10-minute interval): random per-frame errors shrink with √frames."""

BAND = 0.03
"""The target: counts per group within ±3 % per 10-minute interval."""


def band(errs: list[float], per: int) -> dict:  # type: ignore[type-arg]
    """The band mean ± 2 sd projected to a 10-minute interval from the count errors of
    ``len(errs)`` intervals of ``per`` frames, with the standard error of its ends (of the
    mean, sd/√n, and of the sd, sd/√(2(n − 1)), propagated), and whether ±3 % is met: ``met``
    when both ends lie inside ±3 % by two standard errors, ``not met`` when one end lies
    outside by two, else ``not settled`` (too few intervals to tell)."""
    e = np.asarray(errs, float)
    n = len(e)
    if n < 2:
        return {"intervals": n}
    mean, sd = float(e.mean()), float(e.std(ddof=1))
    k = 2 * SHRINK * np.sqrt(per)
    se_mean, se_sd = sd / np.sqrt(n), sd / np.sqrt(2 * (n - 1))
    se_end = float(np.hypot(se_mean, k * se_sd))
    lo, hi = mean - k * sd, mean + k * sd
    inside = lo - 2 * se_end >= -BAND and hi + 2 * se_end <= BAND
    outside = lo + 2 * se_end < -BAND or hi - 2 * se_end > BAND
    return {
        "intervals": n,
        "mean": mean,
        "mean_se": float(se_mean),
        "sd": sd,
        "band_10min": [float(lo), float(hi)],
        "band_end_se": se_end,
        "target_3pct": "met" if inside else "not met" if outside else "not settled",
    }


def _full(doc: dict, per: int) -> list[dict]:  # type: ignore[type-arg]
    return [iv for iv in doc["intervals"] if iv["images"] >= 0.9 * per]  # ± a frame at edges


def counts_by_interval(doc: dict, per: int) -> dict:  # type: ignore[type-arg]
    """Count errors of the full intervals of ``per`` frames, their mean and spread, and the
    band projected to a 10-minute interval (1,465 frames) as for mass: in total and per group
    (the per-group counts are the corrected ones, :mod:`junkan.vision.counting`), each band
    with its standard error (:func:`band`)."""
    full = _full(doc, per)
    errs = [iv["count_error"] for iv in full]
    by_group = {g: [iv["count_error_by_group"][g] for iv in full] for g in GROUPS}
    bands = {g: band(v, per) for g, v in by_group.items()}
    ok = {g: b for g, b in bands.items() if "sd" in b}
    total = band(errs, per)
    return {
        "interval_errors": errs,
        "interval_errors_by_group": by_group,
        "by_group_mean": {g: b["mean"] for g, b in ok.items()},
        "by_group_sd": {g: b["sd"] for g, b in ok.items()},
        "by_group_10min_band": {g: b["band_10min"] for g, b in ok.items()},
        "by_group_band": bands,
        "mean": total.get("mean", float("nan")),
        "sd": total.get("sd", float("nan")),
        "projected_10min_band": total.get("band_10min", [float("nan")] * 2),
        "band": total,
    }


def pooled(sets: list[dict], per: int) -> dict:  # type: ignore[type-arg]
    """The count bands over the full intervals of all held-out sets together."""
    errs = {g: [e for s in sets for e in s["interval_errors_by_group"][g]] for g in GROUPS}
    return {
        "sets": len(sets),
        "by_group_band": {g: band(v, per) for g, v in errs.items()},
        "band": band([e for s in sets for e in s["interval_errors"]], per),
    }


def count_sets(model, seeds: list[int], n: int, per: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Counts only (no throughput, mass or calibration) on further held-out sets of ``n``
    frames each, rendered and evaluated in chunks of ``per`` frames so that memory stays
    that of one interval."""
    out = []
    frame_s = 1024 * 0.8 / 1000 / 2.0
    for s in seeds:
        full: list[dict] = []
        for k in range(0, n - per + 1, per):
            doc = evaluate(
                model,
                from_frames(frames(per, s + k), f"held-out renders from seed {s + k}"),
                interval_s=per * frame_s,
            )
            full += _full(doc, per)
        c = counts_by_interval({"intervals": full}, per)
        out.append({"seed": s, "frames": n, **c})
    return out


def held_out(model, seeds: list[int], n: int, per: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Accuracy, calibration and counts on each held-out set of ``n`` frames."""
    out = []
    for s in seeds:
        doc = evaluate(
            model,
            from_frames(frames(n, s), f"held-out renders from seed {s}"),
            interval_s=per * 1024 * 0.8 / 1000 / 2.0,
        )
        out.append(
            {
                "seed": s,
                "accuracy": doc["accuracy"],
                "by_group": doc["accuracy_by_group"],
                "confusion": doc["confusion"],
                "ece": {g: doc["calibration"][g]["ece"] for g in GROUPS},
                "count_error": doc["count_error"],
                "counts_by_interval": counts_by_interval(doc, per),
                "segmentation": doc["segmentation"],
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=120)
    ap.add_argument("--test", type=int, default=90)
    ap.add_argument("--per-interval", type=int, default=20)
    ap.add_argument("--trees", type=int, default=250)
    ap.add_argument("--model", choices=("boosted", "cnn"), default="boosted")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", default="200000,300000", help="further held-out sets")
    ap.add_argument("--count-seeds", default="", help="further held-out sets for counts only")
    ap.add_argument("--count-test", type=int, default=200, help="frames of each count set")
    ap.add_argument("--out", type=Path, help="results file (default benchmarks/results/)")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    t0 = time.perf_counter()
    tr = frames(a.train, 10_000)
    te = frames(a.test, 90_000)
    t_render = time.perf_counter() - t0
    t = time.perf_counter()
    model = train(from_frames(tr), trees=a.trees, kind=a.model, epochs=a.epochs)
    t_train = time.perf_counter() - t
    frame_s = 1024 * 0.8 / 1000 / 2.0
    meta = ImageMeta(mm_per_px=0.8)
    doc = evaluate(model, from_frames(te, "held-out renders"), interval_s=a.per_interval * frame_s)
    seeds = [int(v) for v in a.seeds.split(",") if v.strip()]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "train_images": a.train,
        "test_images": a.test,
        "render_seconds": t_render,
        "train_seconds": t_train,
        "loadavg_train": loadavg(),
        "model": model.info,
        "evaluation": doc,
        "counts_by_interval": counts_by_interval(doc, a.per_interval),
        "other_held_out": held_out(model, seeds, a.test, a.per_interval),
        "throughput": throughput(model, te),
        "mass": calibrated_mass(
            model, [analyse(model, f.image, meta) for f in te], te, a.per_interval
        ),
        "interval": {
            "images": a.per_interval,
            "seconds_of_belt": a.per_interval * frame_s,
            "note": "a 10-minute interval at 2 m/s is ~1,465 frames of 0.82 m",
        },
    }
    out = a.out or RESULTS / ("vision.json" if a.model == "boosted" else f"vision_{a.model}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    sets = [result["counts_by_interval"]]
    sets += [h["counts_by_interval"] for h in result["other_held_out"]]
    result["count_sets"] = []
    for s in [None] + [int(v) for v in a.count_seeds.split(",") if v.strip()]:
        if s is not None:  # one set at a time, written as it is done
            result["count_sets"] += count_sets(model, [s], a.count_test, a.per_interval)
        result["counts_pooled"] = pooled(sets + result["count_sets"], a.per_interval)
        out.write_text(json.dumps(result, indent=1, default=float))
    print(
        json.dumps(
            {
                "accuracy": doc["accuracy"],
                "by_group": doc["accuracy_by_group"],
                "count_error": doc["count_error"],
                "segment_count_error": doc["segment_count_error"],
                "counts_by_interval": result["counts_by_interval"],
                "other_held_out": [
                    {k: h[k] for k in ("seed", "accuracy", "by_group", "count_error")}
                    for h in result["other_held_out"]
                ],
                "segmentation": doc["segmentation"],
                "counts_pooled": result["counts_pooled"],
                "images_per_s": result["throughput"]["images_per_s"],
                "images_per_cpu_s": result["throughput"]["images_per_cpu_s"],
                "mass_mean_error": result["mass"]["mean_error"],
                "mass_interval_sd": result["mass"]["interval_sd"],
                "mass_10min_band": result["mass"]["projected_10min_band"],
                "loadavg": loadavg(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
