"""A document's syntax and limit refusals reach the page with their rule and figures."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import login


def test_the_service_answers_a_syntax_error_with_its_rule(app_client: TestClient) -> None:
    """An uploaded model with a YAML syntax error or a key written twice answers with the
    rule and its figures (the page says them in Japanese; it said them in English)."""
    login(app_client)
    for text, code, ctx in (
            ("name: x\n  bad: [\n", "yaml-syntax-at", {"line": 2, "column": 6}),
            ("name: a\nyears: 1\nname: b\n", "duplicate-key", {"first": 1, "second": 3})):
        r = app_client.post("/api/validate", content=text.encode(),
                            headers={"Content-Type": "application/yaml"})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert error["type"] == code, error
        assert {k: error["ctx"][k] for k in ctx} == ctx
