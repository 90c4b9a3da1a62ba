"""Compile a validated :class:`LifecycleModel` into the arrays the engine steps with.

This is where references, units, shares, BOM cycles and paths are checked; every problem is
reported with its document path. The result, :class:`Compiled`, holds:

* the process table (activity basis and unit factors in base units);
* the flattened BOM: one *instance* per part occurrence in a product (path, parent, quantity);
* linear routing operators: for one retired product, or one replaced part, how many products,
  parts and kilograms of each material end up in each loop and sink, which process activities
  that causes, and which mass flows between stages. Routing is linear, so a whole year routes
  with one sparse matrix–vector product.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import sparse

from junkan.core.errors import ModelError, Problem, short
from junkan.core.limits import limits
from junkan.core.quantities import check_magnitude, convert, parse_quantity
from junkan.core.registry import UnitParseError
from junkan.lifecycle.lifetimes import end_of_year_ratios, mid_year_ratios
from junkan.lifecycle.schema import SINK_KINDS, YEAR_MAX, YEAR_MIN, LifecycleModel, Process

FACTOR_KEYS = ("co2e", "energy", "cost", "revenue")
BASES = ("piece", "kg", "kg_km", "piece_year")  # a factor's activity basis
_DEN = {"piece": "piece", "kg": "kg", "kg_km": "kg*km", "piece_year": "piece*year"}

# Stage-level nodes of the mass-flow graph (sinks add one node each).
VIRGIN, SECONDARY, MANUFACTURING, USE = "Virgin material", "Secondary material", \
    "Manufacturing", "Use"
EOL_COLLECTION, MAINT_COLLECTION = "End-of-life collection", "Maintenance returns"
REFURBISHMENT, REPROCESSING, DISMANTLING = "Product refurbishment", "Part reprocessing", \
    "Dismantling & sorting"
SECOND_HAND, SECONDARY_MARKET = "Second-hand market", "Secondary-material market"
INVENTORY_NODES = (REFURBISHMENT, REPROCESSING, SECONDARY)


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
    ratio_reused: np.ndarray  # (P, T)
    # instances
    inst_product: np.ndarray  # (K,)
    inst_type: np.ndarray  # (K,)
    inst_parent: np.ndarray  # (K,) -1 = product
    inst_qty_rel: np.ndarray  # (K,)
    inst_path: list[str]
    levels: list[np.ndarray]  # instance indices by depth
    repl_inst: np.ndarray  # (R,) instance index of replaceable instances
    repl_ratio: np.ndarray  # (R, T) part survival step ratios
    # manufacturing operators
    mat_of_inst: sparse.csr_matrix  # (M, K) direct kg per new-made instance
    mat_of_product: sparse.csr_matrix  # (M, P) direct kg per new product
    act_make: sparse.csr_matrix  # (2N, K): rows [pieces of each process, kg of each]
    act_assemble: sparse.csr_matrix  # (2N, P)
    act_use: sparse.csr_matrix  # (2N, P) per product in stock per year
    # routing operators (per retired product / per replaced part)
    route_eol: dict[str, sparse.csr_matrix]  # blocks prod(P), part(Q), mat(M*D), act(N), edge(E)
    route_maint: dict[str, sparse.csr_matrix]
    surplus_part_mix: None = None
    # recycling
    yields: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D, M)
    closed_loop: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D,) bool
    residue: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (D, D) shares
    edges: list[tuple[str, str]] = field(default_factory=list)
    edge_index: dict[tuple[str, str], int] = field(default_factory=dict)
    material_buyer: list[str] = field(default_factory=list)

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


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ModelError(self.items)


# ---------------------------------------------------------------------------------------------
# Processes


def _parse_factor(value: object, numerator: str, path: str, currency: str,
                  problems: _Problems) -> tuple[float, str] | None:
    ok_type = isinstance(value, str | int | float) and not isinstance(value, bool)
    parsed = _factor_value(value, numerator, currency) if ok_type else None
    if isinstance(parsed, tuple):
        return parsed
    problems.add(path, parsed or f"expected a factor such as '1.2 kgCO2e/piece', got "
                 f"{short(value)}")
    return None


@lru_cache(maxsize=8192)
def _factor_value(value: str | float, numerator: str, currency: str) -> tuple[float, str] | str:
    """(magnitude, basis) of a unit-factor string, or the error message (cached: large models
    repeat the same strings thousands of times)."""
    try:
        q = parse_quantity(value)
    except UnitParseError as exc:
        return str(exc)
    for basis in BASES:
        target = f"{numerator}/({_DEN[basis]})"
        if q.dimensionality != _dimensionality(target):
            continue
        try:
            return convert(q, target, value=value, what="factor"), basis
        except UnitParseError as exc:
            return str(exc)
    hint = {"kgCO2e": "'1.2 kgCO2e/piece', '0.5 kgCO2e/kg' or '208 gCO2e/(t*km)'",
            "MJ": "'8.8 kWh/piece' or '3 MJ/kg'"}.get(numerator, f"'1200 {currency}/piece'")
    other = [c for c in ("JPY", "USD", "EUR") if c != currency and c in str(q.units)]
    if other:
        return (f"{short(value)} is in {other[0]} but the model currency is {currency}; "
                f"convert it or set 'currency: {other[0]}'")
    return (f"{short(value)} has unit '{q.units:~}', which is not a factor per piece, kg or t*km; "
            f"write e.g. {hint}")


@lru_cache(maxsize=64)
def _dimensionality(unit: str) -> object:
    return parse_quantity(f"1 {unit}").dimensionality


def _process_table(model: LifecycleModel, problems: _Problems) -> ProcessTable:
    cur = model.currency
    nums = {"co2e": "kgCO2e", "energy": "MJ", "cost": cur, "revenue": cur}
    names: list[str] = []
    actor: list[str] = []
    stage: list[str] = []
    kind: list[str] = []
    rows: list[np.ndarray] = []

    def add(name: str, proc_actor: str, proc_stage: str, proc_kind: str,
            values: dict[str, object], distance: float | None, path: str,
            per_kg_only: bool = False) -> None:
        row = np.zeros((2, 4))  # [per piece, per kg] × factor
        for i, key in enumerate(FACTOR_KEYS):
            v = values.get(key)
            if v is None:
                continue
            parsed = _parse_factor(v, nums[key], f"{path}.{key}", cur, problems)
            if parsed is None:
                continue
            mag, b = parsed
            if b == "kg_km":
                if distance is None:
                    problems.add(f"{path}.distance", f"{key} is per t*km, so the process needs "
                                 "a 'distance' (e.g. '150 km')")
                    continue
                mag, b = mag * distance, "kg"
            if per_kg_only and b != "kg":
                problems.add(f"{path}.{key}", f"{short(v)}: material supply factors are per kg "
                             "(e.g. '30 kgCO2e/kg')")
                continue
            row[0 if b in ("piece", "piece_year") else 1, i] += mag
        names.append(name)
        actor.append(proc_actor)
        stage.append(proc_stage)
        kind.append(proc_kind)
        rows.append(row)

    for name, p in model.processes.items():
        path = f"processes.{name}"
        if p.actor not in model.actors:
            problems.add(f"{path}.actor", _unknown("actor", p.actor, model.actors))
        values: dict[str, object] = {}
        if p.mode is not None:
            mode = model.modes.get(p.mode)
            if mode is None:
                problems.add(f"{path}.mode", _unknown("transport mode", p.mode, model.modes))
            else:
                values.update({k: getattr(mode, k) for k in ("co2e", "energy", "cost")
                               if getattr(mode, k) is not None})
                if p.distance is None:
                    problems.add(f"{path}.distance", f"transport mode {short(p.mode)} is per t*km, "
                                 "so the process needs a 'distance' (e.g. '150 km')")
        # the mode gives per-t*km factors; a factor the process gives itself replaces the mode's
        values.update({k: getattr(p, k) for k in FACTOR_KEYS if getattr(p, k) is not None})
        add(name, p.actor, p.stage, p.kind, values, p.distance, path)
    for m_name, m in model.materials.items():
        buyer = m.buyer or _default_actor(model, ("part_maker", "product_maker"))
        if m.buyer is not None and m.buyer not in model.actors:
            problems.add(f"materials.{m_name}.buyer", _unknown("actor", m.buyer, model.actors))
        for which in ("virgin", "recycled"):
            supply = getattr(m, which)
            vals = {k: getattr(supply, k) for k in ("co2e", "energy", "cost")} if supply else {}
            add(f"{which}:{m_name}", buyer or "", "material", "activity", vals, None,
                f"materials.{m_name}.{which}", per_kg_only=True)
    for q_name, part in model.parts.items():
        buyer = part.buyer or _default_actor(model, ("product_maker",))
        if part.buyer is not None and part.buyer not in model.actors:
            problems.add(f"parts.{q_name}.buyer", _unknown("actor", part.buyer, model.actors))
        add(f"purchase:{q_name}", buyer or "", "manufacturing", "activity",
            {"cost": part.price}, None, f"parts.{q_name}.price")
    index = {n: i for i, n in enumerate(names)}
    return ProcessTable(names, actor, stage, kind, np.array(rows, dtype=float).reshape(-1, 2, 4),
                        index)


def _default_actor(model: LifecycleModel, roles: tuple[str, ...]) -> str | None:
    for role in roles:
        for name, a in model.actors.items():
            if a.role == role:
                return name
    return None


def _unknown(what: str, name: str, known: object) -> str:
    names = sorted(known) if known else []  # type: ignore[call-overload]
    shown = ", ".join(str(n)[:40] for n in names[:12]) + (" …" if len(names) > 12 else "")
    return f"unknown {what} {short(name)}" + (f"; known: {shown}" if names else
                                              "; define it first")


# ---------------------------------------------------------------------------------------------
# BOM


def _check_bom_graph(model: LifecycleModel, problems: _Problems) -> tuple[list[str], bool]:
    """Check BOM references and cycles; return part names in topological order (parents
    first) and whether the BOM can be flattened."""
    ok = True
    for owner, items in [(f"parts.{n}", p.bom) for n, p in model.parts.items()] + \
                        [(f"products.{n}", p.bom) for n, p in model.products.items()]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.part is not None:
                if item.part not in model.parts:
                    problems.add(f"{owner}.bom[{i}].part", _unknown("part", item.part, model.parts))
                    ok = False
                elif item.part in seen:
                    problems.add(f"{owner}.bom[{i}].part", f"part {short(item.part)} is listed "
                                 "twice; list it once with the summed quantity")
                seen.add(item.part)
            elif item.material not in model.materials:
                problems.add(f"{owner}.bom[{i}].material",
                             _unknown("material", str(item.material), model.materials))
                ok = False
    if not ok:
        return list(model.parts), False
    order: list[str] = []  # children before parents
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in model.parts:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, 0)]  # (part, next BOM line); iterative, so any depth is safe
        while stack:
            name, i = stack[-1]
            bom = model.parts[name].bom
            if i == len(bom):
                stack.pop()
                state[name] = 2
                order.append(name)
                continue
            stack[-1] = (name, i + 1)
            child = bom[i].part
            if child is None:
                continue
            if state.get(child) == 1:
                chain = [n for n, _ in stack] + [child]
                cycle = chain[chain.index(child):]
                if len(cycle) > 9:  # keep the message short
                    cycle = cycle[:4] + [f"… {len(cycle) - 8:,} more …"] + cycle[-4:]
                problems.add(f"parts.{name}.bom[{i}].part",
                             "the BOM has a cycle: " + " → ".join(cycle) +
                             "; a part cannot contain itself")
                return list(model.parts), False
            if child not in state:
                state[child] = 1
                stack.append((child, 0))
    return list(reversed(order)), True


def _check_bom_size(model: LifecycleModel, part_order: list[str], n_years: int,
                    problems: _Problems) -> bool:
    """Refuse, before anything is allocated, a model whose BOM trees are too deep or expand to
    too many part instances, or whose years × products is too large.

    The engine tracks each *path* from a product to a part (a part used by two parents is two
    instances, each with its own reuse, extraction and replacement), so a BOM DAG is expanded
    as a tree: k levels of parts that each use two parts of the next level give 2**k
    instances. Both figures are counted here per part type, in time linear in the BOM.
    Returns False (with the problems added) when the model is too big to build."""
    lim = limits()
    height: dict[str, int] = {}  # part levels from this part down, itself included
    below: dict[str, int] = {}  # instances in this part's subtree, itself excluded
    for name in reversed(part_order):  # children first
        lines = [item.part for item in model.parts[name].bom if item.part is not None]
        height[name] = 1 + max((height[c] for c in lines), default=0)
        below[name] = sum(1 + below[c] for c in lines)
    total = 0
    n_before = len(problems.items)
    for pname, prod in model.products.items():
        lines = [item.part for item in prod.bom if item.part is not None]
        depth = max((height[c] for c in lines), default=0)
        count = sum(1 + below[c] for c in lines)
        total += count
        if depth > lim.bom_depth:
            problems.add(f"products.{pname}.bom", f"the BOM is {depth:,} part levels deep, more "
                         f"than the {lim.describe('bom_depth')}")
        if total > lim.bom_instances:
            problems.add(f"products.{pname}.bom", f"expanding the BOMs gives at least "
                         f"{total:,} part instances (one per path from a product to a part; "
                         f"this product has {count:,}), more than the "
                         f"{lim.describe('bom_instances')}; a part used by several parents "
                         "counts once per path")
            break
    if n_years * len(model.products) > lim.years_products:
        problems.add("products", f"{n_years:,} years × {len(model.products):,} products = "
                     f"{n_years * len(model.products):,}, more than the "
                     f"{lim.describe('years_products')}; shorten the horizon or split the model")
    return len(problems.items) == n_before


# ---------------------------------------------------------------------------------------------
# Routing accumulator


class _Route:
    """Collects a linear routing operator column by column."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        self.data: dict[str, list[tuple[int, int, float]]] = defaultdict(list)

    def put(self, block: str, row: int, col: int, value: float) -> None:
        if value != 0.0:
            self.data[block].append((row, col, value))

    def act(self, col: int, procs: list[str], pieces: float, kg: float) -> None:
        table = self.c.processes
        for name in procs:
            i = table.index.get(name)
            if i is None:
                continue  # reported by check_procs; compile raises before anything runs
            self.put("act", i, col, pieces)
            self.put("act", len(table) + i, col, kg)

    def edge(self, col: int, src: str, dst: str, kg: float) -> None:
        self.put("edge", self.c.edge(src, dst), col, kg)

    def mix(self, col: int, src: str, mix: list[tuple[int, float]], materials: np.ndarray,
            scale: float) -> None:
        n_sinks = len(self.c.sinks)
        for d, share in mix:
            for m in np.flatnonzero(materials):
                self.put("mat", int(m) * n_sinks + d, col, scale * share * materials[m])
            self.edge(col, src, self.c.sink_node(d), scale * share * float(materials.sum()))

    def build(self, n_cols: int) -> dict[str, tuple]:
        c = self.c
        shapes = {"prod": len(c.products), "part": len(c.parts),
                  "mat": len(c.materials) * len(c.sinks), "act": 2 * len(c.processes),
                  "edge": 0}
        out = {}
        for block, n_rows in shapes.items():
            rows = [r for r, _, _ in self.data[block]]
            cols = [k for _, k, _ in self.data[block]]
            vals = [v for _, _, v in self.data[block]]
            out[block] = (rows, cols, vals, n_rows, n_cols)
        return out


def _finish(raw: dict, n_edges: int) -> dict[str, sparse.csr_matrix]:
    out = {}
    for block, (rows, cols, vals, n_rows, n_cols) in raw.items():
        n = n_edges if block == "edge" else n_rows
        out[block] = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n_cols))
    return out


# ---------------------------------------------------------------------------------------------
# Main


def compile_model(model: LifecycleModel) -> Compiled:
    """Check ``model`` beyond its schema and build the engine's arrays.

    Raises :class:`ModelError` listing every problem with its document path.
    """
    problems = _Problems()
    table = _process_table(model, problems)
    part_order, bom_ok = _check_bom_graph(model, problems)
    years = np.arange(model.years.start, model.years.end + 1)
    n_years = len(years)
    products = list(model.products)
    parts = list(model.parts)
    materials = list(model.materials)
    q_index = {n: i for i, n in enumerate(parts)}
    m_index = {n: i for i, n in enumerate(materials)}
    sinks = [table.index[n] for n, p in model.processes.items() if p.kind in SINK_KINDS]
    d_index = {table.names[j]: d for d, j in enumerate(sinks)}
    n_m, n_d = len(materials), len(sinks)

    # actors of parts and products
    for name, part in model.parts.items():
        if part.maker is not None and part.maker not in model.actors:
            problems.add(f"parts.{name}.maker", _unknown("actor", part.maker, model.actors))
    for name, prod in model.products.items():
        if prod.maker is not None and prod.maker not in model.actors:
            problems.add(f"products.{name}.maker", _unknown("actor", prod.maker, model.actors))

    def check_procs(procs: list[str], path: str) -> None:
        for i, n in enumerate(procs):
            if n not in table.index or n.startswith(("virgin:", "recycled:", "purchase:")):
                problems.add(f"{path}[{i}]", _unknown("process", n, model.processes))
            elif model.processes[n].kind != "activity":
                problems.add(f"{path}[{i}]", f"process {short(n)} is a {model.processes[n].kind} "
                             "sink; list it in a route mix (residual, uncollected), not here")

    def check_mix(mix: dict[str, float] | None, path: str, needed: bool,
                  allow_recycling: bool = True) -> list[tuple[int, float]]:
        if not mix:
            if needed:
                problems.add(path, "this route is used (a share of items reaches it) but has no "
                             "destinations; give sinks with shares summing to 1, e.g. "
                             "{landfill: 1}")
            return []
        out = []
        for target, share in mix.items():
            if target not in d_index:
                problems.add(f"{path}.{target}", _unknown("sink process (kind recycling, "
                             "energy_recovery, incineration, landfill or export)", target,
                             d_index))
                continue
            if not allow_recycling and model.processes[target].kind == "recycling":
                problems.add(f"{path}.{target}", "a recycling residue cannot go to another "
                             "recycling process; use landfill, incineration or energy_recovery")
                continue
            out.append((d_index[target], share))
        total = sum(mix.values())
        if total > 1 + 1e-9:
            problems.add(path, f"shares sum to {total:.6g}, above 1; lower them so they sum to 1")
        elif total < 1 - 1e-9:
            problems.add(path, f"shares sum to {total:.6g}, below 1, so mass would vanish; "
                         "add the missing destination (e.g. landfill) so they sum to 1")
        return out

    for name, part in model.parts.items():
        for opt in ("reuse", "remanufacture"):
            o = getattr(part.recovery, opt)
            if o is not None:
                check_procs(o.processes, f"parts.{name}.recovery.{opt}.processes")
        check_procs(part.make, f"parts.{name}.make")
    for name, prod in model.products.items():
        check_procs(prod.make, f"products.{name}.make")
        check_procs(prod.use, f"products.{name}.use")

    # recycling processes
    yields = np.zeros((n_d, n_m))
    closed = np.zeros(n_d, dtype=bool)
    residue = np.zeros((n_d, n_d))
    for d, j in enumerate(sinks):
        name = table.names[j]
        p: Process = model.processes[name]
        path = f"processes.{name}"
        if p.kind == "recycling":
            closed[d] = p.closed_loop
            if not p.yields:
                problems.add(f"{path}.yields", "a recycling process needs yields per material, "
                             "e.g. {steel: 0.95}")
            for mat, y in p.yields.items():
                if mat not in m_index:
                    problems.add(f"{path}.yields.{mat}", _unknown("material", mat, m_index))
                else:
                    yields[d, m_index[mat]] = y
            needs_residue = bool(p.yields) and min(p.yields.values()) < 1 or \
                len(p.yields) < n_m
            for d2, share in check_mix(p.residue, f"{path}.residue", needs_residue,
                                       allow_recycling=False):
                residue[d, d2] = share
        elif p.yields or p.residue:
            problems.add(path, f"'yields' and 'residue' only apply to kind: recycling "
                         f"(this process is kind: {p.kind})")
    if not bom_ok:
        problems.raise_if_any()  # the BOM cannot be flattened; report what we have
    if not _check_bom_size(model, part_order, n_years, problems):
        problems.raise_if_any()  # too big to build; report before allocating anything

    # ---- BOM flattening
    q_direct = np.zeros((len(parts), n_m))
    for name, part in model.parts.items():
        for item in part.bom:
            if item.material is not None:
                q_direct[q_index[name], m_index[item.material]] += item.mass or 0.0
    q_full = q_direct.copy()
    for name in reversed(part_order):  # children first
        for item in model.parts[name].bom:
            if item.part is not None:
                q_full[q_index[name]] += item.quantity * q_full[q_index[item.part]]
    part_mass = q_full.sum(axis=1)

    inst_product: list[int] = []
    inst_type: list[int] = []
    inst_parent: list[int] = []
    inst_qty_rel: list[float] = []
    inst_qty: list[float] = []
    inst_path: list[str] = []
    inst_level: list[int] = []
    children: dict[int, list[int]] = defaultdict(list)  # -(p+1) for product roots
    path_index: list[dict[str, int]] = []
    p_direct = np.zeros((len(products), n_m))

    for pi, prod in enumerate(model.products.values()):
        paths: dict[str, int] = {}

        def expand(part: str, qty_rel: float, qty: float, parent: int, prefix: str,
                   level: int, root: int) -> None:
            k = len(inst_type)
            path = f"{prefix}/{part}" if prefix else part
            inst_product.append(pi)  # noqa: B023
            inst_type.append(q_index[part])
            inst_parent.append(parent)
            inst_qty_rel.append(qty_rel)
            inst_qty.append(qty)
            inst_path.append(path)
            inst_level.append(level)
            children[parent if parent >= 0 else root].append(k)
            paths[path] = k  # noqa: B023
            for item in model.parts[part].bom:
                if item.part is not None:
                    expand(item.part, item.quantity, qty * item.quantity, k, path, level + 1,
                           root)

        for item in prod.bom:
            if item.material is not None:
                p_direct[pi, m_index[item.material]] += item.mass or 0.0
            elif item.part is not None:
                expand(item.part, item.quantity, item.quantity, -1, "", 0, -(pi + 1))
        path_index.append(paths)

    n_k = len(inst_type)
    k_type = np.array(inst_type, dtype=np.int64)
    p_full = p_direct.copy()
    for k in range(n_k):
        if inst_parent[k] == -1:
            p_full[inst_product[k]] += inst_qty_rel[k] * q_full[inst_type[k]]
    product_mass = p_full.sum(axis=1)

    # ---- sales and lifetimes
    sales = np.zeros((len(products), n_years))
    first = np.zeros(len(products))
    ratio_new = np.zeros((len(products), n_years))
    ratio_re = np.zeros((len(products), n_years))
    for pi, (pname, prod) in enumerate(model.products.items()):
        path = f"products.{pname}.sales"
        if "constant" in prod.sales and len(prod.sales) == 1:
            pts = {int(years[0]): prod.sales["constant"]}
        else:
            pts = {}
            for key, v in prod.sales.items():
                try:
                    year = int(key)
                except ValueError:
                    year = 0
                if not YEAR_MIN <= year <= YEAR_MAX:
                    problems.add(f"{path}.{short(key, 30).strip(chr(39))}", "sales keys are years "
                                 f"from {YEAR_MIN} to {YEAR_MAX} (e.g. 2030: 1200)")
                    continue
                pts[year] = v
        xs, ys = [], []
        for y, v in sorted(pts.items()):
            try:
                val = float(v) if isinstance(v, int | float) else \
                    convert(parse_quantity(v), "piece/year", value=v, what="sales")
                check_magnitude(val, v, "piece/year", "sales")
            except UnitParseError:
                problems.add(f"{path}.{y}", f"cannot read {short(v)} as units per year "
                             "(e.g. 1200 or '1200 piece/year')")
                continue
            if val < 0:
                problems.add(f"{path}.{y}", f"sales must not be negative, got {short(v)}")
            xs.append(y)
            ys.append(val)
        if xs:
            sales[pi] = np.interp(years, xs, ys)
        first[pi], ratio_new[pi] = mid_year_ratios(prod.lifetime, n_years)
        second = prod.eol.reuse.lifetime if prod.eol.reuse and prod.eol.reuse.lifetime else \
            prod.lifetime
        ratio_re[pi] = end_of_year_ratios(second, n_years)

    c = Compiled(
        model=model, years=years, products=products, parts=parts, materials=materials,
        sinks=sinks, processes=table, sales=sales, product_mass=product_mass,
        product_materials=p_full, part_mass=part_mass, first_year_survival=first,
        ratio_new=ratio_new, ratio_reused=ratio_re,
        inst_product=np.array(inst_product, dtype=np.int64), inst_type=k_type,
        inst_parent=np.array(inst_parent, dtype=np.int64),
        inst_qty_rel=np.array(inst_qty_rel, dtype=float), inst_path=inst_path,
        levels=[np.flatnonzero(np.array(inst_level) == lv) for lv in
                range(max(inst_level, default=-1) + 1)],
        repl_inst=np.zeros(0, dtype=np.int64), repl_ratio=np.zeros((0, n_years)),
        mat_of_inst=sparse.csr_matrix(q_direct[k_type].T) if n_k else
        sparse.csr_matrix((n_m, 0)),
        mat_of_product=sparse.csr_matrix(p_direct.T),
        act_make=sparse.csr_matrix((2 * len(table), n_k)),
        act_assemble=sparse.csr_matrix((2 * len(table), len(products))),
        act_use=sparse.csr_matrix((2 * len(table), len(products))),
        route_eol={}, route_maint={}, yields=yields, closed_loop=closed, residue=residue,
        material_buyer=[table.actor[table.index[f"virgin:{m}"]] for m in materials],
    )
    for d in range(n_d):
        c.sink_node(d)

    # ---- manufacturing operators
    def act_matrix(entries: list[tuple[int, list[str], float]], n_cols: int) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for col, procs, mass in entries:
            for n in procs:
                if n in table.index:
                    i = table.index[n]
                    rows += [i, len(table) + i]
                    cols += [col, col]
                    vals += [1.0, mass]
        return sparse.csr_matrix((vals, (rows, cols)), shape=(2 * len(table), n_cols))

    c.act_make = act_matrix([(k, model.parts[parts[inst_type[k]]].make +
                              [f"purchase:{parts[inst_type[k]]}"],
                              float(part_mass[inst_type[k]])) for k in range(n_k)], n_k)
    c.act_assemble = act_matrix([(pi, model.products[n].make, float(product_mass[pi]))
                                 for pi, n in enumerate(products)], len(products))
    c.act_use = act_matrix([(pi, model.products[n].use, float(product_mass[pi]))
                            for pi, n in enumerate(products)], len(products))

    # ---- routing
    def resolve(paths_: dict[str, int], items: list, prefix: str,
                path: str) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i, ex in enumerate(items):
            full = f"{prefix}/{ex.path}" if prefix else ex.path
            if full not in paths_:
                problems.add(f"{path}[{i}]", f"no part at BOM path {short(ex.path)}"
                             + (f" under {short(prefix)}" if prefix else "") +
                             f"; known paths: {', '.join(sorted(paths_)[:10])}")
                continue
            check_procs(ex.processes, f"{path}[{i}].processes")
            out[paths_[full]] = ex.processes
        return out

    def nearest(k_root: int, chosen: dict[int, list[str]]) -> list[tuple[int, float]]:
        found: list[tuple[int, float]] = []
        stack = [(ch, inst_qty_rel[ch]) for ch in children[k_root]]
        while stack:
            k, q = stack.pop()
            if k in chosen:
                found.append((k, q))
            else:
                stack.extend((ch, q * inst_qty_rel[ch]) for ch in children[k])
        return found

    def cascade(route: _Route, col: int, k: int, x: float, chosen: dict[int, list[str]],
                ctx_mix: dict[str, float] | None, ctx_path: str, root_mix: bool) -> None:
        q = inst_type[k]
        qname = parts[q]
        rec = model.parts[qname].recovery
        mass = float(part_mass[q])
        route.act(col, chosen.get(k, []), x, x * mass)
        passed = 0.0
        for opt in (rec.reuse, rec.remanufacture):
            if opt is not None and opt.share > 0:
                cand = x * opt.share
                route.act(col, opt.processes, cand, cand * mass)
                passed += cand * opt.pass_rate
        route.put("part", q, col, passed)
        route.edge(col, DISMANTLING, REPROCESSING, passed * mass)
        rest = x - passed
        desc = nearest(k, chosen)
        for kd, qd in desc:
            cascade(route, col, kd, rest * qd, chosen, ctx_mix, ctx_path, False)
        residual = q_full[q] - sum((qd * q_full[inst_type[kd]] for kd, qd in desc),
                                   np.zeros(n_m))
        residual = np.where(np.abs(residual) < 1e-15 * max(mass, 1e-300), 0.0, residual)
        mix: dict[str, float] | None
        if root_mix and ctx_mix:
            mix, mpath = ctx_mix, ctx_path
        elif rec.residual:
            mix, mpath = rec.residual, f"parts.{qname}.recovery.residual"
        else:
            mix, mpath = ctx_mix, ctx_path
        needed = rest > 0 and residual.sum() > 0
        parsed = check_mix(mix, mpath, needed)
        if needed:
            route.mix(col, DISMANTLING, parsed, residual, rest)

    eol = _Route(c)
    for pi, pname in enumerate(products):
        prod = model.products[pname]
        base = f"products.{pname}.eol"
        e = prod.eol
        mass = float(product_mass[pi])
        rate = e.collection.rate
        check_procs(e.collection.processes, f"{base}.collection.processes")
        uncol = check_mix(e.uncollected, f"{base}.uncollected", rate < 1)
        eol.mix(pi, USE, uncol, p_full[pi], 1 - rate)
        chosen = resolve(path_index[pi], e.dismantling.extract, "",
                         f"{base}.dismantling.extract")
        check_procs(e.dismantling.processes, f"{base}.dismantling.processes")
        if e.reuse is not None:
            check_procs(e.reuse.processes, f"{base}.reuse.processes")
        if rate <= 0:
            check_mix(e.dismantling.residual, f"{base}.dismantling.residual", False)
            continue
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
        root = -(pi + 1)
        desc = nearest(root, chosen)
        for kd, qd in desc:
            cascade(eol, pi, kd, dis * qd, chosen, e.dismantling.residual or None,
                    f"{base}.dismantling.residual", False)
        residual = p_full[pi] - sum((qd * q_full[inst_type[kd]] for kd, qd in desc),
                                    np.zeros(n_m))
        residual = np.where(np.abs(residual) < 1e-15 * max(mass, 1e-300), 0.0, residual)
        needed = dis > 0 and residual.sum() > 0
        eol.mix(pi, DISMANTLING, check_mix(e.dismantling.residual,
                                           f"{base}.dismantling.residual", needed),
                residual, dis)

    # ---- maintenance (replaceable instances)
    repl: list[int] = []
    repl_ratio: list[np.ndarray] = []
    maint = _Route(c)
    replaceable: set[int] = set()
    for pi, pname in enumerate(products):
        for mi, mt in enumerate(model.products[pname].maintenance):
            base = f"products.{pname}.maintenance[{mi}]"
            found = path_index[pi].get(mt.part)
            if found is None:
                problems.add(f"{base}.part", f"no part at BOM path {short(mt.part)} in product "
                             f"'{pname}'; known paths: {', '.join(sorted(path_index[pi])[:10])}")
                continue
            k = found
            if k in replaceable:
                problems.add(f"{base}.part", f"part {short(mt.part)} already has a maintenance "
                             "entry; merge them")
                continue
            anc = inst_parent[k]
            while anc >= 0:
                if anc in replaceable:
                    problems.add(f"{base}.part", f"{short(mt.part)} sits inside "
                                 f"{short(inst_path[anc])}, which is itself replaced; nested "
                                 "replacements are not supported — model the outer part's "
                                 "replacement only")
                anc = inst_parent[anc]
            replaceable.add(k)
            col = len(repl)
            repl.append(k)
            if mt.lifetime is not None:
                repl_ratio.append(end_of_year_ratios(mt.lifetime, n_years))
            else:
                repl_ratio.append(np.full(n_years, 1.0 - float(mt.replacement_rate or 0.0)))
            q = inst_type[k]
            mass = float(part_mass[q])
            check_procs(mt.processes, f"{base}.processes")
            check_procs(mt.collection.processes, f"{base}.collection.processes")
            maint.act(col, mt.processes, 1.0, mass)
            rate = mt.collection.rate
            maint.mix(col, USE, check_mix(mt.uncollected, f"{base}.uncollected", rate < 1),
                      q_full[q], 1 - rate)
            chosen = resolve(path_index[pi], mt.extract, mt.part, f"{base}.extract")
            chosen[k] = []
            if rate > 0:
                maint.edge(col, USE, MAINT_COLLECTION, rate * mass)
                maint.act(col, mt.collection.processes, rate, rate * mass)
                maint.edge(col, MAINT_COLLECTION, DISMANTLING, rate * mass)
                cascade(maint, col, k, rate, chosen, mt.residual, f"{base}.residual",
                        mt.residual is not None)
    problems.raise_if_any()
    c.repl_inst = np.array(repl, dtype=np.int64)
    c.repl_ratio = np.array(repl_ratio).reshape(len(repl), n_years)
    raw_eol = eol.build(len(products))
    raw_maint = maint.build(len(repl))
    # stage edges used by the engine directly
    for src, dst in ((VIRGIN, MANUFACTURING), (SECONDARY, MANUFACTURING),
                     (REPROCESSING, MANUFACTURING), (MANUFACTURING, USE), (REFURBISHMENT, USE),
                     (REFURBISHMENT, SECOND_HAND), (REPROCESSING, SECOND_HAND),
                     (SECONDARY, SECONDARY_MARKET)):
        c.edge(src, dst)
    for d in range(n_d):
        if model.processes[table.names[sinks[d]]].kind == "recycling":
            c.edge(c.sink_node(d), SECONDARY if closed[d] else SECONDARY_MARKET)
            for d2 in map(int, np.flatnonzero(residue[d])):
                c.edge(c.sink_node(d), c.sink_node(int(d2)))
    c.route_eol = _finish(raw_eol, len(c.edges))
    c.route_maint = _finish(raw_maint, len(c.edges))
    return c
