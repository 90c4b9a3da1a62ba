"""Shredder monitoring (junkan.sensing): run a scenario through the monitor, evaluate the
detectors on held-out scenarios, the reference thresholds with their sources, and a check of
one sensor message. Heavy work runs in a budgeted worker; scenarios are bounded
(``MAX_RUN_S`` of recording per run, ``MAX_EVAL_S`` per evaluation).

Live lines (:mod:`junkan.sensing.live`): start a replay, follow a line as Server-Sent Events,
acknowledge and label its alarms, and the precision the labels give. Every live line belongs
to the caller's organisation; another organisation's line answers 404."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
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


# --- live lines -------------------------------------------------------------------------

LineId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
MAX_STREAM_S = 600.0
"""A live stream closes after this long; the client reconnects with ``Last-Event-ID``."""
MAX_STREAMS_PER_ORG = 4
HEARTBEAT_S = 10.0
_streams: dict[str, int] = {}


class ReplayIn(BaseModel):
    scenario: Doc
    speed: float = Field(default=1.0, ge=0.1, le=50)
    """Times real time (the line's decision steps come at 10 × speed per second)."""


class LabelIn(BaseModel):
    label: Literal["confirmed", "false_alarm"]
    state: Literal["overload", "jam", "normal"] | None = None
    note: str = Field(default="", max_length=500)


def _hub(request: Request) -> Any:
    from junkan.sensing import Hub

    hub = getattr(request.app.state, "sensing_hub", None)
    if hub is None:
        hub = Hub(Path(os.environ.get("JUNKAN_SENSING_DIR", "var/sensing")))
        request.app.state.sensing_hub = hub
    return hub


def _live(fn: Any, *args: Any) -> Any:
    from junkan.sensing import LiveError

    try:
        return fn(*args)
    except LiveError as exc:
        raise HTTPException(exc.status, exc.detail) from None


def _line_id(line: str) -> str:
    from junkan.sensing import LINE_ID

    if not LINE_ID.match(line):
        raise HTTPException(422, "line: 1 to 40 letters, digits, '_' or '-'")
    return line


@router.post("/api/sensing/live", tags=["sensing"], status_code=202)
async def sensing_live_replay(body: ReplayIn, request: Request, user: CurrentUser) -> Any:
    """Replay a scenario (at most ``MAX_RUN_S`` of recording) as a live line of your
    organisation at ``speed`` × real time: 409 if that line is live, 429 past the limits."""
    from junkan.sensing import load

    try:
        sc = load(doc=body.scenario, source="scenario")
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if sc.duration_s > MAX_RUN_S:
        raise HTTPException(422, f"scenario.duration_s: at most {MAX_RUN_S:.0f} s per replay")
    models = await asyncio.to_thread(_models)  # trained once per process, then cached
    live = _live(_hub(request).replay, user.org_id, sc, models, body.speed)
    return live.summary()


@router.get("/api/sensing/live", tags=["sensing"])
def sensing_live_lines(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Your organisation's live lines."""
    return {"lines": [v.summary() for v in _hub(request).of(user.org_id)]}


@router.delete("/api/sensing/live/{line}", tags=["sensing"], status_code=204)
def sensing_live_stop(line: str, request: Request, user: CurrentUser) -> None:
    """Stop a live line of your organisation."""
    _live(_hub(request).stop, user.org_id, _line_id(line))


@router.get("/api/sensing/live/{line}/stream", tags=["sensing"])
async def sensing_live_stream(line: str, request: Request, user: CurrentUser) -> Any:
    """Server-Sent Events of a live line: ``step`` (signals, state confidences, action),
    ``alarm`` (with evidence), ``acknowledged``, ``label``, ``end``. Resume with
    ``Last-Event-ID``; closes after ``MAX_STREAM_S``; at most ``MAX_STREAMS_PER_ORG`` streams
    per organisation at once (429)."""
    live = _live(_hub(request).get, user.org_id, _line_id(line))
    try:
        after = int(request.headers.get("last-event-id", "0") or 0)
    except ValueError:
        raise HTTPException(422, "Last-Event-ID: give the number of the last event") from None
    org = user.org_id
    if _streams.get(org, 0) >= MAX_STREAMS_PER_ORG:
        raise HTTPException(429, f"at most {MAX_STREAMS_PER_ORG} live streams per organisation")
    _streams[org] = _streams.get(org, 0) + 1
    return StreamingResponse(
        _events(live, after, org, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(live: Any, after: int, org: str, request: Request) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    t0 = last = loop.time()
    try:
        yield "retry: 2000\n\n"
        while loop.time() - t0 < MAX_STREAM_S:
            batch = live.since(after)
            for i, ev in batch:
                after = i
                yield f"id: {i}\nevent: {ev['kind']}\ndata: {json.dumps(ev, default=float)}\n\n"
                if ev["kind"] == "end":
                    return
            if batch:
                last = loop.time()
            elif loop.time() - last > HEARTBEAT_S:
                last = loop.time()
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.1)
    finally:
        _streams[org] = max(0, _streams.get(org, 1) - 1)


@router.get("/api/sensing/live/{line}/alarms", tags=["sensing"])
def sensing_live_alarms(line: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    """A live line's alarms (newest last, at most 500) with evidence, acknowledgement and
    label."""
    live = _live(_hub(request).get, user.org_id, _line_id(line))
    mon = live.ingest.monitors.get(live.line)
    with live.ingest.lock:
        alarms = [a.as_dict() for a in mon.alarms[-500:]] if mon else []
    return {"line": live.line, "stream": live.stream, "alarms": alarms}


@router.post("/api/sensing/live/{line}/alarms/{alarm_id}/acknowledge", tags=["sensing"])
def sensing_live_acknowledge(
    line: str, alarm_id: int, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Acknowledge an alarm (the operator has seen it)."""
    out: dict[str, Any] = _live(
        _hub(request).acknowledge, user.org_id, _line_id(line), alarm_id, user.id
    )
    return out


@router.post("/api/sensing/live/{line}/alarms/{alarm_id}/label", tags=["sensing"])
def sensing_live_label(
    line: str, alarm_id: int, body: LabelIn, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Confirm an alarm or mark it a false alarm (``state``: what it really was). The line's
    models adapt (a new version is kept) and the label is stored with the alarm's evidence."""
    hub = _hub(request)
    args = (user.org_id, _line_id(line), alarm_id, body.label, user.id, body.state, body.note)
    out: dict[str, Any] = _live(hub.label, *args)
    return out


@router.get("/api/sensing/labels/precision", tags=["sensing"])
def sensing_label_precision(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Precision of your organisation's labelled alarms (the last label of each alarm):
    overall, by action and by evidence source, with Wilson 95 % intervals."""
    from junkan.sensing import label_precision

    labels = _live(_hub(request).labels, user.org_id)
    return {"labels": len(labels), **label_precision(labels)}
