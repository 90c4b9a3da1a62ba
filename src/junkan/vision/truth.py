"""Match a segmentation to the annotated pieces: the truth × segment pixel counts, which
annotated piece each segment shows, and how many pieces each segment holds (what training
and evaluation compare the pipeline with)."""

from __future__ import annotations

import numpy as np

from junkan.vision.segment import Segments


def overlap(truth: np.ndarray, seg: Segments) -> np.ndarray:
    """(truths + 1, segments + 1) pixel counts of truth label × segment label at the working
    scale (truth reduced by taking every ``scale``-th pixel)."""
    s = max(1, int(round(truth.shape[1] / max(seg.labels.shape[1], 1))))
    t = truth[::s, ::s][: seg.labels.shape[0], : seg.labels.shape[1]]
    n_t = int(truth.max()) + 1
    n_p = seg.count + 1
    joint = np.bincount(
        (t.astype(np.int64) * n_p + seg.labels[: t.shape[0], : t.shape[1]]).ravel(),
        minlength=n_t * n_p,
    )
    return joint.reshape(n_t, n_p)


def match(joint: np.ndarray, purity: float = 0.5) -> np.ndarray:
    """(segments,) the truth piece index (0-based) each segment belongs to — the one that
    covers most of it, if at least ``purity`` of it — else −1."""
    seg_px = joint.sum(axis=0)[1:]
    best = joint[1:, 1:].argmax(axis=0) if joint.shape[0] > 1 else np.zeros(0, int)
    if best.size == 0:
        return -np.ones(joint.shape[1] - 1, int)
    share = joint[1:, 1:][best, np.arange(best.size)] / np.maximum(seg_px, 1)
    return np.where(share >= purity, best, -1)


def pieces_per_segment(joint: np.ndarray) -> tuple[np.ndarray, int]:
    """(segments,) how many annotated pieces have most of their seen pixels in each segment,
    and how many annotated pieces were not seen at all (hidden, or missed as belt)."""
    seen = joint[1:, 1:].sum(axis=1)
    owner = joint[1:, 1:].argmax(axis=1) if joint.shape[1] > 1 else np.zeros(0, int)
    ok = seen > 0
    n = np.bincount(owner[ok], minlength=joint.shape[1] - 1)[: joint.shape[1] - 1]
    return n.astype(float), int((~ok).sum())
