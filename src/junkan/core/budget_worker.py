"""The worker-process side of :mod:`junkan.core.budget`: limits, warm-up and the serve
loop (each task is one pickled call; its answer or error goes back through the pipe)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from junkan.core.errors import JunkanError

try:  # POSIX only; elsewhere only the wall-clock limit applies
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from junkan.core.budget_types import BudgetExceeded, MiB, WorkerError

log = logging.getLogger("junkan.budget")


# ---- the worker process -----------------------------------------------------------------------
@dataclass(frozen=True)
class _WorkerSpec:
    modules: tuple[str, ...]
    warm_up: Callable[[], None] | None
    threads: int = 1


_conn: Connection | None = None  # in a worker: the pipe to the parent
_preload: list[str] = []  # what the fork server imports (the union of the pools' lists)
_preload_lock = threading.Lock()


def report_progress(value: Any) -> None:
    """From inside a task: send ``value`` (picklable) to the caller's ``on_progress``.
    Outside a worker it does nothing, so the same function also runs in-process. Each call
    is one pipe write (~20 µs): throttle in the task."""
    if _conn is not None:
        _conn.send_bytes(pickle.dumps(("progress", value), pickle.HIGHEST_PROTOCOL))


@dataclass(frozen=True)
class _Task:
    cpu_s: float
    setting: str
    subject: str
    cpu_at_start: float


_task: _Task | None = None  # in a worker, while a task runs: its CPU budget
PACE_S = 2.0
"""CPU seconds of work, after the first progress report, that :func:`paced` measures a
task's pace over before it forecasts (a tenth of the budget if that is less)."""
PACE_MARGIN = 1.25
"""A task is stopped early when its forecast CPU time is above its budget times this."""


def paced(tell: Callable[[int, int], None], what: str, period: float = 0.2
          ) -> Callable[[int, int], None]:
    """:func:`throttled`, with the forecast of :func:`pacer` (``what``) at each report."""
    return throttled(tell, period, pacer(what))


def pacer(what: str, fewer: str | None = None) -> Callable[[int, int], None]:
    """``check(done, of)`` — in a worker, a forecast: once the task has worked
    :data:`PACE_S` of CPU since its first report (a tenth of its budget if less), the CPU
    time of the ``of − done`` steps left at the pace since then, added to what it used,
    above :data:`PACE_MARGIN` × its budget stops it at once with :class:`BudgetExceeded`
    saying so — not minutes later at the budget, holding a worker all along (212,992
    sensitivity evaluations at 54 a second, review 219). For tasks whose ``of`` is the
    number of steps (not an upper bound); a task that counts again (``of`` changes,
    ``done`` falls) is paced anew, and the forecast counts only the steps of that count;
    ``what`` names a step (``runs``, ``evaluations``), ``fewer`` what the caller may ask
    fewer of (default: ``what``). Outside a worker it does nothing."""
    first: list[tuple[int, float, int]] = []  # done, CPU used and of at the pace's start
    last = [0]  # the done last told

    def check(done: int, of: int) -> None:
        # a count ended (done = of) or started again (done = 0): its pace is not the next
        # one's, even one of the same length (review 246: the reset was skipped at done = 0,
        # and a loop of cache hits was paced from the start of the one before)
        if done < last[0]:
            first.clear()
        last[0] = done
        task = _task
        if task is None or not 0 < done < of:
            return
        used = _cpu_used() - task.cpu_at_start
        if not first or of != first[0][2]:
            # a new count (a second batch: a sensitivity's tornado after its design) starts
            # a new pace: the first one's CPU is not the second's (reviews 221, 223)
            first[:] = [(done, used, of)]
            return
        done0, used0, _ = first[0]
        if done <= done0 or used - used0 < min(PACE_S, 0.1 * task.cpu_s):
            return
        rate = (used - used0) / (done - done0)
        need = used + (of - done) * rate
        if need > PACE_MARGIN * task.cpu_s:
            exc = BudgetExceeded("cpu", task.cpu_s, setting=task.setting, subject=task.subject)
            exc.args = (f"the {task.subject} cannot end within its CPU-time budget of "
                        f"{task.cpu_s:g} s ({task.setting}): after {used:.1f} s of CPU, "
                        f"{done:,} of {of:,} {what} done at {rate:.2g} s each, about "
                        f"{need:,.0f} s in all; ask for fewer {fewer or what}, or raise the "
                        "budget",)
            raise exc

    return check


def throttled(tell: Callable[[int, int], None], period: float = 0.2,
              check: Callable[[int, int], None] | None = None
              ) -> Callable[[int, int], None]:
    """``tell(done, of)``, passed on at most once per ``period`` seconds and always at the
    end (``done >= of``): a task's progress callback that does not write the pipe
    (:func:`report_progress`) at every step."""
    last = [0.0]

    def call(done: int, of: int) -> None:
        now = time.monotonic()
        if now - last[0] >= period or done >= of:
            last[0] = now
            if check is not None:
                check(done, of)
            tell(done, of)

    return call


def default_warm_up() -> None:
    """Exercise what tasks use, so that lazily built state (pint's unit cache, pyarrow's
    allocator arena, the model schema) exists before the memory baseline is measured."""
    import io

    import pandas as pd

    from junkan.core.units import parse_quantity

    parse_quantity("12.5 kgCO2e/kg")
    pd.DataFrame({"year": [2000, 2001], "value": [1.0, 2.0]}).to_parquet(io.BytesIO())


def _address_space() -> int:
    """Bytes mapped by this process (``VmSize``); 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_used() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _set_soft(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def _lift_limits() -> None:
    if resource is None:
        return
    signal.setitimer(signal.ITIMER_PROF, 0)
    for which in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        _, hard = resource.getrlimit(which)
        resource.setrlimit(which, (hard, hard))


def _worker_setup(spec: _WorkerSpec) -> tuple[int, list[str]]:
    """Signals, core dumps, threads, imports, warm-up: (the address-space baseline, what
    failed to warm up). Warming up only saves time: a failure there is reported, and the task
    that needs the module meets the error itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    if resource is not None:
        for sig in (signal.SIGPROF, signal.SIGXCPU):  # the CPU limits terminate
            signal.signal(sig, signal.SIG_DFL)
        _set_soft(resource.RLIMIT_CORE, 0)  # …without dumping gigabytes of core
    failed = []
    for name in spec.modules:
        if name != "__main__":
            try:
                importlib.import_module(name)
            except Exception as exc:
                failed.append(f"import {name}: {type(exc).__name__}: {exc}")
    with contextlib.suppress(ImportError):  # one BLAS/OpenMP thread: the pool is the unit
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=spec.threads)
    if spec.warm_up is not None:
        try:
            spec.warm_up()
        except Exception as exc:
            failed.append(f"warm-up: {type(exc).__name__}: {exc}")
    return _address_space(), failed


def _pack_error(exc: BaseException) -> bytes:
    """The exception as the caller should see it, checked to survive the trip."""
    if not isinstance(exc, JunkanError):
        with contextlib.suppress(Exception):
            exc.add_note("in the worker process:\n" + "".join(
                traceback.format_exception(exc)).rstrip())
    try:
        data = pickle.dumps(("err", exc), pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
        return data
    except Exception as bad:
        text = f"{type(exc).__qualname__}: {exc}"
        if isinstance(exc, JunkanError):
            sub: BaseException = JunkanError(str(exc))
        else:
            sub = WorkerError(f"{text} (the exception does not pickle: {bad})")
            sub.add_note("".join(traceback.format_exception(exc)).rstrip())
        return pickle.dumps(("err", sub), pickle.HIGHEST_PROTOCOL)


def _serve(data: bytes, baseline: int) -> tuple[bytes, bool]:
    """Run one task within its limits: (the reply, whether memory ran out)."""
    try:
        fn, args, kwargs, cpu_s, memory_mb, (setting, subject) = pickle.loads(data)
    except Exception as exc:
        return _pack_error(WorkerError(f"the worker could not read the task: {exc!r}")), False
    global _task
    _task = _Task(cpu_s, setting, subject, _cpu_used()) if resource is not None else None
    if resource is not None:
        _set_soft(resource.RLIMIT_CPU, math.ceil(_cpu_used() + cpu_s) + 1)
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
        if baseline:
            _set_soft(resource.RLIMIT_AS, baseline + memory_mb * MiB)
    try:
        result = fn(*args, **kwargs)
        return pickle.dumps(("ok", result), pickle.HIGHEST_PROTOCOL), False  # within limits
    except MemoryError:
        _lift_limits()
        return pickle.dumps(("memory", None)), True
    except BaseException as exc:
        _lift_limits()
        return _pack_error(exc), False
    finally:
        _task = None
        _lift_limits()


_TOOK = pickle.dumps(("took", None), pickle.HIGHEST_PROTOCOL)


def _worker_main(conn: Connection, spec: _WorkerSpec) -> None:
    global _conn
    t0 = time.perf_counter()
    try:
        baseline, failed = _worker_setup(spec)
    except BaseException as exc:
        conn.send_bytes(pickle.dumps(("fatal", f"{type(exc).__name__}: {exc}")))
        return
    conn.send_bytes(pickle.dumps(("ready", {"pid": os.getpid(), "baseline_mb": baseline / MiB,
                                            "startup_s": time.perf_counter() - t0,
                                            "warm_up_failed": failed})))
    _conn = conn
    while True:
        try:
            data = conn.recv_bytes()
            conn.send_bytes(_TOOK)  # the parent knows the task reached a live worker
        except (EOFError, OSError):
            return  # the parent closed the pipe (shutdown, retirement) or died
        except MemoryError:  # the task itself does not fit: said, not sent again
            with contextlib.suppress(OSError):
                conn.send_bytes(_TOOK)
                conn.send_bytes(pickle.dumps(("memory", None)))
            return
        reply, out_of_memory = _serve(data, baseline)
        try:
            conn.send_bytes(reply)
        except OSError:
            return
        if out_of_memory:
            return  # after a MemoryError, a fresh worker is safer than a fragmented one


