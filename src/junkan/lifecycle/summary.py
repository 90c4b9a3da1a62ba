"""A JSON summary of one run, for the API and the web UI: totals, per actor and stage,
indicator series, recycled share per material and the Sankey links."""

from __future__ import annotations

from typing import Any, TypedDict

from junkan.core.encoding import jsonable
from junkan.lifecycle.results import Result, ratio
from junkan.lifecycle.sankey import SankeyData, sankey_data

__all__ = ["RunSummary", "jsonable", "run_summary"]


class RunSummary(TypedDict):
    """One scenario's run in JSON types (NaN and infinities as ``None``)."""

    scenario: str
    currency: str
    years: list[int]
    totals: dict[str, float]
    """Whole-horizon totals (:meth:`Result.totals`)."""
    by_actor: dict[str, dict[str, float]]
    co2e_t_by_stage: dict[str, float]
    indicators: dict[str, Any]
    """Network indicators per year (:meth:`Result.indicator_series`); the service replaces
    them with the circularity frameworks' indicators."""
    recycled_share_by_material: dict[str, list[float]]
    recycled_share_by_material_total: dict[str, float]
    sankey: SankeyData
    mass_balance_max_relative_error: float
    units: dict[str, Any]
    """The unit of every figure above (:meth:`Result.units`)."""


def run_summary(result: Result) -> RunSummary:
    raw, c = result.raw, result.raw.compiled
    tot = raw.recycled + raw.virgin
    share = ratio(raw.recycled, tot)
    doc: RunSummary = jsonable({
        "scenario": result.scenario,
        "currency": result.currency,
        "years": result.years,
        "totals": result.totals(),
        "by_actor": result.by_actor(),
        "co2e_t_by_stage": result.by_stage(),
        "indicators": result.indicator_series(),
        "recycled_share_by_material": {m: share[:, i] for i, m in enumerate(c.materials)},
        "recycled_share_by_material_total": {
            m: float(ratio(raw.recycled[:, i].sum(), tot[:, i].sum()))
            for i, m in enumerate(c.materials)},
        "sankey": sankey_data(result),
        "mass_balance_max_relative_error": raw.balance_error,
        "units": result.units(),
    })
    return doc
