"""Users' images: COCO instance annotations (pycocotools) or one folder per class, with
per-image metadata (line, time, belt speed, camera, mm/px, lighting) and optional LIBS / XRF
analyses per piece; and the synthetic frames of :mod:`junkan.vision.render` in the same shape.

Errors name the file and what is wrong: unreadable or corrupt images, grayscale images (the
classifier needs colour), sizes other than the annotation says or outside the limits, unknown
classes, missing mm/px. An image without pieces (an empty belt) is allowed; a training set
whose pieces are all one class is refused by :func:`junkan.vision.model.train`."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.core.unique import unique_problem
from junkan.vision.materials import group_from_composition, group_of
from junkan.vision.render import Frame

MAX_FILE_BYTES = 64 * 2**20
MAX_PIXELS = 40_000_000
MIN_SIDE = 64
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class ImageMeta(Strict):
    """What is known about one image; ``mm_per_px`` is required for sizes and masses."""

    mm_per_px: float = Field(gt=0.01, le=10)
    line: str = Field(default="", max_length=200)
    time: datetime | None = None
    belt_speed_m_s: float | None = Field(default=None, gt=0, le=20)
    camera: str = Field(default="", max_length=200)
    lighting: str = Field(default="", max_length=200)
    grain_mm: float | None = Field(default=None, gt=0, le=1000)


class ImageError(ValueError):
    """A bad image or annotation; the message names the file."""


@dataclass
class Item:
    """One image: its pixels (loaded on demand from ``path``), metadata, and the truth when
    known: an instance label map (0 belt, i+1 = ``pieces[i]``) and per piece its class and
    any extra ground truth (mass, LIBS/XRF analysis, attributes) — or, for a folder-per-class
    image, one ``label`` for the piece it shows."""

    path: str
    meta: ImageMeta
    truth: np.ndarray | None = None
    pieces: list[dict[str, Any]] = field(default_factory=list)
    label: str | None = None
    pixels: np.ndarray | None = None

    def image(self) -> np.ndarray:
        return self.pixels if self.pixels is not None else read_image(self.path)


@dataclass
class Dataset:
    items: list[Item]
    source: str
    digest: str
    """SHA-256 of the images' bytes and the annotations: the training data's identity."""


def read_image(path: str | Path, expect: tuple[int, int] | None = None) -> np.ndarray:
    """A colour image (H×W×3 uint8 BGR), or ImageError naming the file and the problem."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImageError(f"{p}: cannot read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{p}: {size:,} bytes; images are limited to {MAX_FILE_BYTES:,}")
    return decode(p.read_bytes(), str(p), expect)


def header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image's header, without decoding its pixels (None when the
    header is not readable; :func:`decode` then says so)."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        return (2**31, 2**31)  # far above any limit here
    except Exception:  # noqa: BLE001 - any unreadable header: cv2 gives the message
        return None
    return int(w), int(h)


def _check_size(name: str, w: int, h: int) -> None:
    if h < MIN_SIDE or w < MIN_SIDE or h * w > MAX_PIXELS:
        raise ImageError(
            f"{name}: {w}×{h} px; images must be at least {MIN_SIDE} px a side "
            f"and at most {MAX_PIXELS:,} px"
        )


def decode(data: bytes, name: str, expect: tuple[int, int] | None = None) -> np.ndarray:
    """Decode image bytes (PNG, JPEG, BMP, TIFF) and check them (see :func:`read_image`).
    The size is checked from the header before the pixels are decoded. An alpha channel is
    dropped (the belt is opaque); an image that is transparent everywhere is refused."""
    size = header_size(data)
    if size is not None:
        _check_size(name, *size)
    buf = np.frombuffer(data, np.uint8)
    hdr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if hdr is None:
        raise ImageError(f"{name}: not a readable image (corrupt, truncated or not an image)")
    if hdr.ndim == 2 or (hdr.ndim == 3 and hdr.shape[2] == 1):
        raise ImageError(
            f"{name}: grayscale image; the classifier needs colour (3-channel BGR/RGB) images"
        )
    if hdr.dtype != np.uint8:
        raise ImageError(f"{name}: {hdr.dtype} pixels; give 8-bit colour images")
    if hdr.shape[2] == 4 and not hdr[..., 3].any():
        raise ImageError(
            f"{name}: fully transparent image (alpha 0 everywhere); give an opaque colour image"
        )
    img = hdr[..., :3] if hdr.shape[2] == 4 else hdr
    h, w = img.shape[:2]
    _check_size(name, w, h)
    if expect is not None and (w, h) != expect:
        raise ImageError(f"{name}: {w}×{h} px, but the annotations say {expect[0]}×{expect[1]}")
    return np.ascontiguousarray(img)


def _meta(doc: dict[str, Any], where: str) -> ImageMeta:
    """``doc`` as an image's metadata, or ImageError naming ``where`` (the file) and each
    field that is wrong."""
    try:
        return validate_with(ImageMeta, doc, where)
    except ModelError as exc:
        raise ImageError("\n".join(f"{where}: {' '.join(('metadata', p.path)).strip()}: "
                                    f"{p.message}" for p in exc.problems)) from None


def from_frames(frames: list[Frame], source: str = "render") -> Dataset:
    """Rendered frames as a dataset (their pixels kept in memory)."""
    h = hashlib.sha256()
    items = []
    for i, f in enumerate(frames):
        h.update(f.image.tobytes())
        h.update(f.labels.tobytes())
        items.append(
            Item(
                f"{source}#{i}",
                _meta({k: v for k, v in f.meta.items() if k in ImageMeta.model_fields}, source),
                f.labels,
                f.pieces,
                pixels=f.image,
            )
        )
    return Dataset(items, source, h.hexdigest())


def _piece(ann: dict[str, Any], cats: dict[int, str], where: str) -> dict[str, Any]:
    piece = {k: v for k, v in ann.items() if k not in ("segmentation", "bbox", "area")}
    name = cats.get(ann.get("category_id", -1))
    comp = ann.get("libs") or ann.get("xrf")
    if name is None and comp is None:
        raise ImageError(
            f"{where}: annotation {ann.get('id')}: unknown category_id "
            f"{ann.get('category_id')!r} and no 'libs'/'xrf' analysis"
        )
    try:
        group = group_of(name) if name is not None else group_from_composition(comp or {})
    except ValueError as exc:
        raise ImageError(f"{where}: annotation {ann.get('id')}: {exc}") from None
    piece["material"] = name if name is not None else group
    piece["group"] = group
    return piece


def _coco_doc(p: Path, raw: bytes) -> dict[str, Any]:
    """The parsed COCO document with its lists checked: unique image and annotation ids,
    every annotation on a listed image, file names inside the data folder."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise ImageError(f"{p}: not a COCO annotation file ({exc})") from None
    ok = isinstance(doc, dict) and all(
        isinstance(doc.get(k, []), list) for k in ("images", "annotations", "categories")
    )
    if not ok or "images" not in doc:
        raise ImageError(
            f"{p}: not a COCO annotation file (needs 'images' and 'annotations' lists)"
        )
    for key in ("images", "annotations", "categories"):
        if not all(
            isinstance(x, dict) and isinstance(x.get("id"), (int, str)) for x in doc.get(key, [])
        ):
            raise ImageError(f"{p}: every entry of '{key}' needs an 'id' (number or text)")
        twice = unique_problem((str(x["id"]) for x in doc.get(key, [])), key)
        if twice is not None:
            raise ImageError(twice.render(str(p)))
    img_ids = {x["id"] for x in doc["images"]}
    for info in doc["images"]:
        name = info.get("file_name")
        parts = Path(str(name)).parts
        if (
            not isinstance(name, str)
            or not parts
            or Path(name).is_absolute()
            or ".." in parts
            or "\\" in name
        ):
            raise ImageError(
                f"{p}: image {info['id']}: file_name {name!r}: a relative path inside the "
                "data folder, without '..'"
            )
    for ann in doc.get("annotations", []):
        if ann.get("image_id") not in img_ids:
            raise ImageError(
                f"{p}: annotation {ann['id']}: image_id {ann.get('image_id')!r} is not in 'images'"
            )
    return doc


def _mask(ann: dict[str, Any], h: int, w: int, where: str) -> np.ndarray:
    """The annotation's mask (polygons, RLE or compressed RLE, as pycocotools reads them)."""
    from pycocotools import mask as mask_utils

    seg = ann.get("segmentation")
    if seg is None:
        raise ImageError(f"{where}: annotation {ann['id']}: no 'segmentation' (the piece's mask)")
    try:
        if isinstance(seg, list):
            polys = [list(map(float, q)) for q in seg]
            if not polys or any(len(q) < 6 or len(q) % 2 for q in polys):
                raise ValueError("polygons need 3 or more x, y pairs")
            rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
        elif isinstance(seg, dict) and isinstance(seg.get("counts"), list):
            rle = mask_utils.frPyObjects(seg, h, w)
        else:
            rle = seg
        m = mask_utils.decode(rle).astype(bool)
    except Exception as exc:  # noqa: BLE001 - pycocotools raises bare Exception
        raise ImageError(
            f"{where}: annotation {ann['id']}: unreadable segmentation ({exc})"
        ) from None
    if m.shape != (h, w):
        raise ImageError(
            f"{where}: annotation {ann['id']}: mask is {m.shape[1]}×{m.shape[0]} px, "
            f"the image {w}×{h}"
        )
    return m


def load_coco(path: str | Path, images_dir: str | Path | None = None) -> Dataset:
    """A COCO instance-annotation file (``images``, ``annotations``, ``categories``). Category
    names are materials (``wrought_al`` …) or groups (``wrought``, ``cast``, ``copper``,
    ``other``); an annotation may carry ``libs`` or ``xrf`` (wt %), which gives its group when
    it has no category (``category_id`` may then be left out). Per-image metadata: the
    image's ``junkan`` member (``mm_per_px`` required, ``line``, ``time``,
    ``belt_speed_m_s``, ``camera``, ``lighting``). Refused, naming the ids: duplicate image
    or annotation ids, annotations on unlisted images, missing or malformed segmentations,
    negative ``mass_g``, file names outside the data folder."""
    p = Path(path)
    raw = p.read_bytes()
    doc = _coco_doc(p, raw)
    cats = {c["id"]: c.get("name") for c in doc.get("categories", [])}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for ann in doc.get("annotations", []):
        by_image.setdefault(ann["image_id"], []).append(ann)
    root = Path(images_dir) if images_dir else p.parent
    h = hashlib.sha256(raw)
    items = []
    for info in sorted(doc["images"], key=lambda x: x["id"]):
        where = f"{p}: image {info.get('file_name')!r}"
        meta = _meta(info.get("junkan") or {}, where)
        file = root / str(info["file_name"])
        try:
            size = (int(info["width"]), int(info["height"]))
        except (KeyError, TypeError, ValueError):
            raise ImageError(f"{where}: needs integer 'width' and 'height'") from None
        img = read_image(file, size)
        h.update(img.tobytes())
        truth = np.zeros(img.shape[:2], np.int32)
        pieces = []
        for ann in by_image.get(info["id"], []):
            mass = ann.get("mass_g")
            if mass is not None and not (isinstance(mass, (int, float)) and 0 <= mass < 1e9):
                raise ImageError(f"{where}: annotation {ann['id']}: mass_g {mass!r} is not >= 0")
            m = _mask(ann, size[1], size[0], where)
            pieces.append(_piece(ann, cats, where))
            truth[m] = len(pieces)
        items.append(Item(str(file), meta, truth, pieces, pixels=img))
    return Dataset(items, str(p), h.hexdigest())


def load_folders(root: str | Path) -> Dataset:
    """``root/<class>/<image>``: each image shows one piece of the folder's class (a
    material or a group). Metadata for all images: ``root/metadata.yaml`` (or ``.json``),
    with optional per-file entries under ``files:``."""
    import yaml

    r = Path(root)
    meta_file = next((r / n for n in ("metadata.yaml", "metadata.json") if (r / n).exists()), None)
    if meta_file is None:
        raise ImageError(f"{r}: no metadata.yaml (needs at least mm_per_px)")
    doc = yaml.safe_load(meta_file.read_text("utf-8")) or {}
    per_file = doc.pop("files", {}) or {}
    h = hashlib.sha256(meta_file.read_bytes())
    items = []
    for folder in sorted(d for d in r.iterdir() if d.is_dir()):
        try:
            group_of(folder.name)
        except ValueError as exc:
            raise ImageError(f"{folder}: {exc}") from None
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            rel = f"{folder.name}/{f.name}"
            meta = _meta({**doc, **(per_file.get(rel) or {})}, str(f))
            h.update(f.read_bytes())
            items.append(Item(str(f), meta, label=folder.name))
    if not items:
        raise ImageError(f"{r}: no images in class folders ({', '.join(IMAGE_SUFFIXES)})")
    return Dataset(items, str(r), h.hexdigest())


def load_dataset(path: str | Path) -> Dataset:
    """A COCO file (``.json``), a folder holding ``annotations.json``, or class folders."""
    p = Path(path)
    if p.is_file():
        return load_coco(p)
    if (p / "annotations.json").exists():
        return load_coco(p / "annotations.json")
    if p.is_dir():
        return load_folders(p)
    raise ImageError(f"{p}: no such file or folder")
