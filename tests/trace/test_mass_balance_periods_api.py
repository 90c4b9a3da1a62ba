"""Over HTTP, a batch's ``?period=`` that ended before the request is refused (review
2026-12-03, #3: ``?period=1999Q1`` was booked), naming the event, the period and the time;
the quarter of the request is taken."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from junkan.trace import period_of
from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401


def test_a_batch_period_that_ended_is_refused(app_client: TestClient) -> None:  # noqa: F811
    a, _ = demo_tokens(app_client)
    scrap = {"type": "create", "lot": "P-R", "material": "PE", "mass_kg": 1000,
             "cfp": {"total": 2000}, "recycled": {"post_consumer": 0.5}, "site": "plant"}
    res = app_client.post("/api/trace/events?period=1999Q1", json={"events": [scrap]},
                          headers=a)
    assert res.status_code == 422, res.text
    assert "events[0] (create P-R): period: 1999Q1 ended at 1999-04-01T00:00:00+00:00, " \
           f"before the event's time {datetime.now(UTC).year}" in res.json()["detail"]
    assert app_client.get("/api/trace/mass-balance?site=plant", headers=a).json()["accounts"] == []
    now = period_of(datetime.now(UTC))
    res = app_client.post(f"/api/trace/events?period={now}", json={"events": [scrap]},
                          headers=a)
    assert res.status_code == 200, res.text
    doc = app_client.get("/api/trace/mass-balance?site=plant", headers=a).json()
    assert [x["period"] for x in doc["accounts"]] == [now]
