"""The answer of a surplus-soil matching (:func:`junkan.market.run_soil`): routes per period,
totals, and why each m³ that went to disposal (or nowhere) was not matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from junkan.market.soil_schema import SoilMarket

MATCHED = ("direct", "from_stockyard")


@dataclass(frozen=True)
class Arc:
    """A variable of the program: a route (``direct`` source → sink, ``to_stockyard``,
    ``from_stockyard`` → sink, ``dispose``, ``stockyard_dispose``), a stockyard's ``stock``
    at the end of a period, or a source's ``unplaced`` volume. ``origin``/``dest`` index the
    document's lists; ``km`` is the road distance."""

    kind: str
    origin: int
    dest: int
    grade: str
    period: int
    km: float


@dataclass
class SoilResult:
    """Volumes (m³) per variable of :attr:`arcs`, with the document they answer."""

    market: SoilMarket
    grades: list[str]
    arcs: list[Arc]
    x: np.ndarray
    objective: float
    costs: np.ndarray
    """JPY per m³ of each variable (the slack's is the solver's penalty)."""
    better_unknown: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per source classed from its record: the better classes whose verdict is unknown, and
    what to measure (review 307); the source is matched with the class it meets."""

    def class_notes(self) -> list[str]:
        """Each source with an unknown better class, in words (as ``junkan grade`` says it)."""
        from junkan.grading import better_said
        from junkan.market.soil_schema import SOIL_FAMILY

        grade = dict(zip((s.id for s in self.market.sources), self.grades, strict=True))
        return [f"source {sid}: {better_said(SOIL_FAMILY, grade[sid], b)}"
                for sid, b in self.better_unknown.items()]

    def _names(self, a: Arc) -> tuple[str, str]:
        m = self.market
        frm = (
            m.stockyards[a.origin].id
            if a.kind.startswith("stock") or a.kind == "from_stockyard"
            else m.sources[a.origin].id
        )
        if a.kind == "unplaced":
            return frm, ""
        if a.kind in ("direct", "from_stockyard"):
            return frm, m.sinks[a.dest].id
        if a.kind in ("to_stockyard", "stock"):
            return frm, m.stockyards[a.dest].id
        return frm, m.disposal[a.dest].id

    def flows(self) -> list[dict[str, Any]]:
        """Every route used: from, to, kind, grade, period, m³, km, cost per m³."""
        m, out = self.market, []
        for v in np.flatnonzero(self.x):
            a = self.arcs[v]
            if a.kind in ("stock", "unplaced"):
                continue
            frm, to = self._names(a)
            out.append(
                {
                    "from": frm,
                    "to": to,
                    "kind": a.kind,
                    "grade": a.grade,
                    "period": m.periods[a.period],
                    "m3": round(float(self.x[v]), 6),
                    "km": round(float(a.km), 3),
                }
            )
        return out

    def _total(self, kinds: tuple[str, ...]) -> float:
        return float(sum(self.x[v] for v, a in enumerate(self.arcs) if a.kind in kinds))

    def summary(self) -> dict[str, Any]:
        """Volumes by fate, haul (m³·km, and t·km and CO2e when density and factor are
        given), and the objective (JPY: costs less purchased soil saved)."""
        m = self.market
        supplied = float(sum(sum(s.volumes) for s in m.sources))
        m3km = float(sum(self.x[v] * a.km for v, a in enumerate(self.arcs)))
        out: dict[str, Any] = {
            "supplied_m3": supplied,
            "matched_m3": self._total(MATCHED),
            "matched_via_stockyard_m3": self._total(("from_stockyard",)),
            "disposed_m3": self._total(("dispose", "stockyard_dispose")),
            "unplaced_m3": self._total(("unplaced",)),
            "haul_m3_km": m3km,
            "net_cost_JPY": self.objective - self._penalty(),
        }
        out["matched_share"] = out["matched_m3"] / supplied if supplied else 0.0
        if m.haul.density is not None:
            out["haul_t_km"] = m3km * m.haul.density
            if m.haul.co2e is not None:
                out["haul_co2e_t"] = out["haul_t_km"] * m.haul.co2e / 1e6
        return out

    def _penalty(self) -> float:
        return float(
            sum(self.x[v] * self.costs[v] for v, a in enumerate(self.arcs) if a.kind == "unplaced")
        )

    def unmatched(self) -> list[dict[str, Any]]:
        """Each source and period with volume disposed or unplaced, and why it was not
        matched: ``no_sink_grade``, ``too_far``, ``no_demand``, ``demand_taken``,
        ``stockyard_full`` or ``cheaper_to_dispose`` (:mod:`junkan.market.soil_explain`)."""
        from junkan.market.soil_explain import explain

        return explain(self)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            self.flows(), columns=["from", "to", "kind", "grade", "period", "m3", "km"]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "flows": self.flows(),
            "unmatched": self.unmatched(),
            "grades": dict(zip((s.id for s in self.market.sources), self.grades, strict=True)),
            "better_unknown": self.better_unknown,
            "class_notes": self.class_notes(),
        }

    def by_period(self) -> dict[str, list[float]]:
        """m³ per period: matched directly, matched from stockyards, stored, disposed."""
        T = len(self.market.periods)
        out = {
            k: [0.0] * T
            for k in ("direct", "from_stockyard", "to_stockyard", "disposed", "unplaced")
        }
        for v in np.flatnonzero(self.x):
            a = self.arcs[v]
            key = "disposed" if a.kind in ("dispose", "stockyard_dispose") else a.kind
            if key in out:
                out[key][a.period] += float(self.x[v])
        return out

    def report(self, path: str | Path, title: str = "Surplus-soil matching") -> Path:
        """An HTML page: totals, volumes per period (chart), routes and unmatched volume."""
        import plotly.graph_objects as go

        from junkan.core.report import Page

        doc = self.to_json()
        s = doc["summary"]
        page = Page(
            title,
            subtitle=f"{s['matched_share']:.0%} of {s['supplied_m3']:,.0f} m³ "
            f"matched; net cost {s['net_cost_JPY']:,.0f} JPY",
        )
        page.definitions({k: f"{v:,.3f}" if isinstance(v, float) else str(v) for k, v in s.items()})
        fig = go.Figure()
        for key, series in self.by_period().items():
            fig.add_trace(go.Bar(name=key, x=self.market.periods, y=series))
        fig.update_layout(barmode="stack", yaxis_title="m³", height=380)
        page.figure(fig)
        if doc["class_notes"]:
            page.paragraph("A better class is unknown for some sources (each is matched with "
                           "the class it meets):", warning=True).bullets(doc["class_notes"])
        if doc["flows"]:
            page.table(self.to_frame(), caption="Routes used (m³, km)")
        if doc["unmatched"]:
            page.table(
                [
                    [u["source"], u["period"], u["m3"], u["code"], u["message"]]
                    for u in doc["unmatched"]
                ],
                columns=["source", "period", "m³", "reason", "why"],
                caption="Volume not matched",
            )
        return page.write(path)
