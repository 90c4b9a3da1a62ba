"""Routing operators: where one retired product, or one replaced part, goes — collection,
product reuse, dismantling, part reuse and remanufacture, and the sinks of what remains — as
sparse matrices with one column per product (end of life) or replaceable part (maintenance).

Blocks of an operator: ``prod`` (P, products recovered for reuse), ``part`` (Q, parts
recovered), ``mat`` (M·D, kg of each material into each sink), ``act`` (2N, pieces and kg of
each process) and ``edge`` (E, kg along each stage edge)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from junkan.core.errors import short
from junkan.lifecycle.build import Bom
from junkan.lifecycle.checks import Checker, SinkShares
from junkan.lifecycle.compiled import INTO, Compiled
from junkan.lifecycle.part_table import part_table
from junkan.lifecycle.routing_batch import MIX_CHUNK as MIX_CHUNK  # re-exported
from junkan.lifecycle.routing_batch import RawBlocks as RawBlocks
from junkan.lifecycle.routing_batch import Route as BatchRoute
from junkan.lifecycle.routing_batch import Route as Route
from junkan.lifecycle.routing_batch import residuals
from junkan.lifecycle.routing_eol import eol_columns
from junkan.lifecycle.routing_maint import Kernels, add_kernels, checked_entries
from junkan.lifecycle.routing_repl import maint_columns
from junkan.lifecycle.schema import EndOfLife, Extraction, Maintenance
from junkan.lifecycle.stages import (
    DISMANTLING,
    EOL_COLLECTION,
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

Residual = tuple[np.ndarray, float]
"""Kilograms by material left to route (M,) and their total (numpy's sum of the row)."""


@dataclass
class EdgeUse:
    """Which stage edges each operator column registered, in order, and the fixed edges
    registered after them. ``Compiled.edges`` lists the edges in the order they are first
    registered — end-of-life columns, then maintenance columns, then the fixed ones — so a
    patched column (:mod:`~junkan.lifecycle.patch`) can put the edges in the order a whole
    compilation gives."""

    eol: list[list[int]]
    maint: list[list[int]]
    fixed: list[int]


def finish(raw: RawBlocks, n_edges: int) -> dict[str, sparse.csr_matrix]:
    """The blocks as sparse matrices, once every stage edge is known."""
    out = {}
    for block, (rows, cols, vals, n_rows, n_cols) in raw.items():
        n = n_edges if block == "edge" else n_rows
        out[block] = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n_cols))
    return out


class Router:
    """Builds the end-of-life and maintenance operators of ``c``; route problems go to
    ``check``."""

    def __init__(self, c: Compiled, bom: Bom, check: Checker) -> None:
        self.c = c
        self.model = c.model
        self.parts = part_table(c.model)
        self.bom = bom
        self.check = check
        self.n_m = len(c.materials)
        self._whole: tuple[np.ndarray, list[float]] | None = None  # see _part_residual
        self.part_mass: list[float] = bom.part_mass.tolist()  # kg per piece, by type
        self.n_q = len(c.parts)
        self._types, self._qty_rel = bom.inst_type, bom.inst_qty_rel
        self._children: dict[int, list[int]] = bom.children
        self._options: list[list[tuple[list[str], float, int, float]] | None] = (
            [None] * self.n_q)

    def _part_options(self, q: int) -> list[tuple[list[str], float, int, float]]:
        """Reuse and remanufacture of part type ``q`` with a share: processes, share, row of
        the ``part`` block and pass rate."""
        return [(opt.processes, opt.share, INTO.index(opt.into) * self.n_q + q, opt.pass_rate)
                for opt in (self.parts.reuse[q], self.parts.remanufacture[q])
                if opt is not None and opt.share > 0]

    def resolve(self, paths: dict[str, int], items: list[Extraction], prefix: str,
                path: str) -> dict[int, list[str]]:
        """Instances of the extracted BOM paths (relative to ``prefix``) → their processes."""
        out: dict[int, list[str]] = {}
        known = self.check.activities.issuperset  # the path is written for a problem only
        for i, ex in enumerate(items):
            full = f"{prefix}/{ex.path}" if prefix else ex.path
            k = paths.get(full)
            if k is None:
                self.check.add(f"{path}[{i}]", f"no part at BOM path {short(ex.path)}"
                               + (f" under {short(prefix)}" if prefix else "") +
                               f"; known paths: {', '.join(sorted(paths)[:10])}")
                continue
            if not known(ex.processes):
                self.check.procs(ex.processes, f"{path}[{i}].processes")
            out[k] = ex.processes
        return out

    def nearest(self, k_root: int, chosen: dict[int, list[str]]) -> list[tuple[int, float]]:
        """The extracted instances nearest below ``k_root``, with their quantity per root."""
        children = self._children
        kids = children.get(k_root)
        if not kids:
            return []
        qty_rel = self._qty_rel
        found: list[tuple[int, float]] = []
        stack = [(ch, qty_rel[ch]) for ch in kids]
        while stack:
            k, q = stack.pop()
            if k in chosen:
                found.append((k, q))
            elif kids := children.get(k):
                stack.extend((ch, q * qty_rel[ch]) for ch in kids)
        return found

    def _residual(self, full: np.ndarray, desc: list[tuple[int, float]],
                  mass: float) -> Residual:
        """Material left after the extracted descendants are taken out, and its total: the
        row of :func:`~junkan.lifecycle.routing_batch.residuals` for this one item (the
        routes compute the others all at once when they are built)."""
        out, totals = residuals([full], [desc], [mass], self.bom.q_full, self._types)
        return out[0], float(totals[0])

    def _part_residual(self, q: int, desc: list[tuple[int, float]], mass: float) -> Residual:
        """:meth:`_residual` of part type ``q``; with nothing extracted from it (the common
        case), the row of :meth:`_whole_parts`."""
        if desc:
            return self._residual(self.bom.q_full[q], desc, mass)
        if self._whole is None:
            self._whole = self._whole_parts()
        return self._whole[0][q], self._whole[1][q]

    def whole_parts(self, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_residual` of each part type of ``types`` with nothing extracted: kg by
        material (a row per type) and their totals, as :meth:`_whole_parts` gives them —
        bit for bit, as :func:`residuals` computes row by row (a row's sum along the last
        axis of a C-ordered array is the same whichever rows are with it)."""
        bom = self.bom
        return residuals(bom.q_full[types], [[]] * len(types), bom.part_mass[types].tolist(),
                         bom.q_full, self._types)

    def _whole_parts(self) -> tuple[np.ndarray, list[float]]:
        """:meth:`_residual` of every part type with nothing extracted, at once."""
        whole, totals = self.whole_parts(np.arange(self.n_q))
        return whole, totals.tolist()

    def cascade(self, route: Route, col: int, k: int, x: float, chosen: dict[int, list[str]],
                ctx_mix: dict[str, float] | None, ctx_path: str, root_mix: bool) -> None:
        """Route ``x`` extracted pieces of instance ``k``: reuse and remanufacture, then the
        extracted sub-parts, then the residual mass to its sinks."""
        q = self._types[k]
        mass = self.part_mass[q]
        if procs := chosen.get(k):
            route.act(col, procs, x, x * mass)
        passed = 0.0
        options = self._options[q]
        if options is None:
            options = self._options[q] = self._part_options(q)
        for procs, share, row, pass_rate in options:
            cand = x * share  # processes run per item inspected or reprocessed
            route.act(col, procs, cand, cand * mass)
            route.put("part", row, col, cand * pass_rate)
            passed += cand * pass_rate
        route.edge(col, DISMANTLING, REPROCESSING, passed * mass)
        rest = x - passed
        desc = self.nearest(k, chosen)
        for kd, qd in desc:
            self.cascade(route, col, kd, rest * qd, chosen, ctx_mix, ctx_path, False)
        parts = self.parts
        mix: dict[str, float] | None
        own = False
        if root_mix and ctx_mix:
            mix = ctx_mix
        elif own_mix := parts.residual[q]:
            mix, own = own_mix, True
        else:
            mix = ctx_mix
        if desc and mix:  # what is left is computed with all the others (Route.build)
            parsed = self.check.known_mix(mix)
            if parsed is None:  # ``needed`` matters only to a mix without sinks
                parsed = self.check.mix(mix, self._mix_path(q, own, ctx_path), rest > 0)
            if rest > 0:
                route.mix_residual(col, DISMANTLING, parsed, (self.bom.q_full[q], desc, mass),
                                   rest, True, self.bom)
            return
        residual = self._part_residual(q, desc, mass)
        needed = rest > 0 and residual[1] > 0
        parsed = self.check.known_mix(mix) if mix else None
        if parsed is None:  # the path is written only for a mix not checked before
            parsed = self.check.mix(mix, self._mix_path(q, own, ctx_path), needed)
        if needed:
            route.mix(col, DISMANTLING, parsed, residual[0], rest, residual[1])

    def _mix_path(self, q: int, own: bool, ctx_path: str) -> str:
        """Document path of the residual mix of part type ``q``: its own, or the context's."""
        return f"parts.{self.c.parts[q]}.recovery.residual" if own else ctx_path

    def end_of_life(self) -> Route:
        """One column per product: where one retired product goes (laid out with array
        operations where :func:`~junkan.lifecycle.routing_eol.eol_columns` can, else
        product by product)."""
        eol = Route(self.c)
        # the layout gives its events to the event route (tests put a per-call one here)
        if isinstance(eol, BatchRoute) and eol_columns(self, eol):
            return eol
        eol = Route(self.c)
        for pi, pname in enumerate(self.c.products):
            self.product_eol(eol, pi, pname)
        return eol

    def eol_entry(self, pi: int, pname: str
                  ) -> tuple[EndOfLife, str, SinkShares, dict[int, list[str]]]:
        """Product ``pi``'s end of life with the checks its column starts with (processes,
        the uncollected mix, the dismantling's extraction), in the order the walk and the
        array layout (:mod:`junkan.lifecycle.routing_eol`) both make them: the entry, its
        path, the uncollected mix and the instances extracted (each with its processes)."""
        check = self.check
        base = f"products.{pname}.eol"
        e = self.model.products[pname].eol
        check.procs(e.collection.processes, f"{base}.collection.processes")
        uncol = check.mix(e.uncollected, f"{base}.uncollected", e.collection.rate < 1)
        chosen = self.resolve(self.bom.path_index[pi], e.dismantling.extract, "",
                              f"{base}.dismantling.extract")
        check.procs(e.dismantling.processes, f"{base}.dismantling.processes")
        if e.reuse is not None:
            check.procs(e.reuse.processes, f"{base}.reuse.processes")
        return e, base, uncol, chosen

    def product_eol(self, eol: Route, pi: int, pname: str) -> None:
        """Column ``pi`` of the end-of-life operator: where one retired product goes."""
        check, bom = self.check, self.bom
        e, base, uncol, chosen = self.eol_entry(pi, pname)
        mass = float(bom.product_mass[pi])
        rate = e.collection.rate
        eol.mix(pi, USE, uncol, bom.p_full[pi], 1 - rate)
        if rate <= 0:
            check.mix(e.dismantling.residual, f"{base}.dismantling.residual", False)
            return
        eol.edge(pi, USE, EOL_COLLECTION, rate * mass)
        eol.act(pi, e.collection.processes, rate, rate * mass)
        passed = 0.0
        if e.reuse is not None and e.reuse.share > 0:
            cand = rate * e.reuse.share
            eol.act(pi, e.reuse.processes, cand, cand * mass)
            passed = cand * e.reuse.pass_rate
            eol.put("prod", pi, pi, passed)
            eol.edge(pi, EOL_COLLECTION, REFURBISHMENT, passed * mass)
        dis = rate - passed
        eol.edge(pi, EOL_COLLECTION, DISMANTLING, dis * mass)
        eol.act(pi, e.dismantling.processes, dis, dis * mass)
        desc = self.nearest(-(pi + 1), chosen)
        for kd, qd in desc:
            self.cascade(eol, pi, kd, dis * qd, chosen, e.dismantling.residual or None,
                         f"{base}.dismantling.residual", False)
        path = f"{base}.dismantling.residual"
        if e.dismantling.residual:  # what is left is computed with the others (Route.build)
            parsed = check.mix(e.dismantling.residual, path, dis > 0)
            eol.mix_residual(pi, DISMANTLING, parsed, (bom.p_full[pi], desc, mass), dis, False,
                             bom)
            return
        residual, total = self._residual(bom.p_full[pi], desc, mass)
        eol.mix(pi, DISMANTLING, check.mix(e.dismantling.residual, path, dis > 0 and total > 0),
                residual, dis, total)

    def maintenance(self) -> tuple[Route, list[int], Kernels]:
        """One column per replaceable part instance: where one replaced part goes; also the
        instances and their replacement kernels (:func:`replacement_kernels`). Laid out with
        array operations where :func:`~junkan.lifecycle.routing_repl.maint_columns` can,
        else entry by entry."""
        maint = Route(self.c)
        if isinstance(maint, BatchRoute) and (done := maint_columns(self, maint)) is not None:
            return maint, *done
        maint = Route(self.c)
        repl: list[int] = []
        kernels: Kernels = ([], [], [])
        for pi, pname in enumerate(self.c.products):
            self.product_maintenance(maint, pi, pname, repl, kernels)
        return maint, repl, kernels

    def product_maintenance(self, maint: Route, pi: int, pname: str, repl: list[int],
                            kernels: Kernels) -> None:
        """The columns of product ``pi``'s replaceable instances, appended to ``maint``,
        ``repl`` and ``kernels`` (an instance belongs to one product, so the products'
        columns are independent of each other)."""
        entries = self.model.products[pname].maintenance
        for k, mt, base in checked_entries(self.bom, self.check, pi, pname, entries):
            col = len(repl)
            repl.append(k)
            add_kernels(self.c, kernels, pi, pname, mt)
            self._replacement(maint, col, pi, k, mt, base)

    def _replacement(self, maint: Route, col: int, pi: int, k: int, mt: Maintenance,
                     base: str) -> None:
        bom, check = self.bom, self.check
        q = bom.inst_type[k]
        mass = float(bom.part_mass[q])
        check.procs(mt.processes, f"{base}.processes")
        check.procs(mt.collection.processes, f"{base}.collection.processes")
        maint.act(col, mt.processes, 1.0, mass)
        rate = mt.collection.rate
        maint.mix(col, USE, check.mix(mt.uncollected, f"{base}.uncollected", rate < 1),
                  bom.q_full[q], 1 - rate)
        chosen = self.resolve(bom.path_index[pi], mt.extract, mt.part, f"{base}.extract")
        chosen[k] = []
        if rate > 0:
            maint.edge(col, USE, MAINT_COLLECTION, rate * mass)
            maint.act(col, mt.collection.processes, rate, rate * mass)
            maint.edge(col, MAINT_COLLECTION, DISMANTLING, rate * mass)
            self.cascade(maint, col, k, rate, chosen, mt.residual, f"{base}.residual",
                         mt.residual is not None)


STAGE_EDGES = ((VIRGIN, MANUFACTURING), (SECONDARY, MANUFACTURING),
               (REPROCESSING, MANUFACTURING), (MANUFACTURING, USE), (REFURBISHMENT, USE),
               (REFURBISHMENT, SECOND_HAND), (REPROCESSING, SECOND_HAND),
               (SECONDARY, SECONDARY_MARKET))
"""Stage edges the engine fills directly (not through a routing operator)."""


def add_routes(c: Compiled, eol: Route, maint: Route, repl: list[int],
               kernels: Kernels) -> None:
    """Register the remaining stage edges and store the operators in ``c``."""
    n_years = len(c.years)
    c.repl_inst = np.array(repl, dtype=np.int64)
    c.repl_entry = np.array(kernels[0], dtype=float)
    c.repl_new = np.array(kernels[1], dtype=float).reshape(len(repl), n_years)
    c.repl_reused = np.array(kernels[2], dtype=float).reshape(len(repl), n_years)
    raw_eol = eol.build(len(c.products))
    use_eol = eol.edges_by_column(len(c.products))
    eol.release()
    raw_maint = maint.build(len(repl))
    use_maint = maint.edges_by_column(len(repl))
    maint.release()
    c.edge_use = EdgeUse(use_eol, use_maint, fixed_edges(c))
    c.route_eol = finish(raw_eol, len(c.edges))
    c.route_maint = finish(raw_maint, len(c.edges))


def fixed_edges(c: Compiled) -> list[int]:
    """Register the stage edges the engine fills directly and those out of the recycling
    sinks; their indices in the order registered."""
    out = [c.edge(src, dst) for src, dst in STAGE_EDGES]
    for d in range(len(c.sinks)):
        if c.model.processes[c.processes.names[c.sinks[d]]].kind == "recycling":
            out.append(c.edge(c.sink_node(d), SECONDARY if c.closed_loop[d] else
                              SECONDARY_MARKET))
            out.extend(c.edge(c.sink_node(d), c.sink_node(int(d2)))
                       for d2 in map(int, np.flatnonzero(c.residue[d])))
    return out
