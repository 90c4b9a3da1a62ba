"""The maintenance operator laid out with array operations (issue 17, "fast end to end"): the
column of every replaceable part instance at once, with the very events
:meth:`~junkan.lifecycle.routing.Router.product_maintenance` records entry by entry, in the
same order, so the operator is the same bit for bit (``tests/lifecycle/test_routing_columns.py``).

A replaced part's column: the replacement's processes; the uncollected share into the
uncollected mix; the collected share through collection to dismantling; then the replaced
part itself and the parts extracted from it (:mod:`~junkan.lifecycle.routing_nodes`).

All or nothing: a model is laid out here only if no column has a problem, every extracted
part has a residual mix and no replaced part sits inside another (the usual case); otherwise
:func:`maint_columns` says so, the problems its checks found are dropped, the caller drops
the route, and the walk builds the operator and reports the problems in its order."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from junkan.lifecycle.routing_batch import Route
from junkan.lifecycle.routing_maint import Kernels, add_kernels, checked_entries
from junkan.lifecycle.routing_nodes import MixList, Nodes, Stream, mix_kinds, options
from junkan.lifecycle.stages import DISMANTLING, MAINT_COLLECTION, USE

if TYPE_CHECKING:
    from junkan.lifecycle.routing import Router

_I = np.int64


class _Column(NamedTuple):
    """What one maintenance entry says: its replaced instance, collection rate, process
    lists (numbers, -1: none), uncollected mix (kind, -1: none), residual mix and the
    document path of that mix."""

    inst: int
    rate: float
    replace: int
    collect: int
    uncollected: int
    residual: dict[str, float] | None
    path: str


def maint_columns(router: Router, route: Route) -> tuple[list[int], Kernels] | None:
    """Record the column of every replaceable instance in the empty ``route``, as the walk
    would, and return the instances and their replacement kernels; ``None`` where the walk
    must do it (its checks' problems dropped; ``route`` holds registered lists and mixes but
    no event, and is to be dropped)."""
    problems = router.check.problems.items
    before = len(problems)
    kernels: Kernels = ([], [], [])
    cols, nodes = _columns(router, route, kernels)
    kinds = _node_kinds(router, route, cols, nodes) if _apart(router, cols) else None
    if kinds is None or len(problems) > before:
        del problems[before:]
        return None
    _record(router, route, cols, nodes, kinds)
    return [col.inst for col in cols], kernels


def _columns(router: Router, route: Route, kernels: Kernels
             ) -> tuple[list[_Column], list[tuple[int, int, int]]]:
    """Check each maintenance entry as :meth:`Router.product_maintenance` does, add its
    kernels, and note what it says; also the nodes (instance, column, process list number):
    the replaced part and the parts extracted from it."""
    check, bom, c = router.check, router.bom, router.c
    number = route.list_number
    cols: list[_Column] = []
    nodes: list[tuple[int, int, int]] = []
    for pi, pname in enumerate(c.products):
        entries = c.model.products[pname].maintenance
        for k, mt, base in checked_entries(bom, check, pi, pname, entries):
            add_kernels(c, kernels, pi, pname, mt)
            check.procs(mt.processes, f"{base}.processes")
            check.procs(mt.collection.processes, f"{base}.collection.processes")
            rate = mt.collection.rate
            uncol = check.mix(mt.uncollected, f"{base}.uncollected", rate < 1)
            chosen = router.resolve(bom.path_index[pi], mt.extract, mt.part, f"{base}.extract")
            chosen[k] = []
            col = len(cols)
            if rate > 0:
                nodes.extend((i, col, number(procs)) for i, procs in chosen.items())
            cols.append(_Column(k, rate, number(mt.processes), number(mt.collection.processes),
                                route.kind(USE, uncol) if uncol else -1, mt.residual,
                                f"{base}.residual"))
    return cols, nodes


def _apart(router: Router, cols: list[_Column]) -> bool:
    """Whether no replaced part sits inside another (then no two columns share a part):
    the checks refuse such a model (:func:`~junkan.lifecycle.routing_maint
    .replaced_instance`), and the layout does not rely on them for it."""
    c = router.c
    replaced = np.zeros(len(c.inst_type), dtype=bool)
    replaced[[col.inst for col in cols]] = True
    inside = np.zeros(len(c.inst_type), dtype=bool)
    for idx in c.levels[1:]:
        p = c.inst_parent[idx]
        inside[idx] = replaced[p] | inside[p]
    return not (inside & replaced).any()


def _node_kinds(router: Router, route: Route, cols: list[_Column],
                nodes: list[tuple[int, int, int]]) -> np.ndarray | None:
    """Each node's residual mix (:func:`~junkan.lifecycle.routing_nodes.mix_kinds`): for
    the replaced part, the entry's residual if given, else its own; for a part extracted
    from it, its own, else the entry's."""
    parts, c = router.parts, router.c
    inst_type = router.bom.inst_type
    mixes, own_used = [], []
    for k, col, _ in nodes:
        entry, own = cols[col].residual, parts.residual[inst_type[k]]
        root = k == cols[col].inst
        mix = entry if root and entry else own or entry
        mixes.append(mix)
        own_used.append(bool(own) and mix is own)

    def path(i: int) -> str:  # where a mix is named, if checked here first
        k, col, _ = nodes[i]
        return f"parts.{c.parts[inst_type[k]]}.recovery.residual" if own_used[i] else \
            cols[col].path

    return mix_kinds(router, route, mixes, path)


def _record(router: Router, route: Route, cols: list[_Column],
            nodes: list[tuple[int, int, int]], kinds: np.ndarray) -> None:
    """The events of every column, as :meth:`Router._replacement` records them (the same
    arithmetic, so the same bits), sorted into the walk's order and given to ``route``."""
    c, bom = router.c, router.bom
    col = np.arange(len(cols), dtype=_I)
    inst = np.array([x.inst for x in cols], dtype=_I)
    rate = np.array([x.rate for x in cols], dtype=float)
    mass = bom.part_mass[c.inst_type[inst]]
    replace, collect, uncol = (np.array([getattr(x, name) for x in cols], dtype=_I)
                               for name in ("replace", "collect", "uncollected"))
    collected = rate > 0
    node_inst, node_col, lists = (np.array([n[j] for n in nodes], dtype=_I)
                                  for j in range(3))
    found = Nodes.of(router, node_inst, node_col,
                     options(router, route, c.inst_type[node_inst].tolist()), rate[node_col],
                     False)
    acts, parts, edges = Stream(), Stream(), Stream()
    acts.add(replace >= 0, col, 0, replace, 1.0, mass)
    acts.add(collected & (collect >= 0), col, 1, collect, rate, rate * mass)
    mixes = MixList(bom)
    has = uncol >= 0
    rows = [bom.q_full[q] for q in c.inst_type[inst[has]].tolist()]
    edges.add(has, col, 0, mixes.add(has, uncol, 1 - rate, rows), 0.0)
    edges.add(collected, col, 1, route.pair(USE, MAINT_COLLECTION), rate * mass)
    edges.add(collected, col, 2, route.pair(MAINT_COLLECTION, DISMANTLING), rate * mass)
    found.record(router, route, (acts, parts, edges), mixes, lists, kinds)
    p_cols, p_rows, p_vals = parts.sorted()
    e_cols, e_keys, e_kg = edges.sorted()
    route.extend(tuple(acts.sorted()), (e_cols, mixes.numbered(e_keys), e_kg), mixes.sorted(),
                 {"part": (p_rows, p_cols, p_vals)})
