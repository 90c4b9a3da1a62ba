"""Network plans as background jobs: ``POST /api/network/jobs?kind=solve|periods`` with the
scenario (YAML or JSON body) answers 202 with a job; ``GET /api/network/jobs/{id}`` polls
it. While a ``solve`` runs, its ``progress`` is the latest plan HiGHS found (cost, CO2e,
hubs opened, gap and bound so far, elapsed seconds), so a page can show a first answer in
about a second and watch it improve; the result is the document of
``POST /api/network/solve`` (or ``/periods``). ``DELETE`` stops one. Jobs are their
starter's only and kept in the store (:mod:`junkan.api.background`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND, UPLOAD_BODY, read_upload
from junkan.api.work import network_job, network_periods_job

router = APIRouter()

KINDS = ("network.solve", "network.periods")
Gap = Annotated[float | None, Query(ge=1e-6, le=0.2, allow_inf_nan=False)]


@router.post("/api/network/jobs", tags=["network"], status_code=202,
             openapi_extra=UPLOAD_BODY)
async def start_network_job(
        request: Request, user: CurrentUser, s: StoreDep,
        kind: Annotated[Literal["solve", "periods"], Query()] = "solve",
        carbon_price: Annotated[float | None, Query(ge=0, le=1e6, allow_inf_nan=False)] = None,
        gap: Gap = None,
) -> dict[str, Any]:
    """Start planning a network scenario (hubs and flows, or over time with ``periods``);
    poll ``GET /api/network/jobs/{id}``. Errors in the scenario fail the job with a message
    naming the field."""
    text, _ = await read_upload(request)
    if kind == "periods":
        return background.start(s, user, "network.periods", network_periods_job, text, gap)
    return background.start(s, user, "network.solve", network_job, text, carbon_price, gap,
                            True)


@router.get("/api/network/jobs", tags=["network"])
def list_network_jobs(user: CurrentUser, s: StoreDep) -> list[dict[str, Any]]:
    """Your network jobs (without their results), newest first."""
    return background.listed(s, user, KINDS)


@router.get("/api/network/jobs/{job_id}", tags=["network"])
def read_network_job(job_id: Annotated[str, Path(max_length=64)], user: CurrentUser,
                     s: StoreDep) -> dict[str, Any]:
    """A network job's status and progress, then its plan or error (404 if not yours)."""
    found = background.read(s, user, job_id, KINDS)
    if found is None:
        raise NOT_FOUND
    return found


@router.delete("/api/network/jobs/{job_id}", tags=["network"])
async def cancel_network_job(job_id: Annotated[str, Path(max_length=64)], user: CurrentUser,
                             s: StoreDep) -> dict[str, Any]:
    """Stop your unfinished network job (it ends as failed, "cancelled …"); a finished one
    is left as it is. 404 if it is not yours."""
    found = await background.cancel(s, user, job_id, KINDS)
    if found is None:
        raise NOT_FOUND
    return found
