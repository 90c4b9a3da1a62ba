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


def test_an_impossible_day_answers_with_its_rule(app_client: TestClient) -> None:
    """A query's day in the right shape but not on the calendar (2026-13-45) is refused with
    the parameter's path and the rule (it was a bare message the page could not translate)."""
    login(app_client)
    r = app_client.get("/api/trace/lots", params={"made_from": "2026-13-45"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"] == "made_from: '2026-13-45' is no calendar day (YYYY-MM-DD)"
    assert body["code"] == "invalid-request"
    (error,) = body["errors"]
    assert (error["path"], error["type"], error["ctx"]) == (
        "made_from", "day-impossible", {"value": "'2026-13-45'"})
