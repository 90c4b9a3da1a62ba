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
import logging
import math
import multiprocessing
import multiprocessing.util  # registers its exit handler before ours (atexit is LIFO)
import pickle
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from typing import Any

try:  # POSIX only; elsewhere only the wall-clock limit applies
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from junkan.core.budget_slot import _settle, _Slot, _Task
from junkan.core.budget_types import (
    WARM_MODULES,
    Budget,
    BudgetExceeded,
    BudgetSettings,
    PoolBusy,
    PoolClosed,
    T,
    WorkerCrashed,
    WorkerError,
)
from junkan.core.budget_worker import (
    _preload,
    _preload_lock,
    _WorkerSpec,
    default_warm_up,
    paced,
    pacer,
    report_progress,
    throttled,
)

log = logging.getLogger("junkan.budget")




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
            payload = pickle.dumps((fn, args, kwargs, b.cpu_s, b.memory_mb,
                                    (b.settings[0], b.subject)),
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
           "paced", "pacer", "report_progress", "run", "run_async", "shutdown", "throttled"]

if sys.platform == "win32":  # pragma: no cover
    log.warning("junkan.core.budget: no CPU or memory limits on Windows, only wall-clock")

