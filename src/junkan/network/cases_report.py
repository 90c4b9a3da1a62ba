"""The comparison page of the case studies (:class:`junkan.network.cases.CaseComparison`):
a table, cost and CO2e per tonne, the modal split and the hubs opened, and every supply
figure's source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from junkan.core.report import Page, write_atomic

if TYPE_CHECKING:
    from junkan.network.cases import CaseComparison

MODE_COLOURS = {"truck": "#d62728", "ship": "#1f77b4", "rail": "#2ca02c"}


def _figures(cmp: CaseComparison) -> list[object]:
    import plotly.graph_objects as go

    labels = [r["title"] for r in cmp.rows]
    cost = go.Figure(go.Bar(x=labels, y=[r["cost_per_t"] for r in cmp.rows],
                            marker_color="#555"))
    cost.update_layout(title="Cost per tonne collected (JPY/t) / 1トン当たり費用",
                       yaxis_title="JPY/t", height=420, margin={"b": 160})
    co2 = go.Figure(go.Bar(x=labels, y=[r["co2_kg_per_t"] for r in cmp.rows],
                           marker_color="#2a9d8f"))
    co2.update_layout(title="Transport CO2e per tonne collected (kg/t) / 1トン当たりCO2e",
                      yaxis_title="kgCO2e/t", height=420, margin={"b": 160})
    modes = sorted({m for r in cmp.rows for m in r["modal_split"]})
    split = go.Figure([go.Bar(name=m, x=labels, marker_color=MODE_COLOURS.get(m),
                              y=[100 * r["modal_split"].get(m, 0.0) for r in cmp.rows])
                       for m in modes])
    split.update_layout(barmode="stack", title="Modal split (% of tonne-km) / 輸送モード構成",
                        yaxis_title="% of t·km", height=420, margin={"b": 160})
    return [cost, co2, split]


def write_cases_report(cmp: CaseComparison, out: Path) -> Path:
    """Write ``report.html`` and ``cases.json`` into ``out``; returns the page's path."""
    out.mkdir(parents=True, exist_ok=True)
    page = Page("Twelve resource-circulation case studies / 12 ケーススタディ比較",
                subtitle=f"solved to a {100 * cmp.gap:.1f} % MIP gap in {cmp.seconds:.0f} s")
    page.paragraph("Each case is a shipped scenario (examples/network_cases) using the named "
                   "areas of seed 004 as candidate sites. Supplies carry their source and date "
                   "or are marked ASSUMPTION; capacities, tiers and costs are assumptions for "
                   "illustration. Cost and CO2e are per tonne collected per year; the modal "
                   "split counts collection legs (truck) and trunk legs.", warning=True)
    rows = [[r["title"], ", ".join(r["commodities"]), r["supply_t"], r["cost_per_t"],
             r["co2_kg_per_t"], 100 * r["modal_split"].get("truck", 0.0),
             100 * r["modal_split"].get("ship", 0.0), len(r["hubs_opened"]),
             ", ".join(r["hubs_opened"]), f"{100 * r['mip_gap']:.2f} % ({r['stopped']})"]
            for r in cmp.rows]
    page.heading("Comparison / 比較").table(
        rows, columns=["case", "commodities", "supply t/yr", "cost JPY/t", "CO2e kg/t",
                       "truck % t·km", "ship % t·km", "hubs", "hubs opened", "gap"],
        numeric=(2, 3, 4, 5, 6, 7))
    for fig in _figures(cmp):
        page.figure(fig)  # type: ignore[arg-type]
    page.heading("Commodity handling / 取扱条件")
    page.bullets([f"{r['title']} — {c}: {note}" for r in cmp.rows
                  for c, note in r["handling"].items()] or ["none"])
    page.heading("Supply sources / 供給量の出典")
    page.bullets([f"{r['title']} — {c}: {src}" for r in cmp.rows
                  for c, src in r["supply_sources"].items()])
    write_atomic(out / "cases.json", json.dumps(cmp.to_json(), indent=1).encode("utf-8"))
    return page.write(out / "report.html")
