"""Models (upload, versions, sharing, compare) and simulation runs (start, poll, results,
tables)."""

from __future__ import annotations

import io
import json
import math
import re
from typing import Annotated, Any

import pandas as pd
import yaml
from fastapi import HTTPException, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, Field, field_validator

from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import (
    NOT_FOUND,
    UPLOAD_BODY,
    JobsDep,
    Overrides,
    iso,
    read_upload,
    within_data_limits,
)
from junkan.api.request_json import strict_router
from junkan.api.work import (
    card_job,
    model_card,
    model_compare,
    offload,
    validate_run,
    validate_upload,
)
from junkan.core.base import Strict
from junkan.core.documents import dump_yaml
from junkan.store.cards import write_card
from junkan.store.tables import ModelRecord, Run

router = strict_router()


class ModelOut(BaseModel):
    id: str
    name: str
    title: str | None
    latest_version: int
    owner: bool
    updated_at: str


RUNS_PER_USER = 4
"""Simulation runs one user may have queued or running at once (429 beyond: without it,
300 runs of one user delayed another organisation's run by 27 s, and heavier models by
minutes). A run takes one of the run workers (JUNKAN_RUN_WORKERS) while it runs."""


class RunIn(Strict):
    scenario: str | None = Field(default=None, max_length=200)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overrides: Overrides = Field(default_factory=dict)
    """Document path → value, applied on top of the scenario."""


class RunOut(BaseModel):
    id: str
    model_id: str
    version: int
    scenario: str
    overrides: dict[str, Any]
    status: str
    progress: float
    error: str | None
    created_at: str
    finished_at: str | None


def model_out(rec: ModelRecord, org_id: str) -> ModelOut:
    return ModelOut(id=rec.id, name=rec.name, title=rec.title,
                    latest_version=rec.latest_version, owner=rec.org_id == org_id,
                    updated_at=iso(rec.updated_at) or "")


def run_out(run: Run) -> RunOut:
    return RunOut(id=run.id, model_id=run.model_id, version=run.version,
                  scenario=run.scenario, overrides=run.overrides or {}, status=run.status,
                  progress=run.progress, error=run.error, created_at=iso(run.created_at) or "",
                  finished_at=iso(run.finished_at))


Version = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


# ---- models --------------------------------------------------------------------------------
@router.get("/api/models", tags=["models"])
def list_models(user: CurrentUser, s: StoreDep,
                q: Annotated[str | None, Query(max_length=200)] = None) -> list[ModelOut]:
    """The models your organisation owns or was shared; ``q``: only those whose name or title
    contains it (any case)."""
    needle = (q or "").strip().casefold()
    return [model_out(m, user.org_id) for m in s.list_models(user.org_id)
            if not needle or needle in m.name.casefold() or needle in (m.title or "").casefold()]


@router.post("/api/models", tags=["models"], status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_model(request: Request, user: CurrentUser, s: StoreDep) -> ModelOut:
    """Upload a model (YAML or JSON); invalid models get 422 with each error's path."""
    text, fmt = await read_upload(request)
    card = await validate_upload(text)
    rec = s.create_model(user, card["name"], card["title"], text, fmt)
    write_card(s.db, rec.id, rec.latest_version, card)
    return model_out(rec, user.org_id)


@router.get("/api/models/{model_id}", tags=["models"])
async def read_model(model_id: str, user: CurrentUser, s: StoreDep,
                     version: Version = None) -> dict[str, Any]:
    rec = s.get_model(user.org_id, model_id)
    mv = s.get_version(user.org_id, model_id, version)
    if rec is None or mv is None:
        raise NOT_FOUND
    card = await model_card(s, mv, rec.name)
    return {**model_out(rec, user.org_id).model_dump(), "version": mv.version,
            "format": mv.format, "content": mv.content, "scenarios": card["scenarios"],
            "headline": card["headline"], "parameters": card["parameters"],
            # cards stored before scenario values were kept have none: the form then shows
            # the baseline's values (the next upload stores them)
            "scenario_parameters": card.get("scenario_parameters", {}),
            "graph": card["graph"]}


Comment = Annotated[str | None, Query(max_length=500)]


@router.put("/api/models/{model_id}", tags=["models"], openapi_extra=UPLOAD_BODY)
async def save_version(model_id: str, request: Request, user: CurrentUser,
                       s: StoreDep, comment: Comment = None) -> ModelOut:
    """Save a new version (the previous ones are kept), with an optional ``comment``."""
    if s.get_model(user.org_id, model_id) is None:
        raise NOT_FOUND
    text, fmt = await read_upload(request)
    card = await validate_upload(text)
    rec = s.add_version(user, model_id, card["name"], card["title"], text, fmt,
                        comment=comment or None)
    if rec is None:
        raise NOT_FOUND  # visible (shared) but not owned
    write_card(s.db, rec.id, rec.latest_version, card)
    return model_out(rec, user.org_id)


@router.get("/api/models/{model_id}/versions", tags=["models"])
def versions(model_id: str, user: CurrentUser, s: StoreDep) -> list[dict[str, Any]]:
    vs = s.list_versions(user.org_id, model_id)
    if vs is None:
        raise NOT_FOUND
    return [{"version": v.version, "created_by": v.created_by,
             "created_at": iso(v.created_at), "format": v.format, "comment": v.comment,
             "bytes": len(v.content)} for v in vs]


@router.delete("/api/models/{model_id}", tags=["models"], status_code=204)
def delete_model(model_id: str, user: CurrentUser, s: StoreDep) -> Response:
    if not s.delete_model(user, model_id):
        raise NOT_FOUND
    return Response(status_code=204)


class ShareIn(Strict):
    organisation: str = Field(max_length=200)
    """The organisation's name."""


@router.post("/api/models/{model_id}/shares", tags=["models"], status_code=201)
def share(model_id: str, body: ShareIn, user: CurrentUser, s: StoreDep) -> dict[str, str]:
    """Share a model (read and run) with another organisation, by its name. An unknown
    organisation reads like an unknown model (404), so names cannot be enumerated."""
    if not s.share_model(user, model_id, body.organisation):
        raise NOT_FOUND
    return {"status": "shared", "organisation": body.organisation}


@router.get("/api/models/{model_id}/compare", tags=["models"])
async def compare(model_id: str, user: CurrentUser, s: StoreDep,
                  version: Version = None) -> dict[str, Any]:
    """Simulate every scenario of the model and compare them side by side."""
    mv = s.get_version(user.org_id, model_id, version)
    if mv is None:
        raise NOT_FOUND
    return await model_compare(mv.content, model_id)


class CompareIn(Strict):
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overrides: Overrides = Field(default_factory=dict)
    """Document path → value, applied on top of every scenario."""


def compare_edited_job(text: str, overrides: dict[str, Any], source: str) -> dict[str, Any]:
    """Every scenario simulated with the same ``overrides`` on top, and compared."""
    from junkan import indicators, lifecycle
    from junkan.core.encoding import jsonable

    mf = lifecycle.load(text=text, source=source)
    results = {name: lifecycle.run(mf, name, overrides=overrides) for name in mf.scenarios}
    comparison = lifecycle.compare(mf, results, indicator_hook=indicators.scenario_indicators)
    return dict(jsonable(comparison.to_json()))


@router.post("/api/models/{model_id}/compare", tags=["models"])
async def compare_edited(model_id: str, body: CompareIn, user: CurrentUser,
                         s: StoreDep) -> dict[str, Any]:
    """Every scenario side by side with the same edits (``overrides``) applied to each."""
    mv = s.get_version(user.org_id, model_id, body.version)
    if mv is None:
        raise NOT_FOUND
    if not body.overrides:
        return await model_compare(mv.content, model_id)
    doc: dict[str, Any] = await offload(compare_edited_job, mv.content, body.overrides,
                                        model_id)
    return doc


# ---- workspace: diff, download, examples, live validation, save edits as a scenario -------
Required = Annotated[int, Query(ge=1, le=2**31 - 1)]
MAX_DIFF_LINES = 5000
"""A diff longer than this is cut (``truncated``); the downloads have the whole versions."""


def diff_job(a: str, b: str, a_name: str, b_name: str) -> dict[str, Any]:
    """A unified diff of two texts (3 lines of context) with the counts of changed lines."""
    import difflib

    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), a_name, b_name,
                                      lineterm=""))
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return {"diff": "\n".join(lines[:MAX_DIFF_LINES]), "added": added, "removed": removed,
            "truncated": len(lines) > MAX_DIFF_LINES}


@router.get("/api/models/{model_id}/diff", tags=["models"])
async def diff(model_id: str, a: Required, b: Required, user: CurrentUser,
               s: StoreDep) -> dict[str, Any]:
    """What changed from version ``a`` to version ``b`` (unified diff of the documents)."""
    va, vb = s.get_version(user.org_id, model_id, a), s.get_version(user.org_id, model_id, b)
    if va is None or vb is None:
        raise NOT_FOUND
    doc: dict[str, Any] = await offload(diff_job, va.content, vb.content, f"v{a}", f"v{b}")
    return {"model_id": model_id, "a": a, "b": b, **doc}


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:100] or "model"


DOCUMENT = {"schema": {"type": "object"}}
"""A model document (YAML or JSON): a mapping."""


@router.get("/api/models/{model_id}/download", tags=["models"], response_class=Response,
            responses={200: {"content": {"application/yaml": DOCUMENT,
                                         "application/json": DOCUMENT}}})
def download(model_id: str, user: CurrentUser, s: StoreDep, version: Version = None) -> Response:
    """A version's document as uploaded (default: the latest), as a file."""
    rec, mv = s.get_model(user.org_id, model_id), s.get_version(user.org_id, model_id, version)
    if rec is None or mv is None:
        raise NOT_FOUND
    ext = "json" if mv.format == "json" else "yaml"
    return Response(mv.content, media_type=f"application/{ext}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{safe_name(rec.name)}-v{mv.version}.{ext}"'})


@router.post("/api/validate", tags=["models"], openapi_extra=UPLOAD_BODY)
async def validate_model(request: Request, user: CurrentUser) -> dict[str, Any]:
    """Check a model without saving it (the editor's live validation): its name, title,
    scenarios and number of parameters, or 422 naming every problem's path."""
    text, _ = await read_upload(request)
    card = await validate_upload(text)
    return {"valid": True, "name": card["name"], "title": card["title"],
            "scenarios": card["scenarios"], "parameters": len(card["parameters"])}


def _finite(v: Any) -> Any:
    """``v`` if no number in it is NaN or infinite (walked without recursion: any depth)."""
    todo = [v]
    while todo:
        x = todo.pop()
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError("values must be finite numbers")
        todo.extend(x.values() if isinstance(x, dict) else x if isinstance(x, list) else ())
    return v


class ScenarioIn(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
    description: str = Field(default="", max_length=500)
    extends: str | None = Field(default=None, max_length=200)
    """The scenario the edits were made on (the baseline: none)."""
    overrides: Annotated[dict[Annotated[str, Field(max_length=300)], Any],
                         AfterValidator(within_data_limits)] = Field(  # review 238
        default_factory=dict, max_length=500)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("overrides")
    @classmethod
    def finite(cls, v: dict[str, Any]) -> dict[str, Any]:
        return dict(_finite(v))


def scenario_text(text: str, fmt: str, doc: dict[str, Any], name: str,
                  spec: dict[str, Any]) -> str:
    """``text`` with scenario ``name`` appended to its ``scenarios``; YAML keeps its comments
    and layout (the scenario is one flow-style line), JSON is written anew."""
    new = {**doc, "scenarios": {**(doc.get("scenarios") or {}), name: spec}}
    if fmt == "json":
        return json.dumps(new, indent=2, ensure_ascii=False) + "\n"
    line = f"{name}: {json.dumps(spec, ensure_ascii=False)}"
    head = re.search(r"^scenarios:[ \t]*(#.*)?$", text, re.M)
    if head is None and "scenarios" not in doc:
        return text.rstrip("\n") + f"\n\nscenarios:\n  {line}\n"
    if head is not None:
        rest = text[head.end():]
        nxt = re.search(r"^(?=[^\s#])", rest, re.M)  # the next top-level key
        block = rest[:nxt.start()] if nxt else rest
        indent = re.search(r"^([ \t]+)[^\s#]", block, re.M)
        at = head.end() + len(block.rstrip())
        out = f"{text[:at]}\n{indent.group(1) if indent else '  '}{line}{text[at:]}"
        try:
            same = yaml.safe_load(out) == new  # checked: else written anew below
        except yaml.YAMLError:
            same = False
        if same:
            return out
    return str(dump_yaml(new))


def add_scenario_job(text: str, fmt: str, body: dict[str, Any],
                     source: str) -> tuple[str, dict[str, Any]]:
    """In a worker: the document with the new scenario, and its card (validated)."""
    from junkan.core.documents import parse_document
    from junkan.core.errors import ModelError, Problem

    doc = parse_document(text, source=source)
    scenarios = doc.get("scenarios") or {}
    base = str(doc.get("baseline_name") or "baseline")
    name, extends = body["name"], body["extends"]
    if name == base or name in scenarios:
        raise ModelError([Problem("scenarios", f"a scenario named {name} already exists")],
                         source)
    if extends not in (None, base) and extends not in scenarios:
        raise ModelError([Problem("scenarios", f"unknown scenario {extends} to extend")],
                         source)
    spec: dict[str, Any] = {"description": body["description"]} if body["description"] else {}
    if extends not in (None, base):
        spec["extends"] = extends
    spec["set"] = body["overrides"]
    new = scenario_text(text, fmt, doc, name, spec)
    return new, card_job(new, source)


@router.post("/api/models/{model_id}/scenarios", tags=["models"], status_code=201)
async def save_scenario(model_id: str, body: ScenarioIn, user: CurrentUser,
                        s: StoreDep) -> ModelOut:
    """Save edits (``overrides`` on top of scenario ``extends``) as a new scenario ``name``:
    a new version of the model. 422 if the name is taken or the result is invalid; 409 if
    another version was saved since the one read (without ``version``: the latest); only the
    owning organisation may (404 otherwise)."""
    rec, mv = s.get_model(user.org_id, model_id), s.get_version(user.org_id, model_id,
                                                                  body.version)
    if rec is None or mv is None or rec.org_id != user.org_id:
        raise NOT_FOUND
    text, card = await offload(add_scenario_job, mv.content, mv.format, body.model_dump(),
                               model_id)
    saved = s.add_version(user, model_id, card["name"], card["title"], text, mv.format,
                          comment=f"scenario {body.name} saved from v{mv.version}",
                          base=mv.version if body.version is None else None)  # the latest
    if saved is None:
        raise NOT_FOUND
    write_card(s.db, saved.id, saved.latest_version, card)
    return model_out(saved, user.org_id)


# ---- runs ----------------------------------------------------------------------------------
@router.post("/api/models/{model_id}/runs", tags=["runs"], status_code=202)
async def start_run(model_id: str, body: RunIn, user: CurrentUser, s: StoreDep,
                    jobs: JobsDep) -> RunOut:
    """Start a simulation in the background; poll ``/api/runs/{id}`` for progress."""
    mv = s.get_version(user.org_id, model_id, body.version)
    if mv is None:
        raise NOT_FOUND
    # 422 before anything is queued
    scenario = await validate_run(mv.content, body.scenario, body.overrides or None, model_id)
    run = s.create_run(user, model_id, mv.version, scenario, body.overrides,
                       max_active=RUNS_PER_USER)
    jobs.submit(run.id)
    return run_out(run)


@router.get("/api/runs", tags=["runs"])
def list_runs(user: CurrentUser, s: StoreDep, model_id: str | None = None) -> list[RunOut]:
    return [run_out(r) for r in s.list_runs(user.org_id, model_id)]


@router.get("/api/runs/{run_id}", tags=["runs"])
def get_run(run_id: str, user: CurrentUser, s: StoreDep) -> RunOut:
    run = s.get_run(user.org_id, run_id)
    if run is None:
        raise NOT_FOUND
    return run_out(run)


@router.get("/api/runs/{run_id}/result", tags=["runs"])
def run_result(run_id: str, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
    res = s.run_result(user.org_id, run_id)
    if res is None:
        run = s.get_run(user.org_id, run_id)
        if run is None:
            raise NOT_FOUND
        raise HTTPException(409, f"run is {run.status}; no result yet")
    return res


@router.get("/api/runs/{run_id}/indicators", tags=["indicators"])
def run_indicators(run_id: str, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
    """Circularity indicators (MCI, CTI, ISO 59020, ESRS E5, RAP) of a finished run, each with
    its unit, status (``text`` | ``summary`` | ``inferred``) and notes (as ``POST
    /api/indicators``)."""
    return dict(run_result(run_id, user, s).get("indicators") or {})


TABLES = "^(processes|flows|materials|products|parts|actors|indicators)$"


TABLE_TYPES: dict[int | str, dict[str, Any]] = {200: {
    "description": "The table in the requested format",
    "content": {"text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string",
                                                              "format": "binary"}},
                "application/json": {"schema": {"type": "array",
                                                "items": {"type": "object"}}}}}}


@router.get("/api/runs/{run_id}/tables/{name}", tags=["runs"], response_class=Response,
            responses=TABLE_TYPES)
def run_table(run_id: str, name: Annotated[str, Path(pattern=TABLES)], user: CurrentUser,
              s: StoreDep,
              format: Annotated[str, Query(pattern="^(csv|parquet|json)$")] = "csv"
              ) -> Response:
    """A result table (processes, flows, materials, products, parts, actors, indicators) as
    CSV, Parquet or JSON records. CSV cells that a spreadsheet would run as a formula are
    prefixed with an apostrophe (OWASP CSV injection)."""
    blob = s.run_table(user.org_id, run_id, name)
    if blob is None:
        raise NOT_FOUND
    if format == "parquet":
        return Response(blob, media_type="application/vnd.apache.parquet", headers={
            "Content-Disposition": f'attachment; filename="{name}.parquet"'})
    df = pd.read_parquet(io.BytesIO(blob))
    if format == "json":
        return Response(df.to_json(orient="records"), media_type="application/json")
    return Response(csv_safe(df).to_csv(index=False), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with ``= + - @ TAB CR`` get a leading apostrophe, so a spreadsheet
    shows them as text instead of evaluating them (OWASP "CSV Injection")."""
    out = df.rename(columns=lambda c: "'" + c if isinstance(c, str) and c.startswith(_FORMULA)
                    else c)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA) else v)
    return out
