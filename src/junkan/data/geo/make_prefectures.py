"""Regenerate ``prefectures.geojson`` from the ``japanmap`` package's boundary data.

Shipped beside its output but never imported by junkan: run it by hand in a scratch
environment that has japanmap (see README.md in this folder)::

    python3 -m venv /tmp/geo && /tmp/geo/bin/pip install japanmap==0.6.0 numpy
    /tmp/geo/bin/python src/junkan/data/geo/make_prefectures.py

japanmap stores the boundaries topologically: a list of points and, per prefecture, the arcs
(point-index lists) it shares with each neighbour (0 = the sea). Each arc is simplified once
with Douglas–Peucker (tolerance in km on a local equirectangular projection, arc ends kept),
so neighbouring outlines still meet exactly. The outline of a prefecture is the area holding
its prefectural office (japanmap's ``pref_points``): outlying islands are not included.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

TOLERANCE_KM = 1.0
"""Douglas–Peucker tolerance, km. japanmap's data is already generalised (median vertex spacing
4 km, 5 % of edges under 1.7 km), so 1 km only drops nearly collinear vertices (about 2 %);
it is well below a line's width on a national map (1 px ≈ 3 km at 800 px)."""
DECIMALS = 4
"""Coordinates rounded to 1e-4° (about 10 m)."""
KM_PER_DEG_LAT = 111.0
HERE = Path(__file__).resolve().parent
OUT = HERE / "prefectures.geojson"


def _douglas_peucker(xy: np.ndarray, tol: float) -> list[int]:
    """Indices (into ``xy``) kept by Douglas–Peucker; the two ends are always kept. A closed
    arc (first point == last) is split at the point farthest from its start first."""
    n = len(xy)
    if n <= 2:
        return list(range(n))
    if np.allclose(xy[0], xy[-1]):
        far = int(np.argmax(np.hypot(*(xy - xy[0]).T)))
        if far in (0, n - 1):
            return [0, n - 1]
        left = _douglas_peucker(xy[: far + 1], tol)
        right = _douglas_peucker(xy[far:], tol)
        return left + [far + i for i in right[1:]]
    keep = {0, n - 1}
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        p, q = xy[a], xy[b]
        seg = q - p
        length = float(np.hypot(*seg))
        pts = xy[a + 1 : b] - p
        if length == 0:
            d = np.hypot(pts[:, 0], pts[:, 1])
        else:
            d = np.abs(seg[0] * pts[:, 1] - seg[1] * pts[:, 0]) / length
        i = int(np.argmax(d))
        if d[i] > tol:
            m = a + 1 + i
            keep.add(m)
            stack += [(a, m), (m, b)]
    return sorted(keep)


def _km(lonlat: np.ndarray) -> np.ndarray:
    """Local equirectangular projection (km) around Japan's mean latitude."""
    c = math.cos(math.radians(36.0))
    return np.column_stack([lonlat[:, 0] * KM_PER_DEG_LAT * c, lonlat[:, 1] * KM_PER_DEG_LAT])


def _ccw(ring: list[list[float]]) -> list[list[float]]:
    """RFC 7946 §3.1.6: exterior rings counter-clockwise."""
    a = np.asarray(ring)
    area = float(np.sum(a[:-1, 0] * a[1:, 1] - a[1:, 0] * a[:-1, 1]))
    return ring if area > 0 else ring[::-1]


def build(tol_km: float = TOLERANCE_KM) -> dict:
    import japanmap

    qp, qo = japanmap.get_data()  # true positions (Hokkaido and Okinawa not moved)
    pts = np.array([p[0] for p in qp], dtype=float)
    kept: dict[tuple[int, ...], set[int]] = {}
    rings = []
    for k in range(japanmap.NUM_PREF):
        ring: list[list[float]] = []
        for _, arc in qo[k]:
            key = min(tuple(arc), tuple(arc[::-1]))
            if key not in kept:
                idx = _douglas_peucker(_km(pts[list(key)]), tol_km)
                kept[key] = {key[i] for i in idx}
            for i in arc:
                if i in kept[key]:
                    xy = [round(float(v), DECIMALS) for v in pts[i]]
                    if not ring or ring[-1] != xy:
                        ring.append(xy)
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        rings.append(_ccw(ring))
    names = japanmap.pref_names[1:]
    features = [{"type": "Feature", "id": k + 1,
                 "properties": {"code": k + 1, "ja": names[k]},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}
                for k, ring in enumerate(rings)]
    return {
        "type": "FeatureCollection",
        "title": "Outlines of Japan's 47 prefectures (the area holding each prefectural office)",
        "source": f"japanmap {version('japanmap')} (https://pypi.org/project/japanmap/, "
                  "https://github.com/SaitoTsutomu/japanmap), file japanmap/japan.json; "
                  "japanmap does not name the survey its boundaries come from",
        "licence": "Apache-2.0 (japanmap, Copyright 2022 Saito Tsutomu); derived work: "
                   "simplified, see README.md",
        "generated": "2026-11-30",
        "generator": "src/junkan/data/geo/make_prefectures.py",
        "simplification": f"Douglas-Peucker per shared arc, tolerance {tol_km} km; "
                          f"coordinates (longitude, latitude in degrees) rounded to "
                          f"{DECIMALS} decimals",
        "points": sum(len(r) for r in rings),
        "features": features,
    }


def main() -> None:
    doc = build()
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    # one feature per line: readable diffs, still compact
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    OUT.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {doc['points']} points, "
          f"sha256 {digest})", file=sys.stderr)


if __name__ == "__main__":
    main()
