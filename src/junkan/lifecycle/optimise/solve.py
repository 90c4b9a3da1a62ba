"""The verbs: :func:`optimise` (the best combination of loop options), :func:`pareto` (the
front between two objectives, ε-constraint method) and :func:`enumerate_options` (every
combination simulated: the exact reference the tests compare with, and the fallback when
the effects do not add up)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from junkan import lifecycle
from junkan.core.errors import JunkanError
from junkan.lifecycle.optimise.features import forms, value, vector
from junkan.lifecycle.optimise.milp import Goal, Program, Row, json_key
from junkan.lifecycle.optimise.result import Optimum, ParetoFront, Point
from junkan.lifecycle.optimise.spec import Constraint, Objective, OptimiseSpec, Term
from junkan.lifecycle.optimise.surrogate import (
    Choice,
    Expanded,
    Simulator,
    Surrogate,
    build,
    expand,
)


class _Problem:
    """A spec bound to a model: simulator, additive model and program."""

    def __init__(
        self, model: lifecycle.ModelFile, spec: OptimiseSpec, extra: Sequence[Objective] = ()
    ) -> None:
        self.model, self.spec = model, spec
        terms: list[Term] = [spec.objective, *spec.constraints, *extra]
        if spec.pareto:
            terms += list(spec.pareto.objectives)
        activity = {(t.process, t.basis) for t in terms if t.metric == "activity"}
        rap = any(t.metric == "rap" for t in terms)
        _check_years(model, spec)
        self.sim = Simulator(model, spec, activity, rap)  # type: ignore[arg-type]
        self.expanded = expand(model, spec)
        self.as_modelled = self.sim([])
        keys = set(self.as_modelled)
        self._check_terms(terms, keys)
        relevant: set[str] = set()
        for t in terms:
            nums, den = forms(t, keys)
            for f in [*nums, den or {}]:
                relevant.update(f)
        self.relevant = relevant
        self.sur: Surrogate | None = None
        self.prog: Program | None = None

    def _check_terms(self, terms: list[Term], keys: set[str]) -> None:
        for t in terms:
            for who, what in ((t.actor, "actor"), (t.material, "material")):
                if who is not None and not any(k.endswith(f"@{who}") for k in keys):
                    raise JunkanError(f"{t.label()}: unknown {what} {who!r} in the model")
            if t.metric == "activity" and not any(
                k.startswith(f"activity@{t.process}@") for k in keys
            ):
                raise JunkanError(f"{t.label()}: unknown process {t.process!r} in the model")

    def program(self) -> Program:
        if self.prog is None:
            self.sur = build(self.sim, self.expanded, self.relevant)
            self.prog = Program.of(self.sur)
        return self.prog

    def goal(self, term: Term, maximise: bool = False) -> Goal:
        names = self.program().sur.names
        nums, den = forms(term, names)
        return Goal(vector(nums[0], names), None if den is None else vector(den, names), maximise)

    def rows(self, constraints: Sequence[Constraint]) -> list[Row]:
        names = self.program().sur.names
        out = []
        for c in constraints:
            nums, den = forms(c, names)
            lo = -np.inf if c.min is None else c.min
            hi = np.inf if c.max is None else c.max
            for n in nums:
                out.append(
                    Row(Goal(vector(n, names), None if den is None else vector(den, names)), lo, hi)
                )
        return out

    def point(self, choices: list[Choice], predicted: np.ndarray | None = None) -> Point:
        figures = self.sim(choices)
        return Point.of(self, choices, figures, predicted)

    def feasible(self, figures: dict[str, float]) -> bool:
        for c in self.spec.constraints:
            nums, den = forms(c, figures)
            for n in nums:
                v = _ratio(n, den, figures)
                tol = 1e-9 * max(abs(v), 1.0)
                if (c.min is not None and v < c.min - tol) or (
                    c.max is not None and v > c.max + tol
                ):
                    return False
        return True


def _check_years(model: lifecycle.ModelFile, spec: OptimiseSpec) -> None:
    """JunkanError when the spec's ``years`` window lies outside the model's horizon (every
    figure would be 0)."""
    if spec.years is None:
        return
    first, last = model.baseline.years.start, model.baseline.years.end
    if spec.years[1] < first or spec.years[0] > last:
        raise JunkanError(
            f"years [{spec.years[0]}, {spec.years[1]}]: outside the model's horizon "
            f"{first}–{last} (every figure would be 0); give years within it"
        )


def _ratio(num: dict[str, float], den: dict[str, float] | None, figures: dict[str, float]) -> float:
    n = sum(c * figures.get(k, 0.0) for k, c in num.items())
    if den is None:
        return n
    d = sum(c * figures.get(k, 0.0) for k, c in den.items())
    return n / d if d else float("nan")


def _levels(expanded: list[Expanded]) -> list[list[Choice]]:
    return [e.levels() for e in expanded]


def _verify(p: _Problem, z: np.ndarray) -> float:
    """Largest relative deviation of the additive prediction from simulation, at ``z`` and
    at ``verify`` random combinations."""
    prog = p.program()
    sur = prog.sur
    rng = np.random.default_rng(0)
    points = [z]
    levels = _levels(p.expanded)
    for _ in range(p.spec.verify):
        combo = [lv[int(rng.integers(len(lv)))] for lv in levels]
        points.append(prog.encode(combo))
    dev = 0.0
    for zz in points:
        sim = p.sim(prog.decode(zz))
        actual = np.array([sim.get(n, 0.0) for n in sur.names])
        scale = sur.scale(p.sim)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scale > 0, np.abs(prog.figures(zz) - actual) / scale, 0.0)
        dev = max(dev, float(rel.max(initial=0.0)))
    return dev


def enumerate_options(
    model: lifecycle.ModelFile, spec: OptimiseSpec, objective: Objective | None = None
) -> tuple[Point, list[Point]]:
    """Simulate every combination (ranges at their ``steps`` levels); the best feasible one
    and all of them."""
    p = _Problem(model, spec)
    return _enumerate(p, objective or spec.objective)


def _enumerate(p: _Problem, objective: Objective) -> tuple[Point, list[Point]]:
    levels = _levels(p.expanded)
    size = int(np.prod([len(lv) for lv in levels]))
    if size > p.spec.max_enumerate:
        raise JunkanError(f"{size:,} combinations exceed max_enumerate ({p.spec.max_enumerate:,})")
    points = [p.point(list(c)) for c in itertools.product(*levels)]
    ok = [pt for pt in points if pt.feasible]
    if not ok:
        raise JunkanError("no combination of the options satisfies the constraints")
    sign = -1 if objective.maximise else 1
    best = min(ok, key=lambda pt: sign * value(objective, pt.raw))
    return best, points


def optimise(model: lifecycle.ModelFile, spec: OptimiseSpec) -> Optimum:
    """The best combination of the decisions' options for ``spec.objective`` under
    ``spec.constraints`` (see the package docs for the method)."""
    p = _Problem(model, spec)
    prog = p.program()
    goal = p.goal(spec.objective, spec.objective.maximise)
    z = prog.solve(goal, p.rows(spec.constraints))
    if z is None:
        raise JunkanError(
            "no combination of the options satisfies the constraints; relax "
            "them (the reference and each option's figures are in "
            "`junkan optimise --format json` without constraints)"
        )
    deviation = _verify(p, z)
    best = p.point(prog.decode(z), prog.figures(z))
    method = _method(p, deviation, goal.den is not None)
    if deviation > spec.tolerance:
        levels = _levels(p.expanded)
        if int(np.prod([len(lv) for lv in levels])) <= spec.max_enumerate:
            best, _ = _enumerate(p, spec.objective)
            method["name"] = "enumeration"
            method["text"] = (
                "every combination simulated (the effects of the options "
                f"are not additive: deviation {deviation:.2g}); exact over "
                "the ranges' levels"
            )
    return Optimum(
        model, spec, best, p.point([e.choices[0] for e in p.expanded]), _as_modelled(p), method
    )


def _as_modelled(p: _Problem) -> Point:
    return Point.of(p, [], p.as_modelled, None)


def _method(p: _Problem, deviation: float, ratio: bool) -> dict[str, Any]:
    assert p.sur is not None
    checks = dict(p.sur.checks)
    exact = deviation <= p.spec.tolerance
    text = (
        "exact: mixed-integer linear program (HiGHS) over the simulated effects of the "
        "options"
        + (", ratio by Dinkelbach's method" if ratio else "")
        + f"; additivity checked on {checks['pairs_tested']} pairs and "
        f"{p.spec.verify + 1} combinations (largest deviation {deviation:.2g}, tolerance "
        f"{p.spec.tolerance:g})"
    )
    if checks["interactions"]:
        text += "; interacting decisions enumerated jointly: " + "; ".join(
            " × ".join(i["decisions"]) for i in checks["interactions"]
        )
    if checks["nonlinear_ranges"]:
        text += "; non-linear ranges taken at their levels: " + ", ".join(
            n["decision"] for n in checks["nonlinear_ranges"]
        )
    if not exact:
        text += "; higher-order interactions remain: the optimum is not guaranteed"
    return {
        "name": "milp" if exact else "milp (approximate)",
        "text": text,
        "deviation": deviation,
        "simulations": len(p.sim.cache),
        **checks,
    }


def pareto(model: lifecycle.ModelFile, spec: OptimiseSpec) -> ParetoFront:
    """The Pareto front of ``spec.pareto.objectives`` (ε-constraint: the first objective
    optimised with the second bounded at ``points`` levels between its best and its value at
    the first's optimum; ties broken towards the second), each point simulated."""
    if spec.pareto is None:
        raise JunkanError("give pareto: {objectives: [co2e, cost]} in the spec (or --pareto)")
    o1, o2 = spec.pareto.objectives
    p = _Problem(model, spec)
    prog = p.program()
    rows = p.rows(spec.constraints)
    g1, g2 = p.goal(o1, o1.maximise), p.goal(o2, o2.maximise)
    z1, z2 = prog.solve(g1, rows), prog.solve(g2, rows)
    if z1 is None or z2 is None:
        raise JunkanError("no combination of the options satisfies the constraints")
    z1 = _tiebreak(prog, g1, g2, z1, rows)
    a, b = g2.of(prog.figures(z2)), g2.of(prog.figures(z1))
    seen: dict[str, Point] = {}
    for eps in np.linspace(a, b, spec.pareto.points):
        slack = 1e-9 * max(abs(eps), 1.0)
        row = Row(g2, -np.inf, eps + slack) if not o2.maximise else Row(g2, eps - slack)
        z = prog.solve(g1, [*rows, row])
        if z is None:
            continue
        z = _tiebreak(prog, g1, g2, z, [*rows, row])
        choices = prog.decode(z)
        key = "|".join(json_key(c) for c in choices)
        if key not in seen:
            seen[key] = p.point(choices, prog.figures(z))
    points = _nondominated(list(seen.values()), o1, o2)
    deviation = _verify(p, z1)
    return ParetoFront(
        model,
        spec,
        points,
        _as_modelled(p),
        _method(p, deviation, g1.den is not None or g2.den is not None),
    )


def _tiebreak(prog: Program, g1: Goal, g2: Goal, z: np.ndarray, rows: list[Row]) -> np.ndarray:
    """Among the optima of ``g1``, the best for ``g2`` (no weakly dominated points)."""
    v = g1.of(prog.figures(z))
    slack = 1e-9 * max(abs(v), 1.0)
    keep = Row(g1, v - slack) if g1.maximise else Row(g1, -np.inf, v + slack)
    z2 = prog.solve(g2, [*rows, keep])
    return z if z2 is None else z2


def _nondominated(points: list[Point], o1: Objective, o2: Objective) -> list[Point]:
    """The simulated points no other point beats on both objectives, by the first."""

    def vals(pt: Point) -> tuple[float, float]:
        return (
            (-1 if o1.maximise else 1) * value(o1, pt.raw),
            (-1 if o2.maximise else 1) * value(o2, pt.raw),
        )

    out = []
    for pt in points:
        v = vals(pt)
        if not any(vals(q)[0] <= v[0] and vals(q)[1] <= v[1] and vals(q) != v for q in points):
            out.append(pt)
    return sorted(out, key=vals)
