"""Grading documents and product passports over HTTP, as ``junkan grade`` and ``junkan
passport export|import`` read and write them: grade an uploaded grading document, download
one item's passport (AAS, Battery Pass or Battery Pass as AAS; the file the CLI writes), and
read a passport file back into its grading record. Nothing is stored. The rules live in
:mod:`junkan.grading`; every refusal is problem+json, a grading problem naming its field
(and its rule's code, so the page says it in the user's language). The work runs in a
budgeted worker process; uploads keep the body limit and the document limits."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Query, Request, Response

from junkan import grading
from junkan.api.auth import CurrentUser
from junkan.api.common import ISO_DAY, UPLOAD_BODY, iso_day, read_upload
from junkan.api.request_json import strict_router
from junkan.api.work import offload

router = strict_router(tags=["passports"])

Format = Literal["aas", "batterypass", "batterypass-aas"]
ImportFormat = Literal["auto", "aas", "batterypass", "batterypass-aas"]
AsOf = Annotated[
    str | None,
    Query(
        pattern=ISO_DAY,
        description="Date certificates must be valid on (YYYY-MM-DD; default today).",
    ),
]
ItemId = Annotated[str, Query(min_length=1, max_length=200)]
Submodel = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=2000,
        description="With several junkan grading submodels in an AAS file, the one to read "
        "(its id); format aas only.",
    ),
]
UNMAPPED_SHOWN = 200
"""How many ignored paths an import answer lists by default (all are counted)."""
UnmappedShown = Annotated[
    int,
    Query(
        ge=0,
        le=1_000_000,
        description="How many ignored attribute paths to list (the answer counts them all).",
    ),
]


# ---- worker side ---------------------------------------------------------------------------
def grade_job(text: str, as_of: date | None) -> dict[str, Any]:
    """The grades of a grading document (each failure with its code), and per item the
    passport file names (ids giving the same name refused, as the CLI refuses them)."""
    result = grading.run(grading.load(text=text), as_of=as_of)
    files = result.passport_files()
    items = [
        {"id": it.id, "kind": it.kind, "material": it.material.name, "files": names}
        for it, names in zip(result.items, files, strict=True)
    ]
    return {**result.to_json(codes=True), "items": items}


def export_job(text: str, fmt: str, item: str, as_of: date | None) -> tuple[str, str]:
    """One item's passport file: its name and its text, as the CLI writes it."""
    [(name, doc)] = grading.write_passports(grading.load(text=text), fmt, as_of=as_of, item=item)
    return name, json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def import_job(text: str, fmt: str, submodel: str | None, shown: int) -> dict[str, Any]:
    """The grading record of a passport file, its format and what it ignored (the first
    ``shown`` paths, and how many there are)."""
    read = grading.read_passport(text, fmt, submodel_id=submodel, source="upload")
    return {
        "format": read.format,
        "unmapped": read.unmapped[:shown],
        "unmapped_total": len(read.unmapped),
        "record": read.item.model_dump(mode="json", exclude_none=True),
    }


# ---- routes ----------------------------------------------------------------------------------
@router.post("/api/passports/grade", openapi_extra=UPLOAD_BODY)
async def passports_grade(
    request: Request, user: CurrentUser, as_of: AsOf = None
) -> dict[str, Any]:
    """Grade a grading document (YAML or JSON, as ``junkan grade`` reads it): each item
    against each criteria set (met, or the failed rules), the classes of ranked families,
    and each item's passport file names. An invalid document answers 422 naming each
    field."""
    text, _ = await read_upload(request)
    out: dict[str, Any] = await offload(grade_job, text, iso_day("as_of", as_of))
    return out


@router.post(
    "/api/passports/export",
    openapi_extra=UPLOAD_BODY,
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "the passport file (an attachment)",
        }
    },
)
async def passports_export(
    request: Request, user: CurrentUser, item: ItemId, format: Format = "aas", as_of: AsOf = None
) -> Response:
    """The passport of the document's item ``item``, graded, as ``junkan passport export``
    writes it (``<item>.aas.json``, ``.batterypass.json`` or ``.batterypass.aas.json``).
    An unknown item, or a record the format cannot hold, answers 422 naming the field."""
    text, _ = await read_upload(request)
    name, body = await offload(export_job, text, format, item, iso_day("as_of", as_of))
    return Response(
        body, media_type="application/json", headers={"Content-Disposition": attachment(name)}
    )


@router.post("/api/passports/import", openapi_extra=UPLOAD_BODY)
async def passports_import(
    request: Request,
    user: CurrentUser,
    format: ImportFormat = "auto",
    submodel: Submodel = None,
    unmapped_shown: UnmappedShown = UNMAPPED_SHOWN,
) -> dict[str, Any]:
    """Read a passport file (JSON: an AAS environment, a Battery Pass document or one as AAS;
    ``auto`` tells them apart as ``junkan passport import`` does): its grading record, the
    format read and what the record was not read from (ignored): ``unmapped``, the first
    ``unmapped_shown`` paths, and ``unmapped_total``. A document that is not a readable
    passport, or ``submodel`` for a format other than ``aas``, answers 422 naming each
    field."""
    text, _ = await read_upload(request)
    out: dict[str, Any] = await offload(import_job, text, format, submodel, unmapped_shown)
    return out


def attachment(name: str) -> str:
    """A Content-Disposition naming the file ``name`` (ASCII, and UTF-8 for other letters)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
