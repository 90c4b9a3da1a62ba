"""The junkan service: JSON API under ``/api``, OAuth2 token endpoint at ``/oauth/token``,
the web UI at ``/``; OpenAPI at ``/docs``."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Body, FastAPI, Form, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from junkan.alloys.service import GradeRequest, PlanRequest, PredictRequest, UpdateRequest
from junkan.api.auth import SESSION_COOKIE, CurrentUser, StoreDep, basic_credentials
from junkan.api.jobs import JobRunner
from junkan.indicators.compute import scenario_indicators
from junkan.lifecycle import compare as compare_scenarios
from junkan.lifecycle.api import compile_scenario, editable_parameters, load_model
from junkan.lifecycle.loader import parse_document
from junkan.lifecycle.summary import jsonable
from junkan.core.errors import JunkanError, ModelError
from junkan.store.db import Database, Settings
from junkan.store.repo import Store
from junkan.store.tables import ModelRecord, Organisation, Run
from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.events import Batch

log = logging.getLogger(__name__)

WEB = resources.files("junkan.web") / "static"


class ModelOut(BaseModel):
    id: str
    name: str
    title: str | None
    latest_version: int
    owner: bool
    updated_at: str


class RunIn(BaseModel):
    scenario: str | None = None
    version: int | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
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


class ForesightRunIn(BaseModel):
    levers: dict[str, float] = Field(default_factory=dict)
    """Lever id → share of scenarios with the lever on (0–1); unlisted levers are sampled."""
    n: int = Field(default=2000, ge=10, le=20_000)
    seed: int = 0


class ForesightAnalyseIn(BaseModel):
    n: int = Field(default=5000, ge=100, le=20_000)
    k: Annotated[int, Field(ge=2, le=20)] | Literal["auto"] = 9
    seed: int = 0
    levers: dict[str, float] = Field(default_factory=dict)


class OfferIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    lots: list[str]
    fields: list[str]
    policy: dict[str, Any] = Field(default_factory=dict)


class WebhookIn(BaseModel):
    url: str | None


class AgreementIn(BaseModel):
    grantee: str
    lots: list[str]
    fields: list[str]
    purpose: str
    expires_at: datetime


class Login(BaseModel):
    email: str
    password: str


def _iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).isoformat()


def _model_out(rec: ModelRecord, org_id: str) -> ModelOut:
    return ModelOut(id=rec.id, name=rec.name, title=rec.title,
                    latest_version=rec.latest_version, owner=rec.org_id == org_id,
                    updated_at=_iso(rec.updated_at) or "")


def _run_out(run: Run) -> RunOut:
    return RunOut(id=run.id, model_id=run.model_id, version=run.version,
                  scenario=run.scenario, overrides=run.overrides or {}, status=run.status,
                  progress=run.progress, error=run.error, created_at=_iso(run.created_at) or "",
                  finished_at=_iso(run.finished_at))


def _problems(exc: ModelError) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "message": "the model is invalid",
        "errors": [{"path": p.path, "message": p.message} for p in exc.problems]})


NOT_FOUND = HTTPException(status.HTTP_404_NOT_FOUND, "not found")


async def _read_upload(request: Request) -> tuple[str, str]:
    """Model text and format from a raw body (YAML/JSON) or a multipart ``file`` field."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        up = form.get("file")
        if up is None or isinstance(up, str):
            raise HTTPException(400, "multipart upload needs a 'file' field")
        data = await up.read()
        name = up.filename or ""
    else:
        data, name = await request.body(), ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the model must be UTF-8 text (YAML or JSON)") from None
    if not text.strip():
        raise HTTPException(400, "empty body: send a YAML or JSON model")
    fmt = "json" if "json" in ctype or name.endswith(".json") or \
        text.lstrip().startswith("{") else "yaml"
    return text, fmt


def _validated(text: str, fmt: str, source: str) -> tuple[str, str | None]:
    """Validate every scenario; return the model name and title (raises ModelError)."""
    mf = load_model(text=text, source=source)
    return mf.name, mf.baseline.title


def create_app(settings: Settings | None = None, *, seed: bool = False) -> FastAPI:
    settings = settings or Settings()
    db = Database(settings.database_url)
    store = Store(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.migrate()
        store.fail_interrupted()
        if seed:
            from junkan.api.seed import seed_demo

            seed_demo(store)
        app.state.jobs = JobRunner(store, settings.workers)
        # the lot graph, read in the background so re-declarations need not read it
        threading.Thread(target=keep_graph, daemon=True, name="junkan-graph").start()
        yield
        app.state.jobs.shutdown()

    app = FastAPI(title="junkan", version="0.1.0", lifespan=lifespan,
                  description="Circular-economy platform: lifecycle models, runs, results.")
    app.state.store = store
    app.state.settings = settings

    @app.exception_handler(ModelError)
    async def _model_error(_: Request, exc: ModelError) -> JSONResponse:
        return _problems(exc)

    @app.exception_handler(JunkanError)
    async def _junkan_error(_: Request, exc: JunkanError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"message": str(exc)})

    # ---- authentication --------------------------------------------------------------------
    @app.post("/oauth/token", tags=["auth"])
    def token(request: Request, s: StoreDep,
              grant_type: Annotated[str, Form()],
              client_id: Annotated[str | None, Form()] = None,
              client_secret: Annotated[str | None, Form()] = None) -> JSONResponse:
        """OAuth2 client-credentials grant (RFC 6749 §4.4); credentials by HTTP Basic or form."""
        if grant_type != "client_credentials":
            return JSONResponse(status_code=400, content={"error": "unsupported_grant_type"})
        basic = basic_credentials(request)
        cid, secret = basic if basic else (client_id, client_secret)
        user = s.client_user(cid or "", secret or "") if cid and secret else None
        if user is None:
            return JSONResponse(status_code=401, content={"error": "invalid_client"},
                                headers={"WWW-Authenticate": "Basic"})
        tok = s.issue_token(user.id, "bearer", settings.token_ttl_seconds)
        return JSONResponse({"access_token": tok, "token_type": "bearer",
                             "expires_in": settings.token_ttl_seconds},
                            headers={"Cache-Control": "no-store"})

    @app.post("/api/session", tags=["auth"])
    def login(body: Login, s: StoreDep, response: Response) -> dict[str, Any]:
        user = s.authenticate(body.email, body.password)
        if user is None:
            raise HTTPException(401, "wrong e-mail or password")
        tok = s.issue_token(user.id, "session", settings.session_ttl_seconds)
        response.set_cookie(SESSION_COOKIE, tok, httponly=True, samesite="strict",
                            max_age=settings.session_ttl_seconds, path="/")
        return {"email": user.email, "name": user.display_name}

    @app.delete("/api/session", tags=["auth"])
    def logout(request: Request, s: StoreDep, response: Response) -> dict[str, str]:
        tok = request.cookies.get(SESSION_COOKIE)
        if tok:
            s.revoke_token(tok)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return {"status": "signed out"}

    @app.get("/api/me", tags=["auth"])
    def me(user: CurrentUser, s: StoreDep) -> dict[str, Any]:
        with s.db.session() as ses:
            from junkan.store.tables import Organisation

            org = ses.get(Organisation, user.org_id)
        return {"email": user.email, "name": user.display_name,
                "organisation": org.name if org else None}

    @app.post("/api/clients", tags=["auth"], status_code=201)
    def new_client(user: CurrentUser, s: StoreDep,
                   name: Annotated[str, Body(embed=True)] = "api") -> dict[str, str]:
        """Create OAuth2 client credentials acting as you (the secret is shown once)."""
        cid, secret = s.create_client(user.id, name)
        return {"client_id": cid, "client_secret": secret}

    # ---- models ----------------------------------------------------------------------------
    @app.get("/api/models", tags=["models"])
    def list_models(user: CurrentUser, s: StoreDep) -> list[ModelOut]:
        return [_model_out(m, user.org_id) for m in s.list_models(user.org_id)]

    @app.post("/api/models", tags=["models"], status_code=201,
              openapi_extra={"requestBody": {"content": {
                  "application/yaml": {"schema": {"type": "string"}},
                  "application/json": {"schema": {"type": "object"}},
                  "multipart/form-data": {"schema": {"type": "object", "properties": {
                      "file": {"type": "string", "format": "binary"}}}}}}})
    async def upload_model(request: Request, user: CurrentUser, s: StoreDep) -> ModelOut:
        """Upload a model (YAML or JSON); invalid models get 422 with each error's path."""
        text, fmt = await _read_upload(request)
        name, title = _validated(text, fmt, "upload")
        rec = s.create_model(user, name, title, text, fmt)
        return _model_out(rec, user.org_id)

    @app.get("/api/models/{model_id}", tags=["models"])
    def read_model(model_id: str, user: CurrentUser, s: StoreDep,
                   version: int | None = None) -> dict[str, Any]:
        rec = s.get_model(user.org_id, model_id)
        mv = s.get_version(user.org_id, model_id, version)
        if rec is None or mv is None:
            raise NOT_FOUND
        mf = load_model(text=mv.content, source=rec.name)
        return {**_model_out(rec, user.org_id).model_dump(), "version": mv.version,
                "format": mv.format, "content": mv.content, "scenarios": mf.scenarios,
                "headline": list(mf.baseline.headline), "parameters": editable_parameters(mf.raw),
                "graph": value_network(mf)}

    @app.put("/api/models/{model_id}", tags=["models"])
    async def save_version(model_id: str, request: Request, user: CurrentUser,
                           s: StoreDep) -> ModelOut:
        """Save a new version (the previous ones are kept)."""
        if s.get_model(user.org_id, model_id) is None:
            raise NOT_FOUND
        text, fmt = await _read_upload(request)
        name, title = _validated(text, fmt, "upload")
        rec = s.add_version(user, model_id, name, title, text, fmt)
        if rec is None:
            raise NOT_FOUND  # visible (shared) but not owned
        return _model_out(rec, user.org_id)

    @app.get("/api/models/{model_id}/versions", tags=["models"])
    def versions(model_id: str, user: CurrentUser, s: StoreDep) -> list[dict[str, Any]]:
        vs = s.list_versions(user.org_id, model_id)
        if vs is None:
            raise NOT_FOUND
        return [{"version": v.version, "created_by": v.created_by,
                 "created_at": _iso(v.created_at), "format": v.format} for v in vs]

    @app.delete("/api/models/{model_id}", tags=["models"], status_code=204)
    def delete_model(model_id: str, user: CurrentUser, s: StoreDep) -> Response:
        if not s.delete_model(user, model_id):
            raise NOT_FOUND
        return Response(status_code=204)

    @app.post("/api/models/{model_id}/shares", tags=["models"], status_code=201)
    def share(model_id: str, user: CurrentUser, s: StoreDep,
              organisation: Annotated[str, Body(embed=True)]) -> dict[str, str]:
        """Share a model (read and run) with another organisation, by its name."""
        ok = s.share_model(user, model_id, organisation)
        if ok is None:
            raise NOT_FOUND
        if ok is False:
            raise HTTPException(422, f"no organisation named {organisation!r}")
        return {"status": "shared", "organisation": organisation}

    @app.get("/api/models/{model_id}/compare", tags=["models"])
    def compare(model_id: str, user: CurrentUser, s: StoreDep,
                version: int | None = None) -> dict[str, Any]:
        """Simulate every scenario of the model and compare them side by side."""
        mv = s.get_version(user.org_id, model_id, version)
        if mv is None:
            raise NOT_FOUND
        return dict(jsonable(compare_scenarios(load_model(text=mv.content, source=model_id),
                                               indicator_hook=scenario_indicators)))

    # ---- runs ------------------------------------------------------------------------------
    @app.post("/api/models/{model_id}/runs", tags=["runs"], status_code=202)
    def start_run(model_id: str, body: RunIn, request: Request, user: CurrentUser,
                  s: StoreDep) -> RunOut:
        """Start a simulation in the background; poll ``/api/runs/{id}`` for progress."""
        mv = s.get_version(user.org_id, model_id, body.version)
        if mv is None:
            raise NOT_FOUND
        compiled = compile_scenario(mv.content, body.scenario, body.overrides or None,
                                    source=model_id)  # 422 before anything is queued
        scenario = body.scenario or compiled.model.baseline_name
        run = s.create_run(user, model_id, mv.version, scenario, body.overrides)
        request.app.state.jobs.submit(run.id)
        return _run_out(run)

    @app.get("/api/runs", tags=["runs"])
    def list_runs(user: CurrentUser, s: StoreDep,
                  model_id: str | None = None) -> list[RunOut]:
        return [_run_out(r) for r in s.list_runs(user.org_id, model_id)]

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def get_run(run_id: str, user: CurrentUser, s: StoreDep) -> RunOut:
        run = s.get_run(user.org_id, run_id)
        if run is None:
            raise NOT_FOUND
        return _run_out(run)

    @app.get("/api/runs/{run_id}/result", tags=["runs"])
    def run_result(run_id: str, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
        res = s.run_result(user.org_id, run_id)
        if res is None:
            run = s.get_run(user.org_id, run_id)
            if run is None:
                raise NOT_FOUND
            raise HTTPException(409, f"run is {run.status}; no result yet")
        return res

    @app.get("/api/runs/{run_id}/indicators", tags=["indicators"])
    def run_indicators(run_id: str, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
        """Circularity indicators (MCI, CTI, ISO 59020, ESRS E5, RAP) of a finished run."""
        return dict(run_result(run_id, user, s).get("indicators") or {})

    @app.post("/api/indicators", tags=["indicators"])
    async def flow_indicators(request: Request, user: CurrentUser,
                              framework: Annotated[list[str], Query()] = ["all"],  # noqa: B006
                              ) -> dict[str, Any]:
        """Indicators of a flow model (inflows, outflows, products, energy, water, finance)
        sent as YAML or JSON; invalid input → 422 naming the field."""
        from junkan.indicators import compute, load_flow_model
        from junkan.indicators.report import as_json
        from junkan.indicators.values import IndicatorInputError

        text, _ = await _read_upload(request)
        fm = load_flow_model(text=text, source="flows")
        try:
            return dict(jsonable(as_json(compute(fm, framework))))
        except (IndicatorInputError, KeyError) as exc:
            raise HTTPException(422, str(exc.args[0] if exc.args else exc)) from None

    @app.get("/api/runs/{run_id}/tables/{name}", tags=["runs"])
    def run_table(run_id: str, name: str, user: CurrentUser, s: StoreDep,
                  format: Annotated[str, Query(pattern="^(csv|parquet|json)$")] = "csv"
                  ) -> Response:
        """A result table (processes, flows, materials, products, parts, actors,
        indicators) as CSV, Parquet or JSON records."""
        blob = s.run_table(user.org_id, run_id, name)
        if blob is None:
            raise NOT_FOUND
        if format == "parquet":
            return Response(blob, media_type="application/vnd.apache.parquet", headers={
                "Content-Disposition": f'attachment; filename="{name}.parquet"'})
        df = pd.read_parquet(io.BytesIO(blob))
        if format == "json":
            return Response(df.to_json(orient="records"), media_type="application/json")
        return Response(df.to_csv(index=False), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'})

    @app.post("/api/network/solve", tags=["network"])
    async def network_solve(request: Request, user: CurrentUser,
                            carbon_price: float | None = None) -> dict[str, Any]:
        """Plan hubs and flows for a network scenario (YAML or JSON body); invalid input →
        422 naming the field or the binding constraint."""
        from junkan.lifecycle.loader import validate_with
        from junkan.network.plan import build, solve
        from junkan.network.report import plan_document
        from junkan.network.scenario import NetworkScenario

        text, _ = await _read_upload(request)
        sc = validate_with(NetworkScenario, parse_document(text, source="scenario"), "scenario")
        net = build(sc, "scenario")
        plan = await run_in_threadpool(solve, net, carbon_price=carbon_price)
        doc = plan_document(plan)
        doc["destinations"] = [{"name": d.name, "lat": d.lat, "lon": d.lon} for d in net.dests]
        doc["places"] = {p.name: [p.lon, p.lat] for p in (*net.zones, *net.hubs)}
        return dict(jsonable(doc))

    @app.get("/api/network/prefectures", tags=["network"])
    def network_prefectures() -> dict[str, Any]:
        """Prefecture outlines (lon, lat) for maps, from the japanmap package."""
        from junkan.network.geo import prefecture_polygons, prefectures

        polys = prefecture_polygons()
        return {"prefectures": [{"code": p.prefecture, "name": p.name, "ja": p.ja,
                                 "outline": polys[p.prefecture][::3].round(3).tolist()}
                                for p in prefectures()]}

    @app.get("/api/foresight/models", tags=["foresight"])
    def foresight_models(user: CurrentUser) -> dict[str, Any]:
        """Causal models shipped with junkan, with their levers."""
        from junkan.foresight.live import model_card, shipped, shipped_models

        return {"models": [model_card(shipped(name), name) for name in shipped_models()]}

    def _shipped(name: str) -> Any:
        from junkan.foresight.live import shipped, shipped_models

        if name not in shipped_models():
            raise NOT_FOUND
        return shipped(name)

    @app.post("/api/foresight/models/{name}/run", tags=["foresight"])
    async def foresight_run(name: str, body: ForesightRunIn,
                            user: CurrentUser) -> dict[str, Any]:
        """Re-run the ensemble with levers switched on in the given share of scenarios
        (0–1); fan bands per KPI family. 2,000 scenarios of the Japan model take ~0.1 s."""
        from junkan.foresight.live import lever_run

        c = _shipped(name)
        try:
            return dict(jsonable(await run_in_threadpool(lever_run, c, body.levers, body.n,
                                                         body.seed)))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.post("/api/foresight/models/{name}/analyse", tags=["foresight"])
    async def foresight_analyse(name: str, body: ForesightAnalyseIn,
                                user: CurrentUser) -> dict[str, Any]:
        """Groups, scenario tree with branch years and drivers, input drivers, ratings."""
        from junkan.foresight.live import analysis_document

        c = _shipped(name)
        try:
            return dict(jsonable(await run_in_threadpool(
                analysis_document, c, body.n, body.k, body.seed, body.levers or None)))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.get("/api/alloys/library", tags=["alloys"])
    def alloys_library(user: CurrentUser) -> dict[str, Any]:
        """Vehicles, components with dismantling options, buyers and sorters."""
        from junkan.alloys.data import load_library
        from junkan.alloys.sorter import shipped_sorters

        lib = load_library()
        return dict(jsonable({
            "vehicles": [{"id": v.id, "make": v.make, "model": v.model, "year": v.year,
                          "powertrain": v.powertrain, "al_kg": v.al_kg,
                          "components": sorted(v.aluminium)} for v in lib.vehicles.values()],
            "components": {k: {**c, "removable": k in lib.dismantling}
                           for k, c in lib.components.items()},
            "buyers": {k: {"name": b.name, "max": b.max} for k, b in lib.buyers.items()},
            "sorters": {k: s.name for k, s in shipped_sorters().items()}}))

    async def _alloy_call(fn: Any, req: Any) -> dict[str, Any]:
        from junkan.alloys.plan import PlanError

        try:
            return dict(jsonable(await run_in_threadpool(fn, req)))
        except PlanError as exc:
            raise HTTPException(422, {"message": str(exc), **jsonable(exc.detail)}) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.post("/api/alloys/predict", tags=["alloys"])
    async def alloys_predict(body: PredictRequest, user: CurrentUser) -> dict[str, Any]:
        """Recovered fractions with mass and composition (Monte Carlo), optionally sorted and
        graded."""
        from junkan.alloys.service import predict_document

        return await _alloy_call(predict_document, body)

    @app.post("/api/alloys/plan", tags=["alloys"])
    async def alloys_plan(body: PlanRequest, user: CurrentUser) -> dict[str, Any]:
        """Feed mix and removals with the buyer's window met at the chosen probability; 422
        with the binding limits and the nearest feasible window when none is."""
        from junkan.alloys.service import plan_document

        return await _alloy_call(plan_document, body)

    @app.post("/api/alloys/grade", tags=["alloys"])
    async def alloys_grade(body: GradeRequest, user: CurrentUser) -> dict[str, Any]:
        from junkan.alloys.service import grade_document

        return await _alloy_call(grade_document, body)

    @app.post("/api/alloys/update", tags=["alloys"])
    async def alloys_update(body: UpdateRequest, user: CurrentUser) -> dict[str, Any]:
        """Fold measured lots into the per-part estimates; control charts."""
        from junkan.alloys.service import update_document

        return await _alloy_call(update_document, body)

    # ---- traceability ---------------------------------------------------------------------
    trace = TraceRepo(db)

    def keep_graph() -> None:
        try:
            trace.keep_graph()
        except Exception:  # an optimisation only: re-declarations read the graph themselves
            log.warning("could not read the lot graph at start", exc_info=True)

    def org_name(user: Any) -> str:
        with db.session() as s:
            org = s.get(Organisation, user.org_id)
            assert org is not None
            return str(org.name)

    def trace_call(fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except TraceError as exc:
            if "not found" in str(exc):
                raise NOT_FOUND from None
            raise HTTPException(422, str(exc)) from None

    @app.post("/api/trace/events", tags=["trace"])
    async def trace_events(body: Batch, user: CurrentUser) -> dict[str, Any]:
        """Sign and append a batch of events to your organisation's log (all or nothing)."""
        res = await run_in_threadpool(trace_call, trace.ingest, org_name(user), body.events,
                                      source="request")
        return dict(jsonable(res.__dict__))

    @app.get("/api/trace/lots/{lot}", tags=["trace"])
    def trace_lot(lot: str, user: CurrentUser) -> dict[str, Any]:
        """A lot as your organisation may see it (404 if it may not)."""
        return dict(jsonable(trace_call(trace.show, org_name(user), lot)))

    @app.get("/api/trace/lots/{lot}/genealogy", tags=["trace"])
    def trace_genealogy(lot: str, user: CurrentUser,
                        depth: Annotated[int, Query(ge=1, le=20)] = 6) -> dict[str, Any]:
        """Lots up- and downstream that your organisation may see, with the links."""
        me = org_name(user)
        root = trace_call(trace.show, me, lot)
        nodes = {root["lot"]: root}
        edges: set[tuple[str, str, float]] = set()
        frontier = [root]
        for _ in range(depth):
            nxt = []
            for doc in frontier:
                links = [(i["lot"], (i["lot"], doc["lot"], i["mass_kg"]))
                         for i in doc.get("inputs", [])]
                links += [(o["lot"], (doc["lot"], o["lot"], o["mass_kg"]))
                          for o in doc.get("outputs", [])]
                for other, edge in links:  # upstream and downstream alike
                    edges.add(edge)
                    if other not in nodes:
                        try:
                            nodes[other] = trace.show(me, other)
                            nxt.append(nodes[other])
                        except TraceError:
                            pass
            frontier = nxt
        visible = [e for e in edges if e[0] in nodes and e[1] in nodes]
        return dict(jsonable({"root": lot, "nodes": list(nodes.values()),
                              "edges": [{"from": a, "to": b, "mass_kg": m}
                                        for a, b, m in sorted(visible)]}))

    @app.get("/api/trace/notifications", tags=["trace"])
    def trace_notifications(user: CurrentUser) -> dict[str, Any]:
        return {"notifications": jsonable(trace.notifications(org_name(user)))}

    @app.get("/api/trace/catalogue", tags=["trace"])
    def trace_catalogue(user: CurrentUser) -> dict[str, Any]:
        """Other organisations' offers (metadata and policy only)."""
        return {"datasets": jsonable(trace.catalogue(org_name(user)))}

    @app.post("/api/trace/offers", tags=["trace"])
    def trace_offer(body: OfferIn, user: CurrentUser) -> dict[str, Any]:
        oid = trace_call(trace.offer, org_name(user), body.name, lots=body.lots,
                         fields=body.fields, description=body.description, policy=body.policy)
        return {"id": oid}

    @app.get("/api/trace/agreements", tags=["trace"])
    def trace_agreements(user: CurrentUser) -> dict[str, Any]:
        return {"agreements": jsonable(trace.agreements(org_name(user)))}

    @app.post("/api/trace/agreements", tags=["trace"])
    def trace_grant(body: AgreementIn, user: CurrentUser) -> dict[str, Any]:
        """Grant another organisation fields of your lots for a purpose, until a date."""
        aid = trace_call(trace.grant, org_name(user), body.grantee, lots=body.lots,
                         fields=body.fields, purpose=body.purpose, expires_at=body.expires_at)
        return {"id": aid}

    @app.delete("/api/trace/agreements/{agreement_id}", tags=["trace"])
    def trace_revoke(agreement_id: int, user: CurrentUser) -> dict[str, Any]:
        trace_call(trace.revoke, org_name(user), agreement_id)
        return {"revoked": agreement_id}

    @app.put("/api/trace/webhook", tags=["trace"])
    def trace_webhook(body: WebhookIn, user: CurrentUser) -> dict[str, Any]:
        """Where your organisation's notifications are POSTed (JSON); null removes it."""
        trace_call(trace.set_webhook, org_name(user), body.url)
        return {"url": body.url}

    @app.get("/api/trace/checkpoints/{org}", tags=["trace"])
    def trace_checkpoint(org: str, user: CurrentUser) -> dict[str, Any]:
        """An organisation's latest signed Merkle checkpoint and public key (public metadata
        for partners to keep as witnesses)."""
        return dict(jsonable(trace_call(trace.checkpoint, org)))

    @app.post("/api/trace/witness", tags=["trace"])
    def trace_witness(kept: dict[str, Any], user: CurrentUser) -> dict[str, Any]:
        """Check that an organisation's log still extends a checkpoint you kept (RFC 9162
        consistency proof)."""
        return dict(jsonable(trace_call(trace.check_witness, kept)))

    @app.get("/api/trace/verify", tags=["trace"])
    def trace_verify(user: CurrentUser) -> dict[str, Any]:
        """Verify your organisation's log (hashes, signatures, Merkle root, lots)."""
        return dict(jsonable(trace.verify(org_name(user)).__dict__))

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "database": db.dialect}

    # ---- web UI ----------------------------------------------------------------------------
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
    return app


def value_network(mf: Any) -> dict[str, Any]:
    """Nodes (with x, y positions) and edges of the baseline's value network: materials →
    parts → products (the BOM) on the left, then the loop stages in life-cycle columns."""
    from junkan.lifecycle import compile as cm
    from junkan.lifecycle.sankey import layout_positions

    c = mf.compiled[mf.baseline.baseline_name]
    m = c.model
    depth = {name: 0 for name in m.parts}
    for _ in range(len(m.parts)):  # longest distance from a material, fine for small BOMs
        for name, part in m.parts.items():
            for line in part.bom:
                if line.part:
                    depth[name] = max(depth[name], depth[line.part] + 1)
    max_depth = max(depth.values(), default=0)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for name in m.materials:
        nodes.append({"id": f"material:{name}", "label": name, "kind": "material", "x": 0.001})
    for name, part in m.parts.items():
        nodes.append({"id": f"part:{name}", "label": part.title or name, "kind": "part",
                      "x": 0.08 + 0.14 * depth[name] / max(max_depth, 1)})
    for name, prod in m.products.items():
        nodes.append({"id": f"product:{name}", "label": prod.title or name, "kind": "product",
                      "x": 0.30})
    for kind, items in (("part", m.parts), ("product", m.products)):
        for name, item in items.items():
            for line in item.bom:
                src = f"part:{line.part}" if line.part else f"material:{line.material}"
                edges.append({"source": src, "target": f"{kind}:{name}", "kind": "bom"})
    flows = []
    for a, b in c.edges:
        if cm.MANUFACTURING in (a, b) or cm.VIRGIN in (a, b):
            if a in cm.INVENTORY_NODES:  # recovered items feed new products
                flows += [(f"{a} (re-supplied)", f"product:{p}") for p in m.products]
            continue
        flows.append((f"{a} (re-supplied)" if a in cm.INVENTORY_NODES else a,
                      f"{b} (recovered)" if b in cm.INVENTORY_NODES else b))
    flows += [(f"product:{p}", cm.USE) for p in m.products]
    stage_labels = sorted({n for f in flows for n in f if not n.startswith("product:")})
    xs = layout_positions(stage_labels, c)
    for label in stage_labels:
        x = xs[label]
        nodes.append({"id": f"stage:{label}", "label": label, "kind": "stage",
                      "x": 0.001 if x < 0.01 else 0.38 + 0.62 * x})
    for a, b in flows:
        edges.append({"source": a if a.startswith("product:") else f"stage:{a}",
                      "target": b if b.startswith("product:") else f"stage:{b}",
                      "kind": "flow"})
    columns: dict[float, list[dict[str, Any]]] = {}
    for n in nodes:
        columns.setdefault(n["x"], []).append(n)
    for members in columns.values():
        for rank, n in enumerate(members):
            n["y"] = (rank + 0.5) / len(members)
    return {"nodes": nodes, "edges": edges}
