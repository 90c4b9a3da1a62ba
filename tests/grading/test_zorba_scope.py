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


@pytest.mark.parametrize("name", ["Zorba", "shredded non-ferrous", "Non Ferrous Scrap",
                                  "非鉄スクラップ", "ミックスメタル", "Aluminum", "アルミ",
                                  "brass"])
def test_a_non_ferrous_mix_or_aluminium_lot_is_judged_as_before(name: str) -> None:
    res = grading.grade([_lot(name)], ["isri-zorba"], as_of=DAY)
    assert res.rows(codes=True)[0]["met"] is True


def test_a_blend_of_non_ferrous_metals_is_in_scope_and_one_with_pp_names_the_pp() -> None:
    """Review 320: a blend of aluminium and copper (what Zorba is) was out of scope, and the
    reason for a blend named the accepted material ("the lot is aluminium")."""
    al, cu, pp = _lot("aluminium"), _lot("copper"), _lot("PP")
    blends = [grading.blend([al, cu], [900, 100]), grading.blend([al, pp], [900, 100])]
    res = grading.grade(blends, ["isri-zorba"], as_of=DAY)
    rows = res.rows(codes=True)
    assert rows[0]["met"] is True
    assert rows[1]["failed"] == ["the set is for non-ferrous mix, the lot is PP"]


def test_zorba_takes_every_aluminium_name() -> None:
    sets = grading.shipped_sets()
    assert set(sets["isri-twitch"].materials or []) <= set(sets["isri-zorba"].materials or [])
