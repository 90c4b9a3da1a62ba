"""Each run's compiled model without compiling each run.

Shares, rates, yields and unit factors enter the compiled arrays multilinearly (a routed
share is a product of the shares along its route; a factor is a number times a distance …).
For such parameters the compiled form of any draw is exact from a few probe compilations:
with xᵢ = (θᵢ − θ₀ᵢ) / (pᵢ − θ₀ᵢ),

    A(θ) = A₀ + Σ_S D_S · Π_{i∈S} xᵢ,   D_S = Σ_{T⊆S} (−1)^{|S|−|T|} A(corner_T)

over the subsets S of parameters that interact (found from pair probes). :func:`surrogate`
builds this, checks every parameter for linearity at a second point and the whole
expansion against full compilations at sample draws (and, for a parameter that changed
nothing at the probes, at the ends of its distribution and range), and
returns ``None`` when any check fails or a lifetime is drawn (it enters through survival
curves: :func:`through_survival`) — the caller then compiles every run
(:func:`compile_runs`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy import sparse

from junkan.core.errors import ModelError
from junkan.lifecycle.compile import Compiled, compile_model
from junkan.lifecycle.gc_pause import paused_gc
from junkan.lifecycle.loader import path_tokens, scenario_paths, validate_changed
from junkan.lifecycle.uncertainty.batch import (
    DENSE,
    CompiledBatch,
    Op,
    flatten,
    nonzero,
    stack,
    structure,
)
from junkan.lifecycle.uncertainty.study import Study

Flat = dict[str, Any]
RTOL = 1e-9
MAX_PAIR_PARAMS = 40
MAX_CLUSTER = 6


def compile_run(study: Study, scenario: str, theta: np.ndarray) -> Compiled:
    """Compile one draw of one scenario (validated like any model: the entries the scenario
    and the parameters change, against the validated baseline)."""
    doc = study.document(scenario, theta)
    m = study.model
    paths = scenario_paths(m.raw, scenario, m.source) + [
        study.parameters[i].parameter for i in study.active(scenario)
    ]
    with paused_gc():
        model = validate_changed(m.baseline, doc, paths, m.source, scenario)
        try:
            return compile_model(model)
        except ModelError as exc:  # compilation knows no file: the model's, and the scenario
            raise ModelError([dataclasses.replace(p, message=f"{p.message} (in scenario "
                                                  f"'{scenario}')") for p in exc.problems],
                             exc.source or m.source) from None


def _close(a: Flat, b: Flat) -> bool:
    for k, x in a.items():
        y = b[k]
        if sparse.issparse(x):
            diff = abs(x - y)
            scale = max(abs(x).max() if x.nnz else 0.0, abs(y).max() if y.nnz else 0.0, 1e-300)
            if diff.nnz and diff.max() > RTOL * scale:
                return False
        else:
            if x.shape != y.shape:
                return False
            scale = max(
                float(np.abs(x).max(initial=0.0)), float(np.abs(y).max(initial=0.0)), 1e-300
            )
            if float(np.abs(x - y).max(initial=0.0)) > RTOL * scale:
                return False
    return True


def _combine(terms: list[tuple[float, Flat]]) -> Flat:
    keys = terms[0][1].keys()
    return {k: sum((w * f[k] for w, f in terms[1:]), terms[0][0] * terms[0][1][k]) for k in keys}


def _is_zero(f: Flat, ref: Flat) -> bool:
    return _close({k: ref[k] + v for k, v in f.items()}, ref)


@dataclass
class Surrogate:
    """Exact multilinear form of one scenario's compiled arrays in its parameters."""

    base: Compiled
    flat0: Flat
    theta0: np.ndarray
    probe: np.ndarray
    terms: list[tuple[tuple[int, ...], Flat]]  # subset -> coefficient arrays

    def monomials(self, theta: np.ndarray) -> list[np.ndarray]:
        span = self.probe - self.theta0
        x = (theta - self.theta0[None, :]) / np.where(span == 0, 1.0, span)[None, :]
        return [np.prod(x[:, list(s)], axis=1) for s, _ in self.terms]

    def flat(self, theta: np.ndarray) -> Flat:
        """The compiled arrays of one draw (for checks)."""
        mono = self.monomials(theta[None, :])
        out = dict(self.flat0)
        for (_, coef), m in zip(self.terms, mono, strict=True):
            out = {k: out[k] + coef[k] * float(m[0]) for k in out}
        return out

    def batch(self, theta: np.ndarray) -> CompiledBatch:
        mono = self.monomials(theta)
        dense: dict[str, np.ndarray] = {}
        for n in DENSE:
            a = np.asarray(self.flat0[n])
            varies = False
            for (_, coef), m in zip(self.terms, mono, strict=True):
                c = np.asarray(coef[n])
                if np.any(c):
                    a = a + c[None] * m.reshape(-1, *(1,) * c.ndim)
                    varies = True
            if varies:  # leading run axis; arrays no run changes stay shared
                dense[n] = a
        ops = {}
        for n, a0 in self.flat0.items():
            if n in DENSE:
                continue
            terms = [
                (coef[n], m)
                for (_, coef), m in zip(self.terms, mono, strict=True)
                if nonzero(coef[n])
            ]
            ops[n] = Op(a0, terms)
        return CompiledBatch(self.base, len(theta), dense, ops)


def surrogate(
    study: Study,
    scenario: str,
    base: Compiled,
    theta0: np.ndarray,
    probe: np.ndarray,
    second: np.ndarray,
    checks: np.ndarray,
) -> Surrogate | None:
    """The multilinear form, or ``None`` if a parameter is not multilinear, changes the
    model's structure, or the expansion misses a full compilation at a ``checks`` draw."""
    active = study.active(scenario)
    if len(active) > MAX_PAIR_PARAMS or any(
            through_survival(study.parameters[i].parameter) for i in active):
        return None
    sig = structure(base)
    flat0 = flatten(base)
    cache: dict[tuple[int, ...], Flat] = {(): flat0}

    def at(sub: tuple[int, ...], point: np.ndarray | None = None) -> Flat | None:
        th = theta0.copy()
        for i in sub:
            th[i] = (probe if point is None else point)[i]
        c = compile_run(study, scenario, th)
        return flatten(c) if structure(c) == sig else None

    def corner(sub: tuple[int, ...]) -> Flat | None:
        if sub not in cache:
            f = at(sub)
            if f is None:
                return None
            cache[sub] = f
        return cache[sub]

    terms: list[tuple[tuple[int, ...], Flat]] = []
    for i in active:
        fi = corner((i,))
        f2 = at((i,), second)
        if fi is None or f2 is None or probe[i] == theta0[i]:
            return None
        d = _combine([(1.0, fi), (-1.0, flat0)])
        x = (second[i] - theta0[i]) / (probe[i] - theta0[i])
        if not _close(_combine([(1.0, flat0), (x, d)]), f2):
            return None  # not linear in this parameter
        if not _is_zero(d, flat0):
            terms.append(((i,), d))
    linked = _interactions(active, corner, flat0, terms)
    if linked is None:
        return None
    sur = Surrogate(base, flat0, theta0, probe, terms)
    acting = {i for sub, _ in terms for i in sub}
    flat = [i for i in active if i not in acting]
    for th in [*checks, *ends(study, flat, theta0)]:
        try:
            full = compile_run(study, scenario, th)
        except ModelError:
            continue  # a value its field refuses: no run is drawn there (draws are checked)
        if structure(full) != sig or not _close(sur.flat(th), flatten(full)):
            return None
    return sur


def ends(study: Study, which: list[int], theta0: np.ndarray) -> list[np.ndarray]:
    """Rows of ``theta0`` with one parameter of ``which`` at an end of where its draws or a
    fit can go — its distribution's extreme quantiles (:meth:`Marginal.ppf`) and its range.
    The form is checked there for the parameters that changed nothing at the probes: a
    step beyond them (cohorts that start to retire within the horizon at short lifetimes)
    was taken for no effect at all (review 211)."""
    rows = []
    for i in which:
        p, m = study.parameters[i], study.marginals[i]
        at = set() if m.fixed else {float(x) for x in m.ppf(np.array([0.0, 1.0]))}
        at |= set(map(float, p.range)) if p.range is not None else set()
        for x in sorted(at - {float(theta0[i])}):
            row = theta0.copy()
            row[i] = x
            rows.append(row)
    return rows


def through_survival(path: str) -> bool:
    """Whether a parameter at ``path`` is a lifetime (a product's, or a replaced part's):
    it enters the compiled model through survival curves, never multilinearly — a fixed
    lifetime is a step (a cohort retires within the horizon or not), flat between probes
    that all fall on one side of it."""
    return "lifetime" in path_tokens(path)[2:]  # a field, not an entry named so


def _interactions(
    active: list[int],
    corner: Callable[[tuple[int, ...]], Flat | None],
    flat0: Flat,
    terms: list[tuple[tuple[int, ...], Flat]],
) -> bool | None:
    """Add the coefficients of interacting subsets to ``terms`` (pairs, then every larger
    subset of a connected group of interacting parameters)."""
    edges: dict[int, set[int]] = {i: set() for i in active}
    for i, j in combinations(active, 2):
        d = _mobius((i, j), corner)
        if d is None:
            return None
        if not _is_zero(d, flat0):
            terms.append(((i, j), d))
            edges[i].add(j)
            edges[j].add(i)
    seen: set[int] = set()
    for i in active:
        if i in seen:
            continue
        group, todo = set(), [i]
        while todo:
            k = todo.pop()
            if k not in group:
                group.add(k)
                todo += list(edges[k])
        seen |= group
        if len(group) > MAX_CLUSTER:
            return None
        for size in range(3, len(group) + 1):
            for sub in combinations(sorted(group), size):
                d = _mobius(sub, corner)
                if d is None:
                    return None
                if not _is_zero(d, flat0):
                    terms.append((sub, d))
    return True


def _mobius(sub: tuple[int, ...], corner: Callable[[tuple[int, ...]], Flat | None]) -> Flat | None:
    parts: list[tuple[float, Flat]] = []
    for size in range(len(sub) + 1):
        for t in combinations(sub, size):
            f = corner(t)
            if f is None:
                return None
            parts.append(((-1.0) ** (len(sub) - size), f))
    return _combine(parts)


def compile_runs(study: Study, scenario: str, theta: np.ndarray) -> list[Compiled]:
    """Every run compiled from its own document (the exact, slower path)."""
    return [compile_run(study, scenario, th) for th in theta]


def batch_of(compiled: list[Compiled]) -> CompiledBatch | None:
    """Stack separately compiled runs, or ``None`` if their structures differ."""
    sig = structure(compiled[0])
    if any(structure(c) != sig for c in compiled[1:]):
        return None
    return stack(compiled)
