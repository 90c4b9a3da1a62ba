"""Background simulation runs: compile, simulate and build the tables in budgeted worker
processes (:mod:`junkan.core.budget`); progress and results go to the store in this process.

A run's result is stored in one transaction with its "succeeded" status, so a killed server
never leaves half a result; runs left queued or running are marked failed at the next start.
A run that exceeds its budget fails with a message naming the limit and its setting; any
other unexpected failure is logged here with a reference that the stored message quotes, and
no internal detail reaches the user.
"""

from __future__ import annotations

import io
import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from junkan.core.budget import (
    WARM_MODULES,
    BudgetExceeded,
    BudgetPool,
    BudgetSettings,
    PoolBusy,
    PoolClosed,
    default_warm_up,
    report_progress,
    throttled,
)
from junkan.core.errors import JunkanError
from junkan.core.extras import install_hint, missing_extra
from junkan.store.repo import Store

log = logging.getLogger("junkan.jobs")

INTERRUPTED = "interrupted: the server stopped during the run; start it again"

#: What the service's worker processes import before their first task (pass it to every pool
#: the service makes: the first pool to start a worker decides what the fork server imports).
WARM = (*WARM_MODULES, "junkan.lifecycle", "junkan.indicators", "junkan.api.jobs",
        "junkan.api.work", "junkan.api.routers")


def warm_up() -> None:
    """In a new worker, before its first task: the kernel's warm-up plus one model load, so
    the schema and pint's caches exist before the memory baseline is measured."""
    from importlib import resources

    from junkan.lifecycle import load_model

    default_warm_up()
    text = (resources.files("junkan.data") / "examples" / "atm_reuse.yaml").read_text("utf-8")
    load_model(text=text, source="warm-up")


def simulate_run(content: str, scenario: str, overrides: dict[str, Any] | None,
                 source: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """In a worker: compile and simulate one scenario; the summary (with indicators) and
    each result table as Parquet. Reports progress (0–0.95) with
    :func:`~junkan.core.budget.report_progress`."""
    from junkan import indicators
    from junkan.core.encoding import jsonable
    from junkan.lifecycle import Result, compile_scenario, simulate_compiled

    compiled = compile_scenario(content, scenario, overrides or None, source=source)
    progress = throttled(lambda done, total: report_progress(0.95 * done / total))
    result = Result(simulate_compiled(compiled, scenario, progress))
    tables = {}
    for name, df in result.tables().items():
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        tables[name] = buf.getvalue()
    summary = dict(result.to_json())
    summary["indicators"] = jsonable(indicators.run(result).to_json())
    # the framework indicators carry their own units; the per-year series' units go with them
    units = dict(result.units())
    units.pop("indicators")
    summary["units"] = units
    return summary, tables


def internal_error(what: str, exc: BaseException) -> str:
    """Log ``exc`` with a fresh reference; the message for the user quotes only that. An
    optional dependency group that is not installed is no bug: the message names the extra
    and how to install it (:func:`~junkan.core.extras.missing_extra`)."""
    if (missing := missing_extra(exc)) is not None:
        log.warning("%s: %s", what, install_hint(*missing))
        return f"this {install_hint(*missing)}"
    ref = secrets.token_hex(6)
    log.error("%s failed (reference %s)", what, ref, exc_info=exc)
    return f"internal error (reference {ref}); the server log has the details"


class JobRunner:
    """Runs queued simulation runs, ``workers`` at a time, each in a worker process within
    the run budget (``JUNKAN_BUDGET_RUN_CPU_S``, ``JUNKAN_BUDGET_MEMORY_MB``,
    ``JUNKAN_BUDGET_RUN_WALL_S``). Its own pool by default (runs are long and must not starve
    request work); pass ``pool`` to share one."""

    def __init__(self, store: Store, workers: int = 2, *,
                 settings: BudgetSettings | None = None, pool: BudgetPool | None = None) -> None:
        self.store = store
        self.settings = settings or BudgetSettings()
        self.budget = self.settings.run_budget()
        self._own_pool = pool is None
        self.pool = pool or BudgetPool(self.settings, workers=workers, name="junkan-run",
                                       warm=WARM, warm_up=warm_up, eager=False)
        self.threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="junkan-run")
        self._stopping = threading.Event()

    def submit(self, run_id: str) -> None:
        self.threads.submit(self._run, run_id)

    def shutdown(self) -> None:
        self._stopping.set()
        self.threads.shutdown(wait=False, cancel_futures=True)
        if self._own_pool:
            self.pool.shutdown()

    def _execute(self, run_id: str, args: tuple[Any, ...]) -> tuple[dict[str, Any],
                                                                     dict[str, bytes]]:
        def progress(value: Any) -> None:
            self.store.set_progress(run_id, float(value))

        while True:
            try:
                return self.pool.run(simulate_run, *args, budget=self.budget,
                                     on_progress=progress)
            except PoolBusy as busy:  # only with a shared pool: wait, the run is queued
                if self._stopping.wait(busy.retry_after):
                    raise PoolClosed("the server is stopping") from None

    def _run(self, run_id: str) -> None:
        try:
            found = self.store.run_content(run_id)
            if found is None:
                return
            run, version = found
            self.store.mark_started(run_id)
            summary, tables = self._execute(run_id, (
                version.content, run.scenario, run.overrides or None,
                f"model {run.model_id} v{run.version}"))
            self.store.finish_run(run_id, summary, tables)
        except PoolClosed:
            self._fail(run_id, INTERRUPTED)
        except BudgetExceeded as exc:  # names the limit and its setting
            log.warning("run %s: %s", run_id, exc)
            self._fail(run_id, str(exc))
        except JunkanError as exc:  # an invalid model or override: the user's to fix
            self._fail(run_id, str(exc))
        except Exception as exc:  # a bug or a crashed worker: details in the log only
            self._fail(run_id, internal_error(f"run {run_id}", exc))

    def _fail(self, run_id: str, message: str) -> None:
        try:
            self.store.fail_run(run_id, message)
        except Exception:  # the store is gone (shutdown): the next start marks it interrupted
            log.exception("could not mark run %s failed", run_id)
