"""Your own account: change your password, list and revoke your API clients and tokens; and
the shares of your organisation's models (list, withdraw).

Everything here acts on the caller's own records or their organisation's models; another
organisation's record reads exactly like a missing one (404)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from junkan.api.auth import CurrentUser, StoreDep, presented_token
from junkan.api.common import NOT_FOUND
from junkan.api.passwords import MAX_LENGTH, PasswordRejected, check_password
from junkan.api.request_json import strict_router
from junkan.api.throttle import AccountsDep
from junkan.core.base import Strict
from junkan.store.tables import ApiClient, User

router = strict_router(tags=["account"])

Id = Annotated[str, Path(min_length=1, max_length=64)]


class PasswordChange(Strict):
    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(max_length=MAX_LENGTH)


class ClientOut(BaseModel):
    client_id: str
    name: str
    user_id: str
    email: str
    created_at: datetime
    last_used_at: datetime | None


class TokenOut(BaseModel):
    id: str
    kind: str
    """``session`` (browser) or ``bearer`` (from an API client)."""
    client_id: str | None
    created_at: datetime
    expires_at: datetime
    current: bool
    """The token this request was made with."""


class ShareOut(BaseModel):
    model_id: str
    model: str
    organisation: str
    created_at: datetime


def utc(dt: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def client_out(client: ApiClient, user: User) -> ClientOut:
    return ClientOut(client_id=client.id, name=client.name, user_id=user.id, email=user.email,
                     created_at=utc(client.created_at),
                     last_used_at=utc(client.last_used_at) if client.last_used_at else None)


def password_problem(exc: PasswordRejected) -> HTTPException:
    return HTTPException(422, {"message": str(exc), "rule": exc.rule})


@router.put("/api/account/password", status_code=204, responses={
    403: {"description": "The current password is wrong"},
    422: {"description": "The new password breaks a rule (named in `rule`)"},
    429: {"description": "Too many wrong current passwords (see Retry-After)"}})
async def change_password(body: PasswordChange, request: Request, user: CurrentUser,
                          s: StoreDep, accounts: AccountsDep) -> Response:
    """Change your password; needs the current one (wrong guesses count towards the sign-in
    throttle). Your other sessions and tokens are revoked; this one stays."""
    try:
        check_password(body.new_password, user.email)
    except PasswordRejected as exc:
        raise password_problem(exc) from None
    ok = await accounts.sign_in(request, "account", user.email,
                                lambda: s.check_password(user.id, body.current_password)
                                or None)
    if not ok:
        raise HTTPException(403, "the current password is wrong")
    await accounts.hashing(lambda: s.set_password(user.id, body.new_password,
                                                  actor_id=user.id,
                                                  keep_token=presented_token(request)))
    return Response(status_code=204)


@router.get("/api/clients")
def list_clients(user: CurrentUser, s: StoreDep) -> list[ClientOut]:
    """Your API clients (never their secrets)."""
    return [client_out(c, u) for c, u in s.list_clients(user_id=user.id)]


@router.delete("/api/clients/{client_id}", status_code=204)
def revoke_client(client_id: Id, user: CurrentUser, s: StoreDep) -> Response:
    """Revoke one of your API clients and every token issued to it."""
    if not s.revoke_client(client_id, user_id=user.id, actor_id=user.id):
        raise NOT_FOUND
    return Response(status_code=204)


@router.get("/api/tokens")
def list_tokens(request: Request, user: CurrentUser, s: StoreDep) -> list[TokenOut]:
    """Your unexpired sessions and bearer tokens (handles only, never the tokens)."""
    mine = presented_token(request)
    current = s.token_id(mine) if mine else None
    return [TokenOut(id=t.id, kind=t.kind, client_id=t.client_id, created_at=utc(t.created_at),
                     expires_at=utc(t.expires_at), current=t.id == current)
            for t in s.list_tokens(user.id)]


@router.delete("/api/tokens", status_code=200)
def revoke_my_tokens(request: Request, user: CurrentUser, s: StoreDep) -> dict[str, int]:
    """Sign out everywhere else: revoke all your sessions and tokens but this one."""
    n = s.revoke_user_tokens(user.id, actor_id=user.id, keep_token=presented_token(request))
    return {"revoked": n or 0}


@router.delete("/api/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Id, user: CurrentUser, s: StoreDep) -> Response:
    """Revoke one of your sessions or tokens by its handle."""
    if not s.revoke_token_id(user.id, token_id):
        raise NOT_FOUND
    return Response(status_code=204)


@router.get("/api/models/{model_id}/shares", tags=["models"])
async def list_shares(model_id: Id, user: CurrentUser, s: StoreDep) -> list[ShareOut]:
    """The organisations your organisation's model is shared with (404 unless you own it)."""
    rows = await run_in_threadpool(_owned_shares, s, user, model_id)
    if rows is None:
        raise NOT_FOUND
    return rows


def _owned_shares(s: StoreDep, user: User, model_id: str) -> list[ShareOut] | None:
    rec = s.get_model(user.org_id, model_id)
    if rec is None or rec.org_id != user.org_id:
        return None
    return [ShareOut(model_id=r["model_id"], model=r["model"], organisation=r["organisation"],
                     created_at=r["created_at"])
            for r in s.list_shares(owner_org_id=user.org_id, model_id=model_id)]


@router.delete("/api/models/{model_id}/shares/{organisation:path}", tags=["models"],
               status_code=204)
def withdraw_share(model_id: Id, organisation: Annotated[str, Path(max_length=200)],
                   user: CurrentUser, s: StoreDep) -> Response:
    """Stop sharing your organisation's model with an organisation: it no longer sees or
    runs the model (the runs it made stay its own). Any member of the owning organisation may
    withdraw a share, as any member may share. 404 — the same answer — when the model is not
    yours, does not exist, or is not shared with an organisation of that name."""
    if not s.withdraw_share(model_id, organisation, owner_org_id=user.org_id,
                            actor_id=user.id):
        raise NOT_FOUND
    return Response(status_code=204)
