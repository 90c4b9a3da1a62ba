"""The most one delivery can carry to a condition (issue 22, review): one pooled shipment is
at most its pooling point's capacity; a lot its price formula cannot price, or sold whole
above the buyer's capacity, never reaches it — at load and in the match result alike."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from junkan import market
from junkan.core.errors import ModelError
from tests.market.test_match import TRACE

LI_EACH = {  # a per-lot rule: ≤ 20 mg/kg Li in every lot
    "id": "li-each", "version": "1", "title": "t", "status": "sourced", "source": "test",
    "rules": [{"type": "range", "property": "restricted.li", "max": "20 mg/kg"}],
}


def _lot(i: int, t: float, li: float = 5, composition: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"l{i}", "kind": "recycled_material", "material": {"name": "aluminium"},
        "quantity": {"mass": f"{t} t"}, "restricted": {"li": f"{li} mg/kg"},
    }
    if composition:
        item["composition"] = {**TRACE, "Fe": 0.3, "Mg": 0.2, "Zn": 0.2}
    return {"id": f"l{i}", "seller": f"s{i}", "item": item,
            "location": {"lat": 33.88 + 0.01 * i, "lon": 130.88}}


def _pool(j: int, t: float) -> dict[str, Any]:
    return {"id": f"p{j}", "location": {"lat": 33.89, "lon": 130.89}, "capacity": f"{t} t"}


def _doc(lots: list[dict[str, Any]], pools: list[dict[str, Any]], min_lot: float,
         criteria: Any = "alloy-buyer.casting_premium") -> str:
    """One buyer 3 km from the lots, granted to every seller, paying 350 JPY/kg −40 per
    wt % Fe above 0.3 (a premium on composition: a lot without one cannot be priced)."""
    return json.dumps({
        "as_of": "2026-12-01",
        "lots": copy.deepcopy(lots),
        "pools": pools,
        "conditions": [{
            "id": "c0", "buyer": "b0", "criteria": criteria,
            "price": {"base": "350 JPY/kg", "premiums": [
                {"property": "composition.Fe", "per_unit": -40, "reference": 0.3}]},
            "location": {"lat": 33.9, "lon": 130.9},
            "min_lot": f"{min_lot} t", "capacity": "100 t",
            "granted_to": [f"s{i}" for i in range(len(lots))],
        }],
        "transport": {"cost": "30 JPY/(t*km)", "detour_factor": 1.3, "source": "test"},
        "solver": {"mip_rel_gap": 0.0, "time_limit_s": 20},
    })


def _refusal(text: str) -> str:
    with pytest.raises(ModelError) as exc:
        market.load(text=text)
    msg = " ".join(str(exc.value).split())
    assert "conditions[0].min_lot: unreachable minimum lot" in msg
    return msg


THREE = [_lot(0, 15), _lot(1, 15), _lot(2, 15)]


def test_one_pooled_shipment_is_at_most_the_largest_pooling_points_capacity() -> None:
    """45 t granted, no lot above 15 t, a 40 t minimum: the largest pooling point must take
    40 t. Pools of 30 t and 35 t cannot (the old check pooled all 45 t and let it through);
    a 50 t one can, whichever other pools there are."""
    msg = _refusal(_doc(THREE, [_pool(0, 30), _pool(1, 35)], 40))
    assert "the partners it is granted to (s0, s1, s2) offer 45,000 kg;" in msg
    assert "one pooled shipment carries at most 35,000 kg (the capacity of 'p1'" in msg
    m = market.load(text=_doc(THREE, [_pool(0, 30), _pool(1, 50)], 40))
    delivered = market.run(m).summary()["matched_kg"]
    assert delivered == pytest.approx(45_000)  # 40 t … 45 t through p1 in one shipment


def test_a_lot_the_price_formula_cannot_price_does_not_count_at_load() -> None:
    """A premium on composition.Fe and a 15 t lot with no composition: it has no price under
    the formula and no route, so a 40 t minimum has only 30 t to pool."""
    lots = [_lot(0, 15), _lot(1, 15), _lot(2, 15, composition=False)]
    msg = _refusal(_doc(lots, [_pool(0, 100)], 40))
    assert "offer 45,000 kg, of which 30,000 kg can be priced" in msg
    assert "all of them pooled together make 30,000 kg" in msg


def test_a_lot_sold_whole_above_the_buyers_capacity_does_not_count_at_load() -> None:
    """A 120 t lot sold whole cannot go to a buyer taking 100 t (all or nothing); the two
    15 t lots left pool to 30 t, short of a 50 t minimum. Sold in part, it reaches it."""
    lots = [_lot(0, 120), _lot(1, 15), _lot(2, 15)]
    lots[0]["divisible"] = False
    msg = _refusal(_doc(lots, [_pool(0, 100)], 50))
    assert "offer 150,000 kg, of which 30,000 kg can go to it (a lot sold whole" in msg
    lots[0]["divisible"] = True
    m = market.load(text=_doc(lots, [_pool(0, 100)], 50))
    assert market.run(m).summary()["matched_kg"] == pytest.approx(100_000)


def test_after_grading_the_pool_capacity_still_bounds_one_shipment() -> None:
    """A 25 t lot fails the Li rule; the two 15 t lots that pass make 30 t but the only
    pooling point takes 20 t: a 22 t minimum is unserved, named with that capacity (the
    load let it through, as the 25 t lot alone weighs enough)."""
    lots = [_lot(0, 25, li=100), _lot(1, 15), _lot(2, 15)]
    res = market.run(market.load(text=_doc(lots, [_pool(0, 20)], 22, LI_EACH)))
    assert res.summary()["matched_kg"] == 0
    (u,) = res.unserved
    assert u["field"] == "conditions[0].min_lot" and u["code"] == "min_lot_unreachable"
    assert "the capacity of 'p0'" in u["message"]
    f = u["figures"]
    assert (f["eligible_kg"], f["largest_lot_kg"], f["pooled_kg"]) == (30_000, 15_000, 20_000)
    assert f["pool"] == "p0"


def test_after_grading_a_lot_that_cannot_be_priced_does_not_count() -> None:
    """No pooling point, a 20 t minimum. The 25 t lot l0 passes the Li rule but has no
    composition, so no price; the 25 t lot l1 has a price but fails the rule; only the
    15 t lot is left: unserved (the load counted l1, the old report counted l0)."""
    lots = [_lot(0, 25, composition=False), _lot(1, 25, li=100), _lot(2, 15)]
    res = market.run(market.load(text=_doc(lots, [], 20, LI_EACH)))
    (u,) = res.unserved
    assert "no pooling point" in u["message"]
    assert (u["figures"]["eligible_kg"], u["figures"]["largest_lot_kg"]) == (15_000, 15_000)
