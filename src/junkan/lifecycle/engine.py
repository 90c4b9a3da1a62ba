"""The dynamic cohort engine: all products, parts and materials stepped together, year by year.

State is the stock by age (products new and reused, replaceable parts), so memory is linear in
the number of years — never a years × cohorts array. Per year:

1. part replacements and piece-years in use follow from the product stocks by age and the
   kernels of :mod:`junkan.lifecycle.exposure` (one exposure basis); stocks age one year and
   retirements follow the survival ratios;
2. demand is met first from last year's recovered pools (reused products, reused and
   remanufactured parts, closed-loop secondary material), then from new manufacture/virgin
   material — recovered items re-enter supply the year after recovery; recovered parts go to
   new products, spares or both, as their route's ``into`` says;
3. retired products and replaced parts are routed through collection, product reuse,
   dismantling, part reuse/remanufacture, recycling, energy recovery, landfill and export by the
   compiled linear routing operators;
4. every process's activity is recorded; CO2e, energy, cost and revenue are activity × unit
   factor, computed afterwards for all processes at once.

Mass balance is checked for every stage node and year (relative error ≤ 1e-9).

The year step (:mod:`junkan.lifecycle.step`) takes an optional leading run axis: with
:class:`Runs`, many variants of one model (Monte Carlo draws) are stepped in the same pass,
each run's changed arrays given per run — the uncertainty package simulates this way.
"""

from __future__ import annotations

import dataclasses
import errno
import mmap
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.core.errors import JunkanError
from junkan.lifecycle import stages as st
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.step import Stepper, allocate

__all__ = ["BALANCE_TOLERANCE", "RawResult", "Runs", "allocate", "mass_balance_error",
           "node_balances", "simulate_compiled"]

BALANCE_TOLERANCE = 1e-9


@dataclass
class RawResult:
    """Arrays of one simulation (T = years; for many runs a run axis follows the year axis:
    ``T × runs × …``). Units: pieces, kg."""

    compiled: Compiled
    scenario: str
    in_use: np.ndarray  # (T, P) products in use at year end
    in_use_reused: np.ndarray  # (T, P)
    new_products: np.ndarray  # (T, P) new products made
    reused_products: np.ndarray  # (T, P) reused products put into use
    retired: np.ndarray  # (T, P) products retired
    replaced: np.ndarray  # (T, R) parts replaced in maintenance
    parts_made: np.ndarray  # (T, Q) parts made new
    parts_reused: np.ndarray  # (T, Q) reused/remanufactured parts used, with the sub-parts
    # inside reused assemblies
    parts_reused_direct: np.ndarray  # (T, Q) reused parts taken from the pools (no sub-parts)
    parts_reused_spare: np.ndarray  # (T, Q) of those, used as maintenance spares
    exposure: np.ndarray  # (T, P) piece-years in use during the year
    virgin: np.ndarray  # (T, M) kg
    recycled: np.ndarray  # (T, M) kg used in own manufacturing
    secondary_output: np.ndarray  # (T, M) kg recovered by recycling (closed + open loop)
    sink_input: np.ndarray  # (T, D) kg into each sink
    activity: np.ndarray  # (T, 2, N): pieces and kg handled by each process
    edges: np.ndarray  # (T, E) kg
    use_stock_mass: np.ndarray  # (T,) kg
    inventory: np.ndarray  # (T, 3) kg in refurbishment, reprocessing, secondary pools
    balance_error: float  # max relative imbalance over nodes and years (and runs)

    def run(self, r: int, compiled: Compiled | None = None) -> RawResult:
        """Run ``r`` of a result of many runs (views, not copies), with its own compiled
        model if given (the tables read its arrays)."""
        arrays = {f.name: getattr(self, f.name)[:, r] for f in dataclasses.fields(self)
                  if f.name not in ("compiled", "scenario", "balance_error")}
        return RawResult(compiled=compiled or self.compiled, scenario=self.scenario,
                         balance_error=self.balance_error, **arrays)


@dataclass
class Runs:
    """Many runs of one compiled model's structure, simulated together by
    :func:`simulate_compiled` (e.g. Monte Carlo draws of its parameters).

    ``arrays`` replace numeric arrays of the compiled model (names of
    :data:`junkan.lifecycle.step.ARRAYS`) by per-run values with a leading run axis
    (``count × …``); ``operators`` replace its linear operators (names of
    :data:`~junkan.lifecycle.step.OPERATORS`, and ``route_eol.<block>``,
    ``route_maint.<block>``) by objects whose ``op @ X`` maps ``X`` (columns × runs) to
    (rows × runs), run by run. Whatever is not replaced is shared by every run."""

    count: int
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    operators: Mapping[str, Any] = field(default_factory=dict)


_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
"""Linux's flag to populate a map when it is made (0 elsewhere)."""


def _map(n_bytes: int) -> mmap.mmap:
    """An anonymous private map of ``n_bytes``, populated when made where Linux offers it
    and the size is at most half the machine's memory (a larger one could only be met by
    the out-of-memory killer; unpopulated it fails, or not, as its pages are written)."""
    if not _POPULATE or n_bytes > os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2:
        return mmap.mmap(-1, n_bytes)
    return mmap.mmap(-1, n_bytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _POPULATE)


PLAIN_PAGES_ABOVE = 32 << 20
"""Bytes above which a result array lies in ordinary pages (:func:`plain_zeros`)."""


def plain_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A zero-filled float array of ``shape``. One larger than :data:`PLAIN_PAGES_ABOVE`
    lies in an anonymous memory map of ordinary pages, not in the memory numpy advises
    Linux to back with transparent huge pages (any array above 4 MiB; numpy's
    ``NUMPY_MADVISE_HUGEPAGE``). A result's arrays are first written a year at a time, and
    huge pages for hundreds of MiB may have to be found and compacted first: on the
    5,000-product × 100-year benchmark (460 MiB of results) the simulation took 2.64 s of
    CPU with numpy's arrays and 2.03 s with these (three fresh processes each, the same
    figures every time; load 1.6, 2026-12-02). On the 1,000-product × 50-year one (arrays
    of 8-16 MiB) ordinary pages were slower, 0.185 s against 0.155 s (median of 10): the
    threshold keeps numpy's arrays there.

    Where Linux offers it, the map is populated when made (``MAP_POPULATE``): its pages are
    found in one call rather than one fault at a time as the years are written (every page
    is written by the end of a run, so the resident memory is the same). In this virtual
    machine a page fault is costly: the 5,000 × 100 simulation's first run in a process
    took 2.46–3.57 s with it against 2.86–4.49 s without (four fresh processes each,
    alternating, load 1.2–2.3, 2026-12-02; peak RSS 1,133–1,139 MiB both)."""
    size = int(np.prod(shape, dtype=np.int64))
    if size * 8 <= PLAIN_PAGES_ABOVE:
        return np.zeros(shape)
    try:
        pages = _map(size * 8)
    except OSError as exc:  # as numpy would: a MemoryError (a worker's budget reports it)
        if exc.errno != errno.ENOMEM:
            raise
        raise MemoryError(f"cannot allocate {size * 8 / 2**20:,.0f} MiB for an array of "
                          f"shape {shape}") from None
    return np.frombuffer(pages, dtype=np.float64).reshape(shape)


def simulate_compiled(c: Compiled, scenario: str = "baseline",
                      progress: Callable[[int, int], None] | None = None, *,
                      runs: Runs | None = None, check_balance: bool = True) -> RawResult:
    """Run the cohort simulation of a compiled model.

    With ``runs``, every run is simulated in the same pass over the years and each array of
    the result has a run axis after the year axis (``T × runs × …``;
    :meth:`RawResult.run` takes one run out). ``check_balance=False`` leaves the mass-balance
    check to the caller (``balance_error`` is then 0)."""
    n_t = len(c.years)
    lead = () if runs is None else (runs.count,)
    n_p, n_q, n_m = len(c.products), len(c.parts), len(c.materials)
    n_d, n_n, n_e = len(c.sinks), len(c.processes), len(c.edges)
    n_r = len(c.repl_inst)

    def z(*shape: int) -> np.ndarray:
        return plain_zeros((n_t, *lead, *shape))

    out = RawResult(
        compiled=c, scenario=scenario,
        in_use=z(n_p), in_use_reused=z(n_p), new_products=z(n_p), reused_products=z(n_p),
        retired=z(n_p), replaced=z(n_r), parts_made=z(n_q), parts_reused=z(n_q),
        parts_reused_direct=z(n_q), parts_reused_spare=z(n_q), exposure=z(n_p),
        virgin=z(n_m), recycled=z(n_m), secondary_output=z(n_m), sink_input=z(n_d),
        activity=z(2, n_n), edges=z(n_e), use_stock_mass=z(), inventory=z(3),
        balance_error=0.0,
    )
    stepper = Stepper(c, runs)
    for t in range(n_t):
        stepper.step(t, out)
        if progress is not None:
            progress(t + 1, n_t)
    if not check_balance:
        return out
    out.balance_error = mass_balance_error(out)
    if not out.balance_error <= BALANCE_TOLERANCE:
        raise JunkanError(f"internal error: mass balance off by {out.balance_error:.3g} "
                          f"(relative) in scenario '{scenario}'; please report this model")
    return out


def node_balances(r: RawResult) -> dict[str, np.ndarray]:
    """In − out − stock change (kg) per stage node and year (and run, for many runs):
    ``[imbalance, throughput]`` stacked on a leading axis.

    Sources (virgin material) and sinks (markets, landfill, …) are not balanced nodes."""
    c = r.compiled
    stock = {st.USE: r.use_stock_mass, st.REFURBISHMENT: r.inventory[..., 0],
             st.REPROCESSING: r.inventory[..., 1], st.SECONDARY: r.inventory[..., 2]}
    sink_names = {c.sink_node(d) for d in range(len(c.sinks))
                  if c.model.processes[c.processes.names[c.sinks[d]]].kind != "recycling"}
    nodes = {n for edge in c.edges for n in edge} - {st.VIRGIN, st.SECOND_HAND,
                                                     st.SECONDARY_MARKET} - sink_names
    out = {}
    zero = np.zeros(r.use_stock_mass.shape)  # years (× runs)
    for node in nodes:
        inflow = sum((r.edges[..., i] for i, (_, dst) in enumerate(c.edges) if dst == node),
                     zero)
        outflow = sum((r.edges[..., i] for i, (src, _) in enumerate(c.edges) if src == node),
                      zero)
        s = stock.get(node)
        change = np.diff(s, axis=0, prepend=zero[:1]) if s is not None else 0.0
        out[node] = np.stack([inflow - outflow - change, np.maximum(inflow, outflow)])
    return out


BALANCE_FLOOR_KG = 1.0
"""Below this throughput the balance is judged in absolute kg (relative to 1 kg)."""
ROUNDOFF_SCALE = 1e-6
"""Below this share of the year's largest flow, a node's balance is judged against that
share (relative to 1e-6 × the largest flow: an imbalance of 1e-15 of it, a few units in the
last place of float64, fails). A flow that should be 0 may be found as the difference of
flows of the model's size — a parameter draw rebuilt from the multilinear form at a
collection rate of 0 left 2e-9 kg at a node of 1e-9 kg in a year whose largest flow was
2.1e7 kg (review 253) — round-off that a floor of 1 kg alone called an imbalance."""


def mass_balance_error(r: RawResult) -> float:
    """Largest relative imbalance |in − out − Δstock| / max(in, out, 1 kg, 1e-6 × the
    year's largest flow) over nodes and years (and runs)."""
    worst = 0.0
    floor = np.maximum(BALANCE_FLOOR_KG, ROUNDOFF_SCALE * np.abs(r.edges).max(
        axis=-1, initial=0.0))
    for bal in node_balances(r).values():
        rel = np.abs(bal[0]) / np.maximum(bal[1], floor)
        worst = max(worst, float(rel.max(initial=0.0)))
    return worst
