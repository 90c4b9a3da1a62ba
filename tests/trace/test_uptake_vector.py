"""Rule 3 solved over a whole cone (junkan.trace.uptake.derive, what the store runs) gives
what the lot-by-lot loop (pcf.rederived in creation order, what the replay runs) gives: on
random DAGs of blends, splits and processes from declared lots with and without a declared
uptake, net biogenic CFPs of both signs and near zero, and lots made under rule 2 among
them (kept as stored). The same keys and None-ness exactly; numbers to float rounding."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from junkan.trace.pcf import UPTAKE_FACTS, follows_inputs, pcf_facts, rederived
from junkan.trace.uptake import State, derive, same

U, A = UPTAKE_FACTS
STALE: list[dict[str, Any]] = [{}, {U: None}, {U: -1.0}, {U: -2.0, A: -1.0},
                               {"country": "JP"}, {"country": "JP", U: -3.0, A: 0.0}]


def _biogenic(rng: random.Random) -> float:
    return rng.choice([0.0, 1e-9, -1e-9, rng.uniform(-50, 50), -rng.uniform(0, 50),
                       rng.uniform(0, 50)])


def _ledger(rng: random.Random, n: int) -> tuple[list[Any], list[list[tuple[int, float]]]]:
    lots: list[Any] = []
    inputs: list[list[tuple[int, float]]] = []
    for i in range(n):
        mass = rng.uniform(1, 100)
        if i < 3 or rng.random() < 0.25:  # declared
            pcf = rng.choice([{}, {}, {U: -rng.uniform(0, 30)}, {"country": "JP"},
                              {"country": "DE", U: 0}])
            lots.append(SimpleNamespace(custody="declared", declared={"pcf": pcf}, own={},
                                        mass_kg=mass, cfp_biogenic=_biogenic(rng)))
            inputs.append([])
            continue
        kind = rng.choice(["blend", "blend", "split", "process"])
        k = rng.randint(2, 4) if kind == "blend" else 1
        srcs = [rng.randrange(i) for _ in range(k)]
        if rng.random() < 0.5:
            srcs[0] = i - 1  # deep chains too
        taken = [(j, rng.uniform(0.1, 1) * lots[j].mass_kg) for j in srcs]
        own: dict[str, Any] = {"pcf": dict(rng.choice(STALE))}
        if rng.random() < 0.8:
            own["rules"] = 3
        lots.append(SimpleNamespace(custody="controlled_blending", declared=None, own=own,
                                    mass_kg=mass, cfp_biogenic=_biogenic(rng)))
        inputs.append(taken)
    return lots, inputs


def _loop(lots: list[Any], inputs: list[list[tuple[int, float]]]) -> dict[int, Any]:
    """The reference: pcf.rederived lot by lot in creation order; new own of those changed."""
    changed = {}
    for i, lot in enumerate(lots):
        if inputs[i] and follows_inputs(lot):
            own = rederived(lot, [(lots[j], m) for j, m in inputs[i]])
            if own is not None:
                lot.own = own
                changed[i] = own
    return changed


def _vector(lots: list[Any], inputs: list[list[tuple[int, float]]]) -> dict[int, Any]:
    """What the store does (store.trace_uptake.rederive_uptake), on these lots."""
    follow = np.array([i for i, lot in enumerate(lots) if inputs[i] and follows_inputs(lot)],
                      dtype=np.int64)
    edges = [(j, i, m) for i in follow.tolist() for j, m in inputs[i]]
    src, dst, taken = (np.array(x) for x in zip(*edges, strict=True)) if edges else \
        (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),)
    state = State.empty(len(lots))
    for j in set(src.tolist()) - set(follow.tolist()):
        state.set(j, pcf_facts(lots[j]))
    olds = [dict(lots[i].own.get("pcf") or {}) for i in follow.tolist()]
    rest = np.array([any(k not in UPTAKE_FACTS for k in o) for o in olds], dtype=bool)
    found = derive(src.astype(np.int64), dst.astype(np.int64), taken.astype(float),
                   np.array([x.mass_kg for x in lots]),
                   np.array([x.cfp_biogenic for x in lots]), follow, state, rest)
    changed = {}
    for k, (i, old) in enumerate(zip(follow.tolist(), olds, strict=True)):
        new = found.facts(k)
        if not same(old, new):
            pcf = {key: v for key, v in old.items() if key not in UPTAKE_FACTS}
            changed[i] = {**lots[i].own, "pcf": pcf | new}
    return changed


def _close(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


@pytest.mark.parametrize("seed", range(60))
def test_the_cone_solve_gives_what_the_loop_gives(seed: int) -> None:
    rng = random.Random(seed)
    lots, inputs = _ledger(rng, rng.choice([5, 20, 80, 300]))
    stored = [SimpleNamespace(**vars(x)) for x in lots]
    vector = _vector(stored, inputs)
    loop = _loop(lots, inputs)
    assert vector.keys() == loop.keys()
    for i, own in loop.items():
        assert own.keys() == vector[i].keys() and own["rules"] == vector[i]["rules"]
        assert _close(own["pcf"], vector[i]["pcf"]), (i, own, vector[i])
    # once derived, deriving again changes nothing (either way)
    assert _loop(lots, inputs) == {}
    assert _vector(lots, inputs) == {}


def test_none_follow() -> None:
    lots = [SimpleNamespace(custody="declared", declared={"pcf": {}}, own={}, mass_kg=1.0,
                            cfp_biogenic=-1.0)]
    assert _vector(lots, [[]]) == {}


def test_a_deep_cone_with_more_paths_than_a_float_counts() -> None:
    """3,000 blends, each of the two before it: 10^600 paths from the top (reachability by
    counting paths overflowed; it is a search)."""
    rng = random.Random(7)
    lots: list[Any] = [SimpleNamespace(custody="declared", declared={"pcf": p}, own={},
                                       mass_kg=10.0, cfp_biogenic=b)
                       for p, b in (({U: -4.0}, -5.0), ({}, 3.0))]
    inputs: list[list[tuple[int, float]]] = [[], []]
    for i in range(2, 3000):
        lots.append(SimpleNamespace(custody="controlled_blending", declared=None,
                                    own={"rules": 3, "pcf": {}}, mass_kg=10.0,
                                    cfp_biogenic=rng.uniform(-5, 5)))
        inputs.append([(i - 1, 4.0), (i - 2, 5.0)])
    stored = [SimpleNamespace(**vars(x)) for x in lots]
    vector, loop = _vector(stored, inputs), _loop(lots, inputs)
    assert vector.keys() == loop.keys() and len(loop) == 2998
    assert all(_close(loop[i]["pcf"], vector[i]["pcf"]) for i in loop)
