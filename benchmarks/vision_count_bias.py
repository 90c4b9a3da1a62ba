"""Why a group's corrected count is biased, measured on held-out renders (issue 21): the count
bias of each group split by cause.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vision_count_bias.py [--model-file M.json]
        [--sets 90000:90,200000:90,...] [--out benchmarks/results/vision_count_bias.json]

Trains the benchmark's model (``benchmarks/vision_bench.py``: 120 renders from seed 10,000,
250 trees) unless ``--model-file`` is given, then on the held-out sets (the bench's seven by
default, rendered in the bench's chunks) counts every frame's pieces per group two ways: with
the final models (the counts until 2026-12-02) and with the fold pipelines
(:mod:`junkan.vision.count_folds`), each corrected by the model's matrix ``A``. Reported, over
all the frames pooled and per set:

- the annotated pieces per group and the share not seen at all (segmentation losses), in the
  held-out frames and (from the model's training) in the training renders;
- the corrected count's relative error with each counter;
- the matrix each counter has on the held-out frames (:func:`junkan.vision.group_counts.coupling`
  of its outputs against the annotated pieces) and its difference to ``A``; and the share of
  each entry of that difference in each group's error: ``T̂ − T = A⁻¹ (A_test − A) T``;
- per material: pieces, not seen, merged with others (their segment holds more than one
  piece) and in a segment whose most probable group is the piece's own;
- per shred size (the renders' ``grain_mm``; since 2026-12-02): the same errors and matrices
  over the frames of each size (``by_grain``) — until the count models saw their image's
  context (:mod:`junkan.vision.context`) they were ±13 % for "other";
- the calibration sd of the model's correction (``A`` measured on 120 images;
  :func:`junkan.vision.group_counts.calibration_sd`).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from junkan.vision import GROUPS, from_frames, load, train  # noqa: E402
from junkan.vision.counting import correct, group_shares  # noqa: E402
from junkan.vision.features import features  # noqa: E402
from junkan.vision.group_counts import coupling  # noqa: E402
from junkan.vision.materials import group_of  # noqa: E402
from junkan.vision.segment import segment  # noqa: E402
from junkan.vision.truth import overlap, pieces_per_segment  # noqa: E402
from vision_bench import RESULTS, frames, loadavg  # noqa: E402

SETS = "90000:90,200000:90,300000:90,400000:160,500000:160,600000:160,700000:160"


def frame_rows(model: Any, final: Any, f: Any) -> dict[str, Any]:
    """One frame's segments: pieces per group by the folds and by the final models, the
    annotated pieces per segment and group, and per annotated piece its fate."""
    seg = segment(f.image, 0.8, model.segment)
    x = features(seg)
    p = model.classify(seg, x)
    pg, pieces = p @ model.group_matrix(), model.pieces(x)
    joint = overlap(f.labels, seg)
    n, _ = pieces_per_segment(joint)
    w, tg = group_shares(f.labels, seg, [pc["material"] for pc in f.pieces])
    inner = joint[1:, 1:]
    owner = np.where(inner.sum(1) > 0, inner.argmax(1) if inner.shape[1] else 0, -1)
    fate = [
        (pc["material"], o < 0, o >= 0 and n[o] > 1,
         o >= 0 and GROUPS[int(pg[o].argmax())] == group_of(pc["material"]))
        for pc, o in zip(f.pieces, owner, strict=True)
    ]
    return {"folds": model.group_pieces(x, pg, pieces), "final": final.group_pieces(x, pg, pieces),
            "target": n[:, None] * w, "shares": w, "totals": tg, "fate": fate,
            "grain": float(f.meta.get("grain_mm", 0.0))}


def decompose(rows: list[dict[str, Any]], a: np.ndarray) -> dict[str, Any]:
    """Pooled errors and the matrix decomposition for one list of frames."""
    t = np.sum([r["totals"] for r in rows], axis=0)
    tgt, w = np.vstack([r["target"] for r in rows]), np.vstack([r["shares"] for r in rows])
    out: dict[str, Any] = {"annotated": dict(zip(GROUPS, t.tolist(), strict=True))}
    a_inv = np.linalg.inv(a)
    for name in ("final", "folds"):
        n = np.vstack([r[name] for r in rows])
        est = correct(n.sum(axis=0), a)
        a_test = coupling(n, tgt, w, t)
        share = a_inv[:, :, None] * (a_test - a)[None, :, :] * t[None, None, :] / t[:, None, None]
        out[name] = {
            "corrected_error": dict(zip(GROUPS, (est / t - 1).tolist(), strict=True)),
            "raw_error": dict(zip(GROUPS, (n.sum(0) / t - 1).tolist(), strict=True)),
            "matrix_held_out": np.round(a_test, 5).tolist(),
            "matrix_minus_A": np.round(a_test - a, 5).tolist(),
            "error_by_entry": {g: np.round(share[i], 5).tolist() for i, g in enumerate(GROUPS)},
        }
    return out


def by_material(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    acc: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    for r in rows:
        for m, unseen, merged, right in r["fate"]:
            acc[m].append((unseen, merged, right))
    out = {}
    for m, v in sorted(acc.items()):
        a = np.array(v, bool)
        seen = ~a[:, 0]
        out[m] = {"group": group_of(m), "pieces": int(len(a)), "unseen": float(a[:, 0].mean()),
                  "merged_of_seen": float(a[seen, 1].mean()),
                  "own_group_of_seen": float(a[seen, 2].mean())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-file", type=Path, help="a trained model (else the bench's is trained)")
    ap.add_argument("--save-model", type=Path, help="write the trained model here")
    ap.add_argument("--sets", default=SETS, help="first seed:frames of each held-out set")
    ap.add_argument("--out", type=Path, default=RESULTS / "vision_count_bias.json")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    t0, c0, la0 = time.perf_counter(), time.process_time(), loadavg()
    if a.model_file:
        model = load(a.model_file)
    else:
        model = train(from_frames(frames(120, 10_000)), trees=250)
        if a.save_model:
            model.save(a.save_model)
    if not model.count_folds or model.count_correction is None:
        raise SystemExit("the model has no fold pipelines or no count correction")
    final = replace(model, count_folds=[])
    rows: list[dict[str, Any]] = []
    for spec in a.sets.split(","):
        s0, n = (int(v) for v in spec.split(":"))
        chunk = 30 if n % 30 == 0 and n <= 90 else 20  # the bench's held-out / count sets
        for k in range(0, n, chunk):
            rows += [{"set": s0, **frame_rows(model, final, f)} for f in frames(chunk, s0 + k)]
    info = model.info["count_correction"]
    a_mat = model.count_correction
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "sets": a.sets,
        "frames": len(rows),
        "A": np.round(a_mat, 5).tolist(),
        "calibration_sd": info.get("calibration_sd"),
        "training_unseen": model.info["count_model"].get("pieces_unseen"),
        "pooled": decompose(rows, a_mat),
        "by_set": {s: decompose([r for r in rows if r["set"] == s], a_mat)
                   for s in sorted({r["set"] for r in rows})},
        "by_material": by_material(rows),
        "by_grain": {g: decompose([r for r in rows if r["grain"] == g], a_mat)
                     for g in sorted({r["grain"] for r in rows})},
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "loadavg": [la0, loadavg()],
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1, default=float))
    p = result["pooled"]
    print(json.dumps({k: p[k]["corrected_error"] for k in ("final", "folds")}, indent=1))


if __name__ == "__main__":
    main()
