"""The ledger audit behind ``GET /api/trace/verify``, away from the service's process.

An audit replays the whole ledger (:meth:`junkan.store.trace_audit.AuditMixin.audit`): 18 s
of CPU for 229,000 events, over a minute for a million. Run in the service's own process it
held the interpreter against every other request; here it runs in a budgeted worker process
of the background jobs' pool (:func:`junkan.api.background._pool`), within the audit's budget
(:class:`AuditBudget`, ``JUNKAN_BUDGET_AUDIT_*``). The worker opens the same store from its
URL (only plain data crosses the process boundary: the URL and the master-key settings) and
sends the :class:`~junkan.store.trace_verify.Audit` back; the service keeps it for a minute
and callers at the same time share one (:meth:`~junkan.store.trace_audit.AuditMixin.
shared_audit`).

The function named ``*_job`` runs inside a worker."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import ClassVar

from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from junkan.api import background
from junkan.core.budget import Budget
from junkan.core.settings import EnvSettings
from junkan.store.db import Database
from junkan.store.trace_audit import master_key_settings
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_verify import Audit

ENV_PREFIX = "JUNKAN_BUDGET_AUDIT_"


class AuditBudget(EnvSettings):
    """The budget of one ledger audit for the verify route, from ``JUNKAN_BUDGET_AUDIT_*``
    environment variables. Measured on the benchmark ledger (benchmarks/
    trace_verify_bench.py, 229,000 events): 18 s of CPU and 650 MiB of address space in the
    worker, so the defaults hold about 2.5 million events (memory is the first limit a
    larger ledger reaches: raise it with the ledger). ``junkan trace verify`` audits
    without them."""

    env_prefix: ClassVar[str] = ENV_PREFIX

    cpu_s: float = Field(default=600, gt=0, le=86_400)
    """CPU seconds one audit may use (65–80 s per million events)."""
    memory_mb: int = Field(default=8192, ge=16, le=1_048_576)
    """Address space (MiB) one audit may add to its warmed worker (``RLIMIT_AS``; about
    2.9 GB per million events)."""
    wall_s: float = Field(default=1800, gt=0, le=86_400)
    """Wall-clock seconds one audit may take, waiting for a free worker included."""

    def budget(self) -> Budget:
        # the worker is replaced after an audit: it leaves 150–200 MiB mapped on the
        # benchmark ledger, which the next task's memory budget would count
        return Budget(self.cpu_s, self.memory_mb, self.wall_s, subject="ledger audit",
                      settings=(ENV_PREFIX + "CPU_S", ENV_PREFIX + "MEMORY_MB",
                                ENV_PREFIX + "WALL_S"), retire=True)


# ---- worker side ---------------------------------------------------------------------------
def trace_audit_job(database_url: str, key_settings: dict[str, str]) -> Audit:
    """In a worker: the store at ``database_url`` audited with the master keys the service
    is configured with (``key_settings``: its ``JUNKAN_SECRET_KEY`` / ``JUNKAN_KEY_FILE``).
    The signatures are checked in this process (a budgeted worker may start none, and its
    CPU budget then covers the whole audit)."""
    db = Database(database_url)
    try:
        return TraceRepo(db).audit(processes=0, key_env=key_settings)
    finally:
        db.engine.dispose()


# ---- service side --------------------------------------------------------------------------
AUDIT_TURN = "(ledger audit)"
"""The audit's turn among the organisations' jobs for a place (it is the service's own
work, not one organisation's: :func:`~junkan.api.background.place`)."""


def _start(trace: TraceRepo) -> Future[Audit]:
    """The audit, begun in the run pool once it holds a place there
    (:func:`~junkan.api.background.place`): without one, an audit of up to 30 minutes beside
    one analysis held both run workers and simulation runs waited (review 2026-12-03)."""
    done: Future[Audit] = Future()

    async def run() -> None:
        try:
            async with background.place(AUDIT_TURN):
                audit = await background._pool().run_async(
                    trace_audit_job, trace.db.url, master_key_settings(),
                    budget=AuditBudget().budget())
        except BaseException as exc:  # the callers see it, as from the pool's future
            done.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            done.set_result(audit)

    task = asyncio.get_running_loop().create_task(run())
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return done


_RUNNING: set[asyncio.Task[None]] = set()
"""Audits under way (the reference keeps each task alive until it ends)."""


async def recent_audit(trace: TraceRepo) -> Audit:
    """The ledger's audit at most :attr:`~junkan.store.trace_audit.AuditMixin.AUDIT_REUSE_S`
    old, shared by concurrent callers, run in a budgeted worker (a refusal raises
    :class:`~junkan.core.budget.BudgetExceeded`). A caller that goes away leaves the audit
    running for the others. An in-memory SQLite store, which no other process can open, is
    audited in this process."""
    if trace.db.dialect == "sqlite" and trace.db.sqlite_path is None:
        return await run_in_threadpool(trace.recent_audit)
    running = trace.shared_audit(lambda: _start(trace))
    return await asyncio.shield(asyncio.wrap_future(running))
