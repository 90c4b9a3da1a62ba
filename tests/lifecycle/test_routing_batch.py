"""The routing operators recorded as events and expanded with array operations (issue 17, "fast
end to end": :mod:`junkan.lifecycle.routing_batch`) hold the very entries, in the very order,
of a route that appends every entry call by call: compiled arrays are bit for bit those of the
per-call route on the examples, a generated benchmark model and random models, and each
expansion equals its loop."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import routing, routing_batch
from junkan.lifecycle.compile import Compiled, compile_model
from junkan.lifecycle.compiled import INTO
from junkan.lifecycle.loader import validate
from junkan.lifecycle.routing_batch import (
    Left,
    expand_act,
    first_registration,
    uses_by_column,
)
from junkan.lifecycle.schema import LifecycleModel
from tests.conftest import EXAMPLES
from tests.lifecycle.test_patch import assert_same
from tests.lifecycle.test_properties import models

ROOT = Path(__file__).resolve().parents[2]


class CallRoute:
    """The per-call route the event route replaced: every call appends its entries and
    registers its stage edges at once."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        self.data: dict[str, tuple[list[int], list[int], list[float]]] = defaultdict(
            lambda: ([], [], []))
        self.uses: list[tuple[int, int]] = []
        self.sink_nodes = [c.sink_node(d) for d in range(len(c.sinks))]

    def put(self, block: str, row: int, col: int, value: float) -> None:
        if value != 0.0:
            for out, x in zip(self.data[block], (row, col, value), strict=True):
                out.append(x)  # type: ignore[attr-defined]

    def act(self, col: int, procs: list[str], pieces: float, kg: float) -> None:
        index, n = self.c.processes.index, len(self.c.processes)
        for name in procs:
            if name in index:
                self.put("act", index[name], col, pieces)
                self.put("act", n + index[name], col, kg)

    def edge(self, col: int, src: str, dst: str, kg: float) -> None:
        e = self.c.edge(src, dst)
        self.uses.append((col, e))
        self.put("edge", e, col, kg)

    def mix(self, col: int, src: str, mix: list[tuple[int, float]], materials: np.ndarray,
            scale: float, total: float | None = None) -> None:
        if not mix:
            return
        total = float(materials.sum()) if total is None else total
        for d, share in mix:
            f = scale * share
            for m in range(len(materials)):
                self.put("mat", m * len(self.sink_nodes) + d, col, f * float(materials[m]))
            self.edge(col, src, self.sink_nodes[d], f * total)

    def mix_residual(self, col: int, src: str, mix: list[tuple[int, float]],
                     left: Left, scale: float, if_any: bool, bom: Any) -> None:
        full, desc, mass = left  # what is left, item by item: full − (0 + a + b + …)
        taken = sum((qd * bom.q_full[bom.inst_type[kd]] for kd, qd in desc),
                    np.zeros(len(full)))
        kg = full - taken if desc else full
        kg = np.where(np.abs(kg) < 1e-15 * max(mass, 1e-300), 0.0, kg)
        if not if_any or float(kg.sum()) > 0:
            self.mix(col, src, mix, kg, scale, float(kg.sum()))

    def release(self) -> None:
        """Nothing to drop: the entries are the operator's."""

    def edges_by_column(self, n_cols: int) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(n_cols)]
        seen: set[tuple[int, int]] = set()
        for use in self.uses:
            if use not in seen:
                seen.add(use)
                out[use[0]].append(use[1])
        return out

    def build(self, n_cols: int) -> routing.RawBlocks:
        c = self.c
        shapes = {"prod": len(c.products), "part": len(INTO) * len(c.parts),
                  "mat": len(c.materials) * len(c.sinks), "act": 2 * len(c.processes),
                  "edge": 0}
        return {b: (np.array(self.data[b][0], dtype=np.int64),
                     np.array(self.data[b][1], dtype=np.int64),
                     np.array(self.data[b][2], dtype=float), n, n_cols)
                for b, n in shapes.items()}


def _both(doc: dict[str, Any] | LifecycleModel, monkeypatch: pytest.MonkeyPatch
          ) -> tuple[Compiled, Compiled]:
    model = doc if isinstance(doc, LifecycleModel) else validate(doc, "t.yaml")
    fast = compile_model(model)
    with monkeypatch.context() as m:
        m.setattr(routing, "Route", CallRoute)
        slow = compile_model(model)
    return fast, slow


def _assert_bitwise(fast: Compiled, slow: Compiled) -> None:
    assert fast.edges == slow.edges
    assert fast.edge_use == slow.edge_use
    for which in ("route_eol", "route_maint"):
        assert list(getattr(fast, which)) == list(getattr(slow, which)), which
        for block, op in getattr(fast, which).items():
            ref = getattr(slow, which)[block]
            assert_same(op, ref, f"{which}.{block}")
            # bit for bit, the summed duplicates included
            assert op.data.tobytes() == ref.data.tobytes(), f"{which}.{block}"
            assert np.array_equal(op.indices, ref.indices), f"{which}.{block}"


@pytest.mark.parametrize("example", ["atm_reuse.yaml", "compressor_magnet.yaml"])
def test_examples_compile_to_the_per_call_operators(
    example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = lifecycle.load(EXAMPLES / example).compiled.values()
    for c in scenarios:  # every scenario's model, compiled again both ways
        _assert_bitwise(*_both(c.model, monkeypatch))
    assert len(scenarios) > 1


@pytest.mark.parametrize("chunk", [routing_batch.MIX_CHUNK, 7])
def test_benchmark_model_compiles_to_the_per_call_operators(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routing_batch, "MIX_CHUNK", chunk)  # 7: a few mix pairs per chunk
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from lifecycle_bench import generate_model
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    fast, slow = _both(generate_model(n_products=60, n_years=8, seed=5), monkeypatch)
    assert fast.route_eol["edge"].nnz > 300 and fast.route_maint["act"].nnz > 50
    _assert_bitwise(fast, slow)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=models())
def test_random_models_compile_to_the_per_call_operators(doc: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        try:
            fast, slow = _both(doc, monkeypatch)
        except ModelError:
            return  # refused alike (the problems are checked in test_errors)
        _assert_bitwise(fast, slow)


def test_expand_act_equals_the_loop() -> None:
    rng = np.random.default_rng(7)
    lists = [rng.integers(0, 9, rng.integers(0, 4)).tolist() for _ in range(6)]
    n_ev, n_procs = 200, 9
    cols, ids = rng.integers(0, 30, n_ev), rng.integers(0, len(lists), n_ev)
    pieces = rng.uniform(size=n_ev) * (rng.uniform(size=n_ev) < 0.8)  # some zero
    kg = rng.uniform(size=n_ev) * (rng.uniform(size=n_ev) < 0.8)
    expected = []
    for col, j, p, k in zip(cols, ids, pieces, kg, strict=True):
        for i in lists[j]:
            expected += [(i, col, p)] if p != 0.0 else []
            expected += [(n_procs + i, col, k)] if k != 0.0 else []
    lengths = np.array([len(x) for x in lists])
    flat = np.array([i for x in lists for i in x], dtype=np.int64)
    rows, out_cols, vals = expand_act(cols, ids, pieces, kg, flat, np.cumsum(lengths) - lengths,
                                      lengths, n_procs)
    assert list(zip(rows.tolist(), out_cols.tolist(), vals.tolist(), strict=True)) == [
        (int(r), int(c), float(v)) for r, c, v in expected]
    assert len(expected) > 100


def test_uses_by_column_equals_the_loop() -> None:
    rng = np.random.default_rng(11)
    cols, edges = rng.integers(0, 40, 3000), rng.integers(0, 25, 3000)
    cols[:1000] = np.sort(cols[:1000])  # partly column by column, as the router registers
    route = CallRoute.__new__(CallRoute)
    route.uses = list(zip(cols.tolist(), edges.tolist(), strict=True))
    assert uses_by_column(cols, edges, 45) == route.edges_by_column(45)
    assert uses_by_column(np.zeros(0, np.int64), np.zeros(0, np.int64), 2) == [[], []]
    assert first_registration(np.array([4, 2, 4, 9, 2, 1])).tolist() == [4, 2, 9, 1]


def test_route_registers_edges_in_the_order_first_used() -> None:
    # a compilation of its own: the loaded model is cached, and the route adds edges to it
    fast = compile_model(next(iter(lifecycle.load(EXAMPLES / "atm_reuse.yaml")
                                   .compiled.values())).model)
    route = routing.Route(fast)
    n_before = len(fast.edges)
    route.edge(1, "x", "y", 2.0)
    route.mix(0, "z", [(0, 0.25), (0, 0.75)], np.array([1.0] * len(fast.materials)), 2.0)
    route.edge(0, "x", "y", 0.0)
    raw = route.build(2)
    assert fast.edges[n_before:] == [("x", "y"), ("z", fast.sink_node(0))]
    assert route.edges_by_column(2) == [[n_before + 1, n_before], [n_before]]
    rows, cols, vals, _, _ = raw["edge"]  # the kg-free use registers, but adds no entry
    assert cols.tolist() == [1, 0, 0] and vals.tolist() == [
        2.0, 0.5 * len(fast.materials), 1.5 * len(fast.materials)]
    assert rows.tolist() == [n_before, n_before + 1, n_before + 1]
