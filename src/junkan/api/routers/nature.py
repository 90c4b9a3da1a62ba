"""Nature assessments (junkan.nature) as background jobs.

``POST /api/nature/jobs?kind=assess|classify`` takes an assessment document whose scene and
polygon paths are relative to the server's raster folder ``JUNKAN_NATURE_ROOT`` (no path may
leave it; without the setting only the generated sample runs), or ``sample`` settings to
assess the generated sample scene. It answers 202 with a job that runs in a budgeted worker
(``junkan.core.budget``, the run budget ``JUNKAN_BUDGET_RUN_*``); ``GET
/api/nature/jobs/{id}`` polls it: status, then the result (the document of ``junkan nature
assess|classify --format json``) or the error. Jobs are the caller's own, kept in the store
like lifecycle analyses (:mod:`junkan.api.background`); ``DELETE`` stops one. ``GET
/api/nature/jobs/{id}/report?lang=en|ja&format=pdf|html`` writes a succeeded assessment's
LEAP report in a budgeted worker (the run budget ``JUNKAN_BUDGET_RUN_*``)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, get_args

from fastapi import HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND
from junkan.api.request_json import strict_router
from junkan.api.routers import nature_checklist
from junkan.core import budget
from junkan.core.base import Strict
from junkan.core.budget import BudgetSettings
from junkan.store import nature_survey as survey_store
from junkan.store.nature_photos import PhotoRepo
from junkan.store.nature_survey import SurveyRepo

router = strict_router()
router.include_router(nature_checklist.router)  # the survey's species checklists

Kind = Literal["assess", "classify"]
PREFIX = "nature."
KINDS = tuple(PREFIX + k for k in get_args(Kind))
ROOT_ENV = "JUNKAN_NATURE_ROOT"
MAX_PIXELS = 200_000_000
"""Most pixels (rows × columns × scenes) one service job may read; use the CLI for more."""


class SampleIn(Strict):
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
    from junkan.nature import service_job

    return service_job(kind, doc, root, sample, max_pixels=MAX_PIXELS, root_name=ROOT_ENV)


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
    return await background.start(s, user, PREFIX + kind, nature_job, kind, body.assessment,
                                  root, sample)


background.add_routes(router, "/api/nature/jobs", "nature", KINDS, "nature job")

MAX_REPORT_AREAS = 200
"""Most sourcing areas one report through the service may have (its tables and charts grow
with them; the CLI writes larger ones)."""
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def nature_report_job(doc: dict[str, Any], lang: str, fmt: str) -> bytes:
    """In a worker: the LEAP report of a stored assessment result, as bytes."""
    from junkan.nature import NatureResult

    with tempfile.TemporaryDirectory(prefix="junkan-nature-report-") as tmp:
        path = NatureResult.from_json(doc).report(os.path.join(tmp, f"report.{fmt}"), lang=lang)
        body = path.read_bytes()
    if fmt == "html":  # one file to download: the charts' plotly.js inside it
        from junkan.core.report import PLOTLY_JS, plotly_js

        tag = f'<script src="{PLOTLY_JS}"></script>'.encode()
        body = body.replace(tag, b"<script>" + plotly_js() + b"</script>", 1)
    return body


@router.get(
    "/api/nature/jobs/{job_id}/report",
    tags=["nature"],
    response_class=Response,
    responses={
        200: {
            "description": "The LEAP report (PDF or HTML) as a download.",
            "content": {MEDIA["pdf"]: {}, "text/html": {}},
        },
        409: {"description": "The job has not succeeded."},
    },
)
async def job_report(
    job_id: background.JobId,
    user: CurrentUser,
    s: StoreDep,
    lang: Annotated[Literal["en", "ja"], Query()] = "en",
    format: Annotated[Literal["pdf", "html"], Query()] = "pdf",
) -> Response:
    """The TNFD LEAP report (per company and for the volume-weighted portfolio) of your
    succeeded assessment job, written in a budgeted worker; 404 if the job is not yours or
    not an assessment, 409 while it is unfinished or after it failed."""
    found = background.read(s, user, job_id, (PREFIX + "assess",))
    if found is None:
        raise NOT_FOUND
    if found["status"] != "succeeded":
        raise HTTPException(
            409, f"job {job_id} is {found['status']}; a report needs a succeeded assessment"
        )
    areas = len(found["result"].get("areas") or [])
    if areas > MAX_REPORT_AREAS:
        raise HTTPException(
            413,
            f"the assessment has {areas} sourcing areas; the service writes reports of at "
            f"most {MAX_REPORT_AREAS} (use 'junkan nature report' for more)",
        )
    body = await budget.run_async(  # a report is heavy work: the run budget, as the job's
        nature_report_job, found["result"], lang, format, budget=BudgetSettings().run_budget()
    )
    name = f"nature-report-{job_id}-{lang}.{format}"
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---- field survey: observations recorded offline on devices, synced here -----------------
MAX_SYNC = 500
"""Most observations one sync request may carry (a device sends its queue in batches)."""
MAX_LIST = 1000


def _survey(request: Request) -> SurveyRepo:
    return SurveyRepo(request.app.state.store.db)


class SyncItem(Strict):
    observation: Annotated[dict[str, Any], Field(max_length=20)]
    """An observation (junkan.nature.Observation: id, species, count, lat, lon, time with
    its UTC offset, observer; optional vernacular, accuracy_m, photo, area, remarks)."""
    base_version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    """The server version the device edited (None: a new observation)."""


class SyncIn(BaseModel):
    model_config = {"extra": "forbid"}
    observations: list[SyncItem] = Field(min_length=1, max_length=MAX_SYNC)


def _checked(items: list[SyncItem]) -> list[Any]:
    """The observations, checked one by one (422 naming the first bad one)."""
    from pydantic import ValidationError

    from junkan.nature import Observation

    out: list[Any] = []
    seen: set[str] = set()
    for i, it in enumerate(items):
        try:
            obs = Observation.model_validate(it.observation)
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(p) for p in e["loc"])
            raise HTTPException(422, f"observations[{i}].observation.{where}: {e['msg']}") from None
        if obs.id in seen:
            raise HTTPException(422, f"observations[{i}]: id {obs.id!r} is sent twice")
        seen.add(obs.id)
        out.append(obs)
    return out


@router.post("/api/nature/survey/sync", tags=["nature"])
def survey_sync(body: SyncIn, user: CurrentUser, request: Request) -> dict[str, Any]:
    """Store observations recorded offline (your organisation's). One outcome per
    observation, in order: ``created``, ``unchanged`` (already stored: a resend after a
    lost answer), ``updated`` (``base_version`` was the stored version) or ``conflict``
    (nothing changed; ``server`` holds the stored version to choose from). Once your
    organisation has its own checklist (``PUT /api/nature/survey/checklist``), a species
    not on the checklist of the observation's area refuses the whole request (422 naming
    the observation)."""
    obs = _checked(body.observations)
    nature_checklist.check_observations(request, user.org_id, obs)
    bases = [it.base_version for it in body.observations]
    items = [(o.model_dump(mode="json"), b) for o, b in zip(obs, bases, strict=True)]
    return {"results": _survey(request).sync(user.org_id, user.id, items)}


def _dwc(request: Request, org_id: str) -> tuple[list[Any], dict[str, Any], Any]:
    """The organisation's observations, photos and the checklists of their areas, as the
    exports take them."""
    obs = _observations(request, org_id)
    areas, names = {o.area for o in obs}, {o.species for o in obs}
    lists = nature_checklist.checklists(request, org_id, areas, names)
    return obs, _media(request, org_id), lists


def _refused(exc: Exception) -> HTTPException:
    return HTTPException(409, f"cannot export: {exc}")


def _observations(request: Request, org_id: str) -> list[Any]:
    from junkan.nature import Observation

    texts = _survey(request).observation_texts(org_id, limit=survey_store.MAX_PER_ORG)
    return [Observation.model_validate_json(t) for t in texts]


@router.get("/api/nature/survey/observations", tags=["nature"])
def survey_observations(
    user: CurrentUser,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
    offset: Annotated[int, Query(ge=0, le=survey_store.MAX_PER_ORG)] = 0,
) -> dict[str, Any]:
    """Your organisation's synced observations (oldest first, with their versions) and
    the species richness and individuals counted per area over all of them (counted by
    the database: a page costs the page, not every observation)."""
    from junkan.nature import richness_of

    repo = _survey(request)
    page = repo.observations(user.org_id, limit=limit, offset=offset)
    photos = _photos(request).meta(user.org_id, [d["id"] for _, d in page])
    return {
        "total": repo.count(user.org_id),
        "observations": [
            {"version": v, "observation": d}
            | ({"photo": _described(request, d, photos[d["id"]])} if d["id"] in photos else {})
            for v, d in page
        ],
        "richness": richness_of(repo.tallies(user.org_id)),
    }


@router.get(
    "/api/nature/survey/export.csv",
    tags=["nature"],
    response_class=Response,
    responses={200: {"description": "Darwin Core occurrences.", "content": {"text/csv": {}}}},
)
def survey_export(user: CurrentUser, request: Request) -> Response:
    """Your organisation's observations as a Darwin Core occurrence table (CSV);
    ``associatedMedia`` is the URL of the observation's photo, if one was uploaded; with
    your checklists, ``vernacularName`` falls back to the species' local name on its
    area's checklist and ``identificationReferences`` is its source (409 naming an
    observation whose species is on none of them)."""
    from junkan.nature import NatureInputError, darwin_core_chunks

    pieces = darwin_core_chunks(*_dwc(request, user.org_id))
    try:
        first = next(pieces)  # the species are checked before the first piece
    except NatureInputError as exc:
        raise _refused(exc) from None
    return StreamingResponse(
        _encoded(first, pieces),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="occurrences.csv"'},
    )


def _encoded(first: str, rest: Iterator[str]) -> Iterator[bytes]:
    """The table's pieces as UTF-8, written as they are sent (a refusal past the first
    piece, which the store's unique ids rule out, breaks the download off unfinished)."""
    yield first.encode()
    for piece in rest:
        yield piece.encode()


# ---- survey photos: one per synced observation, checked, served to its organisation only ---
ObsId = Annotated[str, Path(min_length=1, max_length=100)]
PHOTO_CSP = "default-src 'none'; sandbox"
"""A photo is served as an image only: nothing in it may run, even opened on its own."""


def _photos(request: Request) -> PhotoRepo:
    return PhotoRepo(request.app.state.store.db, request.app.state.settings.org_quota_bytes)


def _photo_url(request: Request, obs_id: str) -> str:
    return str(request.url_for("survey_photo", obs_id=obs_id))


def _described(request: Request, obs: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    """A stored photo's description: URL, type, size, pixels, SHA-256, and the EXIF point
    with its distance (m) from the recorded point (for the surveyor's check only)."""
    from junkan.nature import distance_m

    out = {"url": _photo_url(request, obs["id"]), **m}
    if m["exif_lat"] is not None and m["exif_lon"] is not None:
        out["exif_distance_m"] = distance_m(obs["lat"], obs["lon"], m["exif_lat"], m["exif_lon"])
    return out


def _media(request: Request, org_id: str) -> dict[str, dict[str, Any]]:
    return {
        oid: {"identifier": _photo_url(request, oid), "format": m["media_type"]}
        for oid, m in _photos(request).meta(org_id).items()
    }


@router.put(
    "/api/nature/survey/observations/{obs_id}/photo",
    tags=["nature"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/jpeg", "image/png", "image/webp")
            },
        }
    },
)
async def survey_photo_put(obs_id: ObsId, user: CurrentUser, request: Request) -> dict[str, Any]:
    """Store the photo of your synced observation ``obs_id`` (the raw image as the body; it
    replaces an earlier one). The type is read from the bytes: JPEG, PNG or WebP, whole and
    undamaged, at most 10 MiB (415 or 413 otherwise, saying why). Anything after the image's
    end is dropped. The EXIF GPS point, if any, is returned with its distance from the
    recorded point; the recorded point stays the observation's. 404 before the observation
    is synced."""
    from junkan.nature import check_photo

    repo = _photos(request)
    missing = HTTPException(404, f"observation {obs_id!r} not found; sync it before its photo")
    if not await run_in_threadpool(repo.has_observation, user.org_id, obs_id):
        raise missing
    body = await request.body()
    photo = await run_in_threadpool(check_photo, body, f"photo of {obs_id!r}")
    digest = hashlib.sha256(photo.data).hexdigest()
    got = await run_in_threadpool(repo.put, user.org_id, user.id, obs_id, photo, digest)
    if got is None:  # removed since
        raise missing
    obs = got.pop("observation")
    return {"id": obs_id, "photo": _described(request, obs, got)}


@router.get(
    "/api/nature/survey/observations/{obs_id}/photo",
    tags=["nature"],
    name="survey_photo",
    response_class=Response,
    responses={
        200: {
            "description": "The photo.",
            "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
        }
    },
)
def survey_photo(obs_id: ObsId, user: CurrentUser, request: Request) -> Response:
    """The photo of your organisation's observation ``obs_id`` (404 otherwise)."""
    got = _photos(request).get(user.org_id, obs_id)
    if got is None:
        raise NOT_FOUND
    media_type, data = got
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Security-Policy": PHOTO_CSP, "Content-Disposition": "inline"},
    )


@router.delete("/api/nature/survey/observations/{obs_id}/photo", tags=["nature"], status_code=204)
def survey_photo_delete(obs_id: ObsId, user: CurrentUser, request: Request) -> Response:
    """Remove the photo of your observation ``obs_id`` (404 if it has none)."""
    if not _photos(request).remove(user.org_id, obs_id):
        raise NOT_FOUND
    return Response(status_code=204)


@router.get(
    "/api/nature/survey/export.zip",
    tags=["nature"],
    response_class=Response,
    responses={200: {"description": "Darwin Core Archive.", "content": {"application/zip": {}}}},
)
def survey_archive(user: CurrentUser, request: Request) -> Response:
    """Your organisation's observations as a Darwin Core Archive: ``meta.xml``,
    ``occurrence.csv`` and ``multimedia.csv`` (Simple Multimedia extension: one row per
    photo, its URL served to your organisation only); checklist names and sources as for
    ``export.csv``."""
    from junkan.nature import NatureInputError, darwin_core_archive

    try:
        body = darwin_core_archive(*_dwc(request, user.org_id))
    except NatureInputError as exc:
        raise _refused(exc) from None
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="dwca-occurrences.zip"'},
    )


# ---- service worker: the page and its assets from the package, for a survey offline ------
SW_PATH = "/survey-sw.js"
WEB = resources.files("junkan.web") / "static"
PLOTLY = resources.files("plotly") / "package_data" / "plotly.min.js"


@cache
def _service_worker() -> bytes:
    """The worker's script: the list of the page's assets (every script, style sheet and
    message catalogue of junkan.web, and plotly.js) and a version hashed from their bytes,
    so a changed asset installs a new worker that fetches the new assets."""
    files = (
        ["index.html"]
        + sorted(
            p.name
            for p in WEB.iterdir()
            if p.is_file() and p.name.endswith((".js", ".css")) and p.name != "survey-sw.js"
        )
        + sorted(f"i18n/{p.name}" for p in (WEB / "i18n").iterdir() if p.name.endswith(".json"))
    )
    h = hashlib.sha256(PLOTLY.read_bytes())
    for f in files:
        h.update(f.encode() + b"\0" + WEB.joinpath(f).read_bytes())
    urls = ["/"] + [f"/static/{f}" for f in files if f != "index.html"] + ["/static/plotly.min.js"]
    head = (
        f"const VERSION = {json.dumps(h.hexdigest()[:16])};\nconst ASSETS = {json.dumps(urls)};\n"
    )
    return head.encode() + WEB.joinpath("survey-sw.js").read_bytes()


@router.get(SW_PATH, include_in_schema=False)
def service_worker() -> Response:
    """The survey's service worker (scope ``/``): the page opens offline."""
    return Response(
        _service_worker(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )
