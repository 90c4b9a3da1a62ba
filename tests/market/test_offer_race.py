"""Two identical offers posted at once (one organisation, same lot id) answered 500 now and
then: the check that the name was free passed for both, and the unique constraint refused the
second insert (``sqlite3.IntegrityError``). It answers 409 ``record-exists`` (review 269)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from junkan.api.seed import PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store import market_repo
from junkan.store.market_tables import MarketOffer
from junkan.store.tables import Organisation
from tests.market.test_api import PARTNER, _token, client  # noqa: F401  (the fixture)

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(EX.read_text("utf-8")),
                                                default=str))
    return doc


def _org_id(client: TestClient, name: str) -> str:  # noqa: F811
    with client.app.state.store.db.session() as s:  # type: ignore[attr-defined]
        return str(s.scalar(select(Organisation.id).where(Organisation.name == name)))



def test_an_offer_stored_between_the_check_and_the_insert_answers_409(
    client: TestClient, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """Eight identical offers at once sometimes answered 500 (the unique constraint refused
    the insert of one that had passed the check). The race, made certain: just before this
    request's insert, another connection stores the same offer and commits. (The
    organisation's row is now locked for the check and the insert — review 273 — so another
    request waits instead; the lock is taken away here to test the second line, the
    unique constraint's refusal read as 409.)"""
    monkeypatch.setattr(market_repo, "get_for_update", lambda *_: None)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    lot = {**_example()["lots"][4], "seller": PARTNER}
    db = client.app.state.store.db  # type: ignore[attr-defined]
    org = _org_id(client, PARTNER)
    raced: list[bool] = []

    def racing(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if raced or not statement.lstrip().upper().startswith("INSERT INTO MARKET_OFFERS"):
            return
        raced.append(True)  # a concurrent request's insert, committed first
        with db.session() as other:
            other.add(MarketOffer(org_id=org, name=lot["id"], doc=lot))

    event.listen(db.engine, "before_cursor_execute", racing)
    try:
        res = client.post("/api/market/offers", json=lot, headers=seller)
    finally:
        event.remove(db.engine, "before_cursor_execute", racing)
    assert raced and res.status_code == 409, res.text
    body = res.json()
    assert res.headers["content-type"].startswith("application/problem+json")
    assert body["errors"][0]["type"] == "record-exists" and "exists" in body["detail"]
    assert len(client.get("/api/market/offers", headers=seller).json()) == 1
    again = client.post("/api/market/offers", json=lot, headers=seller)  # the plain case
    assert again.status_code == 409 and again.json()["errors"] == body["errors"]
