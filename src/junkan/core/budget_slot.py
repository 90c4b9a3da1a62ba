"""The parent side of one worker of :mod:`junkan.core.budget`: a slot owns a process,
sends it tasks, enforces the wall clock and replaces the process when it breaks."""

from __future__ import annotations

import contextlib
import logging
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

try:  # POSIX only; elsewhere only the wall-clock limit applies
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from junkan.core.budget_types import (
    Budget,
    PoolClosed,
    WorkerCrashed,
    WorkerError,
)
from junkan.core.budget_worker import (
    _worker_main,
)

if TYPE_CHECKING:
    from junkan.core.budget import BudgetPool

log = logging.getLogger("junkan.budget")

SEND_S = 10.0
"""Seconds an idle worker has to read a task it is given; beyond, it is killed and the task
goes to a fresh worker (a worker stopped with SIGSTOP never reads: a task larger than the
pipe holds blocked its slot for ever; review 242). Reading takes milliseconds."""


# ---- --------------------------------------------------------------------------
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
        self.late = False  # the worker was killed for not reading its task in time
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
            if self.proc is not None and (self.tasks >= pool.settings.max_tasks or
                                          task.budget.retire):
                self._reap()  # retire: closing the pipe ends the worker
        self.ready.clear()
        self._kill()

    def _send(self, task: _Task) -> float | None:
        """Give the task to this slot's worker; a broken pipe (the idle worker was killed
        from outside, or did not read within :data:`SEND_S`) gets a fresh worker, once. The
        seconds before the task was given (starting workers, a worker that did not read: not
        the task's, its wall clock starts again), or None (and the task's future settled) when no
        worker could take it or the task was cancelled or the pool shut down meanwhile."""
        began = time.monotonic()
        for attempt in (1, 2):
            try:
                if self.proc is None:
                    self._start()
                    self.tasks = 1  # this task is the fresh worker's first
                if task.abandoned.is_set() or self.pool.closed:  # while a worker started
                    _settle(task.future, self._ended(task))
                    return None
                assert self.conn is not None
                sending = time.monotonic()
                with self._watched(task, SEND_S):
                    self.conn.send_bytes(task.payload)
                return sending - began
            except OSError as exc:
                if task.abandoned.is_set() or self.pool.closed:  # its send was stopped
                    self._kill()
                    _settle(task.future, self._ended(task))
                    return None
                if self._said_memory():  # it could not hold the task: not sent again
                    self._kill()
                    self.pool._count("memory")
                    _settle(task.future, task.budget.exceeded("memory"))
                    return None
                self._kill()
                if attempt == 2:
                    _settle(task.future, WorkerCrashed(f"no worker could take the task: {exc}"))
            except PoolClosed as exc:
                _settle(task.future, exc)
                break
            except Exception as exc:
                self._kill()
                _settle(task.future, WorkerCrashed(f"no worker could take the task: {exc}"))
                break
        return None

    @contextlib.contextmanager
    def _watched(self, task: _Task, seconds: float) -> Iterator[None]:
        """The worker killed (its pipe breaks, the send ends) if the block takes more than
        ``seconds``, or the task is cancelled or the pool shut down meanwhile (review 246:
        a shutdown waited for the deadline)."""
        proc, done = self.proc, threading.Event()
        self.late = False
        end = time.monotonic() + seconds

        def watch() -> None:
            while not done.wait(0.1):
                late = time.monotonic() > end
                if late or task.abandoned.is_set() or self.pool.closed:
                    if late:
                        self.late = True  # said if it read the task just before the kill
                        log.warning("worker %s did not read its task within %g s "
                                    "(stopped?): replaced", self.thread.name, seconds)
                    with contextlib.suppress(Exception):
                        proc.kill()
                    return

        threading.Thread(target=watch, daemon=True, name=f"{self.thread.name}-send").start()
        try:
            yield
        finally:
            done.set()

    @staticmethod
    def _ended(task: _Task) -> PoolClosed:
        """Why ``task`` stops unfinished: cancelled by its caller, or the pool shut down."""
        return PoolClosed("the task was cancelled" if task.abandoned.is_set() else
                          "the worker pool was shut down")

    def _said_memory(self) -> bool:
        """After a broken pipe while sending a task: whether the worker said, before it
        ended, that the task does not fit in its memory (a payload it could not read)."""
        try:
            while self.conn is not None and self.conn.poll(0.5):
                kind, _ = pickle.loads(self.conn.recv_bytes())
                if kind == "memory":
                    return True
        except Exception:  # noqa: BLE001 - ended without saying it
            pass
        return False

    def _stopped(self, task: _Task, code: int | None) -> None:
        """The worker's pipe closed during ``task`` (it ended with ``code``, already reaped):
        say why (CPU budget, killed, exit code)."""
        budget = task.budget
        if resource is not None and code in (-signal.SIGPROF, -signal.SIGXCPU):
            self.pool._count("cpu")
            task.future.set_exception(budget.exceeded("cpu"))
            return
        self.pool._count("crashed")
        how = (f"killed by {signal.Signals(-code).name}" if code and code < 0 and
               -code in signal.valid_signals() else f"exit code {code}")
        if code == -signal.SIGKILL and self.late:  # it read the task as it was killed
            how += f" by the pool: it had not read its task within {SEND_S:g} s"
        elif code == -signal.SIGKILL:
            how += ", usually the system's out-of-memory killer"
        log.error("worker %s stopped during a task (%s)", self.thread.name, how)
        task.future.set_exception(WorkerCrashed(
            f"the worker process stopped during the task ({how})"))

    def _execute(self, task: _Task) -> None:
        pool, budget = self.pool, task.budget
        t0 = time.monotonic()
        deadline = t0 + budget.wall_s
        self.tasks += 1
        # The worker says "took" when it has read the task. A worker found dead before that
        # (an idle worker killed from outside, its pipe not yet closed by the kernel) never
        # ran the task: it goes to a fresh worker, once.
        took = resent = False
        if (starting := self._send(task)) is None:
            return
        deadline += starting
        conn = self.conn
        assert conn is not None
        while True:
            if task.abandoned.is_set() or pool.closed:
                self._kill()
                task.future.set_exception(self._ended(task))
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
                # before "took": killed from outside (a signal) before it read the task, which
                # goes to a fresh worker once; a worker that exited on its own did read it
                if took or resent or code is None or code >= 0:
                    self._stopped(task, code)
                    return
                resent = True
                if (starting := self._send(task)) is None:
                    return
                deadline += starting
                conn = self.conn
                assert conn is not None
                continue
            except Exception as exc:  # the answer does not unpickle here
                task.future.set_exception(WorkerError(f"the task's answer could not be read: "
                                                      f"{exc!r}"))
                return
            if kind == "took":
                took = True
                continue
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
