"""Signing out of a browser session needs the CSRF header like every other state-changing
session request. Past gap: ``DELETE /api/session`` took the cookie alone, so a page of any
other site could sign its visitors out (a form or fetch cannot add the header without a CORS
preflight, which the service never grants)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD

PROBLEM = "application/problem+json"


def _sign_in(client: TestClient) -> None:
    res = client.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert res.status_code == 200, res.text


def test_signing_out_by_cookie_alone_is_refused(app_client: TestClient) -> None:
    _sign_in(app_client)
    res = app_client.delete("/api/session")  # what a cross-site page can send
    assert res.status_code == 403 and res.headers["content-type"].startswith(PROBLEM)
    assert res.json()["code"] == "csrf" and "x-junkan-csrf" in res.json()["detail"]
    assert "junkan_session" not in res.headers.get("set-cookie", "")
    assert app_client.get("/api/session").json()["signed_in"] is True  # still signed in
    # the refusal is the one any other state-changing session request gets
    other = app_client.post("/api/clients", json={"name": "x"})
    assert other.status_code == 403 and other.json() == res.json()


def test_signing_out_with_the_csrf_header_ends_the_session(app_client: TestClient) -> None:
    _sign_in(app_client)
    cookie = app_client.cookies["junkan_session"]
    res = app_client.delete("/api/session", headers={"X-Junkan-CSRF": "1"})
    assert res.status_code == 200 and res.json() == {"status": "signed out"}
    assert app_client.get("/api/session").json()["signed_in"] is False
    app_client.cookies.set("junkan_session", cookie)  # the old cookie no longer works
    assert app_client.get("/api/session").json()["signed_in"] is False


def test_signing_out_without_a_session_still_answers(app_client: TestClient) -> None:
    """Nothing to protect: no cookie, or one that names no session, clears the cookie."""
    assert app_client.delete("/api/session").status_code == 200
    app_client.cookies.set("junkan_session", "forged")
    assert app_client.delete("/api/session").status_code == 200
