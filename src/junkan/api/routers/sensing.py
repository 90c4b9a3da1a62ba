"""Shredder monitoring (junkan.sensing): run a scenario through the monitor, evaluate the
detectors on held-out scenarios, the reference thresholds with their sources, and a check of
one sensor message. Heavy work runs in a budgeted worker; scenarios are bounded
(``MAX_RUN_S`` of recording per run, ``MAX_EVAL_S`` per evaluation). ``POST
/api/sensing/jobs?kind=run|evaluate`` does the same as a background job (202, polled with
progress, ``DELETE`` cancels; :mod:`junkan.api.background`).

Live lines (:mod:`junkan.sensing.live`): start a replay, or connect a line to an MQTT broker's
topic or an OPC UA server (only endpoints listed in ``JUNKAN_SENSING_ENDPOINTS``; see
:mod:`junkan.sensing.sources`), follow a line as Server-Sent Events, see its connection
status and quarantined messages, acknowledge and label its alarms (labels are stored in the
database, per organisation), and the precision the labels give. Every live line belongs to
the caller's organisation; another organisation's line answers 404."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, Field

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import within_data_limits
from junkan.api.request_json import strict_router
from junkan.api.work import offload
from junkan.core.base import Strict
from junkan.core.budget import report_progress

log = logging.getLogger("junkan.api.sensing")
_hub_lock = threading.Lock()


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """At start, the live lines kept by the last run are connected again, in the background
    (the monitor's models may have to be read or trained first); the app's own shutdown
    stops them (``Hub.close`` keeps their definitions)."""
    hub = _hub_of(app)
    if hub.book.entries():
        threading.Thread(
            target=_restore, args=(hub,), daemon=True, name="junkan-sensing-restore"
        ).start()
    yield


def _restore(hub: Any) -> None:
    try:
        lines = hub.restore(_models)
        log.info("restored %d live sensing line(s)", len(lines))
    except Exception:  # the service runs on; the lines stay kept for the next start
        log.exception("could not restore the kept live sensing lines")


router = strict_router(lifespan=_lifespan)

MAX_RUN_S = 1200.0
"""Longest scenario one run request may generate (20 min at 100 Hz)."""
MAX_EVAL_S = 1800.0
"""Longest total recording one evaluation request may generate."""
SERVICE_TUNING = ((0, 1, 2), 600.0)
"""The service's monitor: trained on three 10-minute tuning scenarios (seeds 0–2), kept per
process and on disk (:func:`junkan.sensing.model_cache_dir`), so only the first start
of a service trains it and a first request stays well inside the worker's time budget."""
MAX_MESSAGE_BYTES = 256 * 1024

Doc = Annotated[dict[str, Any], Field(max_length=20), AfterValidator(within_data_limits)]


class RunIn(Strict):
    scenario: Doc
    every: int = Field(default=10, ge=1, le=100)
    """Keep every n-th decision step (10 Hz) of the series in the answer."""


class EvaluateIn(Strict):
    scenarios: list[Doc] = Field(min_length=1, max_length=5)


def _models() -> Any:
    from junkan.sensing import model_cache_dir, train

    seeds, duration = SERVICE_TUNING
    return train(seeds, duration, str(model_cache_dir().resolve()))


def _scenario(doc: dict[str, Any]) -> Any:
    from junkan.sensing import load

    sc = load(doc=doc, source="scenario")
    if sc.duration_s > MAX_RUN_S:
        raise ValueError(f"scenario.duration_s: at most {MAX_RUN_S:.0f} s per request")
    return sc


def _scenarios(docs: list[dict[str, Any]]) -> list[Any]:
    from junkan.sensing import load

    scs = [load(doc=d, source=f"scenarios[{i}]") for i, d in enumerate(docs)]
    if sum(s.duration_s for s in scs) > MAX_EVAL_S:
        raise ValueError(f"scenarios: at most {MAX_EVAL_S:.0f} s of recording in total")
    return scs


def _tuning_seeds(scs: list[Any]) -> None:
    for i, sc in enumerate(scs):
        if sc.seed in SERVICE_TUNING[0]:
            raise ValueError(
                f"scenarios[{i}].seed: seed {sc.seed} was used for tuning; evaluate on other seeds"
            )


def sensing_run_job(doc: dict[str, Any], every: int) -> dict[str, Any]:
    from junkan.sensing import run

    sc = _scenario(doc)
    report_progress({"phase": "training", "fraction": 0.0})
    models = _models()
    report_progress({"phase": "generating", "fraction": 0.05})

    def progress(done: float) -> None:
        report_progress({"phase": "monitoring", "fraction": round(0.05 + 0.9 * done, 3)})

    out: dict[str, Any] = run(sc, models, progress=progress).to_json(every=every)
    return out


def sensing_evaluate_job(docs: list[dict[str, Any]]) -> dict[str, Any]:
    from junkan.sensing import evaluate

    scs = _scenarios(docs)
    report_progress({"phase": "training", "fraction": 0.0})
    models = _models()
    report_progress({"phase": "evaluating", "fraction": 0.05})
    out: dict[str, Any] = evaluate(scs, models, tuning_seeds=SERVICE_TUNING[0]).to_json()
    return out


@router.post("/api/sensing/run", tags=["sensing"])
async def sensing_run(body: RunIn, user: CurrentUser) -> dict[str, Any]:
    """Generate a scenario and run the monitor over it: alarms with actions and evidence,
    state confidences, detector scores and signals every ``every`` steps, the truth. Invalid
    scenario → 422 naming the field."""
    try:
        _scenario(body.scenario)  # a bad one is refused here, without a worker
        doc: dict[str, Any] = await offload(sensing_run_job, body.scenario, body.every)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


@router.post("/api/sensing/evaluate", tags=["sensing"])
async def sensing_evaluate(body: EvaluateIn, user: CurrentUser) -> dict[str, Any]:
    """Score the monitor and every detector on up to five held-out scenarios (seeds other
    than 0–2): event F1, latency p50/p95, false alarms per 8 h, NAB, VUS-PR."""
    try:
        _tuning_seeds(_scenarios(body.scenarios))  # refused here, before any training
        doc: dict[str, Any] = await offload(sensing_evaluate_job, body.scenarios)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc


JOB = "sensing."
KINDS = (JOB + "run", JOB + "evaluate")


class JobIn(Strict):
    """``scenario`` (and ``every``) for a run; ``scenarios`` for an evaluation."""

    scenario: Doc | None = None
    every: int = Field(default=10, ge=1, le=100)
    scenarios: list[Doc] | None = Field(default=None, min_length=1, max_length=5)


@router.post("/api/sensing/jobs", tags=["sensing"], status_code=202)
async def sensing_start_job(
    kind: Annotated[Literal["run", "evaluate"], Query()],
    body: JobIn,
    user: CurrentUser,
    s: StoreDep,
) -> dict[str, Any]:
    """Start a run (``scenario``) or an evaluation (``scenarios``) as a background job:
    202 with the job; poll ``GET /api/sensing/jobs/{id}`` (progress ``{phase, fraction}``,
    phase training, generating, monitoring or evaluating; then the result of ``/run`` or
    ``/evaluate``); ``DELETE`` stops it. A scenario that fails its checks is 422 at once."""
    try:
        if kind == "run":
            if body.scenario is None:
                raise ValueError("scenario: give the scenario to run")
            _scenario(body.scenario)
            return await background.start(s, user, JOB + kind, sensing_run_job, body.scenario,
                                          body.every)
        if body.scenarios is None:
            raise ValueError("scenarios: give one to five held-out scenarios")
        scs = _scenarios(body.scenarios)
        _tuning_seeds(scs)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return await background.start(s, user, JOB + kind, sensing_evaluate_job, body.scenarios)


background.add_routes(router, "/api/sensing/jobs", "sensing", KINDS, "sensing job")


@router.get("/api/sensing/reference", tags=["sensing"])
def sensing_reference(user: CurrentUser) -> dict[str, Any]:
    """The monitor's reference numbers (line, gas sensor, rule thresholds), each with its
    source, and the actions the monitor can advise."""
    from junkan.sensing import ACTIONS, reference

    return {"reference": reference(), "actions": list(ACTIONS)}


@router.post("/api/sensing/messages/check", tags=["sensing"])
async def sensing_check_message(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Check one sensor message (the MQTT payload, JSON): 200 with what it carries — and, in
    ``masked``, the readings that would be read as missing (out of range), each said with its
    field, frames and value — or 422 with the reason the whole message would be rejected."""
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
        "masked": list(b.masked),
    }


# --- live lines -------------------------------------------------------------------------

LineId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
MAX_STREAM_S = 600.0
"""A live stream closes after this long; the client reconnects with ``Last-Event-ID``."""
MAX_STREAMS_PER_ORG = 4
HEARTBEAT_S = 10.0
_streams: dict[str, int] = {}


class ReplayIn(Strict):
    scenario: Doc
    speed: float = Field(default=1.0, ge=0.1, le=50)
    """Times real time (the line's decision steps come at 10 × speed per second)."""


class LabelIn(Strict):
    label: Literal["confirmed", "false_alarm"]
    state: Literal["overload", "jam", "normal"] | None = None
    note: str = Field(default="", max_length=500)


def _hub_of(app: Any) -> Any:
    from junkan.sensing import Hub

    with _hub_lock:
        hub = getattr(app.state, "sensing_hub", None)
        if hub is None:
            hub = Hub(Path(os.environ.get("JUNKAN_SENSING_DIR", "var/sensing")))
            app.state.sensing_hub = hub
    return hub


def _hub(request: Request) -> Any:
    return _hub_of(request.app)


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


@router.post("/api/sensing/connections", tags=["sensing"], status_code=202)
async def sensing_live_connect(body: Doc, request: Request, user: CurrentUser) -> Any:
    """Start a live line of your organisation fed by an MQTT broker's topic (``source``:
    ``{kind: mqtt, url: mqtt://host:port, topic, protocol: "3.1.1"|"5"}``) or an OPC UA
    server (``{kind: opcua, url: opc.tcp://host:port/path, publish_ms}``). The endpoint must
    be listed in the server's ``JUNKAN_SENSING_ENDPOINTS`` (422 otherwise; nothing is
    contacted). The connection runs in the background and reconnects by itself: follow
    ``status`` in ``GET /api/sensing/live/{line}`` or the stream's ``status`` events; bad
    messages are quarantined with their reasons. 409 if that line is live, 429 past the
    limits."""
    from junkan.core.documents import validate_with
    from junkan.sensing import LineSource

    spec = validate_with(LineSource, body, "body")  # 422 naming the field
    models = await asyncio.to_thread(_models)
    hub = _hub(request)
    live = await asyncio.to_thread(
        _live, partial(hub.connect, by=user.id), user.org_id, spec, models
    )
    return live.summary()


@router.get("/api/sensing/live", tags=["sensing"])
def sensing_live_lines(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Your organisation's live lines."""
    return {"lines": [v.summary() for v in _hub(request).of(user.org_id)]}


@router.get("/api/sensing/live/{line}", tags=["sensing"])
def sensing_live_line(line: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    """A live line: source, endpoint, connection status, counts, and the last quarantined
    messages with their reasons."""
    out: dict[str, Any] = _live(_hub(request).get, user.org_id, _line_id(line)).detail()
    return out


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
    models adapt (a new version is kept) and the label is stored in the database with the
    alarm's evidence."""
    from junkan.store.sensing_repo import SensingRepo

    repo = SensingRepo(request.app.state.store.db)
    repo.check_room(user.org_id)  # 413 before the models adapt

    def sink(rec: dict[str, Any]) -> None:
        repo.add_label(user.org_id, user.id, rec)

    hub = _hub(request)
    args = (user.org_id, _line_id(line), alarm_id, body.label, user.id, body.state, body.note)
    out: dict[str, Any] = _live(hub.label, *args, sink)
    return out


@router.get("/api/sensing/labels", tags=["sensing"])
def sensing_labels(
    request: Request,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Your organisation's alarm labels, newest first (relabels included)."""
    from junkan.store.sensing_repo import SensingRepo

    rows = SensingRepo(request.app.state.store.db).labels(user.org_id, limit=limit, offset=offset)
    return {"labels": rows}


@router.get("/api/sensing/labels/precision", tags=["sensing"])
def sensing_label_precision(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Precision of your organisation's labelled alarms (the last label of each alarm, read
    from the database): overall, by action and by evidence source, with Wilson 95 %
    intervals."""
    from junkan.sensing import label_precision
    from junkan.store.sensing_repo import SensingRepo

    labels = SensingRepo(request.app.state.store.db).latest_labels(user.org_id)
    return {"labels": len(labels), **label_precision(labels)}
