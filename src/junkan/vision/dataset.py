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
import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from junkan.core.base import Strict
from junkan.core.documents import read_document, validate_with
from junkan.core.errors import ModelError
from junkan.core.unique import unique_problem
from junkan.vision.files import annotation_bytes, file_size
from junkan.vision.materials import group_from_composition, group_of
from junkan.vision.render import Frame

MAX_FILE_BYTES = 64 * 2**20
MAX_PIXELS = 40_000_000
MIN_SIDE = 64
MAX_POLYGON_POINTS = 20_000
"""Outline points per annotation (assumption: an outline traced pixel by pixel around a piece
as large as a 4096 × 4096 frame has < 16,384 points). pycocotools rasterises a polygon in time
and memory proportional to its points and edge lengths."""
EDGE_PX = 1.0
"""How far (px) a polygon point may lie outside the image (assumption: annotation tools round
to the pixel's outer edge)."""
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


class CocoItem(Item):
    """An image of a COCO file, held compactly: its pixels read from ``path`` when used,
    its truth zlib-compressed, unpacked each time it is read (a 1280 × 1024 render of 50
    pieces: 46 KB, 8 ms to pack, 4 ms to unpack). Held as arrays, such a frame took 9.2 MB
    (3.9 MB of pixels, 5.2 MB of int32 truth): 9 GB for 1,000 frames before one was used."""

    _packed: tuple[bytes, tuple[int, ...], str] | None = None

    @property
    def truth(self) -> np.ndarray | None:
        if self._packed is None:
            return None
        raw, shape, dtype = self._packed
        return np.frombuffer(zlib.decompress(raw), dtype).reshape(shape).copy()

    @truth.setter
    def truth(self, value: np.ndarray | None) -> None:
        self._packed = None if value is None else (
            zlib.compress(np.ascontiguousarray(value).tobytes(), 1), value.shape, value.dtype.str)


@dataclass
class Dataset:
    items: list[Item]
    source: str
    digest: str
    """SHA-256 of the images' bytes and the annotations: the training data's identity."""


def read_image(path: str | Path, expect: tuple[int, int] | None = None) -> np.ndarray:
    """A colour image (H×W×3 uint8 BGR), or ImageError naming the file and the problem."""
    p = Path(path)
    size = file_size(p, ImageError)  # a regular file: a FIFO would block the read forever
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


def _analysis(ann: dict[str, Any], where: str) -> dict[str, float] | None:
    """The annotation's ``libs`` or ``xrf`` analysis: element → finite wt % ≥ 0 (None when it
    has neither), or ImageError naming the field and the value."""
    for key in ("libs", "xrf"):
        comp = ann.get(key)
        if comp is None or comp == {}:
            continue
        ok = isinstance(comp, dict) and all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v) and v >= 0 for k, v in comp.items()
        )
        if not ok:
            raise ImageError(
                f"{where}: annotation {ann['id']}: {key} {comp!r}: an analysis maps element "
                "symbols to finite wt % ≥ 0, e.g. {\"Al\": 88.5, \"Si\": 9.6}"
            )
        return {str(k): float(v) for k, v in comp.items()}
    return None


def _piece(ann: dict[str, Any], cats: dict[int, str], where: str) -> dict[str, Any]:
    piece = {k: v for k, v in ann.items() if k not in ("segmentation", "bbox", "area")}
    cat = ann.get("category_id", -1)
    if not _is_id(cat):
        raise ImageError(
            f"{where}: annotation {ann['id']}: category_id {cat!r}: a category's id "
            "(number or text)"
        )
    name = cats.get(cat)
    comp = _analysis(ann, where)
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


def _is_id(x: Any) -> bool:
    """A COCO id: a whole number or a text (not true/false, not a list or mapping)."""
    return isinstance(x, (int, str)) and not isinstance(x, bool)


def _coco_doc(p: Path, raw: bytes) -> dict[str, Any]:
    """The parsed COCO document with its lists checked: unique image and annotation ids,
    every annotation on a listed image, file names inside the data folder."""
    try:  # JSON is UTF-8 (RFC 8259); json.loads(bytes) would take a UTF-16 mark and go on
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImageError(f"{p}: not a COCO annotation file (not UTF-8 text: byte "
                         f"{exc.start})") from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested beyond Python's stack
        raise ImageError(f"{p}: not a COCO annotation file ({exc})") from None
    ok = isinstance(doc, dict) and all(
        isinstance(doc.get(k, []), list) for k in ("images", "annotations", "categories")
    )
    if not ok or "images" not in doc:
        raise ImageError(
            f"{p}: not a COCO annotation file (needs 'images' and 'annotations' lists)"
        )
    for key in ("images", "annotations", "categories"):
        if not all(isinstance(x, dict) and _is_id(x.get("id")) for x in doc.get(key, [])):
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
        if not _is_id(ann.get("image_id")) or ann["image_id"] not in img_ids:
            raise ImageError(
                f"{p}: annotation {ann['id']}: image_id {ann.get('image_id')!r} is not in 'images'"
            )
    return doc


def _mask(ann: dict[str, Any], h: int, w: int, where: str) -> np.ndarray:
    """The annotation's mask (polygons, RLE or compressed RLE, as pycocotools reads them)."""
    from pycocotools import mask as mask_utils

    seg = ann.get("segmentation")
    if ann.get("iscrowd") not in (None, 0, False):
        raise ImageError(
            f"{where}: annotation {ann['id']}: iscrowd {ann['iscrowd']!r}: a crowd region holds "
            "several pieces and would be counted as one; annotate each piece (iscrowd 0)"
        )
    if seg is None:
        raise ImageError(f"{where}: annotation {ann['id']}: no 'segmentation' (the piece's mask)")
    try:
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(_polygons(seg, h, w), h, w))
        elif isinstance(seg, dict):
            if seg.get("size") != [h, w]:
                raise ValueError(f"RLE size {seg.get('size')!r}, the image's is [{h}, {w}]")
            if not isinstance(seg.get("counts"), (list, str)):
                raise ValueError("an RLE mask needs 'counts' (a list of run lengths or a string)")
            rle = mask_utils.frPyObjects(seg, h, w) if isinstance(seg["counts"], list) else seg
        else:
            raise ValueError(f"{type(seg).__name__}: give polygons or an RLE mapping")
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


def _polygons(seg: list[Any], h: int, w: int) -> list[list[float]]:
    """COCO polygons as lists of floats, or ValueError: each needs ≥ 3 x, y pairs of finite
    numbers on the image (within :data:`EDGE_PX`), at most :data:`MAX_POLYGON_POINTS` in all
    (pycocotools' rasteriser would otherwise allocate memory in proportion to the coordinates:
    a NaN or 1e30 coordinate exhausted the machine's memory)."""
    if not seg or not all(isinstance(q, list) for q in seg):
        raise ValueError("polygons are lists of x, y numbers: [[x1, y1, x2, y2, x3, y3, …], …]")
    n = sum(len(q) for q in seg) // 2
    if n > MAX_POLYGON_POINTS:
        raise ValueError(f"{n:,} polygon points; at most {MAX_POLYGON_POINTS:,} per annotation")
    polys = []
    for q in seg:
        if len(q) < 6 or len(q) % 2:
            raise ValueError("polygons need 3 or more x, y pairs")
        for j, v in enumerate(q):
            side, name = (w, "x") if j % 2 == 0 else (h, "y")
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            if not ok or not -EDGE_PX <= v <= side + EDGE_PX:
                raise ValueError(
                    f"polygon {name} {v!r} is not a number within the image (0 to {side} px)"
                )
        polys.append([float(v) for v in q])
    return polys


def load_coco(path: str | Path, images_dir: str | Path | None = None) -> Dataset:
    """A COCO instance-annotation file (``images``, ``annotations``, ``categories``). Category
    names are materials (``wrought_al`` …) or groups (``wrought``, ``cast``, ``copper``,
    ``other``); an annotation may carry ``libs`` or ``xrf`` (wt %), which gives its group when
    it has no category (``category_id`` may then be left out). Per-image metadata: the
    image's ``junkan`` member (``mm_per_px`` required, ``line``, ``time``,
    ``belt_speed_m_s``, ``camera``, ``lighting``). Refused, naming the ids: duplicate image
    or annotation ids, annotations on unlisted images, missing or malformed segmentations,
    negative ``mass_g``, file names outside the data folder; and a file larger than the
    annotation limit (:func:`~junkan.vision.files.annotation_bytes`), or not a regular file."""
    p = Path(path)
    raw = annotation_bytes(p, ImageError)
    doc = _coco_doc(p, raw)
    cats = {c["id"]: c.get("name") for c in doc.get("categories", [])}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for ann in doc.get("annotations", []):
        by_image.setdefault(ann["image_id"], []).append(ann)
    root = Path(images_dir) if images_dir else p.parent
    h = hashlib.sha256(raw)
    items: list[Item] = []
    for info in sorted(doc["images"], key=lambda x: (isinstance(x["id"], str), x["id"])):
        where = f"{p}: image {info.get('file_name')!r}"
        meta = _meta(info.get("junkan") or {}, where)
        file = root / str(info["file_name"])
        wh = (info.get("width"), info.get("height"))
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in wh):
            raise ImageError(
                f"{where}: width {wh[0]!r}, height {wh[1]!r}: give the image's size in whole px"
            )
        size = (int(wh[0]), int(wh[1]))
        img = read_image(file, size)
        h.update(img.tobytes())
        truth = np.zeros(img.shape[:2], np.int32)
        pieces = []
        for ann in by_image.get(info["id"], []):
            mass = ann.get("mass_g")
            if mass is not None and not (
                isinstance(mass, (int, float)) and not isinstance(mass, bool) and 0 <= mass < 1e9
            ):
                raise ImageError(f"{where}: annotation {ann['id']}: mass_g {mass!r} is not >= 0")
            m = _mask(ann, size[1], size[0], where)
            pieces.append(_piece(ann, cats, where))
            truth[m] = len(pieces)
        items.append(CocoItem(str(file), meta, truth, pieces))  # pixels read again when used
    return Dataset(items, str(p), h.hexdigest())


def load_folders(root: str | Path) -> Dataset:
    """``root/<class>/<image>``: each image shows one piece of the folder's class (a
    material or a group). Metadata for all images: ``root/metadata.yaml`` (or ``.json``),
    with optional per-file entries under ``files:`` (each naming an image of a class folder).
    Files other than images (and hidden ones, ``.name``) are refused, naming them: an image in
    an unsupported format, or outside the class folders, would otherwise be left out
    unnoticed."""
    r = Path(root)
    meta_file = next((r / n for n in ("metadata.yaml", "metadata.json") if (r / n).exists()), None)
    if meta_file is None:
        raise ImageError(f"{r}: no metadata.yaml (needs at least mm_per_px)")
    doc, per_file = _folder_meta(meta_file)
    h = hashlib.sha256(meta_file.read_bytes())
    items = []
    for entry in sorted(d for d in r.iterdir() if not d.name.startswith(".")):
        if entry.is_file() and entry != meta_file:
            raise ImageError(
                f"{entry}: a file beside the class folders; put each image in the folder of "
                f"its class ({r}/<class>/), and the metadata in {meta_file.name}"
            )
        if not entry.is_dir():
            continue
        try:
            group_of(entry.name)
        except ValueError as exc:
            raise ImageError(f"{entry}: {exc}") from None
        for f in sorted(x for x in entry.iterdir() if not x.name.startswith(".")):
            if not f.is_file() or f.suffix.lower() not in IMAGE_SUFFIXES:
                raise ImageError(
                    f"{f}: not an image file of a supported format ({', '.join(IMAGE_SUFFIXES)})"
                )
            rel = f"{entry.name}/{f.name}"
            meta = _meta({**doc, **per_file.pop(rel, {})}, str(f))
            h.update(f.read_bytes())
            items.append(Item(str(f), meta, label=entry.name))
    if per_file:
        raise ImageError(
            f"{meta_file}: files: {', '.join(sorted(per_file))}: no such image in the class "
            "folders (give paths as <class>/<file name>)"
        )
    if not items:
        raise ImageError(f"{r}: no images in class folders ({', '.join(IMAGE_SUFFIXES)})")
    return Dataset(items, str(r), h.hexdigest())


def _folder_meta(meta_file: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The metadata file's shared fields and its ``files:`` entries (path → mapping), or
    ImageError naming the file, the field and the value."""
    try:
        doc = read_document(meta_file)
    except ModelError as exc:
        raise ImageError(str(exc)) from None
    per_file = doc.pop("files", None) or {}
    if not isinstance(per_file, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in per_file.items()
    ):
        raise ImageError(
            f"{meta_file}: files: {per_file!r}: map each image (<class>/<file name>) to its "
            "metadata, e.g. {cast/a.png: {mm_per_px: 0.8}}"
        )
    return doc, per_file


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
