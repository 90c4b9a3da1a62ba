"""Shredder monitoring (junkan.sensing): run a scenario through the monitor, evaluate the
detectors on held-out scenarios, the reference thresholds with their sources, and a check of
one sensor message. Heavy work runs in a budgeted worker; scenarios are bounded
(``MAX_RUN_S`` of recording per run, ``MAX_EVAL_S`` per evaluation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from junkan.api.auth import CurrentUser
from junkan.api.work import offload

router = APIRouter()

MAX_RUN_S = 1200.0
"""Longest scenario one run request may generate (20 min at 100 Hz)."""
MAX_EVAL_S = 1800.0
"""Longest total recording one evaluation request may generate."""
SERVICE_TUNING = ((0, 1, 2), 600.0)
"""The service's monitor: trained on three 10-minute tuning scenarios (seeds 0–2), cached per
worker, so a first request stays well inside the worker's time budget."""
MAX_MESSAGE_BYTES = 256 * 1024

Doc = Annotated[dict[str, Any], Field(max_length=20)]


class RunIn(BaseModel):
    scenario: Doc
    every: int = Field(default=10, ge=1, le=100)
    """Keep every n-th decision step (10 Hz) of the series in the answer."""


class EvaluateIn(BaseModel):
    scenarios: list[Doc] = Field(min_length=1, max_length=5)


def _models() -> Any:
    from junkan.sensing import train

    seeds, duration = SERVICE_TUNING
    return train(seeds, duration)


def sensing_run_job(doc: dict[str, Any], every: int) -> dict[str, Any]:
    from junkan.sensing import load, run

    sc = load(doc=doc, source="scenario")
    if sc.duration_s > MAX_RUN_S:
        raise ValueError(f"scenario.duration_s: at most {MAX_RUN_S:.0f} s per request")
    out: dict[str, Any] = run(sc, _models()).to_json(every=every)
    return out


def sensing_evaluate_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    from junkan.sensing import evaluate, load

    scs = [load(doc=d, source=f"scenarios[{i}]") for i, d in enumerate(docs)]
    if sum(s.duration_s for s in scs) > MAX_EVAL_S:
        raise ValueError(f"scenarios: at most {MAX_EVAL_S:.0f} s of recording in total")
    out: dict[str, Any] = evaluate(scs, _models(), tuning_seeds=SERVICE_TUNING[0]).to_json()
    return out


@router.post("/api/sensing/run", tags=["sensing"])
async def sensing_run(body: RunIn, user: CurrentUser) -> dict[str, Any]:
    """Generate a scenario and run the monitor over it: alarms with actions and evidence,
    state confidences, detector scores and signals every ``every`` steps, the truth. Invalid
    scenario → 422 naming the field."""
    try:
        doc: dict[str, Any] = await offload(sensing_run_job, body.scenario, body.every)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


@router.post("/api/sensing/evaluate", tags=["sensing"])
async def sensing_evaluate(body: EvaluateIn, user: CurrentUser) -> dict[str, Any]:
    """Score the monitor and every detector on up to five held-out scenarios (seeds other
    than 0–2): event F1, latency p50/p95, false alarms per 8 h, NAB, VUS-PR."""
    try:
        doc: dict[str, Any] = await offload(sensing_evaluate_job, body.scenarios)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


@router.get("/api/sensing/reference", tags=["sensing"])
def sensing_reference(user: CurrentUser) -> dict[str, Any]:
    """The monitor's reference numbers (line, gas sensor, rule thresholds), each with its
    source, and the actions the monitor can advise."""
    from junkan.sensing import ACTIONS, reference

    return {"reference": reference(), "actions": list(ACTIONS)}


@router.post("/api/sensing/messages/check", tags=["sensing"])
async def sensing_check_message(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Check one sensor message (the MQTT payload, JSON): 200 with what it carries, or 422
    with the reason it would be rejected."""
    from junkan.sensing import SampleError, parse_message

    body = await request.body()
    if len(body) > MAX_MESSAGE_BYTES:
        raise HTTPException(413, f"a message has at most {MAX_MESSAGE_BYTES} bytes")
    try:
        b = parse_message(body)
    except SampleError as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "line": b.line,
        "seq": b.seq,
        "t": b.t,
        "frames": b.frames,
        "channels": sorted(k for k, v in b.values.items() if not all(v != v)),
    }
