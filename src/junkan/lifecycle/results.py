"""Results of a simulation: indicators as material flow × unit factors, selections for
headline figures, and tidy tables.

Every indicator is computed per year, per actor and for the whole network from two arrays —
process activity (pieces, kg) and unit factors (原単位) — plus the mass flows, so any indicator
can be swapped in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.core.errors import JunkanError, short
from junkan.lifecycle import stages as st
from junkan.lifecycle.engine import RawResult
from junkan.lifecycle.schema import Selection
from junkan.lifecycle.step import cumulative_qty

if TYPE_CHECKING:
    import pandas as pd  # imported where a table is built: pandas costs start-up time

    from junkan.lifecycle.compiled import Compiled
    from junkan.lifecycle.summary import RunSummary

IMPACTS = ("co2e", "energy", "cost", "revenue")
TABLES = ("indicators", "products", "parts", "materials", "processes", "actors", "flows")
"""The tables of :meth:`Result.to_frame`."""


@dataclass
class Result:
    """One scenario's simulation result — or many runs' (:meth:`of_runs`): then every array
    of :attr:`raw` has a leading run axis, and the figure methods ending in ``_runs``
    (:meth:`select_runs`, :meth:`totals_runs`, :meth:`by_actor_runs`) and
    :meth:`indicator_series` give one value per run (the others need one run)."""

    raw: RawResult
    _impacts: np.ndarray | None = field(default=None, init=False, repr=False)

    @classmethod
    def of_runs(cls, raw: RawResult, compiled: Compiled) -> Result:
        """The result of many runs simulated together (``raw``: ``T × runs × …``, as
        :func:`~junkan.lifecycle.engine.simulate_compiled` gives them), figures per run;
        ``compiled``: the runs' model, an array the runs change with a leading run axis."""
        arrays = {f.name: np.moveaxis(getattr(raw, f.name), 1, 0)
                  for f in dataclasses.fields(raw)
                  if f.name not in ("compiled", "scenario", "balance_error")}
        return cls(dataclasses.replace(raw, compiled=compiled, **arrays))

    @property
    def scenario(self) -> str:
        return self.raw.scenario

    @property
    def years(self) -> np.ndarray:
        return self.raw.compiled.years

    @property
    def currency(self) -> str:
        return self.raw.compiled.model.currency

    # ---- basic arrays -----------------------------------------------------------------------
    def impacts(self) -> np.ndarray:
        """(T, N, 4): CO2e kg, energy MJ, cost, revenue per process and year
        (pieces × per-piece factors + kg × per-kg factors)."""
        if self._impacts is None:  # a result never changes: compute once
            f = self.raw.compiled.processes.factors  # (N, 2, 4)
            imp = np.einsum("...tbn,...nbf->...tnf", self.raw.activity, f)
            imp.flags.writeable = False  # shared by every caller
            self._impacts = imp
        return self._impacts

    def outflow_kg(self) -> np.ndarray:
        """Mass leaving use per year (retired products + replaced parts), kg."""
        c = self.raw.compiled
        out = _times(self.raw.retired, c.product_mass)
        if len(c.repl_inst):
            out = out + _times(self.raw.replaced, c.part_mass[..., c.inst_type[c.repl_inst]])
        return np.asarray(out)

    def instance_pieces(self) -> np.ndarray:
        """Pieces of each part instance in one product (K,): the BOM's quantities per
        parent multiplied down from the product (:func:`~junkan.lifecycle.step.cumulative_qty`)."""
        c = self.raw.compiled
        return cumulative_qty(c, c.inst_qty_rel)

    def reused_input_kg(self) -> np.ndarray:
        c = self.raw.compiled
        return np.asarray(_times(self.raw.parts_reused_direct, c.part_mass) +
                          _times(self.raw.reused_products, c.product_mass))

    def reuse_kg(self) -> np.ndarray:
        """Mass recovered for reuse or remanufacture per year (at recovery), kg."""
        c = self.raw.compiled
        idx = [i for i, (_, dst) in enumerate(c.edges) if dst in st.REUSE_NODES]
        return np.asarray(self.raw.edges[..., idx].sum(axis=-1))

    def sink_kind_kg(self, kind: str) -> np.ndarray:
        c = self.raw.compiled
        cols = [d for d, j in enumerate(c.sinks) if c.processes.kind[j] == kind]
        return np.asarray(self.raw.sink_input[..., cols].sum(axis=-1))

    # ---- selections -------------------------------------------------------------------------
    def _process_mask(self, sel: Selection) -> np.ndarray:
        tbl = self.raw.compiled.processes
        mask = np.ones(len(tbl.names), dtype=bool)
        if sel.processes is not None:
            unknown = [p for p in sel.processes if p not in tbl.index]
            if unknown:
                raise JunkanError(f"unknown process {short(unknown[0])} in a headline selection; "
                                  f"known: {', '.join(tbl.names)}")
            mask &= np.isin(tbl.names, sel.processes)
        if sel.actors is not None:
            known = self.raw.compiled.model.actors
            unknown = [a for a in sel.actors if a not in known]
            if unknown:  # a misspelt actor would give 0 (review 220)
                raise JunkanError(f"unknown actor {short(unknown[0])} in a headline selection; "
                                  f"known: {', '.join(known)}")
            mask &= np.isin(tbl.actor, sel.actors)
        if sel.stages is not None:
            mask &= np.isin(tbl.stage, sel.stages)
        return mask

    def _selected(self, arr: np.ndarray, names: list[str], name: str | None,
                  what: str) -> np.ndarray:
        """Per-year sum of ``arr`` (T × items) over all items, or over the one named."""
        if name is None:
            return np.asarray(arr.sum(axis=-1))
        if name not in names:
            raise JunkanError(f"unknown {what} {short(name)} in a headline selection; known: "
                              f"{', '.join(names)}")
        return np.asarray(arr[..., names.index(name)])

    def metric(self, sel: Selection) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-year numerator and (for ratios) denominator of a selection."""
        r, c = self.raw, self.raw.compiled
        m = sel.metric
        if m in IMPACTS or m in ("margin", "activity"):
            mask = self._process_mask(sel)
            if m == "activity":
                return r.activity[..., 0, :][..., mask].sum(axis=-1), None
            imp = self.impacts()[..., mask, :]
            if m == "margin":
                return imp[..., 3].sum(axis=-1) - imp[..., 2].sum(axis=-1), None
            return imp[..., IMPACTS.index(m)].sum(axis=-1), None
        virgin = self._selected(r.virgin, c.materials, sel.material, "material")
        recycled = self._selected(r.recycled, c.materials, sel.material, "material")
        if m == "virgin_input":
            return virgin, None
        if m == "recycled_input":
            return recycled, None
        if m == "recycled_share":
            return recycled, recycled + virgin
        if m == "reused_input":
            return self.reused_input_kg(), None
        if m == "circular_inflow_share":
            reused = self.reused_input_kg()
            rec, vir = r.recycled.sum(axis=-1), r.virgin.sum(axis=-1)
            return rec + reused, rec + reused + vir
        if m == "outflow":
            return self.outflow_kg(), None
        if m == "reuse_rate":
            return self.reuse_kg(), self.outflow_kg()
        if m == "recycling_rate":
            return r.secondary_output.sum(axis=-1), self.outflow_kg()
        if m == "final_disposal":
            return self.sink_kind_kg("landfill"), None
        if m == "products_made":
            return self._selected(r.new_products, c.products, sel.product, "product"), None
        if m == "parts_made":
            return self._selected(r.parts_made, c.parts, sel.part, "part"), None
        if m == "stock":
            return self._selected(r.in_use, c.products, sel.product, "product"), None
        raise JunkanError(f"unknown metric {short(m)}")

    def select(self, sel: Selection) -> float:
        """Aggregate a selection over its years (sum or annual mean); ratios after summing."""
        return float(self.select_runs(sel))

    def select_runs(self, sel: Selection) -> np.ndarray:
        """:meth:`select` of each run (an array of the leading axes)."""
        num, den = self.metric(sel)
        mask = np.ones(len(self.years), dtype=bool)
        if sel.years is not None:
            lo, hi = sel.years
            mask = (self.years >= lo) & (self.years <= hi)
            if lo > hi or lo < self.years[0] or hi > self.years[-1]:  # never clipped
                raise JunkanError(f"years {lo}–{hi} are not within the model horizon "
                                  f"{self.years[0]}–{self.years[-1]}")
        agg = np.mean if sel.aggregate == "mean" else np.sum
        value = np.asarray(agg(num[..., mask], axis=-1), dtype=float)
        if den is not None:  # a ratio: 0/0 is not defined (NaN; null in JSON)
            value = divide(value, np.asarray(agg(den[..., mask], axis=-1), dtype=float))
        if sel.per is not None:
            value = divide(value, self.select_runs(sel.per))
        return value

    # ---- summaries --------------------------------------------------------------------------
    def totals(self) -> dict[str, float]:
        """Whole-horizon figures of the network (masses in t, CO2e in t, energy in GJ)."""
        return {k: float(v) for k, v in self.totals_runs().items()}

    def totals_runs(self) -> dict[str, np.ndarray]:
        """:meth:`totals` of each run (arrays of the leading axes)."""
        r = self.raw
        imp = self.impacts().sum(axis=(-3, -2))
        vir, rec = _whole(r.virgin), _whole(r.recycled)
        reused = self.reused_input_kg().sum(axis=-1)
        out = self.outflow_kg().sum(axis=-1)
        return {
            "co2e_t": imp[..., 0] / 1000,
            "energy_GJ": imp[..., 1] / 1000,
            f"cost_{self.currency}": imp[..., 2],
            f"revenue_{self.currency}": imp[..., 3],
            f"margin_{self.currency}": imp[..., 3] - imp[..., 2],
            "virgin_input_t": vir / 1000,
            "recycled_input_t": rec / 1000,
            "reused_input_t": reused / 1000,
            "recycled_share": divide(rec, rec + vir),
            "circular_inflow_share": divide(rec + reused, rec + reused + vir),
            "outflow_t": out / 1000,
            "reuse_rate": divide(self.reuse_kg().sum(axis=-1), out),
            "recycling_rate": divide(_whole(r.secondary_output), out),
            "energy_recovery_t": (self.sink_kind_kg("energy_recovery").sum(axis=-1)
                                  + self.sink_kind_kg("incineration").sum(axis=-1)) / 1000,
            "final_disposal_t": self.sink_kind_kg("landfill").sum(axis=-1) / 1000,
            "export_t": self.sink_kind_kg("export").sum(axis=-1) / 1000,
        }

    def units(self) -> dict[str, Any]:
        """The unit of every figure of :meth:`totals`, :meth:`by_actor`, :meth:`by_stage` and
        :meth:`indicator_series` (series are per year); shares are ``fraction``."""
        return figure_units(self.currency)

    def by_actor(self) -> dict[str, dict[str, float]]:
        """CO2e (t), cost, revenue and margin of each actor's processes over the horizon."""
        return {a: {k: float(v) for k, v in d.items()} for a, d in self.by_actor_runs().items()}

    def by_actor_runs(self) -> dict[str, dict[str, np.ndarray]]:
        """:meth:`by_actor` of each run (arrays of the leading axes)."""
        tbl = self.raw.compiled.processes
        imp = self.impacts().sum(axis=-3)
        zero = np.zeros(imp.shape[:-2])
        out: dict[str, dict[str, np.ndarray]] = {}
        for i, a in enumerate(tbl.actor):  # process by process, as one run adds them
            d = out.setdefault(a, {"co2e_t": zero, "cost": zero, "revenue": zero,
                                   "margin": zero})
            d["co2e_t"] = d["co2e_t"] + imp[..., i, 0] / 1000
            d["cost"] = d["cost"] + imp[..., i, 2]
            d["revenue"] = d["revenue"] + imp[..., i, 3]
            d["margin"] = d["margin"] + (imp[..., i, 3] - imp[..., i, 2])
        return out

    def by_stage(self) -> dict[str, float]:
        tbl = self.raw.compiled.processes
        imp = self.impacts().sum(axis=0)
        out: dict[str, float] = {}
        for i, s in enumerate(tbl.stage):
            out[s] = out.get(s, 0.0) + imp[i, 0] / 1000
        return out

    # ---- tables -----------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables (:data:`TABLES`); the unit is part of every value column's name."""
        processes = self._processes_table()
        return {"processes": processes, "flows": self._flows_table(),
                "materials": self._materials_table(), "products": self._products_table(),
                "parts": self._parts_table(), "actors": self._actors_table(processes),
                "indicators": self._indicators_table()}

    def to_frame(self, table: str = "indicators") -> pd.DataFrame:
        """One tidy table of :data:`TABLES`: ``indicators`` (network figures per year, the
        default), ``products``, ``parts``, ``materials``, ``processes``, ``actors`` (per year
        and item) or ``flows`` (kg per stage edge and year)."""
        if table not in TABLES:
            raise KeyError(f"unknown table {short(table)}; known: {', '.join(TABLES)}")
        if table == "actors":
            return self._actors_table(self._processes_table())
        build: Callable[[], pd.DataFrame] = getattr(self, f"_{table}_table")
        return build()

    def to_json(self) -> RunSummary:
        """The run summary (JSON types): totals, per actor and stage, indicator series,
        recycled share per material and the Sankey links."""
        from junkan.lifecycle.summary import run_summary

        return run_summary(self)

    def report(self, path: str | Path) -> Path:
        """Write the HTML report of this one scenario (see :meth:`Comparison.report`)."""
        from junkan.lifecycle.comparison import Comparison

        return Comparison.of({self.scenario: self}).report(path)

    def _processes_table(self) -> pd.DataFrame:
        r, tbl, cur = self.raw, self.raw.compiled.processes, self.currency
        imp = self.impacts()
        return _long(self.years, {"process": tbl.names, "actor": tbl.actor,
                                  "stage": tbl.stage}, {
            "activity_piece": r.activity[:, 0, :], "activity_kg": r.activity[:, 1, :],
            "co2e_kg": imp[:, :, 0], "energy_MJ": imp[:, :, 1],
            f"cost_{cur}": imp[:, :, 2], f"revenue_{cur}": imp[:, :, 3]})

    def _flows_table(self) -> pd.DataFrame:
        c = self.raw.compiled
        return _long(self.years, {"source": [s for s, _ in c.edges],
                                  "target": [d for _, d in c.edges]}, {"mass_kg": self.raw.edges})

    def _materials_table(self) -> pd.DataFrame:
        r = self.raw
        materials = _long(self.years, {"material": r.compiled.materials}, {
            "virgin_kg": r.virgin, "recycled_kg": r.recycled,
            "secondary_output_kg": r.secondary_output})
        tot = materials["virgin_kg"] + materials["recycled_kg"]
        materials["recycled_share"] = ratio(materials["recycled_kg"].to_numpy(), tot.to_numpy())
        return materials

    def _products_table(self) -> pd.DataFrame:
        r, c = self.raw, self.raw.compiled
        return _long(self.years, {"product": c.products}, {
            "sales_piece": c.sales.T, "new_piece": r.new_products,
            "reused_piece": r.reused_products, "retired_piece": r.retired,
            "in_use_piece": r.in_use, "in_use_reused_piece": r.in_use_reused,
            "exposure_piece_year": r.exposure})

    def _parts_table(self) -> pd.DataFrame:
        r, c = self.raw, self.raw.compiled
        n_q = len(c.parts)
        replaced = np.zeros((len(self.years), n_q))
        for j, k in enumerate(c.repl_inst):
            replaced[:, c.inst_type[k]] += r.replaced[:, j]
        return _long(self.years, {"part": c.parts}, {
            "made_piece": r.parts_made, "reused_piece": r.parts_reused,
            "reused_spare_piece": r.parts_reused_spare, "replaced_piece": replaced})

    def _actors_table(self, processes: pd.DataFrame) -> pd.DataFrame:
        cur = self.currency
        actors = (processes.groupby(["year", "actor"], as_index=False)
                  [["co2e_kg", "energy_MJ", f"cost_{cur}", f"revenue_{cur}"]].sum())
        actors[f"margin_{cur}"] = actors[f"revenue_{cur}"] - actors[f"cost_{cur}"]
        return actors

    def _indicators_table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"year": self.years, **self.indicator_series()})

    def indicator_series(self) -> dict[str, np.ndarray]:
        """Network indicators per year (column name carries the unit)."""
        r = self.raw
        imp = self.impacts().sum(axis=-2)
        out = self.outflow_kg()
        vir, rec = r.virgin.sum(axis=-1), r.recycled.sum(axis=-1)
        reused = self.reused_input_kg()

        return {
            "co2e_t": imp[..., 0] / 1000,
            "energy_GJ": imp[..., 1] / 1000,
            f"cost_{self.currency}": imp[..., 2],
            f"revenue_{self.currency}": imp[..., 3],
            "virgin_input_t": vir / 1000,
            "recycled_input_t": rec / 1000,
            "reused_input_t": reused / 1000,
            "recycled_share": ratio(rec, rec + vir),
            "circular_inflow_share": ratio(rec + reused, rec + reused + vir),
            "outflow_t": out / 1000,
            "reuse_rate": ratio(self.reuse_kg(), out),
            "recycling_rate": ratio(r.secondary_output.sum(axis=-1), out),
            "final_disposal_t": self.sink_kind_kg("landfill") / 1000,
            "in_use_piece": r.in_use.sum(axis=-1),
        }


def divide(a: Any, b: Any) -> np.ndarray:
    """``a / b`` element-wise, NaN where ``b`` is 0: 0/0 is not defined (NaN, ``null`` in
    JSON), not 0."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return np.divide(a, b, out=np.full(a.shape, np.nan), where=b != 0)


def _times(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Σ over the last axis of ``a`` (… × T × X) times ``v`` (X, or runs × X): a matrix
    product for one run, one per run for many."""
    if a.ndim == 2 and v.ndim == 1:
        return np.asarray(a @ v)
    return np.asarray(np.einsum("...tx,...x->...t", a, v))


def _whole(a: np.ndarray) -> np.ndarray:
    """Σ over years and items of ``a`` (… × T × X)."""
    return np.asarray(a.sum(axis=(-2, -1)))


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` element-wise, NaN where ``b`` is 0 (a share of nothing is not defined)."""
    a = np.asarray(a, dtype=float)
    return np.divide(a, b, out=np.full_like(a, np.nan), where=np.asarray(b) > 0)


def _long(years: np.ndarray, labels: dict[str, list[str]],
          values: dict[str, np.ndarray]) -> pd.DataFrame:
    """A tidy table: one row per year × label, from (T, n) value arrays."""
    import pandas as pd

    n = len(next(iter(labels.values())))
    cols: dict[str, object] = {"year": np.repeat(years, n)}
    cols.update({k: np.tile(v, len(years)) for k, v in labels.items()})
    cols.update({k: np.asarray(v).ravel() for k, v in values.items()})
    return pd.DataFrame(cols)


def figure_units(cur: str) -> dict[str, Any]:
    """:meth:`Result.units` of a model whose currency is ``cur``."""
    totals = {"co2e_t": "tCO2e", "energy_GJ": "GJ", f"cost_{cur}": cur,
              f"revenue_{cur}": cur, f"margin_{cur}": cur}
    for key in ("virgin_input_t", "recycled_input_t", "reused_input_t", "outflow_t",
                "energy_recovery_t", "final_disposal_t", "export_t"):
        totals[key] = "t"
    for key in ("recycled_share", "circular_inflow_share", "reuse_rate", "recycling_rate"):
        totals[key] = "fraction"
    series = {k: (u if u == "fraction" else f"{u}/year") for k, u in totals.items()
              if not k.startswith(("margin_", "energy_recovery", "export"))}
    series["in_use_piece"] = "piece"
    by_actor = {"co2e_t": "tCO2e", "cost": cur, "revenue": cur, "margin": cur}
    return {"totals": totals, "change_vs_baseline": totals,
            "by_actor": by_actor, "by_actor_change_vs_baseline": by_actor,
            "co2e_t_by_stage": "tCO2e", "indicators": series,
            "recycled_share_by_material": "fraction",
            "mass_balance_max_relative_error": "fraction"}
