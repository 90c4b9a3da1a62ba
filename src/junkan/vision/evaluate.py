"""Evaluate a model on annotated images it was not trained on: per-piece confusion matrix over
the sorter groups (and the model's classes), per-group calibration (reliability and expected
calibration error), accuracy by shred size, overlap and dirt where the annotations carry them,
counts and mass against the truth per image and per belt interval, and the sorter document
(confusion matrix with per-row piece counts: its uncertainty) that ``junkan alloy plan
--sorter`` takes.

A segment is matched to the annotated piece that covers most of it (≥ 50 %); each annotated
piece counts once (its largest segment), so a piece merged into another or missed counts as
missed in the confusion matrix. ``count_error`` compares the count model's estimate (the
expected pieces per segment, summed) with the annotated pieces; ``segment_count_error``
the raw number of segments; ``segmentation`` the shares of pieces merged into a neighbour's
segment and of extra fragments (:func:`split_merge`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from junkan.vision.dataset import Dataset
from junkan.vision.materials import GROUPS, group_of
from junkan.vision.model import VisionModel, match, overlap
from junkan.vision.pipeline import (
    FrameTally,
    analyse,
    frame_seconds,
    group_mass_kg,
    intervals,
)

STRATA = {
    "d_eq_mm": (0, 25, 40, 60, 1e9),
    "visible": (0, 0.7, 0.95, 1.01),
    "dirt": (0, 0.05, 0.2, 1.01),
    "grain_mm": (0, 50, 80, 1e9),
}
"""Bins of the attributes accuracy is reported against."""


def _rows(
    model: VisionModel, data: Dataset, progress: Callable[[float], None] | None = None
) -> tuple[list[FrameTally], list[dict[str, Any]], list[dict[str, Any]]]:
    """Per image its tally (what the intervals need: not its pixels or segmentation, so
    memory does not grow with them), one row per annotated piece (matched or not), and per
    image the true and predicted counts and masses; ``progress`` hears the share of images
    done."""
    gm = model.group_matrix()
    results, rows, per_image = [], [], []
    t = 0.0  # the belt's time as `predict` reckons it (junkan.vision.run)
    t0 = next((it.meta.time.timestamp() for it in data.items if it.meta.time), None)
    for k, item in enumerate(data.items):
        if progress is not None:
            progress(k / max(len(data.items), 1))
        img = item.image()
        tm = item.meta.time
        secs = tm.timestamp() - t0 if (tm is not None and t0 is not None) else t
        res = analyse(model, img, item.meta, item.path, secs)
        t = secs + frame_seconds(item.meta, img.shape[0])
        results.append(res.tally())
        truth = item.truth  # a COCO item's is unpacked on each read
        if truth is None:
            continue
        joint = overlap(truth, res.seg)
        m = match(joint)
        best: dict[int, int] = {}
        for s, tp in enumerate(m):
            if tp >= 0 and (tp not in best or res.area_mm2[s] > res.area_mm2[best[tp]]):
                best[tp] = s
        g = res.proba @ gm
        for i, pc in enumerate(item.pieces):
            s = best.get(i, -1)
            rows.append(
                {
                    "true": pc["group"],
                    "pred": GROUPS[int(g[s].argmax())] if s >= 0 else None,
                    "p": g[s] if s >= 0 else None,
                    "d_eq_mm": 2 * np.sqrt(pc.get("area_mm2", 0.0) / np.pi),
                    "visible": pc.get("visible"),
                    "dirt": pc.get("dirt"),
                    "grain_mm": item.meta.grain_mm,
                }
            )
        per_image.append(
            {
                "true": [sum(pc["group"] == c for pc in item.pieces) for c in GROUPS],
                "pred": [int((g.argmax(1) == i).sum()) for i in range(len(GROUPS))],
                "true_mass_kg": [
                    sum(pc.get("mass_g", 0.0) for pc in item.pieces if pc["group"] == c) / 1e3
                    for c in GROUPS
                ],
                "segments": res.seg.count,
                "estimated": float(res.pieces.sum()),
                "pieces": len(item.pieces),
                "split_merge": split_merge(joint),
            }
        )
    return results, rows, per_image


def split_merge(joint: np.ndarray, min_px: int = 20) -> tuple[int, int, int]:
    """From the truth × segment pixel counts (:func:`junkan.vision.model.overlap`): the
    annotated pieces seen (at least ``min_px`` working-scale pixels in segments), those
    *merged* — not the main piece of the segment holding most of them, i.e. lost into a
    neighbour's segment — and the *fragments*: segments of at least ``min_px`` that are not
    the main segment of the piece covering most of them."""
    j = joint[1:, 1:]
    if j.size == 0:
        return 0, 0, 0
    seen = j.sum(axis=1) >= min_px
    owner = j.argmax(axis=1)  # each piece's main segment
    main = j.argmax(axis=0)  # each segment's main piece
    pieces = np.flatnonzero(seen)
    merged = int((main[owner[pieces]] != pieces).sum())
    segs = np.flatnonzero(j.sum(axis=0) >= min_px)
    fragments = int((owner[main[segs]] != segs).sum())
    return int(seen.sum()), merged, fragments


def confusion(rows: list[dict[str, Any]]) -> np.ndarray:
    cm = np.zeros((len(GROUPS), len(GROUPS)), int)
    for r in rows:
        if r["pred"] is not None:
            cm[GROUPS.index(r["true"]), GROUPS.index(r["pred"])] += 1
    return cm


def uncertainty(cm: np.ndarray) -> dict[str, Any]:
    """Per cell: the Dirichlet posterior of each row (counts + ½, Jeffreys) — mean and
    5–95 % band of its Beta marginal."""
    a = cm + 0.5
    tot = a.sum(axis=1, keepdims=True)
    lo = stats.beta.ppf(0.05, a, tot - a)
    hi = stats.beta.ppf(0.95, a, tot - a)
    return {
        "mean": (a / tot).round(4).tolist(),
        "p5": lo.round(4).tolist(),
        "p95": hi.round(4).tolist(),
    }


def reliability(rows: list[dict[str, Any]], bins: int = 10) -> dict[str, Any]:
    """Per group (one-vs-rest): mean predicted probability and observed frequency per bin,
    and the expected calibration error."""
    done = [r for r in rows if r["p"] is not None]
    out = {}
    for i, g in enumerate(GROUPS):
        p = np.array([r["p"][i] for r in done])
        y = np.array([r["true"] == g for r in done], float)
        idx = np.minimum((p * bins).astype(int), bins - 1)
        table, ece = [], 0.0
        for b in range(bins):
            sel = idx == b
            if sel.any():
                table.append(
                    {
                        "bin": [b / bins, (b + 1) / bins],
                        "n": int(sel.sum()),
                        "predicted": float(p[sel].mean()),
                        "observed": float(y[sel].mean()),
                    }
                )
                ece += sel.sum() / max(len(p), 1) * abs(p[sel].mean() - y[sel].mean())
        out[g] = {"ece": float(ece), "bins": table}
    return out


def by_stratum(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Accuracy (missed pieces count as wrong) per bin of each attribute present."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, edges in STRATA.items():
        vals = [(r[key], r["pred"] == r["true"]) for r in rows if r.get(key) is not None]
        if not vals:
            continue
        v = np.array([x for x, _ in vals], float)
        ok = np.array([c for _, c in vals], float)
        out[key] = [
            {
                "range": [edges[b], edges[b + 1] if edges[b + 1] < 1e8 else None],
                "pieces": int(sel.sum()),
                "accuracy": float(ok[sel].mean()),
            }
            for b in range(len(edges) - 1)
            if (sel := (v >= edges[b]) & (v < edges[b + 1])).any()
        ]
    return out


def sorter_document(model: VisionModel, cm: np.ndarray, source: str) -> dict[str, Any] | None:
    """The confusion matrix as ``junkan.alloys.Sorter`` takes it, or None when a group has
    fewer than 10 evaluated pieces (too few to give a row)."""
    n = cm.sum(axis=1)
    if (n < 10).any():
        return None
    rows = (cm + 0.5) / (cm + 0.5).sum(axis=1, keepdims=True)
    rows = np.round(rows, 6)
    rows[:, -1] = 1 - rows[:, :-1].sum(axis=1)
    return {
        "name": f"junkan vision model {model.version}",
        "source": f"junkan vision evaluate on {source} ({int(n.sum())} pieces)",
        "pieces_tested": int(n.min()),
        "row_pieces": {g: int(v) for g, v in zip(GROUPS, n, strict=True)},
        "matrix": {g: rows[i].tolist() for i, g in enumerate(GROUPS)},
    }


def _interval_errors(
    model: VisionModel,
    results: list[FrameTally],
    per_image: list[dict[str, Any]],
    interval_s: float,
) -> list[dict[str, Any]]:
    k = np.array(model.calibration["mean"])
    ivs = intervals(model, results, interval_s)
    # the interval of each image as :func:`intervals` reckons it (comparing the seconds with
    # start_s and end_s left out an image whose time rounds across a bound, e.g. 452.1 s / 3.3)
    keys = [int(r.seconds // interval_s) for r in results]
    out = []
    for iv in ivs:
        key = round(iv["start_s"] / interval_s)
        idx = [i for i, kk in enumerate(keys) if kk == key and i < len(per_image)]
        if not idx:
            continue
        true_n = np.sum([per_image[i]["true"] for i in idx], axis=0)
        true_m = np.sum([per_image[i]["true_mass_kg"] for i in idx], axis=0)
        est_m = group_mass_kg(model, [results[i] for i in idx]) * k
        est_n = np.array([iv["count"][g]["mean"] for g in GROUPS])
        out.append(
            {
                "start_s": iv["start_s"],
                "images": len(idx),
                "count_error": float(est_n.sum() / max(true_n.sum(), 1) - 1),
                "count_error_by_group": {
                    g: float(est_n[i] / max(true_n[i], 1) - 1) for i, g in enumerate(GROUPS)
                },
                "mass_error_by_group": {
                    g: float(est_m[i] / true_m[i] - 1)
                    for i, g in enumerate(GROUPS)
                    if true_m[i] > 0
                },
                "true_count": true_n.tolist(),
                "true_mass_kg": true_m.round(3).tolist(),
            }
        )
    return out


def _segmentation(per_image: list[dict[str, Any]]) -> dict[str, float]:
    """Shares of the seen annotated pieces merged into a neighbour's segment and of extra
    fragments (see :func:`split_merge`), over all images."""
    seen, merged, frags = (sum(p["split_merge"][k] for p in per_image) for k in range(3))
    return {
        "pieces_seen": seen,
        "merged_share": merged / max(seen, 1),
        "fragment_share": frags / max(seen, 1),
    }


def evaluate(
    model: VisionModel,
    data: Dataset,
    interval_s: float = 600.0,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """The evaluation document (see the module docstring); ``progress`` (optional) hears
    the share of images analysed, 0 … 1."""
    for pc in (pc for it in data.items for pc in it.pieces):
        group_of(pc["group"])
    results, rows, per_image = _rows(model, data, progress)
    if not rows:
        raise ValueError(
            f"{data.source}: no annotated pieces to evaluate against (give COCO "
            "annotations or rendered frames)"
        )
    cm = confusion(rows)
    matched = cm.sum()
    n_true = sum(p["pieces"] for p in per_image)
    n_seg = sum(p["segments"] for p in per_image)
    n_est = sum(p["estimated"] for p in per_image)
    return {
        "model": model.version,
        "data": data.source,
        "data_sha256": data.digest,
        "images": len(data.items),
        "pieces": n_true,
        "matched": int(matched),
        "segments": n_seg,
        "estimated_pieces": n_est,
        "count_error": n_est / max(n_true, 1) - 1,
        "segment_count_error": n_seg / max(n_true, 1) - 1,
        "segmentation": _segmentation(per_image),
        "accuracy": float(np.trace(cm) / max(matched, 1)),
        "accuracy_by_group": {
            g: float(cm[i, i] / max(cm[i].sum(), 1)) for i, g in enumerate(GROUPS)
        },
        "groups": list(GROUPS),
        "confusion": cm.tolist(),
        "confusion_uncertainty": uncertainty(cm),
        "calibration": reliability(rows),
        "by": by_stratum(rows),
        "intervals": _interval_errors(model, results, per_image, interval_s),
        "sorter": sorter_document(model, cm, data.source),
    }
