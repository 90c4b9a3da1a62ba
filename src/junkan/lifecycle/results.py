"""Results of a simulation: indicators as material flow × unit factors, tidy tables, headline
figures and scenario comparison.

Every indicator is computed per year, per actor and for the whole network from two arrays —
process activity (pieces, kg) and unit factors — plus the mass flows: that is seed 003's
"indicators from material flow × 原単位", so any indicator can be swapped in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from junkan.core.errors import JunkanError, short
from junkan.core.quantities import parse_unit
from junkan.core.registry import Q_
from junkan.lifecycle import compile as cm
from junkan.lifecycle.engine import RawResult
from junkan.lifecycle.schema import Headline, Selection

IMPACTS = ("co2e", "energy", "cost", "revenue")


@dataclass
class Result:
    """One scenario's simulation result."""

    raw: RawResult
    _impacts: np.ndarray | None = field(default=None, init=False, repr=False)

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
            imp = np.einsum("tbn,nbf->tnf", self.raw.activity, f)
            imp.flags.writeable = False  # shared by every caller
            self._impacts = imp
        return self._impacts

    def outflow_kg(self) -> np.ndarray:
        """Mass leaving use per year (retired products + replaced parts), kg."""
        c = self.raw.compiled
        out = self.raw.retired @ c.product_mass
        if len(c.repl_inst):
            out = out + self.raw.replaced @ c.part_mass[c.inst_type[c.repl_inst]]
        return np.asarray(out)

    def reused_input_kg(self) -> np.ndarray:
        c = self.raw.compiled
        return np.asarray(self.raw.parts_reused @ c.part_mass +
                          self.raw.reused_products @ c.product_mass)

    def reuse_kg(self) -> np.ndarray:
        """Mass recovered for reuse or remanufacture per year (at recovery), kg."""
        c = self.raw.compiled
        idx = [i for i, (_, dst) in enumerate(c.edges) if dst in (cm.REFURBISHMENT,
                                                                   cm.REPROCESSING)]
        return np.asarray(self.raw.edges[:, idx].sum(axis=1))

    def sink_kind_kg(self, kind: str) -> np.ndarray:
        c = self.raw.compiled
        cols = [d for d, j in enumerate(c.sinks) if c.processes.kind[j] == kind]
        return np.asarray(self.raw.sink_input[:, cols].sum(axis=1))

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
            mask &= np.isin(tbl.actor, sel.actors)
        if sel.stages is not None:
            mask &= np.isin(tbl.stage, sel.stages)
        return mask

    def _selected(self, arr: np.ndarray, names: list[str], name: str | None,
                  what: str) -> np.ndarray:
        """Per-year sum of ``arr`` (T × items) over all items, or over the one named."""
        if name is None:
            return np.asarray(arr.sum(axis=1))
        if name not in names:
            raise JunkanError(f"unknown {what} {short(name)} in a headline selection; known: "
                              f"{', '.join(names)}")
        return np.asarray(arr[:, names.index(name)])

    def metric(self, sel: Selection) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-year numerator and (for ratios) denominator of a selection."""
        r, c = self.raw, self.raw.compiled
        m = sel.metric
        if m in IMPACTS or m in ("margin", "activity"):
            mask = self._process_mask(sel)
            if m == "activity":
                return r.activity[:, 0, mask].sum(axis=1), None
            imp = self.impacts()[:, mask, :]
            if m == "margin":
                return imp[:, :, 3].sum(axis=1) - imp[:, :, 2].sum(axis=1), None
            return imp[:, :, IMPACTS.index(m)].sum(axis=1), None
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
            rec, vir = r.recycled.sum(axis=1), r.virgin.sum(axis=1)
            return rec + reused, rec + reused + vir
        if m == "outflow":
            return self.outflow_kg(), None
        if m == "reuse_rate":
            return self.reuse_kg(), self.outflow_kg()
        if m == "recycling_rate":
            return r.secondary_output.sum(axis=1), self.outflow_kg()
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
        num, den = self.metric(sel)
        mask = np.ones(len(self.years), dtype=bool)
        if sel.years is not None:
            lo, hi = sel.years
            mask = (self.years >= lo) & (self.years <= hi)
            if not mask.any():
                raise JunkanError(f"years {lo}–{hi} are outside the model horizon "
                                  f"{self.years[0]}–{self.years[-1]}")
        agg = np.mean if sel.aggregate == "mean" else np.sum
        value = float(agg(num[mask]))
        if den is not None:
            d = float(agg(den[mask]))
            value = value / d if d else 0.0
        if sel.per is not None:
            d = self.select(sel.per)
            value = value / d if d else float("nan")
        return value

    # ---- summaries --------------------------------------------------------------------------
    def totals(self) -> dict[str, float]:
        """Whole-horizon figures of the network (masses in t, CO2e in t, energy in GJ)."""
        r = self.raw
        imp = self.impacts().sum(axis=(0, 1))
        vir, rec = r.virgin.sum(), r.recycled.sum()
        reused = self.reused_input_kg().sum()
        out = self.outflow_kg().sum()
        return {
            "co2e_t": imp[0] / 1000,
            "energy_GJ": imp[1] / 1000,
            f"cost_{self.currency}": imp[2],
            f"revenue_{self.currency}": imp[3],
            f"margin_{self.currency}": imp[3] - imp[2],
            "virgin_input_t": vir / 1000,
            "recycled_input_t": rec / 1000,
            "reused_input_t": reused / 1000,
            "recycled_share": rec / (rec + vir) if rec + vir else 0.0,
            "circular_inflow_share": (rec + reused) / (rec + reused + vir)
            if rec + reused + vir else 0.0,
            "outflow_t": out / 1000,
            "reuse_rate": self.reuse_kg().sum() / out if out else 0.0,
            "recycling_rate": r.secondary_output.sum() / out if out else 0.0,
            "energy_recovery_t": (self.sink_kind_kg("energy_recovery").sum()
                                  + self.sink_kind_kg("incineration").sum()) / 1000,
            "final_disposal_t": self.sink_kind_kg("landfill").sum() / 1000,
            "export_t": self.sink_kind_kg("export").sum() / 1000,
        }

    def by_actor(self) -> dict[str, dict[str, float]]:
        tbl = self.raw.compiled.processes
        imp = self.impacts().sum(axis=0)
        out: dict[str, dict[str, float]] = {}
        for i, a in enumerate(tbl.actor):
            d = out.setdefault(a, {"co2e_t": 0.0, "cost": 0.0, "revenue": 0.0, "margin": 0.0})
            d["co2e_t"] += imp[i, 0] / 1000
            d["cost"] += imp[i, 2]
            d["revenue"] += imp[i, 3]
            d["margin"] += imp[i, 3] - imp[i, 2]
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
        """Tidy tables; the unit is part of every value column's name."""
        r, c = self.raw, self.raw.compiled
        years = self.years
        cur = self.currency
        tbl = c.processes
        imp = self.impacts()
        processes = _long(years, {"process": tbl.names, "actor": tbl.actor,
                                  "stage": tbl.stage}, {
            "activity_piece": r.activity[:, 0, :], "activity_kg": r.activity[:, 1, :],
            "co2e_kg": imp[:, :, 0], "energy_MJ": imp[:, :, 1],
            f"cost_{cur}": imp[:, :, 2], f"revenue_{cur}": imp[:, :, 3]})
        flows = _long(years, {"source": [s for s, _ in c.edges],
                              "target": [d for _, d in c.edges]}, {"mass_kg": r.edges})
        materials = _long(years, {"material": c.materials}, {
            "virgin_kg": r.virgin, "recycled_kg": r.recycled,
            "secondary_output_kg": r.secondary_output})
        tot = materials["virgin_kg"] + materials["recycled_kg"]
        materials["recycled_share"] = np.where(tot > 0, materials["recycled_kg"] /
                                               tot.where(tot > 0, 1), 0.0)
        products = _long(years, {"product": c.products}, {
            "sales_piece": c.sales.T, "new_piece": r.new_products,
            "reused_piece": r.reused_products, "retired_piece": r.retired,
            "in_use_piece": r.in_use, "in_use_reused_piece": r.in_use_reused})
        parts = _long(years, {"part": c.parts}, {"made_piece": r.parts_made,
                                                 "reused_piece": r.parts_reused})
        actors = (processes.groupby(["year", "actor"], as_index=False)
                  [["co2e_kg", "energy_MJ", f"cost_{cur}", f"revenue_{cur}"]].sum())
        actors[f"margin_{cur}"] = actors[f"revenue_{cur}"] - actors[f"cost_{cur}"]
        ind = self.indicator_series()
        indicators = pd.DataFrame({"year": years, **ind})
        return {"processes": processes, "flows": flows, "materials": materials,
                "products": products, "parts": parts, "actors": actors,
                "indicators": indicators}

    def indicator_series(self) -> dict[str, np.ndarray]:
        """Network indicators per year (column name carries the unit)."""
        r = self.raw
        imp = self.impacts().sum(axis=1)
        out = self.outflow_kg()
        vir, rec = r.virgin.sum(axis=1), r.recycled.sum(axis=1)
        reused = self.reused_input_kg()

        def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b > 0)

        return {
            "co2e_t": imp[:, 0] / 1000,
            "energy_GJ": imp[:, 1] / 1000,
            f"cost_{self.currency}": imp[:, 2],
            f"revenue_{self.currency}": imp[:, 3],
            "virgin_input_t": vir / 1000,
            "recycled_input_t": rec / 1000,
            "reused_input_t": reused / 1000,
            "recycled_share": ratio(rec, rec + vir),
            "circular_inflow_share": ratio(rec + reused, rec + reused + vir),
            "outflow_t": out / 1000,
            "reuse_rate": ratio(self.reuse_kg(), out),
            "recycling_rate": ratio(r.secondary_output.sum(axis=1), out),
            "final_disposal_t": self.sink_kind_kg("landfill") / 1000,
            "in_use_piece": r.in_use.sum(axis=1),
        }


def _long(years: np.ndarray, labels: dict[str, list[str]],
          values: dict[str, np.ndarray]) -> pd.DataFrame:
    """A tidy table: one row per year × label, from (T, n) value arrays."""
    n = len(next(iter(labels.values())))
    cols: dict[str, object] = {"year": np.repeat(years, n)}
    cols.update({k: np.tile(v, len(years)) for k, v in labels.items()})
    cols.update({k: np.asarray(v).ravel() for k, v in values.items()})
    return pd.DataFrame(cols)


def headline_value(h: Headline, results: dict[str, Result], scenario: str,
                   baseline: str) -> float:
    """Evaluate one headline figure for ``scenario``."""
    value = results[scenario].select(h)
    if h.compare != "value":
        ref_name = h.relative_to or baseline
        if ref_name not in results:
            raise JunkanError(f"headline refers to unknown scenario {short(ref_name)}; known: "
                              f"{', '.join(results)}")
        ref = results[ref_name].select(h)
        if h.compare == "change":
            value = value - ref
        elif h.compare == "change_index":
            base = results[baseline].select(h)
            value = (value - base) / (ref - base) if ref != base else float("nan")
        elif h.compare == "reduction":
            value = ref - value
        else:
            value = value / ref if ref else float("nan")
    if h.unit and h.compare != "index":
        value = convert_display(value, h.metric, h.unit, results[scenario].currency)
    return value


BASE_UNITS = {"co2e": "kgCO2e", "energy": "MJ", "virgin_input": "kg", "recycled_input": "kg",
              "reused_input": "kg", "outflow": "kg", "final_disposal": "kg",
              "products_made": "piece", "parts_made": "piece", "stock": "piece"}


def convert_display(value: float, metric: str, unit: str, currency: str) -> float:
    base = BASE_UNITS.get(metric, currency if metric in ("cost", "revenue", "margin") else "")
    if not base:
        raise JunkanError(f"metric {short(metric)} is a ratio or index; remove 'unit: {unit}'")
    target = f"{unit}CO2e" if base == "kgCO2e" and unit in ("t", "kg", "g") else unit
    try:
        return float(Q_(value, parse_unit(base)).to(parse_unit(target)).magnitude)
    except Exception:
        raise JunkanError(f"cannot show {metric} ({base}) in {short(unit)}") from None


def comparison_document(model_name: str, title: str | None, baseline: str,
                        results: dict[str, Result], headlines: dict[str, Headline],
                        descriptions: dict[str, str | None],
                        indicator_hook: Any = None) -> dict[str, Any]:
    """The JSON document ``junkan compare --format json`` prints."""
    base_tot = results[baseline].totals()
    base_actor = results[baseline].by_actor()
    scen = []
    for name, res in results.items():
        tot = res.totals()
        head = {}
        for key, h in headlines.items():
            if h.scenarios is not None and name not in h.scenarios:
                continue
            head[key] = headline_value(h, results, name, baseline)
        scen.append({
            "name": name,
            "description": descriptions.get(name),
            "headline": head,
            "totals": tot,
            "change_vs_baseline": {k: tot[k] - base_tot[k] for k in tot},
            "by_actor": res.by_actor(),
            "by_actor_change_vs_baseline": {
                a: {k: v - base_actor.get(a, {}).get(k, 0.0) for k, v in d.items()}
                for a, d in res.by_actor().items()},
            "co2e_t_by_stage": res.by_stage(),
            "mass_balance_max_relative_error": res.raw.balance_error,
        })
        if indicator_hook is not None:
            scen[-1].update(indicator_hook(res, tot, base_tot))
    first = results[baseline]
    return {"model": model_name, "title": title, "baseline": baseline,
            "years": [int(first.years[0]), int(first.years[-1])],
            "currency": first.currency,
            "headline_descriptions": {k: h.description for k, h in headlines.items()},
            "scenarios": scen}
