"""Per image: segment, features, calibrated class probabilities, mass per piece. Per belt
interval: counts and mass by group with 5–95 % intervals. Mass calibration against scale
weights, updated as weighings arrive.

**Mass** of a piece if it is of class c: area (mm², visible) × thickness t_c(d) (mm,
``t0 + per_d·d_eq``) × density ρ_c (g/cm³) / 1000 × k_g, with k_g the calibration factor of
the class's group. Its expectation uses the class probabilities.

**Calibration** (:func:`weigh`): a weighing of W kg (sd σ) of pieces whose uncalibrated mass
estimate per group is h (kg) observes W = h·k + ε, with ε's variance σ² plus the thickness
scatter of those pieces; k ~ N(μ, Σ) is updated by the Kalman (conjugate Gaussian) step.
Weighing a sorted bin gives h for mostly one group, which identifies that group's k.

**Intervals** (:func:`intervals`): Monte Carlo over each piece's class (its probabilities),
its thickness (lognormal, the class's cv) and k (the calibration's posterior)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from junkan.vision.counting import correct
from junkan.vision.dataset import ImageMeta
from junkan.vision.features import FEATURES, features
from junkan.vision.materials import GROUPS, priors, thickness_density
from junkan.vision.model import VisionModel
from junkan.vision.segment import Segments, segment


@dataclass
class ImageResult:
    """The pieces of one image: probabilities (segments, classes), mass if each class
    (segments, classes; g, uncalibrated), area, the segmentation, and the expected number
    of pieces in each segment (the count model: touching pieces left merged count more
    than one)."""

    name: str
    meta: ImageMeta
    seconds: float
    proba: np.ndarray
    mass_if: np.ndarray
    area_mm2: np.ndarray
    seg: Segments
    pieces: np.ndarray
    group_pieces: np.ndarray | None = None
    """(segments, groups) pieces of each group in each segment (the group count model of
    :mod:`junkan.vision.group_counts`), when the model has one."""

    @property
    def segments(self) -> int:
        return self.seg.count

    def tally(self) -> FrameTally:
        """What the belt intervals and weighings need of this image (:class:`FrameTally`),
        without its segmentation and pixels."""
        return FrameTally(self.seconds, self.proba, self.mass_if, self.pieces,
                          self.group_pieces, self.seg.count)

    def document(self, model: VisionModel) -> dict[str, Any]:
        k = np.array(model.calibration["mean"]) @ model.group_matrix().T
        g = self.proba @ model.group_matrix()
        mass = (self.proba * self.mass_if * k).sum(axis=1)
        pieces = []
        rings = outlines(self.seg)
        for i, box in enumerate(self.seg.boxes):
            j = int(self.proba[i].argmax())
            s = self.seg.mm_per_px
            pieces.append(
                {
                    "id": i + 1,
                    "class": model.classes[j],
                    "probability": round(float(self.proba[i, j]), 4),
                    "group": GROUPS[int(g[i].argmax())],
                    "group_probabilities": {
                        c: round(float(v), 4) for c, v in zip(GROUPS, g[i], strict=True)
                    },
                    "area_mm2": round(float(self.area_mm2[i]), 1),
                    "pieces": round(float(self.pieces[i]), 2),
                    "mass_g": round(float(mass[i]), 2),
                    "bbox_mm": [
                        round(box[1].start * s, 1),
                        round(box[0].start * s, 1),
                        round((box[1].stop - box[1].start) * s, 1),
                        round((box[0].stop - box[0].start) * s, 1),
                    ],
                    "outline_px": rings[i],
                }
            )
        counts = {
            c: round(float(self.pieces[g.argmax(1) == i].sum()), 1) for i, c in enumerate(GROUPS)
        }
        if self.group_pieces is not None:  # the group count model: merged pieces by group
            counts = {c: round(float(v), 1) for c, v in zip(GROUPS, self.group_pieces.sum(0),
                                                            strict=True)}
        warn = ["empty belt: no piece found"] if not pieces else []
        return {
            "image": self.name,
            "time_s": self.seconds,
            "pieces": pieces,
            "segments": self.seg.count,
            "counts": counts,
            "warnings": warn,
            "mass_g": {c: round(float((g[:, i] * mass).sum()), 1) for i, c in enumerate(GROUPS)},
        }


@dataclass
class FrameTally:
    """What :func:`intervals`, :func:`scatter` and :func:`group_mass_kg` read of an analysed
    image — its time, its pieces' class probabilities, mass if each class, pieces per segment
    (and per group) and its number of segments — a few KB for 50 pieces, where its
    :class:`ImageResult` holds the segmentation, the reduced image and the full-resolution
    pixels (6.6 MB for a 1280 × 1024 frame). :func:`junkan.vision.run` keeps this alone of
    each image once its document is made, so its memory does not grow with the images'
    pixels."""

    seconds: float
    proba: np.ndarray
    mass_if: np.ndarray
    pieces: np.ndarray
    group_pieces: np.ndarray | None
    segments: int


Frames = Sequence[ImageResult | FrameTally]
"""Analysed images, whole or as their tallies."""


def outlines(seg: Segments, tolerance_px: float = 1.0) -> list[list[list[int]]]:
    """Per segment its outer outline as a polygon in the image's pixels (x, y; simplified
    to ``tolerance_px`` at the working scale) — what a page draws over the image."""
    out: list[list[list[int]]] = []
    for i, (ys, xs) in enumerate(seg.boxes):
        crop = (seg.labels[ys, xs] == i + 1).astype(np.uint8)
        found, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not found:
            out.append([])
            continue
        ring = cv2.approxPolyDP(max(found, key=cv2.contourArea), tolerance_px, True)[:, 0, :]
        off = np.array([xs.start, ys.start])
        out.append((((ring + off) + 0.5) * seg.scale).astype(int).tolist())
    return out


def mass_if(model: VisionModel, area_mm2: np.ndarray) -> np.ndarray:
    """(pieces, classes) uncalibrated mass (g) of each piece if it were of each class."""
    t0, per_d, _, rho = thickness_density(model.classes)
    d = 2 * np.sqrt(area_mm2 / np.pi)
    return area_mm2[:, None] * (t0[None, :] + per_d[None, :] * d[:, None]) * rho[None, :] / 1e3


def analyse(
    model: VisionModel,
    image: np.ndarray,
    meta: ImageMeta,
    name: str = "image",
    seconds: float = 0.0,
) -> ImageResult:
    """Segment and classify one image (BGR uint8)."""
    seg = segment(image, meta.mm_per_px, model.segment)
    x = features(seg)
    area = x[:, FEATURES.index("area_mm2")].astype(float)
    proba = model.classify(seg, x)
    pieces = model.pieces(x)
    return ImageResult(
        name,
        meta,
        seconds,
        proba,
        mass_if(model, area),
        area,
        seg,
        pieces,
        model.group_pieces(x, proba @ model.group_matrix(), pieces),
    )


def frame_seconds(meta: ImageMeta, height_px: int) -> float:
    """Seconds of belt one frame covers: frame length / belt speed (default: the camera
    of materials.yaml)."""
    speed = meta.belt_speed_m_s or priors().camera.belt_speed_m_s
    return height_px * meta.mm_per_px / 1000 / speed


def weigh(
    calibration: dict[str, Any],
    h_kg: np.ndarray,
    weight_kg: float,
    sd_kg: float,
    scatter_kg: float = 0.0,
) -> dict[str, Any]:
    """The calibration after one weighing (see the module docstring); ValueError for a
    weight that is not finite and > 0 or an estimate without mass."""
    if not (np.isfinite(weight_kg) and weight_kg > 0 and np.isfinite(sd_kg) and sd_kg > 0):
        raise ValueError(
            f"weighing: weight {weight_kg} kg and sd {sd_kg} kg must be finite and > 0"
        )
    h = np.asarray(h_kg, float)
    if h.shape != (len(GROUPS),) or not np.isfinite(h).all() or h.sum() <= 0:
        raise ValueError(
            "weighing: the estimated mass per group must be finite with a positive total"
        )
    mu, cov = np.array(calibration["mean"], float), np.array(calibration["cov"], float)
    s = float(h @ cov @ h) + sd_kg**2 + scatter_kg**2
    gain = cov @ h / s
    mu = mu + gain * (weight_kg - float(h @ mu))
    cov = cov - np.outer(gain, h @ cov)
    return {
        "groups": list(GROUPS),
        "mean": mu.tolist(),
        "cov": ((cov + cov.T) / 2).tolist(),
        "weighings": int(calibration.get("weighings", 0)) + 1,
    }


def scatter(model: VisionModel, results: Frames, group: int | None = None) -> float:
    """sd (kg) of the summed mass of these pieces — of all, or of those the model puts in
    the sorter group ``group`` (the sorted bin a weighing weighs) — from the thickness
    scatter alone."""
    _, _, cv, _ = thickness_density(model.classes)
    w = cv if group is None else cv * model.group_matrix()[:, group]
    v = sum(float(((r.proba * r.mass_if * w) ** 2).sum()) for r in results)
    return float(np.sqrt(v)) / 1e3


def group_mass_kg(model: VisionModel, results: Frames) -> np.ndarray:
    """(groups,) uncalibrated expected mass (kg) of these images' pieces per group."""
    gm = model.group_matrix()
    return (
        sum((((r.proba * r.mass_if) @ gm).sum(axis=0) for r in results), np.zeros(len(GROUPS)))
        / 1e3
    )


def _interval_mc(
    model: VisionModel, rs: Frames, samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(samples, groups) counts and masses (kg) of these images' pieces."""
    n_g = len(GROUPS)
    gm = model.group_matrix()
    cls_group = gm.argmax(1)
    _, _, cv, _ = thickness_density(model.classes)
    k = rng.multivariate_normal(model.calibration["mean"], model.calibration["cov"], samples)
    p = np.vstack([r.proba for r in rs]) if rs else np.zeros((0, len(model.classes)))
    m = np.vstack([r.mass_if for r in rs]) if rs else np.zeros((0, len(model.classes)))
    w, cum_g = _segment_groups(rs)
    counts, mass = np.zeros((samples, n_g)), np.zeros((samples, n_g))
    if len(p) == 0:
        return counts, mass
    cum = np.cumsum(p, axis=1)
    cum[:, -1] = 1.0
    for s in range(samples):
        c = (rng.random(len(p))[:, None] > cum).sum(axis=1)
        f = np.exp(rng.normal(0, cv[c]) - cv[c] ** 2 / 2)
        g = cls_group[c]
        if cum_g is not None:  # the group count model's pieces, by its group shares
            g_n = (rng.random(len(p))[:, None] > cum_g).sum(axis=1)
            counts[s] = np.bincount(g_n, weights=w, minlength=n_g)
        else:
            counts[s] = np.bincount(g, weights=w, minlength=n_g)
        mass[s] = np.bincount(g, weights=m[np.arange(len(c)), c] * f, minlength=n_g) / 1e3
    return correct(counts, model.count_correction), mass * np.maximum(k, 0)


def _segment_groups(rs: Frames) -> tuple[np.ndarray, np.ndarray | None]:
    """(segments,) the pieces each segment counts for and, with a group count model, the
    cumulative shares of its groups (segments, groups), whose draws spread its pieces over
    the groups (their mean: the model's pieces per group); without one (None) a segment's
    pieces go to the group of its class."""
    if not rs:
        return np.zeros(0), None
    if any(r.group_pieces is None for r in rs):
        return np.concatenate([r.pieces for r in rs]), None
    n = np.vstack([r.group_pieces for r in rs if r.group_pieces is not None])
    w = n.sum(axis=1)
    share = np.divide(n, w[:, None], out=np.full_like(n, 1 / n.shape[1]), where=w[:, None] > 0)
    cum = np.cumsum(share, axis=1)
    cum[:, -1] = 1.0
    return w, cum


def _band(x: np.ndarray) -> dict[str, dict[str, float]]:
    return {
        g: {
            "mean": float(x[:, i].mean()),
            "p5": float(np.percentile(x[:, i], 5)),
            "p95": float(np.percentile(x[:, i], 95)),
        }
        for i, g in enumerate(GROUPS)
    }


def intervals(
    model: VisionModel,
    results: Frames,
    interval_s: float = 600.0,
    samples: int = 300,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Per belt interval of ``interval_s`` seconds: images, pieces, and per group the count
    and mass (kg) with mean and 5–95 % band."""
    if not np.isfinite(interval_s) or interval_s <= 0:
        raise ValueError(f"interval_s must be finite and > 0 (got {interval_s})")
    rng = np.random.default_rng(seed)
    keys = sorted({int(r.seconds // interval_s) for r in results})
    out = []
    for key in keys:
        rs = [r for r in results if int(r.seconds // interval_s) == key]
        counts, mass = _interval_mc(model, rs, samples, rng)
        out.append(
            {
                "start_s": key * interval_s,
                "end_s": (key + 1) * interval_s,
                "images": len(rs),
                "segments": int(sum(r.segments for r in rs)),
                "pieces": round(float(sum(r.pieces.sum() for r in rs)), 1),
                "count": _band(counts),
                "mass_kg": _band(mass),
            }
        )
    return out
