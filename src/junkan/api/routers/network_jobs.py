"""Network plans as background jobs: ``POST /api/network/jobs?kind=solve|periods`` with the
scenario (YAML or JSON body) answers 202 with a job; ``GET /api/network/jobs/{id}`` polls
it. While a ``solve`` runs, its ``progress`` is the latest plan HiGHS found (cost, CO2e,
hubs opened, gap and bound so far, elapsed seconds), so a page can show a first answer in
about a second and watch it improve; the result is the document of
``POST /api/network/solve`` (or ``/periods``). ``DELETE`` stops one. Jobs are their
starter's only and kept in the store (:mod:`junkan.api.background`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request

from junkan import network
from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import UPLOAD_BODY, read_upload
from junkan.api.request_json import strict_router
from junkan.api.work import network_check_job, network_job, network_periods_job, offload

router = strict_router()

KINDS = ("network.solve", "network.periods")
Gap = Annotated[float | None, Query(ge=1e-6, le=0.2, allow_inf_nan=False)]
Method = Annotated[Literal["monolithic", "rolling", "benders"] | None, Query(
    description="Planning over time (kind=periods): `monolithic` (the whole MILP), "
    "`rolling` (rolling horizon: relax-and-fix, then fix-and-optimize; `window` periods "
    "binary at each step, default 2) or `benders` (Benders decomposition: hub decisions in a "
    "master MILP, each period's transport as an LP; exact to the gap). Default: `rolling` "
    "when a window is given, else `monolithic`.")]
Window = Annotated[int | None, Query(
    ge=1, le=100, description="Rolling horizon window in periods (kind=periods, "
    "method=rolling): hub decisions of that many periods are binary at each step, later "
    "ones relaxed, earlier ones fixed. A whole number from 1 to 100.")]


def period_options(kind: str, method: str | None, window: int | None) -> None:
    """Refuse options that do not apply (422 naming the parameter) rather than ignore them."""
    if kind != "periods" and (method is not None or window is not None):
        raise HTTPException(422, "method and window apply to kind=periods only")
    if window is not None and method not in (None, "rolling"):
        raise HTTPException(422, f"window applies to method=rolling, not method={method}")


@router.post("/api/network/jobs", tags=["network"], status_code=202,
             openapi_extra=UPLOAD_BODY)
async def start_network_job(
        request: Request, user: CurrentUser, s: StoreDep,
        kind: Annotated[Literal["solve", "periods"], Query()] = "solve",
        carbon_price: Annotated[float | None, Query(
            ge=0, le=network.MAX_CARBON_PRICE, allow_inf_nan=False)] = None,
        gap: Gap = None,
        method: Method = None,
        window: Window = None,
        start: Annotated[str | None, Query(
            max_length=4000, pattern=r"^-?\d{1,3}(,-?\d{1,3})*$",
            description="an earlier plan's `hubs_key` (the tier opened per candidate hub, -1 "
                        "closed, comma-separated) as the solver's first incumbent, e.g. the "
                        "plan at the previous carbon price: measured to cut a solve's CPU "
                        "time to a half or a third (benchmarks/network_bench.py --options); "
                        "ignored when it does not fit the scenario")] = None,
) -> dict[str, Any]:
    """Start planning a network scenario (hubs and flows, or over time with ``periods``:
    ``method`` and ``window`` choose how); poll ``GET /api/network/jobs/{id}``. Errors in the
    scenario fail the job with a message naming the field."""
    period_options(kind, method, window)
    text, _ = await read_upload(request)
    # refuse what is no valid scenario at once (422 naming the field), not as a failed job
    await offload(network_check_job, text)
    if kind == "periods":
        return await background.start(s, user, "network.periods", network_periods_job, text, gap,
                                method, window)
    key = tuple(int(v) for v in start.split(",")) if start else None
    return await background.start(s, user, "network.solve", network_job, text, carbon_price, gap,
                            True, key)


background.add_routes(router, "/api/network/jobs", "network", KINDS, "network job")
