"""The lot ledger over HTTP: signed event batches, lots as the caller may see them,
genealogy, notifications, data offers and agreements, webhooks, checkpoints and verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from junkan.api.auth import CurrentUser
from junkan.api.common import ISO_DAY, NOT_FOUND, TraceDep, iso_day, org_name, refused
from junkan.api.request_json import strict_router
from junkan.api.trace_audit_job import recent_audit
from junkan.core.base import Strict
from junkan.core.encoding import jsonable
from junkan.core.fields import IsoDateTime
from junkan.core.limits import limits
from junkan.store.tables import User
from junkan.store.trace_base import TraceRefusal
from junkan.store.trace_repo import TraceError, TraceNotFound
from junkan.trace import Batch

router = strict_router(tags=["trace"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
LotIds = Annotated[list[Name], Field(max_length=10_000)]
FieldNames = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=64)]


class OfferIn(Strict):
    name: Name
    description: str = Field(default="", max_length=5000)
    lots: LotIds
    fields: FieldNames
    policy: dict[str, Any] = Field(default_factory=dict, max_length=50)


class WebhookIn(Strict):
    url: str | None = Field(max_length=2000)


class AgreementIn(Strict):
    grantee: Name
    lots: LotIds
    fields: FieldNames
    purpose: str = Field(max_length=1000)
    expires_at: IsoDateTime


def _entries(event: Any) -> int:
    """What one raw event counts towards the batch limit: one per lot it writes or reads
    (a split's outputs, a merge's inputs), at least one."""
    if not isinstance(event, dict):
        return 1
    parts = event.get("outputs") if event.get("type") == "split" else event.get("inputs")
    return max(1, len(parts)) if isinstance(parts, list) else 1


class EventsIn(Batch):
    """A batch posted over HTTP: at most ``trace_batch_events`` events, a split counting one
    per output and a merge, blend or process one per input (the cost of an ingest follows the
    lots it writes: ten splits into 10,000 lots each cost as much as 100,000 creates). The
    batch is counted before any event is validated (pydantic checks a list's ``max_length``
    only after validating every item), so an oversized batch costs no more than reading its
    JSON."""

    @field_validator("events", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        lim = limits().trace_batch_events
        if not isinstance(value, list):
            return value
        count = len(value)
        if count <= lim:
            count = sum(_entries(e) for e in value)
        if count > lim:
            raise PydanticCustomError(
                "value_error", "{count} events in one batch (a split counts one per output, "
                "a merge, blend or process one per input), more than the {limit}: send them "
                "in several batches (or import the file with `junkan trace import`)",
                {"count": f"{count:,}", "limit": limits().describe("trace_batch_events")})
        return value


def _me(request: Request, user: User) -> str:
    return org_name(request.app.state.store.db, user)


def trace_call(fn: Any, *args: Any, **kw: Any) -> Any:
    """Call the ledger; its 'not found' (a missing lot or organisation and another
    organisation's alike) becomes the service's one 404, other refusals 422."""
    try:
        return fn(*args, **kw)
    except TraceNotFound:
        raise NOT_FOUND from None
    except TraceError as exc:
        if isinstance(exc, TraceRefusal):  # the field's error, under its rule's code
            raise refused([exc.problem(exc.field)], str(exc)) from None
        raise HTTPException(422, str(exc)) from None


Period = Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$",
                                     description="Mass-balance period (e.g. 2026Q1) of "
                                     "events that name none; default: the current quarter.")]


@router.post("/api/trace/events")
async def trace_events(body: EventsIn, request: Request, user: CurrentUser,
                       trace: TraceDep, period: Period = None) -> dict[str, Any]:
    """Sign and append a batch of events to your organisation's log (all or nothing); at most
    ``JUNKAN_LIMIT_TRACE_BATCH_EVENTS`` events per batch (default 5,000; a split counts one
    per output, a merge, blend or process one per input)."""
    res = await run_in_threadpool(trace_call, trace.ingest, _me(request, user), body.events,
                                  source="request", period=period)
    return dict(jsonable(res.__dict__))


@router.get("/api/trace/mass-balance", response_model=None, responses={200: {"content": {
    "application/json": {"schema": {"type": "object"}},
    "text/csv": {"schema": {"type": "string"}}}}})
async def trace_mass_balance(
        request: Request, user: CurrentUser, trace: TraceDep,
        site: Annotated[str | None, Query(max_length=200)] = None, period: Period = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Any:
    """Your organisation's mass-balance statement (ISO 22095): per site, characteristic and
    period, every credit, claim, outflow, adjustment and carry, the balance and the claims
    no longer covered. ``format=csv``: one row per entry."""
    st = await run_in_threadpool(trace_call, trace.statement, _me(request, user), site=site,
                                 period=period)
    if format == "csv":
        return PlainTextResponse(st.to_csv(), media_type="text/csv; charset=utf-8")
    return st.to_json()


@router.get("/api/trace/lots")
def trace_lots(request: Request, user: CurrentUser, trace: TraceDep,
               q: Annotated[str | None, Query(max_length=200)] = None,
               material: Annotated[str | None, Query(max_length=200)] = None,
               holder: Annotated[str | None, Query(max_length=200)] = None,
               made_from: Annotated[str | None, Query(pattern=ISO_DAY)] = None,
               made_to: Annotated[str | None, Query(pattern=ISO_DAY)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    """The lots your organisation may see (made, held, shipped to it, or granted by an
    agreement), newest first, one page at a time: ``q`` a part of the lot id (any case),
    ``material`` and ``holder`` (an organisation's name) exact, ``made_from`` / ``made_to``
    the first and last day of creation (ISO dates, UTC, both included); ``total`` counts
    every match."""
    return dict(jsonable(trace_call(trace.lots, _me(request, user), q=q, material=material,
                                    holder=holder, made_from=iso_day("made_from", made_from),
                                    made_to=iso_day("made_to", made_to), limit=limit,
                                    offset=offset)))



@router.get("/api/trace/lots/{lot:path}/genealogy")
def trace_genealogy(lot: str, request: Request, user: CurrentUser, trace: TraceDep,
                    depth: Annotated[int, Query(ge=1, le=20)] = 6) -> dict[str, Any]:
    """Lots up- and downstream that your organisation may see, with the links. ``lot``: an
    id as your organisation refers to it, or ``organisation/id``. At most
    ``JUNKAN_LIMIT_TRACE_GENEALOGY_NODES`` lots (default 1,000), the nearest first, listing at
    most ``JUNKAN_LIMIT_TRACE_GENEALOGY_LINKS`` links beyond the root's (20,000): when lots
    were left out, ``truncated`` is true and ``omitted`` counts those linked to the lots
    given."""
    return dict(jsonable(trace_call(trace.genealogy, _me(request, user), lot, depth)))


@router.get("/api/trace/lots/{lot:path}")
def trace_lot(lot: str, request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    """A lot as your organisation may see it (404 if it may not). ``lot``: an id as your
    organisation refers to it (its own lot first, then one it holds, then one granted to
    it), or ``organisation/id``."""
    return dict(jsonable(trace_call(trace.show, _me(request, user), lot)))


@router.get("/api/trace/notifications")
def trace_notifications(request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    return {"notifications": jsonable(trace.notifications(_me(request, user)))}


@router.get("/api/trace/catalogue")
def trace_catalogue(request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    """Other organisations' offers (metadata and policy only)."""
    return {"datasets": jsonable(trace.catalogue(_me(request, user)))}


@router.post("/api/trace/offers")
def trace_offer(body: OfferIn, request: Request, user: CurrentUser,
                trace: TraceDep) -> dict[str, Any]:
    oid = trace_call(trace.offer, _me(request, user), body.name, lots=body.lots,
                     fields=body.fields, description=body.description, policy=body.policy)
    return {"id": oid}


@router.get("/api/trace/agreements")
def trace_agreements(request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    return {"agreements": jsonable(trace.agreements(_me(request, user)))}


@router.post("/api/trace/agreements")
def trace_grant(body: AgreementIn, request: Request, user: CurrentUser,
                trace: TraceDep) -> dict[str, Any]:
    """Grant another organisation fields of your lots for a purpose, until a date."""
    aid = trace_call(trace.grant, _me(request, user), body.grantee, lots=body.lots,
                     fields=body.fields, purpose=body.purpose, expires_at=body.expires_at)
    return {"id": aid}


@router.delete("/api/trace/agreements/{agreement_id}")
def trace_revoke(agreement_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                 request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    trace_call(trace.revoke, _me(request, user), agreement_id)
    return {"revoked": agreement_id}


@router.put("/api/trace/webhook")
def trace_webhook(body: WebhookIn, request: Request, user: CurrentUser,
                  trace: TraceDep) -> dict[str, Any]:
    """Where your organisation's notifications are POSTed (JSON); null removes it. The URL's
    origin must be one an administrator registered for your organisation."""
    trace_call(trace.set_webhook, _me(request, user), body.url)
    return {"url": body.url}


@router.get("/api/trace/checkpoints/{org}")
def trace_checkpoint(org: str, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    """An organisation's latest signed Merkle checkpoint and public key (public metadata
    for partners to keep as witnesses)."""
    return dict(jsonable(trace_call(trace.checkpoint, org)))


@router.post("/api/trace/witness")
def trace_witness(kept: Annotated[dict[str, Any], Field(max_length=20)], user: CurrentUser,
                  trace: TraceDep) -> dict[str, Any]:
    """Check that an organisation's log still extends a checkpoint you kept (RFC 9162
    consistency proof)."""
    return dict(jsonable(trace_call(trace.check_witness, kept)))


@router.get("/api/trace/verify")
async def trace_verify(request: Request, user: CurrentUser, trace: TraceDep) -> dict[str, Any]:
    """The problems an audit of the ledger (every log checked, the ledger replayed from the
    signed records and compared field by field) finds that concern your organisation. The
    audit is shared by all callers and at most a minute old; it runs in a background worker
    within its budget (``JUNKAN_BUDGET_AUDIT_CPU_S``, ``_MEMORY_MB``, ``_WALL_S``: 413/422
    ``budget-*`` beyond it); ``junkan trace verify`` audits afresh."""
    me = _me(request, user)
    audit = await recent_audit(trace)
    res = await run_in_threadpool(trace.verify, me, audit)
    return dict(jsonable(res.__dict__))
