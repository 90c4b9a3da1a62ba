"""Foresight grouping as background jobs: ``POST /api/foresight/jobs`` with a shipped model's
name and the analysis options answers 202 with a job; ``GET /api/foresight/jobs/{id}`` polls
it (``progress``: the stage, ``ensemble`` with the scenarios run so far or ``analyse``), and
its result is the document of ``POST /api/foresight/models/{name}/analyse``. ``DELETE``
stops one; ``GET /api/foresight/jobs`` lists them so a page can reopen an earlier analysis.
Jobs are their starter's only and kept in the store (:mod:`junkan.api.background`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import HTTPException
from pydantic import Field

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND
from junkan.api.request_json import strict_router
from junkan.api.routers.analysis import ForesightAnalyseIn
from junkan.api.work import foresight_analyse_job

router = strict_router()

KINDS = ("foresight.analyse",)


class ForesightJobIn(ForesightAnalyseIn):
    model: Annotated[str, Field(min_length=1, max_length=100)]
    """The shipped causal model's name (``GET /api/foresight/models``)."""


def _levers_of(name: str) -> list[str]:
    from junkan.foresight import model_card, shipped, shipped_models

    if name not in shipped_models():
        raise NOT_FOUND
    return [lv["id"] for lv in model_card(shipped(name), name)["levers"]]


@router.post("/api/foresight/jobs", tags=["foresight"], status_code=202)
async def start_foresight_job(body: ForesightJobIn, user: CurrentUser,
                              s: StoreDep) -> dict[str, Any]:
    """Start grouping a shipped model's scenarios (groups, scenario tree with branch years
    and drivers, input drivers, ratings); poll ``GET /api/foresight/jobs/{id}``. An unknown
    model is 404, an unknown lever 422."""
    known = await asyncio.to_thread(_levers_of, body.model)
    unknown = sorted(set(body.levers) - set(known))
    if unknown:
        raise HTTPException(422, f"levers: unknown lever {unknown[0]!r}; "
                                 f"{body.model} has {known}")
    return await background.start(s, user, "foresight.analyse", foresight_analyse_job, body.model,
                            body.n, body.k, body.seed, body.levers or None)


background.add_routes(router, "/api/foresight/jobs", "foresight", KINDS,
                      "foresight analysis", "foresight analyses")
