"""The image context of a segment, for the count models: how large the pieces of its image are.

How many pieces a segment holds depends on how large it is *against the pieces around it*: on a
45 mm shred a 90 mm segment is most often two or three touching pieces, on a 90 mm shred it is
one piece. The count model (:func:`junkan.vision.boosting.fit_counts`) and the group count
model (:mod:`junkan.vision.group_counts`) saw a segment's own features only (absolute sizes in
mm), so on a line whose shred size differs from the training images' mix they counted too few
pieces on a fine shred and too many on a coarse one. Measured on 360 renders from the
benchmark's training distribution (seeds 10,120–10,479, not trained on; the benchmark's model
of 120 renders, 2026-12-02): the corrected "other" count was −13.5 % on the 45 mm frames,
+0.8 % on 65 mm and +13.6 % on 90 mm (wrought −11.5 / +1.2 / +13.2 %), which cancel only when
an interval holds the three sizes as the training images do (``docs/vision.md``).

So both models also get, per segment, three numbers of its image (:data:`CONTEXT`): the
median equivalent diameter of the image's segments, the segment's own over it, and the
area-weighted mean equivalent diameter of the image (the size most of the covered belt is
in). They are computed from the image's own segments, so no metadata (grain, screen size)
is needed; they describe the image, so a count model must see all the segments of one
image at once (:func:`count_inputs`; :func:`count_inputs_by_image` for stacked rows)."""

from __future__ import annotations

import numpy as np

from junkan.vision.features import FEATURES

CONTEXT: tuple[str, ...] = (
    "image_median_d_eq_mm",
    "d_eq_over_image_median",
    "image_area_weighted_d_eq_mm",
)
"""The context columns appended to a segment's features for the count models (mm, ratio, mm)."""

_D, _A = FEATURES.index("d_eq_mm"), FEATURES.index("area_mm2")
MIN_D_MM = 1.0
"""Smallest equivalent diameter (mm) the context uses (a blank or degenerate segment)."""


def image_context(x: np.ndarray) -> np.ndarray:
    """(segments, len(CONTEXT)) the context of each segment of *one* image whose features are
    ``x`` (segments, features): the image's median equivalent diameter (mm), the segment's
    over it, and the image's area-weighted mean equivalent diameter (mm)."""
    n = len(x)
    if n == 0:
        return np.zeros((0, len(CONTEXT)))
    d = np.maximum(np.asarray(x[:, _D], float), MIN_D_MM)
    a = np.maximum(np.asarray(x[:, _A], float), 0.0)
    med = float(np.median(d))
    weighted = float((a * d).sum() / a.sum()) if a.sum() > 0 else med
    return np.column_stack([np.full(n, med), d / med, np.full(n, weighted)])


def count_inputs(x: np.ndarray) -> np.ndarray:
    """(segments, features + context) float32 inputs of the count model for the segments of
    one image (features ``x``)."""
    return np.hstack([np.asarray(x, float), image_context(x)]).astype(np.float32)


def count_inputs_by_image(x: np.ndarray, image: np.ndarray) -> np.ndarray:
    """:func:`count_inputs` of stacked rows ``x`` of several images, ``image`` (rows,) giving
    each row's image (rows of one image need not be adjacent); all one image when ``image``
    does not match ``x``."""
    out = np.zeros((len(x), x.shape[1] + len(CONTEXT)), np.float32)
    if len(image) != len(x):
        image = np.zeros(len(x), int)
    order = np.argsort(image, kind="stable")  # each image's rows together, in their order
    cuts = np.flatnonzero(np.diff(image[order])) + 1
    for rows in np.split(order, cuts):  # one pass over the rows, not one per image
        out[rows] = count_inputs(x[rows])
    return out
