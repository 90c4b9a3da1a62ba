"""Nature assessments (junkan.nature) as background jobs.

``POST /api/nature/jobs?kind=assess|classify`` takes an assessment document whose scene and
polygon paths are relative to the server's raster folder ``JUNKAN_NATURE_ROOT`` (no path may
leave it; without the setting only the generated sample runs), or ``sample`` settings to
assess the generated sample scene. It answers 202 with a job that runs in a budgeted worker
(``junkan.core.budget``, the run budget ``JUNKAN_BUDGET_RUN_*``); ``GET
/api/nature/jobs/{id}`` polls it: status, then the result (the document of ``junkan nature
assess|classify --format json``) or the error. Jobs are the caller's own, kept in the store
like lifecycle analyses (:mod:`junkan.api.background`); ``DELETE`` stops one."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, model_validator

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.core.encoding import jsonable

router = APIRouter()

Kind = Literal["assess", "classify"]
PREFIX = "nature."
KINDS = tuple(PREFIX + k for k in get_args(Kind))
ROOT_ENV = "JUNKAN_NATURE_ROOT"
MAX_PIXELS = 200_000_000
"""Most pixels (rows × columns × scenes) one service job may read; use the CLI for more."""


class SampleIn(BaseModel):
    model_config = {"extra": "forbid"}
    size: int = Field(default=120, ge=60, le=600)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


class NatureIn(BaseModel):
    """An assessment (paths under ``JUNKAN_NATURE_ROOT``) or the generated sample."""

    model_config = {"extra": "forbid"}
    assessment: Annotated[dict[str, Any], Field(max_length=40)] | None = None
    sample: SampleIn | None = None

    @model_validator(mode="after")
    def _one(self) -> NatureIn:
        if (self.assessment is None) == (self.sample is None):
            raise ValueError(
                "give 'assessment' (paths under the server's raster folder) or "
                "'sample' (the generated sample scene)"
            )
        return self


def nature_job(
    kind: str, doc: dict[str, Any] | None, root: str | None, sample: dict[str, int] | None
) -> dict[str, Any]:
    """In a worker: load the assessment (or write the sample to a temporary folder) and
    run it; the JSON document."""
    from junkan import nature

    with tempfile.TemporaryDirectory(prefix="junkan-nature-") as tmp:
        if sample is not None:
            a = nature.load(nature.write_sample(tmp, size=sample["size"], seed=sample["seed"]))
        else:
            assert doc is not None and root is not None
            a = nature.load(doc=doc, base=root, source="assessment", confine=True)
        scenes = [nature.open_raster(a.path(s.path, "scenes")) for s in a.spec.scenes]
        pixels = sum(r.shape[0] * r.shape[1] for r in scenes)
        if pixels > MAX_PIXELS:
            raise ValueError(
                f"scenes: {pixels:,} pixels; the service reads at most "
                f"{MAX_PIXELS:,} per job (use 'junkan nature' for more)"
            )
        if kind == "classify":
            return dict(jsonable(nature.classify(a).to_json()))
        return dict(jsonable(nature.run(a).to_json()))


@router.post("/api/nature/jobs", tags=["nature"], status_code=202)
async def start_job(
    kind: Annotated[Kind, Query()], body: NatureIn, user: CurrentUser, s: StoreDep
) -> dict[str, Any]:
    """Start an assessment or a classification; poll ``GET /api/nature/jobs/{id}``."""
    root = os.environ.get(ROOT_ENV)
    if body.assessment is not None and not root:
        raise HTTPException(
            422,
            f"this server reads no rasters ({ROOT_ENV} is not set); "
            "send 'sample' or use 'junkan nature' locally",
        )
    sample = body.sample.model_dump() if body.sample is not None else None
    return background.start(s, user, PREFIX + kind, nature_job, kind, body.assessment, root, sample)


background.add_routes(router, "/api/nature/jobs", "nature", KINDS, "nature job")
