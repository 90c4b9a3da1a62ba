"""Maps of a plan, drawn from the prefecture outlines shipped in ``data/geo`` (derived from
japanmap) — no tile server:
a static PNG/SVG (matplotlib) and an interactive HTML page (a
:class:`junkan.core.report.Page`; plotly.js beside it)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from junkan.core.report import Page, write_atomic
from junkan.network.geo import prefecture_polygons
from junkan.network.plan import Plan

MODE_COLOURS = {"truck": "#d35400", "ship": "#2471a3", "rail": "#239b56"}


def _hub_dest_lines(plan: Plan) -> list[tuple[float, float, float, float, str, float]]:
    net = plan.network
    assert net is not None
    hubs = {h.name: h for h in net.hubs}
    dests = {d.name: d for d in net.dests}
    zones = {z.name: z for z in net.zones}
    out = []
    for f in plan.flows:
        if f["leg"] == "trunk":
            a, b = hubs.get(f["from"]), dests.get(f["to"])
        else:
            a, b = zones.get(f["from"]), hubs.get(f["to"])
        if a is not None and b is not None:
            out.append((a.lon, a.lat, b.lon, b.lat, f["mode"], f["t"]))
    return out


def static_map(plan: Plan, path: Path, title: str) -> Path:
    """PNG or SVG (by suffix) of prefectures, flows by mode, hubs and destinations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    net = plan.network
    assert net is not None
    fig, ax = plt.subplots(figsize=(8, 9), dpi=120)
    for poly in prefecture_polygons().values():
        ax.fill(poly[:, 0], poly[:, 1], facecolor="#f2f2f2", edgecolor="#999999", lw=0.4)
    top = max((t for *_, t in _hub_dest_lines(plan)), default=1.0)
    for x0, y0, x1, y1, mode, t in _hub_dest_lines(plan):
        ax.plot([x0, x1], [y0, y1], color=MODE_COLOURS.get(mode, "k"),
                lw=0.3 + 4 * t / top, alpha=0.7)
    for h in plan.open_hubs:
        ax.scatter(h["lon"], h["lat"], s=30 + 120 * h["utilisation"], marker="s",
                   color="#1b4f72" if h["port"] else "#7d3c98", zorder=3)
    for d in net.dests:
        ax.scatter(d.lon, d.lat, s=90, marker="*", color="#c0392b", zorder=4)
    ax.set_title(title)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_aspect(1.2)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color=c, lw=2, label=m) for m, c in MODE_COLOURS.items()
                       if m in net.modes] +
              [Line2D([], [], marker="s", ls="", color="#1b4f72", label="hub at a port"),
               Line2D([], [], marker="s", ls="", color="#7d3c98", label="inland hub"),
               Line2D([], [], marker="*", ls="", color="#c0392b", label="destination")],
              loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def interactive_map(plan: Plan, title: str) -> go.Figure:
    net = plan.network
    assert net is not None
    fig = go.Figure()
    for code, poly in prefecture_polygons().items():
        fig.add_trace(go.Scatter(x=poly[:, 0], y=poly[:, 1], fill="toself", mode="lines",
                                 line={"color": "#999", "width": 0.5},
                                 fillcolor="#f2f2f2", hoverinfo="text",
                                 text=net.zones[code - 1].name, showlegend=False))
    top = max((t for *_, t in _hub_dest_lines(plan)), default=1.0)
    for x0, y0, x1, y1, mode, t in _hub_dest_lines(plan):
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False,
                                 line={"color": MODE_COLOURS.get(mode, "#000"),
                                       "width": 0.5 + 5 * t / top},
                                 hoverinfo="text", text=f"{mode}: {t:,.0f} t/yr"))
    fig.add_trace(go.Scatter(
        x=[h["lon"] for h in plan.open_hubs], y=[h["lat"] for h in plan.open_hubs],
        mode="markers", name="hubs", marker={"symbol": "square", "size": 10,
                                             "color": "#1b4f72"},
        text=[f"{h['hub']}: {h['inflow_t']:,.0f} t/yr, {100 * h['utilisation']:.0f} % of "
              f"{h['capacity_t']:,.0f} t" for h in plan.open_hubs], hoverinfo="text"))
    fig.add_trace(go.Scatter(x=[d.lon for d in net.dests], y=[d.lat for d in net.dests],
                             mode="markers", name="destinations",
                             marker={"symbol": "star", "size": 14, "color": "#c0392b"},
                             text=[d.name for d in net.dests], hoverinfo="text"))
    fig.update_layout(title=title, height=800, yaxis={"scaleanchor": "x", "scaleratio": 1.2},
                      xaxis={"title": "longitude (°E)"}, plot_bgcolor="white")
    return fig


def report_page(plan: Plan, title: str, pareto_front: list[Plan] | None = None,
                sensitivity_rows: list[dict[str, Any]] | None = None,
                source: str | os.PathLike[str] | None = None) -> Page:
    """The plan's page: headline figures, the static map (``map.png`` beside the page), the
    hubs opened, the sensitivity table, the interactive map and the Pareto front."""
    page = Page(title, source=source)
    page.paragraph(f"Cost {plan.cost:,.0f} JPY/yr, CO2e {plan.co2_t:,.0f} t/yr, MIP gap "
                   f"{100 * plan.mip_gap:.3f} %, solved in {plan.seconds:.1f} s.")
    page.image("map.png", "map of hubs and flows", width=600)
    page.heading("Hubs opened").table(
        [[h["hub"], f"{h['capacity_t']:,.0f}", f"{h['inflow_t']:,.0f}",
          f"{100 * h['utilisation']:.0f} %"] for h in plan.open_hubs],
        columns=["hub", "capacity (t/yr)", "inflow (t/yr)", "utilisation"], row_header=0)
    if sensitivity_rows:
        page.heading("Sensitivity").table(
            [[r["parameter"], f"{r['value']:g}", f"{r['cost_JPY']:,.0f}", f"{r['co2_t']:,.0f}",
              r["hubs"]] for r in sensitivity_rows],
            columns=["parameter", "value", "cost (JPY)", "CO2e (t)", "hubs"])
    page.figure(interactive_map(plan, title))
    if pareto_front:
        page.figure(go.Figure(go.Scatter(x=[p.co2_t for p in pareto_front],
                                         y=[p.cost / 1e9 for p in pareto_front],
                                         mode="lines+markers")).update_layout(
            title="Cost–CO2 Pareto front", xaxis_title="CO2e (t/yr)",
            yaxis_title="cost (billion JPY/yr)", height=420))
    return page


def write_report(plan: Plan, out: Path, title: str,
                 pareto_front: list[Plan] | None = None,
                 sensitivity_rows: list[dict[str, Any]] | None = None,
                 source: str | os.PathLike[str] | None = None) -> None:
    """Write ``report.html`` (with ``plotly.min.js``), ``map.png``, ``map.svg`` and
    ``plan.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    static_map(plan, out / "map.png", title)
    static_map(plan, out / "map.svg", title)
    report_page(plan, title, pareto_front, sensitivity_rows, source).write(out / "report.html")
    write_atomic(out / "plan.json", json.dumps(plan_document(plan), indent=2,
                                               ensure_ascii=False).encode("utf-8"))


def plan_document(plan: Plan) -> dict[str, Any]:
    by_mode: dict[str, float] = {}
    for f in plan.flows:
        if f["leg"] == "trunk":
            by_mode[f["mode"]] = by_mode.get(f["mode"], 0.0) + f["t"]
    return {"status": plan.status, "objective": plan.objective, "cost_JPY": plan.cost,
            "co2_t": plan.co2_t, "mip_gap": plan.mip_gap, "seconds": plan.seconds,
            "cost_breakdown_JPY": plan.cost_breakdown, "open_hubs": plan.open_hubs,
            "trunk_t_by_mode": by_mode, "flows": plan.flows}
