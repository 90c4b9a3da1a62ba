"""Every JSON request body refuses a field it does not know (422 ``extra_forbidden`` naming
the field), so a misspelt field is an error instead of being dropped: ``{"disable": true}``
once answered 200 and left the user enabled, ``"overides"`` ran without the overrides.

The rule is checked on the OpenAPI document, which lists every route of the service: every
object schema a JSON body reaches that declares its fields must say
``additionalProperties: false``. A body that is a free-form object is a document checked by
its own schema after reading, and is listed here with the reason (:data:`DOCUMENTS`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.common import UPLOAD_BODY
from junkan.api.errors import install
from junkan.api.routers.nature_checklist import BODY as CHECKLIST_BODY
from junkan.store.db import Settings

from .conftest import login, store_url

DOCUMENTS = {
    ("post", "/api/trace/witness"):
        "the checkpoint a partner kept, posted back as GET /api/trace/checkpoints gave it; "
        "its fields are checked against the signature",
    ("post", "/api/sensing/connections"):
        "read by validate_with(LineSource), a core Strict schema (unknown fields refused)",
}
"""Free-form JSON bodies besides the document uploads (``UPLOAD_BODY``, the checklist's
``BODY``: YAML or JSON documents checked by their capability's strict schemas)."""
UPLOADS = (UPLOAD_BODY["requestBody"], CHECKLIST_BODY["requestBody"])


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = store_url("sqlite", tmp_path_factory.mktemp("openapi"))
    return dict(create_app(Settings(database_url=url), seed=False).openapi())


def _json_bodies(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(method, path, schema, upload) of every JSON request body."""
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody") or {}
            for media, content in body.get("content", {}).items():
                if media == "application/json" or media.endswith("+json"):
                    yield method, path, content.get("schema", {}), body in UPLOADS


def _open_objects(spec: dict[str, Any], schema: dict[str, Any], where: str,
                  seen: set[str]) -> Iterator[str]:
    """Where an object schema reachable from ``schema`` declares fields yet admits others."""
    ref = schema.get("$ref")
    if ref:
        if ref in seen:
            return
        seen.add(ref)
        name = ref.rsplit("/", 1)[-1]
        yield from _open_objects(spec, spec["components"]["schemas"][name], name, seen)
        return
    if "properties" in schema and schema.get("additionalProperties") is not False:
        yield where
    subs: list[tuple[str, Any]] = [(f"{where}.{k}", v)
                                   for k, v in schema.get("properties", {}).items()]
    subs += [(f"{where}[]", schema.get("items")), (f"{where}{{}}",
                                                   schema.get("additionalProperties"))]
    subs += [(where, s) for k in ("anyOf", "oneOf", "allOf", "prefixItems")
             for s in schema.get(k, ())]
    for at, sub in subs:
        if isinstance(sub, dict):
            yield from _open_objects(spec, sub, at, seen)


def _free_form(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether the body is an object whose fields are not declared."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema.get("type") == "object" and "properties" not in schema \
        and schema.get("additionalProperties") is not False


def test_no_json_body_admits_unknown_fields(spec: dict[str, Any]) -> None:
    """A body model that does not forbid extra fields (``junkan.core.base.Strict`` does)
    fails here, wherever its route is and however deep the model sits in the body."""
    open_ = [f"{m.upper()} {p}: {where}" for m, p, schema, _ in _json_bodies(spec)
             for where in _open_objects(spec, schema, "body", set())]
    assert not open_, "request bodies that ignore unknown fields (derive them from " \
                      "junkan.core.base.Strict):\n" + "\n".join(open_)
    free = {(m, p) for m, p, schema, upload in _json_bodies(spec)
            if not upload and _free_form(spec, schema)}
    listed = set(DOCUMENTS)
    assert free <= listed, f"free-form JSON bodies without a reason: {free - listed}"
    assert listed <= free, f"listed documents no longer free-form: {listed - free}"


def test_every_model_body_refuses_an_unknown_field(app_client: TestClient,
                                                   spec: dict[str, Any]) -> None:
    """Each route with a declared body answers 422 naming the unknown field (before it
    looks for the record its path names)."""
    login(app_client)
    routes = [(m, p) for m, p, schema, _ in _json_bodies(spec) if "$ref" in str(schema)]
    assert len(routes) > 40
    wrong = []
    for method, path in routes:
        res = app_client.request(method.upper(), re.sub(r"\{[^}]+\}", "x", path),
                                 json={"zz_unknown": 1})
        errors = res.json().get("errors", []) if res.status_code == 422 else []
        if not any(e["path"] == "zz_unknown" and e.get("type") == "extra_forbidden"
                   for e in errors):
            wrong.append(f"{method.upper()} {path}: {res.status_code} {res.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_a_misspelt_field_leaves_the_user_enabled(app_client: TestClient) -> None:
    login(app_client)
    made = app_client.post("/api/admin/users", json={"email": "typo@example.org"})
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    res = app_client.patch(f"/api/admin/users/{uid}", json={"disable": True})
    assert res.status_code == 422, res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json()["code"] == "invalid-request"
    assert [(e["path"], e["type"]) for e in res.json()["errors"]] == [
        ("disable", "extra_forbidden")]
    users = {u["id"]: u for u in app_client.get("/api/admin/users").json()}
    assert users[uid]["disabled"] is False
    assert app_client.patch(f"/api/admin/users/{uid}",
                            json={"disabled": True}).json()["disabled"] is True


def test_a_misspelt_overrides_is_no_run_without_them(app_client: TestClient) -> None:
    login(app_client)
    mid = app_client.get("/api/models").json()[0]["id"]
    res = app_client.post(f"/api/models/{mid}/runs",
                          json={"scenario": "B", "overides": {"x": 1}})
    assert res.status_code == 422, res.text
    assert [e["path"] for e in res.json()["errors"]] == ["overides"]


@pytest.mark.parametrize(("content", "ctype"), [
    (b"erp", "text/plain"), (b"<client name='erp'/>", "application/xml"),
    (b'{"name": "erp", "scope": "admin"}', "application/json"), (b"[]", "application/json")])
def test_a_new_client_takes_its_name_or_nothing(app_client: TestClient, content: bytes,
                                                ctype: str) -> None:
    """``POST /api/clients``: the body is ``{"name"}`` (docs/security.md) or none."""
    login(app_client)
    res = app_client.post("/api/clients", content=content, headers={"Content-Type": ctype})
    assert res.status_code == 422, res.text
    assert app_client.get("/api/clients").json() == []
    assert app_client.post("/api/clients").status_code == 201
    assert app_client.post("/api/clients", json={"name": "erp"}).status_code == 201
    assert sorted(c["name"] for c in app_client.get("/api/clients").json()) == ["api", "erp"]


def test_a_live_line_refuses_an_unknown_field(app_client: TestClient) -> None:
    """The free-form body of ``DOCUMENTS`` is checked by a strict schema all the same."""
    login(app_client)
    res = app_client.post("/api/sensing/connections", json={
        "source": {"kind": "mqtt", "url": "mqtt://broker.example:1883", "topic": "t"},
        "zz_unknown": 1})
    assert res.status_code == 422, res.text
    assert any(e["path"].endswith("zz_unknown") for e in res.json()["errors"]), res.text


def test_a_megabyte_key_is_not_echoed(app_client: TestClient) -> None:
    """A refused key is part of the error's path, which is cut at 300 characters."""
    login(app_client)
    res = app_client.post("/api/trace/events", json={"Q" * 1_000_000: 1})
    assert res.status_code == 422, res.text[:300]
    assert len(res.content) < 5_000
    paths = [e["path"] for e in res.json()["errors"] if e["path"].startswith("Q")]
    assert paths and all(p.startswith("Q" * 300) and len(p) < 340 for p in paths), paths


@pytest.mark.parametrize(("content", "ctype"), [
    (b'{"' + b"K" * 60_000 + b'": 1}', "application/json"),
    (b"scientific_name," + b"K" * 60_000 + b"\nParus minor,x\n", "text/csv"),
    (b'[{"scientific_name": ' + b"[" + b"1," * 30_000 + b"1]}]", "application/json")])
def test_a_checklist_does_not_echo_what_it_refuses(app_client: TestClient, content: bytes,
                                                   ctype: str) -> None:
    login(app_client)
    res = app_client.put("/api/nature/survey/checklist", content=content,
                         headers={"Content-Type": ctype})
    assert res.status_code == 422, res.text[:300]
    detail = res.json()["detail"]
    assert len(detail) < 400 and "…" in detail, detail[:500]  # quoted by junkan.core.short


def test_a_route_message_is_cut() -> None:
    """Whatever a route's message quotes, the answer's ``detail`` stays under about
    1,000 characters."""
    app = FastAPI()
    install(app)

    @app.get("/echo")
    def echo() -> None:
        raise HTTPException(422, "unknown key " + "K" * 50_000)

    detail = TestClient(app).get("/echo").json()["detail"]
    assert detail.startswith("unknown key KKK") and len(detail) < 1_100


def test_a_refused_document_is_named_without_the_service_s_folders() -> None:
    """A refusal names the document it refused (``document``), as read: a document read from
    a file of the service is named by the file's name alone, never its folders."""
    from junkan.core.errors import ModelError, Problem

    app = FastAPI()
    install(app)

    @app.get("/bad/{how}")
    def bad(how: str) -> None:
        source = {"file": "/srv/junkan/private/models/x.yaml", "win": "C:\\data\\y.csv",
                  "none": None}[how]
        raise ModelError([Problem("a", "wrong")], source)

    client = TestClient(app)
    assert client.get("/bad/file").json()["document"] == "x.yaml"
    assert client.get("/bad/win").json()["document"] == "y.csv"
    assert "document" not in client.get("/bad/none").json()
    assert "/srv" not in client.get("/bad/file").text
