"""The dynamic cohort engine: all products, parts and materials stepped together, year by year.

State is the stock by age (products new and reused, replaceable parts), so memory is linear in
the number of years — never a years × cohorts array. Per year:

1. stocks age one year; retirements and part failures follow the survival ratios;
2. demand is met first from last year's recovered pools (reused products, reused and
   remanufactured parts, closed-loop secondary material), then from new manufacture/virgin
   material — recovered items re-enter supply the year after recovery;
3. retired products and replaced parts are routed through collection, product reuse,
   dismantling, part reuse/remanufacture, recycling, energy recovery, landfill and export by the
   compiled linear routing operators;
4. every process's activity is recorded; CO2e, energy, cost and revenue are activity × unit
   factor, computed afterwards for all processes at once.

Mass balance is checked for every stage node and year (relative error ≤ 1e-9).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from junkan.core.errors import JunkanError
from junkan.lifecycle import stages as st
from junkan.lifecycle.compiled import Compiled

BALANCE_TOLERANCE = 1e-9


@dataclass
class RawResult:
    """Arrays of one simulation (T = years). Units: pieces, kg."""

    compiled: Compiled
    scenario: str
    in_use: np.ndarray  # (T, P) products in use at year end
    in_use_reused: np.ndarray  # (T, P)
    new_products: np.ndarray  # (T, P) new products made
    reused_products: np.ndarray  # (T, P) reused products put into use
    retired: np.ndarray  # (T, P) products retired
    replaced: np.ndarray  # (T, R) parts replaced in maintenance
    parts_made: np.ndarray  # (T, Q) parts made new
    parts_reused: np.ndarray  # (T, Q) reused/remanufactured parts used
    virgin: np.ndarray  # (T, M) kg
    recycled: np.ndarray  # (T, M) kg used in own manufacturing
    secondary_output: np.ndarray  # (T, M) kg recovered by recycling (closed + open loop)
    sink_input: np.ndarray  # (T, D) kg into each sink
    activity: np.ndarray  # (T, 2, N): pieces and kg handled by each process
    edges: np.ndarray  # (T, E) kg
    use_stock_mass: np.ndarray  # (T,) kg
    inventory: np.ndarray  # (T, 3) kg in refurbishment, reprocessing, secondary pools
    balance_error: float  # max relative imbalance over nodes and years


def _age(stock: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Age ``stock`` (cells × ages) one year in place; return the outflow per cell."""
    survived = stock * ratio
    out = (stock - survived).sum(axis=1)
    stock[:, 1:] = survived[:, :-1]
    stock[:, 0] = 0.0
    # the oldest age bin cannot age further within the horizon (T ages for T years)
    return out


def simulate_compiled(c: Compiled, scenario: str = "baseline",
                      progress: Callable[[int, int], None] | None = None) -> RawResult:
    """Run the cohort simulation of a compiled model."""
    n_t = len(c.years)
    n_p, n_q, n_m = len(c.products), len(c.parts), len(c.materials)
    n_d, n_n, n_e = len(c.sinks), len(c.processes), len(c.edges)
    n_r = len(c.repl_inst)
    out = RawResult(
        compiled=c, scenario=scenario,
        in_use=np.zeros((n_t, n_p)), in_use_reused=np.zeros((n_t, n_p)),
        new_products=np.zeros((n_t, n_p)), reused_products=np.zeros((n_t, n_p)),
        retired=np.zeros((n_t, n_p)), replaced=np.zeros((n_t, n_r)),
        parts_made=np.zeros((n_t, n_q)), parts_reused=np.zeros((n_t, n_q)),
        virgin=np.zeros((n_t, n_m)), recycled=np.zeros((n_t, n_m)),
        secondary_output=np.zeros((n_t, n_m)), sink_input=np.zeros((n_t, n_d)),
        activity=np.zeros((n_t, 2, n_n)), edges=np.zeros((n_t, n_e)),
        use_stock_mass=np.zeros(n_t), inventory=np.zeros((n_t, 3)), balance_error=0.0,
    )
    stepper = _Stepper(c)
    for t in range(n_t):
        stepper.step(t, out)
        if progress is not None:
            progress(t + 1, n_t)
    out.balance_error = mass_balance_error(out)
    if not out.balance_error <= BALANCE_TOLERANCE:
        raise JunkanError(f"internal error: mass balance off by {out.balance_error:.3g} "
                          f"(relative) in scenario '{scenario}'; please report this model")
    return out


class _Stepper:
    """The state of one simulation (stocks by age, recovered pools) and one year's step."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        n_t = len(c.years)
        n_p, n_q, n_m = len(c.products), len(c.parts), len(c.materials)
        self.n_r = n_r = len(c.repl_inst)
        self.n_d, self.n_n = len(c.sinks), len(c.processes)
        self._edge_indices()
        tbl = c.processes
        self.sink_proc = np.array(c.sinks, dtype=np.int64)
        self.virgin_proc = np.array([tbl.index[f"virgin:{m}"] for m in c.materials],
                                    dtype=np.int64)
        self.recycled_proc = np.array([tbl.index[f"recycled:{m}"] for m in c.materials],
                                      dtype=np.int64)
        self.s_new = np.zeros((n_p, n_t))  # products in use by age: new ones
        self.s_re = np.zeros((n_p, n_t))  # reused ones
        self.u = np.zeros((n_r, n_t))  # replaceable parts in use by age
        self.repl_prod = c.inst_product[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
        self.repl_qty = _cumulative_qty(c)[c.repl_inst] if n_r else np.zeros(0)
        self.repl_type = c.inst_type[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
        self.inst_mass = c.part_mass[c.inst_type]
        self.pool_prod = np.zeros(n_p)  # recovered last year, supply this year
        self.pool_part = np.zeros(n_q)
        self.pool_sec = np.zeros(n_m)

    def _edge_indices(self) -> None:
        c = self.c
        e = c.edge_index
        self.ix_virgin = e[(st.VIRGIN, st.MANUFACTURING)]
        self.ix_sec_used = e[(st.SECONDARY, st.MANUFACTURING)]
        self.ix_parts_used = e[(st.REPROCESSING, st.MANUFACTURING)]
        self.ix_make_use = e[(st.MANUFACTURING, st.USE)]
        self.ix_refurb_use = e[(st.REFURBISHMENT, st.USE)]
        self.ix_refurb_2h = e[(st.REFURBISHMENT, st.SECOND_HAND)]
        self.ix_parts_2h = e[(st.REPROCESSING, st.SECOND_HAND)]
        self.ix_sec_market = e[(st.SECONDARY, st.SECONDARY_MARKET)]
        self.recycling = np.flatnonzero(c.yields.sum(axis=1) > 0) if len(c.sinks) else \
            np.zeros(0, dtype=int)
        self.rec_out_edge = {int(d): e[(c.sink_node(int(d)), st.SECONDARY if c.closed_loop[d]
                                        else st.SECONDARY_MARKET)] for d in self.recycling}
        self.residue_edges = {(int(d), int(d2)): e[(c.sink_node(int(d)), c.sink_node(int(d2)))]
                              for d in self.recycling for d2 in np.flatnonzero(c.residue[d])}

    def step(self, t: int, out: RawResult) -> None:
        """Year ``t``: age, meet demand, route what left use, record into ``out``."""
        c = self.c
        # 1. ageing: retirements and part failures
        retired, failed = self._age()
        # 2. demand, met first from last year's recovered pools
        new, reused_used, surplus_prod, retired = self._products(t, retired, failed)
        newmade, reused_k, surplus_part = self._parts(new, failed)
        # material demand, met first from last year's closed-loop secondary material
        mat_demand = c.mat_of_inst @ newmade + c.mat_of_product @ new
        rec_used = np.minimum(self.pool_sec, mat_demand)
        virgin = mat_demand - rec_used
        surplus_sec = self.pool_sec - rec_used
        # 3. routing of retired products and replaced parts
        blocks, sink_in, sec_closed, sec_out = self._route(retired, failed)
        edges = blocks["edge"]
        # 4. activities
        act = blocks["act"]
        act += c.act_make @ newmade + c.act_assemble @ new
        in_use = self.s_new.sum(axis=1) + self.s_re.sum(axis=1)
        act += c.act_use @ in_use
        act = act.reshape(2, self.n_n)  # [pieces, kg] × process
        act[1, self.virgin_proc] += virgin
        act[1, self.recycled_proc] += rec_used
        act[1, self.sink_proc] += sink_in

        # stage edges
        pm = c.product_mass
        edges[self.ix_virgin] += virgin.sum()
        edges[self.ix_sec_used] += rec_used.sum()
        edges[self.ix_parts_used] += float(reused_k @ self.inst_mass)
        edges[self.ix_make_use] += float(new @ pm) + (
            float(failed @ c.part_mass[self.repl_type]) if self.n_r else 0.0)
        edges[self.ix_refurb_use] += float(reused_used @ pm)
        edges[self.ix_refurb_2h] += float(surplus_prod @ pm)
        edges[self.ix_parts_2h] += float(surplus_part @ c.part_mass)
        edges[self.ix_sec_market] += surplus_sec.sum()

        # pools for next year
        self.pool_prod = blocks["prod"].copy()
        self.pool_part = blocks["part"].copy()
        self.pool_sec = sec_closed

        out.in_use[t] = in_use
        out.in_use_reused[t] = self.s_re.sum(axis=1)
        out.new_products[t] = new
        out.reused_products[t] = reused_used
        out.retired[t] = retired
        if self.n_r:
            out.replaced[t] = failed
        n_q = len(c.parts)
        out.parts_made[t] = np.bincount(c.inst_type, weights=newmade, minlength=n_q)
        out.parts_reused[t] = np.bincount(c.inst_type, weights=reused_k, minlength=n_q)
        out.virgin[t] = virgin
        out.recycled[t] = rec_used
        out.secondary_output[t] = sec_out
        out.sink_input[t] = sink_in
        out.activity[t] = act
        out.edges[t] = edges
        out.use_stock_mass[t] = float(in_use @ pm)
        out.inventory[t] = (float(self.pool_prod @ pm), float(self.pool_part @ c.part_mass),
                            self.pool_sec.sum())

    def _age(self) -> tuple[np.ndarray, np.ndarray]:
        """Products retired and replaceable parts failed this year."""
        c = self.c
        prev = self.s_new.sum(axis=1) + self.s_re.sum(axis=1)
        retired = _age(self.s_new, c.ratio_new) + _age(self.s_re, c.ratio_reused)
        if self.n_r:
            share_left = np.divide(retired, prev, out=np.zeros(len(c.products)), where=prev > 0)
            self.u *= (1.0 - share_left[self.repl_prod])[:, None]
            failed = _age(self.u, c.repl_ratio)
        else:
            failed = np.zeros(0)
        return retired, failed

    def _products(self, t: int, retired: np.ndarray, failed: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Sales met from reused products, then new ones: (new, reused, surplus, retired
        including new products that fail in their first half year)."""
        c = self.c
        demand = c.sales[:, t]
        reused_used = np.minimum(self.pool_prod, demand)
        surplus_prod = self.pool_prod - reused_used
        new = demand - reused_used
        s0 = c.first_year_survival
        self.s_new[:, 0] = new * s0
        self.s_re[:, 0] += reused_used
        retired = retired + new * (1.0 - s0)
        if self.n_r:
            self.u[:, 0] += self.repl_qty * (new * s0 + reused_used)[self.repl_prod] + failed
        return new, reused_used, surplus_prod, retired

    def _parts(self, new: np.ndarray, failed: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Part demand, level by level (a reused part brings its sub-parts with it): instances
        made new, instances reused, and the surplus of recovered parts per type."""
        c = self.c
        n_q = len(c.parts)
        newmade = np.zeros(len(c.inst_type))
        reused_k = np.zeros(len(c.inst_type))
        repl_demand = np.zeros(len(c.inst_type))
        if self.n_r:
            repl_demand[c.repl_inst] = failed
        pool_left = self.pool_part.copy()
        for level in c.levels:
            parent = c.inst_parent[level]
            parent_made = np.where(parent >= 0, newmade[np.maximum(parent, 0)],
                                   new[c.inst_product[level]])
            dem = parent_made * c.inst_qty_rel[level] + repl_demand[level]
            types = c.inst_type[level]
            dem_q = np.bincount(types, weights=dem, minlength=n_q)
            used_q = np.minimum(pool_left, dem_q)
            pool_left -= used_q
            phi = np.divide(used_q, dem_q, out=np.zeros(n_q), where=dem_q > 0)
            reused_k[level] = phi[types] * dem
            newmade[level] = dem - reused_k[level]
        return newmade, reused_k, pool_left

    def _route(self, retired: np.ndarray, failed: np.ndarray
               ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """Route retired products and failed parts: operator blocks, kg into each sink, and
        secondary material recovered for own use and in total."""
        c = self.c
        n_m, n_d = len(c.materials), self.n_d
        re_, rm_ = c.route_eol, c.route_maint
        blocks = {b: re_[b] @ retired + (rm_[b] @ failed if self.n_r else 0.0)
                  for b in ("prod", "part", "mat", "act", "edge")}
        mat_in = blocks["mat"].reshape(n_m, n_d) if n_d else np.zeros((n_m, 0))
        edges = blocks["edge"]
        # recycling: recovered material and residues
        sec_closed = np.zeros(n_m)
        sec_out = np.zeros(n_m)
        if len(self.recycling):
            for d in self.recycling:
                inp = mat_in[:, d]
                rec = c.yields[d] * inp
                sec_out += rec
                if c.closed_loop[d]:
                    sec_closed += rec
                edges[self.rec_out_edge[int(d)]] += rec.sum()
                resid = inp - rec
                for d2 in np.flatnonzero(c.residue[d]):
                    mat_in[:, d2] += c.residue[d, d2] * resid
                    edges[self.residue_edges[(int(d), int(d2))]] += \
                        c.residue[d, d2] * resid.sum()
        sink_in = mat_in.sum(axis=0)
        return blocks, sink_in, sec_closed, sec_out


def _cumulative_qty(c: Compiled) -> np.ndarray:
    qty = np.ones(len(c.inst_type))
    for level in c.levels:
        parent = c.inst_parent[level]
        qty[level] = c.inst_qty_rel[level] * np.where(parent >= 0, qty[np.maximum(parent, 0)],
                                                       1.0)
    return qty


def node_balances(r: RawResult) -> dict[str, np.ndarray]:
    """In − out − stock change (kg) per stage node and year.

    Sources (virgin material) and sinks (markets, landfill, …) are not balanced nodes."""
    c = r.compiled
    stock = {st.USE: r.use_stock_mass, st.REFURBISHMENT: r.inventory[:, 0],
             st.REPROCESSING: r.inventory[:, 1], st.SECONDARY: r.inventory[:, 2]}
    sink_names = {c.sink_node(d) for d in range(len(c.sinks))
                  if c.model.processes[c.processes.names[c.sinks[d]]].kind != "recycling"}
    nodes = {n for edge in c.edges for n in edge} - {st.VIRGIN, st.SECOND_HAND,
                                                     st.SECONDARY_MARKET} - sink_names
    out = {}
    for node in nodes:
        inflow = sum((r.edges[:, i] for i, (_, dst) in enumerate(c.edges) if dst == node),
                     np.zeros(len(c.years)))
        outflow = sum((r.edges[:, i] for i, (src, _) in enumerate(c.edges) if src == node),
                      np.zeros(len(c.years)))
        s = stock.get(node)
        change = np.diff(s, prepend=0.0) if s is not None else 0.0
        out[node] = np.vstack([inflow - outflow - change, np.maximum(inflow, outflow)])
    return out


BALANCE_FLOOR_KG = 1.0
"""Below this throughput the balance is judged in absolute kg (relative to 1 kg)."""


def mass_balance_error(r: RawResult) -> float:
    """Largest relative imbalance |in − out − Δstock| / max(in, out, 1 kg) over nodes and
    years."""
    worst = 0.0
    for bal in node_balances(r).values():
        rel = np.abs(bal[0]) / np.maximum(bal[1], BALANCE_FLOOR_KG)
        worst = max(worst, float(rel.max(initial=0.0)))
    return worst
