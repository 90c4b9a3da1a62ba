"""JSON request bodies that give a key twice in one object are refused, as documents are
(:func:`junkan.core.documents.parse_document`): ``{"runs": 10, "runs": 100000}`` is not
taken as 100,000.

FastAPI reads a route's JSON body with ``Request.json()`` (``json.loads``, which keeps the
last of a repeated key), and it does so before it solves the route's dependencies. A
:class:`StrictJSONRoute` hands its handler a :class:`StrictJSONRequest`, whose ``json()``
reads the body once and notes the first repeat; the repeat is refused once the dependencies
are solved, just before the endpoint runs, so a caller who is not signed in still gets 401
(or 403, 404) as before. The answer: 422 ``json-duplicate-key``, naming the key and the path
of its object (``""``: the body itself), also where the body's schema refuses it as well.
A query that gives a parameter twice (``?limit=1&limit=500``, of which FastAPI read the
last) is refused the same way and at the same moment: 422 ``query-duplicate-key``. A
body that is no JSON at all keeps FastAPI's answers (422 ``json_invalid``, 400
``body-unreadable``). An endpoint that calls ``request.json()`` itself is refused at once.

Nobody holds the service up with a large body. A body above :data:`INLINE_BYTES` is read in
a thread of its own small pool (:data:`PARSERS`), so the event loop answers other requests
meanwhile (past bug: a 16 MB body was read on the event loop, ``/api/health`` waited up to
6.7 s). And on a route that needs a signed-in caller (a :func:`~junkan.api.auth.current_user`
dependency), such a body is read only once the caller is known: who is not signed in gets
401 (or 403) before a byte of it is parsed. A smaller body is read first, as FastAPI does."""

from __future__ import annotations

import collections.abc
import functools
import inspect
import json
import types
import typing
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

import anyio
from anyio.lowlevel import RunVar
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope

from junkan.api.auth import current_user, get_store
from junkan.api.errors import field_errors
from junkan.core.document_checks import more_values_than
from junkan.core.documents import loads_with_repeat
from junkan.core.errors import Problem, coded, short
from junkan.core.limits import limits

CODE = "json-duplicate-key"
QUERY_CODE = "query-duplicate-key"
_UNREAD = object()
_CHECKED = "__junkan_repeat_checked__"
_CURRENT: ContextVar[StrictJSONRequest | None] = ContextVar("junkan_json_request",
                                                            default=None)
"""The request whose endpoint is about to run (sync endpoints run in a thread with a copy
of the context, so they see it too)."""


INLINE_BYTES = 16 * 1024
"""Bodies up to this many bytes are read on the event loop; larger ones in a thread, and on a
route that needs a signed-in caller only after the caller is authenticated. Handing a body to
a thread costs about 0.04 ms; reading 16 KiB of JSON 0.02-0.7 ms (a list of strings the
least, of objects that each give a key twice the most); 16 MB of JSON 1-7 s (measured on 2
shared, busy cores, 2026-12-03)."""
PARSERS = 2
"""Threads that read large bodies at once (the service's 2 cores; an assumption to revisit
on larger hosts): further large bodies wait their turn, and never take the threads that sync
endpoints and ``/api/health`` use."""
_PARSER_THREADS: RunVar[anyio.CapacityLimiter] = RunVar("junkan_json_parsers")


def _parsers() -> anyio.CapacityLimiter:
    """The event loop's pool of :data:`PARSERS` threads for large bodies."""
    try:
        return _PARSER_THREADS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(PARSERS)
        _PARSER_THREADS.set(limiter)
        return limiter


def _read_large(body: bytes) -> tuple[Any, Problem | None]:
    """:func:`loads_with_repeat`, and 413 when the body holds more values than
    ``JUNKAN_LIMIT_BODY_VALUES``: the service validates a body on its event loop (about
    1.7 µs a value), so such a body would hold every other request for seconds."""
    data, repeat = loads_with_repeat(body)
    most = limits().body_values
    if more_values_than(data, most):
        raise HTTPException(413, {
            "message": f"the request body holds more than {most:,} values "
                       "(JUNKAN_LIMIT_BODY_VALUES)", "code": "body-too-many-values"})
    return data, repeat


async def read_json(body: bytes) -> tuple[Any, Problem | None]:
    """:func:`~junkan.core.documents.loads_with_repeat` of ``body`` without holding up the
    event loop: a body above :data:`INLINE_BYTES` is read in a thread, and its values
    counted there (:func:`_read_large`; a smaller one cannot hold too many). JSON in UTF-16
    or UTF-32, which ``json.loads`` reads, is refused as not UTF-8 (RFC 8259 §8.1: JSON
    exchanged between systems is UTF-8): FastAPI answers 400, said as ``body-unreadable``."""
    if body and not json.detect_encoding(body).startswith("utf-8"):
        raise ValueError("the request body is not UTF-8")
    if len(body) <= INLINE_BYTES:
        return loads_with_repeat(body)
    return await anyio.to_thread.run_sync(_read_large, body, limiter=_parsers())


def refusal(problem: Problem) -> HTTPException:
    """422 ``json-duplicate-key`` for ``problem`` (a repeat :func:`loads_with_repeat` found),
    its field error at the path of the object that repeats the key."""
    key = (problem.limits or {}).get("key", "")
    where = f"at {problem.path}" if problem.path else "at the top level"
    return HTTPException(422, {
        "message": f"the request body gives the key {key} twice in one object ({where}); JSON "
                   "readers keep only the last, so the body is refused: give each key once",
        "code": CODE, "errors": field_errors([problem])})


def query_refusal(scope: Scope, lists: frozenset[str] = frozenset()) -> HTTPException | None:
    """422 ``query-duplicate-key`` when the query of ``scope`` gives a parameter twice (a
    second value was read silently in place of the first; review 223), else ``None``.
    ``lists``: the parameters the route takes as a list (``?framework=a&framework=b``)."""
    seen: set[str] = set()
    for key, _ in Request(scope).query_params.multi_items():
        if key in seen and key not in lists:
            problem = coded(key, QUERY_CODE, "the query gives the parameter {key} twice",
                            key=short(key, 60))
            return HTTPException(422, {
                "message": f"{problem.message}; give each parameter once", "code": QUERY_CODE,
                "errors": field_errors([problem])})
        seen.add(key)
    return None


class StrictJSONRequest(Request):
    """A request whose :meth:`json` refuses a key given twice in one object; while the
    route's dependencies are solved a repeat is only noted, for :meth:`endpoint_reached`."""

    def __init__(self, scope: Scope, receive: Receive,
                 lists: frozenset[str] = frozenset()) -> None:
        super().__init__(scope, receive)
        self.repeat: Problem | None = None
        self._read: Any = _UNREAD
        self._deferred = True
        self.query_repeat = query_refusal(scope, lists)

    async def json(self) -> Any:
        if self._read is _UNREAD:  # read once: FastAPI's body and the endpoint's call share it
            self._read, self.repeat = await read_json(await self.body())
        if self.repeat is not None and not self._deferred:
            raise refusal(self.repeat)
        return self._read

    def endpoint_reached(self) -> None:
        """The dependencies are solved: refuse a repeated query parameter or a body's key
        noted so far, and any from now on."""
        self._deferred = False
        if self.query_repeat is not None:
            raise self.query_repeat
        if self.repeat is not None:
            raise refusal(self.repeat)


def _reached() -> None:
    if (request := _CURRENT.get()) is not None:
        request.endpoint_reached()


def checked(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, first refusing a repeat its request noted. The wrapper keeps the
    endpoint's signature, name and documentation (FastAPI reads them through
    ``__wrapped__``), and is a coroutine function exactly when ``endpoint`` is one."""
    if getattr(endpoint, _CHECKED, False):
        return endpoint
    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            _reached()
            return await endpoint(*args, **kwargs)

        wrapper: Callable[..., Any] = run_async
    else:
        @functools.wraps(endpoint)
        def run(*args: Any, **kwargs: Any) -> Any:
            _reached()
            return endpoint(*args, **kwargs)

        wrapper = run
    setattr(wrapper, _CHECKED, True)
    return wrapper


class StrictJSONRoute(APIRoute):
    """An API route that reads its JSON body with :class:`StrictJSONRequest` and whose
    endpoint refuses a repeat noted while the dependencies were solved."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, checked(endpoint), **kwargs)
        self.signed_in_first = self.body_field is not None and _needs(self.dependant,
                                                                       current_user)
        """Whether a large body is read only once the caller is authenticated."""
        self.list_queries = _list_queries(self.dependant)
        """The query parameters this route takes as a list: they may be given again."""

    async def _authenticate_first(self, request: Request) -> None:
        """Authenticate the caller of a route that needs one before a body larger than
        :data:`INLINE_BYTES` (or of no announced length) is read: who is not signed in gets
        the route's 401 or 403 without the body being parsed. The route's dependency checks
        again, as it always does (a lookup of the token, against seconds of parsing)."""
        if not self.signed_in_first:
            return
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) <= INLINE_BYTES:
            return
        overrides = getattr(self.dependency_overrides_provider, "dependency_overrides", {})
        if current_user in overrides or get_store in overrides:  # a test's own caller
            return
        await run_in_threadpool(current_user, request, get_store(request))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            own = StrictJSONRequest(request.scope, request.receive, self.list_queries)
            token = _CURRENT.set(own)
            try:
                await self._authenticate_first(own)
                return await handler(own)
            except RequestValidationError:  # the schema refused the body or the query as
                if own.query_repeat is not None:  # well: the repeat is said first (the last
                    raise own.query_repeat from None  # value was checked)
                if own.repeat is None:
                    raise
                raise refusal(own.repeat) from None
            finally:
                _CURRENT.reset(token)

        return strict


def _needs(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether ``dependant`` depends on ``call``, directly or through other dependencies."""
    return any(d.call is call or _needs(d, call) for d in dependant.dependencies)


def _list_queries(dependant: Dependant) -> frozenset[str]:
    """The names of the query parameters ``dependant`` (or a dependency of it) takes as a
    list, set or tuple."""
    names = {f.alias for f in dependant.query_params if _is_list(f.field_info.annotation)}
    for dependency in dependant.dependencies:
        names |= _list_queries(dependency)
    return frozenset(names)


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, set, frozenset, tuple, collections.abc.Sequence):
        return True
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_list(a) for a in typing.get_args(annotation))
    return False


def strict_router(**kwargs: Any) -> APIRouter:
    """An :class:`~fastapi.APIRouter` (``kwargs`` as it takes them) whose API routes are
    :class:`StrictJSONRoute`\\ s: every router of the service is made by it."""
    return APIRouter(route_class=StrictJSONRoute, **kwargs)


def loose_routes(router: APIRouter) -> list[str]:
    """The API routes of ``router`` (those of the routers it includes among them) that are
    not :class:`StrictJSONRoute`\\ s, as ``METHOD path``: a router not made by
    :func:`strict_router` (the app refuses to start with one)."""
    return [f"{','.join(sorted(r.methods or ()))} {r.path}" for r in router.routes
            if isinstance(r, APIRoute) and not isinstance(r, StrictJSONRoute)]
