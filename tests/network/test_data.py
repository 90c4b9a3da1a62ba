"""Shipped geography is checked against prefecture boundaries (the shipped outlines derived
from japanmap, ``junkan/data/geo``)."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources

import numpy as np
import pytest

from junkan.network.geo import (
    PREFECTURE_OUTLINES,
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


def _outlines() -> tuple[bytes, str]:
    geo = resources.files("junkan.data") / "geo"
    return (geo / "prefectures.geojson").read_bytes(), (geo / "README.md").read_text("utf-8")


def test_outline_file_matches_its_recorded_hash_and_point_count() -> None:
    raw, readme = _outlines()
    assert PREFECTURE_OUTLINES == "geo/prefectures.geojson"
    recorded = re.search(r"\| sha256 \| `([0-9a-f]{64})` \|", readme)
    assert recorded is not None, "README.md must record the file's sha256"
    assert hashlib.sha256(raw).hexdigest() == recorded.group(1)
    doc = json.loads(raw)
    for key in ("source", "licence", "generated"):
        assert doc[key], key
    assert "Apache-2.0" in doc["licence"]
    points = sum(len(f["geometry"]["coordinates"][0]) for f in doc["features"])
    assert points == doc["points"]
    assert f"{points:,} points" in readme and f"{len(raw):,} bytes" in readme
    assert len(raw) < 300_000


def test_all_47_outlines_are_closed_rings_inside_japan() -> None:
    polys = prefecture_polygons()
    assert sorted(polys) == list(range(1, 48))
    for code, poly in polys.items():
        assert poly.ndim == 2 and poly.shape[1] == 2 and len(poly) >= 20, code
        assert np.array_equal(poly[0], poly[-1]), f"{code}: ring not closed"
        # Japan's extent: 122.9–154.0 °E, 20.4–45.6 °N (Yonaguni, Minamitorishima, Okinotori,
        # Benten-jima); the shipped outlines hold the main areas only
        assert ((poly[:, 0] > 122.9) & (poly[:, 0] < 154.0)).all(), code
        assert ((poly[:, 1] > 20.4) & (poly[:, 1] < 45.6)).all(), code
        # a ring with an area, not a line folded back on itself
        x, y = poly[:, 0], poly[:, 1]
        assert 0.5 * abs(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])) > 0.01, code


def test_neighbouring_outlines_share_their_border() -> None:
    """Arcs were simplified once for both neighbours: Tokyo and Kanagawa share vertices."""
    polys = prefecture_polygons()
    tokyo = {tuple(p) for p in polys[13]}
    kanagawa = {tuple(p) for p in polys[14]}
    assert len(tokyo & kanagawa) >= 3
