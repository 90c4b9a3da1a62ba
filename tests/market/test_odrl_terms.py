"""The ODRL acceptance offer states the whole condition: the price formula the matching
applies (base price and every premium or discount — a reviewer found payAmount eq "350
JPY/kg" while the buyer paid 348 JPY/kg for lot y-1 through its Fe premium), every rule of
the criteria set (inline enum and certificate rules were dropped; a shipped set gave only
its name, not its window)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import market

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def _terms(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["permission"][0]["constraint"][0]["and"])


def _price_terms(policy: dict[str, Any]) -> list[dict[str, Any]]:
    (duty,) = policy["permission"][0]["duty"]
    assert duty["action"] == "compensate"
    return list(duty["constraint"][0]["and"])


def _price_from_odrl(policy: dict[str, Any], composition: dict[str, float]) -> float:
    """The JPY/kg a lot is paid, read from the offer alone."""
    terms = _price_terms(policy)
    assert not [t for t in terms if t["leftOperand"] == "payAmount"]
    (base,) = [t for t in terms if t["leftOperand"] == "jkm:basePrice"]
    price = float(base["rightOperand"].removesuffix(" JPY/kg"))
    for t in terms:
        if t["leftOperand"] != "jkm:premium":
            continue
        p = t["rightOperand"]
        assert p["jkm:settledOn"] == "lot"
        value = composition[p["jkm:property"].removeprefix("composition.")]
        d = value - float(p["jkm:reference"].removesuffix(" wt %"))
        d = {"both": d, "above": max(d, 0.0), "below": min(d, 0.0)}[p["jkm:side"]]
        price += float(p["jkm:perUnit"].split(" ")[0]) * d
    return price


def test_offer_price_is_the_price_the_matching_pays() -> None:
    m = market.load(EXAMPLE)
    res = market.run(m)
    offers = {c.id: market.to_odrl(c)["acceptance"] for c in m.conditions}
    lots = {lot.id: lot for lot in m.lots}
    rows = res.assignments()
    assert any(r["lot"] == "y-1" and r["price_JPY_per_kg"] == pytest.approx(348) for r in rows)
    for r in rows:
        comp = lots[r["lot"]].item.composition
        assert _price_from_odrl(offers[r["condition"]], comp) == pytest.approx(
            r["price_JPY_per_kg"], abs=1e-9
        ), r["lot"]
    (formula,) = [
        t for t in _price_terms(offers["premium-cast"]) if t["leftOperand"] == "jkm:priceFormula"
    ]
    assert formula["rightOperand"] == (
        "350 JPY/kg − 40 JPY/kg per wt % × (composition.Fe − 0.3 wt %)"
    )


def test_shipped_set_carries_its_window() -> None:
    m = market.load(EXAMPLE)
    (c,) = [c for c in m.conditions if c.id == "premium-cast"]
    terms = _terms(market.to_odrl(c)["acceptance"])
    got = {(t["leftOperand"], t["operator"]): t["rightOperand"] for t in terms}
    assert got[("jkm:criteriaSet", "eq")] == "alloy-buyer.casting_premium"
    assert got[("jkm:composition.Fe", "lteq")] == "0.5 wt %"
    assert got[("jkm:composition.Li", "lteq")] == "0.002 wt %"
    # the set's scope: every name scrap.yaml accepts for aluminium (was the one enum name)
    names = got[("jkm:material.name", "isAnyOf")]
    assert names[0] == "aluminium" and {"aluminum", "アルミ"} <= set(names)


def test_inline_set_keeps_enum_certificate_and_restricted_rules() -> None:
    doc = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    doc["conditions"][0]["criteria"] = {
        "id": "inline", "version": "2", "title": "t", "status": "assumption",
        "assumption_reason": "test", "source": "test",
        "rules": [
            {"type": "range", "property": "composition.Fe", "min": 0.1, "max": 0.5},
            {"type": "enum", "attribute": "material.family", "allowed": ["cast", "wrought"]},
            {"type": "certificate", "kind": "iso14001"},
            {"type": "range", "property": "restricted.pbde_sum", "max": 500, "basis": "mean"},
        ],
    }
    m = market.load(text=json.dumps(doc, default=str))
    policy = market.to_odrl(m.conditions[0])["acceptance"]
    assert market.check_policy(policy) == []
    terms = _terms(policy)
    got = {(t["leftOperand"], t["operator"]): t["rightOperand"] for t in terms}
    assert got[("jkm:criteriaVersion", "eq")] == "2"
    assert got[("jkm:composition.Fe", "gteq")] == "0.1 wt %"
    assert got[("jkm:material.family", "isAnyOf")] == ["cast", "wrought"]
    assert got[("jkm:certificates", "hasPart")] == "iso14001"
    (pbde,) = [t for t in terms if t["leftOperand"] == "jkm:restricted.pbde_sum"]
    assert pbde["rightOperand"] == "500 mg/kg" and pbde["jkm:basis"] == "mean"
