"""HTML report of a model's scenarios: headline table, a Sankey diagram of mass flows per
scenario and charts of the indicators over time. Plotly's JavaScript is copied from the
installed package next to the report (no CDN; works offline)."""

from __future__ import annotations

import html
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from junkan.lifecycle.results import Result
from junkan.lifecycle.sankey import sankey_data

PLOTLY_JS = "plotly.min.js"


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
        share = np.divide(res.raw.recycled, tot, out=np.zeros_like(tot), where=tot > 0)
        for i in used:
            fig.add_trace(go.Scatter(x=res.years, y=share[:, i], mode="lines",
                                     name=f"{mats[i]} — {name}"))
    fig.update_layout(title="Recycled share of inflow by material", height=340,
                      margin={"l": 50, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h"})
    return fig


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        x = float(v)
        return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return html.escape(str(v))


def write_report(path: Path, comparison: dict[str, Any], results: dict[str, Result]) -> Path:
    """Write ``report.html`` (and ``plotly.min.js`` beside it) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    js = resources.files("plotly") / "package_data" / PLOTLY_JS
    with resources.as_file(js) as js_path:
        shutil.copyfile(js_path, path.parent / PLOTLY_JS)
    parts = []
    heads = sorted({k for s in comparison["scenarios"] for k in s["headline"]})
    rows = "".join(
        "<tr><th scope='row'>" + html.escape(s["name"]) + "</th>" +
        "".join(f"<td>{_fmt(s['headline'].get(k, ''))}</td>" for k in heads) + "</tr>"
        for s in comparison["scenarios"])
    head_cells = "".join(f"<th scope='col'>{html.escape(k)}</th>" for k in heads)
    parts.append(f"<table><caption>Headline figures</caption><thead><tr><th>scenario</th>"
                 f"{head_cells}</tr></thead><tbody>{rows}</tbody></table>")
    described = comparison.get("headline_descriptions") or {}
    if described:
        parts.append("<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
                                      for k, v in described.items() if v) + "</dl>")
    tot_keys = list(comparison["scenarios"][0]["totals"])
    rows = "".join(
        "<tr><th scope='row'>" + html.escape(k) + "</th>" +
        "".join(f"<td>{_fmt(s['totals'][k])}</td>" for s in comparison["scenarios"]) + "</tr>"
        for k in tot_keys)
    names = "".join(f"<th scope='col'>{html.escape(s['name'])}</th>"
                    for s in comparison["scenarios"])
    parts.append(f"<table><caption>Totals over {comparison['years'][0]}–{comparison['years'][1]}"
                 f"</caption><thead><tr><th>figure</th>{names}</tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    figs = [series_figure(results, k, t) for k, t in SERIES[:3]]
    share = material_share_figure(results)
    figs += ([share] if share is not None else []) + [series_figure(results, k, t)
                                                      for k, t in SERIES[3:]]
    figs += [sankey_figure(r, f"Mass flows, scenario {n} (t, whole horizon)")
             for n, r in results.items()]
    for f in figs:
        parts.append(f.to_html(full_html=False, include_plotlyjs=False))
    title = html.escape(comparison.get("title") or comparison["model"])
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — junkan report</title>
<script src="{PLOTLY_JS}"></script>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;
text-align:right}}caption{{font-weight:bold;text-align:left}}dt{{font-weight:bold}}
dd{{margin:0 0 .4rem 1rem}}</style></head>
<body><h1>{title}</h1><p>Model <code>{html.escape(comparison['model'])}</code>, baseline
<code>{html.escape(comparison['baseline'])}</code>, currency {comparison['currency']}.
Generated by junkan.</p>
{''.join(parts)}
</body></html>"""
    path.write_text(doc, encoding="utf-8")
    return path
