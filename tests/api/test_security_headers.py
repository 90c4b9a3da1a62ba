"""Answers given outside the routes carry the security headers too: the 413 of the body
limit (sent by a middleware before the application runs) and the 500 of an unexpected error
(sent by Starlette from outside every middleware). Past gap: both came without
Content-Security-Policy, X-Content-Type-Options, X-Frame-Options, … and Cache-Control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.store import passwords
from junkan.store.db import Settings
from tests.api.conftest import store_url

PROBLEM = "application/problem+json"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The service with a 1,000-byte body limit; an unexpected error is answered (500), not
    raised into the test."""
    settings = Settings(database_url=store_url("sqlite", tmp_path), max_body_bytes=1000)
    return TestClient(create_app(settings), raise_server_exceptions=False)


SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options",
            "referrer-policy", "cross-origin-opener-policy", "cache-control")


def _has_security_headers(res: Any, client: TestClient) -> None:
    """``res`` carries the security headers an ordinary answer of the API carries."""
    ordinary = client.get("/api/session")  # a route's own answer
    assert ordinary.status_code == 200
    assert res.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
    assert res.headers["cache-control"] == "no-store"  # an /api/ answer
    for name in SECURITY:
        assert res.headers.get(name) == ordinary.headers[name], (name, res.headers)


def test_a_too_large_body_is_refused_with_the_security_headers(client: TestClient) -> None:
    res = client.post("/api/validate", content=b"{" + b" " * 2000 + b"}",
                      headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and res.headers["content-type"].startswith(PROBLEM)
    assert res.json()["code"] == "body-too-large"
    _has_security_headers(res, client)


def test_a_too_large_body_in_pieces_is_refused_with_the_security_headers(
        client: TestClient) -> None:
    def pieces() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield from [b"x" * 300] * 4

    res = client.post("/api/validate", content=pieces(),
                      headers={"Content-Type": "application/json"})
    assert "content-length" not in res.request.headers
    assert res.status_code == 413 and res.json()["code"] == "body-too-large"
    _has_security_headers(res, client)


def test_an_unexpected_error_is_a_500_with_the_security_headers(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.app.state.store.db, "check_writable", broken)  # type: ignore[attr-defined]
    res = client.get("/api/health")
    assert res.status_code == 500 and res.headers["content-type"].startswith(PROBLEM)
    body = res.json()
    assert body["code"] == "internal" and "secret internals" not in res.text
    _has_security_headers(res, client)


def test_production_answers_outside_the_routes_ask_for_https(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the 413 and the 500 carry Strict-Transport-Security like the rest."""
    monkeypatch.setenv(passwords.ENV, passwords.STANDARD)  # production refuses the test one
    settings = Settings(database_url=store_url("sqlite", tmp_path), max_body_bytes=1000,
                        production=True)
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    res = client.post("/api/validate", content=b"x" * 2000)
    assert res.status_code == 413 and "max-age" in res.headers["strict-transport-security"]

    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(client.app.state.store.db, "check_writable", broken)  # type: ignore[attr-defined]
    res = client.get("/api/health")
    assert res.status_code == 500 and "max-age" in res.headers["strict-transport-security"]
