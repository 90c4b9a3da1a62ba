"""The survey's richness indicators per area: each observation counts in the area it names,
else in the first area its GPS point lies in, and in no other — with many areas and
observations, the same as taking each area's observations one area at a time."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from junkan import nature
from junkan.nature import fieldwork
from junkan.nature.checklist import bundled
from junkan.nature.geo import WGS84, Layer, Polygon


def _square(fid: str, x: float, y: float, side: float) -> Polygon:
    ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
    return Polygon(fid, {"type": "Polygon", "coordinates": [ring]})


def test_each_observation_counts_in_its_own_area_only(sample: Path, tmp_path: Path) -> None:
    # 12 areas on a grid of 1° squares, and one (Z) overlapping A0: a point in both is A0's
    areas = Layer("areas", WGS84, [_square(f"A{i}", 100 + i % 4, 10 + i // 4, 1)
                                   for i in range(12)] + [_square("Z", 100.5, 10.5, 1)])
    rnd = random.Random(1)
    species = sorted(bundled().names)
    obs = []
    for i in range(600):
        o = {"id": f"o{i}", "species": species[i % len(species)], "count": 1 + i % 3,
             "lat": rnd.uniform(9.5, 13.5), "lon": rnd.uniform(99.5, 104.5),
             "time": "2024-05-01T07:30:00+07:00", "observer": "x"}
        if i % 5 == 0:
            o["area"] = f"A{i % 12}" if i % 10 else "Z"  # named: counted there
        obs.append(o)
    (tmp_path / "obs.json").write_text(json.dumps(obs), encoding="utf-8")
    doc = yaml.safe_load(sample.read_text()) | {"survey": {"observations": "obs.json"}}
    a = nature.load(doc=doc, base=tmp_path)
    got = fieldwork.assess_survey(a, areas)
    assert got is not None
    per, total = got
    located = fieldwork.locate(fieldwork.read_observations(tmp_path / "obs.json"), areas, "o")
    ids = [p.fid for p in areas.polygons]
    lists = fieldwork.checklists(a, ids)
    assert per == {i: fieldwork.indicators([o for o in located if o.area == i],
                                           lists.for_area(i)) for i in ids}
    counts = {i: per[i]["observations"] for i in ids}
    assert all(counts.values())
    assert counts["Z"] == 60  # those naming it: a point in Z is in an area listed before it
    assert sum(counts.values()) + total["outside_areas"] == total["observations"] == 600
    assert total["outside_areas"] > 0
    assert per["A1"]["individuals"] == sum(o.count for o in located if o.area == "A1")
