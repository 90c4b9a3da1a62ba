"""The solar-panel registry kept by the service, and reuse histories signed by it.

Makers register panel models, owners installations, end-of-business dates and handovers,
certified recyclers treatment reports; everyone reads the installations its organisation has
a role for, with the fields of its roles (an installation it has no role for is the same
404 as a missing one). Municipality and certified-recycler roles are granted by an operator
(``junkan policy solar-role``), never declared by the caller. Reuse-history records are
signed with the caller's organisation's Ed25519 key (its trace key), so a buyer checks them
against the key ``/api/policy/reuse/keys/{org}`` publishes. The rules live in
:mod:`junkan.policy`; the rows in :mod:`junkan.store.policy_repo`."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from junkan import policy
from junkan.api.auth import CurrentUser
from junkan.api.common import ISO_DAY, JSON_OR_HTML, NOT_FOUND, TraceDep, iso_day
from junkan.api.errors import MAX_ERRORS, _short
from junkan.api.request_json import strict_router
from junkan.api.routers.policy_common import answer, mapping, require_kind, solar_job
from junkan.api.work import offload
from junkan.core.errors import ModelError, Problem, coded
from junkan.store.policy_repo import MAX_VIEW, SolarNotFound, SolarRepo

router = strict_router(tags=["policy"])
BASE = "/api/policy/solar/registry"
MAX_HISTORY_CHARS = 2_000_000
RecordId = Annotated[str, FastPath(pattern=r"^[0-9a-f]{32}$")]
OrgName = Annotated[str, FastPath(min_length=1, max_length=200)]


def _repo(request: Request) -> SolarRepo:
    return SolarRepo(request.app.state.store.db)


KINDS = {
    "model": "panel model",
    "installation": "installation",
    "handover": "handover",
    "treatment": "treatment report",
    "end_of_business": "end-of-business date",
}
"""The document each registry write takes, by the source its problems name."""


def _refused(exc: ModelError) -> HTTPException:
    """A 422 naming the document sent (not "the model"), with its problems."""
    kind = KINDS.get(exc.source or "", exc.source or "request")
    errors = [{"path": p.path, "message": _short(p.message), **({"type": p.kind} if p.kind
               else {}), **({"ctx": p.limits} if p.kind and p.limits else {})}
              for p in exc.problems[:MAX_ERRORS]]
    return HTTPException(422, {"message": f"the {kind} is invalid", "errors": errors})


async def _call(fn: Any, *args: Any) -> Any:
    """A repository call in a thread; missing and not-the-caller's are the one 404, a
    refused entry a 422 naming its kind."""
    try:
        return await run_in_threadpool(fn, *args)
    except SolarNotFound as exc:
        if str(exc) == "not found":
            raise NOT_FOUND from None
        raise
    except ModelError as exc:
        raise _refused(exc) from None


def view_job(doc: dict[str, Any], me: str, fmt: str, lang: str) -> dict[str, Any]:
    """(worker) The view of the slice the store read: the same computation as a registry
    sent as a document."""
    return solar_job(json.dumps(doc), me, None, None, fmt, lang)


@router.get(BASE, response_model=None, responses=JSON_OR_HTML)
async def solar_registry_view(
    request: Request,
    user: CurrentUser,
    as_of: Annotated[str | None, Query(pattern=ISO_DAY)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_VIEW)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    lang: Annotated[Literal["ja", "en"], Query()] = "ja",
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> Any:
    """The stored registry as your organisation sees it, by its roles: installations
    (ordered by municipality and name; ``limit``/``offset`` page), status counts,
    end-of-life volumes and your models among them, as of ``as_of`` (default today)."""
    reg, me = await run_in_threadpool(
        lambda: _repo(request).visible(
            user.org_id, as_of=iso_day("as_of", as_of), limit=limit, offset=offset
        )
    )
    out = await offload(view_job, reg.model_dump(mode="json"), me, format, lang)
    return answer(out, format)


def supply_job(doc: dict[str, Any], me: str, year: int) -> dict[str, Any]:
    """(worker) The network planner's supply section over the installations whose panel
    count the caller sees (owner, municipality, maker)."""
    reg = policy.load(text=json.dumps(doc))
    assert isinstance(reg, policy.Registry)
    seen = {d["id"] for d in policy.installation_view(reg, me) if "count" in d}
    return policy.network_supply(reg, year, ids=seen)


@router.get(f"{BASE}/supply")
async def solar_registry_supply(
    request: Request,
    user: CurrentUser,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> dict[str, Any]:
    """The panels reaching end of business in ``year`` by prefecture, over the
    installations whose count your organisation sees: the network planner's ``supply``
    section for the ``solar_panels`` category."""
    reg, me = await run_in_threadpool(lambda: _repo(request).visible(user.org_id, limit=MAX_VIEW))
    out: dict[str, Any] = await offload(supply_job, reg.model_dump(mode="json"), me, year)
    out["truncated"] = len(reg.installations) >= MAX_VIEW  # only the first MAX_VIEW read
    return out


@router.get(f"{BASE}/roles")
async def solar_registry_roles(request: Request, user: CurrentUser) -> dict[str, str]:
    """The registry roles an operator granted your organisation (municipality code,
    certified-recycler certificate)."""
    roles: dict[str, str] = await run_in_threadpool(_repo(request).roles_of, user.org_id)
    return roles


@router.post(f"{BASE}/models", status_code=201)
async def solar_registry_model(
    body: policy.SolarModelIn, request: Request, user: CurrentUser
) -> dict[str, str]:
    """Register a panel model of your organisation (the maker): mass, glass share and the
    hazardous substances with their contents."""
    rid = await _call(_repo(request).register_model, user.org_id, body.model_dump(mode="json"))
    return {"record": rid}


@router.get(f"{BASE}/models")
async def solar_registry_models(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    """Your organisation's panel models."""
    out: list[dict[str, Any]] = await run_in_threadpool(_repo(request).models, user.org_id)
    return out


@router.post(f"{BASE}/installations", status_code=201)
async def solar_registry_installation_create(
    body: policy.SolarInstallationIn, request: Request, user: CurrentUser
) -> dict[str, str]:
    """Register an installation your organisation owns; its panel model by maker and model
    number."""
    rid = await _call(
        _repo(request).register_installation, user.org_id, body.model_dump(mode="json")
    )
    return {"record": rid}


@router.get(f"{BASE}/installations/{{installation}}")
async def solar_registry_installation(
    installation: RecordId,
    request: Request,
    user: CurrentUser,
    as_of: Annotated[str | None, Query(pattern=ISO_DAY)] = None,
) -> dict[str, Any]:
    """One installation as your organisation sees it (404 if it has no role for it,
    exactly as for one that does not exist)."""
    doc: dict[str, Any] = await _call(
        lambda: _repo(request).installation(
            user.org_id, installation, as_of=iso_day("as_of", as_of)
        )
    )
    return doc


@router.put(f"{BASE}/installations/{{installation}}/end-of-business", status_code=204)
async def solar_registry_end_of_business(
    installation: RecordId,
    body: policy.SolarEndOfBusinessIn,
    request: Request,
    user: CurrentUser,
) -> None:
    """The owner sets the end-of-business date (``null``: commissioning + the default
    service years)."""
    await _call(
        _repo(request).set_end_of_business, user.org_id, installation, body.model_dump(mode="json")
    )


@router.post(f"{BASE}/installations/{{installation}}/handovers", status_code=201)
async def solar_registry_handover(
    installation: RecordId, body: policy.SolarHandoverIn, request: Request, user: CurrentUser
) -> dict[str, bool]:
    """The owner hands panels to a dismantler or recycler (an organisation by name)."""
    await _call(_repo(request).handover, user.org_id, installation, body.model_dump(mode="json"))
    return {"ok": True}


@router.post(f"{BASE}/installations/{{installation}}/treatments", status_code=201)
async def solar_registry_treatment(
    installation: RecordId, body: policy.SolarTreatmentIn, request: Request, user: CurrentUser
) -> dict[str, bool]:
    """A certified recycler reports treatment of panels handed to it (403 without the
    certificate an operator registers; 404 for panels not handed to it)."""
    await _call(
        _repo(request).report_treatment, user.org_id, installation, body.model_dump(mode="json")
    )
    return {"ok": True}


# ---- reuse histories signed by the service -------------------------------------------------
class ReuseSignIn(BaseModel):
    """A reuse history (YAML or JSON text; may be empty of records) and the record to
    append; the record's ``by`` must be your organisation."""

    model_config = {"extra": "forbid"}
    history: str = Field(min_length=1, max_length=MAX_HISTORY_CHARS)
    record: dict[str, Any]


def sign_job(text: str, record: dict[str, Any], me: str) -> dict[str, Any]:
    """(worker) The history and the record validated: the history's document, and the
    history of its last record only, which is all signing the new record needs."""
    require_kind(mapping(text, "history"), "reuse_history", "history")
    h = policy.load(text=text)
    assert isinstance(h, policy.History)
    rec = policy.parse_entry(policy.Record, record, "record")
    if rec.by != me:
        raise ModelError([Problem("by", f"must be your organisation ({me!r})")], "record")
    if rec.signature is not None or rec.public_key is not None or rec.prev is not None:
        raise ModelError(
            [
                Problem(
                    "signature",
                    "the service chains and signs the record: leave out "
                    "prev, public_key and signature",
                )
            ],
            "record",
        )
    if h.records and rec.at < h.records[-1].at:
        raise ModelError([coded("at", "record-before-last", "{at} is earlier than the "
                                "history's last record ({last})", at=rec.at.isoformat(),
                                last=h.records[-1].at.isoformat())], "record")
    last = h.model_copy(update={"records": h.records[-1:]})
    return {
        "history": h.model_dump(mode="json", exclude_none=True),
        "last": last.model_dump(mode="json", exclude_none=True),
        "record": rec.model_dump(mode="json", exclude_none=True),
    }


def _sign(checked: dict[str, Any], private: str) -> dict[str, Any]:
    """The new record chained to the last one and signed (in the service: the private key
    never leaves it)."""
    last = policy.History.model_validate(checked["last"])
    rec = policy.Record.model_validate(checked["record"])
    signed = policy.sign_record(last, rec, private).records[-1]
    history = checked["history"]
    history["records"] = [*history["records"], signed.model_dump(mode="json", exclude_none=True)]
    return dict(history)


@router.post("/api/policy/reuse/sign")
async def policy_reuse_sign(
    body: ReuseSignIn, request: Request, user: CurrentUser, trace: TraceDep
) -> dict[str, Any]:
    """Append a record to a product's reuse history, chained to the last record and signed
    with your organisation's key (the one its trace events are signed with); ``by`` must be
    your organisation."""
    from junkan.api.common import org_name

    repo = _repo(request)
    me = await run_in_threadpool(org_name, repo.db, user)
    checked = await offload(sign_job, body.history, body.record, me)
    private, public = await run_in_threadpool(repo.reuse_signing_key, trace, user.org_id)
    history = await run_in_threadpool(_sign, checked, private)
    return {"history": history, "public_key": public}


@router.get("/api/policy/reuse/keys/{org}")
async def policy_reuse_key(org: OrgName, request: Request, user: CurrentUser) -> dict[str, str]:
    """An organisation's public signing key, to check the records it signed (404 when it
    has none)."""
    key: str = await run_in_threadpool(_repo(request).public_key, org)
    return {"org": org, "public_key": key}
