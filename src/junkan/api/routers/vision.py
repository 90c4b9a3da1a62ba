"""Vision predictions as background jobs: ``POST /api/vision/predict`` takes a trained model
(the JSON of ``junkan vision train``) and up to :data:`MAX_IMAGES` base64 images with their
scale, checks the limits (body, image bytes, pixels), and answers 202 with a job; the
segmentation and classification run in a budgeted worker (``junkan.core.budget``, the run
budget). ``GET /api/vision/jobs/{id}`` polls it: the document of ``junkan vision predict
--format json`` or the error. Jobs are kept in the store's analyses (visible to the user who
started them only)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND
from junkan.api.jobs import internal_error
from junkan.core import budget
from junkan.core.budget import BudgetExceeded, BudgetSettings, PoolClosed
from junkan.store.analyses_repo import INTERRUPTED
from junkan.store.repo import Store, TooManyAnalyses
from junkan.store.repo_base import aware
from junkan.store.tables import Analysis

router = APIRouter()

KIND = "vision-predict"
MAX_MODEL_CHARS = 16_000_000
MAX_IMAGES = 8
MAX_IMAGE_BYTES = 8 * 2**20
MAX_PIXELS = 4096 * 4096
MAX_ACTIVE = 2
MAX_KEPT = 50


class ImageIn(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(default="image", max_length=200)
    data: str = Field(max_length=(MAX_IMAGE_BYTES * 4) // 3 + 8)
    """The image file (PNG, JPEG, BMP, TIFF), base64."""
    mm_per_px: float = Field(gt=0.01, le=10, allow_inf_nan=False)


class PredictIn(BaseModel):
    model_config = {"extra": "forbid"}
    model: str = Field(max_length=MAX_MODEL_CHARS)
    """The model document written by ``junkan vision train``."""
    images: list[ImageIn] = Field(min_length=1, max_length=MAX_IMAGES)
    interval_s: float = Field(default=600.0, gt=0, le=1e7, allow_inf_nan=False)


def predict_job(
    model_text: str, images: list[tuple[str, bytes, float]], interval_s: float
) -> dict[str, Any]:
    """Worker side: decode and check the images, run the pipeline."""
    import cv2

    from junkan import vision

    cv2.setNumThreads(1)
    model = vision.load(text=model_text)
    items = []
    for name, data, mmpp in images:
        img = vision.decode(data, name)
        if img.shape[0] * img.shape[1] > MAX_PIXELS:
            raise ValueError(
                f"{name}: {img.shape[1]}×{img.shape[0]} px; the service takes "
                f"at most {MAX_PIXELS:,} px per image"
            )
        items.append(vision.Item(name, vision.ImageMeta(mm_per_px=mmpp), pixels=img))
    return dict(vision.run(model, items, interval_s).to_json())


def _doc(job: Analysis, result: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "created_at": aware(job.created_at).isoformat(),
        "finished_at": aware(job.finished_at).isoformat() if job.finished_at else None,
        "error": job.error,
    }
    if result is not None or job.status == "succeeded":
        out["result"] = result
    return out


async def _execute(
    store: Store, job_id: str, text: str, images: list[tuple[str, bytes, float]], interval_s: float
) -> None:
    try:
        store.analysis_started(job_id)
        doc = await budget.run_async(
            predict_job, text, images, interval_s, budget=BudgetSettings().run_budget()
        )
        store.finish_analysis(job_id, doc)
    except (BudgetExceeded, ValueError, KeyError) as exc:
        store.fail_analysis(job_id, str(exc.args[0] if exc.args else exc))
    except PoolClosed:
        with contextlib.suppress(Exception):
            store.fail_analysis(job_id, INTERRUPTED)
    except Exception as exc:  # a bug or a crashed worker: details in the log only
        with contextlib.suppress(Exception):
            store.fail_analysis(job_id, internal_error(f"vision job {job_id}", exc))


_TASKS: set[asyncio.Task[None]] = set()


def _decode(images: list[ImageIn]) -> list[tuple[str, bytes, float]]:
    out = []
    for i, im in enumerate(images):
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
    """Segment, classify and weigh the pieces on the images with the given model; poll
    ``GET /api/vision/jobs/{id}``."""
    images = _decode(body.images)
    try:
        job = s.create_analysis(user, KIND, max_active=MAX_ACTIVE, max_kept=MAX_KEPT)
    except TooManyAnalyses as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "10"}) from None
    task = asyncio.create_task(_execute(s, job.id, body.model, images, body.interval_s))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return _doc(job)


@router.get("/api/vision/jobs/{job_id}", tags=["vision"])
def read_job(
    job_id: Annotated[str, Path(max_length=64)], user: CurrentUser, s: StoreDep
) -> dict[str, Any]:
    """A vision job's status, and its result or error (404 if it is not yours)."""
    found = s.get_analysis(user.id, job_id)
    if found is None or found[0].kind != KIND:
        raise NOT_FOUND
    return _doc(*found)
