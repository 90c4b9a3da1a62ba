"""Validation models with a known answer (tests/foresight/models.py): a lever switched on in a
given year for half the scenarios must be found in that year (± 1) and named as the driver,
for several years and every way of choosing k; two independent levers give a tree with both
splits, each at its year; a continuum of futures gives no branch at all."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from junkan import foresight
from junkan.foresight import Analysis, Ensemble
from junkan.foresight.branching import first_persistent, group_stats, measures
from tests.foresight.models import calm_model, switch_model

SWITCH_YEARS = [2029, 2034, 2040]


@lru_cache(maxsize=8)
def _ensemble(years: tuple[int, ...], n: int = 3000, seed: int = 1) -> Ensemble:
    return foresight.run(foresight.load(doc=switch_model(list(years))), n, seed=seed)


def _sides(res: Analysis, node: dict[str, Any]) -> list[np.ndarray]:
    """Boolean masks of the scenarios on each side of a tree node."""
    def members(child: int) -> list[int]:
        return [child] if child < res.k else res.tree[child - res.k]["groups"]
    return [np.isin(res.labels, members(child)) for child in node["children"]]


def _real(res: Analysis) -> list[dict[str, Any]]:
    return [m for m in res.tree if m["branch_year"] is not None]


@pytest.mark.slow
@pytest.mark.parametrize("year", SWITCH_YEARS)
@pytest.mark.parametrize("k", [2, 9, "auto"])
def test_a_lever_is_found_in_its_year_and_named(year: int, k: int | str) -> None:
    ens = _ensemble((year,))
    res = foresight.analyse(ens, k, seed=1, transitions_every=9)
    root = res.tree[-1]
    assert root["driver"] == "switch" and root["driver_kind"] == "lever", root
    assert abs(root["branch_year"] - year) <= 1, root
    on = ens.lever_on[:, 0].astype(bool)  # type: ignore[index]
    left, _ = _sides(res, root)
    assert max((left == on).mean(), (left != on).mean()) >= 0.98  # the root splits the worlds
    assert [m["groups"] for m in _real(res)] == [root["groups"]]  # and nothing else splits
    if k != 9:
        assert res.k == 2 and res.feature_scores[0][0] == "lever:switch"


@pytest.mark.slow
def test_auto_chooses_from_2_to_12_by_silhouette() -> None:
    res = foresight.analyse(_ensemble((2034,)), "auto", seed=1, transitions_every=9)
    assert sorted(res.silhouette) == list(range(2, 13))
    assert res.k == max(res.silhouette, key=lambda c: res.silhouette[c]) == 2


@pytest.mark.slow
@pytest.mark.parametrize("years", [(2030, 2038), (2036, 2029), (2033, 2041)])
def test_two_independent_levers_give_a_tree_with_both_years(years: tuple[int, int]) -> None:
    res = foresight.analyse(_ensemble(years, n=4000, seed=2), 9, seed=2, transitions_every=9)
    real = _real(res)
    assert len(real) == 3, real
    root = res.tree[-1]
    assert root in real
    first = int(root["driver"].split("_")[1])
    assert root["driver_kind"] == "lever" and abs(root["branch_year"] - years[first]) <= 1
    below = [m for m in real if m is not root]
    for m in below:
        assert m["driver"] == f"switch_{1 - first}" and m["driver_kind"] == "lever"
        assert abs(m["branch_year"] - years[1 - first]) <= 1
    # one split under each side of the root: depth 2
    left, right = (set(np.unique(res.labels[side])) for side in _sides(res, root))
    assert sorted(bool(set(m["groups"]) <= left) for m in below) == [False, True]
    assert all(set(m["groups"]) <= left or set(m["groups"]) <= right for m in below)


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 9, "auto"])
def test_a_continuum_of_futures_has_no_branch(k: int | str) -> None:
    ens = foresight.run(foresight.load(doc=calm_model()), 3000, seed=0)
    res = foresight.analyse(ens, k, seed=0, transitions_every=9)
    assert all(m["branch_year"] is None for m in res.tree)
    assert all(b["branch_year"] is None and b["driver"] is None for b in res.branches)
    assert max(m["separation"] for m in res.tree) < 0.8  # no factor parts in two


def test_a_deterministic_separation_registers() -> None:
    """The lever's target moves identically in every scenario of each side (spread 0): its
    effect size is |Δμ| / floor, not 0, from the lever's first year."""
    ens = _ensemble((2034,))
    on = ens.lever_on[:, 0].astype(np.int64)  # type: ignore[index]
    stats = group_stats(ens, on, 2)
    d, r2 = measures(stats, [0], [1])
    policy = ens.compiled.index["policy"]
    t = int(np.nonzero(ens.compiled.years == 2034)[0][0])
    assert d[t - 1, policy] == pytest.approx(0, abs=1e-6)
    assert d[t, policy] == pytest.approx(0.05 / 0.01, rel=0.01)
    assert first_persistent(r2 >= 0.8)[policy] == t


def test_streamed_and_stored_states_give_the_same_group_statistics() -> None:
    c = foresight.load(doc=switch_model([2034]))
    stored = foresight.run(c, 1500, seed=3, chunk=512)
    half = foresight.run(c, 1500, seed=3, chunk=512, store_states="float16")
    kpis_only = foresight.run(c, 1500, seed=3, chunk=512, store_states=False)
    assert kpis_only.states is None and half.states is not None
    labels = np.arange(1500) % 3
    a, b, h = (group_stats(e, labels, 3) for e in (stored, kpis_only, half))
    for x, y in ((a, b), (a, h)):
        for side in ([0], [1, 2]):
            _, mean_x, var_x = x.side(side)
            _, mean_y, var_y = y.side(side)
            assert np.allclose(mean_x, mean_y, atol=3e-4)
            assert np.allclose(np.sqrt(var_x), np.sqrt(var_y), atol=3e-4)


def test_first_persistent_needs_min_run_years_or_the_end() -> None:
    ok = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 1],
                   [1, 1, 1]], dtype=bool)
    assert first_persistent(ok).tolist() == [0, 2, 5]


def test_prim_finds_the_box_that_holds_a_group() -> None:
    from junkan.foresight.discovery import prim_box

    x = np.random.default_rng(0).random((4000, 3))
    y = ((x[:, 1] > 0.7) & (x[:, 2] < 0.5)).astype(float)  # 15 % of the points
    box = prim_box(x, y, ["a", "b", "c"])
    assert set(box["limits"]) >= {"b", "c"} and "a" not in box["limits"]
    assert box["limits"]["b"][0] == pytest.approx(0.7, abs=0.03)
    assert box["limits"]["c"][1] == pytest.approx(0.5, abs=0.03)
    assert box["density"] > 0.9 and box["coverage"] > 0.8


@pytest.mark.slow
@pytest.mark.parametrize("k", [9, "auto"])
def test_the_bistable_example_branches_in_2030_on_push_for_any_k(k: int | str) -> None:
    from tests.conftest import EXAMPLES

    ens = foresight.run(foresight.load(EXAMPLES / "foresight_validation.yaml"), 3000, seed=7)
    res = foresight.analyse(ens, k, seed=7, transitions_every=9)
    real = _real(res)
    assert real == [res.tree[-1]]
    assert abs(real[0]["branch_year"] - 2030) <= 1 and real[0]["driver"] == "push"
