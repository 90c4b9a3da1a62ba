"""Synthetic photos of used products for identification tests and demos: 20 product models
with distinct outlines (body aspect, corner rounding, dome, feet, pipe stubs, handle), each
photo with a random pose (rotation, scale, shift), lighting, sensor noise and blur, and a
nameplate carrying the model's text and a QR code — or only text, or nothing (shape alone).

Every shape parameter below is an assumption of the generator (invented models), not data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

W, H = 480, 360
LABELS = ("qr", "text", "none")


@dataclass(frozen=True)
class ProductModel:
    model: str
    maker: str
    product_type: str
    aspect: float  # body width / height
    corner: float  # corner radius / min(width, height)
    dome: float  # dome height / body height (0 = none)
    feet: int
    pipe: int  # 0 none, 1 left, 2 right, 3 both
    handle: bool


def _models() -> list[ProductModel]:
    types = ("compressor", "microwave", "air-conditioner outdoor unit", "washing machine")
    spec = [  # aspect, corner, dome, feet, pipe, handle
        (0.55, 0.45, 0.35, 3, 1, False),
        (0.55, 0.05, 0.0, 2, 0, True),
        (0.75, 0.3, 0.25, 0, 2, False),
        (0.75, 0.05, 0.0, 4, 3, False),
        (0.9, 0.5, 0.0, 3, 0, False),
        (0.9, 0.1, 0.3, 0, 1, True),
        (1.05, 0.2, 0.0, 2, 2, False),
        (1.05, 0.45, 0.2, 4, 0, False),
        (1.2, 0.05, 0.0, 0, 3, True),
        (1.2, 0.35, 0.0, 2, 1, False),
        (1.35, 0.1, 0.15, 3, 0, False),
        (1.35, 0.45, 0.0, 0, 2, True),
        (1.5, 0.05, 0.0, 4, 1, False),
        (1.5, 0.3, 0.25, 2, 3, False),
        (1.7, 0.15, 0.0, 0, 0, True),
        (1.7, 0.45, 0.0, 3, 2, False),
        (1.9, 0.05, 0.2, 2, 0, False),
        (1.9, 0.3, 0.0, 4, 3, True),
        (0.65, 0.2, 0.0, 0, 0, False),
        (1.6, 0.05, 0.0, 0, 1, False),
    ]
    return [
        ProductModel(f"JK-{t[0].upper()}{100 + i}", f"Maker {'ABCDE'[i % 5]}", t, *s)
        for i, s in enumerate(spec)
        for t in [types[i % 4]]
    ]


MODELS: list[ProductModel] = _models()


def render(
    m: ProductModel, rng: np.random.Generator, label: str = "qr", *, size: tuple[int, int] = (W, H)
) -> bytes:
    """One PNG photo of ``m`` (``label``: ``qr`` = nameplate with text and QR code, ``text`` =
    nameplate text only, ``none`` = no readable label)."""
    from PIL import Image, ImageDraw, ImageFilter

    if label not in LABELS:
        raise ValueError(f"label: one of {', '.join(LABELS)}")
    w, h = 900, 900  # drawn large, then posed and scaled down
    canvas = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(canvas)
    bh = 330.0
    bw = bh * m.aspect
    if bw > 560:
        bw, bh = 560.0, 560.0 / m.aspect
    x0, y0 = (w - bw) / 2, (h - bh) / 2 + 40
    r = m.corner * min(bw, bh)
    d.rounded_rectangle((x0, y0, x0 + bw, y0 + bh), radius=r, fill=255)
    if m.dome:
        dh = m.dome * bh
        d.ellipse((x0 + bw * 0.15, y0 - dh, x0 + bw * 0.85, y0 + dh), fill=255)
    for k in range(m.feet):
        fx = x0 + bw * (0.1 + 0.8 * k / max(1, m.feet - 1)) if m.feet > 1 else x0 + bw / 2
        d.rectangle((fx - 14, y0 + bh - 2, fx + 14, y0 + bh + 38), fill=255)
    if m.pipe & 1:
        d.rectangle((x0 - 70, y0 + bh * 0.3, x0 + 2, y0 + bh * 0.3 + 26), fill=255)
    if m.pipe & 2:
        d.rectangle((x0 + bw - 2, y0 + bh * 0.55, x0 + bw + 70, y0 + bh * 0.55 + 26), fill=255)
    if m.handle:
        d.rectangle((x0 + bw * 0.3, y0 - 60, x0 + bw * 0.7, y0 + 2), fill=255)
        d.rectangle((x0 + bw * 0.36, y0 - 38, x0 + bw * 0.64, y0 + 2), fill=0)
    mask = canvas.rotate(float(rng.uniform(-6, 6)), resample=Image.Resampling.BILINEAR)
    scale = float(rng.uniform(0.85, 1.1)) * size[0] / w * 1.15
    mask = mask.resize((int(w * scale), int(h * scale)), Image.Resampling.BILINEAR)
    bg_level, fg_level = rng.uniform(150, 200), rng.uniform(35, 95)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    grad = rng.uniform(-20, 20) * (xx / size[0] - 0.5) + rng.uniform(-15, 15) * (yy / size[1] - 0.5)
    bg = bg_level + grad
    photo = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8))
    ox = int((size[0] - mask.width) / 2 + rng.uniform(-15, 15))
    oy = int((size[1] - mask.height) / 2 + rng.uniform(-12, 12))
    photo.paste(Image.new("L", mask.size, int(fg_level)), (ox, oy), mask)
    if label != "none":
        _nameplate(photo, m, label, (ox + mask.width // 2, oy + mask.height // 2 + int(40 * scale)))
    photo = photo.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.9))))
    arr = np.asarray(photo, dtype=float) + rng.normal(0, rng.uniform(2, 6), (size[1], size[0]))
    out = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()


def _nameplate(photo: object, m: ProductModel, label: str, centre: tuple[int, int]) -> None:
    """A white plate with the model and maker (and a QR code of the model id) at ``centre``."""
    from PIL import Image, ImageDraw, ImageFont

    assert isinstance(photo, Image.Image)
    font = ImageFont.load_default(size=17)
    pw, ph = (200, 84) if label == "qr" else (130, 48)
    plate = Image.new("L", (pw, ph), 250)
    d = ImageDraw.Draw(plate)
    d.text((5, 4), m.model, fill=10, font=font)
    d.text((5, 26), m.maker, fill=10, font=ImageFont.load_default(size=13))
    if label == "qr":
        import segno

        buf = io.BytesIO()
        segno.make(m.model, error="m", micro=False).save(buf, kind="png", scale=3, border=2)
        buf.seek(0)
        qr = Image.open(buf).convert("L")
        plate.paste(qr, (pw - qr.width - 3, (ph - qr.height) // 2))
    photo.paste(plate, (centre[0] - pw // 2, centre[1] - ph // 2))


def photo_set(
    n_per_model: int, seed: int, labels: tuple[str, ...] = LABELS, models: int = len(MODELS)
) -> list[tuple[str, str, bytes]]:
    """``n_per_model`` photos of each of the first ``models`` of the 20 models: (model, label
    kind, PNG bytes), label kinds in turn."""
    rng = np.random.default_rng(seed)
    return [
        (m.model, labels[k % len(labels)], render(m, rng, labels[k % len(labels)]))
        for m in MODELS[:models]
        for k in range(n_per_model)
    ]
