"""The result of matching: routes used, each buyer's delivered blend (graded again from the
mixed record), pooled shipments, unmatched lots with the reason, and the solver's figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.grading import blend, grade
from junkan.market.arcs import Arcs, Setting
from junkan.market.milp import Solution
from junkan.market.schema import Market
from junkan.market.verify import carries

TOL = 1e-7


def _finite(x: float) -> float | None:
    """``x``, or None where the solver has no figure (no assignment found, no finite bound):
    JSON null, never NaN or Infinity."""
    return float(x) if np.isfinite(x) else None


@dataclass
class MatchResult:
    market: Market
    arcs: Arcs
    solution: Solution
    setting: Setting
    unmatched: dict[int, dict[str, Any]] = field(default_factory=dict)
    unserved: list[dict[str, Any]] = field(default_factory=list)
    """Conditions whose minimum lot no assignment can reach (``explain.unserved``)."""
    seconds_total: float = 0.0

    def assignments(self) -> list[dict[str, Any]]:
        a, s = self.arcs, self.solution
        out = []
        margin = a.margin  # computed once: a property over every route
        for k in np.flatnonzero(self._carries()):
            lot = self.market.lots[a.lot[k]]
            c = self.market.conditions[a.cond[k]]
            kg = float(lot.mass * s.share[k])
            out.append(
                {
                    "lot": lot.id,
                    "seller": lot.seller,
                    "condition": c.id,
                    "buyer": c.buyer,
                    "via": None if a.pool[k] < 0 else self.market.pools[a.pool[k]].id,
                    "kg": kg,
                    "price_JPY_per_kg": float(a.price[k]),
                    "transport_JPY_per_kg": float(a.transport[k]),
                    "handling_JPY_per_kg": float(a.handling[k]),
                    "margin_JPY": float(kg * margin[k]),
                    "km": float(a.km[k]),
                    "co2e_kg": float(kg * a.km[k] * self.setting.co2e_kg_per_kg_km),
                }
            )
        return out

    def _carries(self) -> np.ndarray:
        """Routes that carry something (:func:`junkan.market.verify.carries`)."""
        mass = np.array([lot.mass for lot in self.market.lots])
        n = len(self.arcs.lot)
        return carries(self.solution.share[:n], mass[self.arcs.lot])

    def delivered(self) -> np.ndarray:
        kg = np.zeros(len(self.market.conditions))
        mass = np.array([lot.mass for lot in self.market.lots])
        np.add.at(kg, self.arcs.cond, self.solution.share * mass[self.arcs.lot])
        return kg

    def deliveries(self) -> list[dict[str, Any]]:
        """Each buyer's received blend, graded again from the mixed record (independent of
        the linear rows the solver used)."""
        a, s = self.arcs, self.solution
        out = []
        on = np.flatnonzero(self._carries())  # grouped by condition once, not once per one
        counts = np.bincount(a.cond[on], minlength=len(self.market.conditions))
        by_cond = np.split(on[np.argsort(a.cond[on], kind="stable")], np.cumsum(counts))
        for b, c in enumerate(self.market.conditions):
            pick = by_cond[b]
            if len(pick) == 0:
                continue
            kg: dict[int, float] = {}
            for k in pick:
                kg[int(a.lot[k])] = kg.get(int(a.lot[k]), 0.0) + float(
                    self.market.lots[a.lot[k]].mass * s.share[k]
                )
            items = [self.market.lots[i].item for i in kg]
            mixed = blend(items, list(kg.values()), id=f"delivery-{c.id}")
            verdict = grade([mixed], [a.compiled.sets[b].cs], as_of=self.market.as_of)
            row = verdict.rows()[0]
            out.append(
                {
                    "condition": c.id,
                    "buyer": c.buyer,
                    "kg": sum(kg.values()),
                    "lots": len(kg),
                    "criteria": row["criteria"],
                    "met": row["met"],
                    "failed": row["failed"],
                    "blend": verdict.evidence(0),
                }
            )
        return out

    def shipments(self) -> list[dict[str, Any]]:
        a, s = self.arcs, self.solution
        mass = np.array([lot.mass for lot in self.market.lots])
        out = []
        via = np.flatnonzero(a.pool >= 0)  # kg per (pool, condition), summed once
        per: dict[tuple[int, int], float] = {}
        flow = s.share[via] * mass[a.lot[via]]
        for p, b, kg in zip(a.pool[via].tolist(), a.cond[via].tolist(), flow.tolist(),
                            strict=True):
            per[p, b] = per.get((p, b), 0.0) + kg
        for p, b in s.pairs:
            kg = per.get((int(p), int(b)), 0.0)
            if kg > TOL:
                out.append(
                    {
                        "pool": self.market.pools[p].id,
                        "condition": self.market.conditions[b].id,
                        "kg": kg,
                    }
                )
        return out

    def unmatched_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "lot": self.market.lots[i].id,
                "seller": self.market.lots[i].seller,
                "kg": self.market.lots[i].mass,  # a remainder's own kg replaces it
                **r,
            }
            for i, r in self.unmatched.items()
        ]

    def summary(self) -> dict[str, Any]:
        s = self.solution
        total = sum(lot.mass for lot in self.market.lots)
        matched = sum(r["kg"] for r in self.assignments())
        return {
            "status": s.status,
            "margin_JPY": s.objective,
            "bound_JPY": _finite(s.bound),
            "gap": _finite(s.gap),
            "solve_s": s.seconds,
            "total_s": self.seconds_total,
            "routes": len(self.arcs.lot),
            "variables": s.variables,
            "integer_variables": s.integers,
            "constraints": s.constraints,
            "lots": len(self.market.lots),
            "conditions": len(self.market.conditions),
            "pools": len(self.market.pools),
            "offered_kg": total,
            "matched_kg": matched,
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.assignments())

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "assignments": self.assignments(),
            "deliveries": self.deliveries(),
            "pooled_shipments": self.shipments(),
            "unmatched": self.unmatched_rows(),
            "unserved_conditions": self.unserved,
        }

    def report(self, path: str | Path, title: str = "Market matching") -> Path:
        from junkan.core.report import Page

        doc = self.to_json()
        page = Page(
            title,
            subtitle=f"{doc['summary']['status']}; margin {doc['summary']['margin_JPY']:,.0f} JPY",
        )
        page.definitions({k: "—" if v is None else str(v) for k, v in doc["summary"].items()})
        if doc["assignments"]:
            page.table(self.to_frame(), caption="Routes used (JPY/kg terms, kg, km)")
        page.table(
            [
                [d["condition"], d["buyer"], d["kg"], d["lots"], d["met"], "; ".join(d["failed"])]
                for d in doc["deliveries"]
            ],
            columns=["condition", "buyer", "kg", "lots", "window met", "failed"],
            caption="Delivered blends, graded again from the mixed record",
        )
        if doc["unmatched"]:
            page.table(
                [
                    [u["lot"], u["seller"], u["kg"], u["code"], u["message"]]
                    for u in doc["unmatched"]
                ],
                columns=["lot", "seller", "kg", "reason", "why"],
                caption="Unmatched lots",
            )
        if self.unserved:
            page.table(
                [[u["condition"], u["buyer"], u["field"], u["message"]] for u in self.unserved],
                columns=["condition", "buyer", "field", "why"],
                caption="Conditions no assignment can serve",
            )
        page.figure(self.map_figure())
        return page.write(path)

    def map_figure(self) -> Any:
        """Lots, pooling points and buyers on longitude/latitude axes (no base map: the
        report stays offline), with a line per route used."""
        import plotly.graph_objects as go

        m = self.market
        lots = {x.id: x.location for x in m.lots}
        conds = {x.id: x.location for x in m.conditions}
        pools = {x.id: x.location for x in m.pools}
        fig = go.Figure()
        for r in self.assignments()[:2000]:
            pts = [lots[r["lot"]], *([pools[r["via"]]] if r["via"] else []), conds[r["condition"]]]
            fig.add_trace(
                go.Scatter(
                    x=[p.lon for p in pts],
                    y=[p.lat for p in pts],
                    mode="lines",
                    line={"width": 1, "color": "#999"},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        for name, rows, sym in (
            ("lots", m.lots, "circle"),
            ("pools", m.pools, "square"),
            ("buyers", m.conditions, "star"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=[r.location.lon for r in rows],
                    y=[r.location.lat for r in rows],
                    mode="markers",
                    name=name,
                    text=[r.id for r in rows],
                    marker={"symbol": sym, "size": 9},
                )
            )
        fig.update_layout(xaxis_title="longitude", yaxis_title="latitude", height=500)
        return fig
