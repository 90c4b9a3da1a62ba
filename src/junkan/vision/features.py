"""Per-piece features from a segmentation: size and shape, colour, and texture (direction and
granularity), computed for all pieces of an image at once with ``np.bincount`` over the label
image (no per-piece Python loop).

Texture is taken on each piece's interior (pixels whose 3×3 neighbourhood is the same piece),
so the piece's outline does not count as texture. Structure-tensor coherence
((Jxx − Jyy)² + 4Jxy²)^½ / (Jxx + Jyy) is near 1 for rolled or drawn surfaces (streaks in one
direction) and near 0 for granular castings."""

from __future__ import annotations

import cv2
import numpy as np

from junkan.vision.segment import BELT_GREY, Segments

FEATURES: tuple[str, ...] = (
    "area_mm2",
    "d_eq_mm",
    "compactness",
    "elongation",
    "extent",
    "mean_b",
    "mean_g",
    "mean_r",
    "sd_b",
    "sd_g",
    "sd_r",
    "grey",
    "sd_grey",
    "chroma_rg",
    "chroma_gb",
    "sat",
    "sd_sat",
    "low_sat",
    "bright",
    "dark",
    "orange",
    "coherence",
    "gradient",
    "laplacian",
    "fine",
    "lab_a",
    "lab_b",
    "sd_lab_a",
    "sd_lab_b",
    "peak_ratio",
    "coherence_full",
    "gradient_full",
    "laplacian_full",
    "fine_full",
    "band_full",
    "hi_rg",
    "hi_gb",
    "hi_lab_a",
    "hi_lab_b",
)

GRADIENT_CLIP = 60.0
"""Sobel magnitude (grey levels × 8) above which a gradient is an edge, not texture."""


def _mean(lab: np.ndarray, w: np.ndarray, n: int, cnt: np.ndarray) -> np.ndarray:
    return np.bincount(lab, weights=w, minlength=n + 1)[1:] / np.maximum(cnt, 1)


def balanced(seg: Segments) -> np.ndarray:
    """(H, W, 3) float32 image at the working scale with the belt as white reference
    (:data:`BELT_GREY`); the image as it is when the belt is unknown."""
    img = seg.image.astype(np.float32)
    if seg.belt is None:
        return img
    gain = BELT_GREY / np.maximum(seg.belt.astype(np.float32), 4.0)
    return np.clip(img * gain, 0, 255)


def _pixels(img: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pixel quantities at the flat indices ``idx`` (the pieces' pixels), float32."""
    grey_img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    flat = img.reshape(-1, 3)[idx]
    lab = cv2.cvtColor((flat / 255.0)[:, None, :], cv2.COLOR_BGR2Lab)[:, 0, :]
    b, g, r = flat[:, 0], flat[:, 1], flat[:, 2]
    grey = grey_img.ravel()[idx]
    hi = np.maximum(np.maximum(b, g), r)
    lo = np.minimum(np.minimum(b, g), r)
    return {
        "b": b,
        "g": g,
        "r": r,
        "grey": grey,
        "sat": (hi - lo) / (hi + 8.0),
        "grey_img": grey_img,
        "rg": (r - g) / (grey + 8.0),
        "gb": (g - b) / (grey + 8.0),
        "la": lab[:, 1],
        "lb": lab[:, 2],
    }


def _interior(labels: np.ndarray, margin: int = 1) -> np.ndarray:
    """Pixels at least ``margin`` px inside their piece (its whole neighbourhood is it)."""
    lab = labels.astype(np.float32)
    k = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    return (cv2.erode(lab, k) == cv2.dilate(lab, k)) & (labels > 0)


def _shape(
    seg: Segments, idx: np.ndarray, lab: np.ndarray, cnt: np.ndarray, border: np.ndarray
) -> list[np.ndarray]:
    n = seg.count
    yy, xx = np.divmod(idx, seg.labels.shape[1])
    xx, yy = xx.astype(np.float64), yy.astype(np.float64)
    mx, my = _mean(lab, xx, n, cnt), _mean(lab, yy, n, cnt)
    sxx = _mean(lab, xx * xx, n, cnt) - mx**2
    syy = _mean(lab, yy * yy, n, cnt) - my**2
    sxy = _mean(lab, xx * yy, n, cnt) - mx * my
    tr, det = sxx + syy, sxx * syy - sxy**2
    disc = np.sqrt(np.maximum(tr**2 / 4 - det, 0))
    l1, l2 = tr / 2 + disc, np.maximum(tr / 2 - disc, 1e-3)
    box = np.array(
        [(bx[0].stop - bx[0].start) * (bx[1].stop - bx[1].start) for bx in seg.boxes], float
    )
    area_mm2 = cnt * seg.mm_per_px**2
    perim = np.maximum(border, 1)
    return [
        area_mm2,
        2 * np.sqrt(area_mm2 / np.pi),
        4 * np.pi * cnt / perim**2,
        np.sqrt(l1 / l2),
        cnt / np.maximum(box, 1),
    ]


def _texture(
    grey_img: np.ndarray, idx: np.ndarray, ilab: np.ndarray, n: int, norm: np.ndarray
) -> list[np.ndarray]:
    """Structure-tensor coherence, gradient energy, |Laplacian|, fine residual (pixel − 3×3
    mean) and band energy (3×3 mean − 9×9 mean) on the pixels ``idx`` of each piece (its
    interior), divided by ``norm`` (the piece's mean grey). Gradients are clipped at
    :data:`GRADIENT_CLIP` so that the steps at dirt or paint edges do not drown the surface
    texture. ``idx`` are flat indices into ``grey_img``, ``ilab`` their pieces' labels."""
    icnt = np.bincount(ilab, minlength=n + 1)[1:].astype(float)
    gx = cv2.Sobel(grey_img, cv2.CV_32F, 1, 0, ksize=3).ravel()[idx]
    gy = cv2.Sobel(grey_img, cv2.CV_32F, 0, 1, ksize=3).ravel()[idx]
    clip = np.minimum(1.0, GRADIENT_CLIP / np.maximum(np.hypot(gx, gy), 1e-6))
    gx, gy = gx * clip, gy * clip
    lap = np.abs(cv2.Laplacian(grey_img, cv2.CV_32F, ksize=3).ravel()[idx])
    box3 = cv2.blur(grey_img, (3, 3)).ravel()[idx]
    fine = np.abs(grey_img.ravel()[idx] - box3)
    band = np.abs(box3 - cv2.blur(grey_img, (9, 9)).ravel()[idx])
    jxx = _mean(ilab, gx * gx, n, icnt)
    jyy = _mean(ilab, gy * gy, n, icnt)
    jxy = _mean(ilab, gx * gy, n, icnt)
    energy = jxx + jyy
    return [
        np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(energy, 1e-6),
        np.sqrt(energy) / norm,
        _mean(ilab, lap, n, icnt) / norm,
        _mean(ilab, fine, n, icnt) / norm,
        _mean(ilab, band, n, icnt) / norm,
    ]


def _full_texture(seg: Segments, n: int, inner2: np.ndarray) -> list[np.ndarray]:
    """:func:`_texture` on the full-resolution image (rolled streaks and cast grain are
    finer than the working scale resolves), on the pixels of ``inner2`` (the interior two
    working pixels in from each outline); on the working scale's when there is none."""
    s = seg.scale if seg.full is not None else 1
    h, w = seg.labels.shape
    src = seg.full[: h * s, : w * s] if seg.full is not None and s > 1 else seg.image
    grey = cv2.cvtColor(src, cv2.COLOR_BGR2GRAY).astype(np.float32)
    flat = seg.labels.ravel()
    cnt = np.bincount(flat, minlength=n + 1)[1:].astype(float)
    if s > 1:
        # each working pixel is an s × s block of the full image: the pieces' mean grey from
        # the blocks' means (INTER_AREA at an integer factor), a quarter of the work or less
        blocks = cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
        inner = cv2.resize(inner2.astype(np.uint8), (w * s, h * s), interpolation=cv2.INTER_NEAREST)
        idx = np.flatnonzero(inner)
        ilab = seg.labels[idx // (w * s) // s, idx % (w * s) // s]
    else:
        blocks = grey
        idx = np.flatnonzero(inner2)
        ilab = flat[idx]
    mean = np.bincount(flat, weights=blocks.ravel(), minlength=n + 1)[1:]
    return _texture(grey, idx, ilab, n, np.maximum(mean / np.maximum(cnt, 1), 8.0))


def _peak_ratio(seg: Segments, inner: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Largest distance to the piece's outline / the radius of a disc of its area: near 1
    for a compact piece, lower for elongated pieces and for touching pieces merged into one
    segment (what the count model uses)."""
    dist = cv2.distanceTransform(inner.astype(np.uint8), cv2.DIST_L2, 3)
    peak = np.array(
        [float(dist[box][seg.labels[box] == i + 1].max()) + 1.0 for i, box in enumerate(seg.boxes)]
    )
    return peak / np.sqrt(np.maximum(cnt, 1) / np.pi)


def features(seg: Segments) -> np.ndarray:
    """(pieces, len(FEATURES)) float32 feature matrix of a segmentation."""
    n = seg.count
    if n == 0:
        return np.zeros((0, len(FEATURES)), np.float32)
    flat = seg.labels.ravel()
    idx = np.flatnonzero(flat)
    lab = flat[idx]
    px = _pixels(balanced(seg), idx)
    cnt = np.bincount(lab, minlength=n + 1)[1:].astype(float)
    inner_img = _interior(seg.labels)
    inner = inner_img.ravel()[idx]
    ilab = np.where(inner, lab, 0)
    icnt = np.bincount(ilab, minlength=n + 1)[1:].astype(float)
    out = _shape(seg, idx, lab, cnt, cnt - icnt)
    means = [_mean(lab, px[ch], n, cnt) for ch in ("b", "g", "r")]
    out += means
    out += [
        np.sqrt(np.maximum(_mean(lab, px[ch] ** 2, n, cnt) - m**2, 0))
        for ch, m in zip(("b", "g", "r"), means, strict=True)
    ]
    grey = _mean(lab, px["grey"], n, cnt)
    out += [grey, np.sqrt(np.maximum(_mean(lab, px["grey"] ** 2, n, cnt) - grey**2, 0))]
    out += [_mean(lab, px["rg"], n, cnt), _mean(lab, px["gb"], n, cnt)]
    sat = _mean(lab, px["sat"], n, cnt)
    out += [sat, np.sqrt(np.maximum(_mean(lab, px["sat"] ** 2, n, cnt) - sat**2, 0))]
    orange = (px["r"] > px["g"] + 25) & (px["g"] > px["b"] + 10)
    for m in (px["sat"] < 0.15, px["grey"] > 200, px["grey"] < 70, orange):
        out.append(_mean(lab, m.astype(np.float32), n, cnt))
    norm = np.maximum(grey, 8.0)
    inner_idx = np.flatnonzero(inner_img)
    out += _texture(px["grey_img"], inner_idx, flat[inner_idx], n, norm)[:4]
    for ch in ("la", "lb"):
        out.append(_mean(lab, px[ch], n, cnt))
    for ch, m in (("la", out[-2]), ("lb", out[-1])):
        out.append(np.sqrt(np.maximum(_mean(lab, px[ch] ** 2, n, cnt) - m**2, 0)))
    out.append(_peak_ratio(seg, inner_img, cnt))
    out += _full_texture(seg, n, _interior(seg.labels, 2))
    hi = (px["grey"] >= grey[lab - 1]).astype(np.float32)  # the clean, bright part
    hcnt = np.bincount(lab, weights=hi, minlength=n + 1)[1:]
    out += [_mean(lab, px[ch] * hi, n, hcnt) for ch in ("rg", "gb", "la", "lb")]
    return np.stack(out, axis=1).astype(np.float32)
