"""The indicators capability's verbs: :func:`load` a flow model, :func:`run` the frameworks
on it (or on a lifecycle result) and get an :class:`IndicatorResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pandas as pd

from junkan.core.encoding import jsonable
from junkan.indicators.catalogue import tradeoff_warnings
from junkan.indicators.compute import compute, from_lifecycle
from junkan.indicators.inputs import FlowModel, load_flow_model
from junkan.indicators.values import Indicator
from junkan.lifecycle import Result


class IndicatorJson(TypedDict):
    """One indicator in JSON types."""

    key: str
    value: float | None
    unit: str
    formula: str
    source: str
    reason: str | None
    """Why ``value`` is ``None``."""
    status: str
    """How far the definition was checked: ``text``, ``summary`` or ``inferred``."""
    notes: list[str]
    """What could not be read or what junkan assumed."""
    inputs: dict[str, Any]
    reason_code: NotRequired[str]
    """The reason as a code (``indreason.<code>`` in the web page's catalogues), where it has
    one."""
    reason_params: NotRequired[dict[str, str]]
    """What that reason quotes (field names, indicator keys)."""
    note_codes: NotRequired[list[dict[str, Any] | None]]
    """Each note's code (``indnote.<code>`` in the web page's catalogues) and the figures it
    quotes, ``{"code": …, "params": {…}}``, in the order of ``notes`` (``null`` for a note
    without one); absent when no note has a code."""


FRAME_COLUMNS = ("framework", "key", "value", "unit", "formula", "source", "reason", "status",
                 "notes")


@dataclass
class IndicatorResult:
    """Indicators of one flow model, by framework (``mci``, ``cti``, ``iso59020``,
    ``esrs-e5``, ``rap``), with trade-off warnings when computed against a baseline."""

    model: FlowModel
    indicators: dict[str, list[Indicator]]
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Indicator:
        """The indicator with this key, e.g. ``result["cti.circular_inflow"]``."""
        for inds in self.indicators.values():
            for i in inds:
                if i.key == key:
                    return i
        raise KeyError(key)

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: framework, key, value, unit, formula, source, reason,
        status and notes (joined with "; ")."""
        rows = [(fw, i.key, i.value, i.unit, i.formula, i.source, i.reason, i.status,
                 "; ".join(i.notes)) for fw, inds in self.indicators.items() for i in inds]
        return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))

    def to_json(self) -> dict[str, list[IndicatorJson]]:
        """Indicators by framework in JSON types (NaN and infinities as ``None``), as the API
        and ``junkan indicators --format json`` give them."""
        from junkan.indicators.report import as_json

        doc: dict[str, list[IndicatorJson]] = jsonable(as_json(self.indicators))
        return doc

    def report(self, path: str | Path, title: str | None = None) -> Path:
        """Write the HTML page (inflow → outflow Sankey, every indicator with its formula,
        inputs and source) to ``path`` — a ``.html`` file, or a folder that gets
        ``indicators.html`` — with ``plotly.min.js`` beside it; returns the file written."""
        from junkan.indicators.report import indicators_page

        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target / "indicators.html"
        page = indicators_page([(self.model.name, self.model, self.indicators, self.warnings)],
                               title or f"Circularity indicators — {self.model.name}")
        return page.write(target)


def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, source: str = "<flows>") -> FlowModel:
    """Read and validate a flow model from a file, ``text`` or a parsed ``doc``; errors name
    the document path."""
    return load_flow_model(path, text=text, doc=doc, source=source)


def run(model: FlowModel | Result, frameworks: Sequence[str] = ("all",), *,
        years: tuple[int, int] | None = None,
        baseline: Result | None = None) -> IndicatorResult:
    """Compute ``frameworks`` (``all`` or any of mci, cti, iso59020, esrs-e5, rap).

    ``model`` is a flow model, or a lifecycle :class:`~junkan.lifecycle.Result` whose flows
    over ``years`` (default: all) are taken (:func:`from_lifecycle`); with a ``baseline``
    result, the warnings name representative indicators that improve while others worsen."""
    warnings: list[str] = []
    if isinstance(model, Result):
        if baseline is not None:
            tot, base = model.totals(), baseline.totals()
            warnings = tradeoff_warnings({k: tot[k] - base[k] for k in tot})
        model = from_lifecycle(model, years)
    return IndicatorResult(model, compute(model, frameworks), warnings)
