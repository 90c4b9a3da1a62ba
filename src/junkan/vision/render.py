"""A synthetic belt: seeded images of shredded non-ferrous pieces with ground truth, for tests,
benchmarks and demonstrations (the same pipeline runs on users' photographs).

Per piece: a material drawn from the mix, an equivalent diameter from a lognormal around
``size_ratio × grain_mm`` (σ_log 0.35), a shape (sheet fragment, cast chunk, wire bundle), an
appearance (colour, directional or granular texture, gloss highlight) with dirt, oil and paint,
and its true mass = full area × thickness (t0 + per_d·d, lognormal scatter) × density. Pieces
are drawn in order, so later ones occlude earlier ones; some are placed touching or
overlapping a neighbour. The frame gets a lighting gradient across the belt, a colour cast,
motion blur along the belt and sensor noise. Every appearance number is an assumption
(``data/vision/materials.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from junkan.alloys import load_alloy_library
from junkan.core.base import Strict
from junkan.vision.materials import Material, priors

PAINTS = np.array(
    [[235, 235, 235], [30, 30, 32], [40, 40, 170], [150, 90, 30], [190, 190, 195], [60, 120, 60]],
    dtype=np.float32,
)
"""Paint colours (BGR): white, black, red, blue, silver, green (assumption)."""


class RenderSpec(Strict):
    """What one synthetic frame shows; defaults from ``materials.yaml``'s camera."""

    width: int = Field(default=1280, ge=64, le=4096)
    height: int = Field(default=1024, ge=64, le=4096)
    pieces: int = Field(default=50, ge=0, le=400)
    grain_mm: float = Field(default=65.0, ge=10, le=300)
    mm_per_px: float = Field(default=0.8, gt=0.05, le=10)
    mix: dict[str, float] | None = None
    touching: float = Field(default=0.25, ge=0, le=1)
    """Share of pieces placed touching or overlapping a neighbour."""
    dirt: float = Field(default=0.15, ge=0, le=1)
    """Mean share of a piece's surface under dirt (per piece: exponential around it)."""
    oil: float = Field(default=0.2, ge=0, le=1)
    """Share of pieces with an oil film (darker, less texture)."""
    paint: float = Field(default=0.15, ge=0, le=1)
    """Share of wrought, plastic and stainless pieces with paint on part of them."""
    blur_px: float | None = Field(default=None, ge=0, le=50)
    """Motion blur along the belt; default belt speed × exposure / mm_per_px."""
    lighting: float = Field(default=0.15, ge=0, le=0.6)
    """Strength of the lighting gradient and colour cast."""


@dataclass
class Frame:
    """One rendered image (BGR uint8), its instance labels (0 = belt, i+1 = pieces[i]) and
    the pieces' ground truth."""

    image: np.ndarray
    labels: np.ndarray
    pieces: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)


def _composition(mat: Material, rng: np.random.Generator) -> tuple[str, dict[str, float]]:
    """An alloy of the material and a composition uniform within its standard window."""
    if not mat.alloys:
        return "", dict(mat.composition)
    lib = load_alloy_library()
    name = str(rng.choice(mat.alloys))
    spec = lib.alloys[name]
    comp = {}
    for el in spec.limits:
        lo, hi = spec.window(el)
        comp[el] = round(float(rng.uniform(lo, hi)), 4)
    comp["Al"] = round(100.0 - sum(comp.values()), 4)
    return name, comp


def _outline(shape: str, d_px: float, rng: np.random.Generator) -> np.ndarray:
    """A polygon (k, 2) around the origin whose area is about that of a disc of d_px."""
    if shape == "wire":
        n = 6
        steps = rng.normal(0, 0.6, n).cumsum() + rng.uniform(0, 2 * np.pi)
        seg = 1.6 * d_px / n
        pts = np.stack([np.cos(steps), np.sin(steps)], 1).cumsum(0) * seg
        return pts - pts.mean(0)
    k, rough, aspect = (
        (int(rng.integers(5, 9)), 0.28, rng.uniform(1.2, 2.6))
        if shape == "sheet"
        else (int(rng.integers(8, 14)), 0.14, rng.uniform(1.0, 1.4))
    )
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = np.clip(1 + rough * rng.standard_normal(k), 0.45, 1.6)
    pts = np.stack([rad * np.cos(ang) * np.sqrt(aspect), rad * np.sin(ang) / np.sqrt(aspect)], 1)
    rot = rng.uniform(0, np.pi)
    c, s = np.cos(rot), np.sin(rot)
    pts = pts @ np.array([[c, s], [-s, c]])
    area = 0.5 * abs(
        np.dot(pts[:, 0], np.roll(pts[:, 1], 1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], 1))
    )
    return pts * (np.pi * (d_px / 2) ** 2 / max(area, 1e-9)) ** 0.5


def _piece_mask(
    pts: np.ndarray, shape: str, d_px: float, rng: np.random.Generator
) -> tuple[np.ndarray, int, int]:
    """Mask of the piece in its own patch and the patch's offset from the piece centre."""
    pad = 4
    lo = np.floor(pts.min(0)).astype(int) - pad
    hi = np.ceil(pts.max(0)).astype(int) + pad
    mask = np.zeros((hi[1] - lo[1], hi[0] - lo[0]), np.uint8)
    local = np.round((pts - lo) * 4).astype(np.int32)
    if shape == "wire":
        width = max(2, int(d_px * rng.uniform(0.18, 0.3)))
        cv2.polylines(mask, [local], False, 1, thickness=width, lineType=cv2.LINE_8, shift=2)
    else:
        cv2.fillPoly(mask, [local], 1, lineType=cv2.LINE_8, shift=2)
    return mask.astype(bool), int(lo[0]), int(lo[1])


def _texture(app: Any, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """(h, w) zero-mean texture of a piece: streaks along a random direction (rolled sheet,
    drawn wire), granular blobs (castings) or nearly smooth."""
    if app.texture == "streak":
        theta = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w]
        u = (xx * np.cos(theta) + yy * np.sin(theta)).astype(np.int32)
        u -= u.min()
        line = rng.standard_normal(int(u.max()) + 1).astype(np.float32)
        line = np.convolve(line, np.ones(2, np.float32) / 2, mode="same").astype(np.float32)
        tex = line[u] + 0.25 * rng.standard_normal((h, w)).astype(np.float32)
    else:
        tex = rng.standard_normal((h, w)).astype(np.float32)
        if app.grain_px > 1.0:
            tex = cv2.GaussianBlur(tex, (0, 0), app.grain_px) * app.grain_px * 1.6
    return tex * app.amplitude


def _shade(app: Any, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """(h, w) multiplicative shading: a tilt of the piece and, for glossy metals, a highlight."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.normal(0, 0.25, 2)
    tilt = 1 + gx * (xx / max(w, 1) - 0.5) + gy * (yy / max(h, 1) - 0.5)
    if app.gloss > 0:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        s2 = (0.25 * max(h, w)) ** 2
        tilt = tilt + app.gloss * 0.5 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / s2)
    return tilt


def _surface(
    mat: Material, mask: np.ndarray, spec: RenderSpec, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, float]]:
    """(h, w, 3) float colour of the piece and what was done to it (dirt, oil, paint)."""
    app = mat.appearance
    h, w = mask.shape
    base = np.array(app.bgr, np.float32) + rng.normal(0, app.jitter / 3, 3).astype(np.float32)
    base *= rng.uniform(1 - app.jitter / 255, 1 + app.jitter / 255)
    if app.colourful and rng.random() < 0.6:
        base = PAINTS[rng.integers(len(PAINTS))] * rng.uniform(0.6, 1.0)
    img = base[None, None, :] * _shade(app, h, w, rng)[..., None]
    img += _texture(app, h, w, rng)[..., None]
    fx: dict[str, float] = {"dirt": 0.0, "oil": 0.0, "paint": 0.0}
    if mat.group in ("wrought", "other") and app.shape == "sheet" and rng.random() < spec.paint:
        a, b = rng.normal(size=2)
        yy, xx = np.mgrid[0:h, 0:w]
        side = (xx - w / 2) * a + (yy - h / 2) * b > rng.normal(0, 0.3) * max(h, w) * 0.5
        colour = PAINTS[rng.integers(len(PAINTS))]
        if side.any():
            img[side] = colour + 0.3 * (img[side] - img[side].mean(0))
        fx["paint"] = float((side & mask).sum() / max(mask.sum(), 1))
    if rng.random() < spec.oil:
        img = img.mean((0, 1)) * 0.7 + (img - img.mean((0, 1))) * 0.5
        img[..., 2] *= 0.95
        fx["oil"] = 1.0
    level = min(0.9, rng.exponential(spec.dirt)) if spec.dirt > 0 else 0.0
    if level > 0.01:
        blob = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 3.0)
        cut = np.quantile(blob, 1 - level)
        dirty = blob > cut
        img[dirty] = img[dirty] * 0.35 + np.array([40, 55, 70], np.float32) * 0.65
        fx["dirt"] = float((dirty & mask).sum() / max(mask.sum(), 1))
    return img, fx


def _place(
    d_px: float,
    placed: list[tuple[float, float, float]],
    spec: RenderSpec,
    rng: np.random.Generator,
) -> tuple[float, float, bool]:
    """A centre for a piece: beside a placed one (touching) or free of the others."""
    r = d_px / 2
    lo_x, hi_x = r + 2, max(r + 3, spec.width - r - 2)
    lo_y, hi_y = r + 2, max(r + 3, spec.height - r - 2)
    if placed and rng.random() < spec.touching:
        cx, cy, cr = placed[int(rng.integers(len(placed)))]
        ang = rng.uniform(0, 2 * np.pi)
        dist = (cr + r) * rng.uniform(0.75, 1.0)
        x, y = cx + dist * np.cos(ang), cy + dist * np.sin(ang)
        if lo_x <= x <= hi_x and lo_y <= y <= hi_y:
            return x, y, True
    for _ in range(30):
        x, y = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        if all((x - px) ** 2 + (y - py) ** 2 > (r + pr + 3) ** 2 for px, py, pr in placed):
            break
    return x, y, False


def _draw_piece(
    canvas: np.ndarray,
    labels: np.ndarray,
    full: list[int],
    pid: int,
    name: str,
    spec: RenderSpec,
    placed: list[tuple[float, float, float]],
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    mat = priors().materials[name]
    d_mm = float(
        np.clip(
            mat.size_ratio * spec.grain_mm * np.exp(rng.normal(0, 0.35)), 8.0, 3 * spec.grain_mm
        )
    )
    d_px = d_mm / spec.mm_per_px
    shape = mat.appearance.shape
    mask, ox, oy = _piece_mask(_outline(shape, d_px, rng), shape, d_px, rng)
    cx, cy, touching = _place(d_px, placed, spec, rng)
    x0, y0 = int(round(cx)) + ox, int(round(cy)) + oy
    h, w = mask.shape
    X0, Y0 = max(x0, 0), max(y0, 0)
    X1, Y1 = min(x0 + w, spec.width), min(y0 + h, spec.height)
    if X1 - X0 < 2 or Y1 - Y0 < 2:
        return None
    m = mask[Y0 - y0 : Y1 - y0, X0 - x0 : X1 - x0]
    if m.sum() < 0.8 * mask.sum():  # mostly out of frame: draw another
        return None
    colour, fx = _surface(mat, mask, spec, rng)
    canvas[Y0:Y1, X0:X1][m] = colour[Y0 - y0 : Y1 - y0, X0 - x0 : X1 - x0][m]
    labels[Y0:Y1, X0:X1][m] = pid
    full.append(int(m.sum()))
    placed.append((cx, cy, d_px / 2))
    area_mm2 = float(m.sum()) * spec.mm_per_px**2
    d_eq = 2 * np.sqrt(area_mm2 / np.pi)
    t = float(mat.thickness.mean_mm(d_eq)) * float(
        np.exp(rng.normal(0, mat.thickness.cv) - mat.thickness.cv**2 / 2)
    )
    alloy, comp = _composition(mat, rng)
    return {
        "id": pid,
        "material": name,
        "group": mat.group,
        "area_mm2": area_mm2,
        "thickness_mm": t,
        "mass_g": area_mm2 * t * mat.density_g_cm3 / 1000,
        "alloy": alloy,
        "composition": comp,
        "touching": touching,
        **fx,
    }


def _finish(canvas: np.ndarray, spec: RenderSpec, rng: np.random.Generator) -> np.ndarray:
    """Lighting across the belt, colour cast, motion blur along it, sensor noise."""
    cam = priors().camera
    x = np.linspace(-1, 1, spec.width, dtype=np.float32)
    light = 1 + spec.lighting * (rng.uniform(-0.5, 0.5) * x - 0.6 * x**2)
    cast = 1 + spec.lighting * 0.3 * rng.uniform(-1, 1, 3).astype(np.float32)
    img: np.ndarray = canvas * light[None, :, None] * cast[None, None, :] * rng.uniform(0.9, 1.1)
    blur = (
        spec.blur_px
        if spec.blur_px is not None
        else cam.belt_speed_m_s * cam.exposure_ms / spec.mm_per_px
    )
    k = int(round(blur))
    if k >= 2:
        img = cv2.blur(img, (1, k))
    img += rng.normal(0, 2.0, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def render(spec: RenderSpec | None = None, seed: int = 0) -> Frame:
    """One synthetic belt frame with its ground truth (deterministic for a seed)."""
    spec = spec or RenderSpec()
    pri = priors()
    rng = np.random.default_rng(seed)
    mix = spec.mix or pri.mix
    unknown = set(mix) - set(pri.materials)
    if unknown:
        raise ValueError(
            f"mix names unknown materials {sorted(unknown)}; known: {sorted(pri.materials)}"
        )
    names = list(mix)
    p = np.array([mix[n] for n in names], float)
    if (p < 0).any() or p.sum() <= 0:
        raise ValueError("mix: shares must be ≥ 0 and not all zero")
    belt = np.array(pri.belt.bgr, np.float32)
    canvas = belt + rng.normal(0, pri.belt.noise, (spec.height, spec.width, 1)).astype(np.float32)
    canvas += rng.normal(0, 2.0, (1, spec.width, 1)).astype(np.float32)  # wear along the belt
    labels = np.zeros((spec.height, spec.width), np.int32)
    placed: list[tuple[float, float, float]] = []
    full: list[int] = []
    pieces: list[dict[str, Any]] = []
    tries = 0
    while len(pieces) < spec.pieces and tries < 3 * spec.pieces + 10:
        tries += 1
        name = names[int(rng.choice(len(names), p=p / p.sum()))]
        piece = _draw_piece(canvas, labels, full, len(pieces) + 1, name, spec, placed, rng)
        if piece is not None:
            pieces.append(piece)
    visible = np.bincount(labels.ravel(), minlength=len(pieces) + 1)
    for pc, n_full in zip(pieces, full, strict=True):
        pc["visible"] = float(visible[pc["id"]] / max(n_full, 1))
    meta = {
        "mm_per_px": spec.mm_per_px,
        "grain_mm": spec.grain_mm,
        "belt_speed_m_s": pri.camera.belt_speed_m_s,
        "camera": "synthetic",
        "lighting": f"gradient {spec.lighting:g}",
        "line": "synthetic",
        "seed": seed,
    }
    return Frame(_finish(canvas, spec, rng), labels, pieces, meta)
