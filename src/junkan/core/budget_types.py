"""Budgets of :mod:`junkan.core.budget`: settings, the per-task budget, the errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field

from junkan.core.errors import JunkanError
from junkan.core.settings import EnvSettings

try:  # POSIX only; elsewhere only the wall-clock limit applies
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]


T = TypeVar("T")
MiB = 1024 * 1024

Limit = Literal["cpu", "memory", "wall", "queue"]

#: Modules imported once, before any task: by the forkserver (every worker forked from it has
#: them) or by each spawned worker. ``__main__`` first, as multiprocessing does by default.
WARM_MODULES: tuple[str, ...] = (
    "__main__", "junkan.core.budget", "numpy", "pandas", "pyarrow", "pyarrow.parquet", "pint",
    "junkan.core.units",
)
"""The kernel's own list; an edge adds the capabilities its tasks use (``api.jobs.WARM``)."""


# ---- settings ---------------------------------------------------------------------------------
class BudgetSettings(EnvSettings):
    """Worker pool and budgets, from ``JUNKAN_BUDGET_*`` environment variables."""

    env_prefix: ClassVar[str] = "JUNKAN_BUDGET_"

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
    start: Literal["eager", "lazy"] = "eager"
    """When the service starts its workers: ``eager``, with the service (the first request
    does not wait for them), or ``lazy``, with the first task (for an app that may never need
    them: a test's, a one-off command's)."""
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
    retire: bool = False
    """Replace the worker after this task: a task that leaves a large heap mapped (a ledger
    audit: +150–200 MiB that the next task's memory budget would otherwise count)."""

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
    def problem_code(self) -> str:
        """The answer's ``code`` (``budget-cpu``, ``budget-memory``, ``budget-wall``,
        ``budget-queue``), which the web page translates."""
        return f"budget-{self.limit}"

    @property
    def problem_limit(self) -> float:
        return self.value

    @property
    def problem_setting(self) -> str | None:
        return self.setting

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


