"""Global sensitivity: Sobol' first- and total-order indices (Saltelli sampling) and Morris
screening, both from SALib (the ``sensitivity`` extra), plus a one-at-a-time tornado
(each parameter at its 5th and 95th percentile, the others at their medians).

Designs are drawn in the unit cube and mapped through each parameter's inverse CDF between
its 0.1 % and 99.9 % quantiles (:meth:`~.distributions.Marginal.support`: a design's 0 and 1,
Morris's outer levels among them, are these quantiles, not the distribution's far tails), so
the indices are those of the declared distributions within that support. Sobol' indices
assume independent inputs: group correlations are not applied here (they are in
:func:`~.propagate`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError, short
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.uncertainty.distributions import Marginal
from junkan.lifecycle.uncertainty.evaluate import Evaluator, Outputs, figure_problems
from junkan.lifecycle.uncertainty.spec import UncertaintySection
from junkan.lifecycle.uncertainty.study import resolve

Function = Callable[[np.ndarray], dict[str, np.ndarray]]
"""Maps parameter values (runs × k) to named outputs (each an array over runs)."""
METHODS = ("sobol", "morris")
MAX_N = 65_536


@dataclass
class Sensitivity:
    """Indices per output and parameter."""

    method: str
    names: list[str]
    indices: dict[str, dict[str, list[float]]]  # output -> index name -> per parameter
    tornado: dict[str, dict[str, list[float]]]  # output -> low / high / nominal
    evaluations: int
    skipped: dict[str, str] = field(default_factory=dict)  # output -> why it has no indices
    units: dict[str, str] = field(default_factory=dict)  # output -> its unit, where known
    parameter_units: dict[str, str] = field(default_factory=dict)  # parameter -> its unit

    def ranking(self, output: str) -> list[str]:
        """Parameters by importance for ``output`` (total order, or μ*)."""
        key = "ST" if self.method == "sobol" else "mu_star"
        score = np.nan_to_num(np.asarray(self.indices[output][key]), nan=-1.0)
        return [self.names[i] for i in np.argsort(-score)]

    def to_json(self) -> dict[str, Any]:
        return jsonable(
            {
                "method": self.method,
                "parameters": self.names,
                "evaluations": self.evaluations,
                "outputs": {
                    o: {**d, "top_drivers": self.ranking(o)[:5], "tornado": self.tornado.get(o),
                        "unit": self.units.get(o)}
                    for o, d in self.indices.items()
                },
                "parameter_units": self.parameter_units,
                "skipped": self.skipped,
            }
        )

    def to_frame(self) -> Any:
        import pandas as pd

        rows = [
            {"output": o, "parameter": p, **{k: v[i] for k, v in d.items()}}
            for o, d in self.indices.items()
            for i, p in enumerate(self.names)
        ]
        return pd.DataFrame(rows)

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.uncertainty.report import sensitivity_report

        return sensitivity_report(self, Path(path))


def analyse(
    names: list[str],
    marginals: list[Marginal],
    fn: Function,
    *,
    method: str = "sobol",
    n: int = 256,
    seed: int | None = 0,
    nominal: np.ndarray | None = None,
) -> Sensitivity:
    """Sensitivity of ``fn``'s outputs to parameters with the given marginals."""
    from SALib.analyze import morris as morris_analyze  # the 'sensitivity' extra
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use {' or '.join(METHODS)}")
    if not 4 <= n <= MAX_N:
        raise ValueError(f"n must be 4 … {MAX_N:,}")
    k = len(names)
    problem = {"num_vars": k, "names": names, "bounds": [[0.0, 1.0]] * k}
    if method == "sobol":
        n2 = 1 << max(2, int(np.ceil(np.log2(n))))  # Saltelli needs a power of 2
        u = sobol_sample.sample(problem, n2, calc_second_order=False, seed=seed)
    else:
        u = morris_sample.sample(problem, n, num_levels=4, seed=seed)
    theta = _values(marginals, u)
    out = fn(theta)
    indices: dict[str, dict[str, list[float]]] = {}
    skipped: dict[str, str] = {}
    for name, y in out.items():
        y = np.asarray(y, dtype=float)
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            skipped[name] = f"undefined (not a number) in {bad:,} of {len(y):,} runs"
            continue
        if np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            skipped[name] = "the same in every run: no parameter moves it"
            continue
        if method == "sobol":
            si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            si = morris_analyze.analyze(problem, u, y, num_levels=4, seed=seed)
            keys = ("mu", "mu_star", "sigma", "mu_star_conf")
        indices[name] = {kk: [float(v) for v in si[kk]] for kk in keys}
    tornado = _tornado(marginals, fn, nominal, list(indices)) if nominal is not None else {}
    return Sensitivity(method, names, indices, tornado, len(theta), skipped)


def _values(marginals: list[Marginal], u: np.ndarray) -> np.ndarray:
    return np.column_stack([m.design(u[:, i]) for i, m in enumerate(marginals)])


def _tornado(
    marginals: list[Marginal], fn: Function, nominal: np.ndarray, outputs: list[str]
) -> dict[str, dict[str, list[float]]]:
    k = len(marginals)
    rows = np.repeat(nominal[None, :], 2 * k + 1, axis=0)
    for i, m in enumerate(marginals):
        rows[2 * i, i], rows[2 * i + 1, i] = m.ppf(np.array([0.05, 0.95]))
    out = fn(rows)
    return {
        o: {
            "low": [float(out[o][2 * i]) for i in range(k)],
            "high": [float(out[o][2 * i + 1]) for i in range(k)],
            "nominal": [float(out[o][-1])] * k,
        }
        for o in outputs
    }


def model_function(
    ev: Evaluator, idx: list[int], full: np.ndarray, outputs: list[str] | None
) -> Function:
    """``fn`` of :func:`analyse` for a model: the chosen parameters set, the others at
    ``full``'s values; outputs named ``scenario:figure``."""

    def fn(theta: np.ndarray) -> dict[str, np.ndarray]:
        rows = np.repeat(full[None, :], len(theta), axis=0)
        rows[:, idx] = theta
        o: Outputs = ev.evaluate(rows)
        names = outputs or [f"{s}:{k}" for s, d in o.headline.items() for k in d]
        return {name: o.figure(*name.split(":", 1)) for name in names}

    return fn


def _check_outputs(ev: Evaluator, outputs: list[str]) -> None:
    """JunkanError naming every output that is not ``scenario:figure`` of the model, before
    any of the design's evaluations."""
    pairs = [tuple(o.split(":", 1)) if ":" in o else None for o in outputs]
    found = figure_problems(ev, [p for p in pairs if p is not None])  # type: ignore[misc]
    lines = []
    for o, pair in zip(outputs, pairs, strict=True):
        why = (
            found.pop(0)
            if pair is not None
            else ("give scenario:figure, e.g. B:co2_reduction_t or B:totals.co2e_t")
        )
        if why is not None:
            lines.append(f"output {short(o)}: {why}")
    if lines:
        raise JunkanError("\n".join(lines))


def sensitivity(
    model: ModelFile,
    method: str = "sobol",
    n: int = 256,
    seed: int | None = 0,
    *,
    outputs: list[str] | None = None,
    section: UncertaintySection | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """Sensitivity of the model's headline figures (every scenario, or ``outputs`` such as
    ``B:co2_reduction_t`` or ``B:totals.co2e_t``) to its drawn parameters. ``progress`` is
    told ``(runs done, runs)`` of each batch of model runs (the design's, then the
    tornado's)."""
    st = resolve(model, section)
    idx = [i for i, m in enumerate(st.marginals) if not m.fixed]
    if not idx:
        raise ValueError("no parameter has a distribution (all are 'fixed')")
    nominal = st.nominal()
    marg = [st.marginals[i] for i in idx]
    med = np.array([m.median() for m in marg])
    ev = Evaluator(st, progress=progress)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use {' or '.join(METHODS)}")
    if outputs:
        _check_outputs(ev, outputs)
    elif not model.baseline.headline:  # nothing to analyse: say so before any run
        raise ValueError("the model has no headline figures to analyse: name the outputs "
                         "(e.g. --output baseline:totals.co2e_t) or add a 'headline' section")
    fn = model_function(ev, idx, nominal, outputs)
    sa = analyse([st.names[i] for i in idx], marg, fn, method=method, n=n, seed=seed, nominal=med)
    sa.units = {o: st.figure_unit(o.split(":", 1)[1]) for o in (*sa.indices, *sa.skipped)}
    sa.parameter_units = {st.names[i]: st.parameter_unit(i) for i in idx}
    return sa
