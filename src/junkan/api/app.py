"""The junkan service: the JSON API under ``/api``, the OAuth2 token endpoint at
``/oauth/token``, the web UI at ``/``, OpenAPI at ``/docs`` (assets served from the package).

The app is assembled here from one router per capability (:mod:`junkan.api.routers`); every
error answers in one shape (:mod:`junkan.api.errors`), every response carries the security
headers, bodies above ``max_body_bytes`` are refused before they are read, and JSON bodies
that give a key twice in one object are refused (:mod:`junkan.api.request_json`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junkan.api import background, errors, request_json
from junkan.api.jobs import WARM, JobRunner, warm_up
from junkan.api.routers import ROUTERS
from junkan.core import budget
from junkan.store import passwords
from junkan.store.db import Database, Settings
from junkan.store.repo import Store
from junkan.store.server_lock import ServerLock, migrating
from junkan.store.trace_repo import TraceRepo

log = logging.getLogger(__name__)

WEB = resources.files("junkan.web") / "static"
DOCS_ASSETS = resources.files("fastapi_offline") / "static"
"""Swagger UI and ReDoc bundles shipped by the ``fastapi-offline`` package (MIT)."""

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
       "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
"""Content Security Policy: nothing is loaded from another origin (the UI works offline).
Inline script is allowed for the Swagger/ReDoc pages and plotly's generated styles."""
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(path: str, production: bool) -> dict[str, str]:
    """The security headers of an answer to a request for ``path`` (an answer that sets one
    of them itself keeps its own): the one list both :class:`SecurityHeaders` and the
    handler of unexpected errors (500, :func:`junkan.api.errors.install`) apply."""
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
               "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
               "Cross-Origin-Opener-Policy": "same-origin"}
    if path.startswith(("/api/", "/oauth/")):
        headers["Cache-Control"] = "no-store"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """Add :func:`security_headers` to every HTTP answer. It is the outermost of the app's
    middleware, so an answer another middleware gives (:class:`BodyLimit`'s 413) has them
    too; a 500 is sent by Starlette from outside every middleware, so its handler adds them
    itself."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app, self.production = app, production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], self.production)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


SIGN_IN_BODY_BYTES = 32 * 1024
"""The largest body the public sign-in routes (:data:`SIGN_IN_PATHS`) take: the longest
sign-in the schema takes (an e-mail of 320 characters and a password of 1,024) is about
16.2 KB with every character outside the Basic Multilingual Plane escaped as a JSON
surrogate pair (12 bytes each), and a client's credentials are shorter. Any larger body is
refused unread: the routes are open to anyone, and reading a large body holds
Python's interpreter lock (a 200 KB sign-in body delayed ``/api/health`` by up to 0.9 s,
2026-12-03)."""
SIGN_IN_PATHS = frozenset({"/api/session", "/oauth/token"})


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes (on :data:`SIGN_IN_PATHS`,
    :data:`SIGN_IN_BODY_BYTES`) with 413 before the application reads them: by
    ``Content-Length`` when announced (the server enforces the framing), else by reading the
    chunked body up to the limit and handing it on whole. A body with a ``Content-Encoding``
    (gzip …) is refused with 415 ``body-encoded``: no route decompresses one, and JSON
    parsing of its bytes said it was nested too deeply (review 219)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if scope["path"] in SIGN_IN_PATHS and limit > SIGN_IN_BODY_BYTES:
            limit = SIGN_IN_BODY_BYTES
            said = "the most a sign-in takes"
        else:
            said = "JUNKAN_MAX_BODY_BYTES"
        too_big = errors.problem(413, f"the request body is larger than {limit} bytes ({said})",
                                 code="body-too-large", limit=limit)
        heads = dict(scope.get("headers") or [])
        coding = heads.get(b"content-encoding", b"identity").strip().lower()
        if coding not in (b"", b"identity"):  # never decompressed: a bomb is not read either
            await errors.problem(
                415, f"the request body is encoded ({coding.decode('latin-1')[:40]}); send it "
                "uncompressed: the service does not read a Content-Encoding",
                code="body-encoded")(scope, receive, send)
            return
        length = heads.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await too_big(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        pieces: list[bytes] = []  # joined once: adding each piece copied the body so far
        size, more = 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away
                return
            piece = msg.get("body", b"")
            pieces.append(piece)
            size += len(piece)
            more = msg.get("more_body", False)
            if size > limit:
                await too_big(scope, receive, send)
                return
        body = b"".join(pieces)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(settings: Settings | None = None, *, seed: bool = False) -> FastAPI:
    """The service over the store at ``settings.database_url``; ``seed`` adds the demo
    organisations, users and models (never in production mode)."""
    settings = settings or Settings()
    if settings.production and seed:
        raise ValueError("production mode never seeds demo users")
    if passwords.warn_if_insecure() and settings.production:
        raise ValueError(f"production mode refuses {passwords.ENV}={passwords.INSECURE}")
    db = Database(settings.database_url)
    store = Store(db, quota_bytes=settings.org_quota_bytes,
                  keep_versions=settings.version_retention)
    trace = TraceRepo(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.migrate()
        db.restrict_files()
        owner = ServerLock(db.engine)
        left: list[tuple[str, str, str, dict[str, Any]]] = []
        if owner.acquire():  # the first server on this database: the unfinished work is its
            store.fail_interrupted()
            left = store.resume_interrupted_analyses(  # run again once the pool is there
                user_gone=(background.USER_DISABLED, background.USER_DELETED))
        else:
            log.warning("another junkan server holds this database: the runs and jobs it "
                        "left unfinished are its own, not resumed here")
        trace.start_delivery()  # one outbox worker for webhooks (pending ones are resumed)
        if seed:
            from junkan.api.seed import seed_demo

            with migrating(db.engine):  # two servers started at once seed once
                seed_demo(store)
        budgets = budget.BudgetSettings()
        # the workers start now, in the background (or with the first task: start=lazy)
        budget.configure(budgets, warm=WARM, warm_up=warm_up, eager=budgets.start == "eager")
        app.state.jobs = JobRunner(store, settings.workers, settings=budgets)
        background.use_pool(app.state.jobs.pool)  # long jobs beside the runs, not requests
        background.resume(store, left)
        # the lot graph, read in the background so re-declarations need not read it
        threading.Thread(target=_keep_graph, args=(trace,), daemon=True,
                         name="junkan-graph").start()
        yield
        hub = getattr(app.state, "sensing_hub", None)
        if hub is not None:  # live sensing lines: stop their clients, flush their raw streams
            hub.close()
        background.use_pool(None)
        app.state.jobs.shutdown()
        budget.shutdown()
        trace.stop_delivery()
        owner.release()
        db.engine.dispose()  # return the pool's connections (PostgreSQL counts them)

    app = FastAPI(title="junkan", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, responses=errors.ERROR_RESPONSES,
                  description="Circular-economy platform: lifecycle models, runs, results, "
                              "indicators, networks, foresight, alloys, traceability.")
    app.state.store = store
    app.state.trace = trace
    app.state.settings = settings
    app.router.route_class = request_json.StrictJSONRoute  # the app's own routes below
    errors.install(app, headers=lambda path: security_headers(path, settings.production))
    for router in ROUTERS:  # JSON bodies that repeat a key are refused (422)
        if loose := request_json.loose_routes(router):
            raise TypeError(f"routes not made by request_json.strict_router: {loose[:5]}")
        app.include_router(router)
    _health(app, db)
    _docs(app)
    _web(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, production=settings.production)  # outermost
    return app


def _keep_graph(trace: TraceRepo) -> None:
    try:
        trace.keep_graph()
    except Exception:  # an optimisation only: re-declarations read the graph themselves
        log.warning("could not read the lot graph at start", exc_info=True)


def _health(app: FastAPI, db: Database) -> None:
    @app.get("/api/health", tags=["meta"])
    async def health() -> Response:
        """Liveness and readiness: ``ok`` only when the database answers and accepts
        writes; otherwise 503 naming the problem."""
        problem = await run_in_threadpool(db.check_writable)
        if problem:
            return errors.problem(503, problem, database=db.dialect)
        return JSONResponse({"status": "ok", "database": db.dialect})


def _docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="junkan API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="junkan API",
                              redoc_js_url="/docs-assets/redoc.standalone.js",
                              redoc_favicon_url="/docs-assets/favicon.png",
                              with_google_fonts=False)

    with resources.as_file(DOCS_ASSETS) as assets:
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")


def _web(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        with resources.as_file(WEB / "index.html") as path:
            return FileResponse(path, media_type="text/html")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        with resources.as_file(resources.files("plotly") / "package_data" /
                               "plotly.min.js") as path:
            return FileResponse(path, media_type="text/javascript")

    with resources.as_file(WEB) as web_dir:
        app.mount("/static", StaticFiles(directory=web_dir), name="static")


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the problem+json schema every error refers to."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes,
                          description=app.description)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = errors.PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for ops in doc.get("paths", {}).values():
            for op in ops.values():
                for code, answer in op.get("responses", {}).items():
                    documented = answer.get("content", {})
                    if code in {str(c) for c in errors.ERROR_RESPONSES} and (
                            not documented or "application/json" in documented and
                            "HTTPValidationError" in str(documented)):
                        answer["content"] = errors.ERROR_RESPONSES[int(code)]["content"]
        app.openapi_schema = doc
    return app.openapi_schema
