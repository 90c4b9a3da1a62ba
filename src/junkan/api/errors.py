"""One error shape for the whole service: RFC 9457 problem details
(``application/problem+json``) with ``type``, ``title``, ``status`` and ``detail``, plus
``errors`` (each with ``path`` and ``message``) when input was refused field by field.

So the web page can speak its user's language, an answer whose message is one of the
service's own carries a ``code`` (``invalid-request``, ``not-found``, ``sign-in``,
``http-<status>``, …; the list is in docs/service.md), and a field refused by a schema rule
carries the rule's pydantic error ``type`` and the limits it broke (``ctx``: ``gt``, ``le``,
``max_length``, …; :func:`junkan.core.errors.rule_of`). A domain rule with a code (the
lifecycle model's: ``unknown-actor``, ``shares-below-one``, …) carries it the same way, with
the names and figures its message quotes — also when a refusal that is not a model's (a
metering file, a record that exists already) carries its coded problems (``problems``), or a
route lists them (:func:`field_errors`); other domain messages stay as written (English). A
422 a route writes as text ("seller: must be your organisation") still has
``code: invalid-request`` and one ``errors`` entry, at the field its message names first.

Nothing echoes the submitted values back: a refused password, a 351 MB alias expansion or a
NaN never reaches a response body, and internal exception text stays in the server log."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from junkan.core.budget import PoolClosed
from junkan.core.encoding import jsonable
from junkan.core.errors import MAX_PATH, MAX_TEXT, JunkanError, ModelError, Problem, rule_of
from junkan.core.extras import install_hint, missing_extra
from junkan.trace import KeyStoreError

log = logging.getLogger("junkan.api")

PROBLEM = "application/problem+json"
_UNREADABLE = "There was an error parsing the body"
"""FastAPI's detail when the JSON parser raised something other than a decode error (bytes
that are not UTF-8, Python's recursion limit on deep nesting, its limit on the digits of an
integer: the handler cannot tell which; review 219)."""
MAX_ERRORS = 50
"""At most this many field errors are listed in one answer."""


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """A problem+json response."""
    title = _phrase(status) or "Error"
    # extension members never replace the standard ones (RFC 9457 §3.2) and are made JSON
    # (numpy numbers, tuples, NaN → null) before encoding: an error answer must not fail
    members = {k: v for k, v in jsonable(extra).items()
               if k not in ("type", "title", "status", "detail", "instance")}
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            **members}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def _document_name(source: str | None) -> str | None:
    """The name a refused document was read as (``survey_csv``, ``diagnosis``, a file's name),
    without any folder: a route reading a file of the service must not say where it is."""
    if not source:
        return None
    name = re.split(r"[\\/]", source)[-1]
    return _short(name, MAX_PATH) if name else None


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or ".".join(str(p) for p in loc)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _field_error(path: str, message: str, kind: str = "",
                 limits: dict[str, Any] | None = None) -> dict[str, Any]:
    """One refused field of an answer: where, the message, and the schema rule it broke
    (``type``, with its limits as ``ctx``) when the message says no more than that rule.
    The path is cut at :data:`~junkan.core.errors.MAX_PATH` characters, as a model
    problem's is: a refused key is part of it, and it may be a megabyte long."""
    return {"path": _short(path, MAX_PATH), "message": _short(message),
            **({"type": kind} if kind else {}), **({"ctx": limits} if limits else {})}


def _request_error(e: dict[str, Any]) -> dict[str, Any]:
    """One error of a refused request: a body that is not JSON says why and where (FastAPI
    gave "JSON decode error" at the path "[1]", the character's offset; review 219); a
    validator's message loses pydantic's "Value error, " prefix."""
    loc, msg = e.get("loc", ()), str(e.get("msg", ""))
    if e.get("type") == "json_invalid":
        why = str((e.get("ctx") or {}).get("error") or "not JSON")
        at = loc[-1] if loc and isinstance(loc[-1], int) else None
        where = f" at character {at}" if at is not None else ""
        return _field_error("", f"the body is not JSON: {why}{where}", "json_invalid")
    kind, ctx = rule_of(e)
    path, inner = _loc(loc), str((ctx or {}).pop("at", ""))
    if inner:  # the refused value's path inside the field's data (within_data_limits)
        path += inner if inner.startswith("[") else f".{inner}"
    if ctx is not None:
        ctx.pop("reason", None)  # the message itself
    return _field_error(path, msg.removeprefix("Value error, "), kind, ctx or None)


_PATH_FIRST = re.compile(r"([A-Za-z_$][\w$-]*(?:\[\d+\])*(?:\.[\w$-]+(?:\[\d+\])*)*): (.+)",
                         re.DOTALL)
"""A route's message that names its field first, as they are written: ``seller: must be
your organisation``, ``observations[0].observation.count: …``."""


def _said_error(message: str) -> dict[str, Any]:
    """The one field error of a route's 422 written as text (review 269: such answers had
    no ``errors`` and no ``code``, so a client found the field only inside English text):
    the field the message names first, else none."""
    named = _PATH_FIRST.fullmatch(message)
    return _field_error(named[1], named[2]) if named else _field_error("", message)


def field_errors(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """The ``errors`` of an answer listing ``problems`` (at most :data:`MAX_ERRORS`), each
    with its rule's code and figures when it has them (a route's structured refusal)."""
    return [_field_error(p.path, p.message, p.kind, p.limits)
            for _, p in zip(range(MAX_ERRORS), problems, strict=False)]


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def install(app: FastAPI, *, headers: Callable[[str], dict[str, str]] | None = None) -> None:
    """Route every error through :func:`problem`. ``headers`` gives the security headers of
    an answer for a path: Starlette sends the 500 of an unexpected error from outside every
    middleware (the one that adds them to all other answers included), so its handler adds
    them itself."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        extra: dict[str, Any] = {}
        if isinstance(detail, dict):  # structured refusals: the message plus extension members
            extra = {k: v for k, v in detail.items() if k != "message"}
            detail = str(detail.get("message", ""))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # RFC 9110 §15.5.6: list every method of the resource
            headers["Allow"] = ", ".join(allowed_methods(app, request.url.path))
        if detail == _UNREADABLE:  # FastAPI's words when json.loads itself gave up
            detail, extra["code"] = (
                "the request body could not be read as JSON: it is not UTF-8 text, or it is "
                "nested too deeply or holds a number too long to read (the limits: "
                "JUNKAN_LIMIT_NESTING_DEPTH levels, integers up to "
                "JUNKAN_LIMIT_INTEGER_MAGNITUDE)", "body-unreadable")
        if str(detail) == _phrase(exc.status_code) and "code" not in extra:
            extra["code"] = f"http-{exc.status_code}"
        if exc.status_code == 422 and "code" not in extra:  # a route's refusal in words
            extra["code"] = "invalid-request"
            extra.setdefault("errors", [_said_error(str(detail))])
        # a route's message may quote what was sent (a key, a column): never in full
        return problem(exc.status_code, _short(str(detail), MAX_TEXT), headers=headers or None,
                       **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_request_error(e) for e in exc.errors()[:MAX_ERRORS]]
        return problem(422, "the request is invalid", errors=errors, code="invalid-request")

    @app.exception_handler(ModelError)
    async def _model(_: Request, exc: ModelError) -> JSONResponse:
        return _model_answer(exc)

    @app.exception_handler(JunkanError)
    async def _junkan(_: Request, exc: JunkanError) -> JSONResponse:
        """Refusals of the domain: 400 unless the error names its status (budgets: 413,
        422, 503; quotas: 413)."""
        status = int(getattr(exc, "http_status", None) or getattr(exc, "status_code", None)
                     or 400)
        headers = getattr(exc, "http_headers", None) or getattr(exc, "headers", None)
        return problem(status, _short(str(exc)), headers=headers, **_coded(exc))

    @app.exception_handler(KeyStoreError)
    async def _keys(request: Request, exc: KeyStoreError) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.error("signing-key problem %s on %s %s: %s", ref, request.method,
                  request.url.path, exc)
        return problem(503, f"the ledger's signing keys are unavailable (reference {ref}); "
                            "the operator must check the master key",
                       code="keys-unavailable", ref=ref)

    @app.exception_handler(PoolClosed)
    async def _closed(_: Request, exc: PoolClosed) -> JSONResponse:
        return problem(503, "the service is shutting down; try again shortly",
                       headers={"Retry-After": "5"}, code="shutting-down")

    @app.exception_handler(ModuleNotFoundError)
    async def _extra(request: Request, exc: ModuleNotFoundError) -> JSONResponse:
        if (missing := missing_extra(exc)) is None:
            return await _internal(request, exc)
        return problem(501, f"this {install_hint(*missing)}", code="extra-missing",
                       extra=missing[0])

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return _internal_answer(request, exc, headers(request.url.path) if headers else None)


def _coded(exc: BaseException) -> dict[str, Any]:
    """The coded members of a domain refusal other than a document's: its ``code`` with the
    ``limit`` and ``setting`` it names, and its coded ``problems`` as ``errors`` (the page
    says each in its language)."""
    extra: dict[str, Any] = {k: v for k in ("code", "limit", "setting")
                             if (v := getattr(exc, "problem_" + k, None)) is not None}
    listed = [p for p in getattr(exc, "problems", None) or () if isinstance(p, Problem)]
    if listed:
        extra["errors"] = field_errors(listed)
    return extra


def coded_refusal(exc: BaseException) -> dict[str, Any] | None:
    """What a refusal would answer beside its text, for work that fails after its request
    was answered (a background analysis stores it with its message): a refused
    document's ``errors`` and ``document``, or a refusal's ``code``, ``limit``, ``setting``
    and ``errors``; ``None`` for one said in text only."""
    if isinstance(exc, ModelError):
        out = _refused_document(exc) if exc.problems else {}
    else:
        out = _coded(exc)
    return jsonable(out) if out else None


def _refused_document(exc: ModelError) -> dict[str, Any]:
    """A refused document's ``errors`` (each problem by its path) and, where it has a name,
    the ``document`` as it was read."""
    named: dict[str, Any] = {"document": n} if (n := _document_name(exc.source)) else {}
    return {"errors": field_errors(exc.problems), **named}


def _model_answer(exc: ModelError) -> JSONResponse:
    """The 422 of a refused document: every document a route reads refuses this way (a model,
    a survey table, a passport, a spec...), each problem by its path, and the document named
    as it was read (``document``: a body field such as ``survey_csv``, a name) where a route
    reads several; its code stays ``invalid-model`` for clients."""
    return problem(422, "the document is invalid", message="the document is invalid",
                   code="invalid-model", **_refused_document(exc))


def _internal_answer(request: Request, exc: Exception,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    """The 500 of an unexpected error: the error goes to the server log under a reference,
    the answer names only the reference."""
    ref = uuid.uuid4().hex[:12]
    log.error("internal error %s on %s %s", ref, request.method, request.url.path,
              exc_info=exc)
    return problem(500, f"internal error (reference {ref}); the details are in the server "
                        "log", code="internal", ref=ref, headers=headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document declares for the resource at ``path``."""
    table = getattr(app.state, "method_table", None)
    if table is None:
        table = []
        for template, ops in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^}]+?:path\\\}", ".+", re.escape(template))
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
            table.append((re.compile(pattern + "$"), sorted(m.upper() for m in ops)))
        app.state.method_table = table
    return sorted({m for rx, methods in table if rx.match(path) for m in methods})


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": HTTPStatus(code).phrase, "content": {PROBLEM: {"schema": {
        "$ref": "#/components/schemas/Problem"}}}}
    for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)}
"""Documented on every route: the statuses the service may answer with, all problem+json."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "code": {"type": "string", "description": "set when the message is one of the "
                 "service's own, for translation (e.g. invalid-request, not-found, sign-in, "
                 "http-<status>; the list: docs/service.md)"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string"}, "message": {"type": "string"},
            "type": {"type": "string", "description": "pydantic's error type"},
            "ctx": {"type": "object", "description": "the limits the value broke"}}}}},
    "additionalProperties": True}

