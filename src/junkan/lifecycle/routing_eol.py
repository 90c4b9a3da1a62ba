"""The end-of-life operator laid out with array operations (issue 17, "fast end to end"): every
product's column at once, with the very events :meth:`~junkan.lifecycle.routing.Router
.product_eol` records product by product, in the same order, so the operator is the same bit
for bit (``tests/lifecycle/test_routing_columns.py``).

A product's column: the uncollected share into the uncollected mix; the collected share
through collection, product reuse and dismantling; then the extracted parts
(:mod:`~junkan.lifecycle.routing_nodes`); last, what is left of the product into the
dismantling residual.

All or nothing: a model is laid out here only if no column has a problem and every
extracted part and collected product has a residual mix (the usual case); otherwise
:func:`eol_columns` says so, the problems its checks found are dropped, the caller drops the
route, and the walk builds the operator and reports the problems in its order."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from junkan.lifecycle.routing_batch import Route
from junkan.lifecycle.routing_nodes import MixList, Nodes, Stream, mix_kinds, options
from junkan.lifecycle.stages import DISMANTLING, EOL_COLLECTION, REFURBISHMENT, USE

if TYPE_CHECKING:
    from junkan.lifecycle.routing import Router

_I = np.int64


class _Columns(NamedTuple):
    """What the products' end of life say, product by product, and the extracted parts."""

    rate: list[float]
    uncollected: list[int]  # mix kind, -1: none
    collect: list[int]  # process list numbers, -1: none
    dismantle: list[int]
    reuse: list[int]
    reuse_share: list[float]  # 0: no product reuse
    reuse_pass: list[float]
    residual: list[int]  # mix kind of what is left, -1: none
    context: list[dict[str, float] | None]  # the residual mix, for parts without their own
    node_inst: list[int]
    node_list: list[int]


def eol_columns(router: Router, route: Route) -> bool:
    """Record every product's end-of-life column in the empty ``route``, as the walk would;
    ``False`` where the walk must do it (its checks' problems dropped; ``route`` holds
    registered lists and mixes but no event, and is to be dropped)."""
    problems = router.check.problems.items
    before = len(problems)
    cols = _columns(router, route)
    kinds = None if cols is None else _node_kinds(router, route, cols)
    if cols is None or kinds is None or len(problems) > before:
        del problems[before:]
        return False
    _record(router, route, cols, kinds)
    return True


def _columns(router: Router, route: Route) -> _Columns | None:
    """Check each product's end of life as :meth:`Router.product_eol` does and note what it
    says; ``None`` if a collected product has no dismantling residual."""
    mix, number, kind = router.check.mix, route.list_number, route.kind
    rows: list[tuple[float, int, int, int, int, float, float, int, dict[str, float] | None]]
    rows = []
    node_inst: list[int] = []
    node_list: list[int] = []
    for pi, pname in enumerate(router.c.products):
        e, base, uncol, chosen = router.eol_entry(pi, pname)
        collect, dismantle, reuse = e.collection, e.dismantling, e.reuse
        rate = collect.rate
        residual = dismantle.residual
        if rate <= 0:
            mix(residual, f"{base}.dismantling.residual", False)
            chosen, left = {}, -1
        elif not residual:
            return None  # whether something is left to route is the walk's to say
        else:
            left = kind(DISMANTLING, mix(residual, f"{base}.dismantling.residual", True))
        if reuse is not None and reuse.share > 0:
            again = (number(reuse.processes), reuse.share, reuse.pass_rate)
        else:
            again = (-1, 0.0, 0.0)
        rows.append((rate, kind(USE, uncol) if uncol else -1, number(collect.processes),
                     number(dismantle.processes), *again, left, residual or None))
        if chosen:
            node_inst.extend(chosen)
            node_list.extend(map(number, chosen.values()))
    columns = [list(x) for x in zip(*rows, strict=True)] if rows else [[] for _ in range(9)]
    return _Columns(*columns, node_inst, node_list)  # type: ignore[call-arg]


def _node_kinds(router: Router, route: Route, cols: _Columns) -> np.ndarray | None:
    """Each node's residual mix (:func:`~junkan.lifecycle.routing_nodes.mix_kinds`): its
    part's own, else its product's dismantling residual."""
    parts, c = router.parts, router.c
    inst_type, inst_product = router.bom.inst_type, router.bom.inst_product
    types = [inst_type[k] for k in cols.node_inst]
    prods = [inst_product[k] for k in cols.node_inst]
    own = list(map(parts.residual.__getitem__, types))
    mixes = [o or cols.context[p] for o, p in zip(own, prods, strict=True)]

    def path(i: int) -> str:  # where a mix is named, if checked here first
        return (f"parts.{c.parts[types[i]]}.recovery.residual" if own[i] else
                f"products.{c.products[prods[i]]}.eol.dismantling.residual")

    return mix_kinds(router, route, mixes, path)


def _record(router: Router, route: Route, cols: _Columns, kinds: np.ndarray) -> None:
    """The events of every column, as :meth:`Router.product_eol` records them (the same
    arithmetic, so the same bits), sorted into the walk's order and given to ``route``."""
    c, bom = router.c, router.bom
    col = np.arange(len(c.products), dtype=_I)
    rate, mass = np.array(cols.rate, dtype=float), bom.product_mass
    share, passing = np.array(cols.reuse_share), np.array(cols.reuse_pass)
    collected, shared = rate > 0, share > 0
    cand = rate * share
    passed = np.where(shared, cand * passing, 0.0)
    dis = rate - passed
    inst = np.array(cols.node_inst, dtype=_I)
    node_col = c.inst_product[inst]
    nodes = Nodes.of(router, inst, node_col, options(router, route, c.inst_type[inst].tolist()),
                     dis[node_col], True)
    acts, parts, edges = Stream(), Stream(), Stream()
    lists = [np.array(x, dtype=_I) for x in (cols.collect, cols.reuse, cols.dismantle)]
    acts.add(collected & (lists[0] >= 0), col, 0, lists[0], rate, rate * mass)
    acts.add(collected & shared & (lists[1] >= 0), col, 1, lists[1], cand, cand * mass)
    acts.add(collected & (lists[2] >= 0), col, 2, lists[2], dis, dis * mass)
    # stage edges and mixes: an edge has a pair (>= 0), a mix -1 - its number in `mixes`
    mixes = MixList(bom)
    uncol = np.array(cols.uncollected, dtype=_I)
    has = uncol >= 0
    rows = [bom.p_full[pi] for pi in np.flatnonzero(has).tolist()]
    edges.add(has, col, 0, mixes.add(has, uncol, 1 - rate, rows), 0.0)
    edges.add(collected, col, 1, route.pair(USE, EOL_COLLECTION), rate * mass)
    edges.add(collected & shared, col, 2, route.pair(EOL_COLLECTION, REFURBISHMENT),
              passed * mass)
    edges.add(collected, col, 3, route.pair(EOL_COLLECTION, DISMANTLING), dis * mass)
    nodes.record(router, route, (acts, parts, edges), mixes,
                 np.array(cols.node_list, dtype=_I), kinds)
    res = np.array(cols.residual, dtype=_I)
    has = res >= 0
    lefts = [(bom.p_full[pi], nodes.below.get(-1 - pi, []), float(mass[pi]))
             for pi in np.flatnonzero(has).tolist()]
    edges.add(has, col, nodes.last_key(len(c.inst_type)),
              mixes.add_left(has, res, dis, lefts, False), 0.0)
    keep = shared & (passed != 0.0)
    p_cols, p_rows, p_vals = parts.sorted()
    e_cols, e_keys, e_kg = edges.sorted()
    route.extend(tuple(acts.sorted()), (e_cols, mixes.numbered(e_keys), e_kg), mixes.sorted(),
                 {"prod": (col[keep], col[keep], passed[keep]),
                  "part": (p_rows, p_cols, p_vals)})
