"""Every operation the service publishes refuses requests without valid credentials — checked
from the OpenAPI document itself, so a new route is covered the day it is added."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

PUBLIC = {
    ("POST", "/api/session"),      # signing in
    ("DELETE", "/api/session"),    # signing out (a live session needs the CSRF header)
    ("GET", "/api/session"),       # whether signed in (200 either way, no data without a session)
    ("POST", "/oauth/token"),      # client credentials are the authentication
    ("GET", "/api/health"),        # liveness for load balancers
    ("GET", "/api/network/prefectures"),  # public map outlines (shipped data)
}


def _operations(client: TestClient) -> list[tuple[str, str]]:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    return [(method.upper(), re.sub(r"\{[^}]+\}", "x1", path))
            for path, ops in doc["paths"].items() for method in ops
            if (method.upper(), path) not in PUBLIC]


def test_every_operation_needs_credentials(app_client: TestClient) -> None:
    ops = _operations(app_client)
    assert len(ops) >= 45  # the count grows with the service; it never silently shrinks
    for headers in ({}, {"Authorization": "Bearer forged-token"},
                    {"Cookie": "junkan_session=forged"}):
        for method, path in ops:
            res = app_client.request(method, path, headers=headers)
            assert res.status_code == 401, (method, path, headers, res.status_code)
            assert res.headers["content-type"].startswith("application/problem+json")


def test_public_operations_are_the_listed_ones(app_client: TestClient) -> None:
    """Anything answering without credentials is in PUBLIC (and so was decided on)."""
    doc = app_client.get("/openapi.json").json()
    published = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert published >= PUBLIC
