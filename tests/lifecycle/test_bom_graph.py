"""The BOM graph read as arrays (issue 17, the compile on columns): each part type's height
and instance count settled level by level equal their recursive definitions on any DAG; a
cycle is left to the walk that reports it; counts of astronomically wide DAGs cannot
overflow."""

from __future__ import annotations

from functools import cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.lifecycle.bom_graph import (
    COUNT_CAP,
    NARROW,
    bom_lines,
    codes,
    line_codes,
    part_graph,
)
from junkan.lifecycle.part_table import PartTable
from junkan.lifecycle.schema import BomItem, Part


def _table(boms: list[list[tuple[int, float]]]) -> PartTable:
    """Parts ``q0 …``; part i's BOM: 1 kg of steel, then its (sub-part, quantity) lines."""
    table = PartTable()
    for i, lines in enumerate(boms):
        items = [BomItem(material="steel", mass="1 kg")]
        items += [BomItem(part=f"q{j}", quantity=qty) for j, qty in lines]
        table.append_part(f"q{i}", Part(bom=items))
    return table


@st.composite
def dags(draw: st.DrawFn) -> list[list[tuple[int, float]]]:
    """Random DAGs over up to 25 part types: part i may use parts above i, each once."""
    n = draw(st.integers(1, 25))
    boms = []
    for i in range(n):
        subs = draw(st.lists(st.integers(i + 1, n - 1), max_size=4, unique=True)) \
            if i + 1 < n else []
        boms.append([(j, float(draw(st.integers(1, 3)))) for j in subs])
    order = draw(st.permutations(range(n)))  # document order unrelated to the levels
    rename = {old: new for new, old in enumerate(order)}
    out: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, lines in enumerate(boms):
        out[rename[i]] = [(rename[j], q) for j, q in lines]
    return out


@given(dags())
@settings(max_examples=60, deadline=None)
def test_heights_and_counts_equal_their_recursive_definitions(
        boms: list[list[tuple[int, float]]]) -> None:
    graph = part_graph(_table(boms))
    assert graph is not None

    @cache
    def height(q: int) -> int:
        return 1 + max((height(j) for j, _ in boms[q]), default=0)

    @cache
    def below(q: int) -> int:
        return sum(1 + below(j) for j, _ in boms[q])

    assert graph.height.tolist() == [height(q) for q in range(len(boms))]
    assert graph.below.tolist() == [float(below(q)) for q in range(len(boms))]
    # the sub-part lines in document order, each with its owner and place in the BOM
    expected = [(q, j, qty, 1 + n) for q, lines in enumerate(boms)
                for n, (j, qty) in enumerate(lines)]
    got = list(zip(graph.owner.tolist(), graph.child.tolist(), graph.qty.tolist(),
                   graph.line.tolist(), strict=True))
    assert got == expected
    order = graph.order([f"q{i}" for i in range(len(boms))])
    place = {name: i for i, name in enumerate(order)}
    assert all(place[f"q{q}"] < place[f"q{j}"] for q, lines in enumerate(boms)
               for j, _ in lines)  # parents first


def test_a_cycle_is_left_to_the_walk_that_reports_it() -> None:
    assert part_graph(_table([[(1, 1.0)], [(2, 1.0)], [(0, 1.0)], []])) is None
    assert part_graph(_table([[(0, 1.0)]])) is None  # a part in its own BOM


def test_counts_of_a_very_wide_dag_are_capped_not_overflowed() -> None:
    levels = 70  # each part uses both parts of the next level: 2**70 paths, past int64
    boms = [[(2 * (lv + 1), 1.0), (2 * (lv + 1) + 1, 1.0)] if lv + 1 < levels else []
            for lv in range(levels) for _ in "ab"]
    graph = part_graph(_table(boms))
    assert graph is not None
    assert graph.height[0] == levels
    assert graph.below[0] == COUNT_CAP
    assert np.isfinite(graph.below).all()
    assert graph.below[-4] == 2  # exact where small: the two parts of the last level
    assert graph.below[-6] == 2 + 2 * 2  # and each of those with its two


def test_a_long_chain_settles_node_by_node_with_the_same_results() -> None:
    n = 20_000  # a chain in reverse document order, with a wide top: both ways of settling
    boms = [[(q + 1, 1.0)] if q + 1 < n else [] for q in range(n)]
    boms += [[(0, 2.0)] for _ in range(3 * NARROW)]  # parents of the chain's head
    graph = part_graph(_table(boms))
    assert graph is not None
    assert graph.height[:n].tolist() == list(range(n, 0, -1))
    assert graph.below[:n].tolist() == [float(n - 1 - q) for q in range(n)]
    assert graph.height[n:].tolist() == [n + 1] * (3 * NARROW)
    assert graph.below[n:].tolist() == [float(n)] * (3 * NARROW)  # per path, not per piece


def test_lines_read_as_codes_name_what_is_unknown_and_what_is_listed_twice() -> None:
    """A line's part and material become positions (-1: the other kind of line, -2: a name
    not in the model), so one look at the codes says whether every line is right; a part
    listed twice in one BOM is not (the checker's walk then reports it)."""
    assert codes(["b", "zz", "a"], {"a": 0, "b": 1}).tolist() == [1, -2, 0]
    part, material = line_codes(["q1", None, "q9", None], [None, "steel", None, "tin"],
                                {"q0": 0, "q1": 1}, {"steel": 0})
    assert part.tolist() == [1, -1, -2, -1] and material.tolist() == [-1, 0, -1, -2]
    table = _table([[(1, 2.0)], []])
    lines = bom_lines(table, {"steel": 0})
    assert lines.part.tolist() == [-1, 1, -1] and lines.material.tolist() == [0, -1, 0]
    assert lines.owner.tolist() == [0, 0, 1] and lines.qty.tolist() == [1.0, 2.0, 1.0]
    assert lines.mass.tolist() == [1.0, 0.0, 1.0] and lines.known()
    assert not bom_lines(table, {"iron": 0}).known()  # steel is not a material of the model
    assert not bom_lines(_table([[(1, 1.0), (1, 1.0)], []]), {"steel": 0}).known()
