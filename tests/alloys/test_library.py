"""The vehicle library: read with clear errors, indexed once as arrays (issue 18, item 7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from junkan.alloys.data import load_alloy_library, load_library
from junkan.alloys.index import FAMILIES
from junkan.alloys.predict import FeedPlan, build_feed
from junkan.core.errors import ModelError

LIB = load_library()


def car(vid: str, **aluminium: dict) -> dict:  # type: ignore[type-arg]
    return {"id": vid, "make": "test", "model": "m", "year": 2020, "powertrain": "ICEV",
            "curb_kg": 1000, "materials": {"steel": 600, "copper": 10, "heavy_nonferrous": 3,
                                           "residue": 300},
            "aluminium": aluminium or {"wheels": {"alloy": "A356", "kg": 20}}}


@pytest.mark.parametrize("vehicles,where,words", [
    ([car("x", wheels={"alloy": "UNOBTAINIUM", "kg": 20})], "vehicles.x.aluminium.wheels.alloy",
     "unknown alloy 'UNOBTAINIUM'"),
    ([car("x", spoiler={"alloy": "6061", "kg": 2})], "vehicles.x.aluminium.spoiler",
     "unknown component 'spoiler'"),
    ([car("x", wheels={"alloy": "A356", "kg": -4})], "vehicles[0].aluminium.wheels.kg",
     "greater than 0"),
    ([car("x"), car("x")], "vehicles[1].id", "duplicate vehicle id 'x'"),
    ([car("makerA_kei_2008_icev")], "vehicles[0].id", "duplicate vehicle id"),
    ([{**car("x"), "maker": "Z"}], "vehicles.x.maker", "unknown maker 'Z'"),
])
def test_extra_vehicles_errors_name_file_field_and_rule(tmp_path: Path, vehicles: list,  # type: ignore[type-arg]
                                                        where: str, words: str) -> None:
    f = tmp_path / "more.json"
    f.write_text(json.dumps({"vehicles": vehicles}))
    with pytest.raises(ModelError) as err:
        load_alloy_library(str(f))
    text = str(err.value)
    assert f"{f}:{where}" in text and words in text, text


def test_extra_vehicles_join_the_library(tmp_path: Path) -> None:
    f = tmp_path / "more.json"
    f.write_text(json.dumps({"vehicles": [car("extra_one")]}))
    lib = load_alloy_library(str(f))
    assert "extra_one" in lib.vehicles and len(lib.vehicles) == len(LIB.vehicles) + 1
    assert "extra_one" not in load_alloy_library().vehicles


def test_index_is_built_once_and_matches_the_library() -> None:
    idx = LIB.index()
    assert LIB.index() is idx  # arrays built once per library object
    assert list(idx.keys) == sorted(idx.keys) == LIB.part_keys()
    for v in LIB.vehicles.values():
        i = idx.vehicle_index[v.id]
        sl = idx.entries(i)
        assert {idx.components[c] for c in idx.comp[sl]} == set(v.aluminium)
        assert idx.kg[sl].sum() == pytest.approx(v.al_kg)
        fam = {f: 0.0 for f in FAMILIES}
        for p in v.aluminium.values():
            fam[LIB.alloys[p["alloy"]].family] += p["kg"]
        assert np.allclose(idx.family_kg[i], [fam[f] for f in FAMILIES])
    assert idx.legal[idx.component_index["battery_cells"]]
    # a changed copy gets its own arrays
    fewer = LIB.model_copy(update={"vehicles": {k: v for k, v in list(LIB.vehicles.items())
                                                [:2]}})
    assert fewer.index() is not idx and len(fewer.index().vehicles) == 2


def test_feed_is_built_from_the_index_line_by_line() -> None:
    plan = FeedPlan(vehicles=[{"vehicle": "makerC_sedan_2010_icev", "count": 2,
                               "remove": ["mg_beam"]},
                              {"vehicle": "makerC_sedan_2010_icev", "count": 3},
                              {"vehicle": "makerA_kei_2008_icev", "count": 1}],
                    remove=["wheels"])
    feed = build_feed(plan, LIB)
    c, a = LIB.vehicles["makerC_sedan_2010_icev"], LIB.vehicles["makerA_kei_2008_icev"]
    assert feed.removed["mg_beam"] == pytest.approx(2 * c.aluminium["mg_beam"]["kg"])
    assert feed.removed["wheels"] == pytest.approx(5 * c.aluminium["wheels"]["kg"])
    expected = 5 * c.al_kg + a.al_kg - feed.removed["mg_beam"] - feed.removed["wheels"]
    assert feed.alloy_kg.sum() == pytest.approx(expected)
    assert feed.other_kg["steel"] == pytest.approx(5 * c.materials["steel"] +
                                                   a.materials["steel"])
    assert feed.vehicles == 6


def test_a_buyer_declared_as_spec_maxima_less_a_share_matches_the_spec_file() -> None:
    """review 270: adc12_feed says "JIS H 5302 ADC12 maxima less 15 %" but left out Cu
    (3.5 → 2.975) and Ti (0.30 → 0.255), so a lot with Cu 5 % was graded met. Every buyer whose
    source states that rule has every upper limit of the alloy's spec, less the share."""
    lib = load_alloy_library()
    declared = 0
    for key, buyer in lib.buyers.items():
        found = re.search(r"(\w+) maxima less (\d+(?:\.\d+)?) %", buyer.source)
        if not found:
            continue
        declared += 1
        spec = lib.alloys[found.group(1)].limits
        share = float(found.group(2)) / 100
        for e, lim in spec.items():
            upper = lim[1] if isinstance(lim, tuple) else lim
            assert buyer.max.get(e) == pytest.approx(upper * (1 - share), abs=1e-9), (key, e)
    assert declared >= 1
