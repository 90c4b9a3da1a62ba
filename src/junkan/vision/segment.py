"""Segment pieces on the belt: foreground by distance from the belt's colour, an
over-segmentation at every peak of the distance transform (OpenCV marker watershed on the
colour image), then a join step that merges adjacent regions of one piece by the contrast of
their shared boundary and the shape of the neck between them, at a working scale.

1. The image is reduced by ``scale`` (area averaging).
2. The belt: per column, the median colour down the belt (pieces cover a minority of each
   column; the lighting varies across the belt, and belt wear runs along it).
3. Foreground: the largest per-channel difference from the belt over a threshold
   ``max(min_contrast, k · 1.4826 · MAD)`` (robust to the image's noise), opened, closed and
   with holes filled; regions under ``min_area_mm2`` are dropped.
4. Split: a marker at every local maximum (plateau) of the distance to the belt, so that
   each lobe of a region — a piece, or part of one — has its own; a region without one is its
   own marker. ``cv2.watershed`` grows the markers over the foreground on the colour image
   (lightly smoothed, with the belt as white reference: :data:`BELT_GREY`), so the lines
   between them fall on colour edges where there are any.
5. Join: for each pair of adjacent regions, features of their shared boundary
   (:data:`JOIN_FEATURES`: the neck — the largest distance to the belt on the boundary over
   the smaller region's peak — the dynamic of the smaller peak in mm, the Lab colour
   difference of the two regions' means, the Lab gradient on the boundary, absolute and over
   the regions' own interior gradient (their texture), and the boundary's length over the
   smaller peak) give by a logistic model the probability that both are one piece; pairs
   above ``join_p`` are merged (union–find, most probable first). The logistic weights are
   calibrated: :func:`fit_join` fits them on instance-annotated images (``vision train``
   does so on its training data); the defaults were fitted that way on 60 renders of the
   synthetic belt (seeds 10,000–10,059, grains 45/65/90 mm, 2026-12-01), not on the
   held-out ones. ``join_p`` 0.7 was chosen on 15 other renders (seeds 50,000–50,014) by
   merged + ½ × fragment share (0.5: 15.4 + 5.0 %, 0.6: 13.3 + 6.0 %, 0.7: 12.1 + 8.4 %,
   0.8: 9.7 + 14.3 %; 0.6 and 0.7 tie, and a merged piece costs the classifier more than a
   fragment, which the count model counts as a part).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from junkan.vision.join import absorb_specks, fit_join, join, join_probability, same_piece
from junkan.vision.regions import (
    BELT_GREY,
    DEFAULT_JOIN_BIAS,
    DEFAULT_JOIN_WEIGHTS,
    JOIN_FEATURES,
    Regions,
    SegmentParams,
    belt_colour,
    foreground,
    line_neighbours,
    markers,
    regions,
)

__all__ = [
    "BELT_GREY",
    "DEFAULT_JOIN_BIAS",
    "DEFAULT_JOIN_WEIGHTS",
    "JOIN_FEATURES",
    "Regions",
    "SegmentParams",
    "Segments",
    "absorb_specks",
    "belt_colour",
    "fit_join",
    "foreground",
    "join",
    "join_probability",
    "markers",
    "regions",
    "same_piece",
    "segment",
]


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


def segment(image: np.ndarray, mm_per_px: float, params: SegmentParams | None = None) -> Segments:
    """Pieces of one BGR image (uint8, H×W×3) taken at ``mm_per_px``."""
    p = params or SegmentParams()
    r = regions(image, mm_per_px, p)
    if r.n == 0:
        z = np.zeros(r.mask.shape, np.int32)
        return Segments(z, r.image, [], np.zeros(0), r.mm_per_px, r.belt, image, p.scale)
    piece = absorb_specks(r, join(r, p), p.min_area_mm2 / r.mm_per_px**2)
    lut = np.zeros(r.n + 2, np.int32)
    lut[2:] = piece + 1
    labels = lut[np.maximum(r.ws, 0)]
    lo, hi, idx = r.lines if r.lines is not None else line_neighbours(r.ws)
    inside = (lo >= 2) & (lut[lo] == lut[np.maximum(hi, 0)])  # a line within one piece
    labels.ravel()[idx[inside]] = lut[lo[inside]]
    labels[~r.mask] = 0
    n = int(piece.max()) + 1
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    boxes = ndimage.find_objects(labels, max_label=n)
    keep = [i for i in range(n) if boxes[i] is not None and area[i] > 0]
    if len(keep) < n:  # renumber without the empty ones
        lut2 = np.zeros(n + 1, np.int32)
        lut2[np.array(keep, int) + 1] = np.arange(1, len(keep) + 1)
        labels = lut2[labels]
        area = area[keep]
        boxes = [boxes[i] for i in keep]
    return Segments(
        labels,
        r.image,
        [b for b in boxes if b is not None],
        area.astype(float),
        r.mm_per_px,
        r.belt,
        image,
        p.scale,
    )
