"""Which product model is on the dismantling bench: from a photo, read an identifier (QR /
barcode with zbar, nameplate text with Tesseract OCR) and, where no label is readable, match the
product's outline against a catalogue of known models.

Catalogue (YAML)::

    calibration: {temperature: 0.8, method: "leave-one-out NLL on the enrolment photos"}
    models:
      - model: JK-C100
        maker: Maker A
        product_type: compressor
        bom: "library/compressor.yaml#compressor"   # the lifecycle model it maps to
        codes: ["JK-C100"]                          # what its barcode / QR carries
        shape: [[...], ...]                         # enrolled outline features, one per photo

Labels: the regions clearly brighter than the background on or next to the product (a
nameplate, a sticker — a QR code or barcode needs a light quiet zone) are searched by zbar and the
largest is read by Tesseract. Shape features: the product's silhouette (differs from a plane
fitted to the image border; holes filled; largest region), cropped and resized to 64 × 64,
described by HOG (scikit-image) plus log-scaled Hu moments, aspect ratio and extent (area /
bounding box). A model's score is the distance to its nearest enrolled photo; confidence is
``softmax(−d / T)`` with ``T`` fitted at enrolment (leave-one-out negative log-likelihood).
zbar (Debian ``libzbar0``) and Tesseract (Debian ``tesseract-ocr``) are system libraries: when
missing, the error says which package to install.
"""

from __future__ import annotations

import difflib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.extras import MissingExtra
from junkan.metering.config import MeteringError, read_yaml, refused

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_MODELS = 10_000
FEATURE_LENGTH = 333
"""Numbers in one outline feature vector (:func:`shape_features`: 324 HOG, 7 Hu moments,
aspect ratio, extent): every catalogue ``shape`` vector has this length."""
CODE_CONFIDENCE = 0.995
"""Assumption: a decoded QR / barcode (error-corrected or check-digit verified) that equals a
catalogue code is right unless the label is on the wrong product."""
OCR_MIN_RATIO = 0.8
OCR_MAX_SIDE = 1200
"""A label crop longer than this (px) is reduced before Tesseract reads it: its work grows
faster than the pixel count (a 800 px square of noise: about 11 s), and a nameplate's text
stays legible."""
OCR_TIMEOUT_S = 10.0
"""Tesseract is stopped after this many seconds; the identification goes on without text."""


class IdentifyError(MeteringError):
    """An unreadable image, a bad catalogue, or a missing zbar / Tesseract."""


class OcrFailed(IdentifyError):
    """Tesseract ran but gave no text: it failed, was killed (e.g. by a CPU-time limit) or
    ran over :data:`OCR_TIMEOUT_S`. :func:`~junkan.metering.identify` goes on without it."""


@dataclass
class Entry:
    model: str
    maker: str = ""
    product_type: str = ""
    bom: str = ""
    codes: list[str] = field(default_factory=list)
    shape: list[list[float]] = field(default_factory=list)


@dataclass
class Catalogue:
    models: list[Entry]
    temperature: float = 1.0
    source: str = "<catalogue>"

    def to_doc(self) -> dict[str, Any]:
        return {
            "calibration": {
                "temperature": round(self.temperature, 6),
                "method": "leave-one-out negative log-likelihood on the enrolment photos",
            },
            "models": [
                {
                    "model": e.model,
                    "maker": e.maker,
                    "product_type": e.product_type,
                    "bom": e.bom,
                    "codes": e.codes,
                    "shape": [[round(x, 5) for x in v] for v in e.shape],
                }
                for e in self.models
            ],
        }


def load_catalogue(
    path: str | Path | None = None, *, doc: object = None, field: str | None = None
) -> Catalogue:
    """Read a catalogue (file or parsed document); errors name the file (``path: models[0]
    .shape``) or, for a document that is the ``field`` of a request, that field
    (``catalogue.models[0].shape``)."""
    name = str(path) if path is not None else field or "<catalogue>"
    at = f"{name}." if path is None and field else f"{name}: "
    if path is not None:
        doc = read_yaml(path, IdentifyError)
    items = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_MODELS:
        raise IdentifyError(f"{at}models: expected a list of 1 to {MAX_MODELS} models")
    out = []
    for i, m in enumerate(items):
        where = f"{at}models[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("model"), str) or not m["model"]:
            raise IdentifyError(f"{where}.model: give the model id")
        if unknown := set(m) - {"model", "maker", "product_type", "bom", "codes", "shape"}:
            raise IdentifyError(f"{where}: unknown field(s) {sorted(map(str, unknown))}")
        codes = m.get("codes") or []
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise IdentifyError(f"{where}.codes: expected a list of strings")
        shape = m.get("shape") or []
        if not isinstance(shape, list):
            raise IdentifyError(f"{where}.shape: expected a list of number lists")
        try:
            arr = (
                np.asarray(shape, dtype=float).reshape(len(shape), -1)
                if shape
                else np.zeros((0, 0))
            )
        except (TypeError, ValueError):
            raise IdentifyError(f"{where}.shape: expected a list of number lists") from None
        if len(shape) and (not np.isfinite(arr).all() or arr.shape[1] != FEATURE_LENGTH):
            raise IdentifyError(
                f"{where}.shape: expected outline feature vectors of {FEATURE_LENGTH} finite "
                f"numbers each (as enrolment writes them), got {arr.shape[1]} per vector"
                + ("" if np.isfinite(arr).all() else " with a value not finite")
            )
        out.append(
            Entry(
                m["model"],
                str(m.get("maker", "")),
                str(m.get("product_type", "")),
                str(m.get("bom", "")),
                [str(c) for c in codes] or [m["model"]],
                arr.tolist(),
            )
        )
    cal = doc.get("calibration") or {} if isinstance(doc, dict) else {}
    t = cal.get("temperature", 1.0) if isinstance(cal, dict) else None
    if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t < 1e6:
        raise IdentifyError(f"{at}calibration.temperature: expected a positive number")
    return Catalogue(out, float(t), name)


# ---- image and features -------------------------------------------------------------------
def read_image(data: bytes, source: str = "image") -> np.ndarray:
    """PNG / JPEG / … bytes → grayscale uint8 array; an unreadable or absurd image is an error."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise IdentifyError(f"{source}: empty image")
    if len(data) > MAX_IMAGE_BYTES:
        raise IdentifyError(f"{source}: {len(data)} bytes; at most {MAX_IMAGE_BYTES}")
    try:
        im = Image.open(io.BytesIO(data))
        if im.width * im.height > MAX_PIXELS or min(im.size) < 16:
            raise IdentifyError(f"{source}: {im.width}×{im.height} pixels; 16 to {MAX_PIXELS} px")
        return np.asarray(im.convert("L"))
    except UnidentifiedImageError:  # its text names an internal buffer object
        raise _unreadable(source) from None
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _unreadable(source) from None


def _unreadable(source: str) -> MeteringError:
    """An image PIL cannot read, under the rule ``image-unreadable``, so a page says it in
    its language (it was English under a Japanese page; PIL's own words, which named its
    decoder, are left out)."""
    return refused(source, "image-unreadable",
                   "not a readable image (give a photo, e.g. JPEG or PNG)", IdentifyError)


SILHOUETTE_PX = 240
"""The silhouette is found on the photo reduced to about this many pixels on its longer side."""


def _step(shape: tuple[int, ...]) -> int:
    return max(1, round(max(shape[:2]) / SILHOUETTE_PX))


def silhouette(gray: np.ndarray) -> np.ndarray:
    """The object's mask (product with its labels), on the photo reduced by :func:`_step`:
    pixels that differ from the background — a plane fitted to the image border — by more
    than 6 noise σ (at least 25 grey levels), holes filled, the largest region."""
    from scipy import ndimage

    g = gray[:: _step(gray.shape), :: _step(gray.shape)].astype(float)
    h, w = g.shape
    b = max(2, min(h, w) // 40)
    border = np.zeros((h, w), bool)
    border[:b], border[-b:], border[:, :b], border[:, -b:] = True, True, True, True
    yy, xx = np.nonzero(border)
    a = np.column_stack([np.ones(len(yy)), xx / w, yy / h])
    z = g[yy, xx]
    coef, *_ = np.linalg.lstsq(a, z, rcond=None)
    resid = z - a @ coef
    sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    bg = coef[0] + coef[1] * (np.arange(w) / w)[None, :] + coef[2] * (np.arange(h) / h)[:, None]
    mask = ndimage.binary_fill_holes(np.abs(g - bg) > max(6 * sigma, 25.0))
    mask = ndimage.binary_opening(mask, iterations=1)
    lab, n = ndimage.label(mask)
    if n == 0:
        raise IdentifyError("no object found in the image")
    sizes = np.bincount(lab.ravel())[1:]
    return np.asarray(lab == (int(np.argmax(sizes)) + 1))


def shape_features(gray: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """HOG of the cropped 64 × 64 silhouette, log-scaled Hu moments, aspect ratio, extent."""
    from skimage.feature import hog
    from skimage.measure import moments_central, moments_hu, moments_normalized
    from skimage.transform import resize

    mask = silhouette(gray) if mask is None else mask
    ys, xs = np.nonzero(mask)
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(float)
    side = max(crop.shape)
    sq = np.zeros((side, side))
    oy, ox = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    sq[oy : oy + crop.shape[0], ox : ox + crop.shape[1]] = crop
    img = resize(sq, (64, 64), anti_aliasing=True)
    h = hog(img, orientations=9, pixels_per_cell=(16, 16), cells_per_block=(2, 2))
    hu = moments_hu(moments_normalized(moments_central(img), 3))
    loghu = -np.sign(hu) * np.log10(np.abs(hu) + 1e-12) / 10
    aspect = math.log(crop.shape[1] / crop.shape[0])
    return np.concatenate([h, loghu, [aspect, float(crop.mean())]])


# ---- labels -------------------------------------------------------------------------------
def label_regions(
    gray: np.ndarray, mask: np.ndarray | None = None, most: int = 3
) -> list[np.ndarray]:
    """Crops of the regions on or next to the product that are clearly brighter than the
    background (nameplates, stickers: a QR code or barcode needs a light quiet zone), largest
    first, at most ``most``."""
    from scipy import ndimage

    mask = silhouette(gray) if mask is None else mask
    st = _step(gray.shape)
    ys, xs = np.nonzero(mask)
    y0, y1 = max(0, ys.min() * st - 15), min(gray.shape[0], (ys.max() + 1) * st + 15)
    x0, x1 = max(0, xs.min() * st - 15), min(gray.shape[1], (xs.max() + 1) * st + 15)
    outside = np.ones(gray.shape, bool)
    outside[y0:y1, x0:x1] = False
    bg = float(np.median(gray[outside])) if outside.any() else 128.0
    box = gray[y0:y1, x0:x1]
    bright = ndimage.binary_fill_holes(
        ndimage.binary_closing(box > max(bg + 25, 200), iterations=3)
    )
    lab, n = ndimage.label(bright)
    if n == 0:
        return []
    sizes = np.bincount(lab.ravel())[1:]
    out = []
    for k in np.argsort(-sizes)[:most]:
        if sizes[k] < 600:
            break
        sl = ndimage.find_objects((lab == k + 1).astype(np.int32))[0]
        ya, yb = max(0, sl[0].start - 6), min(box.shape[0], sl[0].stop + 6)
        xa, xb = max(0, sl[1].start - 6), min(box.shape[1], sl[1].stop + 6)
        out.append(box[ya:yb, xa:xb])
    return out


def read_codes(gray: np.ndarray) -> list[dict[str, Any]]:
    """QR codes and barcodes in the image (zbar)."""
    try:
        from pyzbar import pyzbar
    except ModuleNotFoundError as exc:
        raise MissingExtra("metering", "pyzbar") from exc
    except ImportError as exc:
        raise IdentifyError(
            "zbar is not installed (the shared library libzbar.so.0): "
            "apt-get install libzbar0 (Debian) — needed to read QR codes and barcodes"
        ) from exc
    from PIL import Image

    return [
        {"type": s.type, "data": s.data.decode("utf-8", "replace"), "rect": list(s.rect)}
        for s in pyzbar.decode(Image.fromarray(np.ascontiguousarray(gray)))
    ]


def nameplate(gray: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray | None:
    """The largest label region (:func:`label_regions`), or None."""
    regions = label_regions(gray, mask, most=1)
    return regions[0] if regions else None


def ocr_image(image: np.ndarray) -> Any:
    """The label crop as Tesseract gets it: a PIL image at most :data:`OCR_MAX_SIDE` px
    on its longer side."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(image))
    if max(im.size) > OCR_MAX_SIDE:
        f = OCR_MAX_SIDE / max(im.size)
        im = im.resize((max(1, round(im.width * f)), max(1, round(im.height * f))),
                       Image.Resampling.LANCZOS)
    return im


def read_text(
    image: np.ndarray, tesseract_cmd: str | None = None, timeout_s: float = OCR_TIMEOUT_S
) -> str:
    """The text of a label crop (Tesseract, one block of text; the crop reduced by
    :func:`ocr_image`). Tesseract missing is an :class:`IdentifyError` naming the package;
    Tesseract failing, killed or over ``timeout_s`` is :class:`OcrFailed` saying how."""
    try:
        import pytesseract
    except ModuleNotFoundError as exc:
        raise MissingExtra("metering", "pytesseract") from exc

    saved = pytesseract.pytesseract.tesseract_cmd
    if tesseract_cmd:
        pytesseract.pytesseract.tesseract_cmd = tesseract_cmd
    try:
        return str(pytesseract.image_to_string(ocr_image(image), config="--psm 6",
                                               timeout=timeout_s))
    except pytesseract.TesseractNotFoundError as exc:
        raise IdentifyError(
            "Tesseract OCR is not installed (no 'tesseract' program): apt-get install "
            "tesseract-ocr (Debian) — needed to read nameplate text"
        ) from exc
    except pytesseract.TesseractError as exc:
        how = (f"was killed by signal {-exc.status}"
               + (" (its CPU-time limit)" if -exc.status == 24 else "")
               if isinstance(exc.status, int) and exc.status < 0
               else f"failed (status {exc.status})")
        raise OcrFailed(f"nameplate text: Tesseract {how}: {str(exc.message)[:120]}") from None
    except RuntimeError as exc:  # pytesseract's own timeout
        if "timeout" not in str(exc).lower():
            raise
        raise OcrFailed(f"nameplate text: Tesseract stopped after {timeout_s:g} s") from None
    finally:
        pytesseract.pytesseract.tesseract_cmd = saved


def _norm(s: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", s.upper().replace("O", "0"))


def match_text(text: str, cat: Catalogue) -> tuple[Entry, float, str] | None:
    """The catalogue model whose id best matches a token of ``text`` (ratio ≥ 0.8)."""
    tokens = [_norm(t) for t in re.split(r"\s+", text) if len(_norm(t)) >= 3]
    best: tuple[Entry, float, str] | None = None
    for e in cat.models:
        for code in {e.model, *e.codes}:
            want = _norm(code)
            for tok in tokens:
                r = difflib.SequenceMatcher(None, want, tok).ratio()
                if r >= OCR_MIN_RATIO and (best is None or r > best[1]):
                    best = (e, r, tok)
    return best
