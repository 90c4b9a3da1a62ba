"""Heavy work off the event loop: a small pool of worker processes with budgets.

A task is a picklable function and its arguments. It runs in one of a few long-lived worker
processes (started with ``forkserver`` or ``spawn``, never by forking a threaded server) with
three limits, enforced by the operating system or the parent — not by the task's good will:

* **CPU time** — a CPU-time timer (``ITIMER_PROF``, all threads of the worker, user and
  system time) armed for each task; when it runs out the kernel ends the worker with
  ``SIGPROF``, even inside a C loop (a pint ``9**9**9``). ``RLIMIT_CPU`` one second later
  (the CPU used so far plus the budget, rounded up) is the backstop.
* **memory** — ``RLIMIT_AS``: the task may map ``memory_mb`` on top of the warmed worker's
  address space; an allocation beyond fails with :class:`MemoryError` (numpy, pyarrow and
  Python alike), which comes back as :class:`BudgetExceeded` (memory).
* **wall clock** — the parent waits at most ``wall_s`` and then kills the worker.

A worker that hit a limit is replaced (the pool stays at its size) and the caller gets
:class:`BudgetExceeded` naming the limit, its value and its setting, with ``status_code`` 413
(memory) or 422 (time). When more than ``queue`` tasks would have to wait, :class:`PoolBusy`
(503, ``retry_after``) refuses the task at once. Exceptions raised by the function itself
(:class:`~junkan.core.errors.ModelError` with its problems, ``ValueError``, …) come back
unchanged.

Use :func:`run_async` from ``async`` routes (the event loop never blocks), :func:`run` from
threads; both use the process-wide pool of :func:`default_pool`, configured by
:class:`BudgetSettings` (``JUNKAN_BUDGET_*``). A task reports progress with
:func:`report_progress`; the caller's ``on_progress`` receives it in a parent thread.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import importlib
import logging
import math
import multiprocessing
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, InvalidStateError
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from junkan.core.errors import JunkanError

try:  # POSIX only; elsewhere only the wall-clock limit applies
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

log = logging.getLogger("junkan.budget")

T = TypeVar("T")
MiB = 1024 * 1024

Limit = Literal["cpu", "memory", "wall", "queue"]

#: Modules imported once, before any task: by the forkserver (every worker forked from it has
#: them) or by each spawned worker. ``__main__`` first, as multiprocessing does by default.
WARM_MODULES: tuple[str, ...] = (
    "__main__", "junkan.core.budget", "numpy", "pandas", "pyarrow", "pyarrow.parquet", "pint",
    "junkan.core.units", "junkan.lifecycle.api", "junkan.lifecycle.engine",
    "junkan.lifecycle.results", "junkan.lifecycle.summary", "junkan.indicators.compute",
    "junkan.indicators.report",
)


# ---- settings ---------------------------------------------------------------------------------
class BudgetSettings(BaseSettings):
    """Worker pool and budgets, from ``JUNKAN_BUDGET_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="JUNKAN_BUDGET_")

    workers: int = Field(default=2, ge=1, le=64)
    """Worker processes for request work (validation, compare, solves, analysis)."""
    cpu_s: float = Field(default=20, gt=0, le=86_400)
    """CPU seconds one request task may use (all its threads, user and system time)."""
    memory_mb: int = Field(default=2048, ge=16, le=1_048_576)
    """Address space (MiB) one task may add to its warmed worker (``RLIMIT_AS``); compare of
    the shipped examples adds < 5 MB, a run of the 1,000-product benchmark model 660 MB."""
    wall_s: float = Field(default=60, gt=0, le=86_400)
    """Wall-clock seconds one request task may take, waiting for a CPU included."""
    queue: int = Field(default=8, ge=0, le=10_000)
    """Tasks that may wait for a free worker; beyond, requests get 503 with Retry-After."""
    run_cpu_s: float = Field(default=300, gt=0, le=86_400)
    """CPU seconds of one background simulation run (compile, simulate, tables)."""
    run_wall_s: float = Field(default=900, gt=0, le=86_400)
    """Wall-clock seconds of one background simulation run."""
    max_tasks: int = Field(default=500, ge=1)
    """Tasks after which a worker is replaced by a fresh one (bounds leaks, fragmentation)."""
    start_method: Literal["forkserver", "spawn"] = "forkserver"
    """How workers start: ``forkserver`` (imports once in a helper process; a new worker is
    ready in 0.1–0.2 s) or ``spawn`` (each worker imports everything itself, ~2.3 s of CPU)."""
    startup_s: float = Field(default=120, gt=0)
    """Seconds a new worker may take to import and warm up before it counts as broken."""

    def budget(self) -> Budget:
        """The budget of a request task."""
        return Budget(self.cpu_s, self.memory_mb, self.wall_s)

    def run_budget(self) -> Budget:
        """The budget of a background simulation run."""
        return Budget(self.run_cpu_s, self.memory_mb, self.run_wall_s, subject="run",
                      settings=("JUNKAN_BUDGET_RUN_CPU_S", "JUNKAN_BUDGET_MEMORY_MB",
                                "JUNKAN_BUDGET_RUN_WALL_S"))


@dataclass(frozen=True)
class Budget:
    """Limits of one task. ``settings`` names the environment variables of the three limits
    (CPU, memory, wall) so that the error can say which one to raise; ``subject`` is what the
    error calls the task ("the request exceeded …")."""

    cpu_s: float = 20
    memory_mb: int = 2048
    wall_s: float = 60
    subject: str = "request"
    settings: tuple[str, str, str] = ("JUNKAN_BUDGET_CPU_S", "JUNKAN_BUDGET_MEMORY_MB",
                                      "JUNKAN_BUDGET_WALL_S")

    def __post_init__(self) -> None:
        if not (self.cpu_s > 0 and self.memory_mb > 0 and self.wall_s > 0):
            raise ValueError(f"budget limits must be positive, got {self}")

    def exceeded(self, limit: Literal["cpu", "memory", "wall"]) -> BudgetExceeded:
        i = ("cpu", "memory", "wall").index(limit)
        value = (self.cpu_s, self.memory_mb, self.wall_s)[i]
        return BudgetExceeded(limit, value, setting=self.settings[i], subject=self.subject)


# ---- errors -----------------------------------------------------------------------------------
_WHAT = {"cpu": ("CPU-time budget", "s"), "memory": ("memory budget", "MB"),
         "wall": ("time limit", "s"), "queue": ("queue", "tasks")}


class BudgetExceeded(JunkanError):
    """A task hit a limit. ``limit`` is ``"cpu"``, ``"memory"``, ``"wall"`` (or ``"queue"``
    for :class:`PoolBusy`); ``value`` its value; ``setting`` the environment variable;
    ``status_code`` the HTTP status (413 memory, 422 time, 503 busy); ``headers`` extra HTTP
    headers (``Retry-After`` when busy)."""

    def __init__(self, limit: Limit, value: float, *, setting: str | None = None,
                 subject: str = "request") -> None:
        self.limit: Limit = limit
        self.value = value
        self.setting = setting
        self.subject = subject
        what, unit = _WHAT[limit]
        where = f" ({setting})" if setting else ""
        super().__init__(f"the {subject} exceeded its {what} of {value:g} {unit}{where}")

    @property
    def status_code(self) -> int:
        return 413 if self.limit == "memory" else 422

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy(), self.args))


class PoolBusy(BudgetExceeded):
    """Every worker is busy and ``queue`` tasks already wait: try again after
    ``retry_after`` seconds (HTTP 503 with ``Retry-After``)."""

    def __init__(self, waiting: int, retry_after: int,
                 setting: str | None = "JUNKAN_BUDGET_QUEUE") -> None:
        super().__init__("queue", waiting, setting=setting)
        self.retry_after = retry_after
        where = f" ({setting})" if setting else ""
        self.args = (f"the service is busy: {waiting} tasks are already waiting for a "
                     f"worker{where}; retry in {retry_after} s",)

    @property
    def status_code(self) -> int:
        return 503

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def _rebuild(cls: type[BaseException], state: dict[str, Any],
             args: tuple[Any, ...]) -> BaseException:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    exc.args = args
    return exc


class WorkerCrashed(RuntimeError):
    """A worker stopped without answering (a signal other than the CPU limit, e.g. the
    system's out-of-memory killer, or a crash in native code). An internal error (HTTP 500):
    the detail is for the server log, not for the user."""


class WorkerError(RuntimeError):
    """A task failed in a way that cannot be sent back as its own exception (the exception
    or the result does not pickle). An internal error (HTTP 500)."""


class PoolClosed(RuntimeError):
    """The pool was shut down before the task ran or finished."""


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


def default_warm_up() -> None:
    """Exercise what tasks use, so that lazily built state (pint's unit cache, pyarrow's
    allocator arena, the model schema) exists before the memory baseline is measured."""
    import io
    from importlib import resources

    import pandas as pd

    from junkan.core.units import parse_quantity
    from junkan.lifecycle.api import load_model

    parse_quantity("12.5 kgCO2e/kg")
    pd.DataFrame({"year": [2000, 2001], "value": [1.0, 2.0]}).to_parquet(io.BytesIO())
    text = (resources.files("junkan.data") / "examples" / "atm_reuse.yaml").read_text("utf-8")
    load_model(text=text, source="warm-up")


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
        fn, args, kwargs, cpu_s, memory_mb = pickle.loads(data)
    except Exception as exc:
        return _pack_error(WorkerError(f"the worker could not read the task: {exc!r}")), False
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
        _lift_limits()


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
        except (EOFError, OSError):
            return  # the parent closed the pipe (shutdown, retirement) or died
        reply, out_of_memory = _serve(data, baseline)
        try:
            conn.send_bytes(reply)
        except OSError:
            return
        if out_of_memory:
            return  # after a MemoryError, a fresh worker is safer than a fragmented one


# ---- the parent side --------------------------------------------------------------------------
@dataclass(eq=False)
class _Task:
    payload: bytes
    budget: Budget
    on_progress: Callable[[Any], None] | None
    future: Future[Any] = field(default_factory=Future)
    abandoned: threading.Event = field(default_factory=threading.Event)


def _settle(future: Future[Any], exc: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):  # cancelled by its caller meanwhile
        future.set_exception(exc)


class _Slot:
    """One worker process and the parent thread that feeds it."""

    def __init__(self, pool: BudgetPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.proc: Any = None
        self.conn: Connection | None = None
        self.info: dict[str, Any] = {}
        self.tasks = 0
        self.busy = False
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name=f"{pool.name}-{index}")

    # the worker process
    def _start(self) -> None:
        pool = self.pool
        parent, child = pool.ctx.Pipe(duplex=True)
        proc = pool.ctx.Process(target=_worker_main, args=(child, pool.spec), daemon=True,
                                name=f"{pool.name}-{self.index}")
        proc.start()
        child.close()
        self.proc, self.conn, self.tasks = proc, parent, 0
        deadline = time.monotonic() + pool.settings.startup_s
        try:
            while not parent.poll(0.25):
                if pool.closed:
                    raise PoolClosed("the worker pool was shut down")
                if time.monotonic() > deadline:
                    raise WorkerCrashed(f"a worker did not start within "
                                        f"{pool.settings.startup_s:g} s (JUNKAN_BUDGET_STARTUP_S)")
            kind, info = pickle.loads(parent.recv_bytes())
        except (EOFError, OSError):
            code = self._reap()
            raise WorkerCrashed(f"a worker stopped while starting (exit code {code})") from None
        except BaseException:
            self._kill()
            raise
        if kind != "ready":
            self._kill()
            raise WorkerCrashed(f"a worker could not start: {info}")
        self.info = info
        pool._count("started")
        if info["warm_up_failed"]:
            log.warning("worker %s did not warm up: %s", self.thread.name,
                        "; ".join(info["warm_up_failed"]))
        log.debug("worker %s ready: %s", self.thread.name, info)

    def _reap(self, timeout: float = 5) -> int | None:
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        self.ready.clear()
        if conn is not None:
            conn.close()
        if proc is None:
            return None
        proc.join(timeout)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
        code: int | None = proc.exitcode
        with contextlib.suppress(ValueError):
            proc.close()
        return code

    def _kill(self) -> int | None:
        if self.proc is not None and self.proc.exitcode is None:
            self.proc.kill()
        return self._reap()

    # the feeding thread
    def _loop(self) -> None:
        pool = self.pool
        backoff = 0.5
        while not pool.closed:
            if self.proc is None:
                try:
                    self._start()
                    backoff = 0.5
                except PoolClosed:
                    break
                except Exception as exc:
                    log.error("worker %s: %s", self.thread.name, exc)
                    task = pool._take(self, timeout=backoff)  # fail one caller, don't hang it
                    if task is not None:
                        task.future.set_exception(WorkerCrashed(str(exc)))
                    backoff = min(2 * backoff, 30)
                    continue
            self.ready.set()
            task = pool._take(self)
            if task is None:
                continue
            self.busy = True
            try:
                self._execute(task)
            finally:
                self.busy = False
            if self.proc is not None and self.tasks >= pool.settings.max_tasks:
                self._reap()  # retire: closing the pipe ends the worker
        self.ready.clear()
        self._kill()

    def _execute(self, task: _Task) -> None:
        pool, budget = self.pool, task.budget
        t0 = time.monotonic()
        deadline = t0 + budget.wall_s
        self.tasks += 1
        try:
            assert self.conn is not None
            self.conn.send_bytes(task.payload)
        except OSError:  # the idle worker died (killed from outside): a fresh one, once
            self._kill()
            try:
                self._start()
                assert self.conn is not None
                self.conn.send_bytes(task.payload)
            except Exception as exc:
                task.future.set_exception(WorkerCrashed(f"no worker could take the task: {exc}"))
                return
        conn = self.conn
        while True:
            if task.abandoned.is_set() or pool.closed:
                self._kill()
                task.future.set_exception(PoolClosed("the task was cancelled") if
                                          task.abandoned.is_set() else
                                          PoolClosed("the worker pool was shut down"))
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                pool._count("wall")
                task.future.set_exception(budget.exceeded("wall"))
                return
            try:
                if not conn.poll(min(remaining, 0.25)):
                    continue
                kind, value = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                code = self._reap()
                if resource is not None and code in (-signal.SIGPROF, -signal.SIGXCPU):
                    pool._count("cpu")
                    task.future.set_exception(budget.exceeded("cpu"))
                else:
                    pool._count("crashed")
                    how = (f"killed by {signal.Signals(-code).name}" if code and code < 0 and
                           -code in signal.valid_signals() else f"exit code {code}")
                    if code == -signal.SIGKILL:
                        how += ", usually the system's out-of-memory killer"
                    log.error("worker %s stopped during a task (%s)", self.thread.name, how)
                    task.future.set_exception(WorkerCrashed(
                        f"the worker process stopped during the task ({how})"))
                return
            except Exception as exc:  # the answer does not unpickle here
                task.future.set_exception(WorkerError(f"the task's answer could not be read: "
                                                      f"{exc!r}"))
                return
            if kind == "progress":
                if task.on_progress is not None:
                    try:
                        task.on_progress(value)
                    except Exception:
                        log.exception("progress callback failed")
                continue
            break
        pool._done(time.monotonic() - t0)
        if kind == "ok":
            task.future.set_result(value)
        elif kind == "memory":
            self._reap()
            pool._count("memory")
            task.future.set_exception(budget.exceeded("memory"))
        else:
            task.future.set_exception(value)


class BudgetPool:
    """A fixed number of worker processes running tasks within budgets (see the module doc).

    ``warm`` lists modules imported before any task; ``warm_up`` (picklable, no arguments)
    runs once in each worker after the imports. Workers start in the background at once (with
    the first task when ``eager`` is false); :meth:`wait_ready` waits for them.
    """

    def __init__(self, settings: BudgetSettings | None = None, *, workers: int | None = None,
                 name: str = "junkan-budget", warm: Sequence[str] = WARM_MODULES,
                 warm_up: Callable[[], None] | None = default_warm_up,
                 budget: Budget | None = None, eager: bool = True) -> None:
        self.settings = settings or BudgetSettings()
        self.name = name
        self.default_budget = budget or self.settings.budget()
        self.ctx: Any = multiprocessing.get_context(self.settings.start_method)
        if self.settings.start_method == "forkserver":
            # process-wide, and only until the fork server starts: pools made before any
            # worker starts add theirs; a module missing there is imported by each worker
            with _preload_lock:
                _preload.extend(m for m in warm if m not in _preload)
                self.ctx.set_forkserver_preload(list(_preload))
        self.spec = _WorkerSpec(tuple(warm), warm_up)
        self.closed = False
        self._cond = threading.Condition()
        self._queue: collections.deque[_Task] = collections.deque()
        self._idle = 0
        self._ema = 1.0
        self.counts: collections.Counter[str] = collections.Counter()
        n = workers if workers is not None else self.settings.workers
        self._slots = [_Slot(self, i) for i in range(n)]
        self._started = False
        _pools.add(self)
        if eager:
            self.start()

    # ---- public -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (in the background; the first task does it when not ``eager``)."""
        with self._cond:
            if self._started or self.closed:
                return
            self._started = True
        for slot in self._slots:
            slot.thread.start()

    def submit(self, fn: Callable[..., T], *args: Any, budget: Budget | None = None,
               on_progress: Callable[[Any], None] | None = None,
               **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)``; raises :class:`PoolBusy` at once when full."""
        return self._submit(fn, args, kwargs, budget, on_progress).future

    def run(self, fn: Callable[..., T], *args: Any, budget: Budget | None = None,
            on_progress: Callable[[Any], None] | None = None, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in a worker and wait (from a thread, never from the
        event loop's thread: use :meth:`run_async` there)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("BudgetPool.run would block the event loop; "
                               "use 'await run_async(...)'")
        task = self._submit(fn, args, kwargs, budget, on_progress)
        try:
            return task.future.result()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | CancelledError):
                self._abandon(task)
            raise

    async def run_async(self, fn: Callable[..., T], *args: Any, budget: Budget | None = None,
                        on_progress: Callable[[Any], None] | None = None,
                        **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in a worker without blocking the event loop. If the
        awaiting coroutine is cancelled, the task is dropped (its worker is replaced)."""
        task = self._submit(fn, args, kwargs, budget, on_progress)
        try:
            return await asyncio.wrap_future(task.future)
        except asyncio.CancelledError:
            self._abandon(task)
            raise

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start the workers if needed and wait until each has warmed up."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for slot in self._slots:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not slot.ready.wait(left):
                return False
        return True

    def stats(self) -> dict[str, Any]:
        """Workers, busy and waiting tasks, and counters (tasks done, workers started, limits
        hit) — for health checks and metrics."""
        procs = [s.proc for s in self._slots]
        with self._cond:
            return {"workers": len(self._slots),
                    "ready": sum(s.ready.is_set() for s in self._slots),
                    "idle": self._idle, "waiting": len(self._queue),
                    "pids": [p.pid for p in procs if p is not None],
                    "running": [p.pid for p, s in zip(procs, self._slots, strict=True)
                                if p is not None and s.busy],
                    **dict(self.counts)}

    def shutdown(self, timeout: float = 5) -> None:
        """Stop the workers (running tasks are abandoned with :class:`PoolClosed`)."""
        with self._cond:
            if self.closed:
                return
            self.closed = True
            queued = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for task in queued:
            _settle(task.future, PoolClosed("the worker pool was shut down"))
        deadline = time.monotonic() + timeout
        for slot in self._slots:
            if slot.thread.is_alive():
                slot.thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> BudgetPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ---- internal ---------------------------------------------------------------------------
    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                budget: Budget | None, on_progress: Callable[[Any], None] | None) -> _Task:
        b = budget or self.default_budget
        try:
            payload = pickle.dumps((fn, args, kwargs, b.cpu_s, b.memory_mb),
                                   pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise TypeError(f"the task cannot go to a worker process: {exc} (the function must "
                            "be defined at module level and its arguments must pickle)") from exc
        task = _Task(payload, b, on_progress)
        with self._cond:
            if self.closed:
                raise PoolClosed("the worker pool was shut down")
            waiting = len(self._queue) - self._idle
            if waiting >= self.settings.queue:
                self.counts["busy"] += 1
                n = len(self._slots)
                retry = math.ceil(self._ema * (max(waiting, 0) + n) / n)
                raise PoolBusy(max(waiting, 0), min(max(retry, 1), 60))
            self._queue.append(task)
            self._cond.notify()
        if not self._started:
            self.start()
        return task

    def _take(self, slot: _Slot, timeout: float | None = None) -> _Task | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._idle += 1
            try:
                while True:
                    while not self._queue and not self.closed:
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            return None
                        self._cond.wait(left)
                    if self.closed:
                        return None
                    task = self._queue.popleft()
                    if task.future.set_running_or_notify_cancel():
                        return task
            finally:
                self._idle -= 1

    def _abandon(self, task: _Task) -> None:
        with self._cond, contextlib.suppress(ValueError):
            self._queue.remove(task)
            task.future.cancel()
        task.abandoned.set()

    def _done(self, seconds: float) -> None:
        with self._cond:
            self.counts["tasks"] += 1
            self._ema = 0.8 * self._ema + 0.2 * seconds

    def _count(self, what: str) -> None:
        with self._cond:
            self.counts[what] += 1


_pools: weakref.WeakSet[BudgetPool] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Before multiprocessing's own exit handler (atexit runs last-registered first): stop
    the workers while their feeding threads still run."""
    for pool in list(_pools):
        pool.shutdown(timeout=2)


# ---- the process-wide pool --------------------------------------------------------------------
_default: BudgetPool | None = None
_default_lock = threading.Lock()


def default_pool() -> BudgetPool:
    """The process-wide pool for request work, created on first use from
    :class:`BudgetSettings` (or by :func:`configure`)."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = BudgetPool(name="junkan-budget")
        return _default


def configure(settings: BudgetSettings | None = None, **kw: Any) -> BudgetPool:
    """Replace the process-wide pool (e.g. at application start); returns it."""
    global _default
    with _default_lock:
        old, _default = _default, BudgetPool(settings, **kw)
    if old is not None:
        old.shutdown()
    return _default


def shutdown() -> None:
    """Stop the process-wide pool (e.g. at application shutdown)."""
    global _default
    with _default_lock:
        old, _default = _default, None
    if old is not None:
        old.shutdown()


def run(fn: Callable[..., T], *args: Any, budget: Budget | None = None,
        on_progress: Callable[[Any], None] | None = None, **kwargs: Any) -> T:
    """:meth:`BudgetPool.run` on the process-wide pool."""
    return default_pool().run(fn, *args, budget=budget, on_progress=on_progress, **kwargs)


async def run_async(fn: Callable[..., T], *args: Any, budget: Budget | None = None,
                    on_progress: Callable[[Any], None] | None = None, **kwargs: Any) -> T:
    """:meth:`BudgetPool.run_async` on the process-wide pool."""
    return await default_pool().run_async(fn, *args, budget=budget, on_progress=on_progress,
                                          **kwargs)


__all__ = ["Budget", "BudgetExceeded", "BudgetPool", "BudgetSettings", "PoolBusy", "PoolClosed",
           "WorkerCrashed", "WorkerError", "configure", "default_pool", "default_warm_up",
           "report_progress", "run", "run_async", "shutdown"]

if sys.platform == "win32":  # pragma: no cover
    log.warning("junkan.core.budget: no CPU or memory limits on Windows, only wall-clock")
