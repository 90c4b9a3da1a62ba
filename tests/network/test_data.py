"""Shipped geography is checked against prefecture boundaries (japanmap polygons)."""

from __future__ import annotations

import pytest

from junkan.network.geo import (
    distance_to_polygon_km,
    great_circle_km,
    inside,
    ports,
    prefecture_code,
    prefecture_polygons,
    prefectures,
)


def test_every_prefectural_office_lies_inside_its_prefecture() -> None:
    polys = prefecture_polygons()
    outside = [p.name for p in prefectures() if not inside(polys[p.prefecture], p.lon, p.lat)]
    assert outside == []
    assert len(prefectures()) == 47


def test_every_port_lies_at_its_prefecture() -> None:
    polys = prefecture_polygons()
    far = {p.name: round(distance_to_polygon_km(polys[p.prefecture], p.lon, p.lat), 1)
           for p in ports()}
    assert all(d <= 10 for d in far.values()), far
    assert len(ports()) == 24  # 5 strategic + 18 hub ports + Naha (important port)


def test_distances_and_names() -> None:
    tokyo, osaka = prefecture_code("Tokyo"), prefecture_code("大阪府")
    t, o = prefectures()[tokyo - 1], prefectures()[osaka - 1]
    # Tokyo–Osaka great-circle distance is about 400 km
    assert float(great_circle_km(t.lat, t.lon, o.lat, o.lon)) == pytest.approx(400, rel=0.03)
    assert prefecture_code("愛知") == 23 and prefecture_code(47) == 47
    with pytest.raises(KeyError, match="unknown prefecture 'Atlantis'"):
        prefecture_code("Atlantis")
