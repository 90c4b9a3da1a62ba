"""Zorba (ReMA ISRI: shredded non-ferrous scrap, mainly aluminium) is for a lot named as such
a mix or as aluminium. It had no material scope, so a PP lot from a shredder with both
certificates the set asks (magnet separated, radiation checked) met it."""

from __future__ import annotations

from datetime import date

import pytest

from junkan import grading

DAY = date(2026, 12, 8)
CERTS = [{"kind": "magnet_separated"}, {"kind": "radiation_checked"}]


def _lot(name: str) -> grading.Item:
    return grading.Item.model_validate({
        "id": name, "kind": "recycled_material", "material": {"name": name},
        "quantity": {"mass": "1 t"}, "certificates": CERTS})


def test_a_plastic_lot_is_not_zorba() -> None:
    res = grading.grade([_lot("PP")], ["isri-zorba"], as_of=DAY)
    row = res.rows(codes=True)[0]
    assert (row["met"], row["verdict"]) == (False, "not met")  # was met
    assert row["failed"] == ["the set is for non-ferrous mix, the lot is PP"]


@pytest.mark.parametrize("name", ["Zorba", "shredded non-ferrous", "非鉄スクラップ",
                                  "ミックスメタル", "Aluminum", "アルミ"])
def test_a_non_ferrous_mix_or_aluminium_lot_is_judged_as_before(name: str) -> None:
    res = grading.grade([_lot(name)], ["isri-zorba"], as_of=DAY)
    assert res.rows(codes=True)[0]["met"] is True
