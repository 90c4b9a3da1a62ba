"""Routing operators: where one retired product, or one replaced part, goes — collection,
product reuse, dismantling, part reuse and remanufacture, and the sinks of what remains — as
sparse matrices with one column per product (end of life) or replaceable part (maintenance).

Blocks of an operator: ``prod`` (P, products recovered for reuse), ``part`` (Q, parts
recovered), ``mat`` (M·D, kg of each material into each sink), ``act`` (2N, pieces and kg of
each process) and ``edge`` (E, kg along each stage edge)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from junkan.core.errors import short
from junkan.lifecycle.build import Bom, second_life
from junkan.lifecycle.checks import Checker, SinkShares
from junkan.lifecycle.compiled import INTO, Compiled
from junkan.lifecycle.exposure import replacement_kernels
from junkan.lifecycle.part_table import part_table
from junkan.lifecycle.schema import Extraction, Maintenance
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

_NO_PROCS: list[str] = []
Residual = tuple[np.ndarray, float]
"""Kilograms by material left to route (M,) and their total (numpy's sum of the row)."""
RawBlocks = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int, int]]
Kernels = tuple[list[float], list[np.ndarray], list[np.ndarray]]
"""Replacement kernels of the replaceable instances: per product entering new, and per
product at the start of a year in the new and the reused stock."""
MIX_CHUNK = 2**20
"""Kilogram values computed at once when the material mixes are built (bounds memory)."""
PART_LIFE_MIN = 0.001
"""Shortest fixed part lifetime, years (a thousand failures a year)."""
PART_LIFE_MIN_DISTRIBUTION = 0.1
"""Shortest mean (or scale) of a distributed part lifetime, years."""


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


class Route:
    """Collects a linear routing operator column by column."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        # per block: rows, columns and values of the entries, unboxed (8 bytes each, not a
        # tuple of three objects: a large model has millions of entries)
        self.data: dict[str, tuple[array[int], array[int], array[float]]] = defaultdict(
            lambda: (array("q"), array("q"), array("d")))
        self.edge_use: list[tuple[int, int]] = []  # (column, edge) as registered
        self.edge_data = self.data["edge"]
        self.sink_nodes = [c.sink_node(d) for d in range(len(c.sinks))]
        # the material mixes, built into the ``mat`` block at once by :meth:`build`: the
        # kg rows routed, and per (row, sink) pair its row, sink, column and scale
        self.mix_rows: list[np.ndarray] = []
        self.mix_pairs: tuple[array[int], array[int], array[int], array[float]] = (
            array("q"), array("q"), array("q"), array("d"))
        # bound methods of the hot path (a large model registers a million edges)
        self._edge_index, self._use = c.edge_index.get, self.edge_use.append

    def put(self, block: str, row: int, col: int, value: float) -> None:
        if value != 0.0:
            rows, cols, vals = self.data[block]
            rows.append(row)
            cols.append(col)
            vals.append(value)

    def act(self, col: int, procs: list[str], pieces: float, kg: float) -> None:
        if not procs:
            return
        table = self.c.processes
        index, n_procs = table.index, len(table)
        rows, cols, vals = self.data["act"]
        for name in procs:  # as put() would: pieces, then kg, each only if not zero
            i = index.get(name)
            if i is None:
                continue  # reported by the checker; compile raises before anything runs
            if pieces != 0.0:
                rows.append(i)
                cols.append(col)
                vals.append(pieces)
            if kg != 0.0:
                rows.append(n_procs + i)
                cols.append(col)
                vals.append(kg)

    def edge(self, col: int, src: str, dst: str, kg: float) -> None:
        e = self._edge_index((src, dst))
        if e is None:
            e = self.c.edge(src, dst)
        self._use((col, e))
        if kg != 0.0:  # as put() would
            rows, cols, vals = self.edge_data
            rows.append(e)
            cols.append(col)
            vals.append(kg)

    def edges_by_column(self, n_cols: int) -> list[list[int]]:
        """The stage edges each column registered, in the order first registered (what
        decides the order of ``Compiled.edges``, see :class:`EdgeUse`)."""
        out: list[list[int]] = [[] for _ in range(n_cols)]
        seen: set[tuple[int, int]] = set()
        for use in self.edge_use:
            if use not in seen:
                seen.add(use)
                out[use[0]].append(use[1])
        return out

    def mix(self, col: int, src: str, mix: SinkShares, materials: np.ndarray,
            scale: float, total: float | None = None) -> None:
        """``scale`` times ``materials`` (kg by material, (M,); ``total``: its sum, if known)
        into the sinks of ``mix``. The kg go into the ``mat`` block when it is built (keep
        ``materials`` unchanged until then); the stage edges are registered now."""
        if not mix:
            return
        if total is None:
            total = float(materials.sum())
        row = len(self.mix_rows)
        self.mix_rows.append(materials)
        rows, sinks, cols, scales = self.mix_pairs
        edge, nodes = self.edge, self.sink_nodes
        for d, share in mix:
            f = scale * share
            rows.append(row)
            sinks.append(d)
            cols.append(col)
            scales.append(f)
            edge(col, src, nodes[d], f * total)

    def _mat_block(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and values of the ``mat`` block: for each (row, sink) pair in the
        order added, ``scale × kg`` of each material with a non-zero result, materials in
        order (the entries a loop over the pairs would append)."""
        rows, sinks, cols, scales = (np.frombuffer(a, dtype=np.int64 if a.typecode == "q"
                                                   else float) for a in self.mix_pairs)
        n_pairs, n_sinks = len(rows), len(self.sink_nodes)
        if not n_pairs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        out_r, out_c, out_v = [], [], []
        step = max(1, MIX_CHUNK // max(len(self.mix_rows[0]), 1))  # pairs per chunk
        for lo in range(0, n_pairs, step):
            sl = slice(lo, lo + step)
            first = int(rows[lo])  # rows ascend: the chunk's kg rows, stacked
            kg = np.stack(self.mix_rows[first:int(rows[sl][-1]) + 1])
            mass = scales[sl, None] * kg[rows[sl] - first]
            pair, mat = np.nonzero(mass)  # pair by pair, materials ascending
            out_r.append(mat * n_sinks + sinks[sl][pair])
            out_c.append(cols[sl][pair])
            out_v.append(mass[pair, mat])
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)

    def build(self, n_cols: int) -> RawBlocks:
        c = self.c
        shapes = {"prod": len(c.products), "part": len(INTO) * len(c.parts),
                  "mat": len(c.materials) * len(c.sinks), "act": 2 * len(c.processes),
                  "edge": 0}
        out: RawBlocks = {}
        for block, n_rows in shapes.items():
            if block == "mat":
                out[block] = (*self._mat_block(), n_rows, n_cols)
                continue
            rows, cols, vals = self.data[block]
            out[block] = (np.frombuffer(rows, dtype=np.int64), np.frombuffer(cols, dtype=np.int64),
                          np.frombuffer(vals, dtype=float), n_rows, n_cols)
        return out


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

    def resolve(self, paths: dict[str, int], items: list[Extraction], prefix: str,
                path: str) -> dict[int, list[str]]:
        """Instances of the extracted BOM paths (relative to ``prefix``) → their processes."""
        out: dict[int, list[str]] = {}
        for i, ex in enumerate(items):
            full = f"{prefix}/{ex.path}" if prefix else ex.path
            if full not in paths:
                self.check.add(f"{path}[{i}]", f"no part at BOM path {short(ex.path)}"
                               + (f" under {short(prefix)}" if prefix else "") +
                               f"; known paths: {', '.join(sorted(paths)[:10])}")
                continue
            self.check.procs(ex.processes, f"{path}[{i}].processes")
            out[paths[full]] = ex.processes
        return out

    def nearest(self, k_root: int, chosen: dict[int, list[str]]) -> list[tuple[int, float]]:
        """The extracted instances nearest below ``k_root``, with their quantity per root."""
        qty_rel, children = self.bom.inst_qty_rel, self.bom.children
        found: list[tuple[int, float]] = []
        stack = [(ch, qty_rel[ch]) for ch in children[k_root]]
        while stack:
            k, q = stack.pop()
            if k in chosen:
                found.append((k, q))
            else:
                stack.extend((ch, q * qty_rel[ch]) for ch in children[k])
        return found

    def _residual(self, full: np.ndarray, desc: list[tuple[int, float]],
                  mass: float) -> Residual:
        """Material left after the extracted descendants are taken out (rounding noise → 0)."""
        q_full, inst_type = self.bom.q_full, self.bom.inst_type
        residual = full - sum((qd * q_full[inst_type[kd]] for kd, qd in desc),
                              np.zeros(self.n_m)) if desc else full  # x − 0 is x
        out = np.where(np.abs(residual) < 1e-15 * max(mass, 1e-300), 0.0, residual)
        return out, float(out.sum())

    def _part_residual(self, q: int, desc: list[tuple[int, float]], mass: float) -> Residual:
        """:meth:`_residual` of part type ``q``; with nothing extracted from it (the common
        case), the row of :meth:`_whole_parts`."""
        if desc:
            return self._residual(self.bom.q_full[q], desc, mass)
        if self._whole is None:
            self._whole = self._whole_parts()
        return self._whole[0][q], self._whole[1][q]

    def _whole_parts(self) -> tuple[np.ndarray, list[float]]:
        """:meth:`_residual` of every part type with nothing extracted, at once: the same
        element-wise operations on the (Q, M) array, and row sums."""
        bom = self.bom
        tol = 1e-15 * np.maximum(bom.part_mass, 1e-300)
        whole = np.where(np.abs(bom.q_full) < tol[:, None], 0.0, bom.q_full)
        return whole, whole.sum(axis=1).tolist()

    def cascade(self, route: Route, col: int, k: int, x: float, chosen: dict[int, list[str]],
                ctx_mix: dict[str, float] | None, ctx_path: str, root_mix: bool) -> None:
        """Route ``x`` extracted pieces of instance ``k``: reuse and remanufacture, then the
        extracted sub-parts, then the residual mass to its sinks."""
        q = self.bom.inst_type[k]
        parts = self.parts
        mass = self.part_mass[q]
        route.act(col, chosen.get(k, _NO_PROCS), x, x * mass)
        passed = 0.0
        for opt in (parts.reuse[q], parts.remanufacture[q]):
            if opt is not None and opt.share > 0:
                cand = x * opt.share  # processes run per item inspected or reprocessed
                route.act(col, opt.processes, cand, cand * mass)
                route.put("part", INTO.index(opt.into) * self.n_q + q, col,
                          cand * opt.pass_rate)
                passed += cand * opt.pass_rate
        route.edge(col, DISMANTLING, REPROCESSING, passed * mass)
        rest = x - passed
        desc = self.nearest(k, chosen)
        for kd, qd in desc:
            self.cascade(route, col, kd, rest * qd, chosen, ctx_mix, ctx_path, False)
        residual = self._part_residual(q, desc, mass)
        mix: dict[str, float] | None
        own = False
        if root_mix and ctx_mix:
            mix = ctx_mix
        elif own_mix := parts.residual[q]:
            mix, own = own_mix, True
        else:
            mix = ctx_mix
        needed = rest > 0 and residual[1] > 0
        parsed = self.check.known_mix(mix) if mix else None
        if parsed is None:  # the path is written only for a mix not checked before
            parsed = self.check.mix(mix, f"parts.{self.c.parts[q]}.recovery.residual" if own
                                    else ctx_path, needed)
        if needed:
            route.mix(col, DISMANTLING, parsed, residual[0], rest, residual[1])

    def end_of_life(self) -> Route:
        """One column per product: where one retired product goes."""
        eol = Route(self.c)
        for pi, pname in enumerate(self.c.products):
            self.product_eol(eol, pi, pname)
        return eol

    def product_eol(self, eol: Route, pi: int, pname: str) -> None:
        """Column ``pi`` of the end-of-life operator: where one retired product goes."""
        check, bom = self.check, self.bom
        base = f"products.{pname}.eol"
        e = self.model.products[pname].eol
        mass = float(bom.product_mass[pi])
        rate = e.collection.rate
        check.procs(e.collection.processes, f"{base}.collection.processes")
        uncol = check.mix(e.uncollected, f"{base}.uncollected", rate < 1)
        eol.mix(pi, USE, uncol, bom.p_full[pi], 1 - rate)
        chosen = self.resolve(bom.path_index[pi], e.dismantling.extract, "",
                              f"{base}.dismantling.extract")
        check.procs(e.dismantling.processes, f"{base}.dismantling.processes")
        if e.reuse is not None:
            check.procs(e.reuse.processes, f"{base}.reuse.processes")
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
        residual, total = self._residual(bom.p_full[pi], desc, mass)
        needed = dis > 0 and total > 0
        eol.mix(pi, DISMANTLING, check.mix(e.dismantling.residual,
                                           f"{base}.dismantling.residual", needed),
                residual, dis, total)

    def maintenance(self) -> tuple[Route, list[int], Kernels]:
        """One column per replaceable part instance: where one replaced part goes; also the
        instances and their replacement kernels (:func:`replacement_kernels`)."""
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
        replaceable: set[int] = set()
        for mi, mt in enumerate(self.model.products[pname].maintenance):
            base = f"products.{pname}.maintenance[{mi}]"
            k = self._replaceable(pi, pname, mt, base, replaceable)
            if k is None or not self._part_lifetime_ok(mt, base):
                continue
            replaceable.add(k)
            col = len(repl)
            repl.append(k)
            self._kernels(kernels, pi, pname, mt)
            self._replacement(maint, col, pi, k, mt, base)

    def _kernels(self, kernels: Kernels, pi: int, pname: str, mt: Maintenance) -> None:
        """Replacements per socket of products entering new, and per product at the start of
        a year in the new and the reused stock."""
        c, n_years = self.c, len(self.c.years)
        if mt.lifetime is None:  # a rate per piece-year in use: the exposure kernels × rate
            rate = float(mt.replacement_rate or 0.0)
            entry, new = rate * float(c.exposure_entry[pi]), rate * c.exposure_new[pi]
            reused = rate * c.exposure_reused[pi]
        else:
            entry, new = replacement_kernels(self.model.products[pname].lifetime, n_years,
                                             0.5, part=mt.lifetime)
            _, reused = replacement_kernels(second_life(self.model, pname), n_years, 0.0,
                                            part=mt.lifetime)
        kernels[0].append(entry)
        kernels[1].append(new)
        kernels[2].append(reused)

    def _part_lifetime_ok(self, mt: Maintenance, base: str) -> bool:
        """A part lifetime the renewal kernels can resolve (see :mod:`~.exposure`)."""
        lt = mt.lifetime
        if lt is None:
            return True
        if lt.distribution == "fixed":
            if (lt.mean or 0.0) < PART_LIFE_MIN:
                self.check.add(f"{base}.lifetime.mean", f"a part lifetime below "
                               f"{PART_LIFE_MIN} year (about 9 hours) is not supported; use "
                               "a replacement_rate or a longer lifetime")
                return False
            return True
        typical = lt.mean if lt.mean is not None else lt.scale
        if (typical or 0.0) < PART_LIFE_MIN_DISTRIBUTION:
            self.check.add(f"{base}.lifetime", f"a {lt.distribution} part lifetime needs a "
                           f"mean (or scale) of at least {PART_LIFE_MIN_DISTRIBUTION} year "
                           "(the renewal grid is 1/64 year); use a fixed lifetime or a "
                           "replacement_rate for shorter part lives")
            return False
        return True

    def _replaceable(self, pi: int, pname: str, mt: Maintenance, base: str,
                     replaceable: set[int]) -> int | None:
        """The instance a maintenance entry replaces, or None (with the problem added)."""
        bom, check = self.bom, self.check
        k = bom.path_index[pi].get(mt.part)
        if k is None:
            check.add(f"{base}.part", f"no part at BOM path {short(mt.part)} in product "
                      f"'{pname}'; known paths: {', '.join(sorted(bom.path_index[pi])[:10])}")
            return None
        if k in replaceable:
            check.add(f"{base}.part", f"part {short(mt.part)} already has a maintenance "
                      "entry; merge them")
            return None
        anc = bom.inst_parent[k]
        while anc >= 0:
            if anc in replaceable:
                check.add(f"{base}.part", f"{short(mt.part)} sits inside "
                          f"{short(bom.inst_path[anc])}, which is itself replaced; nested "
                          "replacements are not supported — model the outer part's "
                          "replacement only")
            anc = bom.inst_parent[anc]
        return k

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
    raw_maint = maint.build(len(repl))
    c.edge_use = EdgeUse(eol.edges_by_column(len(c.products)),
                         maint.edges_by_column(len(repl)), fixed_edges(c))
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
