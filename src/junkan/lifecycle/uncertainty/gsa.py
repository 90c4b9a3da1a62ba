"""Global sensitivity: Sobol' first- and total-order indices (Saltelli sampling) and Morris
screening, both from SALib (the ``sensitivity`` extra), plus a one-at-a-time tornado
(each parameter at its 5th and 95th percentile, the others at their medians).

Designs are drawn in the unit cube and mapped through each parameter's inverse CDF between
its 0.1 % and 99.9 % quantiles (:meth:`~.distributions.Marginal.support`: a design's 0 and 1,
Morris's outer levels among them, are these quantiles, not the distribution's far tails), so
the indices are those of the declared distributions within that support. Sobol' indices
assume independent inputs: group correlations are not applied here (they are in
:func:`~.propagate`), and the result says so (:attr:`Sensitivity.correlated_groups`,
:meth:`Sensitivity.notes`). Drivers are the parameters whose index stands above its noise
(:data:`DRIVER_RULE`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.uncertainty.distributions import Marginal
from junkan.lifecycle.uncertainty.evaluate import Evaluator, Outputs, figure_problems
from junkan.lifecycle.uncertainty.spec import UncertaintySection
from junkan.lifecycle.uncertainty.study import locate, resolve

Function = Callable[[np.ndarray], dict[str, np.ndarray]]
"""Maps parameter values (runs × k) to named outputs (each an array over runs)."""
METHODS = ("sobol", "morris")
MAX_N = 65_536
NOISE_FLOOR = 1e-6
"""A driver's index must exceed this fraction of the output's largest index (besides its
confidence interval): below it, an index is rounding in the model's arithmetic."""
UNSTABLE = 0.1
"""Indices count as unstable when an index's 95 % confidence interval is wider than ± this
(Sobol': a share of the variance; Morris: a fraction of the largest μ*), or a Sobol' index
lies outside 0 … 1 by more than its interval (assumption: junkan's threshold, not a
published one)."""
DRIVER_RULE = (
    "a driver's index (Sobol' ST, Morris μ*) is above its 95 % confidence interval's "
    "half-width (the interval excludes 0) and above 1e-6 of the largest index of the output"
)


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
    n: int = 0  # the base sample size used (Sobol': the requested one rounded up to 2^m)
    n_requested: int = 0
    correlated_groups: list[dict[str, Any]] = field(default_factory=list)
    """Groups of correlated parameters, analysed as if independent."""
    years: list[int] | None = None
    """The simulated horizon (first and last year) the outputs' totals cover."""
    model: str = ""
    """The model's title (or name), for the report."""
    source: str | None = None
    """The model's document, for the report."""

    @property
    def key(self) -> str:
        """The index parameters are ranked by: total order (Sobol') or μ* (Morris)."""
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self, output: str) -> list[str]:
        """Parameters by importance for ``output`` (total order, or μ*)."""
        score = np.nan_to_num(np.asarray(self.indices[output][self.key]), nan=-1.0)
        return [self.names[i] for i in np.argsort(-score, kind="stable")]

    def drivers(self, output: str) -> list[str]:
        """:meth:`ranking` without the parameters whose index is zero or within its noise
        (:data:`DRIVER_RULE`)."""
        d = self.indices[output]
        score = np.nan_to_num(np.asarray(d[self.key], dtype=float), nan=0.0)
        conf = np.nan_to_num(np.asarray(d[f"{self.key}_conf"], dtype=float), nan=np.inf)
        floor = NOISE_FLOOR * max(float(score.max(initial=0.0)), 0.0)
        keep = {self.names[i] for i in range(len(score)) if score[i] > max(conf[i], floor)}
        return [p for p in self.ranking(output) if p in keep]

    def notes(self) -> list[str]:
        """What the indices leave out or how far they can be trusted."""
        out = []
        if self.method == "sobol" and self.n != self.n_requested:
            out.append(f"n {self.n_requested:,} was rounded up to {self.n:,} (Saltelli "
                       f"sampling takes a power of 2): {self.evaluations:,} evaluations")
        for g in self.correlated_groups:
            out.append(f"group {g['group']} (correlation {g['correlation']:g}: "
                       f"{', '.join(g['parameters'])}) was analysed as independent: Sobol' "
                       "and Morris assume independent inputs, so its correlation is not "
                       "applied here (it is in Monte Carlo)")
        if unstable := self.unstable():
            of = " of the largest μ*" if self.method == "morris" else ""
            out.append(f"the indices of {', '.join(unstable)} are unstable (a 95 % "
                       f"interval wider than ±{UNSTABLE:g}{of}, or a Sobol' index outside "
                       "0 … 1): raise --n")
        return out

    def unstable(self) -> list[str]:
        """The outputs whose indices are unstable (:data:`UNSTABLE`): the note of
        :meth:`notes` and the ``unstable`` field of :meth:`to_json`."""
        return [o for o in self.indices if self._unstable(o)]

    def _unstable(self, output: str) -> bool:
        d = self.indices[output]
        if self.method == "morris":
            mu, conf = np.asarray(d["mu_star"]), np.asarray(d["mu_star_conf"])
            return bool(np.nanmax(conf, initial=0.0) > UNSTABLE * np.nanmax(mu, initial=0.0))
        for key in ("S1", "ST"):
            x, c = np.asarray(d[key]), np.asarray(d[f"{key}_conf"])
            if np.nanmax(c, initial=0.0) > UNSTABLE or np.any((x + c < 0) | (x - c > 1)):
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        return jsonable(
            {
                "method": self.method,
                "years": self.years,
                "parameters": self.names,
                "evaluations": self.evaluations,
                "n": self.n,
                "n_requested": self.n_requested,
                "outputs": {
                    o: {**d, "top_drivers": self.drivers(o)[:5], "tornado": self.tornado.get(o),
                        "unit": self.units.get(o)}
                    for o, d in self.indices.items()
                },
                "driver_rule": DRIVER_RULE,
                "index_unit": "share of the output's variance" if self.method == "sobol"
                else "the output's unit, per the parameter's 0.1 … 99.9 % quantile span",
                "correlated_groups": self.correlated_groups,
                "unstable": self.unstable(),
                "unstable_limit": UNSTABLE,
                "notes": self.notes(),
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
    n2 = n
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
            si = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                       seed=bootstrap_seed(seed))
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            si = morris_analyze.analyze(problem, u, y, num_levels=4, seed=seed)
            keys = ("mu", "mu_star", "sigma", "mu_star_conf")
        indices[name] = {kk: [float(v) for v in si[kk]] for kk in keys}
    tornado = _tornado(marginals, fn, nominal, list(indices)) if nominal is not None else {}
    return Sensitivity(method, names, indices, tornado, len(theta), skipped, n=n2, n_requested=n)


def bootstrap_seed(seed: int | None) -> int | None:
    """The seed of the bootstrap behind Sobol' confidence intervals: ``seed + 1``
    (``None``: unseeded). SALib seeds that bootstrap only with a truthy seed, so seed 0
    — the default — would resample differently on every call and move the intervals and
    the drivers; the design itself is drawn with ``seed``."""
    return None if seed is None else seed + 1


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
    found = figure_problems(ev, [(*p, "") for p in pairs if p is not None])  # type: ignore[misc]
    lines = []
    for o, pair in zip(outputs, pairs, strict=True):
        if pair is None:
            why: str | None = "give scenario:figure, e.g. B:co2_reduction_t or B:totals.co2e_t"
        else:
            problem = found.pop(0)
            why = None if problem is None else problem.message
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
        # the spec's fault, in the spec's file (review 248: it named the model)
        source, prefix = locate(model, st.section)
        raise ModelError([Problem(f"{prefix}parameters", "no parameter has a distribution (all "
                                  "are 'fixed'): a sensitivity needs one that varies")], source)
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
    sa.years = [model.baseline.years.start, model.baseline.years.end]
    sa.model, sa.source = model.baseline.title or model.name, model.source
    sa.correlated_groups = [
        {"group": g, "correlation": grp.correlation, "parameters": members}
        for g, grp in st.section.groups.items()
        if grp.correlation > 0
        and len(members := [st.names[i] for i in idx if st.parameters[i].group == g]) > 1
    ]
    return sa
