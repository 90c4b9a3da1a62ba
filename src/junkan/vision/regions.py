"""The over-segmentation of :mod:`junkan.vision.segment` (steps 1–4 of its docstring): belt
colour, foreground, markers at the peaks of the distance transform, the colour watershed, and
per adjacent pair of regions the sums the join step needs (:mod:`junkan.vision.join`)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from junkan.core.base import Strict

BELT_GREY = 50.0
"""The belt is the white reference: colours are rescaled per column and channel so that the
belt reads this grey (removes the lighting gradient across the belt and the colour cast)."""
JOIN_FEATURES: tuple[str, ...] = (
    "neck",
    "dynamic_mm",
    "delta_e",
    "boundary_gradient_ratio",
    "boundary_over_peak",
    "boundary_gradient",
)
DEFAULT_JOIN_WEIGHTS: tuple[float, ...] = (0.2499, 0.0264, -0.1134, -1.4966, 0.0369, 0.0521)
DEFAULT_JOIN_BIAS = 3.499


class SegmentParams(Strict):
    scale: int = Field(default=2, ge=1, le=8)
    min_contrast: float = Field(default=12.0, ge=1, le=200)
    noise_k: float = Field(default=5.0, ge=0, le=50)
    min_area_mm2: float = Field(default=40.0, ge=0, le=1e5)
    split: bool = True
    """Split regions at the peaks of the distance transform (off: one segment per region)."""
    edge_de: float = Field(default=0.0, ge=0, le=500)
    """Colour edges: pixels whose Lab gradient (:func:`_lab_gradient`) is at least this are
    taken out of the distance transform, so that two pieces meeting without a neck but with
    a colour step get a peak each (0: off, the default: on the renders 20–45 left more pieces
    merged, 13–17 % against 12 %, as dirt, paint and gloss edges cut pieces into more
    regions than the join model then puts together right)."""
    join_weights: list[float] = Field(
        default=list(DEFAULT_JOIN_WEIGHTS),
        min_length=len(JOIN_FEATURES),
        max_length=len(JOIN_FEATURES),
    )
    join_bias: float = Field(default=DEFAULT_JOIN_BIAS, ge=-100, le=100)
    join_p: float = Field(default=0.7, gt=0, lt=1)
    """Join threshold: higher splits more (fewer merged pieces, more fragments)."""


@dataclass
class Regions:
    """The over-segmentation before the join: watershed labels (−1 lines, 1 belt, 2.. the
    regions); per region its area (px), Lab colour sum, Lab gradient sum and peak distance to
    the belt (px); per adjacent pair (0-based region indices ``a < b``) its boundary length
    (px), saddle (the largest distance to the belt on the boundary) and gradient sum."""

    ws: np.ndarray
    n: int
    area: np.ndarray
    lab_sum: np.ndarray
    grad_sum: np.ndarray
    peak: np.ndarray
    a: np.ndarray
    b: np.ndarray
    length: np.ndarray
    saddle: np.ndarray
    line_grad: np.ndarray
    image: np.ndarray
    mask: np.ndarray
    belt: np.ndarray
    mm_per_px: float
    lines: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """:func:`line_neighbours` of ``ws`` (computed once, used again by the segmentation)."""

    @property
    def x(self) -> np.ndarray:
        """(pairs, :data:`JOIN_FEATURES`) the join features of the initial pairs."""
        return pair_features(
            self.area[self.a],
            self.area[self.b],
            self.lab_sum[self.a],
            self.lab_sum[self.b],
            self.grad_sum[self.a],
            self.grad_sum[self.b],
            self.peak[self.a],
            self.peak[self.b],
            self.length,
            self.saddle,
            self.line_grad,
            self.mm_per_px,
        )


def pair_features(
    area_a: np.ndarray,
    area_b: np.ndarray,
    lab_a: np.ndarray,
    lab_b: np.ndarray,
    grad_a: np.ndarray,
    grad_b: np.ndarray,
    peak_a: np.ndarray,
    peak_b: np.ndarray,
    length: np.ndarray,
    saddle: np.ndarray,
    line_grad: np.ndarray,
    mm_per_px: float,
) -> np.ndarray:
    """(pairs, :data:`JOIN_FEATURES`) from the two regions' and the boundary's sums."""
    area_a, area_b = np.maximum(area_a, 1), np.maximum(area_b, 1)
    pmin = np.maximum(np.minimum(peak_a, peak_b), 1.0)
    g_line = line_grad / np.maximum(length, 1)
    inner = np.maximum(np.maximum(grad_a / area_a, grad_b / area_b), 0.5)
    de = np.linalg.norm(lab_a / area_a[..., None] - lab_b / area_b[..., None], axis=-1)
    return np.stack(
        [saddle / pmin, (pmin - saddle) * mm_per_px, de, g_line / inner, length / pmin, g_line],
        axis=-1,
    )


def belt_colour(img: np.ndarray) -> np.ndarray:
    """(1, W, 3) the belt's colour per column: the median down the column (every 8th row)."""
    med = np.median(img[::8], axis=0).astype(np.float32)
    return cv2.blur(med[None], (15, 1))


def foreground(
    img: np.ndarray, p: SegmentParams, min_area_px: float, belt: np.ndarray | None = None
) -> np.ndarray:
    """Boolean mask of the pieces at the working scale."""
    belt = belt_colour(img) if belt is None else belt
    bg = np.ascontiguousarray(np.broadcast_to(np.clip(belt, 0, 255).astype(np.uint8), img.shape))
    d = cv2.absdiff(img, bg)
    diff = cv2.max(cv2.max(d[..., 0], d[..., 1]), d[..., 2])
    sample = diff[::4, ::4]
    mad = float(np.median(np.abs(sample - np.median(sample))))
    thr = max(p.min_contrast, p.noise_k * 1.4826 * mad)
    mask: np.ndarray = (diff > thr).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= max(min_area_px, 1)
    keep[0] = False
    mask = keep[lab].astype(np.uint8)
    # fill holes: flood the belt from the border; what it does not reach is piece
    pad = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(pad, None, (0, 0), 2)
    return pad[1:-1, 1:-1] != 2


def markers(mask: np.ndarray, dist: np.ndarray, split: bool = True) -> tuple[np.ndarray, int]:
    """Watershed markers (int32: 1 belt, 2.. region seeds, 0 unknown) and their count: the
    plateaus of local maxima of ``dist`` (the distance to the belt), and each foreground
    region that has none (or every region, without ``split``)."""
    m8 = mask.astype(np.uint8)
    if split:
        peak = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist >= 1.0)
        n, lab = cv2.connectedComponents(peak.astype(np.uint8), connectivity=8)
    else:
        n, lab = 1, np.zeros(mask.shape, np.int32)
    n_reg, reg = cv2.connectedComponents(m8, connectivity=8)
    missing = np.bincount(reg[lab > 0], minlength=n_reg) == 0
    missing[0] = False
    if missing.any():
        lut = np.zeros(n_reg, np.int32)
        lut[missing] = np.arange(n, n + int(missing.sum()))
        n += int(missing.sum())
        lab = np.where(lab > 0, lab, lut[reg])
    out = np.where(lab > 0, lab + 1, 0).astype(np.int32)
    out[~mask] = 1
    return out, n - 1


def _lab_gradient(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) colour gradient of the (smoothed) image — per Lab channel the 3×3
    morphological gradient (max − min), summed with L* in its 0–100 units — and the (H, W, 3)
    8-bit Lab image (OpenCV's: L* × 2.55, a* + 128, b* + 128)."""
    lab8 = cv2.cvtColor(img, cv2.COLOR_BGR2Lab)
    mg = cv2.morphologyEx(lab8, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    g = cv2.transform(mg.astype(np.float32), np.array([[100 / 255, 1.0, 1.0]], np.float32))
    return g, lab8


def line_neighbours(ws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per watershed-line pixel (−1): the smallest and largest region label (≥ 2) among its
    8 neighbours (0 and −1 where there is none), and its flat index."""
    w = ws.shape[1]
    pad = np.pad(ws, 1, constant_values=-1).ravel()
    idx = np.flatnonzero(ws.ravel() == -1)
    yy, xx = np.divmod(idx, w)
    off = np.array([dy * (w + 2) + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
    nb = pad[((yy + 1) * (w + 2) + xx + 1)[:, None] + off[None, :]]
    big = np.int32(2**30)
    lo = np.where(nb >= 2, nb, big).min(axis=1)
    hi = np.where(nb >= 2, nb, -1).max(axis=1)
    return np.where(lo < big, lo, 0), hi, idx


def regions(image: np.ndarray, mm_per_px: float, p: SegmentParams) -> Regions:
    """Steps 1–4 of the module docstring and the join features of every adjacent pair."""
    s = p.scale
    h, w = image.shape[:2]
    img = cv2.resize(image, (w // s, h // s), interpolation=cv2.INTER_AREA) if s > 1 else image
    img = np.ascontiguousarray(img)
    mmpp = mm_per_px * s
    belt = belt_colour(img)
    mask = foreground(img, p, p.min_area_mm2 / mmpp**2, belt)
    gain = BELT_GREY / np.maximum(belt, 4.0)  # the belt as white reference: no colour cast
    smooth = cv2.GaussianBlur(cv2.convertScaleAbs(img * gain), (0, 0), 1.0)
    grad, lab = _lab_gradient(smooth)
    inside = mask & (grad < p.edge_de) if p.edge_de > 0 else mask
    dist = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
    mk, n = markers(mask, dist, p.split)
    e, z = np.zeros(0, int), np.zeros(0)
    if n == 0:
        return Regions(mk, 0, z, np.zeros((0, 3)), z, z, e, e, z, z, z, img, mask, belt, mmpp)
    ws = cv2.watershed(smooth, mk.copy())
    at = np.flatnonzero(ws.ravel() >= 2)  # the regions' pixels
    reg = ws.ravel()[at] - 1
    area = np.bincount(reg, minlength=n + 1)[1:].astype(float)
    seed = mk.ravel()[at] - 1  # the peak plateaus (a region's top)
    seed[seed < 1] = 0
    top = np.bincount(seed, minlength=n + 1)[1:]
    peak = np.bincount(seed, dist.ravel()[at], n + 1)[1:] / np.maximum(top, 1)
    lab_px = lab.reshape(-1, 3)[at].astype(np.float32) * np.array([100 / 255, 1, 1], np.float32)
    lab_sum = np.stack([np.bincount(reg, lab_px[:, c], n + 1)[1:] for c in range(3)], 1)
    grad_sum = np.bincount(reg, grad.ravel()[at], n + 1)[1:]
    lo, hi, idx = line_neighbours(ws)
    pair = (lo >= 2) & (hi > lo)
    key = (lo[pair] - 2).astype(np.int64) * n + (hi[pair] - 2)
    uk, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    saddle = np.zeros(len(uk))
    np.maximum.at(saddle, inv, dist.ravel()[idx[pair]])
    g_line = np.bincount(inv, grad.ravel()[idx[pair]], len(uk))
    return Regions(
        ws,
        n,
        area,
        lab_sum,
        grad_sum,
        peak,
        uk // n,
        uk % n,
        cnt.astype(float),
        saddle,
        g_line,
        img,
        mask,
        belt,
        mmpp,
        (lo, hi, idx),
    )
