"""The ensemble engine: every scenario stepped together, factors × scenarios, chunk by chunk.

Year t (state x in [0, 1], K factors × n scenarios, float32; x_t is the state at the end
of year t, x_{−1} the starting state)::

    u_ℓ = (x_{t−ℓ} − x_ref) ⊙ m_src         for each lag ℓ ≥ 1 (ring buffer of past states)
    s = (Σ_ℓ A_ℓ u_ℓ) ⊙ m_dst               A[dst, src] = sign·strength/√indegree(dst)
    Δ = α s / (1 + |s|) + drift + σ ε + levers
    x_t = clip(x_{t−1} + 4 Δ ⊙ x_{t−1} ⊙ (1 − x_{t−1}))   logistic term: saturation, tipping

so a link of lag ℓ carries a change of its source in year t into its target in year t + ℓ
(a lever or trend starting in year Y moves its own factor in year Y). Every factor keeps its
value from one year to the next (it is a stock); links to itself are refused at load.

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

from junkan.core.errors import short
from junkan.foresight.limits import MAX_ENSEMBLE_BYTES, MAX_SCENARIOS, why_least
from junkan.foresight.model import Compiled

EPS = 1e-4
CHUNK = 1024
STATE_TYPES: dict[Any, Any] = {True: np.float32, "float32": np.float32, "float16": np.float16}
"""``store_states`` values that keep the states, and the type they are kept in: float16
(half the memory; values in [0, 1] to within 2.4e-4, ample for grouping and branch analysis)
or float32 (what the engine computes in)."""


@dataclass
class Ensemble:
    """Result of an ensemble run: inputs P (N × p, float32: the values the engine used),
    states (T × K × N) or KPIs only, and which levers were on in each scenario (N × L).

    ``to_frame()`` gives the KPI paths as a table, ``to_json()`` the run's summary
    (per-year KPI means and standard deviations) and ``report(out)`` writes both as the
    output folder of ``junkan foresight run`` (Parquet and ``summary.json``)."""

    compiled: Compiled
    inputs: np.ndarray  # (N, p) float32 sampled input values
    states: np.ndarray | None  # (T, K, N) float32 or float16, when stored
    kpis: np.ndarray  # (T, n_kpi, N) float32
    seed: int
    chunk: int
    method: str = "lhs"
    lever_on: np.ndarray | None = None
    """(N, L) uint8: 1 where lever ``model.levers[l]`` was on in the scenario."""
    lever_override: dict[str, float] | None = None
    """The lever shares the run was made with (needed to re-run chunks exactly)."""

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
    inputs: np.ndarray  # (w, p) float32
    states: np.ndarray | None  # (T, K, w)
    kpis: np.ndarray  # (T, n_kpi, w)
    lever_on: np.ndarray  # (w, L) uint8


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
    from scipy.stats import qmc  # here, not at import: scipy.stats is ~0.3-0.6 s of every CLI start

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
    """(n, p) float32 input values exactly as :func:`run_ensemble` samples and stores them."""
    parts = [chunk_inputs(c, np.random.default_rng(chunk_seed(seed, ci)),
                          min(chunk, n - lo), method).T
             for ci, lo in enumerate(range(0, n, chunk))]
    return (np.concatenate(parts) if parts
            else np.zeros((0, len(c.input_names)), dtype=np.float32))


def run_chunk(c: Compiled, w: int, seed_seq: np.random.SeedSequence, *, method: str = "lhs",
              store_states: bool = True,
              lever_override: dict[str, float] | None = None) -> ChunkResult:
    """Sample and step ``w`` scenarios through every year; the unit of work of both
    backends."""
    rng = np.random.default_rng(seed_seq)
    return step_scenarios(c, chunk_inputs(c, rng, w, method), rng, store_states=store_states,
                          lever_override=lever_override)


def _lever_states(c: Compiled, p: np.ndarray, rng: np.random.Generator,
                  lever_override: dict[str, float] | None) -> np.ndarray:
    """(L, w) float32 on/off of every lever (in the model's order) for the scenarios of
    ``p``: sampled levers from their input (on when ≥ 0.5), overridden levers drawn with
    their share from ``rng``, fixed levers on or off."""
    w = p.shape[1]
    sampled = {c.input_names[j].split(":", 1)[1]: j
               for j in np.nonzero(c.input_kind_codes == 4)[0]}
    out = np.zeros((len(c.model.levers), w), dtype=np.float32)
    for i, lv in enumerate(c.model.levers):
        if lever_override is not None and lv.id in lever_override:
            out[i] = rng.random(w) < float(lever_override[lv.id])
        elif lv.mode == "sampled":
            out[i] = p[sampled[lv.id]] >= 0.5
        else:
            out[i] = 1.0 if lv.mode == "on" else 0.0
    return out


def _start_state(c: Compiled, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Initial states, drifts and link-weight multipliers (each K × w) from the inputs."""
    k, w = len(c.ids), p.shape[1]
    x = np.repeat(c.x0[:, None], w, axis=1)
    drift = np.zeros((k, w), dtype=np.float32)
    m_src = np.ones((k, w), dtype=np.float32)
    m_dst = np.ones((k, w), dtype=np.float32)
    for code, target in ((0, x), (1, drift), (2, m_src), (3, m_dst)):
        sel = c.input_kind_codes == code
        target[c.input_factor[sel]] = p[sel]
    return x, drift, m_src, m_dst


def step_scenarios(c: Compiled, p: np.ndarray, rng: np.random.Generator, *,
                   store_states: bool = True,
                   lever_override: dict[str, float] | None = None) -> ChunkResult:
    """Step the scenarios whose input values are the columns of ``p`` (p_inputs × w, in the
    order of ``c.input_names``); ``rng`` draws the shocks (and overridden levers).

    ``past[j]`` holds u = (x − x_ref)⊙m_src at the end of a year; a link of lag ℓ reads the
    state at the end of year t − ℓ when year t is stepped, so a change in year t reaches the
    target's state in year t + ℓ (before the first year: the starting state)."""
    m = c.model
    p = np.asarray(p, dtype=np.float32)
    if p.ndim != 2:  # one scenario's inputs as a flat vector
        p = p.reshape(len(c.input_names), -1)
    k, w = len(c.ids), p.shape[1]
    x, drift, m_src, m_dst = _start_state(c, p)
    lever_on = _lever_states(c, p, rng, lever_override)
    lever_rows = [(c.index[lv.factor], np.float32(lv.effect), lv.start, lever_on[i])
                  for i, lv in enumerate(m.levers)]
    x_ref = x.copy() if m.anchor == "initial" else np.float32(0.5)
    depth = max(c.lag_matrices)  # ≥ 1: states kept for the longest lag
    past = np.repeat(((x - x_ref) * m_src)[None], depth, axis=0)
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
        if t > 0:  # the end of year t − 1 goes into its slot
            slot = past[(t - 1) % depth]
            np.subtract(x, x_ref, out=slot)
            slot *= m_src
        a: np.ndarray | None = None
        for lag, mat in c.lag_matrices.items():
            # end of year t − lag; for t < lag the slot (t − lag) mod depth ≥ t has not
            # been written yet and still holds the starting state
            src = past[(t - lag) % depth]
            a = mat @ src if a is None else a + mat @ src
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
    return ChunkResult(inputs=p.T.copy(), states=states, kpis=kpis,
                       lever_on=lever_on.T.astype(np.uint8))


def check_run(c: Compiled, n: int, chunk: int, method: str,
              lever_override: dict[str, float] | None) -> None:
    """A ``ValueError`` naming the option and the rule for a run that cannot be made."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) \
            or not 1 <= n <= MAX_SCENARIOS:
        raise ValueError(f"n: give a whole number of scenarios from 1 to {MAX_SCENARIOS:,} "
                         f"(got {short(n)})")
    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ValueError(f"chunk: give a whole number of scenarios ≥ 1 (got {short(chunk)})")
    if method not in ("lhs", "sobol"):
        raise ValueError(f"unknown sampling method {short(method)}; use lhs or sobol")
    levers = [lv.id for lv in c.model.levers]
    for key, share in (lever_override or {}).items():
        if key not in levers:
            raise ValueError(f"levers: unknown lever {short(key)}; this model has {levers}")
        if isinstance(share, bool) or not isinstance(share, int | float | np.floating) \
                or not 0 <= float(share) <= 1:  # NaN fails the comparison too
            raise ValueError(f"levers.{key}: the share of scenarios with the lever on must be "
                             f"a number from 0 to 1 (got {short(share)})")


def ensemble_bytes(c: Compiled, n: int, store_states: bool | str) -> int:
    """Bytes of the arrays a run of ``n`` scenarios keeps in this process: inputs (float32),
    KPI paths (float32), levers (uint8) and, unless ``store_states`` is False, every
    factor's path (float32, or float16 for ``"float16"``)."""
    t_n = len(c.years)
    per = 4 * len(c.input_names) + 4 * t_n * len(c.kpis) + len(c.model.levers)
    if store_states is not False:
        per += t_n * len(c.ids) * (2 if store_states == "float16" else 4)
    return int(n) * per


def check_size(c: Compiled, n: int, store_states: bool | str) -> None:
    """A ``ValueError`` when a run of ``n`` scenarios would keep more than
    ``MAX_ENSEMBLE_BYTES`` in this process (checked before anything is allocated)."""
    size = ensemble_bytes(c, n, store_states)
    if size > MAX_ENSEMBLE_BYTES:
        most = MAX_ENSEMBLE_BYTES // max(ensemble_bytes(c, 1, store_states), 1)
        raise ValueError(f"n: {n:,} scenarios of this model would keep {size / 2**30:,.1f} GiB "
                         f"in memory, more than the limit {MAX_ENSEMBLE_BYTES / 2**30:g} GiB; "
                         f"give at most {most:,} scenarios"
                         + (" here, or run more on the Dask backend (junkan foresight run "
                            "--backend dask)" if store_states is False else ""))



def check_scenarios(c: Compiled, n: int, *, least: int = 1,
                    store_states: bool | str | None = False) -> None:
    """A ``ValueError`` (its message starts ``n:``) unless ``n`` is a whole number of
    scenarios from ``least`` to ``MAX_SCENARIOS`` whose arrays fit ``MAX_ENSEMBLE_BYTES``
    when run in this process with ``store_states`` (``None``: not in this process, e.g. on
    the Dask backend, which keeps one chunk per worker)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ValueError(f"n: give a whole number of scenarios (got {short(n)})")
    if n < least:
        raise ValueError(f"n: give at least {least:,} scenarios (got {n:,}): "
                         f"{why_least(least)}")
    if n > MAX_SCENARIOS:
        raise ValueError(f"n: give at most {MAX_SCENARIOS:,} scenarios (got {n:,}); a larger "
                         f"ensemble is not needed to find and rate the futures of a model")
    if store_states is not None:
        check_size(c, n, store_states)


def run_ensemble(c: Compiled, n: int = 20_000, *, seed: int = 0, chunk: int = CHUNK,
                 method: str = "lhs", store_states: bool | str = True,
                 lever_override: dict[str, float] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run ``n`` scenarios in this process. ``store_states``: True (or "float32") keeps every
    factor's path, "float16" keeps them in half the memory, False only the KPIs (an analysis
    then re-runs the chunks for the factor paths). ``lever_override`` sets a lever's share of
    'on' (0–1) for every scenario (e.g. from UI sliders) instead of sampling it."""
    check_run(c, n, chunk, method, lever_override)
    if store_states is not False and store_states not in STATE_TYPES:
        raise ValueError(f"store_states: give True, False, 'float32' or 'float16' "
                         f"(got {short(store_states)})")
    check_size(c, n, store_states)
    k, t_n = len(c.ids), len(c.years)
    inputs = np.empty((n, len(c.input_names)), dtype=np.float32)
    lever_on = np.empty((n, len(c.model.levers)), dtype=np.uint8)
    states = (np.empty((t_n, k, n), dtype=STATE_TYPES[store_states])
              if store_states is not False else None)
    kpis = np.empty((t_n, len(c.kpis), n), dtype=np.float32)
    for ci, seq in enumerate(chunk_seeds(seed, n, chunk)):
        lo = ci * chunk
        hi = min(lo + chunk, n)
        r = run_chunk(c, hi - lo, seq, method=method, store_states=states is not None,
                      lever_override=lever_override)
        inputs[lo:hi] = r.inputs
        lever_on[lo:hi] = r.lever_on
        kpis[:, :, lo:hi] = r.kpis
        if states is not None:
            states[:, :, lo:hi] = r.states
        if progress is not None:
            progress(hi, n)
    return Ensemble(compiled=c, inputs=inputs, states=states, kpis=kpis, seed=seed,
                    chunk=chunk, method=method, lever_on=lever_on,
                    lever_override=dict(lever_override) if lever_override else None)


simulate = step_scenarios
"""Former name of :func:`step_scenarios` (kept for callers outside the package)."""
