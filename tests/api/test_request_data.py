"""Free-form data inside a request (a run's overrides, an analysis spec) keeps the document
limits, and a body the JSON parser itself cannot read is answered with a code: past bugs
from a hostile review (overrides 900 levels deep passed the schema and failed with a 500 on
their way to a worker, dropping the connection; a too deep or too long body answered 400
"There was an error parsing the body" with no code)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan.core.budget_types import BudgetExceeded
from tests.api.conftest import demo_tokens


def _deep(levels: int) -> Any:
    x: Any = 1
    for _ in range(levels):
        x = [x]
    return x


def _model_id(client: TestClient, h: dict[str, str]) -> str:
    return str(client.get("/api/models", headers=h).json()[0]["id"])


@pytest.mark.parametrize("path", ["runs", "compare"])
def test_deep_overrides_are_refused_naming_the_field(app_client: TestClient,
                                                      path: str) -> None:
    a, _ = demo_tokens(app_client)
    mid = _model_id(app_client, a)
    res = app_client.post(f"/api/models/{mid}/{path}", headers=a,
                          json={"overrides": {"products.x.eol.collection.rate": _deep(900)}})
    assert res.status_code == 422, res.text[:300]
    doc = res.json()
    assert res.headers["content-type"].startswith("application/problem+json")
    (err,) = doc["errors"]
    # the path goes on inside the field to the value that is too deep (review 264: it was
    # the field's alone)
    assert err["path"].startswith("overrides.products.x.eol.collection.rate[0][0]")
    assert "JUNKAN_LIMIT_NESTING_DEPTH" in err["message"]
    assert err["type"] == "nesting-too-deep" and err["ctx"]["env"] == "JUNKAN_LIMIT_NESTING_DEPTH"
    assert app_client.get("/api/health").status_code == 200  # the connection is still fine


def test_long_strings_in_an_analysis_spec_are_refused(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    mid = _model_id(app_client, a)
    res = app_client.post("/api/lifecycle/analyses?kind=uncertainty", headers=a,
                          json={"model_id": mid, "spec": {"note": "x" * 70_000}})
    assert res.status_code == 422, res.text[:300]
    assert "JUNKAN_LIMIT_STRING_LENGTH" in json.dumps(res.json())
    [err] = res.json()["errors"]
    assert err["path"] == "spec.note" and err["type"] == "value-too-long"


@pytest.mark.parametrize("body", [
    "[" * 5000 + "]" * 5000,  # deeper than Python's JSON parser goes
    '{"scenario": ' + "9" * 5000 + "}",  # more digits than Python reads into an int
    b'{"scenario": "\xc3\x28"}',  # not UTF-8 (review 219: the answer said only "nested")
    b"\xff\xfe",  # UTF-16's mark: read as UTF-16, it was 422 "not JSON" (review 244)
    '{"scenario": "A"}'.encode("utf-16"),  # JSON in UTF-16: no request body of the service
])
def test_a_body_json_cannot_read_has_a_code(app_client: TestClient, body: str | bytes) -> None:
    a, _ = demo_tokens(app_client)
    mid = _model_id(app_client, a)
    res = app_client.post(f"/api/models/{mid}/runs", headers={
        **a, "Content-Type": "application/json"}, content=body)
    assert res.status_code == 400
    doc = res.json()
    assert doc["code"] == "body-unreadable" and "not UTF-8 text" in doc["detail"]
    assert "nested too deeply" in doc["detail"]


def test_an_encoded_body_is_refused_unread(app_client: TestClient) -> None:
    """A gzip body was parsed as JSON bytes and refused as "nested too deeply" (review 219);
    no route decompresses one (so no decompression bomb either)."""
    import gzip

    a, _ = demo_tokens(app_client)
    mid = _model_id(app_client, a)
    res = app_client.post(f"/api/models/{mid}/runs", content=gzip.compress(b'{"scenario": "B"}'),
                          headers={**a, "Content-Type": "application/json",
                                   "Content-Encoding": "gzip"})
    assert res.status_code == 415
    doc = res.json()
    assert doc["code"] == "body-encoded" and "(gzip)" in doc["detail"]
    res = app_client.post(f"/api/models/{mid}/runs", json={},
                          headers={**a, "Content-Encoding": "identity"})
    assert res.status_code == 202, res.text


def test_a_budget_refusal_carries_its_code_limit_and_setting() -> None:
    """The answer the page translates (it had no code: "the request exceeded its CPU-time
    budget of 20 s" stayed English)."""
    from fastapi import FastAPI

    from junkan.api import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/slow")
    def slow() -> None:
        raise BudgetExceeded("cpu", 20, setting="JUNKAN_BUDGET_CPU_S")

    res = TestClient(app).get("/slow")
    doc = res.json()
    assert res.status_code == 422 and res.headers["content-type"].startswith(errors.PROBLEM)
    assert (doc["code"], doc["limit"], doc["setting"]) == ("budget-cpu", 20,
                                                           "JUNKAN_BUDGET_CPU_S")


def test_a_form_document_with_a_string_over_the_limit_is_refused(app_client: TestClient) -> None:
    """A past bug (review): a form document of long strings passed the form's own checks
    (nodes, depth, numbers) and was written as YAML on the event loop before the loader
    refused it: 15.5 MB stalled every request for 11 s. It is refused by the document
    limits at once, naming the field; the text is written in a worker."""
    a, _ = demo_tokens(app_client)
    doc = {"junkan": 1, "name": "x", "k": ["a b " * 400_000] * 10}
    for method, path in (("POST", "/api/forms"), ("POST", "/api/forms/validate")):
        res = app_client.request(method, path, headers=a, json={"document": doc})
        assert res.status_code == 422, res.text[:300]
        (err,) = res.json()["errors"]
        assert err["path"] == "document.k[0]" and "JUNKAN_LIMIT_STRING_LENGTH" in err["message"]


def test_a_users_queued_runs_are_capped(app_client: TestClient) -> None:
    """A past bug (review): one user could queue any number of runs (300 in 14 s) and
    another organisation's run waited behind them. A user with RUNS_PER_USER runs queued
    or running gets 429 with Retry-After; others still start theirs."""
    from junkan.api.routers.models import RUNS_PER_USER

    a, b = demo_tokens(app_client)
    store = app_client.app.state.store  # type: ignore[attr-defined]
    mid = _model_id(app_client, a)
    me = store.token_user(a["Authorization"][7:], "bearer")
    for _ in range(RUNS_PER_USER):  # queued, never handed to the runner: they stay queued
        store.create_run(me, mid, 1, "baseline", {})
    res = app_client.post(f"/api/models/{mid}/runs", headers=a, json={})
    assert res.status_code == 429 and res.headers["retry-after"] == "10"
    assert res.json()["code"] == "too-many-runs"
    text = app_client.get("/api/examples/atm_reuse", headers=b).text
    up = app_client.post("/api/models", headers={**b, "Content-Type": "application/yaml"},
                         content=text.encode())
    assert up.status_code == 201, up.text[:200]
    res = app_client.post(f"/api/models/{up.json()['id']}/runs", headers=b, json={})
    assert res.status_code == 202  # another organisation's user is not held up


def test_background_jobs_do_not_take_the_request_workers(app_client: TestClient) -> None:
    """A past bug (review): analyses ran in the request pool, so one user's two long jobs
    held both workers and another user's validation waited 167 s. They run in the run
    workers' pool."""
    from junkan.api import background
    from junkan.core import budget

    jobs_pool = app_client.app.state.jobs.pool  # type: ignore[attr-defined]
    assert background._pool() is jobs_pool and jobs_pool is not budget.default_pool()


def test_a_body_of_too_many_values_is_refused_before_validation(app_client: TestClient) -> None:
    """Review 244: 15 MiB of overrides holding 5 million empty objects was validated on the
    event loop (6-33 s of /api/health); now the values are counted where the body is read
    (JUNKAN_LIMIT_BODY_VALUES), and overrides hold at most 50,000."""
    from junkan.core.limits import override_limits

    a, _ = demo_tokens(app_client)
    mid = _model_id(app_client, a)
    many = {"overrides": {"x": [{}] * 20_000}}  # 60 KB: read in a thread
    with override_limits(body_values=10_000):
        res = app_client.post(f"/api/models/{mid}/compare", headers=a, json=many)
        assert res.status_code == 413, res.text[:300]
        assert res.json()["code"] == "body-too-many-values"
        assert "JUNKAN_LIMIT_BODY_VALUES" in res.json()["detail"]
        res = app_client.post("/api/models/doesnotexist/compare", headers=a, json=many)
        assert res.status_code == 413  # before the model is looked up
    res = app_client.post(f"/api/models/{mid}/compare", headers=a,
                          json={"overrides": {"x": [{}] * 60_000}})
    assert res.status_code == 422, res.text[:300]
    assert "more than 50,000 values" in json.dumps(res.json())
