"""HTML pages of the optimiser (:class:`junkan.core.report.Page`): the chosen options with
each actor's gain or loss, and the Pareto chart with a per-actor table for every point."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from junkan.core.report import Page
from junkan.lifecycle.optimise.features import value
from junkan.lifecycle.optimise.spec import Objective

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.result import Optimum, ParetoFront


def _target(path: Path, name: str) -> Path:
    return path if path.suffix.lower() in (".html", ".htm") else path / name


def _choices(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{"decision": r["decision"], "option": r["option"]} for r in rows])


def optimum_page(opt: Optimum, path: Path) -> Path:
    doc = opt.to_json()
    m = opt.model
    o = doc["objective"]
    page = Page(
        f"Best loop — {m.baseline.title or m.name}",
        source=m.source,
        subtitle=f"{o['sense']} {o['figure']} ({o['unit']})",
    )
    page.heading("Chosen options").table(_choices(doc["choices"]))
    page.table(
        pd.DataFrame(
            [
                {"": "optimum", **{k: o[k] for k in ("value",)}},
                {"": "reference (first options)", "value": o["reference"]},
                {"": "model as given", "value": o["as_modelled"]},
            ]
        ),
        caption=f"{o['figure']} ({o['unit']})",
    )
    if o.get("definition"):
        page.paragraph(f"{o['figure']}: {o['definition']}.")
    if doc["constraints"]:
        rows = pd.DataFrame(doc["constraints"])  # a year is no amount: 2044, not 2,044 (nor
        rows["year"] = [("" if c["year"] is None else str(c["year"]))  # 2044.0 beside a None)
                        for c in doc["constraints"]]
        page.heading("Constraints").table(rows)
    cur = m.baseline.currency
    page.heading("Each actor's gain or loss against the model as given")
    page.table(opt.to_frame(), caption=f"CO2e in t, margin in {cur}")
    page.heading("Method").paragraph(doc["method"]["text"])
    return page.write(_target(path, opt.PAGE))


def pareto_chart(front: ParetoFront) -> go.Figure:
    o1, o2 = front.objectives
    xs = [value(o1, p.raw) for p in front.points]
    ys = [value(o2, p.raw) for p in front.points]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            name="Pareto front",
            text=[f"point {i}: {p.label()}" for i, p in enumerate(front.points)],
            hoverinfo="text+x+y",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[value(o1, front.as_modelled.raw)],
            y=[value(o2, front.as_modelled.raw)],
            mode="markers",
            name="model as given",
            marker={"symbol": "x", "size": 12},
        )
    )
    cur = front.model.baseline.currency
    fig.update_layout(xaxis_title=_titled(o1, cur), yaxis_title=_titled(o2, cur), height=420)
    return fig


def _titled(o: Objective, currency: str) -> str:
    """An objective's axis title: its figure and unit, e.g. ``co2e [t CO2e]``."""
    return f"{o.label()} [{o.unit(currency)}]"


def pareto_page(front: ParetoFront, path: Path) -> Path:
    m = front.model
    o1, o2 = front.objectives
    page = Page(
        f"Pareto front — {m.baseline.title or m.name}",
        source=m.source,
        subtitle=f"{o1.label()} against {o2.label()}, {len(front.points)} points",
    )
    page.figure(pareto_chart(front))
    page.heading("Points")
    page.table(
        pd.DataFrame(
            [
                {
                    "point": i,
                    o1.label(): value(o1, p.raw),
                    o2.label(): value(o2, p.raw),
                    "choices": p.label(),
                }
                for i, p in enumerate(front.points)
            ]
        )
    )
    page.heading("Each actor's gain or loss per point (against the model as given)")
    page.table(front.to_frame(), caption=f"CO2e in t, margin in {m.baseline.currency}")
    page.heading("Method").paragraph(front.method["text"])
    return page.write(_target(path, front.PAGE))
