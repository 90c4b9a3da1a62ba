"""Dask backend: the same ensemble, chunk by chunk, across workers — for millions of scenarios.

A task runs ``per_task`` consecutive engine chunks (16 × 1,024 = 16,384 scenarios by default:
every Dask task carries a scheduling overhead, so the unit of work is tens of thousands of
scenarios, never one; see ``benchmarks/README.md``) and writes its KPI paths and sampled
inputs as Parquet parts. Chunk seeds are the same as in
:func:`junkan.foresight.engine.run_ensemble`, so both backends give identical numbers for
the same (seed, chunk).

Output folder::

    kpis/part-00000.parquet    scenario, year, one float32 column per KPI
    inputs/part-00000.parquet  scenario, one column per sampled input (``store_inputs``;
                               otherwise ``engine.sample_inputs`` regenerates them exactly)
    summary.json               model, n, seed, chunk, per-year KPI means and std

The folder appears complete or not at all (written under a temporary name, then renamed).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from junkan.foresight.engine import CHUNK, Ensemble, check_run, chunk_seed, run_chunk
from junkan.foresight.model import Compiled

PER_TASK = 16
WORKER_ENV = {"MALLOC_TRIM_THRESHOLD_": 2**28, "MALLOC_MMAP_THRESHOLD_": 2**26}
"""glibc settings for worker processes (see ``mallopt(3)``). Dask's nanny sets
MALLOC_TRIM_THRESHOLD_=65536, which also pins the mmap threshold at 128 KiB: every
(factors × 1,024) float32 array then costs fresh pages and the engine runs markedly slower in
a worker (measurements in ``benchmarks/README.md``). Give these to your own cluster's
``distributed.nanny.pre-spawn-environ`` too."""


def local_cluster(n_workers: int | None = None) -> Any:
    """A LocalCluster of single-threaded worker processes (one per core by default) with
    :data:`WORKER_ENV`."""
    import dask
    from distributed import LocalCluster

    env = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENV.items()}
    with dask.config.set(env):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None,
                            silence_logs=40)


def _task(c: Compiled, first_chunk: int, n_chunks: int, n: int, chunk: int, seed: int,
          method: str, lever_override: dict[str, float] | None, out: str,
          store_inputs: bool) -> dict[str, Any]:
    """Run chunks [first_chunk, first_chunk + n_chunks) and write their Parquet parts."""
    lo = first_chunk * chunk
    hi = min((first_chunk + n_chunks) * chunk, n)
    kpis = np.empty((len(c.years), len(c.kpis), hi - lo), dtype=np.float32)
    inputs = np.empty((hi - lo, len(c.input_names)) if store_inputs else (0, 0),
                      dtype=np.float32)
    for ci in range(first_chunk, first_chunk + n_chunks):
        a, b = ci * chunk, min((ci + 1) * chunk, n)
        if a >= b:
            break
        r = run_chunk(c, b - a, chunk_seed(seed, ci), method=method, store_states=False,
                      lever_override=lever_override)
        kpis[:, :, a - lo:b - lo] = r.kpis
        if store_inputs:
            inputs[a - lo:b - lo] = r.inputs
    name = f"part-{first_chunk // max(n_chunks, 1):05d}.parquet"
    return write_part(c, kpis, inputs if store_inputs else None, lo, Path(out), name)


def write_part(c: Compiled, kpis: np.ndarray, inputs: np.ndarray | None, first: int,
               out: Path, name: str) -> dict[str, Any]:
    """Write scenarios ``first``… of (T, n_kpi, w) KPI paths (and the (w, p) inputs, if
    given) as ``kpis/<name>`` and ``inputs/<name>``; return their count, sums and sums of
    squares per year and KPI (for the summary)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    w = kpis.shape[2]
    scen = np.arange(first, first + w, dtype=np.int64)
    cols = kpi_columns(c, kpis, first)
    # random floats do not compress: only the index columns are compressed
    codec = {col: "snappy" if col in ("scenario", "year") else "none" for col in cols}
    pq.write_table(pa.table(cols), out / "kpis" / name, compression=codec,
                   use_dictionary=["year"])
    if inputs is not None:
        icols: dict[str, Any] = {"scenario": scen}
        for j, nm in enumerate(c.input_names):
            icols[nm] = inputs[:, j]
        pq.write_table(pa.table(icols), out / "inputs" / name)
    return {"n": w, "sum": kpis.sum(axis=2, dtype=np.float64),
            "sumsq": np.einsum("tkn,tkn->tk", kpis, kpis, dtype=np.float64)}


def kpi_columns(c: Compiled, kpis: np.ndarray, first: int) -> dict[str, np.ndarray]:
    """Columns of the tidy KPI table of (T, n_kpi, w) paths: scenario (from ``first``),
    year, one column per KPI."""
    t_n, _, w = kpis.shape
    cols: dict[str, np.ndarray] = {
        "scenario": np.tile(np.arange(first, first + w, dtype=np.int64), t_n),
        "year": np.repeat(c.years.astype(np.int16), w)}
    for j, i in enumerate(c.kpis):
        cols[c.ids[i]] = kpis[:, j, :].reshape(-1)
    return cols


def write_folder(ens: Ensemble, out: Path) -> Path:
    """The output folder of a local run (the same parts and summary as the Dask backend),
    written under a temporary name and renamed when complete."""
    tmp = _fresh(out)
    try:
        sums = write_part(ens.compiled, ens.kpis, ens.inputs, 0, tmp, "part-00000.parquet")
        summary = summary_document(ens.compiled, ens.n, ens.seed, ens.chunk, ens.method,
                                   sums["sum"], sums["sumsq"])
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _publish(tmp, out)
    return out


def _fresh(out: Path) -> Path:
    """An empty ``.<name>.tmp`` folder beside ``out`` with ``kpis/`` and ``inputs/``."""
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "kpis").mkdir(parents=True)
    (tmp / "inputs").mkdir()
    return tmp


def _publish(tmp: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


def summary_document(c: Compiled, n: int, seed: int, chunk: int, method: str,
                     total: np.ndarray, total_sq: np.ndarray, **extra: Any) -> dict[str, Any]:
    """``summary.json``: the run's identity and per-year KPI means and standard deviations
    from the parts' sums."""
    mean = total / n
    return {"model": c.model.name, "scenarios": n, "seed": seed, "chunk": chunk,
            "method": method, "years": c.years.tolist(), "kpis": [c.ids[i] for i in c.kpis],
            "mean": mean.round(6).tolist(),
            "std": np.sqrt(np.maximum(total_sq / n - mean**2, 0)).round(6).tolist(), **extra}


def run_distributed(c: Compiled, n: int, out: str | Path, *, client: Any = None,
                    seed: int = 0, chunk: int = CHUNK, per_task: int = PER_TASK,
                    method: str = "lhs", lever_override: dict[str, float] | None = None,
                    store_inputs: bool = True, progress: Any = None) -> dict[str, Any]:
    """Run ``n`` scenarios on a Dask cluster (``client``; default: :func:`local_cluster`) and
    write the output folder ``out``."""
    from distributed import Client, as_completed

    check_run(c, n, chunk, method, lever_override)
    out = Path(out)
    tmp = _fresh(out)
    own = client is None
    if own:
        cluster = local_cluster()
        client = Client(cluster)
    t0 = time.perf_counter()
    try:
        # a fresh key per run: with the content hash as key, a second run of the same model
        # could scatter while the scheduler was still releasing the first run's copy, and
        # its tasks failed with 'lost dependencies'
        model = client.scatter(c, broadcast=True, hash=False)
        n_chunks = (n + chunk - 1) // chunk
        futures = [client.submit(_task, model, first, min(per_task, n_chunks - first), n, chunk,
                                 seed, method, lever_override, str(tmp), store_inputs,
                                 pure=False)
                   for first in range(0, n_chunks, per_task)]
        total = np.zeros((len(c.years), len(c.kpis)))
        total_sq = np.zeros_like(total)
        done = 0
        for fut in as_completed(futures):
            r = fut.result()
            total += r["sum"]
            total_sq += r["sumsq"]
            done += r["n"]
            if progress is not None:
                progress(done, n)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if own:
            client.close()
            cluster.close()
    summary = summary_document(c, n, seed, chunk, method, total, total_sq,
                               seconds=time.perf_counter() - t0,
                               lever_override=lever_override or {})
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
    _publish(tmp, out)
    return summary


def read_kpis(out: str | Path) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(T, n_kpi, N) KPI paths, KPI ids and years back from an output folder."""
    import pyarrow.parquet as pq

    table = pq.read_table(Path(out) / "kpis").to_pandas()
    summary = json.loads((Path(out) / "summary.json").read_text())
    kpi_ids, years = summary["kpis"], np.array(summary["years"])
    table = table.sort_values(["year", "scenario"])
    n = summary["scenarios"]
    arr = table[kpi_ids].to_numpy(np.float32).reshape(len(years), n, len(kpi_ids))
    return arr.transpose(0, 2, 1), kpi_ids, years
