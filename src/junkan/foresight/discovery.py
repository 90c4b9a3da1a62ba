"""Scenario discovery: which sampled inputs lead to each group. Extra-trees feature
importances (Geurts, Ernst & Wehenkel 2006) and PRIM boxes (Friedman & Fisher 1999; in
scenario discovery, Bryant & Lempert 2010).

For speed on large models, the forest sees at most ``SCREEN`` inputs — those whose means
differ most between the groups (one-way ANOVA F; screening as in Fan & Lv 2008) — and at
most ``SAMPLE`` scenarios (a random subsample, the same for PRIM). PRIM peels the top
``PRIM_INPUTS`` inputs of the forest, every candidate cut of a step evaluated at once;
coverage, density and mass are those of the subsample."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from junkan.foresight.engine import Ensemble
from junkan.foresight.grouping import _limit_threads

SCREEN = 50
SAMPLE = 4000
PRIM_INPUTS = 20
"""PRIM peels only the inputs with the top extra-trees scores."""


def _rows(n: int, seed: int) -> np.ndarray:
    """The scenarios the forest and PRIM see: all, or a random ``SAMPLE`` of them."""
    if n <= SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, SAMPLE, replace=False))


def _screen(x: np.ndarray, labels: np.ndarray, keep: int) -> np.ndarray:
    """Indices of the ``keep`` inputs with the largest ANOVA F between the groups."""
    if x.shape[1] <= keep:
        return np.arange(x.shape[1])
    from sklearn.feature_selection import f_classif

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant inputs: F is NaN
        f, _ = f_classif(x, labels)
    return np.sort(np.argsort(-np.nan_to_num(f, nan=0.0), kind="stable")[:keep])


def feature_scores(ens: Ensemble, labels: np.ndarray, seed: int = 0,
                   top: int = 15) -> list[tuple[str, float]]:
    """The ``top`` inputs by extra-trees importance for predicting the group."""
    from sklearn.ensemble import ExtraTreesClassifier

    if ens.inputs.shape[1] == 0 or len(np.unique(labels)) < 2:
        return []
    rows = _rows(ens.n, seed)
    x, y = ens.inputs[rows], labels[rows]
    cols = _screen(x, y, SCREEN)
    with _limit_threads():
        et = ExtraTreesClassifier(n_estimators=100, random_state=seed, n_jobs=1,
                                  min_samples_leaf=5).fit(x[:, cols], y)
    imp = et.feature_importances_
    order = np.argsort(-imp, kind="stable")[:top]
    return [(ens.compiled.input_names[int(cols[i])], float(imp[i])) for i in order]


def prim_box(x: np.ndarray, y: np.ndarray, names: list[str], alpha: float = 0.05,
             mass_min: float = 0.05) -> dict[str, Any]:
    """PRIM peeling: repeatedly cut the α-tail of one input that raises the box's density of
    ``y`` most, while the box keeps ≥ mass_min of the points. Returns the box with the best
    density (coverage and density reported)."""
    n, p = x.shape
    inside = np.ones(n, dtype=bool)
    x_lo, x_hi = x.min(axis=0), x.max(axis=0)
    lo, hi = x_lo.copy(), x_hi.copy()
    total = max(float(y.sum()), 1.0)
    yf = y.astype(np.float64)
    best: dict[str, Any] = {"density": float(yf.mean()), "coverage": 1.0, "limits": {}}
    while inside.mean() > mass_min:
        xi, yi = x[inside], yf[inside]
        q = np.quantile(xi, [alpha, 1 - alpha], axis=0)  # (2, p)
        keeps = (xi >= q[0], xi <= q[1])  # (n_in, p) each: cut the low / the high tail
        count = np.stack([kp.sum(axis=0) for kp in keeps], axis=1)  # (p, 2)
        hits = np.stack([yi @ kp for kp in keeps], axis=1)
        valid = (count >= mass_min * n) & (count != len(yi))
        if not valid.any():
            break
        dens = np.where(valid, hits / np.maximum(count, 1), -np.inf)
        j, side = np.unravel_index(int(np.argmax(dens)), dens.shape)  # input-major order
        if dens[j, side] <= yi.mean():
            break
        inside[inside] = keeps[side][:, j]
        if side == 0:
            lo[j] = q[0, j]
        else:
            hi[j] = q[1, j]
        if dens[j, side] > best["density"]:
            limits = {names[i]: [float(lo[i]), float(hi[i])] for i in range(p)
                      if lo[i] > x_lo[i] or hi[i] < x_hi[i]}
            best = {"density": float(dens[j, side]),
                    "coverage": float(yf[inside].sum() / total),
                    "mass": float(inside.mean()), "limits": limits}
    return best


def boxes(ens: Ensemble, labels: np.ndarray, k: int, scores: list[tuple[str, float]],
          seed: int = 0) -> list[dict[str, Any]]:
    """A PRIM box per group on the inputs of ``scores`` (the top extra-trees inputs)."""
    if not scores:
        return []
    names = [name for name, _ in scores[:PRIM_INPUTS]]
    cols = [ens.compiled.input_names.index(name) for name in names]
    rows = _rows(ens.n, seed)
    x = ens.inputs[np.ix_(rows, np.array(cols, dtype=np.int64))]
    return [{"group": g, **prim_box(x, (labels[rows] == g).astype(float), names)}
            for g in range(k)]
