"""What every router of the service shares: dependencies on the app's state, the upload
reader, timestamps, and the one not-found answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from junkan.api.errors import field_errors
from junkan.core.document_checks import more_values_than
from junkan.core.documents import data_problem
from junkan.core.errors import Problem, coded, short
from junkan.core.limits import limits
from junkan.store.db import Database, Settings
from junkan.store.tables import Organisation, User
from junkan.store.trace_repo import TraceRepo

NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, {"message": "not found", "code": "not-found"})

ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
"""A query parameter's day, YYYY-MM-DD (pydantic's lax date would take ``0`` as 1970-01-01)."""

JSON_OR_HTML: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}},
        }
    }
}
"""The documented answers of a route whose ``format`` is ``json`` or ``html``."""


def within_data_limits(value: Any) -> Any:
    """``value`` (free-form data inside a request) if it keeps the document limits on
    nesting, numbers and string lengths; else ValueError naming the limit. Without it, data
    nested hundreds of levels deep passed the schema and failed later (on its way to a
    worker process) with a 500."""
    if (problem := data_problem(value, limits())) is not None:
        # the words alone (a ValueError's would start "Value error, "), under the rule's code
        # and figures (a page says them in its language), with the value's path inside the
        # data as ``at``, which the answer adds to the field's path (review 264: the path
        # was the field's alone, the value's inside the message)
        raise PydanticCustomError(problem.kind or "data-limit", "{reason}",
                                  {**(problem.limits or {}), "reason": problem.message,
                                   "at": problem.path})
    return value


MAX_OVERRIDE_VALUES = 50_000
"""Most values the overrides of one request may hold (an assumption: 500 paths, each a
number or a short list; a whole BOM set by a scenario takes a few hundred)."""


def few_override_values(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if it holds at most :data:`MAX_OVERRIDE_VALUES` values, counted with an early
    stop before the walk over every value (:func:`within_data_limits`, about 1 µs a value
    on the event loop: review 244, 5 million values held it for 5 s)."""
    if more_values_than(value, MAX_OVERRIDE_VALUES):
        raise PydanticCustomError(
            "too-many-values", "the overrides hold more than {most} values; an override "
            "sets a field or a short list, not data", {"most": f"{MAX_OVERRIDE_VALUES:,}"})
    return value


Overrides = Annotated[dict[str, Any], Field(max_length=500), AfterValidator(few_override_values),
                      AfterValidator(within_data_limits)]
"""Document path → value, at most 500 holding at most 50,000 values, within the document
limits."""


def refused(problems: Sequence[Problem], message: str | None = None) -> HTTPException:
    """The 422 (``invalid-request``) naming each refused field with its rule; its message is
    ``message``, else the first problem's at its path."""
    first = problems[0]
    return HTTPException(422, {"message": message or f"{first.path or 'body'}: {first.message}",
                               "code": "invalid-request", "errors": field_errors(problems)})


def iso_day(name: str, text: str | None) -> date | None:
    """An ISO day from a query parameter (``ISO_DAY`` has checked its shape); 422 naming the
    parameter for an impossible one (2026-13-01)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problem = coded(name, "day-impossible", "{value} is no calendar day (YYYY-MM-DD)",
                        value=short(text))
        raise refused([problem]) from None
"""Missing and not-yours read the same, so nobody learns that another organisation's record
exists."""


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).isoformat()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_trace(request: Request) -> TraceRepo:
    trace: TraceRepo = request.app.state.trace
    return trace


def get_jobs(request: Request) -> Any:
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
TraceDep = Annotated[TraceRepo, Depends(get_trace)]
JobsDep = Annotated[Any, Depends(get_jobs)]


def org_name(db: Database, user: User) -> str:
    """The name of ``user``'s organisation."""
    with db.session() as s:
        org = s.get(Organisation, user.org_id)
        assert org is not None
        return str(org.name)


async def read_form(request: Request) -> FormData:
    """The request's form (multipart or URL-encoded). A body the parser cannot read — no
    boundary, broken framing, too many fields or a part too large — is refused with 400 and
    the code ``multipart-unreadable`` (Starlette's own refusal has no code)."""
    try:
        return await request.form()
    except StarletteHTTPException as exc:
        if exc.status_code != 400:
            raise
        raise HTTPException(400, {"message": "the upload could not be read as form data: "
                                  f"{exc.detail}", "code": "multipart-unreadable"}) from None


async def upload_file(request: Request) -> tuple[bytes, str, str] | None:
    """The bytes, file name and content type of a multipart upload's ``file`` field;
    ``None`` if the body is not multipart. Refused with 400 (``no-file-field``) when the
    form has no file field, and (``file-field-repeated``) when it has several."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return None
    files = (await read_form(request)).getlist("file")
    if len(files) > 1:  # review 254: the last one was taken, silently
        raise HTTPException(400, {"message": f"multipart upload has {len(files)} 'file' "
                                  "fields; send one document per request",
                                  "code": "file-field-repeated"})
    up = files[0] if files else None
    if up is None or isinstance(up, str):
        raise HTTPException(400, {"message": "multipart upload needs a 'file' field (none "
                                  "was read: the form has none, or its body ended before "
                                  "the field was complete)", "code": "no-file-field"})
    return await up.read(), up.filename or "", (up.content_type or "").lower()


async def read_upload(request: Request) -> tuple[str, str]:
    """Document text and format from a raw body (YAML/JSON) or a multipart ``file`` field."""
    ctype = request.headers.get("content-type", "")
    upload = await upload_file(request)
    data, name = (upload[0], upload[1]) if upload is not None else (await request.body(), "")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, {"message": "the document must be UTF-8 text (YAML or JSON)",
                                  "code": "not-utf8"}) from None
    if not text.strip():
        raise HTTPException(400, {"message": "empty body: send a YAML or JSON document",
                                  "code": "empty-body"})
    fmt = "json" if "json" in ctype or name.endswith(".json") or \
        text.lstrip().startswith("{") else "yaml"
    return text, fmt


UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}}
"""OpenAPI request body of the routes that take a YAML or JSON document."""
