"""HTML report of a model's scenarios: headline table, a Sankey diagram of mass flows per
scenario and charts of the indicators over time, on a :class:`junkan.core.report.Page`
(plotly.js written beside it from the installed package: no CDN, works offline), in English
or Japanese: the words come from the catalogues the web page speaks from
(:mod:`junkan.core.catalogue`: ``lcreport.*``, the engine's stages as ``stage.*``); a model's
own names and descriptions stay as written."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from markupsafe import escape

from junkan.core.catalogue import Language, messages, say
from junkan.core.errors import fill_in
from junkan.core.report import PLOTLY_JS, Markup, Page
from junkan.lifecycle.results import Result, ratio
from junkan.lifecycle.sankey import STOCK_LABEL, sankey_data

__all__ = ["PLOTLY_JS", "SERIES", "material_share_figure", "report_page", "sankey_figure",
           "series_figure", "stage_label", "write_report"]

_SUFFIX = re.compile(r"^(.*?)(?: \((re-supplied|recovered)\))?$")
_HELD = re.compile(rf"^{re.escape(STOCK_LABEL)} \((.+)\)$")


def stage_label(label: str, lang: Language = "en") -> str:
    """A Sankey node's name in ``lang``: the engine's stages (with their "(re-supplied)",
    "(recovered)" and "held at the end" forms) from the catalogue, as the web page says
    them; a model's process titles as written."""
    if held := _HELD.match(label):
        stages = {k[6:].lower(): v for k, v in messages(lang).items()
                  if k.startswith("stage.") and not k.startswith("stage.suffix.")}
        return say(lang, "stage.heldIn", stage=stages.get(held[1], held[1]))
    m = _SUFFIX.match(label)
    assert m is not None  # the pattern matches every string
    base = say(lang, f"stage.{m[1]}", m[1])
    return f"{base} {say(lang, f'stage.suffix.{m[2]}')}" if m[2] else base


def sankey_figure(result: Result, title: str, lang: Language = "en") -> go.Figure:
    """Sankey of mass flows (t) summed over the horizon, nodes in life-cycle columns."""
    data = sankey_data(result)
    nodes, links = data["nodes"], data["links"]
    fig = go.Figure(go.Sankey(
        arrangement="fixed", valueformat=",.0f", valuesuffix=" t",
        node={"label": [stage_label(n["label"], lang) for n in nodes], "pad": 14,
              "thickness": 14, "x": [n["x"] for n in nodes], "y": [n["y"] for n in nodes]},
        link={"source": [lk["source"] for lk in links], "target": [lk["target"] for lk in links],
              "value": [lk["value"] for lk in links]},
    ))
    fig.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 60, "b": 20})
    return fig


SERIES = ["co2e_t", "virgin_input_t", "recycled_share", "circular_inflow_share", "reuse_rate",
          "recycling_rate", "final_disposal_t"]
"""The indicators charted over time (titles: ``lcreport.series.<name>`` in the catalogues)."""


def series_figure(results: dict[str, Result], key: str, title: str) -> go.Figure:
    fig = go.Figure()
    for name, res in results.items():
        fig.add_trace(go.Scatter(x=res.years, y=res.indicator_series()[key], name=name,
                                 mode="lines"))
    fig.update_layout(title=title, height=320, margin={"l": 50, "r": 10, "t": 40, "b": 30},
                      legend={"orientation": "h"})
    return fig


def material_share_figure(results: dict[str, Result], lang: Language = "en"
                          ) -> go.Figure | None:
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
            fig.add_trace(go.Scatter(x=res.years, y=share[:, i], mode="lines", name=say(
                lang, "lcreport.materialTrace", material=mats[i], scenario=name)))
    fig.update_layout(title=say(lang, "lcreport.materialShare"), height=340,
                      margin={"l": 50, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h"})
    return fig


def report_page(comparison: dict[str, Any], results: dict[str, Result],
                source: str | os.PathLike[str] | None = None, lang: Language = "en") -> Page:
    """The report of a scenario comparison (``compare_scenarios``) as a page in ``lang``:
    headline figures, totals, indicator charts and a Sankey per scenario."""
    scenarios = comparison["scenarios"]
    page = Page(comparison.get("title") or comparison["model"], source=source, lang=lang,
                subtitle=_subtitle(comparison, lang))
    na = say(lang, "lcreport.na")
    heads = list(dict.fromkeys(k for s in scenarios for k in s["headline"]))  # model's order
    units = comparison.get("headline_units") or {}
    total_units = (comparison.get("units") or {}).get("totals") or {}
    page.table([[s["name"], *(_shown(s["headline"].get(k, ""), na) for k in heads)]
                for s in scenarios],
               columns=[say(lang, "lcreport.scenario"),
                        *(f"{k} ({units[k]})" if k in units else k for k in heads)],
               caption=say(lang, "lcreport.headlineCaption"), row_header=0)
    page.definitions(comparison.get("headline_descriptions") or {})
    base_years = comparison["years"]
    for s in scenarios:
        if s.get("note"):  # a scenario over other years than the baseline's
            page.paragraph(say(lang, "compare.horizonNote", name=s["name"],
                               years=_span(s.get("years") or base_years),
                               base=_span(base_years)), warning=True)
    spans = {tuple(s.get("years") or base_years) for s in scenarios}
    over = (say(lang, "lcreport.totalsOver", span=_span(base_years)) if len(spans) == 1
            else say(lang, "lcreport.totalsOwn", list=("、" if lang == "ja" else ", ").join(
                f"{s['name']} {_span(s['years'])}" for s in scenarios)))
    page.table([[k, total_units.get(k, ""), *(_shown(s["totals"][k], na) for s in scenarios)]
                for k in scenarios[0]["totals"]],
               columns=[say(lang, "lcreport.figure"), say(lang, "lcreport.unit"),
                        *(s["name"] for s in scenarios)], row_header=0, caption=over)
    figs = [series_figure(results, k, say(lang, f"lcreport.series.{k}")) for k in SERIES[:3]]
    share = material_share_figure(results, lang)
    figs += ([share] if share is not None else []) + [
        series_figure(results, k, say(lang, f"lcreport.series.{k}")) for k in SERIES[3:]]
    figs += [sankey_figure(r, say(lang, "lcreport.sankey", name=n), lang)
             for n, r in results.items()]
    for f in figs:
        page.figure(f)
    return page


def _subtitle(comparison: dict[str, Any], lang: Language) -> Markup:
    """"Model ``m``, baseline ``b``, currency JPY." with the names as code."""
    code = {k: str(Markup("<code>{}</code>").format(comparison[k]))
            for k in ("model", "baseline")}
    return Markup(fill_in(str(escape(say(lang, "lcreport.subtitle"))),
                          {**code, "currency": str(escape(comparison["currency"]))}))


def _span(years: Any) -> str:
    return f"{years[0]}–{years[1]}"


def _shown(value: Any, na: str = "n/a") -> Any:
    """A figure for a table cell: ``None`` (a ratio 0/0, not defined) as ``na``."""
    return na if value is None else value


def write_report(path: Path, comparison: dict[str, Any], results: dict[str, Result],
                 source: str | os.PathLike[str] | None = None, lang: Language = "en") -> Path:
    """Write ``report.html`` (and ``plotly.min.js`` beside it) in ``lang``; return its path."""
    return report_page(comparison, results, source, lang).write(path)
