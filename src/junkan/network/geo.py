"""Japan's prefectures and ports (shipped data with sources), great-circle distances and
prefecture outlines (shipped GeoJSON derived from the ``japanmap`` package, Apache-2.0; see
``junkan/data/geo/README.md``) for checks and maps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

from junkan.core.errors import CodedError, short

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


@dataclass(frozen=True)
class Place:
    key: str
    name: str
    ja: str
    prefecture: int
    lat: float
    lon: float
    port: bool
    population: float = 0.0


def _load(name: str) -> dict:
    text = (resources.files("junkan.data") / name).read_text("utf-8")
    return dict(yaml.safe_load(text))


@lru_cache(maxsize=1)
def prefectures() -> list[Place]:
    """The 47 prefectures (code 1–47) at their prefectural offices."""
    return [Place(key=f"pref:{p['code']}", name=p["en"], ja=p["ja"], prefecture=p["code"],
                  lat=p["lat"], lon=p["lon"], port=False, population=p["population_2024"])
            for p in _load("japan_prefectures.yaml")["prefectures"]]


@lru_cache(maxsize=1)
def ports() -> list[Place]:
    """International strategic and international hub ports (23)."""
    return [Place(key=f"port:{p['name'].removesuffix(' port').lower()}", name=p["name"],
                  ja=p["ja"], prefecture=p["prefecture"], lat=p["lat"], lon=p["lon"],
                  port=True) for p in _load("japan_ports.yaml")["ports"]]


@dataclass(frozen=True)
class Site:
    """A named candidate site of the case studies (``data/network/sites.yaml``)."""

    key: str
    name: str
    ja: str
    prefecture: int
    lat: float
    lon: float
    cases: tuple[int, ...]
    facility: str
    port: str | None  # nearest shipped port, if any
    quay: bool  # its own quay: ships may call
    island: bool


@lru_cache(maxsize=1)
def sites() -> dict[str, Site]:
    """The named areas of the twelve case studies (seed 004), by key."""
    doc = _load("network/sites.yaml")
    return {s["key"]: Site(key=s["key"], name=s["name"], ja=s["ja"], prefecture=s["prefecture"],
                           lat=float(s["lat"]), lon=float(s["lon"]),
                           cases=tuple(s.get("case", [])), facility=s["facility"],
                           port=s.get("port"), quay=bool(s.get("quay", False)),
                           island=bool(s.get("island", False)))
            for s in doc["sites"]}


ROAD_GROUPS = {1: "Hokkaido", 47: "Okinawa"}
"""Prefectures not linked to Honshu by road (the Seikan tunnel is rail-only); Honshu, Shikoku
and Kyushu are linked by road bridges and tunnels (Honshu–Shikoku bridges, Kanmon)."""


def road_group(prefecture: int) -> str:
    """The road-connected land a prefecture belongs to: trucks stay within one group."""
    return ROAD_GROUPS.get(prefecture, "Honshu-Shikoku-Kyushu")


@lru_cache(maxsize=1)
def supply_templates() -> dict[str, dict]:
    """National supply templates with their sources (t/yr)."""
    return dict(_load("network_supply_templates.yaml")["templates"])


class UnknownPrefecture(CodedError, KeyError):
    """A prefecture :func:`prefecture_code` cannot find: ``args[0]`` is the message;
    :meth:`~junkan.core.errors.CodedError.problem` the same as a coded problem
    (``prefecture-code``, ``unknown-prefecture``)."""


def prefecture_code(name: str | int) -> int:
    """Code 1–47 from a code, an English or a Japanese name (``Tokyo``, ``東京都``, ``東京``);
    raises :class:`UnknownPrefecture`."""
    if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
        code = int(name)
        if 1 <= code <= 47:
            return code
        raise UnknownPrefecture.coded("prefecture-code", "prefecture code {code} is not in "
                                      "1–47", code=code)
    key = str(name).strip()
    for p in prefectures():
        if key.lower() == p.name.lower() or key in (p.ja, p.ja.rstrip("都道府県")):
            return p.prefecture
    raise UnknownPrefecture.coded("unknown-prefecture", "unknown prefecture {name}; use a code "
                                  "1–47, an English name such as 'Aichi' or a Japanese name "
                                  "such as '愛知県'", name=short(name))


def great_circle_km(lat1: np.ndarray | float, lon1: np.ndarray | float,
                    lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Haversine distance in km (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


PREFECTURE_OUTLINES = "geo/prefectures.geojson"
"""Shipped outlines, relative to ``junkan.data`` (source, licence and generator in its README)."""


@lru_cache(maxsize=1)
def prefecture_polygons() -> dict[int, np.ndarray]:
    """Outline of each prefecture (code 1–47; the area holding its prefectural office) as a
    closed (n, 2) array of (lon, lat)."""
    text = (resources.files("junkan.data") / PREFECTURE_OUTLINES).read_text("utf-8")
    return {int(f["properties"]["code"]): np.asarray(f["geometry"]["coordinates"][0], dtype=float)
            for f in json.loads(text)["features"]}


def inside(poly: np.ndarray, lon: float, lat: float) -> bool:
    """Ray-casting point-in-polygon test (polygon of (lon, lat) vertices)."""
    x, y = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    cross = (y > lat) != (y2 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = x + (lat - y) * (x2 - x) / (y2 - y)
    return bool(np.count_nonzero(cross & (lon < xint)) % 2)


def distance_to_polygon_km(poly: np.ndarray, lon: float, lat: float) -> float:
    """0 inside, else the distance to the nearest vertex (km) — enough for a data check."""
    if inside(poly, lon, lat):
        return 0.0
    return float(great_circle_km(lat, lon, poly[:, 1], poly[:, 0]).min())
