"""A JSON request body that gives a key twice in one object is refused, as a document is:
past bug, every body FastAPI read itself (``json.loads``) kept the last of a repeated key,
so ``{"overrides": {}, "overrides": {…}}`` or ``{"mass_kg": 20, "mass_kg": 2000}`` was taken
silently as its last value. The answer is 422 ``json-duplicate-key`` naming the key and the
path of its object; a caller who is not signed in still gets 401 first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tests.api.conftest import demo_tokens, login

JSON = {"Content-Type": "application/json"}


class Body(BaseModel):
    n: int


RATE = "products.room_ac.eol.collection.rate"


def _post(client: Any, path: str, text: str, headers: dict[str, str] | None = None
          ) -> httpx.Response:
    res: httpx.Response = client.post(path, content=text, headers={**JSON, **(headers or {})})
    return res


def _refused(res: httpx.Response, path: str, key: str) -> None:
    """The one error shape: problem+json, code json-duplicate-key, the key and its object."""
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    doc = res.json()
    assert doc["code"] == "json-duplicate-key", doc
    assert repr(key) in doc["detail"] and "twice" in doc["detail"]
    (err,) = doc["errors"]
    assert (err["path"], err["type"], err["ctx"]) == (path, "json-duplicate-key",
                                                     {"key": repr(key)})


def _events(lot: str, *, twice: bool = False) -> str:
    extra = f'"lot": "{lot}-shadow", ' if twice else ""
    return ('{"events": [{"type": "create", ' + extra + f'"lot": "{lot}", "material": "scrap", '
            '"mass_kg": 10, "cfp": {"total": 2}}]}')


def test_a_repeated_key_is_refused_on_every_router(app_client: TestClient) -> None:
    """Trace (a list of events, and a sync endpoint), models (run overrides), the policy
    registry (a router included in another), clients and the public sign-in: each refuses
    the repeat naming where it is, and takes the same body given each key once."""
    a, _ = demo_tokens(app_client)
    mid = next(m["id"] for m in app_client.get("/api/models", headers=a).json()
               if m["name"] == "compressor_magnet")
    _refused(_post(app_client, "/api/trace/events", _events("L1", twice=True), a),
             "events[0]", "lot")
    assert app_client.get("/api/trace/lots/L1-shadow", headers=a).status_code == 404
    assert _post(app_client, "/api/trace/events", _events("L1"), a).status_code == 200

    grant = ('{"grantee": "Nobody", "grantee": "Partner Recycling", "lots": ["L1"], '
             '"fields": ["cfp"], "purpose": "due diligence", '
             '"expires_at": "2099-01-01T00:00:00Z"}')
    _refused(_post(app_client, "/api/trace/agreements", grant, a), "", "grantee")
    ok = _post(app_client, "/api/trace/agreements", grant.replace('"grantee": "Nobody", ', ""),
               a)
    assert ok.status_code == 200, ok.text

    run = f'{{"overrides": {{"{RATE}": 0.8, "{RATE}": 0.1}}}}'
    _refused(_post(app_client, f"/api/models/{mid}/runs", run, a), "overrides", RATE)
    assert app_client.get("/api/runs", headers=a).json() == []  # nothing was queued
    ok = _post(app_client, f"/api/models/{mid}/runs", run.replace(f', "{RATE}": 0.1', ""), a)
    assert ok.status_code == 202, ok.text

    panel = ('{"name": "PV-A", "technology": "c-Si", "mass_kg": 20, "glass_share": 0.75, '
             '"mass_kg": 2000}')
    base = "/api/policy/solar/registry/models"
    _refused(_post(app_client, base, panel, a), "", "mass_kg")
    ok = _post(app_client, base, panel.replace(', "mass_kg": 2000', ""), a)
    assert ok.status_code == 201, ok.text

    login(app_client)  # a session: the clients route
    _refused(_post(app_client, "/api/clients", '{"name": "erp", "name": "mes"}'), "", "name")
    assert _post(app_client, "/api/clients", '{"name": "erp"}').status_code == 201
    app_client.cookies.clear()
    sign_in = '{"email": "demo@junkan.local", "password": "x", "password": "y"}'
    _refused(_post(app_client, "/api/session", sign_in), "", "password")


def test_the_schema_refusing_the_body_too_still_names_the_repeat(app_client: TestClient
                                                                  ) -> None:
    a, _ = demo_tokens(app_client)
    res = _post(app_client, "/api/trace/agreements", '{"grantee": "x", "grantee": "y"}', a)
    _refused(res, "", "grantee")  # the last value would be refused as missing fields


def test_who_is_not_signed_in_gets_401_as_before(app_client: TestClient) -> None:
    """The authorisation check still comes first: the body is judged after it."""
    a, _ = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    for path, text in [("/api/trace/events", _events("L2", twice=True)),
                       (f"/api/models/{mid}/runs", '{"overrides": {}, "overrides": {}}'),
                       ("/api/trace/agreements", '{"grantee": "x", "grantee": "y"}')]:
        res = _post(app_client, path, text)
        assert res.status_code == 401, res.text
        assert res.json()["code"] == "sign-in"
        bad = _post(app_client, path, text, {"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["code"] == "token-invalid"
    login(app_client)  # a session without the CSRF header: 403 as before
    del app_client.headers["X-Junkan-CSRF"]
    res = _post(app_client, "/api/trace/agreements", '{"grantee": "x", "grantee": "y"}')
    assert res.status_code == 403 and res.json()["code"] == "csrf"


def test_a_body_that_is_no_json_keeps_its_answer(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    res = _post(app_client, "/api/trace/agreements", '{"grantee": ', a)
    assert res.status_code == 422 and res.json()["errors"][0]["type"] == "json_invalid"
    # review 219: "JSON decode error" at the path "[1]" (the character's offset)
    error = res.json()["errors"][0]
    assert error["path"] == "" and error["message"].startswith("the body is not JSON: ")
    assert error["message"].endswith("at character 12"), error


def test_the_routes_of_a_router_an_endpoint_reading_json_itself_and_sync_endpoints() -> None:
    """Without the service: routers made by ``strict_router``, an included router, an
    endpoint that calls ``request.json()`` itself, a sync endpoint (run in a thread), and the
    endpoint's signature kept (the OpenAPI body is the model's)."""
    from junkan.api import errors
    from junkan.api.request_json import loose_routes, strict_router

    router, inner = strict_router(), strict_router()
    seen: list[Any] = []

    @router.post("/sync")
    def sync(body: Body) -> dict[str, int]:
        seen.append(body.n)
        return {"n": body.n}

    @inner.post("/inner")
    async def inner_route(body: Body) -> dict[str, int]:
        seen.append(body.n)
        return {"n": body.n}

    router.include_router(inner)

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        doc = await request.json()
        seen.append(doc)
        return dict(doc)

    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    with TestClient(app) as c:
        for path in ("/sync", "/inner", "/raw"):
            _refused(_post(c, path, '{"n": 1, "n": 2}'), "", "n")
            _refused(_post(c, path, '{"a": [{"n": 1, "n": 2}]}'), "a[0]", "n")
            assert _post(c, path, '{"n": 3}').json() == {"n": 3}
        assert _post(c, "/sync", '{"n": 4}').json() == {"n": 4}
        body = app.openapi()["paths"]["/sync"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Body"}
    assert seen == [3, 3, {"n": 3}, 4]
    assert loose_routes(router) == []
    plain = APIRouter()

    @plain.post("/plain")
    def plain_route(body: Body) -> dict[str, int]:
        return {"n": body.n}

    assert loose_routes(plain) == ["POST /plain"]


def test_every_router_of_the_service_is_strict() -> None:
    """The service refuses to start with a route whose JSON body would keep the last of a
    repeated key: every router in ``ROUTERS`` is made by ``strict_router``."""
    from junkan.api.request_json import loose_routes
    from junkan.api.routers import ROUTERS

    assert ROUTERS and all(loose_routes(r) == [] for r in ROUTERS)


def test_pact_events_refuse_a_repeated_key(tmp_path: Path) -> None:
    """The PACT host reads its event bodies itself: a repeat is a 400 BadRequest (PACT's
    error shape) naming the key; a bad token is told first, as before."""
    from junkan.api.pact import create_pact_app
    from junkan.core.outbound import OutboundPolicy
    from junkan.store.db import Settings
    from tests.trace.test_pact import _member, _store

    url = f"sqlite:///{tmp_path / 'pact.db'}"
    store = _store(url)
    cid, secret = store.create_client(_member(store, "org-P").id, "pact")
    app = create_pact_app(Settings(database_url=url), partners={},
                          outbound=OutboundPolicy(allow_private=True, allow_http=True))
    event = ('{"specversion": "1.0", "id": "e1", "source": "https://x.example.com", '
             '"type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3", '
             '"data": {"pfIds": ["123e4567-e89b-12d3-a456-426614174000"]}}')
    twice = event.replace('"data": {', '"data": {"pfIds": [], ')
    with TestClient(app) as c:
        tok = c.post("/auth/token", data={"grant_type": "client_credentials"},
                     auth=(cid, secret)).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}", "Content-Type": "application/cloudevents+json"}
        res = c.post("/3/events", content=twice, headers=h)
        assert res.status_code == 400, res.text
        assert res.json()["code"] == "BadRequest"
        assert "'pfIds'" in res.json()["message"] and "at data" in res.json()["message"]
        assert c.post("/3/events", content=event, headers=h).status_code == 200
        bad = c.post("/3/events", content=twice, headers={**h, "Authorization": "Bearer no"})
        assert bad.status_code == 400 and bad.json()["message"] == "Invalid token provided"
        deep = c.post("/3/events", content="[" * 5000 + "]" * 5000, headers=h)
        assert deep.status_code == 400 and deep.json()["message"] == "body is not JSON"


def test_the_reader_reads_as_json_loads_and_names_the_repeat_kept() -> None:
    """One reading for a body with no repeat; the errors of ``json.loads`` unchanged (FastAPI
    answers them: 422 json_invalid, 400 body-unreadable)."""
    from junkan.core.documents import loads_with_repeat

    assert loads_with_repeat(b'\xef\xbb\xbf{"a": [1, {"b": null}]}') == ({"a": [1, {"b": None}]},
                                                                          None)
    data, repeat = loads_with_repeat('{"a": {"b": 1, "b": 2}, "a": 3}')
    assert data == {"a": 3} and repeat is not None  # the inner repeat went with its object
    assert (repeat.path, repeat.kind, repeat.limits) == ("", "json-duplicate-key", {"key": "'a'"})
    _, repeat = loads_with_repeat('{"x": [{}, {"y": {"z": 1, "z": 1}}]}'.encode("utf-16"))
    assert repeat is not None and repeat.path == "x[1].y"
    for bad in (b'{"a": ', b"\xff", b"[" * 5000 + b"]" * 5000, b'{"n": ' + b"9" * 5000 + b"}"):
        with pytest.raises(Exception) as plain:
            json.loads(bad)
        with pytest.raises(plain.type):
            loads_with_repeat(bad)


def test_a_query_giving_a_parameter_twice_is_refused(app_client: TestClient) -> None:
    """Past bug (review 223): ``?version=1&version=2`` was read as version 2. A parameter
    given twice is 422 ``query-duplicate-key`` naming it, also when its last value is
    refused as well; after 401 for who is not signed in; a list parameter may repeat."""
    a, _ = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    for query in ("version=1&version=2", "version=1&version=x", "q=a&q=b&version=1"):
        path = f"/api/models/{mid}" if "version" in query.split("&")[0] else "/api/models"
        res = app_client.get(f"{path}?{query}", headers=a)
        assert res.status_code == 422, (query, res.text)
        doc = res.json()
        key = query.split("=")[0]
        assert doc["code"] == "query-duplicate-key" and repr(key) in doc["detail"], doc
        (err,) = doc["errors"]
        assert (err["path"], err["type"], err["ctx"]) == (key, "query-duplicate-key",
                                                         {"key": repr(key)})
        assert app_client.get(f"{path}?{query}").status_code == 401
    assert app_client.get(f"/api/models/{mid}?version=1", headers=a).status_code == 200
    res = app_client.post("/api/indicators?framework=gri&framework=esrs", headers={
        **a, "Content-Type": "application/yaml"}, content="name: x\n")
    assert res.json().get("code") != "query-duplicate-key", res.text
