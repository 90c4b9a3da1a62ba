"""HTML page of indicators: an inflow → organisation → outflow Sankey (as in the CTI tool)
and every indicator with its formula, inputs and source."""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.graph_objects as go

from junkan.indicators.inputs import FlowModel
from junkan.indicators.values import Indicator


def flow_sankey(fm: FlowModel, title: str) -> go.Figure:
    """Inflows split into reused, recycled, renewable and linear; outflows into circular
    (RP × AR) and lost, by route — in t."""
    labels = ["reused inflow", "recycled inflow", "renewable inflow", "linear inflow",
              fm.name]
    src, dst, val = [], [], []
    parts = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}
    for i in fm.inflows:
        parts[0] += i.mass * i.reused
        parts[1] += i.mass * i.recycled
        parts[2] += i.mass * i.renewable
        parts[3] += i.mass * (1 - i.reused - i.recycled - i.renewable)
    for k, v in parts.items():
        if v > 0:
            src.append(k)
            dst.append(4)
            val.append(v / 1000)
    for o in fm.outflows:
        circ = o.mass * o.recovery_potential * o.actual_recovery
        for name, v in ((f"circular: {o.route}", circ), (f"lost: {o.route}", o.mass - circ)):
            if v > 0:
                if name not in labels:
                    labels.append(name)
                src.append(4)
                dst.append(labels.index(name))
                val.append(v / 1000)
    fig = go.Figure(go.Sankey(valueformat=",.0f", valuesuffix=" t",
                              node={"label": labels, "pad": 14},
                              link={"source": src, "target": dst, "value": val}))
    fig.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def _short(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.4g}")
    if isinstance(v, dict):
        return {k: _short(x) for k, x in v.items()}
    return v


def indicator_rows(results: dict[str, list[Indicator]]) -> str:
    rows = []
    for fw, inds in results.items():
        for i in inds:
            inputs = html.escape(json.dumps({k: _short(v) for k, v in i.inputs.items()
                                             if k != "table"}, ensure_ascii=False, default=str))
            rows.append(f"<tr><td>{html.escape(fw)}</td><th scope='row'>{html.escape(i.key)}"
                        f"</th><td class='num'>{html.escape(i.display())}</td>"
                        f"<td><code>{html.escape(i.formula)}</code></td><td><small>{inputs}"
                        f"</small></td><td><small>{html.escape(i.source)}</small></td></tr>")
    return ("<table><thead><tr><th>framework</th><th>indicator</th><th>value</th>"
            "<th>formula</th><th>inputs</th><th>source</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def indicators_html(sections: list[tuple[str, FlowModel, dict[str, list[Indicator]],
                                         list[str]]], title: str) -> str:
    """A self-contained page body; Plotly's JS is expected beside it as plotly.min.js."""
    parts = []
    for name, fm, results, warnings in sections:
        parts.append(f"<h2>{html.escape(name)}</h2>")
        for w in warnings:
            parts.append(f"<p class='warn' role='note'>⚠ {html.escape(w)}</p>")
        parts.append(flow_sankey(fm, f"Inflows and outflows — {name}").to_html(
            full_html=False, include_plotlyjs=False))
        parts.append(indicator_rows(results))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script src="plotly.min.js"></script>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1300px}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;
vertical-align:top;text-align:left}}td.num{{text-align:right;white-space:nowrap}}
.warn{{background:#fff4e5;border-left:4px solid #f5a623;padding:.4rem .6rem}}</style></head>
<body><h1>{html.escape(title)}</h1>{''.join(parts)}</body></html>"""


def as_json(results: dict[str, list[Indicator]]) -> dict[str, Any]:
    return {fw: [{"key": i.key, "value": i.value, "unit": i.unit, "formula": i.formula,
                  "source": i.source, "reason": i.reason,
                  "inputs": {k: v for k, v in i.inputs.items()}} for i in inds]
            for fw, inds in results.items()}
