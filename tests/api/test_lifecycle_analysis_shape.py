"""The service's limits on analysis specs answer in its one shape for a refused field
(review of issue 17): ``errors: [{path, message}]`` and ``code: invalid-request``, like
every other refused field of the request; a job's error names the spec's own field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens
from tests.lifecycle.test_optimise import MODEL

BASE = "/api/lifecycle/analyses"


@pytest.mark.parametrize(
    ("kind", "spec", "path"),
    [
        ("optimise", {"decisions": [{"name": f"d{i}"} for i in range(21)]}, "spec.decisions"),
        ("uncertainty", {"parameters": [{}] * 51}, "spec.parameters"),
    ],
)
def test_spec_limits_are_field_errors(
    app_client: TestClient, kind: str, spec: dict[str, Any], path: str
) -> None:
    """They used to answer a bare ``detail`` without ``errors`` or ``code``."""
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind={kind}", json={"model": MODEL, "spec": spec}, headers=demo)
    assert res.status_code == 422 and res.headers["content-type"].startswith(
        "application/problem+json"
    )
    doc = res.json()
    assert doc["code"] == "invalid-request"
    [error] = doc["errors"]
    assert error["path"] == path and "the service takes at most" in error["message"]
