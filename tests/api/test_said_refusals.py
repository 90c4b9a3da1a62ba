"""A route's refusal written as text has the service's one shape for a refused request
(review 269): ``code: invalid-request`` and ``errors`` naming the field the message names
first — a client found the field only inside English text before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from junkan.api.errors import _said_error
from tests.api.conftest import demo_tokens
from tests.nature.survey_helpers import observation, sync

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("said,path,message", [
    ("seller: must be your organisation ('b')", "seller", "must be your organisation ('b')"),
    ("observations[0].observation.count: must be ≥ 0", "observations[0].observation.count",
     "must be ≥ 0"),
    ("Last-Event-ID: give the number", "Last-Event-ID", "give the number"),
    ("empty body: send the checklist as CSV or JSON", "",
     "empty body: send the checklist as CSV or JSON"),
    ("batch.json:events[1]: bad", "", "batch.json:events[1]: bad"),
    ("method and window apply to kind=periods only", "",
     "method and window apply to kind=periods only")])
def test_the_field_a_message_names_first_is_its_path(said: str, path: str,
                                                      message: str) -> None:
    assert _said_error(said) == {"path": path, "message": message}


def test_a_refused_observation_names_its_field(app_client: TestClient) -> None:
    demo, _ = demo_tokens(app_client)
    res = sync(app_client, demo, observation("o1", count=-1))
    assert res.status_code == 422
    doc = res.json()
    assert doc["code"] == "invalid-request"
    assert doc["errors"][0]["path"] == "observations[0].observation.count", doc
    assert doc["detail"].startswith("observations[0].observation.count: ")
