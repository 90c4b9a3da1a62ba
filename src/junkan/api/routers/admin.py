"""Organisation administration (``/api/admin``): an organisation's admins manage its users
(invite, change role, disable, enable, delete, reset password, revoke tokens) and its API
clients, and the origins its trace webhook may reach.

Every route needs an admin of the caller's organisation: without a token 401, a member of
the organisation 403, and a user id or client id of another organisation 404 — exactly like
one that does not exist. An organisation always keeps one active admin (409 otherwise).
Cross-organisation work (new organisations, the first admin) is the platform operator's, on
the database with ``junkan admin``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from junkan.api import background
from junkan.api.auth import AdminUser, StoreDep
from junkan.api.common import NOT_FOUND, TraceDep, org_name
from junkan.api.passwords import (
    MAX_LENGTH,
    PasswordRejected,
    check_password,
    generate_password,
)
from junkan.api.request_json import strict_router
from junkan.api.routers.account import ClientOut, client_out, password_problem, utc
from junkan.api.throttle import AccountsDep
from junkan.core.base import Strict
from junkan.store.repo import AccountError
from junkan.store.tables import User
from junkan.store.trace_repo import TraceError

router = strict_router(prefix="/api/admin", tags=["admin"])

Id = Annotated[str, Path(min_length=1, max_length=64)]
Role = Literal["member", "admin"]


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    disabled: bool
    created_at: datetime
    disabled_at: datetime | None


class UserIn(Strict):
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(default="", max_length=200)
    """Display name (default: the part of the address before the ``@``)."""
    role: Role = "member"
    password: str | None = Field(default=None, max_length=MAX_LENGTH)
    """Initial password; omitted: one is generated and answered once (hand it over
    privately)."""


class UserCreated(UserOut):
    password: str | None
    """The generated password (only when none was given); shown once."""


class UserPatch(Strict):
    role: Role | None = None
    disabled: bool | None = None
    """True: every token stops working at once and sign-ins fail; false: enabled again."""


class PasswordReset(Strict):
    password: str | None = Field(default=None, max_length=MAX_LENGTH)
    """The new password; omitted: one is generated and answered once."""


class PasswordOut(BaseModel):
    password: str | None
    """The generated password (only when none was given)."""


def user_out(u: User) -> UserOut:
    return UserOut(id=u.id, email=u.email, name=u.display_name, role=u.role,
                   disabled=u.disabled_at is not None, created_at=utc(u.created_at),
                   disabled_at=utc(u.disabled_at) if u.disabled_at else None)


def _refused(exc: AccountError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


CONFLICT: dict[int | str, dict[str, Any]] = {409: {
    "description": "The change would leave the organisation without an active administrator, "
                   "or the e-mail address is taken"}}


@router.get("/users")
def list_users(admin: AdminUser, s: StoreDep) -> list[UserOut]:
    """Your organisation's users (deleted ones are not listed)."""
    return [user_out(u) for u in s.list_users(admin.org_id)]


@router.post("/users", status_code=201, responses=CONFLICT)
async def create_user(body: UserIn, admin: AdminUser, s: StoreDep,
                      accounts: AccountsDep) -> UserCreated:
    """Invite a user into your organisation: with the password given, or a generated one
    answered once. 422 names the password rule broken; 409 if the address is taken."""
    generated = None
    password = body.password
    if password is None:
        password = generated = generate_password()
    try:
        check_password(password, body.email)
    except PasswordRejected as exc:
        raise password_problem(exc) from None
    try:
        user = await accounts.hashing(
            lambda: s.create_user(admin.org_id, body.email, password, body.name,
                                  role=body.role, actor_id=admin.id))
    except AccountError as exc:
        raise _refused(exc) from None
    return UserCreated(**user_out(user).model_dump(), password=generated)


@router.get("/users/{user_id}")
def get_user(user_id: Id, admin: AdminUser, s: StoreDep) -> UserOut:
    user = s.get_user(user_id, admin.org_id)
    if user is None:
        raise NOT_FOUND
    return user_out(user)


@router.patch("/users/{user_id}", responses=CONFLICT)
async def update_user(user_id: Id, body: UserPatch, admin: AdminUser, s: StoreDep) -> UserOut:
    """Change a user's role and/or disable or enable them. A disabled user's tokens stop at
    once, and their unfinished analyses and other background jobs (review 254)."""
    try:
        user = await run_in_threadpool(
            s.update_user, user_id, role=body.role, disabled=body.disabled,
            org_id=admin.org_id, actor_id=admin.id, keep_admin=True)
    except AccountError as exc:
        raise _refused(exc) from None
    if user is None:
        raise NOT_FOUND
    if body.disabled:
        await background.stop_all(s, user_id, background.USER_DISABLED)
    return user_out(user)


@router.delete("/users/{user_id}", status_code=204, responses=CONFLICT)
async def delete_user(user_id: Id, admin: AdminUser, s: StoreDep) -> Response:
    """Delete a user: their tokens and API clients stop at once, and their unfinished
    analyses and other background jobs; their e-mail, name and password are erased; models,
    runs and audit events they made stay."""
    try:
        if not await run_in_threadpool(s.delete_user, user_id, org_id=admin.org_id,
                                       actor_id=admin.id, keep_admin=True):
            raise NOT_FOUND
    except AccountError as exc:
        raise _refused(exc) from None
    await background.stop_all(s, user_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/password")
async def reset_password(user_id: Id, body: PasswordReset, admin: AdminUser, s: StoreDep,
                         accounts: AccountsDep) -> PasswordOut:
    """Set a user's password (given, or generated and answered once); their sessions and
    tokens are revoked."""
    user = await run_in_threadpool(s.get_user, user_id, admin.org_id)
    if user is None:
        raise NOT_FOUND
    generated = None
    password = body.password
    if password is None:
        password = generated = generate_password()
    try:
        check_password(password, user.email)
    except PasswordRejected as exc:
        raise password_problem(exc) from None
    ok = await accounts.hashing(lambda: s.set_password(user_id, password, org_id=admin.org_id,
                                                       actor_id=admin.id))
    if not ok:
        raise NOT_FOUND
    return PasswordOut(password=generated)


@router.delete("/users/{user_id}/tokens")
def revoke_user_tokens(user_id: Id, admin: AdminUser, s: StoreDep) -> dict[str, int]:
    """Revoke every session and bearer token of a user (their API clients stay; revoke those
    separately)."""
    n = s.revoke_user_tokens(user_id, org_id=admin.org_id, actor_id=admin.id)
    if n is None:
        raise NOT_FOUND
    return {"revoked": n}


@router.get("/clients")
def list_clients(admin: AdminUser, s: StoreDep) -> list[ClientOut]:
    """Every API client of your organisation's users."""
    return [client_out(c, u) for c, u in s.list_clients(org_id=admin.org_id)]


@router.delete("/clients/{client_id}", status_code=204)
def revoke_client(client_id: Id, admin: AdminUser, s: StoreDep) -> Response:
    """Revoke any API client of your organisation and every token issued to it."""
    if not s.revoke_client(client_id, org_id=admin.org_id, actor_id=admin.id):
        raise NOT_FOUND
    return Response(status_code=204)


class OriginIn(Strict):
    origin: str = Field(min_length=8, max_length=300)
    """``https://host[:port]``: the scheme, host and port a webhook URL must match exactly."""


def _org(s: Any, user: User) -> str:
    return org_name(s.db, user)


@router.get("/webhook-origins")
def webhook_origins(admin: AdminUser, s: StoreDep, trace: TraceDep) -> dict[str, list[str]]:
    """The origins your organisation's trace webhook may reach."""
    return {"origins": trace.webhook_origins(_org(s, admin))}


@router.post("/webhook-origins", status_code=201)
def allow_webhook_origin(body: OriginIn, admin: AdminUser, s: StoreDep,
                         trace: TraceDep) -> dict[str, str]:
    """Let your organisation's webhook reach ``origin``. Loopback, link-local and private
    addresses are refused (422), as is plain HTTP in production: the host is checked as the
    sender checks it (what it resolves to, so ``https://2130706433`` is loopback); a name
    that does not resolve yet is accepted and checked again at every delivery."""
    try:  # the check of junkan admin too (OutboundPolicy.check_registration)
        return {"origin": trace.allow_webhook_origin(_org(s, admin), body.origin)}
    except TraceError as exc:
        raise HTTPException(422, str(exc)) from None


@router.delete("/webhook-origins", status_code=204)
def remove_webhook_origin(body: OriginIn, admin: AdminUser, s: StoreDep,
                          trace: TraceDep) -> Response:
    """Withdraw an origin: deliveries to it stop (404 if it was not registered)."""
    try:
        removed = trace.remove_webhook_origin(_org(s, admin), body.origin)
    except TraceError as exc:
        raise HTTPException(422, str(exc)) from None
    if not removed:
        raise NOT_FOUND
    return Response(status_code=204)
