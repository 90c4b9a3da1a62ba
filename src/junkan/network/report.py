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


LEG_STYLES = {"collection": ":", "trunk": "-", "delivery": "--"}
"""Line style of each leg on the static map (colour is the mode)."""

Segment = tuple[float, float, float, float, str, float, str]


def _hub_dest_lines(plan: Plan) -> list[Segment]:
    """Every leg as a segment (lon0, lat0, lon1, lat1, mode, t, leg): collection (zone →
    hub, truck), trunk (hub → destination, or → the destination's port by ship) and
    delivery (port → destination by truck after a ship leg)."""
    net = plan.network
    assert net is not None
    hubs = {h.name: h for h in net.hubs}
    dests = {d.name: (d, p) for d, p in zip(net.dests, net.dest_port, strict=True)}
    zones = {z.name: z for z in net.zones}
    out: list[Segment] = []
    for f in plan.flows:
        if f["leg"] == "trunk":
            a, (b, port) = hubs.get(f["from"]), dests.get(f["to"], (None, None))
            if a is None or b is None:
                continue
            if f["mode"] == "ship" and port is not None:
                out.append((a.lon, a.lat, port.lon, port.lat, "ship", f["t"], "trunk"))
                out.append((port.lon, port.lat, b.lon, b.lat, "truck", f["t"], "delivery"))
            else:
                out.append((a.lon, a.lat, b.lon, b.lat, f["mode"], f["t"], "trunk"))
        else:
            z, h = zones.get(f["from"]), hubs.get(f["to"])
            if z is not None and h is not None:
                out.append((z.lon, z.lat, h.lon, h.lat, f["mode"], f["t"], "collection"))
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
    segs = _hub_dest_lines(plan)
    top = max((s[5] for s in segs), default=1.0)
    for x0, y0, x1, y1, mode, t, leg in segs:
        ax.plot([x0, x1], [y0, y1], color=MODE_COLOURS.get(mode, "k"),
                ls=LEG_STYLES[leg], lw=0.3 + 4 * t / top, alpha=0.7)
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
              [Line2D([], [], color="#555", ls=ls, lw=1.5, label=f"{leg} leg")
               for leg, ls in LEG_STYLES.items()] +
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
    segs = _hub_dest_lines(plan)
    top = max((s[5] for s in segs), default=1.0)
    shown: set[str] = set()
    dash = {"collection": "dot", "trunk": "solid", "delivery": "dash"}
    for x0, y0, x1, y1, mode, t, leg in segs:
        name = f"{mode} · {leg}"
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", name=name,
                                 legendgroup=name, showlegend=name not in shown,
                                 line={"color": MODE_COLOURS.get(mode, "#000"),
                                       "width": 0.5 + 5 * t / top, "dash": dash[leg]},
                                 hoverinfo="text", text=f"{leg}, {mode}: {t:,.0f} t/yr"))
        shown.add(name)
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
                   f"{100 * plan.mip_gap:.3f} % (requested {100 * plan.requested_gap:.3f} %; "
                   f"{plan.stopped}), solved in {plan.seconds:.1f} s. Flows are re-solved "
                   "exactly for the hubs chosen, so differences between plans that share hubs "
                   "are exact; a change of hubs is compared against the gap.")
    page.image("map.png", "map of hubs and flows", width=600)
    page.heading("Hubs opened").table(
        [[h["hub"], f"{h['capacity_t']:,.0f}", f"{h['inflow_t']:,.0f}",
          f"{100 * h['utilisation']:.0f} %"] for h in plan.open_hubs],
        columns=["hub", "capacity (t/yr)", "inflow (t/yr)", "utilisation"], row_header=0)
    if sensitivity_rows:
        page.heading("Sensitivity").table(
            [[r["parameter"], f"{r['value']:g}", f"{r['cost_JPY']:,.0f}", f"{r['co2_t']:,.0f}",
              f"{r.get('delta_cost_JPY', 0):+,.0f}", f"{r.get('delta_co2_t', 0):+,.1f}",
              r["hubs"], _modal(r.get("trunk_t_by_mode", {})),
              f"{100 * r.get('mip_gap', 0):.2f} %", r.get("resolution", "")]
             for r in sensitivity_rows],
            columns=["parameter", "value", "cost (JPY)", "CO2e (t)", "Δ cost vs plan",
                     "Δ CO2e (t)", "hubs", "trunk by mode", "gap reached", "resolution"])
    page.figure(interactive_map(plan, title))
    if pareto_front:
        page.heading("Cost–CO2 Pareto front").table(
            [[p.label, f"{p.co2_t:,.0f}", f"{p.cost:,.0f}", len(p.open_hubs),
              f"{100 * p.mip_gap:.2f} %", "—" if p.marginal_abatement is None
              else f"{p.marginal_abatement:,.0f}"] for p in pareto_front],
            columns=["point", "CO2e (t/yr)", "cost (JPY/yr)", "hubs", "gap reached",
                     "JPY per t avoided (cap dual)"])
        page.figure(go.Figure(go.Scatter(x=[p.co2_t for p in pareto_front],
                                         y=[p.cost / 1e9 for p in pareto_front],
                                         text=[p.label for p in pareto_front],
                                         mode="lines+markers")).update_layout(
            title="Cost–CO2 Pareto front", xaxis_title="CO2e (t/yr)",
            yaxis_title="cost (billion JPY/yr)", height=420))
    return page


def _modal(by_mode: dict[str, float]) -> str:
    total = sum(by_mode.values()) or 1.0
    return ", ".join(f"{m} {100 * t / total:.0f} %" for m, t in sorted(by_mode.items()))


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
            "bound": plan.bound, "requested_gap": plan.requested_gap, "stopped": plan.stopped,
            "marginal_abatement_JPY_per_tCO2e": plan.marginal_abatement,
            "hubs_key": list(plan.hubs_key),
            "cost_breakdown_JPY": plan.cost_breakdown, "open_hubs": plan.open_hubs,
            "trunk_t_by_mode": by_mode, "flows": plan.flows}
