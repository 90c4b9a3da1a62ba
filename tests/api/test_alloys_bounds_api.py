"""The alloy routes refuse numbers no file may carry either (review 270): a wt % share above
100 (1e308 overflowed the composition's sum: a 500) and, for whole vehicles, counts that are
not whole or beyond the stated limit — each a 422 naming the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens


def test_a_share_above_100_wt_pct_is_a_422_naming_the_element(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    comp = {"Fe": 1e308, "Si": 1e308}
    res = app_client.post("/api/alloys/grade", json={"composition": comp}, headers=a)
    assert res.status_code == 422, res.text
    assert "'Fe' is 1e+308 wt %: a share cannot exceed 100 wt %" in res.text
    feed = {"vehicles": [{"vehicle": "makerA_kei_2008_icev", "count": 20}], "grain_mm": 65}
    res = app_client.post("/api/alloys/update", headers=a, json={
        "feed": feed, "lots": [{"lot": "L1", "composition": comp}]})
    assert res.status_code == 422, res.text
    assert "lot 'L1': 'Fe' is 1e+308 wt %" in res.text


def test_a_count_not_whole_or_beyond_the_limit_is_a_422(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    for count, said in ((1e300, "from 0 to 10,000,000"), (0.5, "vehicles are counted whole")):
        res = app_client.post("/api/alloys/predict", headers=a, json={
            "vehicles": [{"vehicle": "makerA_kei_2008_icev", "count": count}]})
        assert res.status_code == 422, res.text
        assert said in res.text and "count" in res.text
