"""Scenario overrides applied to the compiled form: a model that differs from an already
compiled one only in some products' own entries (collection and reuse rates, routes, sales,
lifetimes, maintenance — not their BOMs) is compiled by recomputing those products' rows and
columns of the arrays, not the whole model.

Every array of the compiled model is per product (sales, survival ratios, exposure), per
product column (end-of-life routing, assembly and use activities) or per replaceable instance,
and a replaceable instance belongs to one product — so a product's entries reach only its own
rows and columns. The patched arrays are the ones :func:`~junkan.lifecycle.compile
.compile_model` builds (the same functions compute them; ``tests/lifecycle/test_patch.py``
checks equality with a whole compilation on the examples and on generated models).

:func:`patched` returns ``None`` whenever the shortcut does not apply — another section
changed, a BOM changed, a product was added or removed, a route reaches a new stage edge, the
number of replaceable parts changed, or the changed products have a problem — and the caller
then compiles the whole model, which reports problems with their usual messages.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from pydantic import BaseModel
from scipy import sparse

from junkan.lifecycle.build import Bom, manufacturing_column, product_rows
from junkan.lifecycle.checks import Checker, Problems
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.routing import EdgeUse, Kernels, Route, Router, finish
from junkan.lifecycle.schema import LifecycleModel

_FREE = frozenset(
    {"products", "title", "description", "uses", "scenarios", "sources", "uncertainty"}
)
"""Fields of the model that may differ from the compiled one's: the products (patched) and
those no array depends on. Every other field must be the same."""


def changed_products(base: LifecycleModel, model: LifecycleModel) -> list[str] | None:
    """The products whose entries differ between ``base`` and ``model``, or ``None`` if
    anything else differs (another section, the set or order of products, a product's BOM)."""
    if list(base.products) != list(model.products):
        return None
    for name in type(model).model_fields:
        if name not in _FREE:
            old, new = getattr(base, name), getattr(model, name)
            if old is not new and (old != new or _keys(old) != _keys(new)):
                return None
    out = []
    for pname, prod in model.products.items():
        old_prod = base.products[pname]
        if prod is old_prod:
            continue
        if prod.bom != old_prod.bom:
            return None
        if prod != old_prod:
            out.append(pname)
    return out


def _keys(x: Any) -> Any:
    """The order of the mappings' keys in ``x`` (equal sections may differ in it, and it
    matters: the first product maker of ``actors`` buys what no one is named to buy; review
    229). Models' fields in their order, columns of a part table as they compare."""
    if isinstance(x, dict):
        return [(k, _keys(v)) for k, v in x.items()]
    if isinstance(x, BaseModel):
        return [_keys(getattr(x, f)) for f in type(x).model_fields]
    if isinstance(x, list | tuple):
        return [_keys(v) for v in x]
    return None


def patched(base: Compiled, model: LifecycleModel) -> Compiled | None:
    """``model`` compiled by patching ``base`` (compiled from a model that differs only in
    some products' own entries), or ``None`` when the whole model must be compiled."""
    bom, use = base.bom, base.edge_use
    if not isinstance(bom, Bom) or not isinstance(use, EdgeUse):
        return None
    names = changed_products(base.model, model)
    if names is None:
        return None
    c = dataclasses.replace(
        base,
        model=model,
        sales=base.sales.copy(),
        first_year_survival=base.first_year_survival.copy(),
        ratio_new=base.ratio_new.copy(),
        reused_entry_survival=base.reused_entry_survival.copy(),
        ratio_reused=base.ratio_reused.copy(),
        exposure_entry=base.exposure_entry.copy(),
        exposure_new=base.exposure_new.copy(),
        exposure_reused=base.exposure_reused.copy(),
        repl_entry=base.repl_entry.copy(),
        repl_new=base.repl_new.copy(),
        repl_reused=base.repl_reused.copy(),
        edges=list(base.edges),
        edge_index=dict(base.edge_index),
        edge_use=EdgeUse(list(use.eol), list(use.maint), use.fixed),
    )
    d_index = {c.processes.names[j]: d for d, j in enumerate(c.sinks)}
    check = Checker(model, c.processes, d_index, Problems())
    router = Router(c, bom, check)
    position = {p: i for i, p in enumerate(c.products)} if names else {}
    columns: list[tuple[str, int, Any]] = []  # (operator, first column, raw blocks)
    for pname in names:
        if not _patch_product(c, router, check, position[pname], pname, columns):
            return None  # the whole compilation reports the problems with their messages
    _replace_operators(c, columns)
    return c


def _patch_product(
    c: Compiled,
    router: Router,
    check: Checker,
    pi: int,
    pname: str,
    columns: list[tuple[str, int, Any]],
) -> bool:
    """Recompute product ``pi``'s rows of ``c`` in place and add its operator columns to
    ``columns``; False if it has a problem or its replaceable instances changed."""
    prod = c.model.products[pname]
    if prod.maker is not None and prod.maker not in c.model.actors:
        return False
    check.procs(prod.make, f"products.{pname}.make")
    check.procs(prod.use, f"products.{pname}.use")
    (
        c.sales[pi],
        c.first_year_survival[pi],
        c.ratio_new[pi],
        c.reused_entry_survival[pi],
        c.ratio_reused[pi],
        c.exposure_entry[pi],
        c.exposure_new[pi],
        c.exposure_reused[pi],
    ) = product_rows(c.model, c.years, check, pname)
    c.act_assemble = _replace_columns(
        c.act_assemble, pi, manufacturing_column(c.processes, prod.make, float(c.product_mass[pi]))
    )
    c.act_use = _replace_columns(
        c.act_use, pi, manufacturing_column(c.processes, prod.use, float(c.product_mass[pi]))
    )
    eol = Route(c)
    router.product_eol(eol, pi, pname)
    repl: list[int] = []
    kernels: Kernels = ([], [], [])
    maint = Route(c)
    router.product_maintenance(maint, pi, pname, repl, kernels)
    own = np.flatnonzero(c.inst_product[c.repl_inst] == pi)
    if (
        check.problems.items
        or len(own) != len(repl)
        or not np.array_equal(c.repl_inst[own], repl)
        or (len(own) and own[-1] - own[0] + 1 != len(own))
    ):
        return False
    raw = eol.build(len(c.products))  # column pi of the whole operator, as one column
    columns.append(
        (
            "eol",
            pi,
            {
                b: (r, np.zeros(len(r), dtype=np.int64), v, n, 1)
                for b, (r, _, v, n, _) in raw.items()
            },
        )
    )
    c.edge_use.eol[pi] = eol.edges_by_column(pi + 1)[pi]
    if len(own):
        columns.append(("maint", int(own[0]), maint.build(len(repl))))
        for i, edges in enumerate(maint.edges_by_column(len(repl))):
            c.edge_use.maint[int(own[0]) + i] = edges
        c.repl_entry[own] = kernels[0]
        c.repl_new[own] = np.array(kernels[1], dtype=float).reshape(len(own), -1)
        c.repl_reused[own] = np.array(kernels[2], dtype=float).reshape(len(own), -1)
    return True


def _replace_operators(c: Compiled, columns: list[tuple[str, int, Any]]) -> None:
    """Put the patched columns into copies of the routing operators, with the stage edges
    in the order a whole compilation registers them (columns first to last, then the fixed
    edges): edges no column uses any more are dropped, new ones take their place."""
    use: EdgeUse = c.edge_use
    order: list[int] = []
    seen: set[int] = set()
    for edges in (*use.eol, *use.maint, use.fixed):
        for e in edges:
            if e not in seen:
                seen.add(e)
                order.append(e)
    n_all = len(c.edges)
    same = order == list(range(n_all))
    for which, start, raw in columns:
        ops = c.route_eol if which == "eol" else c.route_maint
        new = finish(raw, n_all)
        ops = {
            b: _replace_columns(_pad_rows(m, n_all) if b == "edge" else m, start, new[b])
            for b, m in ops.items()
        }
        if which == "eol":
            c.route_eol = ops
        else:
            c.route_maint = ops
    if same:
        return
    # new mappings: an operator no patched column changed is still the base model's own
    # (the compiled model is shared: cached, and patched again for every scenario)
    c.route_eol, c.route_maint = (
        {**ops, "edge": sparse.csr_matrix(_pad_rows(ops["edge"], n_all)[order])}
        for ops in (c.route_eol, c.route_maint))
    renumber = {old: new for new, old in enumerate(order)}
    c.edges = [c.edges[e] for e in order]
    c.edge_index = {key: i for i, key in enumerate(c.edges)}
    c.edge_use = EdgeUse(
        [[renumber[e] for e in es] for es in use.eol],
        [[renumber[e] for e in es] for es in use.maint],
        [renumber[e] for e in use.fixed],
    )


def _pad_rows(m: sparse.csr_matrix, n_rows: int) -> sparse.csr_matrix:
    """``m`` with empty rows added up to ``n_rows`` (stage edges registered since)."""
    if m.shape[0] == n_rows:
        return m
    return sparse.csr_matrix(
        (m.data, m.indices, np.concatenate([m.indptr, np.full(n_rows - m.shape[0], m.indptr[-1])])),
        shape=(n_rows, m.shape[1]),
    )


def _replace_columns(m: sparse.csr_matrix, start: int, cols: sparse.spmatrix) -> sparse.csr_matrix:
    """``m`` with columns ``start …`` replaced by ``cols`` (same number of rows)."""
    n = cols.shape[1]
    old, new = m.tocoo(), sparse.coo_matrix(cols)
    keep = (old.col < start) | (old.col >= start + n)  # entries are never summed: disjoint
    out = sparse.csr_matrix((np.concatenate([old.data[keep], new.data]),
                             (np.concatenate([old.row[keep], new.row]),
                              np.concatenate([old.col[keep], new.col + start]))),
                            shape=m.shape)
    out.sort_indices()
    return out
