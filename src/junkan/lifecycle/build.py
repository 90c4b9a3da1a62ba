"""Building the engine's arrays from a checked model: index maps, the flattened BOM, sales
and lifetimes, recycling yields and the manufacturing operators.

Nothing here reports problems except through the :class:`~junkan.lifecycle.checks.Checker`
it is given; :func:`junkan.lifecycle.compile.compile_model` runs the checks that must pass
before anything is allocated."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from junkan.lifecycle.bom_graph import PartGraph, ProductLines
from junkan.lifecycle.checks import Checker, sink_shares
from junkan.lifecycle.compiled import Compiled, ProcessTable
from junkan.lifecycle.exposure import exposure_kernels
from junkan.lifecycle.lifetime_batch import Lifetimes
from junkan.lifecycle.lifetimes import end_of_year_ratios, mid_year_ratios
from junkan.lifecycle.part_table import part_table
from junkan.lifecycle.ragged import numbered, ragged
from junkan.lifecycle.schema import SINK_KINDS, LifecycleModel, Lifetime


@dataclass
class Index:
    """Names and positions of years, products, parts, materials and sinks."""

    years: np.ndarray
    products: list[str]
    parts: list[str]
    materials: list[str]
    q_index: dict[str, int]
    m_index: dict[str, int]
    sinks: list[int]  # process index of each sink
    d_index: dict[str, int]  # sink process name → sink index

    @classmethod
    def of(cls, model: LifecycleModel, table: ProcessTable) -> Index:
        parts, materials = list(model.parts), list(model.materials)
        sinks = [table.index[n] for n, p in model.processes.items() if p.kind in SINK_KINDS]
        return cls(years=np.arange(model.years.start, model.years.end + 1),
                   products=list(model.products), parts=parts, materials=materials,
                   q_index={n: i for i, n in enumerate(parts)},
                   m_index={n: i for i, n in enumerate(materials)},
                   sinks=sinks, d_index={table.names[j]: d for d, j in enumerate(sinks)})


@dataclass
class Bom:
    """The BOMs flattened: direct and full material content of every part type and product,
    and one instance per path from a product to a part."""

    q_direct: np.ndarray  # (Q, M) kg of materials listed directly in each part's BOM
    q_full: np.ndarray  # (Q, M) kg including sub-parts
    part_mass: np.ndarray  # (Q,)
    p_direct: np.ndarray  # (P, M)
    p_full: np.ndarray = field(init=False)  # (P, M)
    product_mass: np.ndarray = field(init=False)  # (P,)
    inst_product: list[int] = field(default_factory=list)
    inst_type: list[int] = field(default_factory=list)
    inst_parent: list[int] = field(default_factory=list)  # -1 = the product
    inst_qty_rel: list[float] = field(default_factory=list)  # per parent
    inst_qty: list[float] = field(default_factory=list)  # per product
    inst_path: list[str] = field(default_factory=list)
    inst_level: list[int] = field(default_factory=list)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Instances under each instance; product ``p``'s top-level ones under ``-(p + 1)``."""
    path_index: list[dict[str, int]] = field(default_factory=list)
    """Per product: BOM path (``compressor/magnet``) → instance."""


def flatten_bom(model: LifecycleModel, ix: Index, graph: PartGraph,
                lines: ProductLines) -> Bom:
    """Material content of every part and product, and the instance tree of every product,
    from the model's BOM ``graph`` and product ``lines``
    (:func:`~junkan.lifecycle.checks.checked_bom`)."""
    q_direct = np.zeros((len(ix.parts), len(ix.materials)))
    codes = graph.bom  # part q is the q-th of model.parts (Index.of)
    if (codes.material == -2).any():
        raise AssertionError("the BOM graph was read with other materials than the model's")
    on = np.flatnonzero(codes.material >= 0)  # material lines, in document order
    if on.size:  # one unbuffered sum in document order, as a loop of += would do
        np.add.at(q_direct, (codes.owner[on], codes.material[on]), codes.mass[on])
    q_full = _full_content(q_direct, graph)
    bom = Bom(q_direct=q_direct, q_full=q_full, part_mass=q_full.sum(axis=1),
              p_direct=lines.direct.copy())
    _expand(bom, graph, lines, ix.parts, len(ix.products))
    bom.p_full = bom.p_direct.copy()
    top = np.flatnonzero(np.array(bom.inst_parent, dtype=np.int64) == -1)
    if len(top):  # in instance order, as a loop of += would do
        types = np.array(bom.inst_type, dtype=np.int64)[top]
        qty = np.array(bom.inst_qty_rel, dtype=float)[top]
        np.add.at(bom.p_full, np.array(bom.inst_product, dtype=np.int64)[top],
                  qty[:, None] * q_full[types])
    bom.product_mass = bom.p_full.sum(axis=1)
    return bom


def _full_content(q_direct: np.ndarray, graph: PartGraph) -> np.ndarray:
    """Material content of every part type with its sub-parts (Q, M): the direct content
    plus, line by line in BOM order, quantity × each sub-part's full content. Parts are
    taken by height (leaves first), each height's lines in one unbuffered sum: the same
    additions in the same order as a loop over the parts, children first."""
    q_full = q_direct.copy()
    if not graph.owner.size:
        return q_full
    h_owner = graph.height[graph.owner]
    by_height = np.argsort(h_owner, kind="stable")  # each owner's lines stay in BOM order
    cuts = np.searchsorted(h_owner[by_height], np.arange(2, int(h_owner.max()) + 2))
    for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        sel = by_height[lo:hi]
        np.add.at(q_full, graph.owner[sel], graph.qty[sel, None] * q_full[graph.child[sel]])
    return q_full


def _expand(bom: Bom, graph: PartGraph, lines: ProductLines, names: list[str],
            n_products: int) -> None:
    """Add every product's part instances to ``bom``, depth first: each of the product's
    part lines, in BOM order, then its sub-parts (each instance before its sub-parts, these
    in their BOM's order); one record per instance (product, type, parent, quantity per
    parent and per product, path, level), and per product its paths.

    Level by level with numpy: an instance's place in that order is its parent's place plus
    one plus the subtrees of its elder siblings (a part type's subtree is
    ``1 + graph.below`` instances), so every instance of a level is placed at once; only the
    paths (text) are joined one by one."""
    tops = lines.tops(n_products)
    size = (graph.below + 1.0).astype(np.int64)  # instances in a part type's subtree
    top_size = size[lines.part]
    ends = np.cumsum(top_size)
    n_k = int(ends[-1]) if len(ends) else 0
    first = np.concatenate([[0], ends])[tops]  # (P + 1,) each product's first instance
    # below an instance of type q, its sub-part line j starts at 1 + the elder lines' subtrees
    sub = size[graph.child]
    sub_off = np.cumsum(sub) - sub + 1 - np.concatenate([[0], np.cumsum(sub)])[
        graph.start[graph.owner]]
    product, kind, parent, level = (np.zeros(n_k, dtype=np.int64) for _ in range(4))
    qty_rel, qty = np.zeros(n_k), np.zeros(n_k)
    paths: list[str] = [""] * n_k
    at = ends - top_size  # level 0: the products' part lines
    prod = np.repeat(np.arange(n_products, dtype=np.int64), np.diff(tops))
    types, rel, per = lines.part, lines.qty, lines.qty
    up = np.full(len(at), -1, dtype=np.int64)
    depth = 0
    while len(at):
        product[at], kind[at], parent[at], level[at], qty_rel[at], qty[at] = \
            prod, types, up, depth, rel, per
        pos, tl, ul = at.tolist(), types.tolist(), up.tolist()
        for k, q, u in zip(pos, tl, ul, strict=True):
            paths[k] = f"{paths[u]}/{names[q]}" if u >= 0 else names[q]
        counts = graph.start[types + 1] - graph.start[types]
        if not counts.any():
            break
        owner = np.repeat(np.arange(len(at)), counts)
        j = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + \
            np.repeat(graph.start[types], counts)
        at, up, prod = at[owner] + sub_off[j], at[owner], prod[owner]
        types, rel, per = graph.child[j], graph.qty[j], per[owner] * graph.qty[j]
        depth += 1
    bom.inst_product, bom.inst_type = product.tolist(), kind.tolist()
    bom.inst_parent, bom.inst_level = parent.tolist(), level.tolist()
    bom.inst_qty_rel, bom.inst_qty = qty_rel.tolist(), qty.tolist()
    bom.inst_path = paths
    children = bom.children
    key = np.where(parent >= 0, parent, -(product + 1)).tolist()
    for k, u in enumerate(key):
        children[u].append(k)
    bounds = first.tolist()
    bom.path_index = [dict(zip(paths[a:b], range(a, b), strict=True))
                      for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def sales_and_lifetimes(model: LifecycleModel, ix: Index, check: Checker,
                        lives: tuple[Lifetimes, Lifetimes] | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sales (P, T), first-year survival (P,) and survival step ratios (P, T) of new products,
    survival at entry (P,) and step ratios (P, T) of reused ones; sales are interpolated
    linearly and held constant outside the given years. ``lives``: :func:`product_lifetimes`
    of the model, if known. The same values as :func:`product_sales_and_lifetimes` row by
    row, computed per lifetime family at once."""
    years, n_p, n_years = ix.years, len(ix.products), len(ix.years)
    sales = np.zeros((n_p, n_years))
    first_year = int(years[0])
    for pi, (pname, prod) in enumerate(model.products.items()):
        xs, ys = check.sales_points(pname, prod, first_year)
        if xs:
            sales[pi] = np.interp(years, xs, ys)
    new, reused = lives or product_lifetimes(model)
    first, ratio_new = new.mid_year_ratios(n_years)
    return sales, first, ratio_new, *reused.end_of_year_ratios(n_years)


def product_lifetimes(model: LifecycleModel) -> tuple[Lifetimes, Lifetimes]:
    """The products' lifetimes and second lives (:func:`second_life`), grouped by family."""
    return (Lifetimes([p.lifetime for p in model.products.values()]),
            Lifetimes([second_life(model, p) for p in model.products]))


def product_sales_and_lifetimes(model: LifecycleModel, years: np.ndarray, check: Checker,
                                pname: str
                                ) -> tuple[np.ndarray, float, np.ndarray, float, np.ndarray]:
    """One product's row of :func:`sales_and_lifetimes`."""
    prod, n_years = model.products[pname], len(years)
    xs, ys = check.sales_points(pname, prod, int(years[0]))
    sales = np.interp(years, xs, ys) if xs else np.zeros(n_years)
    first, ratio_new = mid_year_ratios(prod.lifetime, n_years)
    return sales, first, ratio_new, *end_of_year_ratios(second_life(model, pname), n_years)


def second_life(model: LifecycleModel, pname: str) -> Lifetime:
    """The lifetime of a reused product: its reuse route's, else the product's."""
    prod = model.products[pname]
    reuse = prod.eol.reuse
    return reuse.lifetime if reuse is not None and reuse.lifetime is not None else \
        prod.lifetime


def exposure_arrays(model: LifecycleModel, ix: Index,
                    lives: tuple[Lifetimes, Lifetimes] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Piece-years in use per product entering new (P,), and per product in the new and the
    reused stock at the start of a year, by age index (P, T) (:mod:`~.exposure`); the same
    values as :func:`product_exposure` row by row."""
    n_years = len(ix.years)
    new, reused = lives or product_lifetimes(model)
    entry, per_new = new.exposure_kernels(n_years, 0.5)
    return entry, per_new, reused.exposure_kernels(n_years, 0.0)[1]


def product_exposure(model: LifecycleModel, n_years: int, pname: str
                     ) -> tuple[float, np.ndarray, np.ndarray]:
    """One product's entries of :func:`exposure_arrays`."""
    entry, new = exposure_kernels(model.products[pname].lifetime, n_years, 0.5)
    return entry, new, exposure_kernels(second_life(model, pname), n_years, 0.0)[1]


def product_rows(model: LifecycleModel, years: np.ndarray, check: Checker, pname: str
                 ) -> tuple[np.ndarray, float, np.ndarray, float, np.ndarray, float,
                            np.ndarray, np.ndarray]:
    """Sales, first-year survival and survival ratios of new products, survival at entry and
    ratios of reused ones, and exposure (entry, new, reused) of one product: its rows of the
    compiled arrays."""
    return (*product_sales_and_lifetimes(model, years, check, pname),
            *product_exposure(model, len(years), pname))


def recycling_arrays(model: LifecycleModel, ix: Index
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yields (D, M), closed loop (D,) and residue shares (D, D) of the sinks."""
    n_d, n_m = len(ix.sinks), len(ix.materials)
    yields = np.zeros((n_d, n_m))
    closed = np.zeros(n_d, dtype=bool)
    residue = np.zeros((n_d, n_d))
    for name, d in ix.d_index.items():
        p = model.processes[name]
        if p.kind != "recycling":
            continue
        closed[d] = p.closed_loop
        for mat, y in p.yields.items():
            if mat in ix.m_index:
                yields[d, ix.m_index[mat]] = y
        for d2, share in sink_shares(model, p.residue, ix.d_index, allow_recycling=False):
            residue[d, d2] = share
    return yields, closed, residue


def assemble(model: LifecycleModel, ix: Index, table: ProcessTable, bom: Bom,
             check: Checker) -> Compiled:
    """The :class:`Compiled` model without its routing operators (added by
    :mod:`junkan.lifecycle.routing`)."""
    n_years, n_m, n_k = len(ix.years), len(ix.materials), len(bom.inst_type)
    lives = product_lifetimes(model)
    sales, first, ratio_new, first_re, ratio_re = sales_and_lifetimes(model, ix, check, lives)
    x_entry, x_new, x_reused = exposure_arrays(model, ix, lives)
    yields, closed, residue = recycling_arrays(model, ix)
    k_type = np.array(bom.inst_type, dtype=np.int64)
    n_procs, n_p = len(table), len(ix.products)
    c = Compiled(
        model=model, years=ix.years, products=ix.products, parts=ix.parts,
        materials=ix.materials, sinks=ix.sinks, processes=table, sales=sales,
        product_mass=bom.product_mass, product_materials=bom.p_full, part_mass=bom.part_mass,
        first_year_survival=first, ratio_new=ratio_new, reused_entry_survival=first_re,
        ratio_reused=ratio_re,
        exposure_entry=x_entry, exposure_new=x_new, exposure_reused=x_reused,
        inst_product=np.array(bom.inst_product, dtype=np.int64), inst_type=k_type,
        inst_parent=np.array(bom.inst_parent, dtype=np.int64),
        inst_qty_rel=np.array(bom.inst_qty_rel, dtype=float), inst_path=bom.inst_path,
        levels=[np.flatnonzero(np.array(bom.inst_level) == lv) for lv in
                range(max(bom.inst_level, default=-1) + 1)],
        repl_inst=np.zeros(0, dtype=np.int64), repl_entry=np.zeros(0),
        repl_new=np.zeros((0, n_years)), repl_reused=np.zeros((0, n_years)),
        mat_of_inst=sparse.csr_matrix(bom.q_direct[k_type].T) if n_k else
        sparse.csr_matrix((n_m, 0)),
        mat_of_product=sparse.csr_matrix(bom.p_direct.T),
        act_make=sparse.csr_matrix((2 * n_procs, n_k)),
        act_assemble=sparse.csr_matrix((2 * n_procs, n_p)),
        act_use=sparse.csr_matrix((2 * n_procs, n_p)),
        route_eol={}, route_maint={}, yields=yields, closed_loop=closed, residue=residue,
        material_buyer=[table.actor[table.index[f"virgin:{m}"]] for m in ix.materials],
    )
    for d in range(len(ix.sinks)):
        c.sink_node(d)
    _manufacturing_operators(c, model, bom)
    return c


def manufacturing_column(table: ProcessTable, procs: list[str], mass: float
                         ) -> sparse.csr_matrix:
    """One column of :func:`_activity_matrix` (a product's assembly or use activities)."""
    return _activity_matrix(table, [procs], [mass])


def _activity_matrix(table: ProcessTable, lists: list[list[str]],
                     masses: list[float] | np.ndarray,
                     extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                     ) -> sparse.csr_matrix:
    """(2N, columns): in column ``j``, one piece and ``masses[j]`` kg of each process of
    ``lists[j]`` (and the ``extra`` entries: rows, columns, values). Each distinct list (by
    identity: parts and products share their lists, :mod:`~junkan.lifecycle.typed_json`)
    is looked up in the table once and the entries are laid out with array operations (on
    the 1,000-product benchmark's 20,000 part types: 2 against 8.4 ms, 2026-12-05)."""
    index, n_procs = table.index, len(table)
    number: dict[int, int] = {}  # a list's identity → its number (``lists`` keeps it)
    known: list[list[int]] = []
    which: list[int] = []
    for procs in lists:
        n = number.get(id(procs))
        if n is None:
            n = number[id(procs)] = len(known)
            known.append([i for name in procs if (i := index.get(name)) is not None])
        which.append(n)
    offsets, lengths, flat = numbered(known)
    event, item = ragged(offsets, lengths, np.array(which, dtype=np.int64))
    proc, mass = flat[item], np.array(masses, dtype=np.float64)[event]
    r, c, v = (np.concatenate([proc, proc + n_procs]), np.concatenate([event, event]),
               np.concatenate([np.ones(len(proc)), mass]))
    if extra is not None:
        r, c, v = np.concatenate([r, extra[0]]), np.concatenate([c, extra[1]]), \
            np.concatenate([v, extra[2]])
    return sparse.csr_matrix((v, (r, c)), shape=(2 * n_procs, len(lists)))


def _making_per_type(table: ProcessTable, model: LifecycleModel, q_kg: np.ndarray
                     ) -> sparse.csr_matrix:
    """:func:`_activity_matrix` of making each part type: its ``make`` processes and its
    purchase (``purchase:<part>``). The purchases are the table's last rows, in part order
    (:func:`~junkan.lifecycle.processes.process_table`), so their entries are set at once;
    the entries' order does not change the matrix (a duplicate repeats the same value)."""
    n_q = len(q_kg)
    start = len(table) - n_q
    parts = part_table(model)
    if len(table.index) != len(table.names) or (n_q and table.names[start] !=
                                                 f"purchase:{parts.names[0]}"):
        return _activity_matrix(table, [[*parts.make[q], f"purchase:{name}"]
                                        for q, name in enumerate(parts.names)], q_kg)
    n_procs, q = len(table), np.arange(n_q, dtype=np.int64)
    purchase = (np.concatenate([start + q, n_procs + start + q]), np.concatenate([q, q]),
                np.concatenate([np.ones(n_q), q_kg]))
    return _activity_matrix(table, parts.make, q_kg, purchase)


def _manufacturing_operators(c: Compiled, model: LifecycleModel, bom: Bom) -> None:
    """Activities per part instance made, per product assembled and per product in use."""
    table, inst_type, product_mass = c.processes, bom.inst_type, bom.product_mass
    # per part type, then one column per instance of that type
    per_type = _making_per_type(table, model, bom.part_mass)
    c.act_make = sparse.csr_matrix(per_type[:, np.asarray(inst_type, dtype=np.int64)])
    products = list(model.products.values())
    c.act_assemble = _activity_matrix(table, [prod.make for prod in products], product_mass)
    # per piece-year in use (the exposure basis, :mod:`~.exposure`)
    c.act_use = _activity_matrix(table, [prod.use for prod in products], product_mass)
