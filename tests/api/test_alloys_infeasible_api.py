"""The service's 422 for an infeasible alloy plan carries its domain rules (type and figures)
as ``errors``, besides the nearest window and the levers, so the page can translate it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens


def test_an_infeasible_plan_answers_with_its_rules(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    stock = {"stock": {"makerA_kei_2008_icev": 40, "makerC_kei_2014_icev": 40,
                       "makerA_compact_2012_hev": 40}, "buyer": "casting_premium",
             "samples": 300}
    res = app_client.post("/api/alloys/plan", json=stock, headers=a)
    assert res.status_code == 422, res.text
    doc = res.json()
    assert "Fe" in doc["nearest_window"]
    errors = doc["errors"]
    assert errors[0]["type"] == "plan-window-unmet"
    assert errors[0]["ctx"]["binding"] == ", ".join(doc["binding"])
    assert "[" not in errors[0]["message"]
    assert errors[-1]["type"] in ("levers-none", "lever-grain", "lever-sorter",
                                  "lever-no-sorter", "lever-all-removals", "lever-buy-in")
