"""Event metrics for detectors on labelled recordings. Never point-adjusted F1 (it reports
0.95 where the unadjusted figure is 0.02; thuml/Anomaly-Transformer issue 34).

* event-wise precision / recall / F1: an event is detected when an alarm interval overlaps
  ``[onset, end + grace]``; an alarm overlapping no anomaly window is a false positive
  (alarms during sensor faults are counted apart, as the monitor flags the sensor);
* detection latency from the physical onset and from when the sensor could first show the
  event (``observable_s``: the gas sensor's own lag removed);
* false alarms per hour of normal running;
* NAB score (Lavin & Ahmad 2015; numenta/NAB ``sweeper.py``): windows of 10 % of the series
  split across the anomalies, scaled sigmoid reward for the first detection in a window,
  weighted penalties for false positives and misses, normalised so the null detector
  scores 0 and a perfect one 100. The probationary period is not applied;
* VUS-PR (Paparrizos et al., PVLDB 2022): the area under the range-aware precision–recall
  curve, averaged over buffer lengths 0…``max_buffer`` (soft labels ``sqrt(1 − d/ℓ)`` in
  the buffer; positives counted as in TSB-UAD's range-AUC); the existence reward is left
  out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PROFILES = {
    "standard": (1.0, 0.11, 1.0),
    "reward_low_fp": (1.0, 0.22, 1.0),
    "reward_low_fn": (1.0, 0.11, 2.0),
}
"""NAB profiles: (tp, fp, fn) weights (numenta/NAB config/profiles.json)."""


@dataclass(frozen=True)
class Window:
    kind: str
    onset: float
    end: float
    observable: float


def match(
    alarms: Sequence[tuple[float, float]],
    events: Sequence[Window],
    faults: Sequence[tuple[float, float]] = (),
    grace: float = 2.0,
) -> tuple[dict[int, float], list[tuple[float, float]], int]:
    """Detected events (index → first alarm time within the window), the false-positive
    alarms, and the number of alarms that fell in sensor-fault windows only."""
    detected: dict[int, float] = {}
    fps: list[tuple[float, float]] = []
    in_fault = 0
    for a, b in alarms:
        hit = False
        for i, e in enumerate(events):
            if a <= e.end + grace and b >= e.onset:
                hit = True
                first = max(a, e.onset)
                if i not in detected or first < detected[i]:
                    detected[i] = first
        if not hit:
            if any(a <= fb + 5 and b >= fa for fa, fb in faults):
                in_fault += 1
            else:
                fps.append((a, b))
    return detected, fps, in_fault


def nab_score(
    alarms: Sequence[tuple[float, float]],
    onsets: Sequence[float],
    length: float,
    profile: str = "standard",
) -> float:
    """Normalised NAB score (0 = null detector, 100 = perfect) of alarm onsets."""
    a_tp, a_fp, a_fn = PROFILES[profile]
    if not onsets:
        return float("nan")
    w = 0.1 * length / len(onsets)
    wins = sorted((o - w / 2, o + w / 2) for o in onsets)
    raw = 0.0
    hit = [False] * len(wins)
    for t, _ in sorted(alarms):
        inside = [i for i, (s, e) in enumerate(wins) if s <= t <= e]
        if inside:
            i = inside[0]
            if not hit[i]:
                hit[i] = True
                y = (t - wins[i][1]) / w
                raw += a_tp * _sigmoid(y)
            continue
        before = [e for s, e in wins if e < t]
        y = (t - max(before)) / w if before else 3.0
        raw += a_fp * (_sigmoid(y) if y <= 3 else -1.0)
    raw -= a_fn * hit.count(False)
    null = -a_fn * len(wins)
    perfect = a_tp * _sigmoid(-1.0) * len(wins)
    return 100 * (raw - null) / (perfect - null)


def _sigmoid(y: float) -> float:
    """NAB's scaled sigmoid: ≈ +0.99 at the window start, 0 at its end, → −1 later."""
    return 2 / (1 + math.exp(5 * y)) - 1


def vus_pr(
    score: np.ndarray,
    label: np.ndarray,
    max_buffer: int = 20,
    n_buffers: int = 6,
    n_thresholds: int = 50,
) -> float:
    """VUS-PR of a score series against 0/1 labels on the same steps."""
    label = np.asarray(label, dtype=float)
    score = np.asarray(score, dtype=float)
    if label.sum() == 0:
        return float("nan")
    thr = np.unique(np.quantile(score, np.linspace(0, 1, n_thresholds)))
    out = []
    for ell in np.linspace(0, max_buffer, n_buffers):
        soft = _soft_labels(label, int(ell))
        pred = score[None, :] >= thr[:, None]
        tp = pred @ soft
        npred = pred.sum(1)
        prec = np.where(npred > 0, tp / np.maximum(npred, 1), 1.0)
        # as TSB-UAD's range-AUC: positives = mean of the soft and the original label mass
        rec = np.minimum(tp / ((soft.sum() + label.sum()) / 2), 1.0)
        # average precision: thresholds from high to low (recall grows), precision taken
        # as its envelope (the best precision at this recall or more)
        r, p = rec[::-1], prec[::-1]
        env = np.maximum.accumulate(p[::-1])[::-1]
        out.append(float(np.sum(np.diff(np.concatenate([[0.0], r])) * env)))
    return float(np.mean(out))


def _soft_labels(label: np.ndarray, ell: int) -> np.ndarray:
    if ell == 0:
        return label
    idx = np.flatnonzero(label > 0)
    dist = np.full(len(label), np.inf)
    pos = np.arange(len(label))
    # distance to the nearest labelled step, by two sweeps
    j = np.searchsorted(idx, pos)
    left = np.where(j > 0, pos - idx[np.maximum(j - 1, 0)], np.inf)
    right = np.where(j < len(idx), idx[np.minimum(j, len(idx) - 1)] - pos, np.inf)
    dist = np.minimum(left, right)
    soft = np.where(dist <= 0, 1.0, np.sqrt(np.clip(1 - dist / ell, 0, None)))
    return np.asarray(np.where(dist > ell, 0.0, soft))


def percentile(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(xs, q)) if len(xs) else float("nan")
