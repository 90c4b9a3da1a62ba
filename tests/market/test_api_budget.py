"""The HTTP match gives its solver a time limit inside the request's CPU budget, so a hard
match answers the best assignment found in time (as the CLI does) instead of a 422: with
the default 30 s, 1,000 offers × 1,000 conditions ran past the 20 s budget."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan.api.routers import market as router
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.core.budget import default_pool
from tests.market.test_api import DEMO, PARTNER, _example, _token, client  # noqa: F401


def test_the_match_route_solves_within_the_request_budget(
    client: TestClient, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    doc = _example()
    cond = {**doc["conditions"][1], "buyer": DEMO, "granted_to": [PARTNER], "min_lot": "1 t"}
    assert client.post("/api/market/conditions", json=cond, headers=buyer).status_code == 201
    lot = {**doc["lots"][4], "seller": PARTNER}
    assert client.post("/api/market/offers", json=lot, headers=seller).status_code == 201
    seen: list[dict[str, Any]] = []

    async def capture(fn: Any, doc: dict[str, Any], who: str) -> dict[str, Any]:
        seen.append(doc)
        out: dict[str, Any] = fn(doc, who)
        return out

    monkeypatch.setattr(router, "offload", capture)
    res = client.post("/api/market/match", headers=seller)
    assert res.status_code == 200, res.text
    limit = seen[0]["solver"]["time_limit_s"]
    assert 1.0 <= limit <= router.SOLVE_SHARE * default_pool().default_budget.cpu_s
