"""Compile a validated :class:`LifecycleModel` into the arrays the engine steps with.

Checking (:mod:`~junkan.lifecycle.checks`: references, shares, the BOM graph, size limits) comes
first, so a model that cannot be built is refused before anything is allocated; building
follows (:mod:`~junkan.lifecycle.processes`, :mod:`~junkan.lifecycle.build`,
:mod:`~junkan.lifecycle.routing`). Every problem is reported with its document path, all at
once. The result is a :class:`~junkan.lifecycle.compiled.Compiled`.
"""

from __future__ import annotations

from junkan.lifecycle.build import Index, assemble, flatten_bom
from junkan.lifecycle.checks import Checker, Problems, check_bom_size, checked_bom
from junkan.lifecycle.compiled import BASES, FACTOR_KEYS, Compiled, ProcessTable
from junkan.lifecycle.processes import process_table
from junkan.lifecycle.routing import Router, add_routes
from junkan.lifecycle.schema import LifecycleModel

# Stage node names, kept here for callers of ``junkan.lifecycle.compile.<NAME>``.
from junkan.lifecycle.stages import (  # noqa: F401
    DISMANTLING,
    EOL_COLLECTION,
    INVENTORY_NODES,
    MAINT_COLLECTION,
    MANUFACTURING,
    REFURBISHMENT,
    REPROCESSING,
    SECOND_HAND,
    SECONDARY,
    SECONDARY_MARKET,
    USE,
    VIRGIN,
)

__all__ = ["BASES", "FACTOR_KEYS", "Compiled", "ProcessTable", "compile_model"]


def compile_model(model: LifecycleModel) -> Compiled:
    """Check ``model`` beyond its schema and build the engine's arrays.

    Raises :class:`~junkan.core.errors.ModelError` listing every problem with its document
    path.
    """
    problems = Problems()
    table = process_table(model, problems)
    ix = Index.of(model, table)
    bom_graph = checked_bom(model, ix.m_index, problems)
    check = Checker(model, table, ix.d_index, problems)
    check.makers()
    check.process_lists()
    check.part_residuals()
    check.recycling(ix.m_index)
    if bom_graph is None:
        problems.raise_if_any()  # the BOM cannot be flattened; report what we have
        raise AssertionError("the BOM graph was refused without a problem")
    graph, lines = bom_graph
    if not check_bom_size(model, graph, lines, len(ix.years), problems):
        problems.raise_if_any()  # too big to build; report before allocating anything

    bom = flatten_bom(model, ix, graph, lines)
    c = assemble(model, ix, table, bom, check)
    router = Router(c, bom, check)
    eol = router.end_of_life()
    maint, repl, kernels = router.maintenance()
    problems.raise_if_any()
    add_routes(c, eol, maint, repl, kernels)
    c.bom = bom
    return c
