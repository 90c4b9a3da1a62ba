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

from junkan.lifecycle import compile as cm
from junkan.lifecycle.results import Result

PLOTLY_JS = "plotly.min.js"


STOCK_LABEL = "Held at end of horizon"


def _column(node: str, result: Result) -> float:
    """Horizontal position of a stage node: supply → make → use → collect → dismantle →
    recycle → sinks, so loops read as arcs back to the left."""
    fixed = {cm.VIRGIN: 0.001, cm.SECONDARY: 0.001, cm.REPROCESSING: 0.001,
             cm.REFURBISHMENT: 0.001, cm.MANUFACTURING: 0.18, cm.USE: 0.36,
             cm.EOL_COLLECTION: 0.54, cm.MAINT_COLLECTION: 0.54, cm.DISMANTLING: 0.70,
             cm.SECOND_HAND: 0.999, cm.SECONDARY_MARKET: 0.999}
    if node in fixed:
        return fixed[node]
    if node.startswith(STOCK_LABEL):
        return 0.54 if "(use)" in node else 0.999
    if node.endswith("(re-supplied)"):
        return 0.001
    if node.endswith("(recovered)"):
        return 0.85 if node.startswith(cm.SECONDARY) else 0.70
    c = result.raw.compiled
    recycling = {c.sink_node(d) for d in range(len(c.sinks))
                 if c.processes.kind[c.sinks[d]] == "recycling"}
    return 0.85 if node in recycling else 0.999


def sankey_figure(result: Result, title: str) -> go.Figure:
    """Sankey of mass flows (t) summed over the horizon, nodes in life-cycle columns."""
    c = result.raw.compiled
    totals = result.raw.edges.sum(axis=0) / 1000.0
    nodes: list[str] = []
    index: dict[str, int] = {}
    src, dst, val = [], [], []
    # what stays in stock at the end of the horizon, so every node's mass is accounted for
    held = {cm.USE: result.raw.use_stock_mass[-1], cm.REFURBISHMENT: result.raw.inventory[-1, 0],
            cm.REPROCESSING: result.raw.inventory[-1, 1], cm.SECONDARY: result.raw.inventory[-1, 2]}
    # recovered items re-enter supply the next year: drawing each inventory as a "recovered"
    # node (right) and a "re-supplied" node (left) keeps the diagram acyclic
    def split(a: str, b: str) -> tuple[str, str]:
        if a in cm.INVENTORY_NODES:
            a = f"{a} (re-supplied)"
        if b in cm.INVENTORY_NODES:
            b = f"{b} (recovered)"
        return a, b

    links = [(split(a, b), v) for (a, b), v in zip(c.edges, totals.tolist(), strict=True)]
    links += [(split(node, f"{STOCK_LABEL} ({node.lower()})") if node == cm.USE else
               (f"{node} (recovered)", f"{STOCK_LABEL} ({node.lower()})"), float(kg) / 1000.0)
              for node, kg in held.items()]
    for (a, b), v in links:
        if v <= 1e-9:
            continue
        for n in (a, b):
            if n not in index:
                index[n] = len(nodes)
                nodes.append(n)
        src.append(index[a])
        dst.append(index[b])
        val.append(float(v))
    xs = [_column(n, result) for n in nodes]
    ys = [0.0] * len(nodes)
    for x in set(xs):
        members = [i for i, xi in enumerate(xs) if xi == x]
        for rank, i in enumerate(members):
            ys[i] = (rank + 0.5) / len(members)
    fig = go.Figure(go.Sankey(
        arrangement="fixed", valueformat=",.0f", valuesuffix=" t",
        node={"label": nodes, "pad": 14, "thickness": 14, "x": xs, "y": ys},
        link={"source": src, "target": dst, "value": val},
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
