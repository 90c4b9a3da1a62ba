"""A whole lot (``divisible: false``) heavier than every capacity it could go to is explained
as ``whole_above_capacity``; it was ``outbid`` ("the optimum gives the buyers' capacity and
windows to other lots") in a market with no other lot (review 269 low)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from junkan import market

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def _example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(EX.read_text("utf-8")),
                                                default=str))
    return doc


def _whole(capacities: list[str]) -> dict[str, Any]:
    doc = _example()
    w1 = {**doc["lots"][4], "divisible": False}  # 25 t, shredder-wakamatsu
    base = {**doc["conditions"][1], "min_lot": "0 t", "granted_to": [w1["seller"]]}
    conds = [{**base, "id": f"c{k}", "capacity": cap} for k, cap in enumerate(capacities)]
    return {**doc, "lots": [w1], "conditions": conds, "pools": []}


def test_a_whole_lot_above_every_capacity_is_explained_so() -> None:
    """It was explained as ``outbid`` (the optimum gives the capacity to other lots) with no
    other lot in the market."""
    res = market.run(market.load(text=json.dumps(_whole(["10 t", "20 t"]))))
    [u] = res.unmatched_rows()
    assert u["code"] == "whole_above_capacity", u
    assert u["figures"] == {"kg": 25000.0, "condition": "c1", "capacity_kg": 20000.0}
    assert "sold whole, its 25,000 kg is more than the capacity" in u["message"]
    # with room at one buyer, the whole lot goes there
    fits = market.run(market.load(text=json.dumps(_whole(["10 t", "30 t"]))))
    assert {a["condition"] for a in fits.to_json()["assignments"]} == {"c1"}
