"""Many runs in one pass (the engine's run axis): each run equals the engine run alone."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from junkan import lifecycle
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.engine import RawResult, Runs, node_balances, simulate_compiled
from junkan.lifecycle.step import ARRAYS, OPERATORS
from tests.conftest import EXAMPLES

RAW = [
    f.name
    for f in dataclasses.fields(RawResult)
    if f.name not in ("compiled", "scenario", "balance_error")
]
# each run's document differs in shares, rates, yields and lifetimes
OVERRIDES: list[dict[str, Any]] = [
    {},
    {
        "products.room_ac.eol.collection.rate": 0.55,
        "products.room_ac.maintenance[0].replacement_rate": 0.035,
    },
    {
        "products.room_ac.eol.collection.rate": 0.25,
        "processes.re_regeneration.yields.rare_earth": 0.6,
    },
    {"products.room_ac.lifetime.scale": "11 year"},
]


class PerRun:
    """An operator that applies its own matrix to each run's column (as the uncertainty
    package's operators do)."""

    def __init__(self, mats: list[sparse.csr_matrix]) -> None:
        self.mats = mats

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return np.stack([m @ x[:, r] for r, m in enumerate(self.mats)], axis=1)


def _runs(compiled: list[Compiled]) -> Runs:
    arrays = {n: np.stack([getattr(c, n) for c in compiled]) for n in ARRAYS}
    ops = {n: PerRun([getattr(c, n) for c in compiled]) for n in OPERATORS}
    for r in ("route_eol", "route_maint"):
        ops.update(
            {
                f"{r}.{b}": PerRun([getattr(c, r)[b] for c in compiled])
                for b in compiled[0].route_eol
            }
        )
    return Runs(len(compiled), arrays, ops)


@pytest.fixture(scope="module")
def compiled() -> list[Compiled]:
    text = Path(EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8")
    out = [lifecycle.compile_scenario(text, "A", o, source="magnet.yaml") for o in OVERRIDES]
    for c in out[1:]:  # same structure, different numbers
        assert c.inst_type.tolist() == out[0].inst_type.tolist() and c.edges == out[0].edges
    return out


def test_each_run_equals_the_engine_run_alone(compiled: list[Compiled]) -> None:
    many = simulate_compiled(compiled[0], "A", runs=_runs(compiled))
    assert many.in_use.shape == (len(compiled[0].years), len(compiled), len(compiled[0].products))
    for r, c in enumerate(compiled):
        alone = simulate_compiled(c, "A")
        one = many.run(r, c)
        for name in RAW:
            a, b = getattr(one, name), getattr(alone, name)
            assert a.shape == b.shape, name
            scale = max(1.0, float(np.abs(b).max(initial=0.0)))
            assert float(np.abs(a - b).max(initial=0.0)) <= 1e-12 * scale, (r, name)
    # the runs really differ, and one run of many is the single path
    assert not np.allclose(many.virgin[:, 0], many.virgin[:, 2])
    single = simulate_compiled(compiled[1], "A", runs=Runs(1, {}, {}))
    np.testing.assert_array_equal(single.run(0).edges, simulate_compiled(compiled[1], "A").edges)


def test_shared_arrays_broadcast_and_balances_hold_per_run(compiled: list[Compiled]) -> None:
    """Arrays no run changes are given once; the mass balance holds for every run."""
    c = compiled[0]
    sales = np.stack([c.sales * f for f in (0.5, 1.0, 2.0)])
    many = simulate_compiled(c, "A", runs=Runs(3, {"sales": sales}))
    alone = simulate_compiled(dataclasses.replace(c, sales=c.sales * 2.0), "A")
    np.testing.assert_allclose(many.run(2).in_use, alone.in_use, rtol=1e-12, atol=0)
    assert many.balance_error <= 1e-9
    for bal in node_balances(many).values():
        assert bal.shape == (2, len(c.years), 3)
        assert np.all(np.abs(bal[0]) <= 1e-9 * np.maximum(bal[1], 1.0))


def _memory_of(a: np.ndarray) -> str:
    """Whose memory an array's data is in: an anonymous ``mmap`` or numpy's."""
    base: Any = a
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    import mmap

    return "map" if isinstance(base, mmap.mmap) else "numpy"


def test_results_on_plain_pages_are_the_same(compiled: list[Compiled],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A result's large arrays lie in ordinary pages (engine.plain_zeros): the same numbers,
    zero where nothing was written, writable, and they pickle like numpy's own (a job's
    result crosses to a worker process)."""
    import pickle

    from junkan.lifecycle import engine

    z = engine.plain_zeros((3, 2 << 20))  # 48 MiB: above PLAIN_PAGES_ABOVE
    assert z.shape == (3, 2 << 20) and z.dtype == np.float64 and not z.any()
    assert _memory_of(z) == "map"
    z[2, -1] = 5.0
    assert z.sum() == 5.0 and pickle.loads(pickle.dumps(z))[2, -1] == 5.0
    assert _memory_of(engine.plain_zeros((4, 5))) == "numpy"  # small: numpy's own array
    with pytest.raises(MemoryError, match="MiB"):  # as numpy: a worker's budget reports it
        engine.plain_zeros((1 << 30, 1 << 10))  # 8 TiB
    c = compiled[1]
    ours = simulate_compiled(c, "A")
    monkeypatch.setattr(engine, "PLAIN_PAGES_ABOVE", 0)  # every array on plain pages
    plain = simulate_compiled(c, "A")
    assert _memory_of(plain.activity) == "map" and _memory_of(ours.activity) == "numpy"
    for name in RAW:
        np.testing.assert_array_equal(getattr(plain, name), getattr(ours, name), err_msg=name)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MAP_POPULATE is Linux's")
def test_a_large_result_array_is_resident_when_made() -> None:
    """Its pages are found in one call when the map is made (MAP_POPULATE), not one fault
    at a time as a run writes it: costly in a virtual machine (engine.plain_zeros)."""
    from junkan.lifecycle import engine

    def resident() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    before = resident()
    z = engine.plain_zeros((8, 1 << 20))  # 64 MiB
    assert resident() - before >= 60 << 20
    assert not z.any()


def _together(compiled: list[Compiled]) -> Compiled:
    """One compiled model whose run-dependent arrays (and unit factors) carry a run axis."""
    c0 = compiled[0]
    arrays = {n: np.stack([getattr(c, n) for c in compiled]) for n in ARRAYS}
    procs = dataclasses.replace(
        c0.processes, factors=np.stack([c.processes.factors for c in compiled]))
    return dataclasses.replace(c0, processes=procs, **arrays)


def test_figures_of_many_runs_equal_each_run_alone() -> None:
    """The uncertainty package reads every run's figures at once (Result.of_runs): each
    headline figure (comparisons across scenarios included), total, actor figure and yearly
    series equals what the run alone gives, with unit factors and masses differing by run
    (a sensitivity of compressor_magnet spent 70 % of its time reading runs one by one)."""
    from junkan.lifecycle.comparison import headline_value, headline_values
    from junkan.lifecycle.results import Result

    text = Path(EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8")
    model = lifecycle.load(text=text, source="magnet.yaml")
    overrides = [*OVERRIDES, {"parts.magnet.bom[0].mass": "0.09 kg",
                              "processes.re_regeneration.co2e": "3.5 kgCO2e/kg"}]
    scenarios = list(model.compiled)
    per = {s: [lifecycle.compile_scenario(text, s, o, source="magnet.yaml") for o in overrides]
           for s in scenarios}
    many = {s: Result.of_runs(simulate_compiled(cs[0], s, runs=_runs(cs)), _together(cs))
            for s, cs in per.items()}
    base = model.baseline.baseline_name
    heads = model.baseline.headline
    assert heads and any(h.compare != "value" for h in heads.values())
    for r in range(len(overrides)):
        alone = {s: Result(simulate_compiled(cs[r], s)) for s, cs in per.items()}
        for s in scenarios:
            for key, h in heads.items():
                if h.scenarios is None or s in h.scenarios:
                    np.testing.assert_allclose(headline_values(h, many, s, base)[r],
                                               headline_value(h, alone, s, base), rtol=1e-12,
                                               err_msg=f"{s} {key} run {r}")
            for key, v in many[s].totals_runs().items():
                np.testing.assert_allclose(v[r], alone[s].totals()[key], rtol=1e-12,
                                           atol=1e-9, err_msg=f"{s} {key} run {r}")
            for actor, d in many[s].by_actor_runs().items():
                for key, v in d.items():
                    np.testing.assert_allclose(v[r], alone[s].by_actor()[actor][key],
                                               rtol=1e-12, atol=1e-9)
            series = alone[s].indicator_series()
            for key, v in many[s].indicator_series().items():
                np.testing.assert_allclose(v[r], series[key], rtol=1e-12, atol=1e-12,
                                           err_msg=f"{s} {key} run {r}")
    # the runs differ in what the overrides change
    co2 = many[scenarios[-1]].totals_runs()["co2e_t"]
    assert len(set(co2.tolist())) == len(overrides)
