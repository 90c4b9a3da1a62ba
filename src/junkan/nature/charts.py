"""The LEAP report's charts for its HTML page (plotly, drawn with the page's own copy of
plotly.js): the areas on a map coloured by the integrated indicator, the integrated indicator
per area, surface water per scene with each area's 10-year return level, and NDVI per scene.
The PDF draws the same four with matplotlib (:mod:`junkan.nature.pdf`)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from junkan.nature.results import NatureResult, rings

SCALE = "YlOrRd"


def _area_map(r: NatureResult, t: dict[str, str]) -> go.Figure | None:
    fig = go.Figure()
    for a, c, v in r.mapped_areas():
        score = "—" if v is None else f"{v:.1f}"
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in rings(a):  # the outline, rings split by gaps (or the bounding box)
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        fig.add_trace(go.Scatter(
            x=xs[:-1], y=ys[:-1], fill="toself", mode="lines",
            line={"color": "black", "width": 1}, name=str(a["id"]), hoverinfo="text",
            text=f"{a['id']} ({a.get('commodity')}, {a.get('supplier')}): {score}",
            fillcolor=_colour(v)))
        fig.add_annotation(x=c["lon"], y=c["lat"], text=str(a["id"]), showarrow=False)
    if not fig.data:
        return None
    # the colour scale as a legend: an invisible trace carrying the colour bar
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False,
                             marker={"colorscale": SCALE, "cmin": 0, "cmax": 100, "color": [0],
                                     "colorbar": {"title": {"text": "0–100"}}}))
    fig.update_layout(title=t["map"], xaxis_title=t["lon"], yaxis_title=t["lat"], showlegend=False,
                      yaxis={"scaleanchor": "x"}, height=420)
    return fig


def _colour(v: float | None) -> str:
    from plotly.colors import sample_colorscale

    if v is None:  # not assessed: grey, never the colour of a low score
        return "rgba(160, 160, 160, 0.6)"
    return str(sample_colorscale(SCALE, [min(max(v / 100, 0.0), 1.0)])[0]).replace(
        "rgb(", "rgba(").replace(")", ", 0.6)")


def _scores(r: NatureResult, t: dict[str, str]) -> go.Figure:
    fig = go.Figure(go.Bar(x=[str(a["id"]) for a in r.areas],
                           y=[a["integrated"]["value"] for a in r.areas], marker_color="#c0392b"))
    fig.update_layout(title=t["chart_score"], yaxis={"range": [0, 100], "title": "0–100"},
                      height=360)
    return fig


def _series(r: NatureResult, t: dict[str, str], key: str, title: str) -> go.Figure | None:
    from plotly.colors import qualitative

    fig = go.Figure()
    for i, a in enumerate(r.areas):
        if not a["scenes"] or any(s.get(key) is None for s in a["scenes"]):
            continue  # a series only where every scene has it
        dates = [s["date"] for s in a["scenes"]]
        colour = qualitative.Plotly[i % len(qualitative.Plotly)]
        fig.add_trace(go.Scatter(x=dates, y=[s[key] for s in a["scenes"]], mode="lines+markers",
                                 name=str(a["id"]), line={"color": colour}))
        level = ((a.get("flood") or {}).get("return_levels_km2") or {}).get("10")
        if key == "water_km2" and level:
            fig.add_trace(go.Scatter(x=[dates[0], dates[-1]], y=[level["value"]] * 2,
                                     mode="lines", line={"dash": "dash", "width": 1,
                                                         "color": colour},
                                     name=f"{a['id']}: {t['return10']}"))
    if not fig.data:
        return None
    fig.update_layout(title=title, height=360)
    return fig


def figures(r: NatureResult, t: dict[str, str]) -> list[Any]:
    """The charts that the result has data for, in the PDF's order."""
    out = [_area_map(r, t), _scores(r, t), _series(r, t, "water_km2", t["chart_water"]),
           _series(r, t, "NDVI", t["chart_ndvi"])]
    return [f for f in out if f is not None]
