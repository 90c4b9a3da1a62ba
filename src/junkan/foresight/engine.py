"""The ensemble engine: every scenario stepped together, factors × scenarios, chunk by chunk.

Per year (state x in [0, 1], K factors × n scenarios, float32)::

    u = (x_{t−ℓ} − x_ref) ⊙ m_src          for each lag ℓ (ring buffer of past states)
    s = (Σ_ℓ A_ℓ u) ⊙ m_dst                 A[dst, src] = sign·strength/√indegree(dst)
    Δ = α s / (1 + |s|) + drift + σ ε + levers
    x ← clip(x + 4 Δ ⊙ x ⊙ (1 − x))        logistic term: saturation and tipping

x_ref is each scenario's starting state (``anchor: initial``, the default: today's world is at
rest until drivers and levers move it) or 0.5 (``anchor: midpoint``).

The update is a signed, weighted causal-loop (system-dynamics) model with a logistic
saturation term, in the spirit of fuzzy cognitive maps (Kosko 1986) run as exploratory
ensembles (Bankes 1993; Kwakkel 2017, the EMA Workbench).

Uncertain inputs (initial values, driver trends, grouped link weights, lever on/off) are
sampled per chunk — a Latin hypercube (McKay, Beckman & Conover 1979) or a scrambled Sobol'
sequence (Sobol' 1967; Owen 1998), both from :mod:`scipy.stats.qmc`, of the chunk's size —
and shocks (drivers only) draw from the same per-chunk generator (``SeedSequence(seed)``'s
children). A chunk is therefore a self-contained unit of work: (seed, chunk size) reproduce
every run, whether chunks run here in a loop or on Dask workers
(:mod:`junkan.foresight.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from junkan.core.errors import short
from junkan.foresight.model import Compiled

EPS = 1e-4
CHUNK = 1024


@dataclass
class Ensemble:
    """Result of an ensemble run: inputs P (N × p), states (T × K × N) or KPIs only.

    ``to_frame()`` gives the KPI paths as a table, ``to_json()`` the run's summary
    (per-year KPI means and standard deviations) and ``report(out)`` writes both as the
    output folder of ``junkan foresight run`` (Parquet and ``summary.json``)."""

    compiled: Compiled
    inputs: np.ndarray  # (N, p) sampled input values
    states: np.ndarray | None  # (T, K, N) float32, when stored
    kpis: np.ndarray  # (T, n_kpi, N) float32
    seed: int
    chunk: int
    method: str = "lhs"

    @property
    def n(self) -> int:
        return int(self.kpis.shape[2])

    def kpi_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per year and KPI, the sum and the sum of squares over scenarios (float64)."""
        return (self.kpis.sum(axis=2, dtype=np.float64),
                np.einsum("tkn,tkn->tk", self.kpis, self.kpis, dtype=np.float64))

    def to_frame(self) -> Any:
        """KPI paths as a table: scenario, year, one float32 column per KPI (the layout of
        the Parquet parts)."""
        import pandas as pd

        from junkan.foresight.distributed import kpi_columns

        return pd.DataFrame(kpi_columns(self.compiled, self.kpis, 0))

    def to_json(self) -> dict[str, Any]:
        """The run's summary: model, scenarios, seed, chunk, method, years, KPI ids, and the
        per-year mean and standard deviation of every KPI (JSON-ready)."""
        from junkan.core.encoding import jsonable
        from junkan.foresight.distributed import summary_document

        total, total_sq = self.kpi_sums()
        return dict(jsonable(summary_document(self.compiled, self.n, self.seed, self.chunk,
                                              self.method, total, total_sq)))

    def report(self, out: str | Path) -> Path:
        """Write the output folder: ``kpis/`` and ``inputs/`` Parquet parts and
        ``summary.json`` (complete or not at all); returns ``out``."""
        from junkan.foresight.distributed import write_folder

        return write_folder(self, Path(out))


@dataclass
class ChunkResult:
    inputs: np.ndarray  # (w, p)
    states: np.ndarray | None  # (T, K, w)
    kpis: np.ndarray  # (T, n_kpi, w)


def chunk_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of chunk ``index``: the ``index``-th child of ``SeedSequence(seed)``
    (what ``spawn`` would give), built directly so a worker needs no other chunk's."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def chunk_seeds(seed: int, n: int, chunk: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per chunk of ``chunk`` scenarios."""
    return [chunk_seed(seed, i) for i in range((n + chunk - 1) // chunk)]


def sample_unit(rng: np.random.Generator, p: int, w: int, method: str = "lhs") -> np.ndarray:
    """(p, w) points in [0, 1): a Latin hypercube (one stratum of width 1/w per scenario in
    every dimension, a random point inside it) or scrambled Sobol', drawn from ``rng``."""
    if method == "lhs":
        return qmc.LatinHypercube(d=p, rng=rng).random(w).T
    if method == "sobol":
        return qmc.Sobol(d=p, scramble=True, rng=rng).random(w).T
    raise ValueError(f"unknown sampling method {short(method)}; use lhs or sobol")


def chunk_inputs(c: Compiled, rng: np.random.Generator, w: int, method: str) -> np.ndarray:
    """(p, w) float32 input values of one chunk: the first draws of its generator."""
    p_n = len(c.input_names)
    u = sample_unit(rng, p_n, w, method) if p_n else np.zeros((0, w))
    return (c.input_low[:, None] + u * (c.input_high - c.input_low)[:, None]).astype(np.float32)


def sample_inputs(c: Compiled, n: int, seed: int, method: str = "lhs",
                  chunk: int = CHUNK) -> np.ndarray:
    """(n, p) input values exactly as :func:`run_ensemble` samples and stores them."""
    parts = [chunk_inputs(c, np.random.default_rng(chunk_seed(seed, ci)),
                          min(chunk, n - lo), method).T.astype(np.float64)
             for ci, lo in enumerate(range(0, n, chunk))]
    return np.concatenate(parts) if parts else np.zeros((0, len(c.input_names)))


def run_chunk(c: Compiled, w: int, seed_seq: np.random.SeedSequence, *, method: str = "lhs",
              store_states: bool = True,
              lever_override: dict[str, float] | None = None) -> ChunkResult:
    """Sample and step ``w`` scenarios through every year; the unit of work of both
    backends."""
    rng = np.random.default_rng(seed_seq)
    return step_scenarios(c, chunk_inputs(c, rng, w, method), rng, store_states=store_states,
                          lever_override=lever_override)


def step_scenarios(c: Compiled, p: np.ndarray, rng: np.random.Generator, *,
             store_states: bool = True,
             lever_override: dict[str, float] | None = None) -> ChunkResult:
    """Step the scenarios whose input values are the columns of ``p`` (p_inputs × w, in the
    order of ``c.input_names``); ``rng`` draws the shocks."""
    m = c.model
    k = len(c.ids)
    p = np.asarray(p, dtype=np.float32).reshape(len(c.input_names), -1)
    w = p.shape[1]
    kind = c.input_kind_codes
    x = np.repeat(c.x0[:, None], w, axis=1)
    drift = np.zeros((k, w), dtype=np.float32)
    m_src = np.ones((k, w), dtype=np.float32)
    m_dst = np.ones((k, w), dtype=np.float32)
    for code, target in ((0, x), (1, drift), (2, m_src), (3, m_dst)):
        sel = kind == code
        target[c.input_factor[sel]] = p[sel]
    lever_on: dict[str, np.ndarray] = {}
    for j in np.nonzero(kind == 4)[0]:
        lever_on[c.input_names[j].split(":", 1)[1]] = (p[j] >= 0.5).astype(np.float32)
    for lv in m.levers:
        if lever_override is not None and lv.id in lever_override:
            share = float(lever_override[lv.id])
            lever_on[lv.id] = (rng.random(w) < share).astype(np.float32)
        elif lv.mode != "sampled":
            lever_on[lv.id] = np.full(w, 1.0 if lv.mode == "on" else 0.0, np.float32)
    lever_rows = [(c.index[lv.factor], np.float32(lv.effect), lv.start, lever_on[lv.id])
                  for lv in m.levers]
    x_ref = x.copy() if m.anchor == "initial" else np.float32(0.5)
    max_lag = max(c.lag_matrices)
    hist = np.repeat(((x - x_ref) * m_src)[None], max_lag + 1, axis=0)
    shock_rows = np.nonzero(c.shock > 0)[0]
    shock = c.shock[shock_rows, None]
    alpha = np.float32(m.gain)
    t_n = len(c.years)
    states = np.empty((t_n, k, w), dtype=np.float32) if store_states else None
    kpis = np.empty((t_n, len(c.kpis), w), dtype=np.float32)
    tmp = np.empty((k, w), dtype=np.float32)
    eps_hi = np.float32(1 - EPS)
    # in-place arithmetic: a handful of (K, w) temporaries per year instead of a dozen
    for t, year in enumerate(c.years):
        slot = hist[t % (max_lag + 1)]
        np.subtract(x, x_ref, out=slot)
        slot *= m_src
        a: np.ndarray | None = None
        for lag, mat in c.lag_matrices.items():
            src = hist[(t - lag) % (max_lag + 1)] if t >= lag else hist[0]
            if a is None:
                a = mat @ src
            else:
                a += mat @ src
        assert a is not None
        a *= m_dst  # s
        np.abs(a, out=tmp)
        tmp += 1
        a /= tmp
        a *= alpha  # Δ
        rows = c.trend_rows[year >= c.trend_start[c.trend_rows]]
        a[rows] += drift[rows]
        if shock_rows.size:
            a[shock_rows] += shock * rng.standard_normal((shock_rows.size, w),
                                                         dtype=np.float32)
        for f_i, effect, start, on in lever_rows:
            if year >= start:
                a[f_i] += effect * on
        np.subtract(1, x, out=tmp)
        tmp *= x
        tmp *= a
        tmp *= 4
        x += tmp
        np.clip(x, EPS, eps_hi, out=x)
        if states is not None:
            states[t] = x
        kpis[t] = x[c.kpis]
    return ChunkResult(inputs=p.T.astype(np.float64), states=states, kpis=kpis)


def run_ensemble(c: Compiled, n: int = 20_000, *, seed: int = 0, chunk: int = CHUNK,
                 method: str = "lhs", store_states: bool = True,
                 lever_override: dict[str, float] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run ``n`` scenarios in this process. ``lever_override`` sets a lever's share of 'on'
    (0–1) for every scenario (e.g. from UI sliders) instead of sampling it."""
    if n < 1:
        raise ValueError("n must be at least 1 scenario")
    if method not in ("lhs", "sobol"):
        raise ValueError(f"unknown sampling method {short(method)}; use lhs or sobol")
    k, t_n = len(c.ids), len(c.years)
    inputs = np.empty((n, len(c.input_names)))
    states = np.empty((t_n, k, n), dtype=np.float32) if store_states else None
    kpis = np.empty((t_n, len(c.kpis), n), dtype=np.float32)
    for ci, seq in enumerate(chunk_seeds(seed, n, chunk)):
        lo = ci * chunk
        hi = min(lo + chunk, n)
        r = run_chunk(c, hi - lo, seq, method=method, store_states=store_states,
                      lever_override=lever_override)
        inputs[lo:hi] = r.inputs
        kpis[:, :, lo:hi] = r.kpis
        if states is not None:
            states[:, :, lo:hi] = r.states
        if progress is not None:
            progress(hi, n)
    return Ensemble(compiled=c, inputs=inputs, states=states, kpis=kpis, seed=seed,
                    chunk=chunk, method=method)


simulate = step_scenarios
"""Former name of :func:`step_scenarios` (kept for callers outside the package)."""
