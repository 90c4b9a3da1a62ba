"""Stateless analyses: flow indicators, collection networks, foresight ensembles and ELV
aluminium. Each validates its input, then computes in a budgeted worker."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request
from pydantic import Field

from junkan import foresight, network
from junkan.alloys import GradeRequest, PlanError, PlanRequest, PredictRequest, UpdateRequest
from junkan.api.auth import CurrentUser
from junkan.api.common import NOT_FOUND, UPLOAD_BODY, read_upload
from junkan.api.errors import field_errors
from junkan.api.request_json import strict_router
from junkan.api.routers.network_jobs import Method as PeriodMethod
from junkan.api.routers.network_jobs import Window as PeriodWindow
from junkan.api.routers.network_jobs import period_options
from junkan.api.work import (
    alloys_job,
    flow_indicators_job,
    foresight_analyse_job,
    foresight_run_job,
    network_job,
    network_periods_job,
    offload,
)
from junkan.core.base import Strict
from junkan.indicators import IndicatorInputError

router = strict_router()

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
LeverShares = Annotated[dict[Annotated[str, Field(max_length=100)], Share],
                        Field(max_length=100)]


class ForesightRunIn(Strict):
    levers: LeverShares = Field(default_factory=dict)
    """Lever id → share of scenarios with the lever on (0–1); unlisted levers are sampled."""
    n: int = Field(default=2000, ge=foresight.MIN_RUN_SCENARIOS, le=foresight.MAX_LIVE)
    seed: Seed = 0


class ForesightAnalyseIn(Strict):
    n: int = Field(default=5000, ge=foresight.MIN_ANALYSE_SCENARIOS, le=foresight.MAX_LIVE)
    k: Annotated[int, Field(ge=2, le=20)] | Literal["auto"] = 9
    seed: Seed = 0
    levers: LeverShares = Field(default_factory=dict)


@router.post("/api/indicators", tags=["indicators"], openapi_extra=UPLOAD_BODY)
async def flow_indicators(
        request: Request, user: CurrentUser,
        framework: Annotated[list[Annotated[str, Field(max_length=40)]],
                             Query(max_length=10)] = ["all"],  # noqa: B006
) -> dict[str, Any]:
    """Indicators of a flow model (inflows, outflows, products, energy, water, finance)
    sent as YAML or JSON; invalid input → 422 naming the field. Each indicator carries its
    ``unit`` (``fraction`` — a share shown as %, ``cycles``, ``ratio``, ``t``, ``JPY/t`` …),
    its ``status`` (checked against the ``text``, a ``summary`` only, or ``inferred``) and
    ``notes`` saying what could not be read."""
    text, _ = await read_upload(request)
    try:
        doc: dict[str, Any] = await offload(flow_indicators_job, text, framework)
    except (IndicatorInputError, KeyError) as exc:
        raise HTTPException(422, str(exc.args[0] if exc.args else exc)) from None
    return doc


@router.post("/api/network/solve", tags=["network"], openapi_extra=UPLOAD_BODY)
async def network_solve(
        request: Request, user: CurrentUser,
        carbon_price: Annotated[float | None, Query(
            ge=0, le=network.MAX_CARBON_PRICE, allow_inf_nan=False)] = None,
        gap: Annotated[float | None, Query(ge=1e-6, le=0.2, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """Plan hubs and flows for a network scenario (YAML or JSON body); invalid input →
    422 naming the field or the binding constraint. ``gap``: the relative MIP gap at which
    the solve stops (default: the scenario's); the answer says what it reached
    (``mip_gap``, ``bound``, ``stopped``)."""
    text, _ = await read_upload(request)
    doc: dict[str, Any] = await offload(network_job, text, carbon_price, gap)
    return doc


@router.post("/api/network/periods", tags=["network"], openapi_extra=UPLOAD_BODY)
async def network_periods(
        request: Request, user: CurrentUser,
        gap: Annotated[float | None, Query(ge=1e-6, le=0.2, allow_inf_nan=False)] = None,
        method: PeriodMethod = None,
        window: PeriodWindow = None,
) -> dict[str, Any]:
    """Planning over time for a network scenario with a ``periods`` section (YAML or JSON
    body): which hubs open, expand or close, and when, at least net present cost; the
    answer says the gap it reached (``mip_gap``, ``bound``, ``stopped``) and the ``method``
    used. Invalid input → 422 naming the field."""
    period_options("periods", method, window)
    text, _ = await read_upload(request)
    doc: dict[str, Any] = await offload(network_periods_job, text, gap, method, window)
    return doc


@router.get("/api/network/prefectures", tags=["network"])
def network_prefectures() -> dict[str, Any]:
    """Prefecture outlines (lon, lat) for maps."""
    from junkan.network import prefecture_polygons, prefectures

    polys = prefecture_polygons()
    return {"prefectures": [{"code": p.prefecture, "name": p.name, "ja": p.ja,
                             "outline": polys[p.prefecture][::3].round(3).tolist()}
                            for p in prefectures()]}


@router.get("/api/foresight/models", tags=["foresight"])
def foresight_models(user: CurrentUser) -> dict[str, Any]:
    """Causal models shipped with junkan, with their levers."""
    from junkan.foresight import model_card, shipped, shipped_models

    return {"models": [model_card(shipped(name), name) for name in shipped_models()]}


def _shipped(name: str) -> str:
    from junkan.foresight import shipped_models

    if name not in shipped_models():
        raise NOT_FOUND
    return name


@router.post("/api/foresight/models/{name}/run", tags=["foresight"])
async def foresight_run(name: str, body: ForesightRunIn, user: CurrentUser) -> dict[str, Any]:
    """Re-run the ensemble with levers switched on in the given share of scenarios
    (0–1); fan bands per KPI family."""
    try:
        doc: dict[str, Any] = await offload(foresight_run_job, _shipped(name), body.levers,
                                            body.n, body.seed)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


@router.post("/api/foresight/models/{name}/analyse", tags=["foresight"])
async def foresight_analyse(name: str, body: ForesightAnalyseIn,
                            user: CurrentUser) -> dict[str, Any]:
    """Groups, scenario tree with branch years and drivers, input drivers, ratings."""
    try:
        doc: dict[str, Any] = await offload(foresight_analyse_job, _shipped(name), body.n,
                                            body.k, body.seed, body.levers or None)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


@router.get("/api/alloys/library", tags=["alloys"])
def alloys_library(user: CurrentUser) -> dict[str, Any]:
    """Vehicles, components with dismantling options, buyers and sorters."""
    from junkan.alloys import library_document

    return library_document()


async def _alloy_call(kind: str, req: Any) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = await offload(alloys_job, kind, req)
    except PlanError as exc:
        raise HTTPException(422, {"message": str(exc), **exc.detail,
                                  **_coded(exc)}) from None
    except ValueError as exc:
        raise HTTPException(422, {"message": str(exc), **_coded(exc)}) from None
    return doc


def _coded(exc: ValueError) -> dict[str, Any]:
    """A refusal's coded problems as the answer's ``errors`` (the page says each in its
    language); nothing for a refusal in words only."""
    problems = getattr(exc, "problems", ())
    return {"errors": field_errors(problems)} if problems else {}


@router.post("/api/alloys/predict", tags=["alloys"])
async def alloys_predict(body: PredictRequest, user: CurrentUser) -> dict[str, Any]:
    """Recovered fractions with mass and composition (Monte Carlo), optionally sorted and
    graded."""
    return await _alloy_call("predict", body)


@router.post("/api/alloys/plan", tags=["alloys"])
async def alloys_plan(body: PlanRequest, user: CurrentUser) -> dict[str, Any]:
    """Feed mix and removals with the buyer's window met at the chosen probability; 422
    with the binding limits and the nearest feasible window when none is."""
    return await _alloy_call("plan", body)


@router.post("/api/alloys/grade", tags=["alloys"])
async def alloys_grade(body: GradeRequest, user: CurrentUser) -> dict[str, Any]:
    return await _alloy_call("grade", body)


@router.post("/api/alloys/update", tags=["alloys"])
async def alloys_update(body: UpdateRequest, user: CurrentUser) -> dict[str, Any]:
    """Fold measured lots into the per-part estimates; control charts."""
    return await _alloy_call("update", body)
