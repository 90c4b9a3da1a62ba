"""The vision routes: credentials, limits, problem+json, and who may read a job."""

from __future__ import annotations

import base64
from typing import Any

import cv2
from fastapi.testclient import TestClient
from tests.api.conftest import app_client, database_url, demo_tokens, wait_for  # noqa: F401

from junkan.api.routers.vision import MAX_IMAGES
from junkan.vision import RenderSpec, VisionModel, render

BASE = "/api/vision"


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def _png() -> str:
    img = render(RenderSpec(width=320, height=256, pieces=6, grain_mm=40), seed=1).image
    return base64.b64encode(cv2.imencode(".png", img)[1].tobytes()).decode()


def test_vision_routes(app_client: TestClient, small_model: VisionModel) -> None:  # noqa: F811
    import json

    body = {
        "model": json.dumps(small_model.document()),
        "images": [{"name": "a.png", "data": _png(), "mm_per_px": 0.8}],
    }
    _problem(app_client.post(f"{BASE}/predict", json=body), 401)
    _problem(app_client.get(f"{BASE}/jobs/abc"), 401)
    demo, partner = demo_tokens(app_client)
    too_many = {**body, "images": body["images"] * (MAX_IMAGES + 1)}
    _problem(app_client.post(f"{BASE}/predict", json=too_many, headers=demo), 422)
    bad = {**body, "images": [{"name": "x", "data": "***", "mm_per_px": 0.8}]}
    _problem(app_client.post(f"{BASE}/predict", json=bad, headers=demo), 422)
    res = app_client.post(f"{BASE}/predict", json=body, headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    done = wait_for(app_client, f"{BASE}/jobs/{job['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["images"][0]["image"] == "a.png"
    _problem(app_client.get(f"{BASE}/jobs/{job['id']}", headers=partner), 404)
    grey = base64.b64encode(
        cv2.imencode(
            ".png",
            cv2.cvtColor(
                render(RenderSpec(width=320, height=256), seed=2).image, cv2.COLOR_BGR2GRAY
            ),
        )[1].tobytes()
    ).decode()
    res = app_client.post(
        f"{BASE}/predict",
        headers=demo,
        json={**body, "images": [{"name": "g.png", "data": grey, "mm_per_px": 0.8}]},
    )
    failed = wait_for(app_client, f"{BASE}/jobs/{res.json()['id']}", demo, 120)
    assert failed["status"] == "failed" and "grayscale" in failed["error"]
