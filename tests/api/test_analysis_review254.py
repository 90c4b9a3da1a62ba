"""Review 254 (hostile API): settings an analysis does not take were accepted and ignored
(``runs`` of a sensitivity, ``outputs`` of an uncertainty, ``version`` of a document sent
inline); refusals that need no model (an output not ``scenario:figure``, an optimisation
with no decisions) came only once the job ran, without their fields; a disabled user's job
ran on to its end, holding the job place."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens
from tests.api.test_lifecycle_analysis import BASE, MODEL, SPEC, UNCERTAINTY, _problem


def _fields(res: Any) -> dict[str, str]:
    doc = _problem(res, 422)
    assert doc["code"] == "invalid-request", doc
    return {e["path"]: e["message"] for e in doc["errors"]}


@pytest.mark.parametrize(("kind", "extra", "said"), [
    ("sensitivity", {"runs": 9999}, {"runs": "applies to kind uncertainty, not sensitivity"}),
    ("uncertainty", {"method": "morris", "n": 64, "outputs": ["B:totals.co2e_t"]},
     {"method": "applies to kind sensitivity, not uncertainty",
      "n": "applies to kind sensitivity, not uncertainty",
      "outputs": "applies to kind sensitivity, not uncertainty"}),
    ("calibrate", {"seed": 3},
     {"seed": "applies to kind uncertainty and sensitivity, not calibrate"}),
    ("optimise", {"runs": 10, "seed": 0}, {
        "runs": "applies to kind uncertainty, not optimise",
        "seed": "applies to kind uncertainty and sensitivity, not optimise"}),
])
def test_a_setting_the_kind_does_not_take_is_refused_by_name(
        app_client: TestClient, kind: str, extra: dict[str, Any], said: dict[str, str]) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind={kind}", headers=demo, json={"model": MODEL, **extra})
    fields = _fields(res)
    assert fields.keys() == said.keys(), fields
    assert all(fields[k].startswith(v) for k, v in said.items()), fields


def test_the_settings_each_kind_takes_are_accepted(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    for kind, body in (("uncertainty", {"runs": 5, "seed": 1, "spec": UNCERTAINTY}),
                       ("optimise", {"spec": SPEC})):
        res = app_client.post(f"{BASE}?kind={kind}", headers=demo, json={"model": MODEL, **body})
        assert res.status_code == 202, res.text
        app_client.delete(f"{BASE}/{res.json()['id']}", headers=demo)


def test_a_version_of_a_document_sent_inline_is_refused(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=uncertainty", headers=demo,
                          json={"model": MODEL, "version": 99, "spec": UNCERTAINTY})
    # the field named in the error's path (review 261: the path was 'body')
    assert _fields(res) == {"version": "a version of the stored model 'model_id'; a document "
                                       "sent as 'model' has none"}


@pytest.mark.parametrize("output", ["garbage", "", ":co2e", "B:", " : "])
def test_an_output_not_scenario_figure_is_refused_before_the_job(
        app_client: TestClient, output: str) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=sensitivity", headers=demo,
                          json={"model": MODEL, "spec": UNCERTAINTY, "n": 8,
                                "outputs": ["baseline:totals.co2e_t", output]})
    assert _fields(res) == {
        "outputs[1]": "give scenario:figure, e.g. B:co2_reduction_t or B:totals.co2e_t"}


def test_an_optimisation_with_no_decisions_is_refused_before_the_job(
        app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=optimise", headers=demo,
                          json={"model": MODEL, "spec": {**SPEC, "decisions": []}})
    fields = _fields(res)
    assert list(fields) == ["spec.decisions"] and "no decisions" in fields["spec.decisions"]
    # coded, so the page says it in Japanese too (review 256: English only)
    assert res.json()["errors"][0]["type"] == "optimise-no-decisions"


def test_an_unknown_objective_names_the_objectives_for_every_language(
        app_client: TestClient) -> None:
    """Review 256: the page's Japanese 'must be one of' listed nothing: the rule's figures were
    under another name than pydantic's own ('expected')."""
    demo, _ = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=optimise", headers=demo,
                          json={"model": MODEL, "spec": {**SPEC, "objective": "nonsense"}})
    (err,) = _problem(res, 422)["errors"]
    assert err["path"] == "spec.objective.metric" and err["type"] == "literal_error"
    assert err["ctx"]["expected"].startswith("'co2e', 'cost', ") and "'activity'" not in \
        err["ctx"]["expected"]


def test_a_disabled_users_jobs_are_stopped(app_client: TestClient) -> None:
    from junkan.api.background import USER_DISABLED
    from tests.api.test_analysis_review import member_running

    admin, uid = member_running(app_client, "paused@example.org")
    t0 = time.monotonic()
    res = app_client.patch(f"/api/admin/users/{uid}", headers=admin, json={"disabled": True})
    assert res.status_code == 200 and res.json()["disabled"], res.text
    assert time.monotonic() - t0 < 10
    store = app_client.app.state.store  # type: ignore[attr-defined]
    job = store.list_analyses(uid)[0]
    assert job.status == "failed" and job.error == USER_DISABLED
    # enabled again: the job stays failed, saying why
    assert app_client.patch(f"/api/admin/users/{uid}", headers=admin,
                            json={"disabled": False}).status_code == 200
    assert store.list_analyses(uid)[0].error == USER_DISABLED
