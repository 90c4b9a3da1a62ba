"""Segment pieces on the belt: foreground by distance from the belt's colour, touching pieces
split by the distance transform and a marker watershed (OpenCV), at a working scale.

1. The image is reduced by ``scale`` (area averaging).
2. The belt: per column, the median colour down the belt (pieces cover a minority of each
   column; the lighting varies across the belt, and belt wear runs along it).
3. Foreground: the largest per-channel difference from the belt over a threshold
   ``max(min_contrast, k · 1.4826 · MAD)`` (robust to the image's noise), opened, closed and
   with holes filled; regions under ``min_area_mm2`` are dropped.
4. Markers: pixels whose distance to the background is at least ``core`` × the largest
   distance within a window about a typical piece's radius (so a neck between two touching
   pieces separates their cores, while an elongated piece keeps one connected core); a
   region without a core is its own marker.
5. ``cv2.watershed`` grows the markers over the foreground on the colour image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field
from scipy import ndimage

from junkan.core.base import Strict


class SegmentParams(Strict):
    scale: int = Field(default=2, ge=1, le=8)
    min_contrast: float = Field(default=12.0, ge=1, le=200)
    noise_k: float = Field(default=5.0, ge=0, le=50)
    min_area_mm2: float = Field(default=40.0, ge=0, le=1e5)
    core: float = Field(default=0.55, gt=0, lt=1)
    window_mm: float = Field(default=60.0, gt=1, le=1000)


@dataclass
class Segments:
    """Labels at the working scale (0 belt, 1..n pieces; −1 watershed lines are set to 0),
    the reduced image, and per piece its bounding box (slices) and area in pixels."""

    labels: np.ndarray
    image: np.ndarray
    boxes: list[tuple[slice, slice]]
    area_px: np.ndarray
    mm_per_px: float
    """Of the working scale (the image's mm/px × scale)."""
    belt: np.ndarray | None = None
    """(1, W, 3) the belt's colour per column at the working scale (the white reference)."""
    full: np.ndarray | None = None
    """The image at full resolution (for fine texture)."""
    scale: int = 1

    @property
    def count(self) -> int:
        return len(self.boxes)


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


def markers(mask: np.ndarray, window_px: int, core: float) -> tuple[np.ndarray, int]:
    """Watershed markers (int32: 1 belt, 2.. piece cores, 0 unknown) and the piece count."""
    m8 = mask.astype(np.uint8)
    dist = cv2.distanceTransform(m8, cv2.DIST_L2, 5)
    k = max(3, window_px | 1)
    local = cv2.dilate(dist, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    cores = (dist >= core * local) & (dist >= 1.5)
    n, lab = cv2.connectedComponents(cores.astype(np.uint8), connectivity=8)
    # a region with no core (small, thin) is one piece: the region is its marker
    n_reg, reg = cv2.connectedComponents(m8, connectivity=8)
    missing = np.bincount(reg[cores], minlength=n_reg) == 0
    missing[0] = False
    if missing.any():
        lut = np.zeros(n_reg, np.int32)
        lut[missing] = np.arange(n, n + int(missing.sum()))
        n += int(missing.sum())
        lab = np.where(lab > 0, lab, lut[reg])
    out = np.where(lab > 0, lab + 1, 0).astype(np.int32)
    out[~mask] = 1
    return out, n - 1


def segment(image: np.ndarray, mm_per_px: float, params: SegmentParams | None = None) -> Segments:
    """Pieces of one BGR image (uint8, H×W×3) taken at ``mm_per_px``."""
    p = params or SegmentParams()
    s = p.scale
    h, w = image.shape[:2]
    img = cv2.resize(image, (w // s, h // s), interpolation=cv2.INTER_AREA) if s > 1 else image
    mmpp = mm_per_px * s
    belt = belt_colour(img)
    mask = foreground(img, p, p.min_area_mm2 / mmpp**2, belt)
    mk, n = markers(mask, int(round(p.window_mm / mmpp)), p.core)
    if n == 0:
        return Segments(np.zeros(mask.shape, np.int32), img, [], np.zeros(0), mmpp, belt, image, s)
    ws = cv2.watershed(np.ascontiguousarray(img), mk)
    labels = np.where(ws >= 2, ws - 1, 0).astype(np.int32)
    labels[~mask] = 0
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    boxes = ndimage.find_objects(labels, max_label=n)
    keep = [i for i in range(n) if boxes[i] is not None and area[i] > 0]
    if len(keep) < n:  # renumber without the empty ones
        lut = np.zeros(n + 1, np.int32)
        lut[np.array(keep) + 1] = np.arange(1, len(keep) + 1)
        labels = lut[labels]
        area = area[keep]
        boxes = [boxes[i] for i in keep]
    return Segments(
        labels, img, [b for b in boxes if b is not None], area.astype(float), mmpp, belt, image, s
    )
