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

from junkan.vision.segment import Segments

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
)


def _mean(lab: np.ndarray, w: np.ndarray, n: int, cnt: np.ndarray) -> np.ndarray:
    return np.bincount(lab, weights=w, minlength=n + 1)[1:] / np.maximum(cnt, 1)


def _pixels(img: np.ndarray, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Per-pixel quantities at the flat indices ``idx`` (the pieces' pixels), float32."""
    grey_img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    flat = img.reshape(-1, 3)[idx].astype(np.float32)
    b, g, r = flat[:, 0], flat[:, 1], flat[:, 2]
    grey = grey_img.ravel()[idx]
    hi = np.maximum(np.maximum(b, g), r)
    lo = np.minimum(np.minimum(b, g), r)
    gx = cv2.Sobel(grey_img, cv2.CV_32F, 1, 0, ksize=3).ravel()[idx]
    gy = cv2.Sobel(grey_img, cv2.CV_32F, 0, 1, ksize=3).ravel()[idx]
    lap = np.abs(cv2.Laplacian(grey_img, cv2.CV_32F, ksize=3).ravel()[idx])
    fine = np.abs(grey - cv2.blur(grey_img, (3, 3)).ravel()[idx])
    return {
        "b": b,
        "g": g,
        "r": r,
        "grey": grey,
        "sat": (hi - lo) / (hi + 8.0),
        "gx": gx,
        "gy": gy,
        "lap": lap,
        "fine": fine,
        "rg": (r - g) / (grey + 8.0),
        "gb": (g - b) / (grey + 8.0),
    }


def _interior(labels: np.ndarray) -> np.ndarray:
    lab = labels.astype(np.float32)
    k = np.ones((3, 3), np.uint8)
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


def features(seg: Segments) -> np.ndarray:
    """(pieces, len(FEATURES)) float32 feature matrix of a segmentation."""
    n = seg.count
    if n == 0:
        return np.zeros((0, len(FEATURES)), np.float32)
    flat = seg.labels.ravel()
    idx = np.flatnonzero(flat)
    lab = flat[idx]
    px = _pixels(seg.image, idx)
    cnt = np.bincount(lab, minlength=n + 1)[1:].astype(float)
    inner = _interior(seg.labels).ravel()[idx]
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
    jxx = _mean(ilab, px["gx"] ** 2, n, icnt)
    jyy = _mean(ilab, px["gy"] ** 2, n, icnt)
    jxy = _mean(ilab, px["gx"] * px["gy"], n, icnt)
    energy = jxx + jyy
    out.append(np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(energy, 1e-6))
    norm = np.maximum(grey, 8.0)
    out.append(np.sqrt(energy) / norm)
    out.append(_mean(ilab, px["lap"], n, icnt) / norm)
    out.append(_mean(ilab, px["fine"], n, icnt) / norm)
    return np.stack(out, axis=1).astype(np.float32)
