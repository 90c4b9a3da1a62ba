"""The service's limits on analysis specs answer in its one shape for a refused field
(review of issue 17): ``errors: [{path, message}]`` and ``code: invalid-request``, like
every other refused field of the request; a job's error names the spec's own field."""

from __future__ import annotations

import json
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


def test_a_sent_specs_problems_name_the_spec_not_the_model() -> None:
    """A spec sent with the job was reported as ``model:uncertainty.parameters[0]`` (a path
    the sent model does not have); its problems name ``spec`` and the spec's own paths."""
    from junkan.api.work import analysis_job
    from junkan.core.errors import ModelError

    spec = {"parameters": [{"parameter": "products.nothing.eol.collection.rate",
                            "distribution": "uniform", "min": 0.1, "max": 0.2,
                            "source": "assumption for the test"}]}
    with pytest.raises(ModelError) as err:
        analysis_job("uncertainty", MODEL, "model.yaml", {"spec": spec, "runs": 10, "seed": 1})
    [problem] = err.value.problems
    assert err.value.source == "spec" and problem.path == "parameters[0].parameter"
    assert "does not exist" in problem.message


def test_an_analysis_job_reports_its_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job's progress (GET …/analyses/{id} while it runs) was null: the page could only
    count seconds. It is the runs done of the runs, ending at all of them."""
    from junkan.api import work

    told: list[Any] = []
    monkeypatch.setattr(work, "report_progress", told.append)
    spec = {"parameters": [{"parameter": "products.kettle.eol.collection.rate",
                            "distribution": "uniform", "min": 0.2, "max": 0.6,
                            "source": "assumption for the test"}]}
    work.analysis_job("uncertainty", MODEL, "model.yaml", {"spec": spec, "runs": 300, "seed": 1})
    assert told and told[-1] == {"stage": "runs", "done": 300, "of": 300}
    assert all(p["stage"] == "runs" and p["done"] <= 300 for p in told)


def test_a_number_out_of_bounds_in_a_spec_is_named_by_its_path(app_client: TestClient) -> None:
    """Review 212: a NaN deep in a spec was refused at ``spec`` with pydantic's 'Value error,
    nan is not a finite number' — not where it is."""
    demo, _ = demo_tokens(app_client)
    spec = {"parameters": [{"parameter": "processes.pickup.co2e", "distribution": "uniform",
                            "min": 1, "max": float("nan"), "source": "test"}]}
    body = json.dumps({"model": MODEL, "spec": spec})  # NaN, as JavaScript's JSON never is
    res = app_client.post(f"{BASE}?kind=uncertainty", content=body,
                          headers={**demo, "Content-Type": "application/json"})
    assert res.status_code == 422, res.text
    [error] = res.json()["errors"]
    # review 264: the path was "spec" and the value's path began the message
    assert error["path"] == "spec.parameters[0].max", error
    assert error["message"].startswith("nan is not a finite number"), error
    assert error["type"] == "number-not-finite" and error["ctx"]["value"] == "nan"
