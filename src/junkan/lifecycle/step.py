"""One year of the cohort engine (:mod:`junkan.lifecycle.engine`), for one run or many.

Every state array (stocks by age, recovered pools) and every per-year vector may carry a
leading run axis: ``lead = ()`` for one run, ``(runs,)`` for many simulated together. The
compiled model's arrays either have the shapes documented in
:class:`~junkan.lifecycle.compiled.Compiled` (shared by every run) or, where a run changes
them, a leading run axis (:class:`~junkan.lifecycle.engine.Runs`); numpy broadcasting does
the rest, so one run and many runs go through the same lines. Linear operators map the last
axis: ``A @ x`` for one run, ``(A @ xᵀ)ᵀ`` for many (an operator of the runs may apply a
different matrix to each run's column).

Dot products are written as ``einsum("...i,...i->...")`` (:func:`dot`), not ``a @ b``:
a BLAS dot product of a long vector may start threads, which on a loaded machine cost more
than the product; ``einsum`` stays in one thread and forms no product array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from junkan.lifecycle import stages as st
from junkan.lifecycle.compiled import Compiled

if TYPE_CHECKING:
    from junkan.lifecycle.engine import RawResult, Runs

ARRAYS = (
    "sales",
    "product_mass",
    "part_mass",
    "first_year_survival",
    "ratio_new",
    "reused_entry_survival",
    "ratio_reused",
    "exposure_entry",
    "exposure_new",
    "exposure_reused",
    "repl_entry",
    "repl_new",
    "repl_reused",
    "inst_qty_rel",
    "yields",
    "residue",
)
"""Numeric arrays of :class:`Compiled` that runs may override (leading run axis)."""
OPERATORS = ("mat_of_inst", "mat_of_product", "act_make", "act_assemble", "act_use")
ROUTE_BLOCKS = ("prod", "part", "mat", "act", "edge")
"""Blocks of the routing operators (overridden as ``route_eol.prod`` …)."""


def apply(op: Any, x: np.ndarray) -> np.ndarray:
    """``op`` applied to the last axis of ``x`` (one vector, or one row per run)."""
    if x.ndim == 1:
        return np.asarray(op @ x)
    if isinstance(op, np.ndarray):
        return np.asarray(x @ op.T)
    return np.ascontiguousarray(np.asarray(op @ x.T).T)


SMALL = 16_384
"""Entries (rows × columns) up to which an operator is applied as a dense array
(:func:`prepared`): scipy's sparse product costs ~10 µs a call in checks and dispatch
whatever its size, a dense product of that many entries ~3 µs. The shipped examples'
operators have at most 348 entries; a calibration of ``compressor_magnet`` made 940,000
sparse products, 27 % of its time (2026-12-07)."""


def prepared(op: Any) -> Any:
    """``op`` in the form applied fastest: dense if small (:data:`SMALL`), else stored by
    columns where tall (:func:`by_columns`); an operator of many runs prepares itself."""
    if sparse.issparse(op):
        rows, cols = op.shape
        return op.toarray() if rows * cols <= SMALL else by_columns(op)
    prepare = getattr(op, "prepared", None)
    return prepare() if prepare is not None else op


TALL = 4
"""Rows per column from which an operator is applied by columns (:func:`by_columns`)."""


def by_columns(op: Any) -> Any:
    """``op``, stored by columns (CSC) if it is a sparse matrix with :data:`TALL` or more
    rows per column. A row-stored product visits every row, most of them empty in the
    tall routing and activity blocks (3Q part rows or 2N process rows for P products); a
    column-stored one visits only the columns and their entries: on the 1,000-product
    benchmark the year's fifteen products took 0.25 ms against 0.46 ms; converting costs
    0.4 ms once per simulation (2026-12-02)."""
    if sparse.issparse(op) and op.format == "csr" and op.shape[0] >= TALL * op.shape[1]:
        return op.tocsc()
    return op


def take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[..., idx]`` (``np.take`` is the fastest form of it)."""
    return np.take(a, idx, axis=-1)


def put(a: np.ndarray, idx: np.ndarray, v: np.ndarray) -> None:
    """``a[..., idx] = v`` (plain indexing where there is no run axis: faster)."""
    if a.ndim == 1:
        a[idx] = v
    else:
        a[:, idx] = v


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ over the last axis of ``a * b`` (``b`` broadcast to ``a``; a float array of the
    leading axes), without forming the product: ``einsum`` multiplies and adds in one pass,
    4.4x faster than ``(a * b).sum(-1)`` on a 5,000 × 80 stock (0.13 against 0.56 ms; the
    same sums to 5e-16, 2026-12-02)."""
    return np.asarray(np.einsum("...i,...i->...", a, b))


def bincount(types: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``np.bincount(types, weights, minlength=n)`` over the last axis, per run."""
    if weights.ndim == 1:
        return np.bincount(types, weights=weights, minlength=n)
    runs = weights.shape[0]
    flat = (np.arange(runs)[:, None] * n + types[None, :]).ravel()
    return np.bincount(flat, weights=weights.ravel(), minlength=runs * n).reshape(runs, n)


def age(stock: np.ndarray, ratio: np.ndarray, death: np.ndarray) -> np.ndarray:
    """Age ``stock`` (… × cells × ages) one year in place; return the outflow per cell
    (``death`` is ``1 - ratio``, the share of each age that leaves)."""
    survived = stock * ratio
    out = dot(stock, death)
    stock[..., 1:] = survived[..., :-1]
    stock[..., 0] = 0.0
    # the oldest age bin cannot age further within the horizon (T ages for T years)
    return np.asarray(out)


def cumulative_qty(c: Compiled, rel: np.ndarray) -> np.ndarray:
    """Pieces of each instance per product (``rel``: per parent, … × K)."""
    qty = np.ones(rel.shape)
    for level in c.levels:
        parent = c.inst_parent[level]
        qty[..., level] = rel[..., level] * np.where(
            parent >= 0, qty[..., np.maximum(parent, 0)], 1.0
        )
    return qty


def allocate(
    pools: np.ndarray, dem_p: np.ndarray, dem_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the part demand of new products and of spares (per type) met from the pools
    (… × 3 × Q, ``compiled.INTO``), which are drawn down in place: each demand takes its own
    pool first; the ``both`` pool then meets what is left of either, in proportion."""
    use_p = np.minimum(pools[..., 0, :], dem_p)
    use_s = np.minimum(pools[..., 1, :], dem_s)
    pools[..., 0, :] -= use_p
    pools[..., 1, :] -= use_s
    if pools[..., 2, :].any():  # most models send nothing to ``both``: nothing to share
        rem_p, rem_s = dem_p - use_p, dem_s - use_s
        rem = rem_p + rem_s
        take = np.minimum(pools[..., 2, :], rem)
        pools[..., 2, :] -= take
        share = np.divide(take, rem, out=np.zeros_like(rem), where=rem > 0)
        use_p = use_p + share * rem_p
        use_s = use_s + share * rem_s
    return (
        np.divide(use_p, dem_p, out=np.zeros_like(use_p), where=dem_p > 0),
        np.divide(use_s, dem_s, out=np.zeros_like(use_s), where=dem_s > 0),
    )


class Stepper:
    """The state of one simulation — or of ``runs.count`` simulated together — and one
    year's step."""

    def __init__(self, c: Compiled, runs: Runs | None = None) -> None:
        self.c = c
        self.lead: tuple[int, ...] = () if runs is None else (runs.count,)
        over = {} if runs is None else dict(runs.arrays)
        self.a = {n: np.asarray(over[n]) if n in over else getattr(c, n) for n in ARRAYS}
        ops = {} if runs is None else dict(runs.operators)
        self.op = {n: ops.get(n, getattr(c, n)) for n in OPERATORS}
        for r in ("route_eol", "route_maint"):
            self.op.update({f"{r}.{b}": ops.get(f"{r}.{b}", m) for b, m in getattr(c, r).items()})
        self.op = {n: prepared(op) for n, op in self.op.items()}
        n_t, lead = len(c.years), self.lead
        n_p, n_q, n_m = len(c.products), len(c.parts), len(c.materials)
        self.n_r = n_r = len(c.repl_inst)
        self.n_d, self.n_n = len(c.sinks), len(c.processes)
        self._indices()
        self.s_new = np.zeros((*lead, n_p, n_t))  # products in use by age: new ones
        self.s_re = np.zeros((*lead, n_p, n_t))  # reused ones
        self.repl_prod = c.inst_product[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
        self.repl_type = c.inst_type[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
        self.repl_qty = (
            cumulative_qty(c, self.a["inst_qty_rel"])[..., c.repl_inst] if n_r else np.zeros(0)
        )
        self.inst_mass = self.a["part_mass"][..., c.inst_type]
        self.death_new, self.death_reused = 1.0 - self.a["ratio_new"], 1.0 - self.a["ratio_reused"]
        rel = self.a["inst_qty_rel"]
        self.level_ix = [  # per BOM level: instances, top-level?, parent, product, type, qty
            (
                lv,
                c.inst_parent[lv] < 0,
                np.maximum(c.inst_parent[lv], 0),
                c.inst_product[lv],
                c.inst_type[lv],
                take(rel, lv),
            )
            for lv in c.levels
        ]
        self.pool_prod = np.zeros((*lead, n_p))  # recovered last year, supply this year
        self.pool_part = np.zeros((*lead, 3 * n_q))  # by destination (compiled.INTO), type
        self.pool_sec = np.zeros((*lead, n_m))

    def _indices(self) -> None:
        c = self.c
        tbl, e = c.processes, c.edge_index
        self.sink_proc = np.array(c.sinks, dtype=np.int64)
        self.virgin_proc = np.array([tbl.index[f"virgin:{m}"] for m in c.materials], dtype=np.int64)
        self.recycled_proc = np.array(
            [tbl.index[f"recycled:{m}"] for m in c.materials], dtype=np.int64
        )
        self.ix = {
            k: e[v]
            for k, v in {
                "virgin": (st.VIRGIN, st.MANUFACTURING),
                "sec_used": (st.SECONDARY, st.MANUFACTURING),
                "parts_used": (st.REPROCESSING, st.MANUFACTURING),
                "make_use": (st.MANUFACTURING, st.USE),
                "refurb_use": (st.REFURBISHMENT, st.USE),
                "refurb_2h": (st.REFURBISHMENT, st.SECOND_HAND),
                "parts_2h": (st.REPROCESSING, st.SECOND_HAND),
                "sec_market": (st.SECONDARY, st.SECONDARY_MARKET),
            }.items()
        }
        n_d = len(c.sinks)
        yields, residue = np.abs(self.a["yields"]), np.abs(self.a["residue"])
        self.recycling = (
            np.flatnonzero(yields.sum(axis=-1).reshape(-1, n_d).max(axis=0) > 0)
            if n_d
            else np.zeros(0, dtype=np.int64)
        )
        self.residue_of = {
            int(d): np.flatnonzero(residue[..., d, :].reshape(-1, n_d).max(axis=0) > 0)
            for d in self.recycling
        }
        self.rec_out_edge = {
            int(d): e[
                (c.sink_node(int(d)), st.SECONDARY if c.closed_loop[d] else st.SECONDARY_MARKET)
            ]
            for d in self.recycling
        }
        self.residue_edges = {
            (int(d), int(d2)): e[(c.sink_node(int(d)), c.sink_node(int(d2)))]
            for d in self.recycling
            for d2 in self.residue_of[int(d)]
        }

    def step(self, t: int, out: RawResult) -> None:
        """Year ``t``: age, meet demand, route what left use, record into ``out``."""
        a, op = self.a, self.op
        # 1. replacements and exposure of last year's stocks, then ageing: retirements.
        # At the start of year t only ages 0 … t−1 hold products: work on those columns.
        failed, exposure = self._exposed(t)
        n = t + 1
        retired = age(self.s_new[..., :n], a["ratio_new"][..., :n], self.death_new[..., :n]) \
            + age(self.s_re[..., :n], a["ratio_reused"][..., :n], self.death_reused[..., :n])
        # 2. demand, met first from last year's recovered pools
        new, reused_used, surplus_prod, retired = self._products(t, retired)
        exposure = exposure + new * a["exposure_entry"]
        if self.n_r:
            failed = failed + self.repl_qty * new[..., self.repl_prod] * a["repl_entry"]
        parts = self._parts(new, failed)
        newmade = parts["made"]
        # material demand, met first from last year's closed-loop secondary material
        mat_demand = apply(op["mat_of_inst"], newmade) + apply(op["mat_of_product"], new)
        rec_used = np.minimum(self.pool_sec, mat_demand)
        virgin = mat_demand - rec_used
        surplus_sec = self.pool_sec - rec_used
        # 3. routing of retired products and replaced parts
        blocks, sink_in, sec_closed, sec_out = self._route(retired, failed)
        # 4. activities
        act = blocks["act"] + apply(op["act_make"], newmade) + apply(op["act_assemble"], new)
        act += apply(op["act_use"], exposure)  # per piece-year in use
        act = act.reshape(*act.shape[:-1], 2, self.n_n)  # [pieces, kg] × process
        act[..., 1, self.virgin_proc] += virgin
        act[..., 1, self.recycled_proc] += rec_used
        act[..., 1, self.sink_proc] += sink_in
        self._edges(
            blocks["edge"],
            new,
            failed,
            parts,
            virgin,
            rec_used,
            reused_used,
            surplus_prod,
            surplus_sec,
        )
        # pools for next year
        # (fresh arrays of this year's routing, held by nothing else: no copy)
        self.pool_prod = blocks["prod"]
        self.pool_part = blocks["part"]
        self.pool_sec = sec_closed
        n_q, c = len(self.c.parts), self.c
        in_re = self.s_re[..., :n].sum(axis=-1)
        in_use = self.s_new[..., :n].sum(axis=-1) + in_re
        out.in_use[t] = in_use
        out.in_use_reused[t] = in_re
        out.new_products[t] = new
        out.reused_products[t] = reused_used
        out.retired[t] = retired
        if self.n_r:
            out.replaced[t] = failed
        out.parts_made[t] = bincount(c.inst_type, newmade, n_q)
        out.parts_reused[t] = bincount(c.inst_type, parts["reused"] + parts["embedded"], n_q)
        out.parts_reused_direct[t] = bincount(c.inst_type, parts["reused"], n_q)
        out.parts_reused_spare[t] = bincount(c.inst_type, parts["spare"], n_q)
        out.exposure[t] = exposure
        out.virgin[t] = virgin
        out.recycled[t] = rec_used
        out.secondary_output[t] = sec_out
        out.sink_input[t] = sink_in
        out.activity[t] = act
        out.edges[t] = blocks["edge"]
        pm, qm = a["product_mass"], a["part_mass"]
        out.use_stock_mass[t] = dot(in_use, pm)
        out.inventory[t] = np.stack(
            [
                dot(self.pool_prod, pm),
                dot(self.pool_part.reshape(*self.lead, 3, n_q).sum(axis=-2), qm),
                self.pool_sec.sum(axis=-1),
            ],
            axis=-1,
        )

    def _edges(
        self,
        edges: np.ndarray,
        new: np.ndarray,
        failed: np.ndarray,
        parts: dict[str, np.ndarray],
        virgin: np.ndarray,
        rec_used: np.ndarray,
        reused_used: np.ndarray,
        surplus_prod: np.ndarray,
        surplus_sec: np.ndarray,
    ) -> None:
        """Add the year's mass flows between stages to ``edges`` (… × E), in place."""
        a, ix = self.a, self.ix
        pm, qm = a["product_mass"], a["part_mass"]
        edges[..., ix["virgin"]] += virgin.sum(axis=-1)
        edges[..., ix["sec_used"]] += rec_used.sum(axis=-1)
        edges[..., ix["parts_used"]] += dot(parts["reused"], self.inst_mass)
        edges[..., ix["make_use"]] += dot(new, pm) + (
            dot(failed, qm[..., self.repl_type]) if self.n_r else 0.0
        )
        edges[..., ix["refurb_use"]] += dot(reused_used, pm)
        edges[..., ix["refurb_2h"]] += dot(surplus_prod, pm)
        edges[..., ix["parts_2h"]] += dot(parts["surplus"], qm)
        edges[..., ix["sec_market"]] += surplus_sec.sum(axis=-1)

    def _exposed(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Replacements (… × R) and piece-years in use (… × P) in year ``t`` of the products
        in use at its start, ages 0 … t−1 (products entering this year are added by the
        caller)."""
        a = self.a
        s_new, s_re = self.s_new[..., :t], self.s_re[..., :t]
        exposure = dot(s_new, a["exposure_new"][..., :t]) + dot(
            s_re, a["exposure_reused"][..., :t])
        if not self.n_r:
            return np.zeros((*self.lead, 0)), exposure
        per_socket = dot(s_new[..., self.repl_prod, :], a["repl_new"][..., :t]) + dot(
            s_re[..., self.repl_prod, :], a["repl_reused"][..., :t])
        return self.repl_qty * per_socket, exposure

    def _products(
        self, t: int, retired: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sales met from reused products, then new ones: (new, reused, surplus, retired
        including new products that fail in their first half year and reused ones whose
        second life is below zero — a normal lifetime's share below age 0)."""
        demand = self.a["sales"][..., t]
        reused_used = np.minimum(self.pool_prod, demand)
        surplus_prod = self.pool_prod - reused_used
        new = demand - reused_used
        s0 = self.a["first_year_survival"]
        self.s_new[..., 0] = new * s0
        s0_re = self.a["reused_entry_survival"]
        self.s_re[..., 0] += reused_used * s0_re
        retired = retired + new * (1.0 - s0) + reused_used * (1.0 - s0_re)
        return new, reused_used, surplus_prod, retired

    def _parts(self, new: np.ndarray, failed: np.ndarray) -> dict[str, np.ndarray]:
        """Part demand, level by level, of new products and of spares (a part made new for
        either brings new sub-parts; a reused part brings its sub-parts with it). Per
        instance: ``made`` new, ``reused`` from the pools, of those ``spare``, and
        ``embedded`` (inside reused assemblies); per type the ``surplus`` of the pools."""
        c, lead = self.c, self.lead
        n_q, n_k = len(c.parts), len(c.inst_type)
        made_p, made_s = np.zeros((*lead, n_k)), np.zeros((*lead, n_k))  # new products, spares
        reused, spare, embedded = (np.zeros((*lead, n_k)) for _ in range(3))
        repl_demand = np.zeros((*lead, n_k))
        if self.n_r:
            repl_demand[..., c.repl_inst] = failed
        pools = self.pool_part.reshape(*lead, 3, n_q).copy()
        for level, top, up, prod, types, qty in self.level_ix:
            if top.all():  # depth 0: every instance sits in its product
                dem_p = take(new, prod) * qty
                dem_s = take(repl_demand, level)  # embedded: none (zeros already)
            elif not top.any():  # deeper: every instance sits in a part
                dem_p = take(made_p, up) * qty
                dem_s = take(made_s, up) * qty + take(repl_demand, level)
                put(embedded, level, (take(reused, up) + take(embedded, up)) * qty)
            else:
                dem_p = np.where(top, take(new, prod), take(made_p, up)) * qty
                dem_s = np.where(top, 0.0, take(made_s, up)) * qty + take(repl_demand, level)
                put(embedded, level,
                    np.where(top, 0.0, take(reused, up) + take(embedded, up)) * qty)
            phi_p, phi_s = allocate(pools, bincount(types, dem_p, n_q), bincount(types, dem_s, n_q))
            rp, rs = take(phi_p, types) * dem_p, take(phi_s, types) * dem_s
            put(reused, level, rp + rs)
            put(spare, level, rs)
            put(made_p, level, dem_p - rp)
            put(made_s, level, dem_s - rs)
        return {
            "made": made_p + made_s,
            "reused": reused,
            "spare": spare,
            "embedded": embedded,
            "surplus": pools.sum(axis=-2),
        }

    def _route(
        self, retired: np.ndarray, failed: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """Route retired products and failed parts: operator blocks, kg into each sink, and
        secondary material recovered for own use and in total."""
        c, op, lead = self.c, self.op, self.lead
        n_m, n_d = len(c.materials), self.n_d
        blocks = {
            b: apply(op[f"route_eol.{b}"], retired)
            + (apply(op[f"route_maint.{b}"], failed) if self.n_r else 0.0)
            for b in ROUTE_BLOCKS
        }
        mat_in = blocks["mat"].reshape(*lead, n_m, n_d)
        edges = blocks["edge"]
        # recycling: recovered material and residues
        sec_closed = np.zeros((*lead, n_m))
        sec_out = np.zeros((*lead, n_m))
        yields, residue = self.a["yields"], self.a["residue"]
        for d in self.recycling:
            inp = mat_in[..., :, d]
            rec = yields[..., d, :] * inp
            sec_out += rec
            if c.closed_loop[d]:
                sec_closed += rec
            edges[..., self.rec_out_edge[int(d)]] += rec.sum(axis=-1)
            resid = inp - rec
            for d2 in self.residue_of[int(d)]:
                share = np.asarray(residue[..., d, d2])
                mat_in[..., :, d2] += share[..., None] * resid
                edges[..., self.residue_edges[(int(d), int(d2))]] += share * resid.sum(axis=-1)
        sink_in = mat_in.sum(axis=-2)
        return blocks, sink_in, sec_closed, sec_out
