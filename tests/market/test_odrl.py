"""Conditions as ODRL policies: the Catena-X profile's published valid samples pass, the
invalid ones (written for junkan; the profile's own are not on its main branch) fail, and
access is enforced from the policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from junkan import market

HERE = Path(__file__).parent / "odrl_samples"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


@pytest.mark.parametrize(
    "path", sorted((HERE / "catenax-valid").glob("*.json")), ids=lambda p: p.stem
)
def test_published_valid_samples_accepted(path: Path) -> None:
    assert market.check_policy(json.loads(path.read_text("utf-8"))) == []


@pytest.mark.parametrize("path", sorted((HERE / "invalid").glob("*.json")), ids=lambda p: p.stem)
def test_invalid_samples_rejected(path: Path) -> None:
    assert market.check_policy(json.loads(path.read_text("utf-8")))


def test_conditions_publish_valid_policies_and_grant_only_partners() -> None:
    m = market.load(EXAMPLE)
    for c in m.conditions:
        doc = market.to_odrl(c)
        for part in ("access", "usage", "acceptance"):
            assert market.check_policy(doc[part]) == [], part
        for org in c.granted_to:
            assert market.granted(doc["access"], org)
        assert not market.granted(doc["access"], "dismantler-tobata")
    seen = {c.id for c in market.visible_conditions(m.conditions, "dismantler-moji")}
    assert seen == {"premium-cast"}  # adc12-feed is not granted to moji
    assert {c.id for c in market.visible_conditions(m.conditions, "alloy-maker-B")} == {
        "adc12-feed"
    }  # a buyer sees its own


def test_invalid_policy_grants_nothing() -> None:
    m = market.load(EXAMPLE)
    access = market.to_odrl(m.conditions[0])["access"]
    access["permission"][0]["constraint"][0] = {
        "or": access["permission"][0]["constraint"][0]["and"]
    }
    assert not market.granted(access, "dismantler-moji")


def test_offer_sees_only_granted_conditions() -> None:
    m = market.load(EXAMPLE)
    res = market.offer(m, "dismantler-moji")
    assert {r["criteria"] for r in res.rows()} == {"alloy-buyer.casting_premium"}
