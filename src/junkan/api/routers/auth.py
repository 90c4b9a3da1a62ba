"""Sign-in: browser sessions (``/api/session``: sign in and out, and whether signed in), the
OAuth2 client-credentials grant (``/oauth/token``), who am I (``/api/me``) and new API
clients (``/api/clients``).

Both sign-in routes are throttled per account and per client address (429 with
``Retry-After``) and verify passwords in the Argon2 pool (503 when it is full), see
:mod:`junkan.api.throttle`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from junkan.api.auth import (
    SESSION_COOKIE,
    CurrentUser,
    StoreDep,
    basic_credentials,
    current_user,
    session_user,
)
from junkan.api.common import SettingsDep
from junkan.api.request_json import strict_router
from junkan.api.throttle import AccountsDep
from junkan.core.base import Strict
from junkan.store.tables import Organisation, User

router = strict_router(tags=["auth"])

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many failed sign-ins (see Retry-After)"},
    503: {"description": "Too many sign-ins at once (see Retry-After)"}}
OAUTH_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}}}}}
"""RFC 6749 §5.2 error body of the token endpoint (not problem+json: OAuth clients parse
``error``)."""


class Login(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


@router.post("/oauth/token", responses={
    **THROTTLED,
    200: {"model": TokenOut},
    400: {"description": "unsupported_grant_type", "content": OAUTH_ERROR},
    401: {"description": "invalid_client", "content": OAUTH_ERROR}})
async def token(request: Request, s: StoreDep, settings: SettingsDep, accounts: AccountsDep,
                grant_type: Annotated[str, Form(max_length=64)],
                client_id: Annotated[str | None, Form(max_length=200)] = None,
                client_secret: Annotated[str | None, Form(max_length=200)] = None
                ) -> JSONResponse:
    """OAuth2 client-credentials grant (RFC 6749 §4.4); credentials by HTTP Basic or form.
    Errors of the grant itself use RFC 6749's ``{"error": ...}`` body."""
    if grant_type != "client_credentials":
        return JSONResponse(status_code=400, content={"error": "unsupported_grant_type"})
    basic = basic_credentials(request)
    cid, secret = basic if basic else (client_id, client_secret)
    user = None
    if cid and secret and len(cid) <= 200 and len(secret) <= 200:
        user = await accounts.sign_in(request, "client", cid,
                                      lambda: s.client_user(cid, secret))
    if user is None:
        return JSONResponse(status_code=401, content={"error": "invalid_client"},
                            headers={"WWW-Authenticate": "Basic"})
    tok = await run_in_threadpool(s.issue_token, user.id, "bearer",
                                  settings.token_ttl_seconds, cid)
    return JSONResponse({"access_token": tok, "token_type": "bearer",
                         "expires_in": settings.token_ttl_seconds},
                        headers={"Cache-Control": "no-store"})


@router.post("/api/session", responses=THROTTLED)
async def login(body: Login, request: Request, s: StoreDep, settings: SettingsDep,
                accounts: AccountsDep, response: Response) -> dict[str, Any]:
    """Sign in; sets the session cookie. A disabled account answers like a wrong password."""
    user = await accounts.sign_in(request, "account", body.email,
                                  lambda: s.authenticate(body.email, body.password))
    if user is None:
        raise HTTPException(401, "wrong e-mail or password")
    tok = await run_in_threadpool(s.issue_token, user.id, "session",
                                  settings.session_ttl_seconds)
    response.set_cookie(SESSION_COOKIE, tok, httponly=True, samesite="strict",
                        secure=settings.production, max_age=settings.session_ttl_seconds,
                        path="/")
    return {"email": user.email, "name": user.display_name, "role": user.role}


@router.delete("/api/session")
def logout(request: Request, s: StoreDep, response: Response) -> dict[str, str]:
    """Sign out: the session is revoked and its cookie cleared (200 also when not signed
    in). A valid session cookie needs the ``X-Junkan-CSRF`` header, as every state-changing
    session request does (403 ``csrf`` without): a page of another site cannot sign its
    visitors out."""
    tok = request.cookies.get(SESSION_COOKIE)
    if tok:
        if session_user(request, s) is not None:
            current_user(request, s)  # the CSRF check of every other session request
        s.revoke_token(tok)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "signed out"}


@router.get("/api/session")
def session(request: Request, s: StoreDep) -> dict[str, Any]:
    """Whether this browser is signed in, and as whom (:func:`me`'s answer, or ``null``):
    always 200, so a page opened signed out asks without an error. Only the session cookie
    counts (a bearer token is not a browser session)."""
    user = session_user(request, s)
    return {"signed_in": user is not None, "user": None if user is None else _me(user, s)}


@router.get("/api/me")
def me(user: CurrentUser, s: StoreDep) -> dict[str, Any]:
    """You: e-mail, name, organisation and role (``member`` or ``admin``)."""
    return _me(user, s)


def _me(user: User, s: StoreDep) -> dict[str, Any]:
    with s.db.session() as ses:
        org = ses.get(Organisation, user.org_id)
    return {"id": user.id, "email": user.email, "name": user.display_name,
            "organisation": org.name if org else None, "role": user.role}


class ClientIn(Strict):
    name: str = Field(default="api", min_length=1, max_length=200)
    """The client's name in ``GET /api/clients`` (no body at all: ``api``)."""


@router.post("/api/clients", status_code=201, responses={503: THROTTLED[503]})
async def new_client(user: CurrentUser, s: StoreDep, accounts: AccountsDep,
                     body: ClientIn | None = None) -> dict[str, str]:
    """Create OAuth2 client credentials acting as you (the secret is shown once). The
    body is ``{"name": ...}`` or none; anything else (another field, a body that is not a
    JSON object) is refused (422)."""
    cid, secret = await accounts.hashing(s.create_client, user.id,
                                         body.name if body else "api")
    return {"client_id": cid, "client_secret": secret}
