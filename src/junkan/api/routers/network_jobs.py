"""Network plans as background jobs: ``POST /api/network/jobs?kind=solve|periods`` with the
scenario (YAML or JSON body) answers 202 with a job; ``GET /api/network/jobs/{id}`` polls
it. While a ``solve`` runs, its ``progress`` is the latest plan HiGHS found (cost, CO2e,
hubs opened, gap and bound so far, elapsed seconds), so a page can show a first answer in
about a second and watch it improve; the result is the document of
``POST /api/network/solve`` (or ``/periods``). ``DELETE`` stops one. Jobs are their
starter's only and kept in the store (:mod:`junkan.api.background`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import UPLOAD_BODY, read_upload
from junkan.api.work import network_check_job, network_job, network_periods_job, offload

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
    # refuse what is no valid scenario at once (422 naming the field), not as a failed job
    await offload(network_check_job, text)
    if kind == "periods":
        return background.start(s, user, "network.periods", network_periods_job, text, gap)
    return background.start(s, user, "network.solve", network_job, text, carbon_price, gap,
                            True)


background.add_routes(router, "/api/network/jobs", "network", KINDS, "network job")
