"""Vision for shredded scrap (junkan.vision) over the service.

- ``POST /api/vision/predict`` takes a trained model (the JSON of ``junkan vision train``)
  and up to :data:`MAX_IMAGES` base64 images with their scale — or ``sample`` settings to
  render a synthetic belt frame and predict on it (the result then carries the frame as PNG
  and its ground truth) — and answers 202 with a job.
- ``POST /api/vision/evaluate`` takes a model and either ``sample`` settings (held-out
  synthetic frames, up to :data:`MAX_EVAL_FRAMES`) or a COCO annotation document with its
  images, and answers 202 with a job whose result is the evaluation: the confusion matrix
  with its uncertainty, accuracy per group, counts and the sorter document that ``junkan
  alloy plan --sorter`` takes.
- ``POST /api/vision/render`` renders one synthetic frame (PNG, base64) with its ground
  truth, for the page's "render sample".
- ``GET /api/vision/jobs`` (the caller's), ``GET /api/vision/jobs/{id}`` (status, then the
  result or error) and ``DELETE /api/vision/jobs/{id}`` (stop it) — jobs are kept in the
  store like lifecycle analyses (:mod:`junkan.api.background`), each its starter's only.

Limits: body, image bytes, pixels, frames per job; the work runs in a budgeted worker."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Annotated, Any

from fastapi import HTTPException
from pydantic import AfterValidator, Field, model_validator

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import within_data_limits
from junkan.api.request_json import strict_router
from junkan.api.work import offload
from junkan.core.base import Strict
from junkan.core.budget import report_progress

router = strict_router()

KIND = "vision-predict"
EVAL_KIND = "vision-evaluate"
KINDS = (KIND, EVAL_KIND)
MAX_MODEL_CHARS = 16_000_000
MAX_IMAGES = 8
MAX_EVAL_IMAGES = 40
MAX_EVAL_FRAMES = 24
MAX_IMAGE_BYTES = 8 * 2**20
MAX_PIXELS = 4096 * 4096
MAX_COCO_ITEMS = 20_000


class ImageIn(Strict):
    name: str = Field(default="image", max_length=200)
    data: str = Field(max_length=(MAX_IMAGE_BYTES * 4) // 3 + 8)
    """The image file (PNG, JPEG, BMP, TIFF), base64."""
    mm_per_px: float = Field(gt=0.01, le=10, allow_inf_nan=False, strict=True)


class SampleIn(Strict):
    """A synthetic belt frame (``junkan.vision.RenderSpec``) and its seed."""

    width: int = Field(default=1280, ge=64, le=2048, strict=True)
    height: int = Field(default=1024, ge=64, le=2048, strict=True)
    pieces: int = Field(default=50, ge=0, le=200, strict=True)
    grain_mm: float = Field(default=65.0, ge=10, le=300, allow_inf_nan=False, strict=True)
    touching: float = Field(default=0.25, ge=0, le=1, allow_inf_nan=False, strict=True)
    dirt: float = Field(default=0.15, ge=0, le=1, allow_inf_nan=False, strict=True)
    seed: int = Field(default=0, ge=0, le=2**31 - 1, strict=True)


class EvalSampleIn(SampleIn):
    frames: int = Field(default=6, ge=1, le=MAX_EVAL_FRAMES, strict=True)
    seed: int = Field(default=900_000, ge=0, le=2**31 - 1, strict=True)
    """First seed of the frames; keep it away from the training seeds (held-out)."""


class PredictIn(Strict):
    model: str = Field(max_length=MAX_MODEL_CHARS)
    """The model document written by ``junkan vision train``."""
    images: list[ImageIn] | None = Field(default=None, min_length=1, max_length=MAX_IMAGES)
    sample: SampleIn | None = None
    interval_s: float = Field(default=600.0, gt=0, le=1e7, allow_inf_nan=False, strict=True)

    @model_validator(mode="after")
    def _one(self) -> PredictIn:
        if (self.images is None) == (self.sample is None):
            raise ValueError("give 'images' or 'sample' (a rendered synthetic frame)")
        return self


class EvaluateIn(Strict):
    model: str = Field(max_length=MAX_MODEL_CHARS)
    sample: EvalSampleIn | None = None
    coco: Annotated[dict[str, Any], Field(max_length=10),
                    AfterValidator(within_data_limits)] | None = None
    """COCO instance annotations; ``images[].file_name`` names an entry of ``images``."""
    images: list[ImageIn] | None = Field(default=None, min_length=1, max_length=MAX_EVAL_IMAGES)
    interval_s: float = Field(default=600.0, gt=0, le=1e7, allow_inf_nan=False, strict=True)

    @model_validator(mode="after")
    def _one(self) -> EvaluateIn:
        if (self.sample is None) == (self.coco is None):
            raise ValueError("give 'sample' (held-out synthetic frames) or 'coco' and 'images'")
        if self.coco is not None and not self.images:
            raise ValueError("'coco' needs its 'images' (base64, named as its file_name)")
        return self


def _spec(sample: dict[str, Any]) -> Any:
    from junkan.vision import RenderSpec

    return RenderSpec(**{k: v for k, v in sample.items() if k not in ("seed", "frames")})


def _png(img: Any) -> str:
    import cv2

    return base64.b64encode(cv2.imencode(".png", img)[1].tobytes()).decode("ascii")


def render_job(sample: dict[str, Any]) -> dict[str, Any]:
    """Worker side: one synthetic frame as PNG (base64) and its ground truth."""
    import cv2

    from junkan.vision import render

    cv2.setNumThreads(1)
    f = render(_spec(sample), seed=sample["seed"])
    truth = [
        {k: pc[k] for k in ("id", "material", "group", "area_mm2", "mass_g", "visible")}
        for pc in f.pieces
    ]
    return {
        "image_png_base64": _png(f.image),
        "width": f.image.shape[1],
        "height": f.image.shape[0],
        "mm_per_px": f.meta["mm_per_px"],
        "seed": sample["seed"],
        "truth": truth,
    }


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image's header (Pillow, pixels not decoded), or None."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                return int(im.size[0]), int(im.size[1])
    except Image.DecompressionBombError:
        return (2**31, 2**31)  # above any limit
    except Exception:  # noqa: BLE001 - unreadable header: vision.decode names the problem
        return None


def _service_image(name: str, data: bytes) -> Any:
    """The decoded image, or ValueError naming it: beyond the service's :data:`MAX_PIXELS`
    (refused from the header, before decoding) or what :func:`junkan.vision.decode` refuses."""
    from junkan import vision

    def too_big(w: int, h: int) -> ValueError:
        return ValueError(
            f"{name}: {w}×{h} px; the service takes at most {MAX_PIXELS:,} px per image"
        )

    size = _header_size(data)
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise too_big(*size)
    img = vision.decode(data, name)
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise too_big(img.shape[1], img.shape[0])
    return img


def _items(images: list[tuple[str, bytes, float]]) -> list[Any]:
    from junkan import vision

    return [
        vision.Item(name, vision.ImageMeta(mm_per_px=mmpp), pixels=_service_image(name, data))
        for name, data, mmpp in images
    ]


def _with_scales(coco: dict[str, Any], images: list[tuple[str, bytes, float]]) -> dict[str, Any]:
    """``coco`` with each image's ``junkan.mm_per_px`` taken from the sent image when the
    annotations leave it out; ValueError when both give it and they differ (one would be
    silently ignored)."""
    sent = {name: mmpp for name, _, mmpp in images}
    doc = {**coco, "images": []}
    for i, info in enumerate(coco.get("images") or []):
        meta = info.get("junkan") if isinstance(info, dict) else None
        if isinstance(meta, dict) or meta is None:
            meta = dict(meta or {})
            given, mmpp = meta.get("mm_per_px"), sent.get(info.get("file_name"))
            if given is None:
                meta["mm_per_px"] = mmpp
            elif given != mmpp:
                raise ValueError(
                    f"coco.images[{i}].junkan.mm_per_px {given!r}, but the image sent as "
                    f"{info.get('file_name')!r} has mm_per_px {mmpp!r}; give one scale"
                )
            info = {**info, "junkan": meta}
        doc["images"].append(info)
    return doc


def predict_job(
    model_text: str,
    images: list[tuple[str, bytes, float]],
    interval_s: float,
    sample: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Worker side: decode and check the images (or render the sample), run the pipeline."""
    import cv2

    from junkan import vision

    cv2.setNumThreads(1)
    model = vision.load(text=model_text)
    drawn: dict[str, Any] | None = None
    if sample is not None:
        drawn = render_job(sample)
        raw = base64.b64decode(drawn["image_png_base64"])
        images = [("sample.png", raw, float(drawn["mm_per_px"]))]
    doc = dict(vision.run(model, _items(images), interval_s).to_json())
    if drawn is not None:
        doc["sample"] = drawn
    return doc


def evaluate_job(
    model_text: str,
    sample: dict[str, Any] | None,
    coco: dict[str, Any] | None,
    images: list[tuple[str, bytes, float]],
    interval_s: float,
) -> dict[str, Any]:
    """Worker side: the evaluation document on held-out renders or the sent COCO set."""
    import json
    import tempfile
    from pathlib import Path

    import cv2

    from junkan import vision

    cv2.setNumThreads(1)
    model = vision.load(text=model_text)
    if sample is not None:
        spec = _spec(sample)
        n = sample["frames"]
        frames = []
        for i in range(n):  # rendering: the first 40 % of the work, analysing the rest
            report_progress(0.4 * i / n)
            frames.append(vision.render(spec, seed=sample["seed"] + i))
        data = vision.from_frames(frames, f"renders from seed {sample['seed']}")
        return dict(
            vision.evaluate(model, data, interval_s, lambda f: report_progress(0.4 + 0.6 * f))
        )
    assert coco is not None
    names = {name for name, _, _ in images}
    if len(names) < len(images):  # one file would overwrite the other
        twice = sorted({n for n, _, _ in images if sum(m == n for m, _, _ in images) > 1})
        raise ValueError(f"images: the name {twice[0]!r} is given more than once; name each "
                         "image as its coco file_name, once")
    for i, info in enumerate(coco.get("images") or []):
        file = info.get("file_name") if isinstance(info, dict) else None
        if file not in names:
            raise ValueError(f"coco.images[{i}].file_name {file!r}: not among the sent images")
    coco = _with_scales(coco, images)
    with tempfile.TemporaryDirectory(prefix="junkan-vision-") as tmp:
        root = Path(tmp)
        for i, (name, raw, _) in enumerate(images):
            parts = Path(name).parts
            if not parts or Path(name).is_absolute() or ".." in parts or "\\" in name:
                raise ValueError(f"images[{i}].name {name!r}: a relative path without '..'")
            _service_image(name, raw)  # the service's pixel limit, not the CLI's
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(raw)
        (root / "annotations.json").write_text(json.dumps(coco), "utf-8")
        data = vision.load_coco(root / "annotations.json")
        data.source = "uploaded COCO set"
        return dict(vision.evaluate(model, data, interval_s, report_progress))


def _decode(images: list[ImageIn] | None) -> list[tuple[str, bytes, float]]:
    out = []
    for i, im in enumerate(images or []):
        try:
            data = base64.b64decode(im.data, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPException(422, f"images[{i}].data: not base64") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise HTTPException(
                413, f"images[{i}]: {len(data):,} bytes; at most {MAX_IMAGE_BYTES:,} per image"
            )
        out.append((im.name, data, im.mm_per_px))
    return out


@router.post("/api/vision/predict", tags=["vision"], status_code=202)
async def start_predict(body: PredictIn, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
    """Segment, classify, count and weigh the pieces on the images (or on a rendered
    sample frame) with the given model; poll ``GET /api/vision/jobs/{id}``."""
    images = _decode(body.images)
    sample = body.sample.model_dump() if body.sample is not None else None
    return await background.start(s, user, KIND, predict_job, body.model, images,
                                  body.interval_s, sample)


@router.post("/api/vision/evaluate", tags=["vision"], status_code=202)
async def start_evaluate(body: EvaluateIn, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
    """Evaluate the model on held-out rendered frames or on an annotated COCO set: the
    confusion matrix over wrought / cast / copper / other with its uncertainty, accuracy
    per group and by size, overlap and dirt, count and mass errors, and the sorter document
    for ``junkan alloy plan --sorter``; poll ``GET /api/vision/jobs/{id}``."""
    images = _decode(body.images)
    if body.coco is not None:
        n = sum(len(v) for v in body.coco.values() if isinstance(v, list))
        if n > MAX_COCO_ITEMS:
            raise HTTPException(413, f"coco: {n:,} entries; at most {MAX_COCO_ITEMS:,}")
    sample = body.sample.model_dump() if body.sample is not None else None
    return await background.start(
        s, user, EVAL_KIND, evaluate_job, body.model, sample, body.coco, images, body.interval_s
    )


@router.post("/api/vision/render", tags=["vision"])
async def render_sample(body: SampleIn, user: CurrentUser) -> dict[str, Any]:
    """One synthetic belt frame (PNG, base64) and its ground truth: per piece its material,
    group, area, mass and visible share (the renderer's assumptions: docs/vision.md)."""
    doc: dict[str, Any] = await offload(render_job, body.model_dump())
    return doc


background.add_routes(router, "/api/vision/jobs", "vision", KINDS, "vision job")
