"""Authentication: OAuth2 client-credentials bearer tokens (as PACT uses) and browser
sessions (HttpOnly cookie + a custom header on unsafe requests, which cross-site pages cannot
send without a CORS preflight). A disabled or deleted user's tokens stop working at once (the
store checks the user on every request). :data:`AdminUser` is a user who administers their
organisation; anyone else gets 403 from an admin route."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from junkan.store.repo import Store
from junkan.store.tables import User

SESSION_COOKIE = "junkan_session"
CSRF_HEADER = "x-junkan-csrf"
SAFE = {"GET", "HEAD", "OPTIONS"}


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def current_user(request: Request, store: Annotated[Store, Depends(get_store)]) -> User:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = store.token_user(header[7:].strip(), "bearer")
        if user is not None:
            return user
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            {"message": "invalid or expired token", "code": "token-invalid"},
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user = store.token_user(cookie, "session")
        if user is not None:
            if request.method not in SAFE and request.headers.get(CSRF_HEADER) != "1":
                raise HTTPException(status.HTTP_403_FORBIDDEN,
                                    {"message": f"missing {CSRF_HEADER} header on a session "
                                                "request", "code": "csrf"})
            return user
    raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                        {"message": "sign in or send a bearer token", "code": "sign-in"},
                        headers={"WWW-Authenticate": "Bearer"})


def session_user(request: Request, store: Store) -> User | None:
    """The user of the request's browser session cookie, if it is valid (no error: for a
    page asking whether it is signed in)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return store.token_user(cookie, "session") if cookie else None


def presented_token(request: Request) -> str | None:
    """The bearer token or session cookie the request authenticated with."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    """The caller, if an admin of their organisation (403 otherwise)."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            {"message": "only an administrator of your organisation may do "
                                        "this", "code": "admin-only"})
    return user


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
    except Exception:
        return None
    return user, pw


CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(admin_user)]
StoreDep = Annotated[Store, Depends(get_store)]
