"""The ensemble engine: every scenario stepped together, factors × scenarios, chunk by chunk.

Per year (state x in [0, 1], K factors × n scenarios, float32)::

    u = (x_{t−ℓ} − 0.5) ⊙ m_src            for each lag ℓ (ring buffer of past states)
    s = (Σ_ℓ A_ℓ u) ⊙ m_dst                 A[dst, src] = sign·strength/√indegree(dst)
    Δ = α s / (1 + |s|) + drift + σ ε + levers
    x ← clip(x + 4 Δ ⊙ x ⊙ (1 − x))        logistic term: saturation and tipping

Uncertain inputs (initial values, driver trends, grouped link weights, lever on/off) are
sampled by Latin hypercube (or Sobol) over the whole ensemble; shocks draw from a generator
seeded per chunk (``SeedSequence(seed).spawn``), so (seed, chunk size) reproduce every run.
Method: ``../shared/docs/references/foresight.md`` §6.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from junkan.foresight.model import Compiled

EPS = 1e-4


@dataclass
class Ensemble:
    """Result of an ensemble run: inputs P (N × p), states (T × K × N) or KPIs only."""

    compiled: Compiled
    inputs: np.ndarray  # (N, p) sampled input values
    states: np.ndarray | None  # (T, K, N) float32, when stored
    kpis: np.ndarray  # (T, n_kpi, N) float32
    seed: int
    chunk: int

    @property
    def n(self) -> int:
        return int(self.kpis.shape[2])


def sample_inputs(c: Compiled, n: int, seed: int, method: str = "lhs") -> np.ndarray:
    """(n, p) input values by Latin hypercube or scrambled Sobol."""
    p = len(c.input_names)
    if p == 0:
        return np.zeros((n, 0))
    if method == "sobol":
        u = qmc.Sobol(d=p, scramble=True, seed=seed).random(n)
    elif method == "lhs":
        u = qmc.LatinHypercube(d=p, seed=seed).random(n)
    else:
        raise ValueError(f"unknown sampling method {method!r}; use lhs or sobol")
    return c.input_low + u * (c.input_high - c.input_low)


def run_ensemble(c: Compiled, n: int = 20_000, *, seed: int = 0, chunk: int = 1024,
                 method: str = "lhs", store_states: bool = True,
                 lever_override: dict[str, float] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run ``n`` scenarios. ``lever_override`` sets a lever's share of 'on' (0–1) for every
    scenario (e.g. from UI sliders) instead of sampling it."""
    m = c.model
    k, t_n = len(c.ids), len(c.years)
    inputs = sample_inputs(c, n, seed, method)
    kinds = np.array(c.input_kind)
    names = c.input_names
    idx = {f.id: i for i, f in enumerate(m.factors)}
    x0 = np.array([f.x0 if not isinstance(f.x0, tuple | list) else 0.5 for f in m.factors],
                  dtype=np.float32)
    max_lag = max(c.lag_matrices)
    states = np.empty((t_n, k, n), dtype=np.float32) if store_states else None
    kpis = np.empty((t_n, len(c.kpis), n), dtype=np.float32)
    driver = np.array([f.role == "driver" for f in m.factors])
    shock = np.array([f.shock for f in m.factors], dtype=np.float32)
    trend_start = np.array([(f.trend_start or m.years.start) for f in m.factors])
    lever_rows = [(idx[lv.factor], lv.effect, lv.start, lv) for lv in m.levers]
    seeds = np.random.SeedSequence(seed).spawn((n + chunk - 1) // chunk)
    alpha = np.float32(m.gain)
    for ci, lo in enumerate(range(0, n, chunk)):
        hi = min(lo + chunk, n)
        w = hi - lo
        rng = np.random.default_rng(seeds[ci])
        p = inputs[lo:hi]
        x = np.repeat(x0[:, None], w, axis=1)
        drift = np.zeros((k, w), dtype=np.float32)
        m_src = np.ones((k, w), dtype=np.float32)
        m_dst = np.ones((k, w), dtype=np.float32)
        lever_on: dict[str, np.ndarray] = {}
        for j, (name, kind) in enumerate(zip(names, kinds, strict=True)):
            fid = name.split(":", 1)[1]
            if kind == "x0":
                x[idx[fid]] = p[:, j]
            elif kind == "trend":
                drift[idx[fid]] = p[:, j]
            elif kind == "msrc":
                m_src[idx[fid]] = p[:, j]
            elif kind == "mdst":
                m_dst[idx[fid]] = p[:, j]
            elif kind == "lever":
                lever_on[fid] = (p[:, j] >= 0.5).astype(np.float32)
        for _, _, _, lv in lever_rows:
            if lever_override is not None and lv.id in lever_override:
                share = float(lever_override[lv.id])
                lever_on[lv.id] = (rng.random(w) < share).astype(np.float32)
            elif lv.mode != "sampled":
                lever_on[lv.id] = np.full(w, 1.0 if lv.mode == "on" else 0.0, np.float32)
        hist = np.repeat(((x - 0.5) * m_src)[None], max_lag + 1, axis=0)
        for t, year in enumerate(c.years):
            u = (x - 0.5) * m_src
            hist[t % (max_lag + 1)] = u
            a = np.zeros((k, w), dtype=np.float32)
            for lag, mat in c.lag_matrices.items():
                src = hist[(t - lag) % (max_lag + 1)] if t >= lag else hist[0]
                a += mat @ src
            s = a * m_dst
            delta = alpha * s / (1 + np.abs(s))
            active = driver & (year >= trend_start)
            delta[active] += drift[active]
            if shock.any():
                delta += shock[:, None] * rng.standard_normal((k, w), dtype=np.float32)
            for f_i, effect, start, lv in lever_rows:
                if year >= start:
                    delta[f_i] += effect * lever_on[lv.id]
            x = np.clip(x + 4 * delta * x * (1 - x), EPS, 1 - EPS)
            if states is not None:
                states[t, :, lo:hi] = x
            kpis[t, :, lo:hi] = x[c.kpis]
        if progress is not None:
            progress(hi, n)
    return Ensemble(compiled=c, inputs=inputs, states=states, kpis=kpis, seed=seed,
                    chunk=chunk)
