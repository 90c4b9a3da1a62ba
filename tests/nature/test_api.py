"""``/api/nature/jobs``: authorisation, limits, problem+json errors, the sample job, who may
see a job, the raster folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import app_client, database_url, demo_tokens, wait_for  # noqa: F401

BASE = "/api/nature/jobs"


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return dict(res.json())


def test_needs_credentials(app_client: TestClient) -> None:  # noqa: F811
    _problem(app_client.post(f"{BASE}?kind=assess", json={"sample": {}}), 401)
    _problem(app_client.get(BASE), 401)
    _problem(app_client.get(f"{BASE}/abc"), 401)


def test_sample_job_and_who_sees_it(app_client: TestClient, database_url: str) -> None:  # noqa: F811
    demo, partner = demo_tokens(app_client)
    res = app_client.post(f"{BASE}?kind=assess", json={"sample": {"size": 60}}, headers=demo)
    assert res.status_code == 202, res.text
    job = res.json()
    done = wait_for(app_client, f"{BASE}/{job['id']}", demo, timeout=240)
    assert done["status"] == "succeeded", done["error"]
    assert done["kind"] == "nature.assess"
    assert [a["id"] for a in done["result"]["areas"]] == ["A", "B", "C"]
    for a in done["result"]["areas"]:  # the page draws the areas at their centroids
        assert 107 < a["centroid"]["lon"] < 109 and 12 < a["centroid"]["lat"] < 13.5
        assert a["C3.0"]["total_withdrawal_m3"] > 0 and "years" in a["flood"]
    _problem(app_client.get(f"{BASE}/{job['id']}", headers=partner), 404)
    assert app_client.get(BASE, headers=partner).json() == []
    assert [j["id"] for j in app_client.get(BASE, headers=demo).json()] == [job["id"]]
    # the LEAP report of the stored result: the caller's only, with limits on its query
    report = f"{BASE}/{job['id']}/report"
    if database_url.startswith("sqlite"):  # rendering does not touch the store: once is enough
        pdf = app_client.get(f"{report}?lang=en&format=pdf", headers=demo)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
        assert f"nature-report-{job['id']}-en.pdf" in pdf.headers["content-disposition"]
        html = app_client.get(f"{report}?lang=ja&format=html", headers=demo)
        assert html.status_code == 200, html.text
        # one file: its charts carry plotly.js inside, not a file beside it
        assert 'id="figure-1"' in html.text and 'src="plotly.min.js"' not in html.text
        assert "Plotly" in html.text[:6_000_000]
    _problem(app_client.get(report, headers=partner), 404)
    _problem(app_client.get(report), 401)
    _problem(app_client.get(f"{report}?lang=fr", headers=demo), 422)
    _problem(app_client.get(f"{report}?format=docx", headers=demo), 422)
    _problem(app_client.get(f"{BASE}/{'x' * 65}/report", headers=demo), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"sample": {"size": 10**6}},
        {"sample": {}, "assessment": {"areas": "a"}},
        {},
        {"sample": {}, "extra": 1},
        {"assessment": {f"k{i}": i for i in range(41)}},
    ],
)
def test_limits(app_client: TestClient, body: dict[str, Any]) -> None:  # noqa: F811
    demo, _ = demo_tokens(app_client)
    _problem(app_client.post(f"{BASE}?kind=assess", json=body, headers=demo), 422)
    _problem(app_client.post(f"{BASE}?kind=nonsense", json={"sample": {}}, headers=demo), 422)


def test_assessment_needs_the_raster_folder(
    app_client: TestClient,  # noqa: F811
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo, _ = demo_tokens(app_client)
    doc = {"areas": "areas.geojson", "scenes": [{"path": "scene_2019.tif", "date": "2019-06-15"}]}
    monkeypatch.delenv("JUNKAN_NATURE_ROOT", raising=False)
    msg = _problem(
        app_client.post(f"{BASE}?kind=assess", json={"assessment": doc}, headers=demo), 422
    )
    assert "JUNKAN_NATURE_ROOT" in msg["detail"]
    root = tmp_path / "root"
    shutil.copytree(sample.parent, root)
    monkeypatch.setenv("JUNKAN_NATURE_ROOT", str(root))
    bad = {**doc, "areas": "../../etc/passwd"}
    job = app_client.post(f"{BASE}?kind=assess", json={"assessment": bad}, headers=demo)
    done = wait_for(app_client, f"{BASE}/{job.json()['id']}", demo, timeout=120)
    assert done["status"] == "failed" and "points outside" in done["error"]
    msg = _problem(app_client.get(f"{BASE}/{done['id']}/report", headers=demo), 409)
    assert "failed" in msg["detail"]
