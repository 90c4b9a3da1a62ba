"""Self-intersecting site polygons are refused at load, naming the file, the feature, the two
edges and where they meet; valid concave polygons and polygons with holes keep their area.
The grid-based check agrees with a brute-force exact check on random rings."""

from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from junkan.nature.geo import NatureInputError, Polygon, parse_layer, read_layer
from junkan.nature.simple import fault

UTM = "EPSG:32648"
# a bow tie 0.01° across, in the Red River delta (105.80° E, 21.00° N)
BOW_TIE = [[105.80, 21.00], [105.81, 21.01], [105.81, 21.00], [105.80, 21.01], [105.80, 21.00]]


def _fc(*rings: list[list[float]], props: dict[str, Any] | None = None,
        crs: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props or {"id": "A"},
         "geometry": {"type": "Polygon", "coordinates": list(rings)}}]}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def test_bow_tie_is_refused_naming_file_feature_edges_and_place(tmp_path: Path) -> None:
    path = tmp_path / "sites.geojson"
    doc = _fc(BOW_TIE, props={"id": "A", "name": "Farm 3"})
    ok = _fc([[105.7, 21.0], [105.71, 21.0], [105.71, 21.01], [105.7, 21.0]])["features"]
    doc["features"] = ok + doc["features"]
    doc["features"][0]["properties"] = {"id": "B"}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(NatureInputError) as err:
        read_layer(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: features[1] (id 'A', name 'Farm 3')")
    assert "ring 0.0 (exterior) is not simple" in msg
    assert "edge 0 (positions 0→1) crosses edge 2 (positions 2→3)" in msg
    assert "near (105.805, 21.005)" in msg and "MultiPolygon" in msg


@pytest.mark.parametrize(
    ("rings", "needle"),
    [
        # the exterior touching itself at a vertex (OGC: not simple), here at (1, 0)
        ([[[0, 0], [2, 0], [2, 2], [1, 0], [0, 2], [0, 0]]],
         "edge 0 (positions 0→1) touches edge 2 (positions 2→3) of ring 0.0 (exterior) "
         "near (1, 0)"),
        # the same position visited twice
        ([[[0, 0], [1, 1], [2, 0], [2, 2], [1, 1], [0, 2], [0, 0]]], "touches"),
        # an edge folding back on the one before (a spike)
        ([[[0, 0], [2, 0], [1, 0], [1, 1], [0, 0]]], "folds back along"),
        # collinear edges of one ring overlapping
        ([[[0, 0], [3, 0], [3, 1], [2, 1], [2, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
         "is not simple"),
        # fewer than 3 distinct positions
        ([[[0, 0], [1, 1], [1, 1], [0, 0]]], "fewer than 3 distinct positions"),
        # a hole crossing the exterior
        ([[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [5, 1], [5, 2], [1, 2], [1, 1]]],
         "edge 1 (positions 1→2) crosses edge 0 (positions 0→1) of ring 0.1 (hole) near (4, 1)"),
        # a hole lying along the exterior's edge
        ([[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[0, 1], [2, 1], [2, 2], [0, 2], [0, 1]]],
         "runs along"),
        # a hole touching the exterior at two vertices, cutting the interior in two
        ([[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[0, 1], [2, 2], [4, 1], [2, 3], [0, 1]]],
         "touch at two or more points"),
    ],
)
def test_rings_that_are_not_simple_are_refused(rings: list[Any], needle: str) -> None:
    with pytest.raises(NatureInputError) as err:
        parse_layer(_fc(*rings, crs=UTM), "sites.geojson")
    assert str(err.value).startswith("sites.geojson: features[0] (id 'A').geometry ring 0.")
    assert needle in str(err.value)


def test_multipolygon_names_the_polygon_with_the_fault() -> None:
    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    bow = [[[2, 0], [3, 1], [3, 0], [2, 1], [2, 0]]]
    doc = _fc(crs=UTM)
    doc["features"][0]["geometry"] = {"type": "MultiPolygon", "coordinates": [square, bow]}
    with pytest.raises(NatureInputError, match=r"ring 1\.0 \(exterior\) is not simple"):
        parse_layer(doc, "sites.geojson")


def _km2(rings: list[Any]) -> float:
    """The polygon's area on a 10 m grid (pixel centres inside), as the assessment counts it."""
    import numpy as np
    import xarray as xr
    from affine import Affine

    from junkan.nature.rasters import Raster, coverage

    data = xr.DataArray(np.zeros((1, 10, 10), np.uint16), dims=("band", "y", "x"))
    raster = Raster("scene.tif", data, UTM, Affine(10, 0, 800_000, 0, -10, 1_400_100), 0.0)
    poly = Polygon("A", {"type": "Polygon", "coordinates": rings})
    return coverage(poly, raster)["polygon_km2"]


@pytest.mark.parametrize(
    ("rings", "km2"),
    [
        # concave "U", 60 m × 60 m less a 20 m × 40 m notch: 2,800 m²
        ([[[800_010, 1_400_010], [800_070, 1_400_010], [800_070, 1_400_070],
           [800_050, 1_400_070], [800_050, 1_400_030], [800_030, 1_400_030],
           [800_030, 1_400_070], [800_010, 1_400_070], [800_010, 1_400_010]]], 0.0028),
        # 80 m × 80 m with a 40 m × 40 m hole: 4,800 m²
        ([[[800_010, 1_400_010], [800_090, 1_400_010], [800_090, 1_400_090],
           [800_010, 1_400_090], [800_010, 1_400_010]],
          [[800_030, 1_400_030], [800_030, 1_400_070], [800_070, 1_400_070],
           [800_070, 1_400_030], [800_030, 1_400_030]]], 0.0048),
        # the same with its hole touching the exterior at one point (OGC allows it)
        ([[[800_010, 1_400_010], [800_090, 1_400_010], [800_090, 1_400_090],
           [800_010, 1_400_090], [800_010, 1_400_010]],
          [[800_010, 1_400_050], [800_050, 1_400_070], [800_050, 1_400_030],
           [800_010, 1_400_050]]], 0.0064 - 0.0008),
    ],
)
def test_valid_concave_and_holed_polygons_are_accepted_with_their_area(
    rings: list[Any], km2: float
) -> None:
    lay = parse_layer(_fc(*rings, crs=UTM), "sites.geojson")
    assert _km2(lay.polygons[0].geometry["coordinates"]) == pytest.approx(km2, abs=2e-4)


def _brute(rings: list[list[tuple[Fraction, Fraction]]]) -> bool:
    """True when the rings are simple by the module's rules, tested on every pair."""
    def orient(a: Any, b: Any, c: Any) -> int:
        d = (a[0] - c[0]) * (b[1] - c[1]) - (a[1] - c[1]) * (b[0] - c[0])
        return (d > 0) - (d < 0)

    def on(a: Any, b: Any, p: Any) -> bool:
        return (min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
                and min(a[1], b[1]) <= p[1] <= max(a[1], b[1]))

    edges = []
    for r, ring in enumerate(rings):
        v = [p for i, p in enumerate(ring[:-1]) if i == 0 or p != ring[i - 1]]
        while len(v) > 1 and v[-1] == v[0]:
            v.pop()
        if len(v) < 3:
            return False
        edges += [(r, k, len(v), v[k], v[(k + 1) % len(v)]) for k in range(len(v))]
    touch_points: dict[tuple[int, int], set[Any]] = {}
    for i, (r1, k1, n1, a, b) in enumerate(edges):
        for r2, k2, _, c, d in edges[i + 1:]:
            o = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b))
            if r1 == r2 and (k2 - k1 == 1 or k2 - k1 == n1 - 1):
                shared, p, q = (b, a, d) if k2 - k1 == 1 else (a, b, c)
                if orient(p, shared, q) == 0 and (p[0] - shared[0]) * (q[0] - shared[0]) + (
                        p[1] - shared[1]) * (q[1] - shared[1]) > 0:
                    return False
                continue
            hits = [pt for oi, (s, t, pt) in zip(o, [(a, b, c), (a, b, d), (c, d, a), (c, d, b)],
                                                 strict=True) if oi == 0 and on(s, t, pt)]
            if o[0] * o[1] < 0 and o[2] * o[3] < 0:
                return False
            if o[0] == o[1] == 0 and len(set(hits)) >= 2:
                return False
            if hits and r1 == r2:
                return False
            if hits:
                touch_points.setdefault((r1, r2), set()).add(hits[0])
    return all(len(s) < 2 for s in touch_points.values())


@pytest.mark.parametrize("seed", range(6))
def test_grid_check_agrees_with_brute_force_on_random_rings(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        scale, x0 = rng.choice([(1.0, 0.0), (0.001, 105.8), (10.0, 800_000.0)])
        rings = []
        for r in range(rng.choice([1, 1, 2, 3])):
            n = rng.randint(3, 9)
            lo, hi = (0, 6) if r == 0 else (1, 5)
            pts = [[x0 + scale * rng.randint(lo, hi), x0 + scale * rng.randint(lo, hi)]
                   for _ in range(n)]
            rings.append([*pts, pts[0]])
        exact = [[(Fraction(x), Fraction(y)) for x, y in ring] for ring in rings]
        assert (fault(rings) is None) == _brute(exact), rings


def test_large_star_ring_accepted_and_one_swapped_vertex_refused() -> None:
    import math

    n = 5_000
    pts = [[105.8 + 0.01 * (1 + 0.3 * math.sin(7 * t)) * math.cos(t),
            21.0 + 0.01 * (1 + 0.3 * math.sin(7 * t)) * math.sin(t)]
           for t in (2 * math.pi * k / n for k in range(n))]
    assert fault([[*pts, pts[0]]]) is None
    pts[100], pts[2_600] = pts[2_600], pts[100]
    found = fault([[*pts, pts[0]]])
    assert found is not None and found.kind == "cross"
    assert {found.edge_a[0], found.edge_b[0]} & {99, 100, 2_599, 2_600}


def test_too_many_close_edge_pairs_are_refused_not_checked_for_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from junkan.nature import simple

    # a comb of 50 long, thin teeth: every long edge shares a cell with most of the others
    ring = [[0.0, 0.0]]
    for t in range(50):
        ring += [[2.0 * t, 100.0], [2.0 * t + 1, 100.0], [2.0 * t + 1, 1.0], [2.0 * t + 2, 1.0]]
    ring += [[100.0, 0.0], [0.0, 0.0]]
    assert fault([ring]) is None
    monkeypatch.setattr(simple, "MAX_PAIRS", 1_000)
    with pytest.raises(NatureInputError) as err:
        parse_layer(_fc(ring, crs=UTM), "sites.geojson")
    assert "too intricate to check" in str(err.value) and "ogr2ogr -simplify" in str(err.value)
