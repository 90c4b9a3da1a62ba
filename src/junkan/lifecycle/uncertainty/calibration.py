"""Calibration: fit the parameters marked ``calibrate: true`` to observed figures by bounded
least squares (``scipy.optimize.least_squares``, trust-region reflective), residuals
weighted by each observation's standard error.

Reported: the fitted values, each observation's fitted value and residual, and a linearised
posterior — with a flat prior inside the bounds and Gaussian observation errors, the
covariance (JᵀJ)⁻¹ of the weighted Jacobian at the optimum gives 95 % ranges (clipped to the
bounds). The Jacobian is computed by forward differences, all k + 1 points in one batched
evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.encoding import jsonable
from junkan.core.errors import ModelError, Problem
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.uncertainty.evaluate import Evaluator, figure_problems
from junkan.lifecycle.uncertainty.family import compile_run
from junkan.lifecycle.uncertainty.spec import Observation, UncertaintySection
from junkan.lifecycle.uncertainty.study import Study, locate, resolve

METHOD = (
    "bounded least squares (scipy.optimize.least_squares, trf), weighted by each "
    "observation's standard error"
)
TOLERANCE = 0.15
"""A fitted figure within ±15 % of the observation counts as reproduced."""


def bounds(st: Study, i: int) -> tuple[float, float]:
    p, m = st.parameters[i], st.marginals[i]
    if p.range is not None:
        return float(p.range[0]), float(p.range[1])
    if p.distribution in ("triangular", "uniform") or (p.distribution == "beta"):
        lo = 0.0 if p.min is None else float(p.min)
        hi = 1.0 if p.max is None else float(p.max)
        return lo, hi
    return m.support()


@dataclass
class Calibration:
    """The fit."""

    study: Study
    names: list[str]
    fitted: np.ndarray
    start: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    ci95: np.ndarray  # (k, 2)
    observations: list[Observation]
    predicted: np.ndarray
    predicted_start: np.ndarray
    cost: float
    success: bool
    message: str
    evaluations: int

    def overrides(self) -> dict[str, float]:
        """Document path → fitted value (a factor for relative parameters)."""
        return {n: float(v) for n, v in zip(self.names, self.fitted, strict=True)}

    def to_json(self) -> dict[str, Any]:
        obs = []
        for o, y, y0 in zip(self.observations, self.predicted, self.predicted_start, strict=True):
            # signed as the residual: + where the fit lies above what was observed
            rel = (y - o.value) / abs(o.value) if o.value else float("nan")
            obs.append(
                {
                    "figure": o.figure,
                    "scenario": o.scenario,
                    "observed": o.value,
                    "fitted": y,
                    "start": y0,
                    "residual": y - o.value,
                    "relative_error": rel,
                    "within_15_percent": bool(abs(rel) <= TOLERANCE),
                    "unit": self.study.figure_unit(o.figure),
                    "source": o.source,
                }
            )
        params = [
            {
                "parameter": n,
                "fitted": v,
                "start": s,
                "bounds": [lo, hi],
                "ci95": list(ci),
                "at_bound": bool(np.isclose(v, lo) or np.isclose(v, hi)),
                "unit": self.study.parameter_unit(self.study.names.index(n)),
                "source": f"calibrated: {METHOD}; to {len(self.observations)} observed "
                "figures (see observations)",
            }
            for n, v, s, lo, hi, ci in zip(
                self.names, self.fitted, self.start, self.lower, self.upper, self.ci95, strict=True
            )
        ]
        return jsonable(
            {
                "model": self.study.model.name,
                "method": METHOD,
                "success": self.success,
                "message": self.message,
                "cost": self.cost,
                "evaluations": self.evaluations,
                "parameters": params,
                "observations": obs,
            }
        )

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.to_json()["observations"])

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.uncertainty.report import calibration_report

        return calibration_report(self, Path(path))


def _predict(ev: Evaluator, obs: list[Observation], rows: np.ndarray) -> np.ndarray:
    out = ev.evaluate(rows)
    return np.column_stack([out.figure(o.scenario, o.figure) for o in obs])


def calibrate(
    model: ModelFile,
    *,
    section: UncertaintySection | None = None,
    observations: list[Observation] | None = None,
    max_evaluations: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Fit the ``calibrate: true`` parameters to the observations (the section's own, or
    ``observations``). ``progress`` is told ``(evaluations, max_evaluations)`` after each
    evaluation of the fit's objective (the fit may end well before the most)."""
    from scipy.optimize import least_squares

    st = resolve(model, section)
    obs = observations if observations is not None else st.section.observations
    idx = [i for i, p in enumerate(st.parameters) if p.calibrate]
    ev = Evaluator(st)
    _check(model, st, ev, obs, idx)
    lo = np.array([bounds(st, i)[0] for i in idx])
    hi = np.array([bounds(st, i)[1] for i in idx])
    _check_bounds(st, ev, idx, lo, hi)
    full = st.nominal()
    start = np.clip(full[idx], lo, hi)
    y = np.array([o.value for o in obs])
    w = 1.0 / np.array([o.error for o in obs])
    span = hi - lo
    calls = [0]

    def rows(xs: np.ndarray) -> np.ndarray:
        r = np.repeat(full[None, :], len(xs), axis=0)
        r[:, idx] = lo + xs * span
        return r

    nfev = [0]

    def fun(x: np.ndarray) -> np.ndarray:
        calls[0] += 1
        out = (_predict(ev, obs, rows(x[None, :]))[0] - y) * w
        nfev[0] += 1
        if progress is not None:
            progress(min(nfev[0], max_evaluations), max_evaluations)
        return out

    def jac(x: np.ndarray) -> np.ndarray:
        h = np.where(x < 0.5, 1e-6, -1e-6)
        pts = np.vstack([x, x + np.diag(h)])
        calls[0] += len(pts)
        pred = _predict(ev, obs, rows(pts))
        return np.asarray(((pred[1:] - pred[0]) * w).T / h[None, :])

    x0 = (start - lo) / span
    _check_start(st, obs, _predict(ev, obs, rows(x0[None, :]))[0])
    fit = least_squares(
        fun, x0, jac=jac, bounds=(0.0, 1.0), method="trf", max_nfev=max_evaluations, x_scale="jac"
    )
    theta = lo + fit.x * span
    j = fit.jac / span[None, :]
    cov = np.linalg.pinv(j.T @ j)
    half = 1.96 * np.sqrt(np.clip(np.diag(cov), 0.0, None))
    ci = np.column_stack([np.maximum(theta - half, lo), np.minimum(theta + half, hi)])
    both = _predict(ev, obs, rows(np.vstack([fit.x, x0])))
    return Calibration(
        st,
        [st.names[i] for i in idx],
        theta,
        start,
        lo,
        hi,
        ci,
        list(obs),
        both[0],
        both[1],
        float(fit.cost),
        bool(fit.success),
        str(fit.message),
        calls[0],
    )


def _check(
    model: ModelFile, st: Study, ev: Evaluator, obs: list[Observation], idx: list[int]
) -> None:
    """ModelError naming every missing or unknown piece of a calibration."""
    source, prefix = locate(model, st.section)
    problems: list[Problem] = []
    if not idx:
        problems.append(Problem(f"{prefix}parameters", "no parameter has 'calibrate: true'"))
    if not obs:
        problems.append(Problem(f"{prefix}observations", "no observed figures to fit"))
    found = figure_problems(ev, [(o.scenario, o.figure) for o in obs]) if obs else []
    for j, (o, why) in enumerate(zip(obs, found, strict=True)):
        if why is not None:
            field = (
                "scenario"
                if o.scenario not in st.scenarios
                else ("headline" if o.headline is not None else "total")
            )
            problems.append(Problem(f"{prefix}observations[{j}].{field}", why))
    if problems:
        raise ModelError(problems, source)


def _check_bounds(st: Study, ev: Evaluator, idx: list[int], lo: np.ndarray, hi: np.ndarray) -> None:
    """ModelError naming every calibrated parameter whose fitting bounds leave its field's
    limits in some scenario (each bound compiled with the other parameters at their nominal
    values), before any fitting; bounds that pass are recorded as checked."""
    source, prefix = locate(st.model, st.section)
    problems: list[Problem] = []
    nominal = st.nominal()
    for i, low, high in zip(idx, lo, hi, strict=True):
        p = st.parameters[i]
        why = None
        for s in st.scenarios:
            if i not in st.active(s):
                continue
            for x in (low, high):
                th = nominal.copy()
                th[i] = x
                try:
                    compile_run(st, s, th)
                except ModelError as exc:
                    why = why or f"{exc.problems[0].path}: {exc.problems[0].message}"
        if why is None:
            ev.domain.accept(i, float(low), float(high))
            continue
        where, what = (
            ("range", "its range")
            if p.range is not None
            else ("distribution", f"its {p.distribution} distribution's bounds")
        )
        problems.append(
            Problem(
                f"{prefix}parameters[{i}].{where}",
                f"the fit would try {p.parameter} from {low:.6g} to {high:.6g} ({what}), "
                f"which its field refuses ({why}); give a 'range' inside the field's limits",
            )
        )
    if problems:
        raise ModelError(problems, source)


def _check_start(st: Study, obs: list[Observation], predicted: np.ndarray) -> None:
    """ModelError naming the observations whose figure is undefined at the start."""
    source, prefix = locate(st.model, st.section)
    bad = [
        Problem(
            f"{prefix}observations[{j}]",
            f"the model's {o.figure} of scenario '{o.scenario}' is undefined (not a number) "
            "at the parameters' nominal values; observe a figure the model computes there",
        )
        for j, (o, y) in enumerate(zip(obs, predicted, strict=True))
        if not np.isfinite(y)
    ]
    if bad:
        raise ModelError(bad, source)
