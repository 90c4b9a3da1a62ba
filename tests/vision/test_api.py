"""The vision routes: credentials, limits, problem+json, who may read or stop a job, the
evaluate route's confusion matrix and the rendered sample."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import cv2
from fastapi.testclient import TestClient
from tests.api.conftest import app_client, database_url, demo_tokens, wait_for  # noqa: F401

from junkan.api.routers.vision import MAX_IMAGES
from junkan.vision import RenderSpec, VisionModel, render, write_coco

BASE = "/api/vision"
SAMPLE = {"width": 320, "height": 256, "pieces": 8, "grain_mm": 40}


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def _png() -> str:
    img = render(RenderSpec(width=320, height=256, pieces=6, grain_mm=40), seed=1).image
    return base64.b64encode(cv2.imencode(".png", img)[1].tobytes()).decode()


def test_vision_routes(app_client: TestClient, small_model: VisionModel) -> None:  # noqa: F811
    body = {
        "model": json.dumps(small_model.document()),
        "images": [{"name": "a.png", "data": _png(), "mm_per_px": 0.8}],
    }
    _problem(app_client.post(f"{BASE}/predict", json=body), 401)
    _problem(app_client.get(f"{BASE}/jobs/abc"), 401)
    _problem(app_client.delete(f"{BASE}/jobs/abc"), 401)
    _problem(app_client.post(f"{BASE}/render", json=SAMPLE), 401)
    demo, partner = demo_tokens(app_client)
    too_many = {**body, "images": body["images"] * (MAX_IMAGES + 1)}
    _problem(app_client.post(f"{BASE}/predict", json=too_many, headers=demo), 422)
    bad = {**body, "images": [{"name": "x", "data": "***", "mm_per_px": 0.8}]}
    _problem(app_client.post(f"{BASE}/predict", json=bad, headers=demo), 422)
    both = {**body, "sample": SAMPLE}
    _problem(app_client.post(f"{BASE}/predict", json=both, headers=demo), 422)
    res = app_client.post(f"{BASE}/predict", json=body, headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    done = wait_for(app_client, f"{BASE}/jobs/{job['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    image = done["result"]["images"][0]
    assert image["image"] == "a.png"
    assert all(len(p["outline_px"]) >= 3 for p in image["pieces"])
    _problem(app_client.get(f"{BASE}/jobs/{job['id']}", headers=partner), 404)
    _problem(app_client.delete(f"{BASE}/jobs/{job['id']}", headers=partner), 404)
    listed = app_client.get(f"{BASE}/jobs", headers=demo).json()
    assert job["id"] in [j["id"] for j in listed] and "result" not in listed[0]
    assert app_client.get(f"{BASE}/jobs", headers=partner).json() == []
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


def test_sample_render_evaluate_and_cancel(
    app_client: TestClient,  # noqa: F811
    small_model: VisionModel,
    tmp_path: Path,
) -> None:
    demo, _ = demo_tokens(app_client)
    model = json.dumps(small_model.document())
    drawn = app_client.post(f"{BASE}/render", json={**SAMPLE, "seed": 5}, headers=demo)
    assert drawn.status_code == 200, drawn.text
    doc = drawn.json()
    assert (doc["width"], doc["height"]) == (320, 256) and len(doc["truth"]) == 8
    img = cv2.imdecode(
        __import__("numpy").frombuffer(base64.b64decode(doc["image_png_base64"]), "uint8"), 1
    )
    assert img.shape == (256, 320, 3)
    _problem(app_client.post(f"{BASE}/render", json={**SAMPLE, "width": 10}, headers=demo), 422)
    # predict on a rendered sample: the result carries the frame and its truth
    res = app_client.post(f"{BASE}/predict", json={"model": model, "sample": SAMPLE}, headers=demo)
    done = wait_for(app_client, f"{BASE}/jobs/{res.json()['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["sample"]["truth"] and done["result"]["images"][0]["pieces"]
    # evaluate on held-out renders: the confusion matrix
    ev = {"model": model, "sample": {**SAMPLE, "frames": 2, "seed": 700}, "interval_s": 1.0}
    res = app_client.post(f"{BASE}/evaluate", json=ev, headers=demo)
    assert res.status_code == 202, res.text
    done = wait_for(app_client, f"{BASE}/jobs/{res.json()['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    out = done["result"]
    assert out["groups"] == ["wrought", "cast", "copper", "other"]
    assert sum(map(sum, out["confusion"])) == out["matched"] <= out["pieces"] == 16
    _problem(app_client.post(f"{BASE}/evaluate", json={"model": model}, headers=demo), 422)
    # evaluate on an uploaded COCO set; a file name outside the sent images is refused
    frames = [render(RenderSpec(**SAMPLE), seed=800)]
    coco = json.loads(write_coco(frames, tmp_path).read_text())
    png = base64.b64encode((tmp_path / "images" / "frame_00000.png").read_bytes()).decode()
    sent = [{"name": "images/frame_00000.png", "data": png, "mm_per_px": 0.8}]
    res = app_client.post(
        f"{BASE}/evaluate", json={"model": model, "coco": coco, "images": sent}, headers=demo
    )
    done = wait_for(app_client, f"{BASE}/jobs/{res.json()['id']}", demo, 120)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["pieces"] == 8
    coco["images"][0]["file_name"] = "../../etc/passwd"
    res = app_client.post(
        f"{BASE}/evaluate", json={"model": model, "coco": coco, "images": sent}, headers=demo
    )
    failed = wait_for(app_client, f"{BASE}/jobs/{res.json()['id']}", demo, 120)
    assert failed["status"] == "failed" and "not among the sent images" in failed["error"]
    # cancel: a long evaluation stopped by its starter ends as failed, "cancelled"
    long = {**ev, "sample": {"frames": 24, "seed": 900}}
    job = app_client.post(f"{BASE}/evaluate", json=long, headers=demo).json()
    stopped = app_client.delete(f"{BASE}/jobs/{job['id']}", headers=demo)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "failed" and "cancelled" in stopped.json()["error"]
