"""The metering routes: authorisation per route, limits, problem+json errors, work in a worker."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.metering import PHOTO_MODELS, compressor_day, render
from junkan.store.db import Settings

pytestmark = pytest.mark.slow
ROUTES = [
    ("GET", "/api/metering/reference"),
    ("POST", "/api/metering/run"),
    ("POST", "/api/metering/demo"),
    ("POST", "/api/metering/identify"),
    ("POST", "/api/metering/export"),
]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("api") / "j.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"), seed=True)
    with TestClient(app) as c:
        yield c


def _login(c: TestClient) -> None:
    res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert res.status_code == 200, res.text
    c.headers["X-Junkan-CSRF"] = "1"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_each_metering_route_needs_credentials(client: TestClient, method: str, path: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-Junkan-CSRF", None)
    for headers in ({}, {"Authorization": "Bearer forged"}):
        res = client.request(method, path, headers=headers, json={})
        assert res.status_code == 401, (method, path, res.text)
        assert res.headers["content-type"].startswith(PROBLEM)


def test_reference_and_limits(client: TestClient, tmp_path: Path) -> None:
    _login(client)
    ref = client.get("/api/metering/reference").json()
    assert ref["grid_kg_per_kwh"]["value"] == pytest.approx(0.423)
    assert "MOE/METI" in ref["grid_kg_per_kwh"]["source"]
    for path, body in (
        ("/api/metering/demo", {"units": 1000}),
        ("/api/metering/run", {"circuits": {}, "readings_csv": ""}),
        ("/api/metering/run", {"circuits": {}, "readings_csv": "x", "grid_s": 1e9}),
        ("/api/metering/identify", {"image_b64": "!!!!"}),
        ("/api/metering/export", {"factors": []}),
    ):
        res = client.post(path, json=body)
        assert res.status_code == 422, (path, res.text)
        assert res.headers["content-type"].startswith(PROBLEM)
    res = client.post("/api/metering/demo", json={"units": 2, "seed": 1})
    assert res.status_code == 200, res.text
    assert set(res.json()["truth_kwh_per_step"]) == {
        "rotor_removal",
        "coil_extraction",
        "case_cutting",
        "demagnetising",
    }


def test_run_uploaded_day_and_bad_rows(client: TestClient) -> None:
    _login(client)
    day = compressor_day(n_units=3, seed=4)
    body = {
        "circuits": day.circuits,
        "readings_csv": day.readings.to_csv(index=False),
        "scans_csv": day.scans.to_csv(index=False),
    }
    res = client.post("/api/metering/run", json=body)
    assert res.status_code == 200, res.text
    doc = res.json()
    got = {r["step"]: r["kwh"] for r in doc["summary"]["steps"]}
    for step, kwh in day.truth_kwh_per_step().items():
        assert got[step] == pytest.approx(kwh, rel=0.05)
    assert doc["library"]["processes"] and doc["factors"]
    # bad input in the worker: a 422 naming the field
    res = client.post(
        "/api/metering/run", json={**body, "circuits": {"circuits": {"a": {"phases": 2}}}}
    )
    assert res.status_code == 422 and "phases" in res.json()["detail"]
    wide = "\n".join(line + ",x" if i else line for i, line in
                     enumerate(body["scans_csv"].splitlines()))
    res = client.post("/api/metering/run", json={**body, "scans_csv": wide})
    assert res.status_code == 422
    assert "scans_csv: line 2: 6 cells where the header has 5" in res.json()["detail"]
    exp = client.post("/api/metering/export", json={"factors": doc["factors"]})
    assert exp.status_code == 200 and len(exp.json()["processes"]) == len(doc["factors"])
    bad = client.post("/api/metering/export", json={"factors": [{"model": "x"}]})
    assert bad.status_code == 422 and "missing field" in bad.json()["detail"]


def test_identify_a_photo(client: TestClient) -> None:
    _login(client)
    png = render(PHOTO_MODELS[7], np.random.default_rng(9), "qr")
    res = client.post("/api/metering/identify", json={"image_b64": base64.b64encode(png).decode()})
    assert res.status_code == 200, res.text
    assert res.json()["model"] == PHOTO_MODELS[7].model
    res = client.post(
        "/api/metering/identify", json={"image_b64": base64.b64encode(b"xx").decode()}
    )
    assert res.status_code == 422 and "not a readable image" in res.json()["detail"]
    # under its rule, so the page says it in its language (it was English on the ja page)
    assert [e.get("type") for e in res.json()["errors"]] == ["image-unreadable"]


def test_identify_refuses_catalogue_vectors_of_the_wrong_length(client: TestClient) -> None:
    _login(client)
    png = render(PHOTO_MODELS[3], np.random.default_rng(9), "none")
    res = client.post("/api/metering/identify", json={
        "image_b64": base64.b64encode(png).decode(),
        "catalogue": {"models": [{"model": "X", "shape": [[1, 2, 3]]}]}})
    assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)
    assert res.json()["detail"].startswith("catalogue.models[0].shape: expected outline feature "
                                           "vectors of 333 finite numbers each")
