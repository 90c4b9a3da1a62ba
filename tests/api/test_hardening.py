"""Regression tests for the platform-hardening findings that live in the service itself
(one error shape, limits, quotas, deployment defaults), through the HTTP API on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.startup import production_problems
from junkan.store.db import Settings
from tests.api.conftest import demo_tokens, wait_run

PROBLEM = "application/problem+json"


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith(PROBLEM), res.headers
    body = res.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return dict(body)


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def test_every_error_is_problem_json(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    _problem(app_client.get("/api/models"), 401)
    _problem(app_client.get("/api/models/nope", headers=a), 404)
    bad = _problem(app_client.post("/api/models", headers={**a, "Content-Type":
                                                               "application/yaml"},
                                   content="name: [unclosed"), 422)
    assert bad["errors"] and "line" in bad["errors"][0]["message"]
    field = _problem(app_client.post("/api/foresight/models/japan_ce/run", headers=a,
                                     json={"n": "many"}), 422)
    assert field["errors"][0]["path"] == "n"
    _problem(app_client.request("PATCH", "/api/models", headers=a), 405)


def test_service_messages_and_schema_refusals_can_be_translated(
        app_client: TestClient, small: dict[str, Any]) -> None:
    """The page shows errors in its user's language: the service's own messages carry a
    ``code``, a field refused by a schema rule carries the rule (``type``) and its limits
    (``ctx``), never the submitted value; a domain message carries neither."""
    assert _problem(app_client.get("/api/models"), 401)["code"] == "sign-in"
    a, _ = demo_tokens(app_client)
    assert _problem(app_client.get("/api/nothing-here", headers=a), 404)["code"] == "http-404"
    low = _problem(app_client.post("/api/foresight/models/japan_ce/run", headers=a,
                                   json={"n": 3}), 422)
    assert low["code"] == "invalid-request"
    assert low["errors"][0]["type"] == "greater_than_equal"
    assert low["errors"][0]["ctx"] == {"ge": 10}
    text = _problem(app_client.post("/api/foresight/models/japan_ce/run", headers=a,
                                    json={"n": "many-many"}), 422)
    assert text["errors"][0]["type"] == "int_parsing" and "many-many" not in str(text)
    doc = dict(small)
    doc["products"] = {"widget": {**small["products"]["widget"],
                                  "lifetime": {"distribution": "fixed", "mean": -2}}}
    model = _problem(app_client.post("/api/models", headers={**a, "Content-Type":
                                                                  "application/yaml"},
                                     content=_yaml(doc)), 422)
    assert model["code"] == "invalid-model" and model["errors"][0]["message"].startswith("-2 has")
    # a domain rule with its code and figures (the page says it in Japanese)
    assert model["errors"][0]["type"] == "no-unit-for"
    assert model["errors"][0]["ctx"] == {"value": "-2", "unit": "year"}
    del doc["products"]["widget"]["lifetime"]["distribution"]
    missing = _problem(app_client.post("/api/models", headers={**a, "Content-Type":
                                                                    "application/yaml"},
                                       content=_yaml(doc)), 422)
    assert missing["errors"][0] == {"path": "products.widget.lifetime.distribution",
                                    "message": "required field is missing; add it",
                                    "type": "missing"}


def test_405_lists_every_method_of_the_resource(app_client: TestClient) -> None:
    res = app_client.request("PATCH", "/api/models")
    assert res.status_code == 405
    assert set(res.headers["allow"].split(", ")) == {"GET", "POST"}


def test_nan_in_a_body_is_refused_without_a_500(app_client: TestClient) -> None:
    res = app_client.post("/api/session", content='{"email": NaN, "password": Infinity}',
                          headers={"Content-Type": "application/json"})
    assert res.status_code == 422 and "NaN" not in res.text


def test_integers_beyond_range_are_422(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    mid = app_client.get("/api/models", headers=a).json()[0]["id"]
    _problem(app_client.get(f"/api/models/{mid}", headers=a,
                            params={"version": str(2**64)}), 422)
    _problem(app_client.post(f"/api/models/{mid}/runs", headers=a,
                             json={"version": 2**63}), 422)
    _problem(app_client.delete(f"/api/trace/agreements/{2**64}", headers=a), 422)


def test_body_above_the_limit_is_413_before_it_is_read(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}",
                              max_body_bytes=1000), seed=True)
    with TestClient(app) as c:
        a, _ = demo_tokens(c)
        res = c.post("/api/models", headers={**a, "Content-Type": "application/yaml"},
                     content="# " + "x" * 2000)
        assert _problem(res, 413)["detail"].startswith("the request body is larger than 1000")

        def chunks() -> Any:  # streamed without Content-Length
            for _ in range(10):
                yield b"# " + b"x" * 500 + b"\n"

        streamed = c.post("/api/models", headers={**a, "Content-Type": "application/yaml"},
                          content=chunks())
        _problem(streamed, 413)


def test_storage_quota_and_version_retention(tmp_path: Path, small: dict[str, Any]) -> None:
    text = _yaml(small)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}",
                              org_quota_bytes=10**9, version_retention=2), seed=True)
    with TestClient(app) as c:
        a, _ = demo_tokens(c)
        h = {**a, "Content-Type": "application/yaml"}
        mid = c.post("/api/models", headers=h, content=text).json()["id"]
        run = c.post(f"/api/models/{mid}/runs", headers=a, json={}).json()  # pins v1
        assert wait_run(c, run["id"], a)["status"] == "succeeded"
        for _ in range(3):
            assert c.put(f"/api/models/{mid}", headers=h, content=text).status_code == 200
        kept = [v["version"] for v in c.get(f"/api/models/{mid}/versions",
                                            headers=a).json()]
        assert kept == [1, 3, 4]  # the newest two, and v1 which a run used
        store = app.state.store
        store.quota_bytes = 1  # every organisation is now over its quota
        res = c.put(f"/api/models/{mid}", headers=h, content=text)
        assert "JUNKAN_ORG_QUOTA_BYTES" in _problem(res, 413)["detail"]
        _problem(c.post(f"/api/models/{mid}/runs", headers=a, json={}), 413)


def test_csv_export_neutralises_formulas(app_client: TestClient, small: dict[str, Any]) -> None:
    a, _ = demo_tokens(app_client)
    text = _yaml(small).replace("recycler", '"=HYPERLINK(1)"')  # an actor's name
    res = app_client.post("/api/models", headers={**a, "Content-Type": "application/yaml"},
                          content=text)
    assert res.status_code == 201, res.text
    run = app_client.post(f"/api/models/{res.json()['id']}/runs", headers=a, json={}).json()
    assert wait_run(app_client, run["id"], a)["status"] == "succeeded"
    csv = app_client.get(f"/api/runs/{run['id']}/tables/processes", headers=a).text
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv


def test_security_headers_and_offline_docs(app_client: TestClient) -> None:
    page = app_client.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in page.headers  # development: plain HTTP
    assert app_client.get("/api/health").headers["cache-control"] == "no-store"
    docs = app_client.get("/docs").text
    assert "cdn" not in docs.lower() and "/docs-assets/swagger-ui-bundle.js" in docs
    assert app_client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    redoc = app_client.get("/redoc").text
    assert "fonts.googleapis" not in redoc and "/docs-assets/redoc.standalone.js" in redoc


def test_openapi_documents_problem_json_for_errors(app_client: TestClient) -> None:
    doc = app_client.get("/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    upload = doc["paths"]["/api/models"]["post"]["responses"]
    assert PROBLEM in upload["422"]["content"] and PROBLEM in upload["413"]["content"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_health_reports_a_read_only_database(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    with TestClient(app) as c:
        assert c.get("/api/health").status_code == 200
        db.chmod(0o400)
        try:
            assert _problem(c.get("/api/health"), 503)["detail"] == \
                "the database file is read-only"
        finally:
            db.chmod(0o600)


def test_health_reports_a_read_only_database_file_flag(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """As root (CI), permission bits do not stop writes: the check reads os.access."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"))
    with TestClient(app) as c:
        monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
        assert _problem(c.get("/api/health"), 503)["detail"] == \
            "the database file is read-only"


def test_sqlite_file_is_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "j.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"), seed=True)
    with TestClient(app) as c:
        assert c.get("/api/health").status_code == 200
    for p in tmp_path.joinpath("fresh").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_production_mode_refuses_unsafe_starts(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    monkeypatch.delenv("JUNKAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("JUNKAN_KEY_FILE", raising=False)
    no_tls = production_problems(Settings(database_url=url, production=True))
    assert any("no TLS" in p for p in no_tls)
    assert any("JUNKAN_SECRET_KEY" in p for p in no_tls)  # signing keys need a master key
    monkeypatch.setenv("JUNKAN_SECRET_KEY", "a production secret of more than 32 characters")
    assert any("demo users" in p for p in
               production_problems(Settings(database_url=url, production=True,
                                            trusted_proxy="127.0.0.1"), seed=True))
    assert production_problems(Settings(database_url=url, production=True,
                                        trusted_proxy="127.0.0.1")) == []
    with pytest.raises(ValueError, match="never seeds"):
        create_app(Settings(database_url=url, production=True), seed=True)
    # a database that still holds the demo accounts is refused
    demo = f"sqlite:///{tmp_path / 'demo.db'}"
    with TestClient(create_app(Settings(database_url=demo), seed=True)):
        pass
    found = production_problems(Settings(database_url=demo, production=True,
                                         trusted_proxy="127.0.0.1"))
    assert any("demo account" in p for p in found)


@pytest.mark.usefixtures("standard_password_hashing")  # production refuses the cheap one
def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path: Path) -> None:
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD

    url = f"sqlite:///{tmp_path / 'p.db'}"
    with TestClient(create_app(Settings(database_url=url), seed=True)):
        pass  # the demo users exist; production mode itself never seeds
    app = create_app(Settings(database_url=url, production=True, trusted_proxy="127.0.0.1"))
    with TestClient(app, base_url="https://testserver") as c:
        res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert res.status_code == 200
        cookie = res.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert res.headers["strict-transport-security"].startswith("max-age=")


def test_admins_register_webhook_origins(app_client: TestClient) -> None:
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
    from tests.api.conftest import bearer

    a = bearer(app_client, DEMO_EMAIL, DEMO_PASSWORD)
    for private in ("https://127.0.0.1:9", "https://169.254.169.254", "https://10.0.0.1"):
        _problem(app_client.post("/api/admin/webhook-origins", headers=a,
                                 json={"origin": private}), 422)
    ok = app_client.post("/api/admin/webhook-origins", headers=a,
                         json={"origin": "https://hooks.example.com"})
    assert ok.status_code == 201, ok.text
    assert app_client.get("/api/admin/webhook-origins", headers=a).json() == {
        "origins": ["https://hooks.example.com"]}
    gone = app_client.request("DELETE", "/api/admin/webhook-origins", headers=a,
                              json={"origin": "https://hooks.example.com"})
    assert gone.status_code == 204
    _problem(app_client.request("DELETE", "/api/admin/webhook-origins", headers=a,
                                json={"origin": "https://hooks.example.com"}), 404)


def test_reading_a_model_never_validates_it_again(app_client: TestClient,
                                                  small: dict[str, Any]) -> None:
    """The card computed at upload answers every read: a version whose stored text no
    longer validates (edited in the database) still reads, from its card."""
    from sqlalchemy import update

    from junkan.store.tables import ModelVersion

    a, _ = demo_tokens(app_client)
    up = app_client.post("/api/models", headers={**a, "Content-Type": "application/yaml"},
                         content=_yaml(small))
    mid = up.json()["id"]
    store = app_client.app.state.store  # type: ignore[attr-defined]
    with store.db.session() as s:
        s.execute(update(ModelVersion).where(ModelVersion.model_id == mid)
                  .values(content="name: [not valid"))
    read = app_client.get(f"/api/models/{mid}", headers=a)
    assert read.status_code == 200, read.text
    assert read.json()["scenarios"] == ["baseline", "more_collection"]
