"""The foresight HTML report: groups with ratings, a density fan chart per group, the
scenario tree with branch years and drivers, the driver table, the inputs leading to each
group, and how decided the future is year by year, on a :class:`junkan.core.report.Page`
(plotly.js written beside it: works offline)."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from junkan.core.report import Page
from junkan.foresight.analysis import Analysis, family_scores, fan, scenario_tree
from junkan.foresight.engine import Ensemble

COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
           "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6"]
GROUP_NAMES = "ABCDEFGHIJKLMNOPQRST"
"""A letter per group, as the web page names them: an analysis has at most 20 groups."""


def group_name(g: int) -> str:
    """Group ``g``'s letter (groups past T, which an analysis never has, by number in
    brackets, so a node's joined names stay readable)."""
    return GROUP_NAMES[g] if g < len(GROUP_NAMES) else f"[{g}]"


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def fan_figure(ens: Ensemble, res: Analysis) -> go.Figure:
    """One panel per group: for each KPI family, median with 25–75 % and 5–95 % bands of the
    family score (higher is better) across the group's scenarios."""
    scores = family_scores(ens)
    years = ens.compiled.years.tolist()
    cols = 3
    rows = (res.k + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[f"{group_name(g)} ({100 * res.shares[g]:.1f} %)"
                                        for g in range(res.k)])
    for g in range(res.k):
        r, c = g // cols + 1, g % cols + 1
        sel = res.labels == g
        for fi, (fam, path) in enumerate(sorted(scores.items())):
            q = fan(path[:, sel])
            col = COLOURS[fi % len(COLOURS)]
            for lo, hi, alpha in (("q05", "q95", 0.12), ("q25", "q75", 0.28)):
                fig.add_trace(go.Scatter(x=years + years[::-1], y=q[hi] + q[lo][::-1],
                                         fill="toself", fillcolor=_rgba(col, alpha),
                                         line={"width": 0}, hoverinfo="skip",
                                         showlegend=False, legendgroup=fam), row=r, col=c)
            fig.add_trace(go.Scatter(x=years, y=q["q50"], name=fam, legendgroup=fam,
                                     line={"color": col, "width": 2}, showlegend=g == 0),
                          row=r, col=c)
    fig.update_yaxes(range=[0, 1])
    fig.update_layout(height=260 * rows + 80, title="KPI families per group: median, 25–75 % "
                      "and 5–95 % of scenarios (score, higher is better)")
    return fig


def tree_figure(res: Analysis, tree: list[dict[str, Any]], years: np.ndarray) -> go.Figure:
    """Scenario tree: leaves are groups (right); each split sits at the year its two sides
    part (left = early), a join that never parted at the right edge."""
    k = res.k
    end = int(years[-1]) + 1
    order: list[int] = tree[-1]["groups"] if tree else list(range(k))
    leaf_rank: dict[int, float] = {}
    node_x: dict[int, float] = {g: float(end) for g in range(k)}
    node_y: dict[int, float] = {}

    def place(node: int) -> float:
        if node < k:
            leaf_rank.setdefault(node, float(len(leaf_rank)))
            node_y[node] = leaf_rank[node]
            return node_y[node]
        m = tree[node - k]
        ys = [place(ch) for ch in m["children"]]
        node_y[node] = sum(ys) / 2
        node_x[node] = float(m["branch_year"] or end)
        return node_y[node]

    fig = go.Figure()
    if tree:
        place(tree[-1]["node"])
    else:
        for g in order:
            place(g)
    for m in tree:
        x0, y0 = node_x[m["node"]], node_y[m["node"]]
        for ch in m["children"]:
            fig.add_trace(go.Scatter(x=[x0, x0, node_x[ch]], y=[y0, node_y[ch], node_y[ch]],
                                     mode="lines", line={"color": "#555"}, hoverinfo="skip",
                                     showlegend=False))
        if m["branch_year"] is not None:
            fig.add_annotation(x=x0, y=y0, text=f"’{m['branch_year'] % 100:02d} "
                               f"{html.escape(str(m['driver']))}", showarrow=False,
                               xanchor="right", yshift=10, font={"size": 11})
    fig.add_trace(go.Scatter(
        x=[end] * k, y=[node_y[g] for g in range(k)], mode="markers+text",
        marker={"size": 14, "color": [COLOURS[g % len(COLOURS)] for g in range(k)]},
        text=[f"{group_name(g)} {100 * res.shares[g]:.0f} % "
              + " ".join(res.ratings[g].get(f, "") for f in sorted(res.ratings[g]))
              for g in range(k)], textposition="middle right", showlegend=False))
    fig.update_layout(title="Scenario tree: each split at the year its sides part (driver "
                      "named); joins at the right edge never parted", height=60 * k + 160,
                      xaxis={"title": "year",
                      "range": [int(years[0]) - 1, end + 8]},
                      yaxis={"visible": False}, plot_bgcolor="white")
    return fig


def decided_figure(res: Analysis) -> go.Figure:
    ts = res.transitions
    fig = go.Figure(go.Scatter(x=[t["year"] for t in ts], y=[t["decided"] for t in ts],
                               mode="lines+markers"))
    return fig.update_layout(title="How decided the future is: share of scenarios whose "
                             "cluster in year t predicts their final group", height=340,
                             yaxis={"range": [0, 1]})


def report_page(ens: Ensemble, res: Analysis,
                source: str | os.PathLike[str] | None = None) -> Page:
    """The page: ratings per group, scenario tree, fan charts, how decided the future is,
    branching points with drivers, and the inputs leading to each group."""
    c = ens.compiled
    m = c.model
    fams = sorted(c.families)
    names = {f.id: f.name or f.id for f in m.factors}
    levers = {lv.id: lv.name or lv.id for lv in m.levers}
    tree = scenario_tree(res, int(c.years[-1]))
    page = Page(m.title or m.name, source=source)
    page.paragraph(
        f"{ens.n:,} scenarios ({c.years[0]}–{c.years[-1]}, {len(c.ids)} factors, seed "
        f"{ens.seed}, chunk {ens.chunk}) grouped into {res.k} groups (PCA + k-means on "
        "KPI paths). Ratings: ◎ top third, ○ middle, △ bottom third of the "
        "groups' median final-year family score (0–1, higher is better); every group ○ "
        "in a family whose scores do not differ between groups (Kruskal–Wallis p ≥ 0.05).")
    page.heading("Groups and ratings").table(
        [[group_name(g), f"{100 * res.shares[g]:.1f} %",
          *[f"{res.ratings[g].get(f, '')} {res.medians[g].get(f, float('nan')):.2f}"
            for f in fams]] for g in range(res.k)],
        columns=["group", "share", *fams], row_header=0)
    for fig in (tree_figure(res, tree, c.years), fan_figure(ens, res), decided_figure(res)):
        page.figure(fig)
    page.heading("Branching points").paragraph(
        "Two sides part for real when some factor's split explains ≥ 80 % of its spread across "
        "both sides for 5 years running (cutting one continuous cloud in two explains at most "
        "64–75 %); the diverging factor is the first to part that way. The driver is, among it "
        "and its causal ancestors (policy levers included), the first whose effect size stays "
        "≥ 1.5 for 5 years, and the branch year is that year. Tree nodes first, then pairs of "
        "groups.")
    rows = [(f"node {m['node']}: " + "".join(group_name(g) for g in m["groups"]), m)
            for m in reversed(tree)]
    rows += [(f"{group_name(b['groups'][0])}–{group_name(b['groups'][1])}", b)
             for b in sorted(res.branches, key=lambda b: b["branch_year"] or 9999)]
    def driver(b: dict[str, Any]) -> str:
        title = (levers if b["driver_kind"] == "lever" else names).get(b["driver"])
        return f"{b['driver']} ({title}; {b['driver_kind']})"

    page.table(
        [[label, str(b["branch_year"]),
          f"{b['diverging_factor']} ({names.get(b['diverging_factor'])})", driver(b),
          f"{b['effect_size']:.1f}", f"{b['separation']:.2f}"]
         for label, b in rows if b["branch_year"] is not None],
        columns=["groups", "branch year", "diverging factor", "driver", "effect size",
                 "separation"])
    if not any(m["branch_year"] is not None for m in tree):
        page.paragraph("No real split: the groups are slices of one continuum of futures "
                       "(no factor parts into two worlds).")
    page.heading("Inputs that lead to the groups").paragraph(
        "Extra-trees importance of the sampled inputs (trends, starting values, link weights, "
        "levers):")
    page.table([[n, f"{sc:.3f}"] for n, sc in res.feature_scores], columns=["input", "score"])
    page.paragraph("PRIM boxes (the inputs' ranges where a group is most concentrated):")
    page.table(
        [[group_name(b["group"]), f"{b['coverage']:.2f}", f"{b['density']:.2f}",
          "; ".join(f"{n} ∈ [{lo:.3g}, {hi:.3g}]" for n, (lo, hi) in b["limits"].items())
          or "—"] for b in res.boxes],
        columns=["group", "coverage", "density", "box"])
    return page


def write_report(ens: Ensemble, res: Analysis, out: Path,
                 source: str | os.PathLike[str] | None = None) -> Path:
    """Write ``report.html`` and ``plotly.min.js`` into ``out``; returns the page's path."""
    return report_page(ens, res, source).write(out / "report.html")
