"""The value network drawn for a model (``ModelFile.network``): part depths are the longest
distance from a material, found in one pass (a past bug: a pass over every BOM line per
part made a 200-product model's upload run out of its CPU budget)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from junkan.lifecycle.api import load
from junkan.lifecycle.graph import part_depths
from junkan.lifecycle.part_table import part_table

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from lifecycle_bench import generate_model  # noqa: E402


def _fixpoint(parts: dict[str, list[str]]) -> dict[str, int]:
    """The definition, computed the slow way: relax every line until nothing changes."""
    depth = dict.fromkeys(parts, 0)
    changed = True
    while changed:
        changed = False
        for name, subs in parts.items():
            d = max((depth[s] + 1 for s in subs), default=0)
            if d > depth[name]:
                depth[name], changed = d, True
    return depth


def _doc(subs: dict[str, list[str]]) -> str:
    """A model whose parts have the sub-parts ``subs`` (each also 1 kg of steel)."""
    parts = {name: {"bom": [{"material": "s", "mass": "1 kg"},
                            *({"part": s, "quantity": 1} for s in ss)]}
             for name, ss in subs.items()}
    top = [n for n in subs if not any(n in ss for ss in subs.values())]
    return json.dumps({
        "junkan": 1, "name": "deep", "years": {"start": 2020, "end": 2022},
        "actors": {"a": {"role": "part_maker"}},
        "materials": {"s": {"virgin": {"co2e": "2 kgCO2e/kg", "source": "t"}}},
        "parts": parts,
        "products": {"w": {"sales": {"2020": 10}, "bom": [{"part": n} for n in top],
                           "lifetime": {"distribution": "weibull", "scale": "6 year",
                                        "shape": 2.0},
                           "eol": {"uncollected": {"lf": 1}}}},
        "processes": {"lf": {"kind": "landfill", "actor": "a", "stage": "disposal",
                             "source": "t"}}})


def test_depths_are_the_longest_distance_from_a_material() -> None:
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(1, 40)
        names = [f"q{i}" for i in range(n)]  # sub-parts only among later names: no cycle
        subs = {names[i]: rng.sample(names[i + 1:], k=min(n - i - 1, rng.randint(0, 3)))
                for i in range(n)}
        mf = load(text=_doc(subs), source="deep.json")
        assert part_depths(part_table(mf.baseline)) == _fixpoint(subs)


def test_a_long_chain_is_drawn_in_depth_order() -> None:
    """A chain of 30 parts, listed top first (the BOM depth limit is 32 levels)."""
    subs = {f"q{i}": [f"q{i + 1}"] if i < 29 else [] for i in range(30)}
    net = load(text=_doc(subs), source="chain.json").network()
    x = {n["id"]: n["x"] for n in net["nodes"] if n["kind"] == "part"}
    assert x["part:q29"] == 0.08 and x["part:q0"] == 0.08 + 0.14  # leaf left, top right
    assert all(x[f"part:q{i}"] > x[f"part:q{i + 1}"] for i in range(29))


def test_network_of_the_benchmark_model_names_every_bom_line() -> None:
    mf = load(text=json.dumps(generate_model(30, 20, 10, 10)), source="bench.json")
    net = mf.network()
    bom = [e for e in net["edges"] if e["kind"] == "bom"]
    parts = part_table(mf.baseline)
    assert len(bom) == len(parts.line_qty) + sum(len(p.bom) for p in
                                                  mf.baseline.products.values())
    ids = {n["id"] for n in net["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in bom)
