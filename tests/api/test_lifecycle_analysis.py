"""Lifecycle analyses as background jobs: limits, problem+json errors, who may see a job."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan.api.background import MAX_ACTIVE, MAX_KEPT
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.repo import TooManyAnalyses
from tests.api.conftest import demo_tokens, wait_for
from tests.lifecycle.test_optimise import MODEL

SPEC = {
    "objective": "co2e",
    "decisions": [
        {
            "name": "collection",
            "parameter": "products.kettle.eol.collection.rate",
            "range": [0.3, 0.9],
        },
        {
            "name": "product_reuse",
            "parameter": "products.kettle.eol.reuse.share",
            "values": [0.0, 0.2],
        },
    ],
}
UNCERTAINTY = {
    "parameters": [
        {
            "parameter": "products.kettle.eol.collection.rate",
            "distribution": "uniform",
            "min": 0.3,
            "max": 0.7,
            "source": "assumption",
        }
    ]
}
BASE = "/api/lifecycle/analyses"


def _wait(
    client: TestClient, job_id: str, headers: dict[str, str], timeout: float = 120
) -> dict[str, Any]:
    return wait_for(client, f"{BASE}/{job_id}", headers, timeout)


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def test_needs_credentials(app_client: TestClient) -> None:
    _problem(app_client.post(f"{BASE}?kind=optimise", json={"model": MODEL}), 401)
    _problem(app_client.get(f"{BASE}/abc"), 401)
    _problem(app_client.get(BASE), 401)


def test_optimise_job_and_who_sees_it(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=optimise", json={"model": MODEL, "spec": SPEC},
                          headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["status"] in ("queued", "running") and "user_id" not in job
    done = _wait(app_client, job["id"], demo)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["objective"]["figure"] == "co2e"
    assert done["result"]["method"]["name"] in ("milp", "enumeration")
    assert "stored_model" not in done["result"]  # a document sent inline
    # another organisation's user neither reads nor lists it
    _problem(app_client.get(f"{BASE}/{job['id']}", headers=partner), 404)
    assert app_client.get(BASE, headers=partner).json() == []
    listed = app_client.get(BASE, headers=demo).json()
    assert [j["id"] for j in listed] == [job["id"]] and "result" not in listed[0]


def test_stored_model_uncertainty_and_access(app_client: TestClient) -> None:
    demo, partner = demo_tokens(app_client)
    up = app_client.post(
        "/api/models", content=MODEL, headers={**demo, "content-type": "application/yaml"}
    )
    assert up.status_code == 201, up.text
    model_id = up.json()["id"]
    # the partner organisation may not use the demo organisation's model
    _problem(
        app_client.post(f"{BASE}?kind=uncertainty", json={"model_id": model_id},
                        headers=partner), 404
    )
    res = app_client.post(
        f"{BASE}?kind=uncertainty",
        json={"model_id": model_id, "spec": UNCERTAINTY, "runs": 20, "seed": 1},
        headers=demo,
    )
    assert res.status_code == 202, res.text
    done = _wait(app_client, res.json()["id"], demo)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["scenarios"]
    # the model and version it ran on: a result reopened after a new version is saved
    # names its figures by this version's titles (review 247)
    assert done["result"]["stored_model"] == {"id": model_id, "version": 1}


def test_a_stored_models_job_names_the_model_not_its_id(app_client: TestClient) -> None:
    """A job on a stored model says which model its message is about by the model's name
    (``kettle``) and version, as the user knows it, not by the model's internal id."""
    demo, _ = demo_tokens(app_client)
    # a calibration of a model whose own section observes nothing: the job fails naming the
    # model (a model without the section is refused before a job: test_analysis_review)
    text = MODEL + ("\nuncertainty:\n  parameters:\n  - {parameter: products.kettle.eol."
                    "collection.rate, distribution: uniform, min: 0.3, max: 0.7, source: test}\n")
    up = app_client.post(
        "/api/models", content=text, headers={**demo, "content-type": "application/yaml"}
    )
    assert up.status_code == 201, up.text
    model_id = up.json()["id"]
    res = app_client.post(f"{BASE}?kind=calibrate", json={"model_id": model_id}, headers=demo)
    assert res.status_code == 202, res.text
    done = _wait(app_client, res.json()["id"], demo)
    assert done["status"] == "failed"
    assert done["error"].startswith("model kettle v1:"), done["error"]
    assert "observ" in done["error"], done["error"]
    assert model_id not in done["error"]
    listed = app_client.get(BASE, headers=demo).json()
    assert listed[0]["error"] == done["error"]


def test_bad_input_fails_the_job_with_its_message(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    bad = {"decisions": [{"name": "x", "parameter": "products.kettle.nothing", "values": [1, 2]}]}
    res = app_client.post(f"{BASE}?kind=optimise", json={"model": MODEL, "spec": bad}, headers=demo)
    done = _wait(app_client, res.json()["id"], demo)
    assert done["status"] == "failed" and "products.kettle.nothing" in done["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"model": MODEL, "runs": 10**9},
        {"model": MODEL, "model_id": "x"},
        {},
        {"model": MODEL, "n": 2},
        {"model": MODEL, "spec": {"decisions": [{"name": f"d{i}"} for i in range(21)]}},
        {"model": MODEL, "extra": 1},
    ],
)
def test_limits(app_client: TestClient, body: dict[str, Any]) -> None:
    demo, _ = demo_tokens(app_client)
    kind = "optimise" if "spec" in body else "uncertainty"
    doc = _problem(app_client.post(f"{BASE}?kind={kind}", json=body, headers=demo), 422)
    assert doc["status"] == 422


def test_unknown_kind_and_job(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    _problem(app_client.post(f"{BASE}?kind=nonsense", json={"model": MODEL}, headers=demo), 422)
    _problem(app_client.get(f"{BASE}/{'0' * 24}", headers=demo), 404)


def test_active_jobs_per_user_are_limited(app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    user = store.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    for _ in range(MAX_ACTIVE):
        store.create_analysis(user, "optimise", max_active=MAX_ACTIVE, max_kept=MAX_KEPT)
    with pytest.raises(TooManyAnalyses):
        store.create_analysis(user, "optimise", max_active=MAX_ACTIVE, max_kept=MAX_KEPT)
    demo, _ = demo_tokens(app_client)
    _problem(app_client.post(f"{BASE}?kind=uncertainty", json={"model": MODEL, "spec": UNCERTAINTY},
                             headers=demo), 429)


def test_an_accepted_analysis_survives_a_restart_as_failed_or_finished(
        app_client: TestClient) -> None:
    """Kept in the store: a restart (resume_interrupted_analyses at start-up) fails what was
    left unfinished without its call kept (runs it again otherwise:
    test_analysis_review.py) and keeps the rest; nothing accepted disappears."""
    store = app_client.app.state.store  # type: ignore[attr-defined]
    user = store.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    done = store.create_analysis(user, "optimise", max_active=MAX_ACTIVE, max_kept=MAX_KEPT)
    store.finish_analysis(done.id, {"answer": 42})
    left = store.create_analysis(user, "optimise", max_active=MAX_ACTIVE, max_kept=MAX_KEPT)
    assert store.resume_interrupted_analyses() == []
    demo, _ = demo_tokens(app_client)
    got = app_client.get(f"{BASE}/{done.id}", headers=demo).json()
    assert got["status"] == "succeeded" and got["result"] == {"answer": 42}
    failed = app_client.get(f"{BASE}/{left.id}", headers=demo).json()
    assert failed["status"] == "failed" and "interrupted" in failed["error"]


def test_only_the_newest_analyses_are_kept(app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    user = store.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    ids = []
    for i in range(5):
        job = store.create_analysis(user, "optimise", max_active=2, max_kept=3)
        store.finish_analysis(job.id, {"i": i})
        ids.append(job.id)
    kept = [a.id for a in store.list_analyses(user.id)]
    assert kept == ids[:1:-1]  # the three newest, newest first
    assert store.get_analysis(user.id, ids[0]) is None


def test_a_refused_job_keeps_its_coded_problems(app_client: TestClient) -> None:
    """A job whose model the worker refuses keeps the refusal's coded problems beside its
    text, as a refused request answers them (each path with its rule and figures), so the
    page says them in its reader's language — on the poll and in the list."""
    demo, _ = demo_tokens(app_client)
    unknown = MODEL.replace("assembly: {actor: maker,", "assembly: {actor: makr,")
    res = app_client.post(f"{BASE}?kind=uncertainty", json={"model": unknown, "runs": 5,
                                                             "spec": UNCERTAINTY}, headers=demo)
    assert res.status_code == 202, res.text
    done = _wait(app_client, res.json()["id"], demo)
    assert done["status"] == "failed", done
    errors = done["problems"]["errors"]
    assert errors[0]["path"] == "processes.assembly.actor", errors
    assert errors[0]["type"] == "unknown-actor" and errors[0]["ctx"]["name"] == "'makr'", errors
    assert errors[0]["message"] in done["error"]
    listed = app_client.get(BASE, headers=demo).json()
    assert listed[0]["problems"] == done["problems"]
    # a refusal said in words only (the model has no headline figures to analyse) has none
    res = app_client.post(f"{BASE}?kind=sensitivity", json={"model": MODEL, "n": 4,
                                                             "spec": UNCERTAINTY}, headers=demo)
    assert res.status_code == 202, res.text
    done = _wait(app_client, res.json()["id"], demo)
    assert done["status"] == "failed" and "no headline figures" in done["error"], done
    assert "problems" not in done, done


def test_a_job_over_its_budget_keeps_the_budgets_code() -> None:
    """A budget refusal keeps its code, limit and setting (the page says it as
    ``problem.budget-cpu``), as a request over its budget answers them."""
    from junkan.api.errors import coded_refusal
    from junkan.core.budget_types import BudgetExceeded

    said = coded_refusal(BudgetExceeded("cpu", 30, setting="JUNKAN_BUDGET_RUN_CPU_S"))
    assert said == {"code": "budget-cpu", "limit": 30, "setting": "JUNKAN_BUDGET_RUN_CPU_S"}
    assert coded_refusal(ValueError("no headline figures")) is None


def test_an_upload_checks_its_own_uncertainty_section(app_client: TestClient) -> None:
    """A model whose own uncertainty section draws a field it does not have is refused at
    upload (422, the parameter named), as ``junkan validate`` refuses it; a valid section is
    taken."""
    import yaml

    demo, _ = demo_tokens(app_client)
    doc = yaml.safe_load(MODEL)
    doc["uncertainty"] = {"parameters": [{**UNCERTAINTY["parameters"][0],
                                          "parameter": "products.kettle.nope"}]}
    res = app_client.post("/api/models", content=yaml.safe_dump(doc),
                          headers={**demo, "content-type": "application/yaml"})
    body = _problem(res, 422)
    assert body["errors"][0]["path"] == "uncertainty.parameters[0].parameter", body
    assert body["errors"][0]["type"] == "parameter-not-in-model", body
    doc["uncertainty"] = UNCERTAINTY
    res = app_client.post("/api/models", content=yaml.safe_dump(doc),
                          headers={**demo, "content-type": "application/yaml"})
    assert res.status_code == 201, res.text
