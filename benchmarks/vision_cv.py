"""Choose the boosted piece classifier's settings (issue 21) by cross-validation on the
benchmark's *training* renders only (seeds 10,000 …; the held-out seeds 90,000, 200,000 and
300,000 are never rendered here).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vision_cv.py [--train 120 --folds 4]
        [--rows rows.npz]

Rows are the segmented, annotated pieces of the training renders with the join model fitted
on them, as ``vision train`` makes them. Folds group whole images (pieces of one frame share
its lighting and dirt). For each setting of scikit-learn's ``HistGradientBoostingClassifier``
— class weights none or balanced, leaves per tree — and (``--baseline``) the classifier used
before, the group accuracy
(wrought/cast/copper/other, what the benchmark's target measures) of the out-of-fold
predictions is reported after 100 … ``--iters`` iterations (``staged_predict_proba``), with
the fit's CPU seconds. ``--rows`` keeps the rows in a file to run again without rendering;
``--drop`` leaves named features out (an ablation: the same rows without them), e.g. the six
absolute texture amplitudes added on 2026-12-02::

    --drop streak_abs,iso_abs,fine_abs,band_abs,streak_clean,iso_clean

``--fit-share 0.8`` fits each fold on 80 % of its training images (what the former 20 %
calibration split cost: 94.39 % against 94.75 % with all, 2026-12-02).
Writes benchmarks/results/vision_cv.json."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from junkan.vision import RenderSpec, from_frames, render  # noqa: E402
from junkan.vision.features import FEATURES  # noqa: E402
from junkan.vision.materials import group_of  # noqa: E402
from junkan.vision.model import _join_params, item_rows  # noqa: E402
from junkan.vision.segment import SegmentParams  # noqa: E402

GRAINS = (45.0, 65.0, 90.0)
RESULTS = Path(__file__).parent / "results"


def rows(n: int, cache: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, material labels and image index of the pieces of ``n`` training renders."""
    if cache is not None and cache.is_file():
        d = np.load(cache, allow_pickle=False)
        return d["x"], d["y"], d["g"]
    frames = [render(RenderSpec(grain_mm=GRAINS[i % 3]), seed=10_000 + i) for i in range(n)]
    data = from_frames(frames)
    params, _ = _join_params(data, SegmentParams())
    xs, ys, gs = [], [], []
    for k, item in enumerate(data.items):
        x, lab, _seg, _n, _u = item_rows(item, params)
        keep = [i for i, v in enumerate(lab) if v]
        xs.append(x[keep])
        ys += [lab[i] for i in keep]
        gs += [k] * len(keep)
    x, y, g = np.vstack(xs), np.array(ys), np.array(gs)
    if cache is not None:
        np.savez(cache, x=x, y=y, g=g)
    return x, y, g


def _classifier(cw: str | None, leaves: int | None, iters: int, rate: float) -> Any:
    """Histogram boosting with ``leaves`` leaves per tree, or (``None``) the baseline."""
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier

    if leaves is None:
        return GradientBoostingClassifier(
            n_estimators=min(iters, 250),
            max_depth=3,
            learning_rate=0.15,
            subsample=0.7,
            max_features=0.6,
            random_state=0,
        )
    return HistGradientBoostingClassifier(
        max_iter=iters,
        max_leaf_nodes=leaves,
        learning_rate=rate,
        class_weight=cw,
        early_stopping=False,
        random_state=0,
    )


def main() -> None:
    from sklearn.model_selection import GroupKFold

    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=int, default=120)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--leaves", default="15,31", help="leaves per tree to try ('' none)")
    ap.add_argument("--weights", default="none,balanced", help="class weights to try")
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="also the classifier used before 2026-12-01: GradientBoostingClassifier, 250 "
        "depth-3 trees, learning rate 0.15, subsample 0.7, max_features 0.6",
    )
    ap.add_argument("--learning-rate", type=float, default=0.1)
    ap.add_argument(
        "--fit-share",
        type=float,
        default=1.0,
        help="fit each fold on this share of its training images (drawn at random, seed 1): "
        "what holding out a calibration split costs",
    )
    ap.add_argument("--rows", type=Path, help="cache of the training rows (.npz)")
    ap.add_argument("--drop", default="", help="features to leave out, comma-separated")
    ap.add_argument("--out", type=Path, default=RESULTS / "vision_cv.json")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    x, y, g = rows(a.train, a.rows)
    drop = [f for f in a.drop.split(",") if f]
    unknown = sorted(set(drop) - set(FEATURES))
    if unknown or x.shape[1] != len(FEATURES):
        ap.error(f"--drop: unknown features {unknown}" if unknown else
                 f"{a.rows}: rows of {x.shape[1]} features, this junkan computes {len(FEATURES)}")
    x = x[:, [i for i, f in enumerate(FEATURES) if f not in drop]]
    classes = np.unique(y)
    yi = np.searchsorted(classes, y)
    group = np.array([group_of(str(c)) for c in classes])
    stages = [s for s in (100, 150, 200, 250, 300, 400) if s <= a.iters]
    out = []
    weights = [None if w == "none" else w for w in a.weights.split(",") if w]
    grid: list[tuple[str | None, int | None]] = [
        (w, int(n)) for w in weights for n in a.leaves.split(",") if n
    ]
    for cw, leaves in grid + ([(None, None)] if a.baseline else []):
        hits = {s: 0 for s in stages}
        cpu = 0.0
        rng = np.random.default_rng(1)
        for tr, te in GroupKFold(a.folds).split(x, yi, g):
            if a.fit_share < 1:
                imgs = np.unique(g[tr])
                tr = tr[np.isin(g[tr], rng.choice(imgs, int(len(imgs) * a.fit_share), False))]
            clf = _classifier(cw, leaves, a.iters, a.learning_rate)
            t = time.process_time()
            clf.fit(x[tr], yi[tr])
            cpu += time.process_time() - t
            fitted = int(getattr(clf, "n_iter_", 0) or clf.n_estimators_)
            for s, p in enumerate(clf.staged_predict_proba(x[te]), start=1):
                if s in hits:
                    hits[s] += int((group[p.argmax(1)] == group[yi[te]]).sum())
        res = {
            "classifier": type(clf).__name__,
            "class_weight": cw,
            "max_leaf_nodes": leaves,
            "learning_rate": a.learning_rate if leaves else 0.15,
            "group_accuracy": {s: hits[s] / len(y) for s in stages if s <= fitted},
            "fit_cpu_seconds_per_fold": cpu / a.folds,
        }
        print(json.dumps(res), flush=True)
        out.append(res)
    doc = {
        "date": time.strftime("%Y-%m-%d"),
        "train_images": a.train,
        "training_seeds": f"10000 … {10_000 + a.train - 1}",
        "pieces": int(len(y)),
        "folds": a.folds,
        "features_dropped": drop,
        "fit_share": a.fit_share,
        "results": out,
        "loadavg": [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]],
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
