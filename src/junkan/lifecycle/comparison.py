"""Scenarios side by side: headline figures, totals and their change against the baseline —
the document ``junkan compare --format json`` prints, and :class:`Comparison`, which carries it
with the results it was computed from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from junkan.core.catalogue import Language
from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError, short
from junkan.core.quantities import parse_unit
from junkan.core.registry import Q_
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.results import Result, divide
from junkan.lifecycle.schema import Headline, Selection

if TYPE_CHECKING:
    import pandas as pd  # imported in to_frame: pandas costs start-up time

IndicatorHook = Callable[[Result, dict[str, float], dict[str, float]], Mapping[str, Any]]
"""Adds entries to a scenario's comparison (e.g. circularity indicators): called with the
scenario's result, its totals and the baseline's totals."""


class ScenarioComparison(TypedDict, total=False):
    """One scenario in a :class:`ComparisonDocument` (an indicator hook may add keys)."""

    name: str
    description: str | None
    years: list[int]
    """First and last year the scenario simulates (a scenario may set ``years``)."""
    note: str
    """Why its changes against the baseline are not given (another horizon), if so."""
    headline: dict[str, float]
    """Headline figures of the model (in their display units)."""
    totals: dict[str, float]
    """Whole-horizon totals (:meth:`Result.totals`)."""
    change_vs_baseline: dict[str, float]
    by_actor: dict[str, dict[str, float]]
    by_actor_change_vs_baseline: dict[str, dict[str, float]]
    co2e_t_by_stage: dict[str, float]
    mass_balance_max_relative_error: float


class ComparisonDocument(TypedDict):
    """All scenarios of a model side by side."""

    model: str
    title: str | None
    baseline: str
    years: list[int]
    """First and last year."""
    currency: str
    headline_descriptions: dict[str, str | None]
    headline_units: dict[str, str]
    """Unit of each headline figure (``ratio`` for an index, ``fraction`` for a share)."""
    units: dict[str, Any]
    """Units of ``totals``, ``change_vs_baseline``, ``by_actor`` and ``co2e_t_by_stage``
    (:meth:`Result.units`)."""
    scenarios: list[ScenarioComparison]


def horizon(simulated: Result | Compiled) -> tuple[int, int]:
    """First and last year a result (or a compiled scenario) simulates."""
    return int(simulated.years[0]), int(simulated.years[-1])


def windowed(sel: Selection | None) -> bool:
    """Whether a selection (and its ``per``) names its years: then it covers the same years
    in every scenario that simulates them."""
    return sel is None or (sel.years is not None and windowed(sel.per))


def headline_value(h: Headline, results: dict[str, Result], scenario: str,
                   baseline: str) -> float:
    """Evaluate one headline figure for ``scenario``. A comparison with a scenario of
    another horizon is not defined (NaN) unless the figure names its years: totals over
    2020–2022 against 2020–2026 looked like a saving (review 222)."""
    return float(headline_values(h, results, scenario, baseline))


def headline_values(h: Headline, results: dict[str, Result], scenario: str,
                    baseline: str) -> np.ndarray:
    """:func:`headline_value` of each run of results of many runs
    (:meth:`Result.of_runs`; an array of the leading axes)."""
    value = results[scenario].select_runs(h)
    if h.compare != "value":
        ref_name = h.relative_to or baseline
        if ref_name not in results:
            raise JunkanError(f"headline refers to unknown scenario {short(ref_name)}; known: "
                              f"{', '.join(results)}")
        used = (scenario, ref_name, baseline) if h.compare == "change_index" else \
            (scenario, ref_name)
        others = {horizon(results[n]) for n in used}
        if len(others) > 1 and not windowed(h):
            return np.full(value.shape, np.nan)
        ref = results[ref_name].select_runs(h)
        if h.compare == "change":
            value = value - ref
        elif h.compare == "change_index":
            base = results[baseline].select_runs(h)
            value = divide(value - base, np.where(ref != base, ref - base, 0.0))
        elif h.compare == "reduction":
            value = ref - value
        else:
            value = divide(value, ref)
    if h.unit and h.compare not in ("index", "change_index"):  # an index has no unit
        value = convert_display(value, h.metric, h.unit, results[scenario].currency)
    return np.asarray(value)


BASE_UNITS = {"co2e": "kgCO2e", "energy": "MJ", "virgin_input": "kg", "recycled_input": "kg",
              "reused_input": "kg", "outflow": "kg", "final_disposal": "kg",
              "products_made": "piece", "parts_made": "piece", "stock": "piece",
              "activity": "piece"}
"""The unit a metric is computed in (money: the model currency; ratios: ``fraction``)."""
RATIO_METRICS = ("recycled_share", "circular_inflow_share", "reuse_rate", "recycling_rate")


def _selection_unit(sel: Selection, currency: str, display: str | None = None) -> str:
    """Unit of a selection's value: the metric's (or the ``display`` unit), per year for the
    annual mean of a flow, per the divisor's unit with ``per``."""
    if sel.metric in RATIO_METRICS:
        unit = "fraction"
    else:
        unit = BASE_UNITS.get(sel.metric, currency)
        if display:
            unit = f"{display}CO2e" if unit == "kgCO2e" and display in ("t", "kg", "g") \
                else display
        if sel.metric == "stock":  # a stock: the mean is pieces, the sum piece-years
            unit = unit if sel.aggregate == "mean" else f"{unit}*year"
        elif sel.aggregate == "mean":
            unit = f"{unit}/year"
    if sel.per is None:
        return unit
    den = _selection_unit(sel.per, currency)
    if unit.endswith("/year") and den.endswith("/year"):
        unit, den = unit[:-5], den[:-5]
    if unit == den or den == "fraction":
        return "ratio" if unit == den else unit
    return f"{unit}/({den})" if any(ch in den for ch in "/*") else f"{unit}/{den}"


def headline_unit(h: Headline, currency: str) -> str:
    """The unit of a headline figure as ``compare`` reports it: ``ratio`` for an index, else
    the unit of its selection (``fraction`` for shares and rates)."""
    if h.compare in ("index", "change_index"):
        return "ratio"
    return _selection_unit(h, currency, h.unit)


def convert_display(value: Any, metric: str, unit: str, currency: str) -> Any:
    """``value`` (a number, or an array of them) of ``metric`` in its base unit
    (:data:`BASE_UNITS`), in ``unit``."""
    base = BASE_UNITS.get(metric, currency if metric in ("cost", "revenue", "margin") else "")
    if not base:
        raise JunkanError(f"metric {short(metric)} is a ratio or index; remove 'unit: {unit}'")
    target = f"{unit}CO2e" if base == "kgCO2e" and unit in ("t", "kg", "g") else unit
    try:
        out = Q_(value, parse_unit(base)).to(parse_unit(target)).magnitude
        return float(out) if np.ndim(out) == 0 else np.asarray(out, dtype=float)
    except Exception:
        raise JunkanError(f"cannot show {metric} ({base}) in {short(unit)}") from None


def comparison_document(model_name: str, title: str | None, baseline: str,
                        results: dict[str, Result], headlines: dict[str, Headline],
                        descriptions: dict[str, str | None],
                        indicator_hook: IndicatorHook | None = None) -> ComparisonDocument:
    """The JSON document ``junkan compare --format json`` prints."""
    base_tot = results[baseline].totals()
    base_actor = results[baseline].by_actor()
    base_years = horizon(results[baseline])
    scen: list[ScenarioComparison] = []
    for name, res in results.items():
        tot = res.totals()
        head = {}
        for key, h in headlines.items():
            if h.scenarios is not None and name not in h.scenarios:
                continue
            head[key] = headline_value(h, results, name, baseline)
        years = horizon(res)
        same = years == base_years  # totals over other years are not compared (NaN: null
        ref = base_tot if same else dict.fromkeys(base_tot, float("nan"))  # in JSON, n/a)
        scen.append({
            "name": name,
            "description": descriptions.get(name),
            "years": list(years),
            "headline": head,
            "totals": tot,
            "change_vs_baseline": {k: tot[k] - ref[k] for k in tot},
            "by_actor": res.by_actor(),
            "by_actor_change_vs_baseline": {
                a: {k: v - (base_actor.get(a, {}).get(k, 0.0) if same else float("nan"))
                    for k, v in d.items()}
                for a, d in res.by_actor().items()},
            "co2e_t_by_stage": res.by_stage(),
            "mass_balance_max_relative_error": res.raw.balance_error,
        })
        if not same:
            scen[-1]["note"] = (f"simulates {years[0]}–{years[1]}, the baseline "
                                f"{base_years[0]}–{base_years[1]}: its totals are not compared "
                                "with the baseline's, nor figures without their own years")
        if indicator_hook is not None:
            scen[-1].update(indicator_hook(res, tot, ref))  # type: ignore[typeddict-item,unused-ignore]
    first = results[baseline]
    return {"model": model_name, "title": title, "baseline": baseline,
            "years": [int(first.years[0]), int(first.years[-1])],
            "currency": first.currency,
            "headline_descriptions": {k: h.description for k, h in headlines.items()},
            "headline_units": {k: headline_unit(h, first.currency)
                               for k, h in headlines.items()},
            "units": first.units(),
            "scenarios": scen}


class Comparison(dict[str, Any]):
    """Scenarios side by side: the :class:`ComparisonDocument` (this object *is* that document,
    a ``dict``, so code written for the plain document keeps working) and, in :attr:`results`,
    the simulation result of every scenario."""

    results: dict[str, Result]

    def __init__(self, document: ComparisonDocument, results: dict[str, Result]) -> None:
        super().__init__(document)
        self.results = results

    @classmethod
    def of(cls, results: dict[str, Result], baseline: str | None = None,
           indicator_hook: IndicatorHook | None = None) -> Comparison:
        """Compare ``results`` (scenario name → result of one model) against ``baseline``
        (default: the model's baseline if simulated, else the first result). Headline
        figures that need a scenario not in ``results`` are left out."""
        first = next(iter(results.values()))
        model = first.raw.compiled.model
        if baseline is None:
            baseline = model.baseline_name if model.baseline_name in results else \
                next(iter(results))
        headlines = {k: h for k, h in model.headline.items()
                     if _computable(h, results, baseline)}
        descriptions = {n: (s.description if s else None) for n, s in model.scenarios.items()}
        descriptions.setdefault(model.baseline_name, "baseline")
        doc = comparison_document(model.name, model.title, baseline, results, headlines,
                                  descriptions, indicator_hook=indicator_hook)
        return cls(doc, results)

    @property
    def scenarios(self) -> list[ScenarioComparison]:
        return list(self["scenarios"])

    def to_json(self) -> ComparisonDocument:
        """The document with plain JSON types (NaN and infinities as ``None``)."""
        doc: ComparisonDocument = jsonable(dict(self))
        return doc

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario and figure: ``scenario``, ``section`` (``headline``,
        ``totals`` or ``change_vs_baseline``), ``figure``, ``value`` and its ``unit``."""
        units = {"headline": self.get("headline_units", {}),
                 "totals": self.get("units", {}).get("totals", {}),
                 "change_vs_baseline": self.get("units", {}).get("change_vs_baseline", {})}
        rows = [(s["name"], section, figure, value, units[section].get(figure))
                for s in self["scenarios"]
                for section in ("headline", "totals", "change_vs_baseline")
                for figure, value in s[section].items()]
        import pandas as pd

        return pd.DataFrame(rows, columns=["scenario", "section", "figure", "value", "unit"])

    def report(self, path: str | Path, lang: Language = "en") -> Path:
        """Write the HTML report (headline table, totals, indicator charts, a Sankey per
        scenario) in ``lang`` (``en`` or ``ja``) to ``path`` — a ``.html`` file, or a folder
        that gets ``report.html`` — with ``plotly.min.js`` beside it; returns the file
        written."""
        from junkan.lifecycle.report import write_report

        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target / "report.html"
        return write_report(target, self.to_json(), self.results,  # type: ignore[arg-type]
                            lang=lang)


def _computable(h: Headline, results: dict[str, Result], baseline: str) -> bool:
    """Whether a headline figure can be evaluated from ``results`` alone."""
    if h.compare == "value":
        return True
    refs = {h.relative_to or baseline} | ({baseline} if h.compare == "change_index" else set())
    return refs <= set(results)
