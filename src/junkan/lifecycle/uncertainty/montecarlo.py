"""Monte Carlo propagation: percentiles of every headline figure, total and per-actor
figure of every scenario, and the probability that one scenario beats another on the same
(paired) draws."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from junkan.core.encoding import jsonable
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.comparison import horizon, windowed
from junkan.lifecycle.uncertainty.evaluate import YEARLY, Evaluator, Outputs
from junkan.lifecycle.uncertainty.sampling import draw
from junkan.lifecycle.uncertainty.spec import UncertaintySection
from junkan.lifecycle.uncertainty.study import Study, resolve

PERCENTILES = (5, 25, 50, 75, 95)
LOWER_IS_BETTER = (
    "co2e_t",
    "energy_GJ",
    "cost_",
    "virgin_input_t",
    "final_disposal_t",
    "export_t",
    "outflow_t",
    "energy_recovery_t",
)
"""Totals where less is better (``cost_`` matches every currency); for the rest more is."""


def lower_is_better(total: str) -> bool:
    return any(total == k or (k.endswith("_") and total.startswith(k)) for k in LOWER_IS_BETTER)


def percentiles(x: np.ndarray) -> dict[str, Any]:
    """The percentiles and mean over the runs whose figure is a number, and ``n_defined``,
    how many runs that is: a run whose figure is not defined (a ratio 0/0, NaN) is not
    counted, and ``n_defined`` below the runs says so (all ``None`` when no run is)."""
    x = x[np.isfinite(x)]
    if not len(x):
        return {f"p{q}": None for q in PERCENTILES} | {"mean": None, "n_defined": 0}
    values = np.percentile(x, PERCENTILES)
    return {f"p{q}": float(v) for q, v in zip(PERCENTILES, values, strict=True)} | {
        "mean": float(x.mean()), "n_defined": len(x)
    }


TIE_RTOL = 1e-9
"""Two paired figures within this fraction of the larger (or both 0) count as equal: they
differ by rounding in the model's arithmetic, not by the scenarios."""
TIES = "ties count as half: P = P(B better) + ½ P(equal); p_equal gives P(equal)"


def compare(xa: np.ndarray, xb: np.ndarray, lower: bool) -> tuple[float, float]:
    """(P(``xb`` better than ``xa``) with ties counted as half, P(equal)) over the paired
    draws where both are numbers (NaN if none); better is lower if ``lower``."""
    ok = np.isfinite(xa) & np.isfinite(xb)
    if not ok.any():
        return float("nan"), float("nan")
    xa, xb = xa[ok], xb[ok]
    equal = np.abs(xb - xa) <= TIE_RTOL * np.maximum(np.abs(xa), np.abs(xb))
    better = ((xb < xa) if lower else (xb > xa)) & ~equal
    return float(better.mean() + 0.5 * equal.mean()), float(equal.mean())


@dataclass
class Ensemble:
    """The result of :func:`propagate`."""

    study: Study
    theta: np.ndarray
    outputs: Outputs
    seed: int | None

    def beats(self, a: str, b: str, total: str) -> float:
        """P(scenario ``b`` is better than ``a`` on a total), from paired draws; a draw in
        which both are equal (:func:`compare`) counts as half, so identical figures give
        0.5 both ways (:meth:`ties` gives the share of such draws)."""
        xa, xb = self.outputs.totals[a][total], self.outputs.totals[b][total]
        return compare(xa, xb, lower_is_better(total))[0]

    def ties(self, a: str, b: str, total: str) -> float:
        """P(scenario ``a`` and ``b`` are equal on a total), from paired draws."""
        xa, xb = self.outputs.totals[a][total], self.outputs.totals[b][total]
        return compare(xa, xb, lower_is_better(total))[1]

    def horizons(self) -> dict[str, list[int]]:
        """First and last year each scenario simulates (a scenario may set ``years``)."""
        return {s: list(horizon(self.study.model.compiled[s])) for s in self.study.scenarios}

    def comparisons(self) -> list[dict[str, Any]]:
        """P(B beats A) per total and headline figure for every pair of scenarios. Two
        scenarios of different horizons are not compared in their totals, nor in headline
        figures that do not name their years (``None``, with a ``note``): a scenario ending
        before the end-of-life it would have was a certain CO2 saving (review 223)."""
        scen, years = self.study.scenarios, self.horizons()
        heads = self.study.model.baseline.headline
        out = []
        o = self.outputs
        for a, b in combinations(scen, 2):
            same = years[a] == years[b]
            tot = {k: compare(v, o.totals[b][k], lower_is_better(k)) if same else (None, None)
                   for k, v in o.totals[a].items()}
            head = {k: compare(v, o.headline[b][k], False)
                    if same or (k in heads and windowed(heads[k])) else (None, None)
                    for k, v in o.headline[a].items() if k in o.headline[b]}
            out.append(
                {
                    "a": a,
                    "b": b,
                    "p_b_beats_a": {k: p for k, (p, _) in tot.items()},
                    "p_equal": {k: t for k, (_, t) in tot.items()},
                    "p_b_greater_headline": {k: p for k, (p, _) in head.items()},
                    "p_equal_headline": {k: t for k, (_, t) in head.items()},
                    **({} if same else {"note": f"{a} simulates {years[a][0]}–{years[a][1]}, "
                                        f"{b} {years[b][0]}–{years[b][1]}: their totals are "
                                        "not compared, nor figures without their own years"}),
                }
            )
        return out

    def to_json(self) -> dict[str, Any]:
        o = self.outputs
        m = self.study.model
        return jsonable(
            {
                "model": m.name,
                "years": [m.baseline.years.start, m.baseline.years.end],  # the baseline's
                "scenario_years": self.horizons(),
                "runs": len(self.theta),
                "seed": self.seed,
                "percentiles": list(PERCENTILES),
                "methods": o.methods,
                "parameters": [
                    {
                        "parameter": p.parameter,
                        "distribution": p.distribution,
                        "source": p.source,
                        "group": p.group,
                        "unit": self.study.parameter_unit(i),
                        **percentiles(self.theta[:, i]),
                    }
                    for i, p in enumerate(self.study.parameters)
                ],
                "scenarios": [
                    {
                        "name": s,
                        "headline": {k: percentiles(v) for k, v in o.headline[s].items()},
                        "totals": {k: percentiles(v) for k, v in o.totals[s].items()},
                        "by_actor": {
                            a: {k: percentiles(v) for k, v in d.items()}
                            for a, d in o.actors[s].items()
                        },
                        "yearly": self.yearly(s),
                    }
                    for s in self.study.scenarios
                ],
                "units": self.units(),
                "undefined": self.undefined(),
                "comparisons": self.comparisons(),
                "comparison_ties": TIES,
                "lower_is_better": [k for k in next(iter(o.totals.values())) if lower_is_better(k)],
            }
        )

    def yearly(self, scenario: str, figures: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The figures of :data:`~.evaluate.YEARLY` (or those of them in ``figures``) in
        ``scenario`` per year: ``years`` and, for each figure, each percentile of
        :data:`PERCENTILES` as a list over the years (``None`` in a year where no run defines
        it, e.g. a share of 0 t) — its fan chart."""
        first, last = self.horizons()[scenario]
        out: dict[str, Any] = {"years": list(range(first, last + 1))}
        for key, v in self.outputs.yearly.get(scenario, {}).items():
            if figures is not None and key not in figures:
                continue
            with warnings.catch_warnings():  # an all-NaN year: None, said by its value
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanpercentile(v, PERCENTILES, axis=0)
            out[key] = {f"p{p}": [float(x) if np.isfinite(x) else None for x in row]
                        for p, row in zip(PERCENTILES, q, strict=True)}
        return out

    def undefined(self) -> list[dict[str, Any]]:
        """Every figure some runs leave undefined (not a number, e.g. a share of 0 t): its
        scenario, section (headline, totals or ``actor:NAME``), name and ``n_defined`` of
        the ``runs`` — its percentiles are over those runs only."""
        runs, out = len(self.theta), []
        for s, sec, k, v in self._figures():
            n = int(np.isfinite(v).sum())
            if n < runs:
                out.append({"scenario": s, "section": sec, "figure": k, "n_defined": n,
                            "runs": runs})
        return out

    def _figures(self) -> list[tuple[str, str, str, np.ndarray]]:
        """(scenario, section, figure, values over the runs) of every figure."""
        o = self.outputs
        out = []
        for s in self.study.scenarios:
            for sec, d in (("headline", o.headline[s]), ("totals", o.totals[s])):
                out += [(s, sec, k, v) for k, v in d.items()]
            for a, d in o.actors[s].items():
                out += [(s, f"actor:{a}", k, v) for k, v in d.items()]
        return out

    def units(self) -> dict[str, dict[str, str]]:
        """The unit of every headline figure, total and per-actor figure (by key), as
        ``junkan compare`` reports them (``fraction`` for shares, ``ratio`` for indices)."""
        o, st = self.outputs, self.study
        head = {k: st.figure_unit(k) for d in o.headline.values() for k in d}
        totals = {k: st.figure_unit(f"totals.{k}") for d in o.totals.values() for k in d}
        actor = {k: st.figure_unit(f"actors.a.{k}") for d in o.actors.values()
                 for figures in d.values() for k in figures}
        return {"headline": head, "totals": totals, "by_actor": actor}

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario, section (headline, totals, actor name) and figure with its
        unit, percentiles, mean and ``n_defined`` (the runs in which it is a number)."""
        units = self.units()
        return pd.DataFrame([{"scenario": s, "section": sec, "figure": k,
                              "unit": units["by_actor" if sec.startswith("actor:") else sec]
                              .get(k, ""),
                              **percentiles(v)} for s, sec, k, v in self._figures()])

    def runs_frame(self) -> pd.DataFrame:
        """Every run: its parameter values and headline figures (wide)."""
        cols: dict[str, Any] = {"run": np.arange(len(self.theta))}
        cols.update({p.parameter: self.theta[:, i] for i, p in enumerate(self.study.parameters)})
        for s in self.study.scenarios:
            cols.update({f"{s}:{k}": v for k, v in self.outputs.headline[s].items()})
        return pd.DataFrame(cols)

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.uncertainty.report import ensemble_report

        return ensemble_report(self, Path(path))


def propagate(
    model: ModelFile,
    runs: int = 1000,
    seed: int | None = 0,
    *,
    section: UncertaintySection | None = None,
    backend: str = "local",
    client: Any = None,
    verify: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Ensemble:
    """``runs`` paired Monte Carlo draws of the model's uncertain parameters through every
    scenario. ``backend="dask"`` evaluates chunks of runs on a ``dask.distributed`` client
    (the draws are made here, so the numbers equal the local ones). ``progress`` is told
    ``(runs done, runs)`` as chunks of runs finish (locally)."""
    st = resolve(model, section)
    theta = draw(st, runs, seed)
    if backend == "dask":
        from junkan.lifecycle.uncertainty.distributed import evaluate_dask

        outputs = evaluate_dask(st, theta, client, yearly=YEARLY)
    elif backend == "local":
        outputs = Evaluator(st, verify=verify, progress=progress, yearly=YEARLY).evaluate(theta)
    else:
        raise ValueError(f"unknown backend {backend!r}; use 'local' or 'dask'")
    return Ensemble(st, theta, outputs, seed)
