"""Typed results: :class:`MonitorRun` (one scenario through the monitor) and
:class:`Evaluation` (every detector scored on held-out scenarios). Each has ``to_frame()``,
``to_json()`` and ``report(path)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from junkan.core.encoding import jsonable
from junkan.core.report import Page
from junkan.sensing.generator import Recording, summary
from junkan.sensing.monitor import Monitor


@dataclass
class MonitorRun:
    scenario: str
    recording: Recording
    monitor: Monitor

    def to_frame(self) -> pd.DataFrame:
        """Per decision step (10 Hz): features, detector scores, state confidences, action."""
        return pd.DataFrame(list(self.monitor.trace))

    def to_json(self, *, every: int = 10) -> dict[str, Any]:
        """Alarms with evidence, the truth, model versions and the signals every ``every``
        steps (for a chart)."""
        df = self.to_frame().iloc[::every]
        cols = [
            "t",
            "current",
            "droop",
            "lel",
            "sparks",
            "ac_high",
            "action",
            *[c for c in df.columns if c.startswith("p_") or c.endswith("_score")],
        ]
        return jsonable(
            {
                "scenario": self.scenario,
                "line": self.monitor.line,
                "truth": summary(self.recording),
                "alarms": [a.as_dict() for a in self.monitor.alarms],
                "versions": [
                    {k: v for k, v in ver.items() if k != "params"} for ver in self.monitor.versions
                ],
                "thresholds": self.monitor.models.thresholds(),
                "series": {c: df[c].round(4).tolist() for c in cols if c in df},
            }
        )

    def report(self, path: str | Path) -> Path:
        import plotly.graph_objects as go

        df = self.to_frame()
        page = Page(f"Shredder monitor — {self.scenario}", subtitle=f"line {self.monitor.line}")
        fig = go.Figure()
        for c in ("current", "droop", "lel", "action"):
            fig.add_trace(go.Scatter(x=df["t"], y=df[c], name=c, mode="lines"))
        for e in self.recording.events:
            fig.add_vrect(
                x0=e.onset_s,
                x1=e.end_s,
                opacity=0.15,
                line_width=0,
                fillcolor="red" if e.anomaly else "grey",
            )
        page.heading("Signals, actions and events").figure(fig)
        page.heading("Alarms").table(
            [
                [
                    a.id,
                    a.start,
                    a.end,
                    a.action,
                    "; ".join(f"{e['source']}:{e['signal']}" for e in a.evidence),
                ]
                for a in self.monitor.alarms
            ],
            columns=["id", "start s", "end s", "action", "evidence"],
        )
        page.heading("Events (truth)").table(
            [
                [e.type, e.onset_s, e.end_s, e.observable_s, e.severity]
                for e in self.recording.events
            ],
            columns=["type", "onset s", "end s", "observable s", "severity"],
        )
        return page.write(path)


SUMMARY_KEYS = (
    "f1",
    "precision",
    "recall",
    "false_alarms_per_8h",
    "nab_standard",
    "nab_reward_low_fn",
    "vus_pr",
)
"""The scores of a system's summary row, in order."""

NOT_DEFINED = {
    "precision": "n/a — no alarms",
    "recall": "n/a — no events",
    "f1": "n/a — no events",
    "false_alarms_per_8h": "n/a — no normal running",
}
"""What a table shows for a score that is 0/0 (``None`` in JSON), and why."""

NOT_DEFINED_NOTE = (
    "n/a: not defined (0/0) — precision without alarms, recall and F1 without events, "
    "false alarms / 8 h without normal running"
)


@dataclass
class Evaluation:
    scenarios: list[str]
    tuning_seeds: list[int]
    test_seeds: list[int]
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per system and event type."""
        rows = []
        for name, s in self.systems.items():
            for kind, e in s["by_event"].items():
                rows.append(
                    {
                        "system": name,
                        "event": kind,
                        **e,
                        "false_alarms_per_8h": s["false_alarms_per_8h"],
                        "precision": s["precision"],
                    }
                )
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        return jsonable(
            {
                "scenarios": self.scenarios,
                "tuning_seeds": self.tuning_seeds,
                "test_seeds": self.test_seeds,
                "systems": self.systems,
            }
        )

    def summary_rows(
        self, fmt: Callable[[Any], str] | None = None, *, short: bool = False
    ) -> list[list[Any]]:
        """One row per system: name, F1, precision, recall, false alarms per 8 h, NAB
        (standard, low-FN), VUS-PR, each number through ``fmt`` (kept as is without one). A
        score that is not defined (0/0) is its reason (:data:`NOT_DEFINED`), never a
        number; ``short``: just "n/a" (a narrow table, with :data:`NOT_DEFINED_NOTE`)."""
        rows = []
        for name, s in self.systems.items():
            row: list[Any] = [name]
            for key in SUMMARY_KEYS:
                v = s[key]
                if v is None and key in NOT_DEFINED:
                    row.append("n/a" if short else NOT_DEFINED[key])
                else:
                    row.append(fmt(v) if fmt is not None else v)
            rows.append(row)
        return rows

    def report(self, path: str | Path) -> Path:
        page = Page(
            "Shredder monitor — evaluation",
            subtitle=f"test seeds {self.test_seeds} (tuned on {self.tuning_seeds})",
        )
        page.paragraph(
            "Event-wise scores (no point adjustment). Latency from the physical "
            "onset; 'after sensor lag' from when the sensor could first show it."
        )
        page.table(
            self.summary_rows(),
            columns=["system", "F1", "precision", "recall", "false alarms / 8 h",
                     "NAB standard", "NAB low-FN", "VUS-PR"],
        )
        page.heading("Per event type").table(self.to_frame())
        return page.write(path)
