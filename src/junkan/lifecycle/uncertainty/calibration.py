"""Calibration: fit the parameters marked ``calibrate: true`` to observed figures by bounded
least squares (``scipy.optimize.least_squares``, trust-region reflective), residuals
weighted by each observation's standard error.

Reported: the fitted values, each observation's fitted value and residual, and a linearised
posterior — with a flat prior inside the bounds and Gaussian observation errors, the
covariance (JᵀJ)⁻¹ of the weighted Jacobian at the optimum gives 95 % ranges (clipped to the
bounds). Where J is rank-deficient (:func:`ranges`) the observations do not identify every
parameter: one with a component in J's null space is reported as not identified, with its
bounds as its range, and :meth:`Calibration.warnings` says so (one whose figures change in
steps near the fit, with no slope there, is told apart). The Jacobian is computed by
forward differences, all k + 1 points in one batched evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.encoding import jsonable
from junkan.core.errors import ModelError, Problem, coded, short
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.uncertainty.calibration_notes import source
from junkan.lifecycle.uncertainty.evaluate import Evaluator, figure_problems
from junkan.lifecycle.uncertainty.family import compile_run
from junkan.lifecycle.uncertainty.figures import observation_path
from junkan.lifecycle.uncertainty.identification import RANK_RTOL, ranges
from junkan.lifecycle.uncertainty.restart import START_POINTS, search
from junkan.lifecycle.uncertainty.spec import (
    REPEAT_TEMPLATE,
    REPEATED,
    Observation,
    UncertaintySection,
    repeat_params,
    repeated_observations,
)
from junkan.lifecycle.uncertainty.study import Study, locate, resolve

METHOD = (
    "bounded least squares (scipy.optimize.least_squares, trf), weighted by each "
    "observation's standard error, from the model's values and again from the best of 32 "
    "Sobol' design points over the ranges where one fits better"
)
TOLERANCE = 0.15
"""A fitted figure within ±15 % of the observation counts as reproduced."""
REACH_POINTS = 256
"""Random points (besides the corners) at which the calibrated parameters span their ranges
to find the values each observed figure can take (:func:`attainable`)."""
MAX_CORNERS = 256
"""Every corner of the ranges is evaluated too while there are at most this many (8
calibrated parameters): a figure monotone in each parameter is extreme there."""


def bounds(st: Study, i: int) -> tuple[float, float]:
    p, m = st.parameters[i], st.marginals[i]
    if p.range is not None:
        return float(p.range[0]), float(p.range[1])
    if p.distribution in ("triangular", "uniform", "beta"):
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
    attainable: np.ndarray | None = None
    """(observations, 2): the least and the most each observed figure takes with the
    calibrated parameters anywhere in their ranges (:func:`attainable`)."""
    informed: np.ndarray | None = None
    """Per calibrated parameter: whether it moves a fitted figure (else kept at its start)."""
    identified: np.ndarray | None = None
    """Per calibrated parameter: whether the fitted figures pin it down (:func:`ranges`);
    one that is not could take other values, with others, that fit as well: its 95 % range
    is its bounds."""
    rank: int | None = None
    """The rank of the weighted Jacobian at the fit (:data:`RANK_RTOL`)."""
    stepwise: np.ndarray | None = None
    """Per calibrated parameter: it moves a fitted figure, but none at the fit (no slope there:
    the figures change in steps, as with a fixed lifetime) — not identified for that reason."""

    def warnings(self) -> list[str]:
        """What limits the fit's ranges (:func:`~.calibration_notes.warnings`)."""
        from junkan.lifecycle.uncertainty.calibration_notes import warnings

        return warnings(self)

    def outside(self) -> np.ndarray:
        """Per calibrated parameter: whether the model's own value (a factor of 1 for a
        relative one) lies outside its range, so that the fit started from the range's
        nearest end."""
        own = self.study.nominal()[[self.study.names.index(n) for n in self.names]]
        return np.asarray((own < self.lower) | (own > self.upper), dtype=bool)

    def overrides(self) -> dict[str, float]:
        """Document path → fitted value (a factor for relative parameters)."""
        return {n: float(v) for n, v in zip(self.names, self.fitted, strict=True)}

    def to_json(self) -> dict[str, Any]:
        obs = []
        for j, (o, y, y0) in enumerate(zip(self.observations, self.predicted,
                                           self.predicted_start, strict=True)):
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
                    "within_15_percent": bool(abs(rel) <= TOLERANCE) if o.value
                    else bool(abs(y - o.value) <= o.error),  # an observed 0: its sigma
                    "fitted_to": o.fit,
                    **_reach(o, None if self.attainable is None else self.attainable[j]),
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
                "at_bound": bool(moved and (np.isclose(v, lo) or np.isclose(v, hi))),
                "informed": bool(moved),
                "identified": bool(moved and ok),
                "unit": self.study.parameter_unit(self.study.names.index(n)),
                "source": source(moved, ok, sum(o.fit for o in self.observations), step),
            }
            for n, v, s, lo, hi, ci, moved, ok, step in zip(
                self.names, self.fitted, self.start, self.lower, self.upper, self.ci95,
                self.informed if self.informed is not None else [True] * len(self.names),
                self.identified if self.identified is not None else [True] * len(self.names),
                self.stepwise if self.stepwise is not None else [False] * len(self.names),
                strict=True,
            )
        ]
        return jsonable(
            {
                "model": self.study.model.name,
                "years": [self.study.model.baseline.years.start,
                          self.study.model.baseline.years.end],  # the figures' horizon
                "method": METHOD,
                "success": self.success,
                "message": self.message,
                "cost": self.cost,
                "evaluations": self.evaluations,
                "rank": self.rank,
                "rank_tolerance": RANK_RTOL,
                "warnings": self.warnings(),
                "parameters": params,
                "observations": obs,
            }
        )

    def to_frame(self) -> Any:
        """One row per observation, its attainable range as ``attainable_low`` and
        ``attainable_high`` (a list written as text in a CSV, review 222)."""
        import pandas as pd

        return pd.DataFrame([
            {**{k: v for k, v in o.items() if k != "attainable"},
             **dict(zip(("attainable_low", "attainable_high"),
                        o.get("attainable") or (None, None), strict=True))}
            for o in self.to_json()["observations"]])

    def report(self, path: str | Path) -> Path:
        from junkan.lifecycle.uncertainty.report import calibration_report

        return calibration_report(self, Path(path))


def _reach(o: Observation, span: np.ndarray | None) -> dict[str, Any]:
    """An observation's attainable range and whether it lies within it (give or take the
    tolerance, :data:`TOLERANCE` × |observed|; for an observed 0, its ``sigma``)."""
    if span is None:
        return {}
    lo, hi = float(span[0]), float(span[1])
    observed = o.value
    slack = TOLERANCE * abs(observed) if observed else o.error
    return {"attainable": [lo, hi], "reachable": bool(lo - slack <= observed <= hi + slack)}


def attainable(ev: Evaluator, obs: list[Observation], rows: Callable[[np.ndarray], np.ndarray],
               k: int, seed: int = 0, known: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The least and the most (observations, 2) each observed figure takes over the
    calibrated parameters' ranges — every corner (up to :data:`MAX_CORNERS`) and
    :data:`REACH_POINTS` random points, in the unit cube ``rows`` maps, with the figures
    ``known`` at other points (the start and the fit) — the other parameters at their
    nominal values, as in the fit; and the number of points evaluated. It is a sample: the
    true span is at least as wide. An observation outside it, beyond the tolerance, is one
    no sampled values reproduce."""
    rng = np.random.default_rng(seed)
    points = [rng.random((REACH_POINTS, k))]
    if reach_points(k) > REACH_POINTS:
        points.append(((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(float))
    pts = np.vstack(points)
    pred = _predict(ev, obs, rows(pts))
    if known is not None:
        pred = np.vstack([pred, known])
    span = np.column_stack([np.nanmin(pred, axis=0), np.nanmax(pred, axis=0)])
    # a figure that is 0 at a corner comes back as round-off of the figures around it: a
    # share of -2.3e-18 (review 253) is 0
    span[np.abs(span) <= 1e-12 * np.abs(span).max(axis=1, keepdims=True)] = 0.0
    return span, len(pts)


def reach_points(k: int) -> int:
    """How many points :func:`attainable` evaluates for ``k`` calibrated parameters."""
    return REACH_POINTS + (2**k if 2**k <= MAX_CORNERS else 0)


def _predict(ev: Evaluator, obs: list[Observation], rows: np.ndarray) -> np.ndarray:
    out = ev.evaluate(rows)
    return np.column_stack([out.figure(o.scenario, o.figure) for o in obs])


class _Fit:
    """The least-squares problem of a calibration in the unit cube of the calibrated
    parameters' ranges: residuals of the fitted observations, each divided by its error."""

    def __init__(self, ev: Evaluator, full: np.ndarray, idx: list[int], lo: np.ndarray,
                 hi: np.ndarray, fitted: list[Observation], most: int,
                 progress: Callable[[int, int], None] | None) -> None:
        self.ev, self.full, self.idx, self.lo, self.span = ev, full, idx, lo, hi - lo
        self.fitted, self.most, self.progress = fitted, most, progress
        self.y = np.array([o.value for o in fitted])
        self.w = 1.0 / np.array([o.error for o in fitted])
        self.x0 = (np.clip(full[idx], lo, hi) - lo) / self.span
        self.calls = self.nfev = self.bound = 0

    def told(self, bound: int | None = None) -> None:
        """Tell the progress all model evaluations so far (review 219), of at most ``bound``."""
        self.bound = self.bound if bound is None else bound
        if self.progress is not None:
            self.progress(min(self.calls, self.bound), self.bound)

    def rows(self, xs: np.ndarray) -> np.ndarray:
        """Parameter rows (every parameter) for points ``xs`` of the unit cube."""
        r = np.repeat(self.full[None, :], len(xs), axis=0)
        r[:, self.idx] = self.lo + xs * self.span
        return r

    def fun(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals of the fitted observations at point ``x``."""
        self.calls += 1
        self.nfev += 1
        out = (_predict(self.ev, self.fitted, self.rows(x[None, :]))[0] - self.y) * self.w
        self.told()
        return np.asarray(out)

    def residuals(self, xs: np.ndarray) -> np.ndarray:
        """Weighted residuals (points × fitted observations) at points ``xs``, evaluated
        together."""
        out = (_predict(self.ev, self.fitted, self.rows(xs)) - self.y) * self.w
        self.calls += len(xs)
        self.told()
        return np.asarray(out)

    def jac(self, x: np.ndarray) -> np.ndarray:
        """Forward-difference Jacobian of :meth:`fun`, all points in one evaluation."""
        h = np.where(x < 0.5, 1e-6, -1e-6)
        pts = np.vstack([x, x + np.diag(h)])
        pred = _predict(self.ev, self.fitted, self.rows(pts))
        self.calls += len(pts)
        self.told()
        return np.asarray(((pred[1:] - pred[0]) * self.w).T / h[None, :])

    def kept(self, x: np.ndarray, jac_end: np.ndarray) -> np.ndarray:
        """Which calibrated parameters no fitted figure depends on — a Jacobian column all
        zero at the start and at the solution ``x``, and the fitted figures the same with
        them back at their start — set back to their start in ``x``. A parameter of that
        kind drifted arbitrarily in the fit (2026-12-03); one that matters elsewhere (a
        cost behind a share that is 0 at the start) stays fitted."""
        flat = np.all(self.jac(self.x0) == 0.0, axis=0) & np.all(jac_end == 0.0, axis=0)
        if flat.any():
            back = x.copy()
            back[flat] = self.x0[flat]
            pair = _predict(self.ev, self.fitted, self.rows(np.vstack([x, back])))
            self.calls += 2
            if not np.array_equal(pair[0], pair[1], equal_nan=True):
                return np.zeros(len(x), dtype=bool)
            x[flat] = self.x0[flat]
        return np.asarray(flat)


def calibrate(
    model: ModelFile,
    *,
    section: UncertaintySection | None = None,
    observations: list[Observation] | None = None,
    max_evaluations: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Fit the ``calibrate: true`` parameters to the observations (the section's own, or
    ``observations``; those with ``fit: false`` are only reported). ``progress`` is told
    ``(model evaluations, the most there may be)`` as they are made (the most tightens when
    the fit ends). A parameter that moves no fitted figure is kept at its value in the model
    (``informed: false``)."""
    st = resolve(model, section)
    obs = observations if observations is not None else st.section.observations
    idx = [i for i, p in enumerate(st.parameters) if p.calibrate]
    ev = Evaluator(st)
    _check(model, st, ev, obs, idx)
    lo = np.array([bounds(st, i)[0] for i in idx])
    hi = np.array([bounds(st, i)[1] for i in idx])
    _check_bounds(st, ev, idx, lo, hi)
    f = _Fit(ev, st.nominal(), idx, lo, hi, [o for o in obs if o.fit], max_evaluations,
             progress)
    _check_start(st, obs, _predict(ev, obs, f.rows(f.x0[None, :]))[0])
    k = len(idx)
    after = k + 3 + 2 + reach_points(k)  # kept, both, reach
    f.calls = 1  # the start's check
    f.told(1 + max_evaluations * (k + 2) + START_POINTS + after)  # each with a Jacobian
    fit = search(f, max_evaluations)
    f.told(f.calls + after)
    x = fit.x.copy()
    kept = f.kept(x, fit.jac)
    if kept.all():
        source, prefix = locate(model, st.section)
        raise ModelError([coded(f"{prefix}parameters", "unc-calibrated-change-nothing",
                                "no calibrated parameter changes a fitted figure: calibrate "
                                "parameters the observed figures depend on"),
                          *_acting_elsewhere(st, obs, idx, prefix)], source)
    theta = lo + x * f.span
    ci, identified, rank = ranges(np.where(kept[None, :], 0.0, fit.jac), theta, lo, hi)
    ci[kept] = np.column_stack([lo, hi])[kept]  # any value in the range fits as well
    both = _predict(ev, obs, f.rows(np.vstack([x, f.x0])))
    reach, sampled = attainable(ev, obs, f.rows, len(idx), known=both)
    f.calls += 2 + sampled
    f.told(f.calls)
    return Calibration(
        st, [st.names[i] for i in idx], theta, np.clip(f.full[idx], lo, hi), lo, hi, ci, list(obs),
        both[0], both[1], float(fit.cost), bool(fit.success), str(fit.message),
        f.calls, reach, ~kept,
        identified | kept, rank, ~kept & np.all(fit.jac == 0.0, axis=0),
    )


def _acting_elsewhere(st: Study, obs: list[Observation], idx: list[int], prefix: str
                      ) -> list[Problem]:
    """A problem for each calibrated parameter that acts only in scenarios where no figure is
    fitted (a factor on a field only some scenarios have), naming where it acts."""
    fitted = {o.scenario for o in obs if o.fit}
    out = []
    for i in idx:
        acts = [s for s in st.scenarios if i in st.active(s)]
        if acts and fitted.isdisjoint(acts):
            out.append(coded(f"{prefix}parameters[{i}].parameter", "unc-calibrated-acts-elsewhere",
                             "{parameter} acts only in scenario {scenarios}, where no figure "
                             "is fitted", parameter=short(st.parameters[i].parameter),
                             scenarios=", ".join(f"'{s}'" for s in acts)))
    return out


def _check(
    model: ModelFile, st: Study, ev: Evaluator, obs: list[Observation], idx: list[int]
) -> None:
    """ModelError naming every missing or unknown piece of a calibration."""
    source, prefix = locate(model, st.section)
    problems: list[Problem] = []
    if not idx:
        problems.append(coded(f"{prefix}parameters", "unc-nothing-calibrated",
                              "no parameter has 'calibrate: true'; mark the ones to fit "
                              "with it"))
    if not any(o.fit for o in obs):
        problems.append(coded(f"{prefix}observations", "unc-nothing-observed", "no observed "
                              "figures to fit (each is 'fit: false', or there are none)"))
    wanted = [(o.scenario, o.figure, observation_path(prefix, j, o, st.scenarios))
              for j, o in enumerate(obs)]
    problems += [p for p in (figure_problems(ev, wanted) if obs else []) if p is not None]
    for j, k in repeated_observations(obs):  # observations given apart from the section's
        problems.append(coded(f"{prefix}observations[{k}]", REPEATED, REPEAT_TEMPLATE,
                              **repeat_params(obs[j], j, k)))
    if problems:
        raise ModelError(problems, source)


def check_fit_bounds(st: Study) -> None:
    """ModelError naming every calibrated parameter whose fitting bounds leave its field's
    limits in some scenario: what ``junkan validate`` checks of them (it passed a range of
    0.2–1.3 on a rate that ``calibrate`` then refused, 2026-12-05)."""
    idx = [i for i, p in enumerate(st.parameters) if p.calibrate]
    if idx:
        _check_bounds(st, None, idx, np.array([bounds(st, i)[0] for i in idx]),
                      np.array([bounds(st, i)[1] for i in idx]))


def _check_bounds(st: Study, ev: Evaluator | None, idx: list[int], lo: np.ndarray,
                  hi: np.ndarray) -> None:
    """ModelError naming every calibrated parameter whose fitting bounds leave its field's
    limits in some scenario (each bound compiled with the other parameters at their nominal
    values), before any fitting; bounds that pass are recorded as checked (in ``ev``)."""
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
            if ev is not None:
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
        coded(
            f"{prefix}observations[{j}]", "unc-observed-figure-undefined",
            "the model's {figure} of scenario '{scenario}' is undefined (not a number) at the "
            "parameters' nominal values; observe a figure the model computes there",
            figure=o.figure, scenario=o.scenario,
        )
        for j, (o, y) in enumerate(zip(obs, predicted, strict=True))
        if o.fit and not np.isfinite(y)
    ]
    if bad:
        raise ModelError(bad, source)
