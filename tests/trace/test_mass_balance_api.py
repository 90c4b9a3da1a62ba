"""Mass balance over HTTP (SQLite and PostgreSQL): an explicit period on the events route,
the statement as JSON and CSV (your organisation's accounts only), clear refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401


def test_statement_and_periods_over_http(app_client: TestClient) -> None:  # noqa: F811
    a, b = demo_tokens(app_client)
    scrap = {"type": "create", "lot": "MB-R", "material": "PE", "mass_kg": 1000,
             "cfp": {"total": 2000}, "recycled": {"post_consumer": 0.5}, "site": "plant"}
    res = app_client.post("/api/trace/events?period=2099Q1", json={"events": [scrap]},
                          headers=a)
    assert res.status_code == 200, res.text
    claim = {"type": "process", "lot": "MB-M", "site": "plant", "mass_kg": 400,
             "inputs": [{"lot": "MB-R", "mass_kg": 500}], "custody": "mass_balance",
             "claim": {"post_consumer": 1.0}}
    res = app_client.post("/api/trace/events?period=2099Q1", json={"events": [claim]},
                          headers=a)
    assert res.status_code == 200, res.text
    over = {**claim, "lot": "MB-M2", "inputs": [{"lot": "MB-R", "mass_kg": 100}],
            "mass_kg": 100}
    res = app_client.post("/api/trace/events?period=2099Q1", json={"events": [over]},
                          headers=a)
    assert res.status_code == 422 and "exceeds the 0 kg credit" in res.text, res.text
    res = app_client.post("/api/trace/events?period=2026Q9", json={"events": [over]},
                          headers=a)
    assert res.status_code == 422 and "period" in res.text

    doc = app_client.get("/api/trace/mass-balance?site=plant&period=2099Q1", headers=a).json()
    post = next(x for x in doc["accounts"] if x["characteristic"] == "post_consumer")
    assert post["totals_kg"] == {"credit": 500.0, "claim": 500.0} and post["balance_kg"] == 0
    csv = app_client.get("/api/trace/mass-balance?format=csv", headers=a)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "plant,post_consumer,2099Q1,claim,MB-M,500,1,500," in csv.text
    # the partner sees its own (empty) accounts, never the demo company's
    assert "MB-R" not in app_client.get("/api/trace/mass-balance", headers=b).text
    assert app_client.get("/api/trace/mass-balance").status_code == 401
