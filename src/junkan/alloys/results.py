"""Typed results of the alloy verbs. Each has ``document()`` (the answer the CLI and the API
return), ``to_json()`` (the same, JSON-ready), ``to_frame()`` (a pandas table) and
``report(out)`` (files in a folder). :class:`~junkan.alloys.plan.PlanResult` is the result
of ``plan``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junkan.alloys.feedback import Estimates, write_control_chart
from junkan.alloys.plan import write_files
from junkan.alloys.predict import Prediction
from junkan.alloys.sorter import Sorted
from junkan.core.encoding import jsonable

STATS = ("mean", "sd", "p5", "p50", "p95")


def _stat_rows(product: str, block: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of one product's mass (kg) and composition (wt %) statistics."""
    rows = [{"product": product, "quantity": "mass", "unit": "kg",
             **{s: block["mass_kg"][s] for s in STATS}}]
    rows += [{"product": product, "quantity": el, "unit": "wt %", **{s: st[s] for s in STATS}}
             for el, st in block["composition_wt_pct"].items()]
    return rows


@dataclass
class PredictResult:
    """A Monte Carlo prediction of the recovered fractions, optionally sorted and graded."""

    prediction: Prediction
    sorted: Sorted | None = None
    grade_al_fraction: dict[str, Any] | None = None
    """The aluminium fraction against the buyer: probability met, expected price."""
    grade_sorted: dict[str, dict[str, Any]] | None = None
    """The sorted wrought and cast products against the buyer."""

    def document(self) -> dict[str, Any]:
        doc = self.prediction.summary()
        if self.sorted is not None:
            doc["sorted"] = self.sorted.summary()
        if self.grade_al_fraction is not None:
            doc["grade_al_fraction"] = self.grade_al_fraction
        if self.grade_sorted is not None:
            doc["grade_sorted"] = self.grade_sorted
        return doc

    def to_json(self) -> dict[str, Any]:
        return dict(jsonable(self.document()))

    def to_frame(self) -> Any:
        """Mass (kg) and composition (wt %) of every fraction — and sorted product, as
        ``sorted:<class>`` — over the samples: product, quantity, unit, mean, sd, p5, p50,
        p95."""
        import pandas as pd

        doc = self.document()
        rows = [r for fr, block in doc["fractions"].items() for r in _stat_rows(fr, block)]
        for name, block in doc.get("sorted", {}).get("products", {}).items():
            rows += _stat_rows(f"sorted:{name}", block)
        return pd.DataFrame(rows)

    def report(self, out: str | Path) -> Path:
        """Write ``prediction.json`` and ``prediction.csv`` into ``out``."""
        return write_files(out, "prediction", self.to_json(), self.to_frame())


@dataclass
class GradeResult:
    """A lot graded against buyers (buyer key → met, margins, limiting element, price)."""

    grades: dict[str, dict[str, Any]]

    def document(self) -> dict[str, Any]:
        return {"grades": self.grades}

    def to_json(self) -> dict[str, Any]:
        return dict(jsonable(self.document()))

    def to_frame(self) -> Any:
        """One row per buyer and limited element: value, max, min, margin, met; with the
        buyer's overall verdict and price."""
        import pandas as pd

        rows = [{"buyer": key, "element": el, "value": r["value"], "max": r.get("max"),
                 "min": r.get("min"), "margin": r.get("margin"), "met": r["met"],
                 "lot_met": g["met"], "price_JPY_per_kg": g["price_JPY_per_kg"]}
                for key, g in self.grades.items() for el, r in g["elements"].items()]
        return pd.DataFrame(rows)

    def report(self, out: str | Path) -> Path:
        """Write ``grade.json`` and ``grade.csv`` into ``out``."""
        return write_files(out, "grade", self.to_json(), self.to_frame())


@dataclass
class UpdateResult:
    """Estimates after folding in measured lots, what changed, and control charts."""

    estimates: Estimates
    changed: list[dict[str, Any]]
    """Part keys and elements whose mean moved: prior, posterior, posterior sd (wt %)."""
    control_charts: dict[str, dict[str, Any]]
    """Per element measured in ≥ 2 lots: centre, limits, values, per-lot flags and the IDs
    of the lots charted (those that measured it)."""
    warnings: list[str] = field(default_factory=list)
    """Lots left out of an element's chart (not measured there), elements without a chart."""

    def document(self) -> dict[str, Any]:
        return {"lots": self.estimates.lots, "changed": self.changed,
                "control_charts": self.control_charts, "warnings": self.warnings,
                "estimates": self.estimates.document()}

    def to_json(self) -> dict[str, Any]:
        return dict(jsonable(self.document()))

    def to_frame(self) -> Any:
        """The changed estimates: key, element, prior, posterior, posterior_sd."""
        import pandas as pd

        return pd.DataFrame(self.changed, columns=["key", "element", "prior", "posterior",
                                                   "posterior_sd"])

    def report(self, out: str | Path) -> Path:
        """Write ``update.json``, ``update.csv`` and, with control charts,
        ``control-chart.html`` (plotly, offline) into ``out``; returns the page's path (the
        JSON file's without charts)."""
        path = write_files(out, "update", self.to_json(), self.to_frame())
        if self.control_charts:
            return write_control_chart(self.control_charts, Path(out))
        return path
