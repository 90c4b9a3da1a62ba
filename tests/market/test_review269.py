"""Review 269 of the market: a buyer's condition that cannot be used no longer fails the match
of every seller it is granted to (and a premium on a property that does not mix by mass is
refused when the condition is posted); the routes' refusals name the body's own field under
the one error shape (two identical offers at once:
tests/market/test_offer_race.py; a whole lot above every capacity:
tests/market/test_whole_lot_explained.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from junkan import market
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.core.errors import ModelError
from junkan.market import Condition
from junkan.store.market_repo import MarketRepo
from junkan.store.tables import Organisation
from tests.market.test_api import DEMO, PARTNER, _token, client  # noqa: F401  (the fixture)

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"
MFR = [{"property": "mfr", "per_unit": 1, "reference": 1}]


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(EX.read_text("utf-8")),
                                                default=str))
    return doc


def _condition(name: str, **change: Any) -> dict[str, Any]:
    body = {**_example()["conditions"][1], "id": name, "buyer": DEMO, "granted_to": [PARTNER],
            "min_lot": "1 t", **change}
    return body


def _refused(res: Any, path: str, kind: str) -> dict[str, Any]:
    """The one error shape: 422 problem+json, code invalid-request, the field at ``path``."""
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = res.json()
    assert body["code"] == "invalid-request", body
    [err] = body["errors"]
    assert (err["path"], err.get("type", "")) == (path, kind), body
    assert body["detail"].startswith(f"{path}: ")
    return err


def _org_id(client: TestClient, name: str) -> str:  # noqa: F811
    with client.app.state.store.db.session() as s:  # type: ignore[attr-defined]
        return str(s.scalar(select(Organisation.id).where(Organisation.name == name)))


# ---- 1: one buyer's condition that cannot be used ------------------------------------------


def test_a_premium_that_does_not_mix_by_mass_is_refused_when_posted(
    client: TestClient,  # noqa: F811
) -> None:
    """It was accepted (201): the route checked the condition without lots, and only the
    check with lots looked at premiums."""
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    body = _condition("mfr-premium", price={"base": "300 JPY/kg", "premiums": MFR})
    res = client.post("/api/market/conditions", json=body, headers=buyer)
    err = _refused(res, "price.premiums[0].property", "premium-not-by-mass")
    assert "'mfr': a premium needs a property that mixes by mass" in err["message"]
    assert client.get("/api/market/conditions", headers=buyer).json() == []
    # the CLI's document check says the same without lots
    with pytest.raises(ModelError) as exc:
        market.check(market.Market(conditions=[Condition.model_validate(body)]))
    assert "conditions[0].price.premiums[0].property" in str(exc.value)


def test_a_condition_that_cannot_be_used_is_left_out_of_the_sellers_match(
    client: TestClient,  # noqa: F811
) -> None:
    """A condition stored before the rule (a premium on ``mfr``) and one wrong only against
    the seller's lots (a premium on ``composition.Xx``, which none of them states) made the
    seller's match 422 "the document is invalid" — a condition the seller did not write
    and cannot delete. Now both are left out, named, and the match runs on the others."""
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    repo = MarketRepo(client.app.state.store.db)  # type: ignore[attr-defined]
    stored = _condition("stored-before", price={"base": "300 JPY/kg", "premiums": MFR})
    repo.put_condition(_org_id(client, DEMO), Condition.model_validate(stored))
    xx = _condition("xx-premium", price={"base": "300 JPY/kg", "premiums": [
        {"property": "composition.Xx", "per_unit": 1, "reference": 1}]})
    assert client.post("/api/market/conditions", json=xx, headers=buyer).status_code == 201
    lot = {**_example()["lots"][4], "seller": PARTNER}
    assert client.post("/api/market/offers", json=lot, headers=seller).status_code == 201
    # only conditions that cannot be used: nothing to match, said as such
    res = client.post("/api/market/match", headers=seller)
    assert res.status_code == 422, res.text
    assert res.json()["code"] == "market-no-usable-conditions"
    assert {c["condition"] for c in res.json()["conditions_left_out"]} == {"stored-before",
                                                                          "xx-premium"}
    good = _condition("good")
    assert client.post("/api/market/conditions", json=good, headers=buyer).status_code == 201
    res = client.post("/api/market/match", headers=seller)
    assert res.status_code == 200, res.text
    out = res.json()
    assert {a["condition"] for a in out["assignments"]} == {"good"}
    left = {c["condition"]: c for c in out["conditions_left_out"]}
    assert set(left) == {"stored-before", "xx-premium"}
    for c in left.values():
        assert c["buyer"] == DEMO and c["code"] == "condition_unusable"
        assert [e["path"] for e in c["errors"]] == ["price.premiums[0].property"]
    assert left["stored-before"]["errors"][0]["type"] == "premium-not-by-mass"
    assert "'Xx' is no chemical element" in left["xx-premium"]["message"]


def test_usable_keeps_every_condition_of_a_sound_market() -> None:
    m = market.load(EX)
    kept, left = market.usable(m)
    assert kept is m and left == []


# ---- 3: refusals at the body's own field ------------------------------------------------------


def test_the_routes_refusals_name_the_bodys_own_field(client: TestClient) -> None:  # noqa: F811
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    lot = {**_example()["lots"][4], "seller": "seller-c"}
    err = _refused(client.post("/api/market/offers", json=lot, headers=seller), "seller",
                   "not-your-organisation")
    assert err["message"] == f"must be your organisation ({PARTNER!r})"
    cond = {**_condition("c"), "buyer": "someone-else"}
    _refused(client.post("/api/market/conditions", json=cond, headers=buyer), "buyer",
             "not-your-organisation")
    heavy = copy.deepcopy({**_example()["lots"][4], "seller": PARTNER})
    heavy["item"]["quantity"]["mass"] = "1e9 t"
    res = client.post("/api/market/offers", json=heavy, headers=seller)
    assert res.status_code == 422, res.text
    [err] = res.json()["errors"]
    assert (err["path"], err["type"]) == ("item.quantity.mass", "lot-mass-above-limit")
    zero = copy.deepcopy({**_example()["lots"][4], "seller": PARTNER})
    zero["item"]["composition"] = {"Si": 0, "Fe": 0}
    [err] = client.post("/api/market/offers", json=zero, headers=seller).json()["errors"]
    assert (err["path"], err["type"]) == ("item.composition", "composition-all-zero")
    err = _refused(client.post("/api/market/conditions", json=_condition("c", criteria="nope"),
                               headers=buyer), "criteria", "")
    assert "unknown criteria set 'nope'" in err["message"]


def test_a_match_says_when_it_read_only_the_oldest_conditions(
    client: TestClient, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """Review 269: a match reads at most MAX_PER_ORG conditions (1,000) and said nothing of
    the newer ones it left unread (here the most is 1: two are granted)."""
    from junkan.api.routers import market as route

    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    for name in ("first", "second"):
        assert client.post("/api/market/conditions", json=_condition(name),
                           headers=buyer).status_code == 201
    lot = {**_example()["lots"][4], "seller": PARTNER}
    assert client.post("/api/market/offers", json=lot, headers=seller).status_code == 201
    assert "conditions_not_read" not in client.post("/api/market/match", headers=seller).json()
    monkeypatch.setattr(route, "MAX_PER_ORG", 1)
    out = client.post("/api/market/match", headers=seller).json()
    assert "read the oldest 1" in out["conditions_not_read"]
    assert {a["condition"] for a in out["assignments"]} <= {"first"}
