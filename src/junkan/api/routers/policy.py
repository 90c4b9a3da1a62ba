"""Policy and disclosure over HTTP: the municipal CE diagnosis, recycled-content periodic
reports from the caller's own ledger accounts, procurement checks against lots the caller may
see, the solar-panel registry as the caller's organisation sees it, reuse histories as their
buyer reads them, and disclosure packs (ESRS E5 as inline XBRL).

Documents come as YAML or JSON (raw body or a multipart ``file``), or as JSON with the
document and its attachments. Everything heavier than a lookup runs in a budgeted worker
(:func:`junkan.api.work.offload`). The service never reads a file a document names: a survey
is ``sample`` or uploaded, a flow model is inline. The organisation a view is computed for
is always the caller's, never one named in the request."""

from __future__ import annotations

import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import Path as FastPath
from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from junkan.api.auth import CurrentUser
from junkan.api.common import (
    JSON_OR_HTML,
    NOT_FOUND,
    UPLOAD_BODY,
    TraceDep,
    org_name,
    read_upload,
)
from junkan.api.request_json import strict_router
from junkan.api.routers.policy_common import answer, mapping, render, require_kind, solar_job
from junkan.api.routers.policy_registry import router as registry_router
from junkan.api.routers.trace import trace_call
from junkan.api.work import offload
from junkan.core.errors import ModelError, Problem, coded

router = strict_router(tags=["policy"])

MAX_DOC_CHARS = 2_000_000
MAX_SURVEY_CHARS = 5_000_000
Lang = Annotated[Literal["ja", "en"], Query()]
HtmlFormat = Annotated[Literal["json", "html"], Query()]
Period = Annotated[str, Query(pattern=r"^(FY\d{4}|\d{4}|\d{4}Q[1-4])$", max_length=6)]


class DiagnoseIn(BaseModel):
    """A diagnosis document (YAML or JSON text) and, optionally, the survey table it reads
    (CSV text in the MOE layout; the document's ``survey`` is then ignored) and an industry
    table (CSV text: persons employed per municipality, ``junkan.policy.industry``; the
    document's ``industry`` is then ignored)."""

    model_config = {"extra": "forbid"}
    document: str = Field(min_length=1, max_length=MAX_DOC_CHARS)
    survey_csv: str | None = Field(default=None, max_length=MAX_SURVEY_CHARS)
    industry_csv: str | None = Field(default=None, max_length=MAX_SURVEY_CHARS)


class ReuseIn(BaseModel):
    """A reuse history (YAML or JSON text) and the public keys the buyer trusts."""

    model_config = {"extra": "forbid"}
    history: str = Field(min_length=1, max_length=MAX_DOC_CHARS)
    trusted: (
        dict[Annotated[str, Field(max_length=200)], Annotated[str, Field(max_length=200)]] | None
    ) = Field(default=None, max_length=1000)
    registered_keys: bool = False
    """Also trust the keys the service holds for the authors (organisations registered
    here; their trace keys, which ``/api/policy/reuse/sign`` signs with). A key given in
    ``trusted`` wins."""


# ---- worker side ---------------------------------------------------------------------------
def diagnose_job(
    text: str, survey_csv: str | None, industry_csv: str | None, fmt: str, lang: str
) -> dict[str, Any]:
    from junkan import policy

    doc = mapping(text, "diagnosis")
    require_kind(doc, "diagnosis", "diagnosis")
    if doc.get("measures") is not None:
        raise ModelError(
            [Problem("measures", "the service uses the shipped catalogue")], "diagnosis"
        )
    with tempfile.TemporaryDirectory() as tmp:
        if survey_csv is not None:
            (FsPath(tmp) / "survey.csv").write_text(survey_csv, encoding="utf-8")
            doc["survey"] = "survey.csv"
        elif doc.get("survey", "sample") != "sample":
            raise ModelError(
                [Problem("survey", "in the service: 'sample', or send the table as survey_csv")],
                "diagnosis",
            )
        if industry_csv is not None:
            (FsPath(tmp) / "industry.csv").write_text(industry_csv, encoding="utf-8")
            doc["industry"] = "industry.csv"
        elif doc.get("industry") is not None:
            raise ModelError(
                [Problem("industry", "in the service: send the table as industry_csv")],
                "diagnosis",
            )
        names = {"survey": "survey_csv", "industry": "industry_csv"}  # not the temporary path
        res = policy.run(policy.load_diagnosis(doc, "diagnosis", FsPath(tmp), names))
    return render(res, fmt, lang)


def report_job(
    text: str,
    statement: dict[str, Any],
    made: list[dict[str, Any]],
    period: str,
    me: str,
    fmt: str,
    lang: str,
) -> dict[str, Any]:
    from junkan import policy

    require_kind(mapping(text, "plan"), "recycled_content_plan", "plan")
    plan = policy.load(text=text)
    if not isinstance(plan, policy.Plan):
        raise ModelError([coded("kind", "route-takes-kind", "this route takes kind: {kind}",
                                kind="recycled_content_plan")], "plan")
    if plan.maker != me:
        raise ModelError([Problem("maker", f"must be your organisation ({me!r})")], "plan")
    rep = policy.run(plan, statement=statement, period=period, lots=made)
    if fmt == "csv":
        return {"csv": rep.to_csv()}
    return render(rep, fmt, lang)


def procurement_job(
    text: str, lots: list[dict[str, Any]] | None, fmt: str, lang: str,
    upstream: tuple[dict[str, dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    from junkan import policy

    return render(policy.run(_check(text), lots=lots, upstream=upstream), fmt, lang)


def _check(text: str) -> Any:
    from junkan import policy

    require_kind(mapping(text, "check"), "procurement_check", "check")
    chk = policy.load(text=text)
    if not isinstance(chk, policy.Check):
        raise ModelError([coded("kind", "route-takes-kind", "this route takes kind: {kind}",
                                kind="procurement_check")], "check")
    policy.procurement_item(chk, source="check")  # an unknown item: 422 before any lot is read
    return chk


def authors_job(text: str) -> list[str]:
    """The organisations that wrote the records of a reuse history."""
    from junkan import policy

    doc = mapping(text, "history")
    require_kind(doc, "reuse_history", "history")
    h = policy.load(text=text)
    assert isinstance(h, policy.History)
    return sorted({r.by for r in h.records})


def reuse_job(text: str, trusted: dict[str, str] | None, fmt: str, lang: str) -> dict[str, Any]:
    from junkan import policy

    doc = mapping(text, "history")
    require_kind(doc, "reuse_history", "history")
    h = policy.load(text=text)
    assert isinstance(h, policy.History)
    return render(policy.run(h, trusted=trusted), fmt, lang)


def disclosure_job(text: str, fmt: str, lang: str) -> dict[str, Any]:
    from junkan import policy

    doc = mapping(text, "pack")
    require_kind(doc, "disclosure_pack", "pack")
    if not isinstance(doc.get("flows"), dict):
        raise ModelError(
            [Problem("flows", "in the service the flow model is inline (a mapping)")], "pack"
        )
    model = policy.load(text=text)
    assert isinstance(model, policy.Pack)
    pack = policy.run(model)
    xhtml = pack.ixbrl()
    problems = policy.check_ixbrl(xhtml, pack.facts)
    if problems:
        raise RuntimeError("inline XBRL failed its structure check: " + "; ".join(problems))
    if fmt == "xhtml":
        return {"xhtml": xhtml}
    return render(pack, fmt, lang)


# ---- service side --------------------------------------------------------------------------
async def _me(request: Request, user: Any) -> str:
    name: str = await run_in_threadpool(org_name, request.app.state.store.db, user)
    return name


@router.post("/api/policy/diagnose", response_model=None, responses=JSON_OR_HTML)
async def policy_diagnose(
    body: DiagnoseIn,
    user: CurrentUser,
    lang: Lang = "ja",
    format: HtmlFormat = "json",
) -> Any:
    """Diagnose a municipality (a ``kind: diagnosis`` document) against the shipped sample
    survey or the one sent as ``survey_csv``; ``format=html`` gives the council report."""
    out = await offload(
        diagnose_job, body.document, body.survey_csv, body.industry_csv, format, lang
    )
    return answer(out, format)


@router.get(
    "/api/policy/survey/sample",
    response_model=None,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def policy_survey_sample(user: CurrentUser) -> PlainTextResponse:
    """The shipped survey sample (synthetic: fictitious municipalities), CSV."""
    from junkan.policy import sample_path

    text = await run_in_threadpool(sample_path().read_text, "utf-8")
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.post("/api/policy/reports", response_model=None, openapi_extra=UPLOAD_BODY)
async def policy_report(
    request: Request,
    user: CurrentUser,
    trace: TraceDep,
    period: Period,
    lang: Lang = "ja",
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
) -> Any:
    """A recycled-content periodic report of a plan (``kind: recycled_content_plan``) from
    your organisation's own mass-balance accounts and the lots it made under the physical
    chain-of-custody models; the plan's ``maker`` must be you."""
    text, _ = await read_upload(request)
    me = await _me(request, user)
    st = await run_in_threadpool(trace_call, trace.statement, me)
    made = await run_in_threadpool(trace_call, trace.made, me)
    out = await offload(report_job, text, st.to_json(), made, period, me, format, lang)
    return answer(out, format)


@router.post("/api/policy/procurement", response_model=None, openapi_extra=UPLOAD_BODY)
async def policy_procurement(
    request: Request,
    user: CurrentUser,
    trace: TraceDep,
    lang: Lang = "ja",
    format: HtmlFormat = "json",
) -> Any:
    """Check a product (``kind: procurement_check``) against its item's green-procurement
    criteria; its ``lots`` are read as your organisation may see them (a lot you may not
    see is 404, as in trace)."""
    from junkan import policy

    text, _ = await read_upload(request)
    chk = await offload(_check, text)
    me = await _me(request, user)
    lots, upstream = None, None
    if chk.product.lots:
        lots = [
            await run_in_threadpool(trace_call, trace.show, me, lot) for lot in chk.product.lots
        ]
        upstream = await run_in_threadpool(
            policy.procurement_upstream, lots, lambda ref: trace.shown(me, ref))
    return answer(await offload(procurement_job, text, lots, format, lang, upstream), format)


@router.post(
    "/api/policy/solar/view", response_model=None, openapi_extra=UPLOAD_BODY, responses=JSON_OR_HTML
)
async def policy_solar_view(
    request: Request,
    user: CurrentUser,
    lang: Lang = "ja",
    format: HtmlFormat = "json",
) -> Any:
    """A solar-panel registry (``kind: solar_registry``) as your organisation sees it, by
    its roles: installations, status counts, end-of-life volumes, your models."""
    text, _ = await read_upload(request)
    me = await _me(request, user)
    return answer(await offload(solar_job, text, me, None, None, format, lang), format)


@router.post("/api/policy/solar/installations/{installation}", openapi_extra=UPLOAD_BODY)
async def policy_solar_installation(
    installation: Annotated[str, FastPath(max_length=80)], request: Request, user: CurrentUser
) -> dict[str, Any]:
    """One installation of the registry sent, as your organisation sees it (404 if it has
    no role for it, exactly as for one that does not exist)."""
    from junkan.policy import NotVisible

    text, _ = await read_upload(request)
    me = await _me(request, user)
    try:
        out: dict[str, Any] = await offload(solar_job, text, me, installation, None, "json", "en")
    except NotVisible:
        raise NOT_FOUND from None
    return out


@router.post("/api/policy/solar/supply", openapi_extra=UPLOAD_BODY)
async def policy_solar_supply(
    request: Request, user: CurrentUser, year: Annotated[int, Query(ge=2000, le=2100)]
) -> dict[str, Any]:
    """The panels reaching end of business in ``year`` by prefecture: the network
    planner's ``supply`` section for the ``solar_panels`` category."""
    text, _ = await read_upload(request)
    me = await _me(request, user)
    out: dict[str, Any] = await offload(solar_job, text, me, None, year, "json", "en")
    return out


@router.post("/api/policy/reuse/verify", response_model=None, responses=JSON_OR_HTML)
async def policy_reuse(
    body: ReuseIn,
    request: Request,
    user: CurrentUser,
    lang: Lang = "ja",
    format: HtmlFormat = "json",
) -> Any:
    """A reused product's history (``kind: reuse_history``) as its buyer reads it: records,
    tests, grade, and every signature and link checked against the ``trusted`` keys (and,
    with ``registered_keys``, the keys of the authors registered here). An author with no
    known key leaves ``valid`` false (``intact`` may be true; ``unverified_authors`` names
    them): anyone can sign as an organisation with a key pair of their own."""
    trusted = body.trusted
    if body.registered_keys:
        from junkan.store.policy_repo import SolarRepo

        authors = await offload(authors_job, body.history)
        repo = SolarRepo(request.app.state.store.db)
        trusted = {**await run_in_threadpool(repo.public_keys, authors), **(trusted or {})}
    return answer(await offload(reuse_job, body.history, trusted, format, lang), format)


@router.post("/api/policy/disclosure", response_model=None, openapi_extra=UPLOAD_BODY)
async def policy_disclosure(
    request: Request,
    user: CurrentUser,
    lang: Lang = "en",
    format: Annotated[Literal["json", "html", "xhtml"], Query()] = "json",
) -> Any:
    """A disclosure pack (``kind: disclosure_pack``, flow model inline): ESRS E5 tables,
    CTI and ISO 59020 with method notes; ``format=xhtml``: ESRS E5 as inline XBRL (its
    structure checked by parsing it back)."""
    text, _ = await read_upload(request)
    return answer(await offload(disclosure_job, text, format, lang), format)


# the registry kept by the service and the reuse records it signs (a module of their own)
router.include_router(registry_router)
