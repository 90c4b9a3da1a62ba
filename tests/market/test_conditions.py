"""Buyers' conditions as a review found them lacking: a negative base price, a minimum lot
no offer can reach, one-sided premiums and a match report with no gap to print."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan import market
from junkan.cli.main import app
from junkan.core.errors import ModelError
from tests.market.test_match import TRACE


def _lot(i: int, seller: str, fe: float, t: float = 15) -> dict[str, Any]:
    return {
        "id": f"l{i}",
        "seller": seller,
        "location": {"lat": 33.88 + 0.01 * i, "lon": 130.88},
        "item": {
            "id": f"l{i}",
            "kind": "recycled_material",
            "material": {"name": "aluminium"},
            "composition": {**TRACE, "Fe": fe, "Mg": 0.2, "Zn": 0.2},
            "quantity": {"mass": f"{t} t"},
        },
    }


BASE: dict[str, Any] = {
    "as_of": "2026-12-01",
    "lots": [_lot(0, "s0", 0.1), _lot(1, "s1", 0.5), _lot(2, "s2", 0.3)],
    "conditions": [
        {
            "id": "c0",
            "buyer": "b0",
            "criteria": "alloy-buyer.casting_premium",
            "price": {
                "base": "350 JPY/kg",
                "premiums": [{"property": "composition.Fe", "per_unit": -40, "reference": 0.3}],
            },
            "location": {"lat": 33.9, "lon": 130.9},
            "min_lot": "10 t",
            "capacity": "100 t",
            "granted_to": ["s0", "s1", "s2"],
        }
    ],
    "transport": {"cost": "30 JPY/(t*km)", "detour_factor": 1.3, "source": "test"},
    "solver": {"mip_rel_gap": 0.0, "time_limit_s": 20},
}


def _doc(**cond: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["conditions"][0].update(cond)
    return doc


def _load(doc: dict[str, Any]) -> market.Market:
    return market.load(text=json.dumps(doc))


def test_a_negative_base_price_is_refused_naming_the_field() -> None:
    with pytest.raises(ModelError) as exc:
        _load(_doc(price={"base": "-5 JPY/kg"}))
    assert "conditions[0].price.base" in str(exc.value)
    assert "negative base price" in str(exc.value)
    assert _load(_doc(price={"base": 0})).conditions[0].price.base == 0.0


POOL = {"id": "p0", "location": {"lat": 33.89, "lon": 130.89}, "capacity": "100 t"}


@pytest.mark.parametrize(
    ("cond", "text"),
    [
        # 45 t offered in all, but only s0 and s1 (30 t) are granted the condition
        ({"min_lot": "40 t", "granted_to": ["s0", "s1", "s9"]},
         "the partners it is granted to (s0, s1) offer 30,000 kg;"),
        # s2's lot is only available after the delivery window closes
        ({"min_lot": "40 t", "delivery": {"start": "2026-12-01", "end": "2026-12-20"}},
         "offer 45,000 kg, of which 30,000 kg within its delivery window;"),
    ],
)
def test_a_minimum_lot_the_granted_lots_cannot_reach_is_refused(cond: dict, text: str) -> None:
    """The message names the mass each filter leaves: the grants, then the window."""
    doc = _doc(**cond)
    doc["pools"] = [POOL]  # a pooling point could gather every lot: the filters are short
    doc["lots"][2]["available"] = {"start": "2027-01-10", "end": "2027-02-01"}
    with pytest.raises(ModelError) as exc:
        _load(doc)
    msg = " ".join(str(exc.value).split())
    assert "conditions[0].min_lot" in msg and "unreachable minimum lot: 40,000 kg" in msg
    assert text in msg


def test_a_minimum_lot_the_criteria_leave_unreachable_is_reported() -> None:
    """Granted lots weigh enough, but two fail the condition's per-lot rule: the condition
    is named in the match result with its field, not only its lots one by one."""
    doc = _doc(
        min_lot="20 t",
        criteria={
            "id": "li-each", "version": "1", "title": "t", "status": "sourced",
            "source": "test",
            "rules": [{"type": "range", "property": "restricted.li", "max": "20 mg/kg"}],
        },
    )
    doc["pools"] = [POOL]  # the 45 t granted could be pooled: the load lets it through
    for lot, li in zip(doc["lots"], (5, 100, 100), strict=True):
        lot["item"]["restricted"] = {"li": f"{li} mg/kg"}
    out = market.run(_load(doc)).to_json()
    (u,) = out["unserved_conditions"]
    assert u["condition"] == "c0" and u["field"] == "conditions[0].min_lot"
    assert u["code"] == "min_lot_unreachable" and u["figures"]["eligible_kg"] == 15_000


@pytest.mark.parametrize("pooled", [False, True])
def test_without_a_pooling_point_the_largest_lot_must_reach_the_minimum(pooled: bool) -> None:
    """Three 15 t lots, a 20 t minimum: only a pooling point can make up a delivery, so a
    market without one is refused at load (no solver setting could serve the condition)."""
    doc = _doc(min_lot="20 t")
    if pooled:
        doc["pools"] = [POOL]
        res = market.run(_load(doc))
        assert res.unserved == [] and res.summary()["matched_kg"] == pytest.approx(45_000)
    else:
        with pytest.raises(ModelError) as exc:
            _load(doc)
        msg = " ".join(str(exc.value).split())
        assert "conditions[0].min_lot" in msg and "no pooling point" in msg
        assert "the largest lot that may enter it is 15,000 kg" in msg


@pytest.mark.parametrize(
    ("side", "prices"),
    [("both", [358.0, 342.0, 350.0]), ("above", [350.0, 342.0, 350.0]),
     ("below", [358.0, 350.0, 350.0])],
)
def test_a_premium_may_be_one_sided(side: str, prices: list[float]) -> None:
    """−40 JPY/kg per wt % Fe above 0.3: lots at 0.1, 0.5 and 0.3 wt % Fe."""
    doc = copy.deepcopy(BASE)
    doc["conditions"][0]["price"]["premiums"][0]["side"] = side
    got = {a["lot"]: a["price_JPY_per_kg"] for a in market.run(_load(doc)).assignments()}
    assert [got[f"l{i}"] for i in range(3)] == pytest.approx(prices)
    doc["conditions"][0]["price"]["premiums"][0]["side"] = "up"
    with pytest.raises(ModelError, match=r"premiums\.0\.side|premiums\[0\]\.side"):
        _load(doc)


def test_no_gap_is_printed_as_such_not_nan(tmp_path: Path) -> None:
    """No route at all (the condition is granted to nobody with lots): there is no
    assignment, so no gap — null in JSON, a dash in the table, never 'nan%'."""
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_doc(granted_to=["s9"], min_lot=0)), "utf-8")
    r = CliRunner().invoke(app, ["market", "match", str(path)])
    assert r.exit_code == 0, r.output
    assert "nan" not in r.output and "gap — (no assignment)" in " ".join(r.output.split())
    r = CliRunner().invoke(app, ["market", "match", str(path), "--format", "json"])
    s = json.loads(r.stdout)["summary"]
    assert s["status"] == "no candidate routes" and s["gap"] is None


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d["conditions"][0].update(capacity="0 t", min_lot="0 t"),
     "conditions[0].capacity"),
    (lambda d: d["lots"][0]["item"]["quantity"].update(mass="0 t"),
     "lots[0].item.quantity.mass"),
])
def test_nothing_offered_or_taken_is_refused(change: Any, path: str) -> None:
    """A past gap (Japanese walkthrough): a lot of 0 t and a buyer taking 0 t were accepted
    and matched to nothing; both are refused, naming the field (pydantic's rule)."""
    doc = copy.deepcopy(BASE)
    change(doc)
    with pytest.raises(ModelError) as err:
        _load(doc)
    assert any(p.path == path and p.kind == "greater_than" for p in err.value.problems), \
        err.value.problems
