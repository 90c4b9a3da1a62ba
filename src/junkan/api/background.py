"""Background jobs kept in the store (:mod:`junkan.store.analyses_repo`): accepted with 202,
run in a budgeted worker (``junkan.core.budget``, the run budget ``JUNKAN_BUDGET_RUN_*``),
polled until they succeed with their document or fail with their message. Each is its
starter's only, and an accepted one survives a restart: its call is kept
(:mod:`junkan.api.job_requests`) and one left unfinished runs again (:func:`resume`).

While a job runs, the last progress its worker sent (``report_progress``: a fraction, or a
small document such as a network solve's latest plan) is kept in memory and shown by
:func:`job_doc`; it is a view of work in progress, not a result, and is not stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import ValidationError

from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND
from junkan.api.errors import coded_refusal
from junkan.api.fair_places import FairPlaces
from junkan.api.job_requests import decode, encode
from junkan.api.jobs import internal_error
from junkan.core import budget
from junkan.core.budget import BudgetExceeded, BudgetPool, BudgetSettings, PoolBusy, PoolClosed
from junkan.core.errors import JunkanError
from junkan.store.analyses_repo import INTERRUPTED, UNFINISHED
from junkan.store.repo import Store, TooManyAnalyses
from junkan.store.repo_base import aware
from junkan.store.tables import Analysis, User

JobId = Annotated[str, Path(max_length=64)]
MAX_ACTIVE = 2
"""Jobs one user may have queued or running at once."""
MAX_KEPT = 50
"""Finished jobs kept per user (oldest dropped first)."""

log = logging.getLogger(__name__)
_TASKS: dict[str, asyncio.Task[None]] = {}
"""Job id → its running task (the reference keeps the task alive until it ends)."""
_STOPPED: set[str] = set()
"""Jobs their starter cancelled (a task cancelled otherwise is the server stopping)."""
CANCELLED = "cancelled by the user who started it"
USER_DELETED = "stopped: the user who started it was deleted"
USER_DISABLED = "stopped: the user who started it was disabled"
_PROGRESS: dict[str, Any] = {}
"""Job id → the last progress its worker reported (while it runs)."""
_POOL: BudgetPool | None = None
"""The workers jobs run in (:func:`use_pool`); ``None``: the request pool."""


def use_pool(pool: BudgetPool | None) -> None:
    """Run background jobs in ``pool``. The service gives them the run workers' pool: in
    the request pool, one user's two long jobs held both workers and another user's
    request waited for them (a validation: 167 s instead of 0.01 s). Giving a pool (again)
    opens the jobs' places anew (:func:`_slot`); ``None`` closes them (the service is
    stopping): jobs still waiting for one stay queued, to run at the next start, or end as
    interrupted when their call could not be kept."""
    global _POOL, _CLOSED
    _POOL, _CLOSED = pool, pool is None
    _SLOTS.clear()


def _pool() -> BudgetPool:
    pool = _POOL
    return pool if pool is not None and not pool.closed else budget.default_pool()


_CLOSED = False
"""Whether the service stopped giving jobs workers (:func:`use_pool` with ``None``)."""
_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FairPlaces] = (
    weakref.WeakKeyDictionary())
"""Per event loop: the places of the jobs that may hold a worker at once (:func:`_slot`)."""
_WAITING: Counter[str] = Counter()
"""Jobs accepted and waiting for a place, per organisation."""


def _slot() -> FairPlaces:
    """The places among the jobs allowed to hold a worker at once: one fewer than the
    workers (at least one), so that a worker stays free for simulation runs. Without it, two
    users' long analyses held both run workers and every organisation's runs waited behind
    them (a 0.15 s run took 16 s, review 2026-12-03). A freed place goes to the waiting
    organisation holding the fewest (:class:`~junkan.api.fair_places.FairPlaces`), not to
    the oldest job. A job waiting here is still ``queued``."""
    global _CURRENT
    loop = asyncio.get_running_loop()
    if loop not in _SLOTS:
        _SLOTS[loop] = FairPlaces(max(1, int(_pool().stats()["workers"]) - 1))
    _CURRENT = _SLOTS[loop]
    return _CURRENT


_CURRENT: FairPlaces | None = None
"""The places last handed out, read by :func:`job_doc` (in a request's thread: a snapshot
of a few counters, not a decision)."""


def _queue() -> dict[str, int] | None:
    """How busy the job places are, for a queued job's poll (review 264: it said nothing
    while a long job of another user held the only place): places, those running, jobs
    waiting (every organisation's: counts only)."""
    places = _CURRENT
    if places is None:
        return None
    running = sum(places.held.values())
    return {"places": running + places.free, "running": running, "waiting": places.waiting}


def job_doc(job: Analysis, result: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a poll answers: id, kind, status, times, error (and a refusal's coded
    ``problems``, :func:`~junkan.api.errors.coded_refusal`); the result once succeeded; the
    last progress while queued or running; while queued, how busy the job places are
    (``queue``: places, running, waiting)."""
    out: dict[str, Any] = {
        "id": job.id, "kind": job.kind, "status": job.status,
        "created_at": aware(job.created_at).isoformat(),
        "finished_at": aware(job.finished_at).isoformat() if job.finished_at else None,
        "error": job.error, **({"problems": job.problems} if job.problems else {})}
    if job.status in UNFINISHED:
        out["progress"] = _PROGRESS.get(job.id)
    if job.status == "queued" and (queue := _queue()) is not None:
        out["queue"] = queue
    if result is not None or job.status == "succeeded":
        out["result"] = result
    return out


@contextlib.contextmanager
def _waiting(org: str) -> Iterator[None]:
    """Count one job of ``org`` as waiting (:data:`_WAITING`) while inside."""
    _WAITING[org] += 1
    try:
        yield
    finally:
        _WAITING[org] -= 1
        if _WAITING[org] <= 0:
            del _WAITING[org]


@contextlib.asynccontextmanager
async def place(org: str) -> AsyncIterator[None]:
    """Hold a place among the jobs that may hold a worker at once (:func:`_slot`) for work
    of organisation ``org`` — a background job, or other long work in the run pool such as
    the ledger audit — waiting for one as long as needed (places go to organisations in
    turn). Raises :class:`PoolClosed` when the service is stopping (then no pool is made for
    the work)."""
    if _CLOSED:
        raise PoolClosed
    with _waiting(org):
        places = _slot()
        await places.acquire(org)
    try:
        if _CLOSED:  # the service stopped while this work waited for a place
            raise PoolClosed
        yield
    finally:
        places.release(org)


async def _execute(store: Store, job_id: str, org: str, what: str,
                   fn: Callable[..., dict[str, Any]], args: tuple[Any, ...],
                   kept: bool = False) -> None:
    """Run ``fn(*args)`` in a budgeted worker, in organisation ``org``'s turn; its outcome
    goes to the store. Stopped by the service's end, a job whose call is ``kept`` in the
    store is left unfinished, to run again at the next start (:func:`resume`)."""

    def progress(value: Any) -> None:
        _PROGRESS[job_id] = value

    try:
        async with place(org):
            if not store.analysis_started(job_id):
                return  # cancelled while it waited, or ended meanwhile: nothing to run
            doc = await _pool().run_async(fn, *args, budget=BudgetSettings().run_budget(),
                                          on_progress=progress)
        store.finish_analysis(job_id, doc)
    except (JunkanError, BudgetExceeded, ValueError, KeyError) as exc:
        store.fail_analysis(job_id, _said(exc), coded_refusal(exc))
    except PoolClosed:
        if not kept:
            with contextlib.suppress(Exception):  # the store may be gone: the next start
                store.fail_analysis(job_id, INTERRUPTED)  # fails it
    except asyncio.CancelledError:
        if job_id not in _STOPPED:
            raise  # the server is stopping: the next start resumes it (or fails it)
        store.fail_analysis(job_id, CANCELLED)
    except Exception as exc:  # a bug or a crashed worker: details in the log only
        with contextlib.suppress(Exception):
            store.fail_analysis(job_id, internal_error(f"{what} {job_id}", exc))
    finally:
        _PROGRESS.pop(job_id, None)
        _STOPPED.discard(job_id)


def _said(exc: Exception) -> str:
    """What a refused job's error says: the exception's message (its first argument when
    that is text: a KeyError's key unquoted), else its whole text — a pydantic error's
    first argument is only the model's name ("OptimiseSpec", review 212)."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, str) and not isinstance(exc, ValidationError) \
        else str(exc)


async def start(store: Store, user: User, kind: str, fn: Callable[..., dict[str, Any]],
                *args: Any) -> dict[str, Any]:
    """Accept a job of ``kind`` for ``user`` (429 with Retry-After when the user has
    :data:`MAX_ACTIVE` unfinished, 503 when the user's organisation already has as many
    jobs waiting for a place as the pool's queue takes) and run ``fn(*args)`` in the
    background; the job's document (status ``queued``). The queue is counted per
    organisation: counted over all, one organisation's users filled it and every other
    organisation's job was refused until theirs had run (review 219); places are handed out
    in turn (:class:`~junkan.api.fair_places.FairPlaces`), so another organisation's job
    accepted behind them runs next. The call is encoded and stored in a thread: a request
    of 16 MiB took 0.1 s to encode twice (to bound it, then as the store's JSON), which held
    the event loop (review 265)."""
    org = str(user.org_id)
    waiting, most = _WAITING[org], BudgetSettings().queue
    if waiting >= max(most, 1):  # as the pool refuses a task beyond its queue
        exc = PoolBusy(waiting, 30)
        raise HTTPException(503, {"message": str(exc), "code": exc.problem_code,
                                  "limit": most, "setting": exc.setting},
                            headers={"Retry-After": "30"})
    try:
        with _waiting(org):  # counted while accepted, so requests meanwhile see it
            job, request = await asyncio.to_thread(_accept, store, user, kind, fn, args)
    except TooManyAnalyses as exc:
        raise HTTPException(429, {"message": str(exc), "code": "too-many-analyses",
                                  "limit": MAX_ACTIVE}, headers={"Retry-After": "10"}) from None
    _launch(store, job.id, org, kind, fn, args, request is not None)
    return job_doc(job)


def _accept(store: Store, user: User, kind: str, fn: Callable[..., dict[str, Any]],
            args: tuple[Any, ...]) -> tuple[Analysis, dict[str, Any] | None]:
    """The queued job with its call kept (``None``: a call that cannot be kept)."""
    request = encode(fn, args)
    return store.create_analysis(user, kind, max_active=MAX_ACTIVE, max_kept=MAX_KEPT,
                                 request=request), request


def _launch(store: Store, job_id: str, org: str, kind: str, fn: Callable[..., dict[str, Any]],
            args: tuple[Any, ...], kept: bool) -> None:
    task = asyncio.create_task(_execute(store, job_id, org, f"{kind} job", fn, args, kept))
    _TASKS[job_id] = task
    task.add_done_callback(lambda _: _TASKS.pop(job_id, None))


def resume(store: Store, left: list[tuple[str, str, str, dict[str, Any]]]) -> int:
    """Run again the jobs a stopped server left unfinished (``(id, organisation, kind,
    request)`` from :meth:`~junkan.store.repo.Store.resume_interrupted_analyses`, each
    queued again), in the order they were accepted; one whose request names no job
    function is failed as interrupted. How many were started. Past (review 264): every one,
    even a queued job that had never started, was failed as interrupted at the next start."""
    started = 0
    for job_id, org, kind, request in left:
        try:
            fn, args = decode(request)
        except Exception as exc:  # a request no job can be made of: the rest still start
            log.warning("job %s cannot be resumed: %s", job_id, exc)
            store.fail_analysis(job_id, INTERRUPTED)
            continue
        _launch(store, job_id, org, kind, fn, args, True)
        started += 1
    return started


async def cancel(store: Store, user: User, job_id: str, kinds: tuple[str, ...]
                 ) -> dict[str, Any] | None:
    """Stop the user's unfinished job of one of ``kinds`` (its worker is replaced) and mark
    it failed with :data:`CANCELLED`; a finished one is left as it is. The job's document
    afterwards, or None as :func:`read` answers it."""
    if read(store, user, job_id, kinds) is None:
        return None
    if not await _stop(job_id) and (found := store.get_analysis(user.id, job_id)) is not None \
            and found[0].status == "queued":  # accepted, its task not started (or lost)
        store.fail_analysis(job_id, CANCELLED)
    return read(store, user, job_id, kinds)


async def stop_all(store: Store, user_id: str, reason: str = USER_DELETED) -> int:
    """Stop every unfinished job of a deleted or disabled user (its result would reach no
    one, and it held a job place up to its budget; reviews 219, 254), marking each failed
    with ``reason`` (:data:`USER_DELETED`, :data:`USER_DISABLED`); how many were stopped."""
    stopped = 0
    for job in store.list_analyses(user_id):
        if job.status not in UNFINISHED:
            continue
        cancelled = await _stop(job.id)
        # one that finished while another was being stopped keeps its result (review 221)
        store.fail_analysis(job.id, reason, unfinished_only=not cancelled)
        stopped += 1
    return stopped


async def _stop(job_id: str) -> bool:
    """Cancel the job's task if it is running or waiting for a place (its worker is
    replaced; its own handler marks it :data:`CANCELLED`) and wait for it to end; whether
    there was one to cancel."""
    task = _TASKS.get(job_id)
    if task is None or task.done():
        return False
    _STOPPED.add(job_id)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return True


def read(store: Store, user: User, job_id: str, kinds: tuple[str, ...]
         ) -> dict[str, Any] | None:
    """The user's job of one of ``kinds`` (None for another's, another kind or a missing
    one: they read alike)."""
    found = store.get_analysis(user.id, job_id)
    if found is None or found[0].kind not in kinds:
        return None
    return job_doc(*found)


def listed(store: Store, user: User, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """The user's jobs of ``kinds`` without their results, newest first."""
    return [{k: v for k, v in job_doc(job).items() if k != "result"}
            for job in store.list_analyses(user.id) if job.kind in kinds]


def add_routes(router: APIRouter, base: str, tag: str, kinds: tuple[str, ...],
               noun: str, plural: str | None = None) -> None:
    """``GET base`` (the caller's jobs of ``kinds``), ``GET base/{job_id}`` (one, with its
    progress, result or error) and ``DELETE base/{job_id}`` (stop it) on ``router``; another
    user's job, or one of another kind, is 404. ``noun`` (and ``plural``) name the jobs in
    the docs."""
    def list_jobs(user: CurrentUser, s: StoreDep) -> list[dict[str, Any]]:
        return listed(s, user, kinds)

    def read_job(job_id: JobId, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
        found = read(s, user, job_id, kinds)
        if found is None:
            raise NOT_FOUND
        return found

    async def cancel_job(job_id: JobId, user: CurrentUser, s: StoreDep) -> dict[str, Any]:
        found = await cancel(s, user, job_id, kinds)
        if found is None:
            raise NOT_FOUND
        return found

    list_jobs.__doc__ = f"Your {plural or noun + 's'} (without their results), newest first."
    read_job.__doc__ = (f"A {noun}'s status and progress, then its result or error (404 if "
                        "it is not yours).")
    cancel_job.__doc__ = (f"Stop your unfinished {noun} (it ends as failed, \"cancelled …\"); "
                          "a finished one is left as it is. 404 if it is not yours.")
    router.add_api_route(base, list_jobs, methods=["GET"], tags=[tag])
    router.add_api_route(base + "/{job_id}", read_job, methods=["GET"], tags=[tag])
    router.add_api_route(base + "/{job_id}", cancel_job, methods=["DELETE"], tags=[tag])
