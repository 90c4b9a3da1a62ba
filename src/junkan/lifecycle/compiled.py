"""The arrays the cohort engine steps with, built by :func:`junkan.lifecycle.compile.compile_model`.

* the process table (activity basis and unit factors in base units);
* the flattened BOM: one *instance* per part occurrence in a product (path, parent, quantity);
* linear routing operators: for one retired product, or one replaced part, how many products,
  parts and kilograms of each material end up in each loop and sink, which process activities
  that causes, and which mass flows between stages. Routing is linear, so a whole year routes
  with one sparse matrix–vector product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from junkan.lifecycle.schema import LifecycleModel

FACTOR_KEYS = ("co2e", "energy", "cost", "revenue")
BASES = ("piece", "kg", "kg_km", "piece_year")  # a factor's activity basis
INTO = ("new_products", "spares", "both")
"""Where recovered parts may go (a part route's ``into``); the routing operators' ``part``
block has one row per destination and part type: ``INTO.index(into) * Q + q``."""


@dataclass
class ProcessTable:
    """Processes with activity basis and unit factors (kgCO2e, MJ, currency, currency)."""

    names: list[str]
    actor: list[str]
    stage: list[str]
    kind: list[str]
    factors: np.ndarray  # (n_processes, 2, 4): [per piece, per kg] × [co2e, energy, cost, rev]
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class Compiled:
    """Everything the engine needs, as arrays. Dimension names: P products, Q part types,
    K part instances, R replaceable instances, M materials, D sinks, N processes, E edges,
    T years."""

    model: LifecycleModel
    years: np.ndarray
    products: list[str]
    parts: list[str]
    materials: list[str]
    sinks: list[int]  # process indices of sinks, position = sink index d
    processes: ProcessTable
    sales: np.ndarray  # (P, T) pieces/yr
    product_mass: np.ndarray  # (P,) kg
    product_materials: np.ndarray  # (P, M) kg per product, full BOM
    part_mass: np.ndarray  # (Q,) kg
    # lifetimes
    first_year_survival: np.ndarray  # (P,)
    ratio_new: np.ndarray  # (P, T)
    reused_entry_survival: np.ndarray  # (P,) S(0) of the second life (< 1: normal only)
    ratio_reused: np.ndarray  # (P, T)
    # exposure (piece-years in use) per product entering new, and per product at the start of
    # a year in the new and the reused stock by age index (:mod:`junkan.lifecycle.exposure`)
    exposure_entry: np.ndarray  # (P,)
    exposure_new: np.ndarray  # (P, T)
    exposure_reused: np.ndarray  # (P, T)
    # instances
    inst_product: np.ndarray  # (K,)
    inst_type: np.ndarray  # (K,)
    inst_parent: np.ndarray  # (K,) -1 = product
    inst_qty_rel: np.ndarray  # (K,)
    inst_path: list[str]
    levels: list[np.ndarray]  # instance indices by depth
    repl_inst: np.ndarray  # (R,) instance index of replaceable instances
    # replacements per socket: per product entering new, per product at the start of a year
    # in the new and the reused stock by age index (:mod:`junkan.lifecycle.exposure`)
    repl_entry: np.ndarray  # (R,)
    repl_new: np.ndarray  # (R, T)
    repl_reused: np.ndarray  # (R, T)
    # manufacturing operators
    mat_of_inst: sparse.csr_matrix  # (M, K) direct kg per new-made instance
    mat_of_product: sparse.csr_matrix  # (M, P) direct kg per new product
    act_make: sparse.csr_matrix  # (2N, K): rows [pieces of each process, kg of each]
    act_assemble: sparse.csr_matrix  # (2N, P)
    act_use: sparse.csr_matrix  # (2N, P) per piece-year in use
    # routing operators (per retired product / per replaced part)
    route_eol: dict[str, sparse.csr_matrix]  # blocks prod(P), part(3Q), mat(M*D), act(N), edge(E)
    route_maint: dict[str, sparse.csr_matrix]
    surplus_part_mix: None = None
    # recycling
    yields: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D, M)
    closed_loop: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D,) bool
    residue: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D, D) shares
    edges: list[tuple[str, str]] = field(default_factory=list)
    edge_index: dict[tuple[str, str], int] = field(default_factory=dict)
    material_buyer: list[str] = field(default_factory=list)
    edge_use: Any = field(default=None, repr=False)
    """The stage edges each operator column registered (:class:`~junkan.lifecycle.routing
    .EdgeUse`), which decide the order of :attr:`edges`."""
    bom: Any = field(default=None, repr=False)
    """The flattened BOM the operators were built from (:class:`~junkan.lifecycle.build.Bom`),
    kept so that overrides of a product's entries patch its rows and columns
    (:mod:`~junkan.lifecycle.patch`) instead of compiling again."""

    def edge(self, src: str, dst: str) -> int:
        key = (src, dst)
        if key not in self.edge_index:
            self.edge_index[key] = len(self.edges)
            self.edges.append(key)
        return self.edge_index[key]

    def sink_node(self, d: int) -> str:
        name = self.processes.names[self.sinks[d]]
        title = self.model.processes[name].title
        return title or name
