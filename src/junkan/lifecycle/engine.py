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
from junkan.lifecycle import compile as cm
from junkan.lifecycle.compile import Compiled

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
    e = c.edge_index
    ix_virgin = e[(cm.VIRGIN, cm.MANUFACTURING)]
    ix_sec_used = e[(cm.SECONDARY, cm.MANUFACTURING)]
    ix_parts_used = e[(cm.REPROCESSING, cm.MANUFACTURING)]
    ix_make_use = e[(cm.MANUFACTURING, cm.USE)]
    ix_refurb_use = e[(cm.REFURBISHMENT, cm.USE)]
    ix_refurb_2h = e[(cm.REFURBISHMENT, cm.SECOND_HAND)]
    ix_parts_2h = e[(cm.REPROCESSING, cm.SECOND_HAND)]
    ix_sec_market = e[(cm.SECONDARY, cm.SECONDARY_MARKET)]
    recycling = np.flatnonzero(c.yields.sum(axis=1) > 0) if n_d else np.zeros(0, dtype=int)
    rec_out_edge = {int(d): e[(c.sink_node(int(d)), cm.SECONDARY if c.closed_loop[d]
                               else cm.SECONDARY_MARKET)] for d in recycling}
    residue_edges = {(int(d), int(d2)): e[(c.sink_node(int(d)), c.sink_node(int(d2)))]
                     for d in recycling for d2 in np.flatnonzero(c.residue[d])}
    sink_proc = np.array(c.sinks, dtype=np.int64)
    tbl = c.processes
    virgin_proc = np.array([tbl.index[f"virgin:{m}"] for m in c.materials], dtype=np.int64)
    recycled_proc = np.array([tbl.index[f"recycled:{m}"] for m in c.materials], dtype=np.int64)
    # routes
    re_, rm_ = c.route_eol, c.route_maint

    s_new = np.zeros((n_p, n_t))
    s_re = np.zeros((n_p, n_t))
    u = np.zeros((n_r, n_t))
    repl_prod = c.inst_product[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
    repl_qty = _cumulative_qty(c)[c.repl_inst] if n_r else np.zeros(0)
    repl_type = c.inst_type[c.repl_inst] if n_r else np.zeros(0, dtype=np.int64)
    inst_mass = c.part_mass[c.inst_type]

    pool_prod = np.zeros(n_p)
    pool_part = np.zeros(n_q)
    pool_sec = np.zeros(n_m)

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
    for t in range(n_t):
        # 1. ageing: retirements and part failures
        prev = s_new.sum(axis=1) + s_re.sum(axis=1)
        retired = _age(s_new, c.ratio_new) + _age(s_re, c.ratio_reused)
        if n_r:
            share_left = np.divide(retired, prev, out=np.zeros(n_p), where=prev > 0)
            u *= (1.0 - share_left[repl_prod])[:, None]
            failed = _age(u, c.repl_ratio)
        else:
            failed = np.zeros(0)

        # 2. demand, met first from last year's recovered pools
        demand = c.sales[:, t]
        reused_used = np.minimum(pool_prod, demand)
        surplus_prod = pool_prod - reused_used
        new = demand - reused_used
        s0 = c.first_year_survival
        s_new[:, 0] = new * s0
        s_re[:, 0] += reused_used
        retired = retired + new * (1.0 - s0)
        if n_r:
            u[:, 0] += repl_qty * (new * s0 + reused_used)[repl_prod] + failed

        # part demand, level by level (a reused part brings its sub-parts with it)
        newmade = np.zeros(len(c.inst_type))
        reused_k = np.zeros(len(c.inst_type))
        repl_demand = np.zeros(len(c.inst_type))
        if n_r:
            repl_demand[c.repl_inst] = failed
        pool_left = pool_part.copy()
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
        surplus_part = pool_left

        # material demand, met first from last year's closed-loop secondary material
        mat_demand = c.mat_of_inst @ newmade + c.mat_of_product @ new
        rec_used = np.minimum(pool_sec, mat_demand)
        virgin = mat_demand - rec_used
        surplus_sec = pool_sec - rec_used

        # 3. routing of retired products and replaced parts
        blocks = {b: re_[b] @ retired + (rm_[b] @ failed if n_r else 0.0)
                  for b in ("prod", "part", "mat", "act", "edge")}
        mat_in = blocks["mat"].reshape(n_m, n_d) if n_d else np.zeros((n_m, 0))
        edges = blocks["edge"]
        # recycling: recovered material and residues
        sec_closed = np.zeros(n_m)
        sec_out = np.zeros(n_m)
        if len(recycling):
            for d in recycling:
                inp = mat_in[:, d]
                rec = c.yields[d] * inp
                sec_out += rec
                if c.closed_loop[d]:
                    sec_closed += rec
                edges[rec_out_edge[int(d)]] += rec.sum()
                resid = inp - rec
                for d2 in np.flatnonzero(c.residue[d]):
                    mat_in[:, d2] += c.residue[d, d2] * resid
                    edges[residue_edges[(int(d), int(d2))]] += c.residue[d, d2] * resid.sum()
        sink_in = mat_in.sum(axis=0)

        # 4. activities
        act = blocks["act"]
        act += c.act_make @ newmade + c.act_assemble @ new
        in_use = s_new.sum(axis=1) + s_re.sum(axis=1)
        act += c.act_use @ in_use
        act = act.reshape(2, n_n)  # [pieces, kg] × process
        act[1, virgin_proc] += virgin
        act[1, recycled_proc] += rec_used
        act[1, sink_proc] += sink_in

        # stage edges
        pm = c.product_mass
        edges[ix_virgin] += virgin.sum()
        edges[ix_sec_used] += rec_used.sum()
        edges[ix_parts_used] += float(reused_k @ inst_mass)
        edges[ix_make_use] += float(new @ pm) + (float(failed @ c.part_mass[repl_type])
                                                 if n_r else 0.0)
        edges[ix_refurb_use] += float(reused_used @ pm)
        edges[ix_refurb_2h] += float(surplus_prod @ pm)
        edges[ix_parts_2h] += float(surplus_part @ c.part_mass)
        edges[ix_sec_market] += surplus_sec.sum()

        # pools for next year
        pool_prod = blocks["prod"].copy()
        pool_part = blocks["part"].copy()
        pool_sec = sec_closed

        out.in_use[t] = in_use
        out.in_use_reused[t] = s_re.sum(axis=1)
        out.new_products[t] = new
        out.reused_products[t] = reused_used
        out.retired[t] = retired
        if n_r:
            out.replaced[t] = failed
        out.parts_made[t] = np.bincount(c.inst_type, weights=newmade, minlength=n_q)
        out.parts_reused[t] = np.bincount(c.inst_type, weights=reused_k, minlength=n_q)
        out.virgin[t] = virgin
        out.recycled[t] = rec_used
        out.secondary_output[t] = sec_out
        out.sink_input[t] = sink_in
        out.activity[t] = act
        out.edges[t] = edges
        out.use_stock_mass[t] = float(in_use @ pm)
        out.inventory[t] = (float(pool_prod @ pm), float(pool_part @ c.part_mass),
                            pool_sec.sum())
        if progress is not None:
            progress(t + 1, n_t)
    out.balance_error = mass_balance_error(out)
    if not out.balance_error <= BALANCE_TOLERANCE:
        raise JunkanError(f"internal error: mass balance off by {out.balance_error:.3g} "
                          f"(relative) in scenario '{scenario}'; please report this model")
    return out


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
    stock = {cm.USE: r.use_stock_mass, cm.REFURBISHMENT: r.inventory[:, 0],
             cm.REPROCESSING: r.inventory[:, 1], cm.SECONDARY: r.inventory[:, 2]}
    sink_names = {c.sink_node(d) for d in range(len(c.sinks))
                  if c.model.processes[c.processes.names[c.sinks[d]]].kind != "recycling"}
    nodes = {n for edge in c.edges for n in edge} - {cm.VIRGIN, cm.SECOND_HAND,
                                                     cm.SECONDARY_MARKET} - sink_names
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
