"""The result of a match is written in a few passes over the routes, not one per assignment,
pooled shipment or condition: with 960,000 routes and 4,000 (pool, buyer) pairs, writing the
JSON took 4.5 s — longer than the 4 s match — and with 8 million routes over a minute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from junkan import market
from junkan.market.arcs import Arcs

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


@pytest.fixture(scope="module")
def res() -> market.MatchResult:
    return market.run(market.load(EX))


def test_the_margin_of_every_route_is_computed_once_per_answer(
    res: market.MatchResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = Arcs.margin.fget  # type: ignore[attr-defined]

    def counted(self: Arcs) -> np.ndarray:
        calls.append(1)
        return original(self)  # type: ignore[no-any-return]

    monkeypatch.setattr(Arcs, "margin", property(counted))
    rows = res.assignments()
    assert len(rows) == 8 and len(calls) == 1


def test_shipments_and_deliveries_sum_the_routes_they_carry(res: market.MatchResult) -> None:
    a, s = res.arcs, res.solution
    mass = np.array([lot.mass for lot in res.market.lots])
    for sh in res.shipments():
        p = [q.id for q in res.market.pools].index(sh["pool"])
        b = [c.id for c in res.market.conditions].index(sh["condition"])
        sel = (a.pool == p) & (a.cond == b)
        assert sh["kg"] == pytest.approx(float((s.share[sel] * mass[a.lot[sel]]).sum()))
    assert [(d["condition"], d["lots"]) for d in res.deliveries()] == [
        ("premium-cast", 4), ("adc12-feed", 3)]
    assert sum(d["kg"] for d in res.deliveries()) == pytest.approx(res.summary()["matched_kg"])
