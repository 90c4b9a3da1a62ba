"""HTML report of a model's scenarios: headline table, a Sankey diagram of mass flows per
scenario and charts of the indicators over time, on a :class:`junkan.core.report.Page`
(plotly.js written beside it from the installed package: no CDN, works offline)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from junkan.core.report import PLOTLY_JS, Markup, Page
from junkan.lifecycle.results import Result, ratio
from junkan.lifecycle.sankey import sankey_data

__all__ = ["PLOTLY_JS", "SERIES", "material_share_figure", "report_page", "sankey_figure",
           "series_figure", "write_report"]


def sankey_figure(result: Result, title: str) -> go.Figure:
    """Sankey of mass flows (t) summed over the horizon, nodes in life-cycle columns."""
    data = sankey_data(result)
    nodes, links = data["nodes"], data["links"]
    fig = go.Figure(go.Sankey(
        arrangement="fixed", valueformat=",.0f", valuesuffix=" t",
        node={"label": [n["label"] for n in nodes], "pad": 14, "thickness": 14,
              "x": [n["x"] for n in nodes], "y": [n["y"] for n in nodes]},
        link={"source": [lk["source"] for lk in links], "target": [lk["target"] for lk in links],
              "value": [lk["value"] for lk in links]},
    ))
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 60, "b": 20})
    return fig


SERIES = [("co2e_t", "Life-cycle CO2e (t/yr)"), ("virgin_input_t", "Virgin material input (t/yr)"),
          ("recycled_share", "Recycled share of material inflow"),
          ("circular_inflow_share", "Circular inflow share (recycled + reused)"),
          ("reuse_rate", "Reuse rate of outflow"), ("recycling_rate", "Recycling rate of outflow"),
          ("final_disposal_t", "Final disposal (t/yr)")]


def series_figure(results: dict[str, Result], key: str, title: str) -> go.Figure:
    fig = go.Figure()
    for name, res in results.items():
        fig.add_trace(go.Scatter(x=res.years, y=res.indicator_series()[key], name=name,
                                 mode="lines"))
    fig.update_layout(title=title, height=320, margin={"l": 50, "r": 10, "t": 40, "b": 30},
                      legend={"orientation": "h"})
    return fig


def material_share_figure(results: dict[str, Result]) -> go.Figure | None:
    """Recycled share of inflow per material, for materials with any recycled input."""
    fig = go.Figure()
    first = next(iter(results.values()))
    mats = first.raw.compiled.materials
    used = [i for i in range(len(mats))
            if any(r.raw.recycled[:, i].sum() > 0 for r in results.values())]
    if not used:
        return None
    for name, res in results.items():
        tot = res.raw.recycled + res.raw.virgin
        share = ratio(res.raw.recycled, tot)  # gaps where no material is used
        for i in used:
            fig.add_trace(go.Scatter(x=res.years, y=share[:, i], mode="lines",
                                     name=f"{mats[i]} — {name}"))
    fig.update_layout(title="Recycled share of inflow by material", height=340,
                      margin={"l": 50, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h"})
    return fig


def report_page(comparison: dict[str, Any], results: dict[str, Result],
                source: str | os.PathLike[str] | None = None) -> Page:
    """The report of a scenario comparison (``compare_scenarios``) as a page: headline
    figures, totals, indicator charts and a Sankey per scenario."""
    scenarios = comparison["scenarios"]
    page = Page(comparison.get("title") or comparison["model"], source=source,
                subtitle=Markup("Model <code>{}</code>, baseline <code>{}</code>, currency {}.")
                .format(comparison["model"], comparison["baseline"], comparison["currency"]))
    heads = list(dict.fromkeys(k for s in scenarios for k in s["headline"]))  # model's order
    units = comparison.get("headline_units") or {}
    total_units = (comparison.get("units") or {}).get("totals") or {}
    page.table([[s["name"], *(_shown(s["headline"].get(k, "")) for k in heads)]
                for s in scenarios],
               columns=["scenario", *(f"{k} ({units[k]})" if k in units else k
                                      for k in heads)],
               caption="Headline figures (n/a: a ratio of zero to zero, or a comparison "
               "with a scenario of other years)", row_header=0)
    page.definitions(comparison.get("headline_descriptions") or {})
    for s in scenarios:
        if s.get("note"):
            page.paragraph(f"Scenario {s['name']} {s['note']}.", warning=True)
    spans = {tuple(s.get("years") or comparison["years"]) for s in scenarios}
    over = (f"Totals over {comparison['years'][0]}–{comparison['years'][1]}" if len(spans) == 1
            else "Totals over each scenario's own years: " + ", ".join(
                f"{s['name']} {s['years'][0]}–{s['years'][1]}" for s in scenarios))
    page.table([[k, total_units.get(k, ""), *(_shown(s["totals"][k]) for s in scenarios)]
                for k in scenarios[0]["totals"]],
               columns=["figure", "unit", *(s["name"] for s in scenarios)], row_header=0,
               caption=over)
    figs = [series_figure(results, k, t) for k, t in SERIES[:3]]
    share = material_share_figure(results)
    figs += ([share] if share is not None else []) + [series_figure(results, k, t)
                                                      for k, t in SERIES[3:]]
    figs += [sankey_figure(r, f"Mass flows, scenario {n} (t, whole horizon)")
             for n, r in results.items()]
    for f in figs:
        page.figure(f)
    return page


def _shown(value: Any) -> Any:
    """A figure for a table cell: ``None`` (a ratio 0/0, not defined) as ``n/a``."""
    return "n/a" if value is None else value


def write_report(path: Path, comparison: dict[str, Any], results: dict[str, Result],
                 source: str | os.PathLike[str] | None = None) -> Path:
    """Write ``report.html`` (and ``plotly.min.js`` beside it) and return its path."""
    return report_page(comparison, results, source).write(path)
