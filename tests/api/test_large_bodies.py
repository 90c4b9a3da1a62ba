"""A large JSON request body holds nobody else up (review of 2026-12-03, item 2): past bug,
FastAPI read every body on the event loop, before the caller was authenticated, so two
anonymous 16 MB bodies got their 401 after 5-9 s while ``/api/health`` waited up to 6.7 s.
Now a large body is read in a thread, and on a route that needs a signed-in caller only once
the caller is known."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from junkan.api import request_json
from tests.api.conftest import demo_tokens, login

JSON = {"Content-Type": "application/json"}
BIG = ('{"events": "' + "x" * 300_000 + '"}').encode()  # above INLINE_BYTES; refused (422)


def test_health_answers_while_a_large_body_is_read(app_client: TestClient,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading of a signed-in caller's large body is held until health has answered:
    on the event loop (the old way) health could not answer before it ended."""
    a, _ = demo_tokens(app_client)
    real = request_json.loads_with_repeat
    reading, release, read = threading.Event(), threading.Event(), threading.Event()

    def held(body: bytes | str) -> tuple[Any, Any]:
        if len(body) >= len(BIG):
            reading.set()
            release.wait(10)  # a bound, so the old way fails rather than hangs
            read.set()
        return real(body)

    monkeypatch.setattr(request_json, "loads_with_repeat", held)
    answers: list[httpx.Response] = []
    big = threading.Thread(target=lambda: answers.append(app_client.post(
        "/api/trace/events", content=BIG, headers={**JSON, **a})))
    big.start()
    try:
        assert reading.wait(30), "the large body was never read"
        health = app_client.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert not read.is_set(), "health waited for the large body to be read"
    finally:
        release.set()
        big.join(60)
    (res,) = answers
    assert res.status_code == 422, res.text  # events must be a list: the body was read


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The sizes of the request bodies the service parsed."""
    sizes: list[int] = []
    real = request_json.loads_with_repeat

    def counted(body: bytes | str) -> tuple[Any, Any]:
        sizes.append(len(body))
        return real(body)

    monkeypatch.setattr(request_json, "loads_with_repeat", counted)
    yield sizes


def test_who_is_not_signed_in_is_refused_before_a_large_body_is_read(
        app_client: TestClient, parsed: list[int]) -> None:
    a, _ = demo_tokens(app_client)
    parsed.clear()
    post = app_client.post
    res = post("/api/trace/events", content=BIG, headers=JSON)
    assert res.status_code == 401 and res.json()["code"] == "sign-in", res.text
    res = post("/api/trace/events", content=BIG, headers={**JSON, "Authorization": "Bearer no"})
    assert res.status_code == 401 and res.json()["code"] == "token-invalid", res.text
    # a body of no announced length (chunked) is held to the same rule
    res = post("/api/trace/events", content=iter([BIG[:1000], BIG[1000:]]), headers=JSON)
    assert res.status_code == 401 and res.json()["code"] == "sign-in", res.text
    login(app_client)  # a session without the CSRF header: 403, as for a small body
    del app_client.headers["X-Junkan-CSRF"]
    res = post("/api/trace/events", content=BIG, headers=JSON)
    assert res.status_code == 403 and res.json()["code"] == "csrf", res.text
    app_client.cookies.clear()
    assert len(BIG) not in parsed  # none of these bodies was parsed (only the sign-in's)
    res = post("/api/trace/events", content=BIG, headers={**JSON, **a})
    assert res.status_code == 422 and parsed.count(len(BIG)) == 1, res.text  # the caller's is


def test_a_large_body_with_a_repeat_is_refused_naming_it(app_client: TestClient) -> None:
    """Read in a thread, a large body is judged as a small one: a repeat is named."""
    a, _ = demo_tokens(app_client)
    body = ('{"events": [], "pad": "' + "x" * 100_000 + '", "events": []}').encode()
    res = app_client.post("/api/trace/events", content=body, headers={**JSON, **a})
    assert res.status_code == 422 and res.json()["code"] == "json-duplicate-key", res.text
    assert res.json()["errors"][0]["ctx"] == {"key": "'events'"}
