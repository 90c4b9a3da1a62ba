"""The PACT host's routes: ``POST /auth/token``, ``GET /3/footprints``,
``GET /3/footprints/{id}`` and ``POST /3/events``, over the :class:`PactHost` held in
``app.state.pact``."""

from __future__ import annotations

import datetime as dt
import time
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from junkan.api.auth import basic_credentials
from junkan.api.pact_events import Callbacks, check_event
from junkan.api.pact_snapshot import Footprints, base_url, error, list_page
from junkan.api.request_json import read_json
from junkan.store.db import Settings
from junkan.store.repo import Store
from junkan.store.tables import User
from junkan.trace import pact

EXTENSION_SCHEMA = (resources.files("junkan.data") / "trace" /
                    "recycled-content.schema.json").read_bytes()
"""The schema served at :data:`junkan.trace.pact.EXTENSION_PATH`."""


class PactHost:
    """What the routes share: the store (clients and tokens), the footprints, the callbacks
    and the bearer tokens recently checked."""

    def __init__(self, settings: Settings, store: Store, footprints: Footprints,
                 callbacks: Callbacks) -> None:
        self.settings = settings
        self.store = store
        self.footprints = footprints
        self.callbacks = callbacks
        self.tokens: dict[str, tuple[float, User]] = {}

    def user_of(self, request: Request) -> User | None:
        """The token's user. A valid token is remembered until it expires, for at most 5 s
        (a store round trip and a hash per request otherwise), so a revoked token stops
        working within 5 s."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        tok = header[7:].strip()
        tokens = self.tokens
        hit = tokens.get(tok)
        now = time.monotonic()
        if hit is not None and now < hit[0]:
            return hit[1]
        grant = self.store.token_grant(tok, "bearer")
        if grant is None:
            tokens.pop(tok, None)
            return None
        user, expires = grant
        left = (expires - dt.datetime.now(dt.UTC)).total_seconds()
        if len(tokens) > 10_000:
            tokens.clear()
        tokens[tok] = (now + min(5.0, left), user)
        return user

    def invalid_token(self, request: Request | None = None) -> JSONResponse:
        """400 BadRequest for an unknown token (conformance cases 6, 7, 16); 401 TokenExpired
        for one this host issued that has expired (the specification's error table)."""
        header = request.headers.get("authorization", "") if request is not None else ""
        if header.lower().startswith("bearer ") and self.store.token_expired(
                header[7:].strip(), "bearer"):
            return error(401, "TokenExpired", "The access token has expired")
        return error(400, "BadRequest", "Invalid token provided")


def _host(request: Request) -> PactHost:
    host: PactHost = request.app.state.pact
    return host


async def token(request: Request) -> JSONResponse:
    host = _host(request)
    try:
        form = await request.form()
    except StarletteHTTPException:  # an unreadable form: OAuth's words (RFC 6749 §5.2)
        return JSONResponse(status_code=400, content={
            "error": "invalid_request", "error_description": "the body is not a readable form"})
    grant = form.getlist("grant_type")
    if len(grant) != 1:  # missing or repeated: invalid_request (RFC 6749 §5.2)
        return JSONResponse(status_code=400, content={
            "error": "invalid_request",
            "error_description": "give grant_type=client_credentials once"})
    if grant[0] != "client_credentials":
        return JSONResponse(status_code=400, content={"error": "unsupported_grant_type"})
    creds = basic_credentials(request)
    user = host.store.client_user(*creds) if creds else None
    if user is None:
        return JSONResponse(status_code=401, content={
            "error": "invalid_client", "error_description": "Client authentication failed"},
            headers={"WWW-Authenticate": "Basic"})
    ttl = host.settings.token_ttl_seconds
    tok = host.store.issue_token(user.id, "bearer", ttl)
    return JSONResponse({"access_token": tok, "token_type": "Bearer", "expires_in": ttl},
                        headers={"Cache-Control": "no-store"})


async def list_footprints(request: Request) -> Response:
    host = _host(request)
    user = host.user_of(request)
    if user is None:
        return host.invalid_token(request)
    snap = await host.footprints.snapshot(user, base_url(request))
    page = list_page(snap.pfs, request, snap.pages)  # cached by the parsed query
    if isinstance(page, JSONResponse):
        return page
    body, link = page
    return Response(body, media_type="application/json",
                    headers={"Link": link} if link else None)


async def get_footprint(fid: str, request: Request) -> Response:
    host = _host(request)
    user = host.user_of(request)
    if user is None:
        return host.invalid_token(request)
    # ids are UUIDs, written in lower case, compared without case (RFC 9562 §4)
    body = (await host.footprints.snapshot(user, base_url(request))).items.get(fid.lower())
    if body is None:
        return error(404, "NotFound", f"Footprint with ID '{fid}' does not exist")
    return Response(body, media_type="application/json")


async def events(request: Request) -> Response:
    host = _host(request)
    user = host.user_of(request)
    if user is None:
        return host.invalid_token(request)
    try:  # a key given twice is refused, as in every JSON body of the service
        event, repeat = await read_json(await request.body())  # large: off the loop
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to read
        return error(400, "BadRequest", "body is not JSON")
    if repeat is not None:
        return error(400, "BadRequest", f"at {repeat.path or 'the top level'}: {repeat.message}")
    bad = check_event(event)
    if bad is not None:
        return bad
    if event["type"].endswith("RequestCreatedEvent.3") and \
            not await run_in_threadpool(host.callbacks.queue_answer, user, event,
                                        base_url(request)):
        return error(429, "TooManyRequests", "too many answers are waiting to be "
                                             "delivered; try again later")
    return Response(status_code=200)


def extension_schema() -> Response:
    """The JSON schema of the host's data-model extension (public: PACT v3 wants the
    ``dataSchema`` of an extension to be a publicly accessible URL)."""
    return Response(EXTENSION_SCHEMA, media_type="application/schema+json",
                    headers={"Cache-Control": "public, max-age=86400"})


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths (404) and wrong methods (405) in the PACT error shape, not FastAPI's."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        return error(404, "NotFound", "no such resource on this PACT host")
    answer = error(status, "BadRequest" if status < 500 else "InternalError",
                   f"{request.method} is not allowed here" if status == 405 else
                   str(exc.detail)[:200])
    for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
        answer.headers[name] = value
    return answer


def add_routes(app: FastAPI) -> None:
    """Register the PACT routes (their state: ``app.state.pact``) and the PACT error shape
    for the paths and methods they do not serve."""
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.get(pact.EXTENSION_PATH)(extension_schema)
    app.post("/auth/token")(token)
    app.get("/3/footprints")(list_footprints)
    app.get("/3/footprints/{fid}")(get_footprint)
    app.post("/3/events")(events)
