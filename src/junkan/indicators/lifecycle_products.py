"""Each product's own flows in a simulated system, for its Material Circularity Indicator
(:func:`junkan.indicators.from_lifecycle`). Past (review 259): every product took the
system's feedstock and end-of-life shares, so all had the same MCI.

* **End of life** is exact: the engine routes a retired product (and a part replaced in
  maintenance) by a linear operator of its column (``Compiled.route_eol``/``route_maint``,
  kg on each stage edge per piece), the same every year of a run, so a product's kg on
  each edge over the years is its column times the pieces it retired (and its sockets'
  replaced parts). Summed over products they are the system's flows into reuse and into
  each sink (what recycling passes on, and its residues, come after and are not
  end-of-life flows of a product).
* **What recycling makes of it** is exact too: the engine's recycling output is each
  recycling sink's yield of each material times the kg of that material its routing sends
  there (the ``mat`` block of the same operator; residues go to sinks that do not recycle),
  so a product's recycled kg is :func:`recycled_output` of its column times its pieces —
  its own E_C (review 320: every product took the system's, and one with none retired in
  the window took 1.0).
* **Feedstock is allocated** — an assumption, stated in the indicator's notes: the engine
  keeps the material it buys per material, not per product. Each year, each material's
  virgin and recycled input goes to products in proportion to the kg of it in their new
  products that year (``product_materials`` × new pieces; by ``product_materials`` alone in
  a year without new products: spare parts), so a product's recycled share follows its
  material mix and the years it is made; reused parts taken
  from the pools go to products in proportion to the pieces of that part type their new
  products and their replacements need; a reused product is its own. Summed over products
  each is the system's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.lifecycle import stages


@dataclass
class ProductFlows:
    """Per product (arrays of length P, kg over the window): its end of life — ``reuse``
    (into refurbishment or reprocessing), ``recycling`` (into recycling processes),
    ``out`` (reuse and every sink); and its input — ``recycled`` and ``material`` (virgin
    plus recycled) allocated, ``reused`` (reused products and allocated reused parts)."""

    reuse: np.ndarray
    recycling: np.ndarray
    out: np.ndarray
    recycled: np.ndarray
    material: np.ndarray
    reused: np.ndarray
    recycled_out: np.ndarray
    """kg the recycling processes made of its end of life over the window (E_C's numerator;
    ``recycling`` is its denominator)."""
    per_piece: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    """kg into reuse, into recycling, out (reuse and every sink) and out of recycling
    (recycled material) of one retired piece of each product, by its routing column: its end
    of life where none retired in the window (review 319: 0 of 0 collected was read as none
    collected, W_0 = M, MCI 0.1; review 320: its E_C was taken as 1.0)."""


def product_flows(result: Any, mask: Any) -> ProductFlows:
    """The flows of each product of ``result`` (a single run) over the years ``mask``."""
    raw, c = result.raw, result.raw.compiled
    edges = _end_of_life(raw, c, mask)  # (E, P)
    sink_kind, recycling_nodes = sinks(c)
    into_reuse = [i for i, (_, b) in enumerate(c.edges) if b in stages.REUSE_NODES]
    direct = [i for i, (a, b) in enumerate(c.edges) if b in sink_kind and a not in recycling_nodes]
    into_recycling = [i for i in direct if c.edges[i][1] in recycling_nodes]
    reuse = edges[into_reuse].sum(axis=0)
    # year by year: a year's recycled share of a material is the same for all its demand
    # (review 265: over the window, a product sold early took a later year's share)
    pm = c.product_materials
    weights = raw.new_products[mask][:, :, None] * pm[None]  # (T, P, M)
    share = np.stack([_shares(w, pm) for w in weights]) if len(weights) else weights
    vir, rec = raw.virgin[mask], raw.recycled[mask]
    reused = raw.reused_products[mask].sum(axis=0) * c.product_mass + _reused_parts(result, mask)
    route = c.route_eol["edge"]

    def piece(rows: list[int]) -> np.ndarray:
        return np.asarray(route[rows].sum(axis=0), dtype=float).ravel()

    piece_reuse, piece_out = piece(into_reuse), recycled_output(c, c.route_eol["mat"])
    return ProductFlows(reuse=reuse, recycling=edges[into_recycling].sum(axis=0),
                        out=reuse + edges[direct].sum(axis=0),
                        recycled=np.einsum("tpm,tm->p", share, rec),
                        material=np.einsum("tpm,tm->p", share, vir + rec), reused=reused,
                        recycled_out=_recycled_out(raw, c, mask, piece_out),
                        per_piece=(piece_reuse, piece(into_recycling),
                                   piece_reuse + piece(direct), piece_out))


def recycled_output(c: Any, mat: Any) -> np.ndarray:
    """kg of recycled material the recycling sinks make of each column of ``mat`` (a ``mat``
    block of a routing operator: kg of material m into sink d on row m·D + d), as the engine
    computes it — Σ over recycling sinks d and materials m of ``c.yields[d, m]`` × kg in."""
    n_cols = mat.shape[1]
    if not len(c.sinks) or not n_cols:
        return np.zeros(n_cols)
    rate = np.asarray(c.yields, dtype=float).T.reshape(-1)  # row m·D + d: yields[d, m]
    return np.asarray(mat.T @ rate, dtype=float).ravel()  # sparse: no (M·D) × P array


def _recycled_out(raw: Any, c: Any, mask: Any, per_piece: np.ndarray) -> np.ndarray:
    """kg of recycled material made of each product's end of life over ``mask``: its retired
    pieces times :func:`recycled_output` of its column, plus its sockets' replaced parts."""
    out = per_piece * raw.retired[mask].sum(axis=0)
    if len(c.repl_inst):
        by_socket = recycled_output(c, c.route_maint["mat"]) * raw.replaced[mask].sum(axis=0)
        np.add.at(out, c.inst_product[c.repl_inst], by_socket)
    return out


def sinks(c: Any) -> tuple[dict[str, str], set[str]]:
    """Each sink's stage node with its process kind (``Compiled``'s sinks), and the nodes of
    the recycling ones (what they pass on is no product's end of life)."""
    kind = {c.sink_node(d): c.processes.kind[j] for d, j in enumerate(c.sinks)}
    return kind, {n for n, k in kind.items() if k == "recycling"}


def _end_of_life(raw: Any, c: Any, mask: Any) -> np.ndarray:
    """kg on each stage edge (rows of ``c.edges``) by product (columns), over ``mask``."""
    retired = raw.retired[mask].sum(axis=0)
    out = np.asarray(c.route_eol["edge"].multiply(retired[None, :]).toarray())
    if len(c.repl_inst):
        failed = raw.replaced[mask].sum(axis=0)
        by_socket = c.route_maint["edge"].multiply(failed[None, :]).toarray()
        owner = c.inst_product[c.repl_inst]
        np.add.at(out.T, owner, by_socket.T)
    return out


def _shares(weights: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Each product's share (rows) of each material (columns): ``weights`` normalised per
    column; a column without weight takes ``fallback``'s; one without either, none."""
    out = np.zeros_like(weights, dtype=float)
    for w in (fallback, weights):
        total = w.sum(axis=0)
        cols = total > 0
        out[:, cols] = w[:, cols] / total[cols]
    return out


def _reused_parts(result: Any, mask: Any) -> np.ndarray:
    """kg of reused parts taken from the pools, allocated to products by the pieces of each
    part type their new products (BOM quantities) and replacements need (by the BOM alone
    in a window where neither needs that type).

    Per part instance, not per (product, part type) (review 286: a dense products × part
    types matrix grew as products² when each product has its own part types): an instance's
    pieces (one product's worth, and those its new products and replacements need) over its
    type's total, times the kg of that type taken, summed into its product."""
    raw, c = result.raw, result.raw.compiled
    n_types = len(c.parts)
    bom = np.asarray(result.instance_pieces(), dtype=float)  # (K,) pieces in one product
    need = bom * raw.new_products[mask].sum(axis=0)[c.inst_product]
    if len(c.repl_inst):
        np.add.at(need, c.repl_inst, raw.replaced[mask].sum(axis=0))
    taken = raw.parts_reused_direct[mask].sum(axis=0) * c.part_mass  # (Q,) kg
    share = np.zeros(len(bom))
    for w in (bom, need):  # a type nothing needs falls back on the BOM's pieces
        total = np.bincount(c.inst_type, weights=w, minlength=n_types)
        has = total[c.inst_type] > 0
        share[has] = w[has] / total[c.inst_type][has]
    return np.bincount(c.inst_product, weights=share * taken[c.inst_type],
                       minlength=len(c.products))


def make_revenue(result: Any, mask: Any) -> np.ndarray:
    """Each product's revenue from making it (P,): the revenue factors of its ``make``
    processes (per piece and per kg) times the activity its new products gave them over
    ``mask`` — exact, as the engine books a new product's assembly activity by its column
    (``Compiled.act_assemble``)."""
    c = result.raw.compiled
    rate = c.processes.factors[:, :, 3]  # (N, 2): revenue per piece, per kg
    per_product = c.act_assemble.T @ np.concatenate([rate[:, 0], rate[:, 1]])  # (P,)
    return np.asarray(per_product * result.raw.new_products[mask].sum(axis=0))

