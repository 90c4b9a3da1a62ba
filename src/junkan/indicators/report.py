"""HTML page of indicators: an inflow → organisation → outflow Sankey (as in the CTI tool)
and every indicator with its formula, inputs and source."""

from __future__ import annotations

import json
import os
from typing import Any

import plotly.graph_objects as go

from junkan.core.report import Markup, Page
from junkan.indicators.flows import CTI_RECOVERY, linear_mass, recovered_mass
from junkan.indicators.inputs import FlowModel
from junkan.indicators.notes import Note
from junkan.indicators.values import STATUS_TEXT, Indicator


def flow_sankey(fm: FlowModel, title: str) -> go.Figure:
    """Inflows split into reused, recycled, renewable and linear; outflows into circular
    (RP × AR on a CTI recovery route) and lost, by route — in t."""
    labels = ["reused inflow", "recycled inflow", "renewable inflow", "linear inflow",
              fm.name]
    src, dst, val = [], [], []
    parts = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0}
    for i in fm.inflows:
        parts[0] += i.mass * i.reused
        parts[1] += i.mass * i.recycled
        parts[2] += i.mass * i.renewable
        parts[3] += linear_mass(i)
    for k, v in parts.items():
        if v > 0:
            src.append(k)
            dst.append(4)
            val.append(v / 1000)
    for o in fm.outflows:
        circ = recovered_mass(o) if o.route in CTI_RECOVERY else 0.0
        for name, v in ((f"circular: {o.route}", circ), (f"lost: {o.route}", o.mass - circ)):
            if v > 0:
                # outflow nodes come after the organisation's (review 319: a model named
                # "lost: landfill" sent its landfill to itself, a loop on one node)
                if name not in labels[5:]:
                    labels.append(name)
                src.append(4)
                dst.append(labels.index(name, 5))
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


def _inputs(i: Indicator) -> str:
    return json.dumps({k: _short(v) for k, v in i.inputs.items() if k != "table"},
                      ensure_ascii=False, default=str)


def _source(i: Indicator) -> Markup:
    notes = Markup("").join(Markup("<br>⚠ {}").format(n) for n in i.notes)
    return Markup("<small>{}<br><em>{}</em>{}</small>").format(
        i.source, STATUS_TEXT.get(i.status, i.status), notes)


def add_indicator_table(page: Page, results: dict[str, list[Indicator]]) -> Page:
    """One row per indicator: framework, key, value (with its unit), unit, formula, inputs,
    and source with how far its definition was checked and the notes."""
    return page.table(
        [[fw, i.key, i.display(), i.unit, Markup("<code>{}</code>").format(i.formula),
          Markup("<small>{}</small>").format(_inputs(i)), _source(i)]
         for fw, inds in results.items() for i in inds],
        columns=["framework", "indicator", "value", "unit", "formula", "inputs",
                 "source and check"],
        row_header=1, numeric=(2,))


Section = tuple[str, FlowModel, dict[str, list[Indicator]], list[str]]


def indicators_page(sections: list[Section], title: str,
                    source: str | os.PathLike[str] | None = None) -> Page:
    """Per flow model: its trade-off warnings, the flow Sankey and the indicator table."""
    page = Page(title, source=source)
    for name, fm, results, warnings in sections:
        page.heading(name)
        for w in warnings:
            page.paragraph(f"⚠ {w}", warning=True)
        page.figure(flow_sankey(fm, f"Inflows and outflows — {name}"))
        add_indicator_table(page, results)
    return page


def indicators_html(sections: list[Section], title: str,
                    source: str | os.PathLike[str] | None = None) -> str:
    """The page as HTML; Plotly's JS is expected beside it as plotly.min.js (use
    ``indicators_page(...).write(path)`` to write both)."""
    return indicators_page(sections, title, source).render()


def as_json(results: dict[str, list[Indicator]]) -> dict[str, Any]:
    return {fw: [{"key": i.key, "value": i.value, "unit": i.unit, "formula": i.formula,
                  "source": i.source, "reason": i.reason, "status": i.status,
                  **({"reason_code": i.reason_code, "reason_params": dict(i.reason_params)}
                     if i.reason_code else {}),
                  "notes": list(i.notes), **_note_codes(i.notes),
                  "inputs": {k: v for k, v in i.inputs.items()}}
                 for i in inds]
            for fw, inds in results.items()}


def _note_codes(notes: tuple[str, ...]) -> dict[str, Any]:
    """``note_codes``: each note's code and the figures it quotes (``indnote.<code>`` in the
    web page's catalogues; ``null`` for a note without a code), where a note has one."""
    codes = [{"code": n.code, "params": dict(n.params)} if isinstance(n, Note) and n.code
             else None for n in notes]
    return {"note_codes": codes} if any(codes) else {}
