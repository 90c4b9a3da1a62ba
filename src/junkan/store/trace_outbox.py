"""The one delivery worker for the ledger's outbound requests (webhook notifications, PACT
callbacks).

A request to send is a row of ``trace_outbox``, written in the same transaction as what it
reports (a notification is sent if and only if its batch committed). A fixed, small pool of
threads (one by default) claims due rows — setting their ``next_at`` past a lease, so a
second process or thread does not take the same row, and a process that dies mid-delivery
leaves the row to be taken again when the lease ends — and delivers them through
:class:`junkan.core.outbound.OutboundPolicy`. A failure is retried with exponential backoff
(``backoff_s`` · 2^(attempt−1), at most an hour, ±10 % jitter) until ``max_attempts``. Rows
still pending when a process stops are picked up by the next worker that starts, in any
process on the same store. What is stored about a failure is "delivery failed" and the
attempt count; the reason goes to the server log only."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from junkan.core.outbound import DeliveryFailed, OutboundPolicy, OutboundRefused
from junkan.store.db import Database
from junkan.store.trace_tables import TraceNotification, TraceOutbox

log = logging.getLogger(__name__)

MAX_PENDING_PER_ORG = 1000
"""Pending deliveries of one kind one organisation may have queued; beyond, new ones are
refused (a flood of requests cannot grow the queue without bound)."""
LEASE_S = 120.0
"""How long a claimed delivery is reserved for its worker (longer than one attempt)."""
MAX_BACKOFF_S = 3600.0


@dataclass(frozen=True)
class Job:
    """A claimed delivery."""

    id: int
    kind: str
    org_id: str
    url: str
    body: str
    notification_id: int | None
    attempt: int
    max_attempts: int


Handler = Callable[[Job, OutboundPolicy], None]
"""Delivers a job (raises on failure: DeliveryFailed, OutboundRefused or anything else)."""


def enqueue(s: Session, kind: str, org_id: str, url: str, body: dict[str, Any], *,
            max_attempts: int, notification_id: int | None = None) -> bool:
    """Queue a delivery in the caller's transaction; False (nothing queued) when the
    organisation already has :data:`MAX_PENDING_PER_ORG` pending of this kind."""
    pending = s.scalar(select(func.count()).select_from(TraceOutbox).where(
        TraceOutbox.org_id == org_id, TraceOutbox.kind == kind,
        TraceOutbox.status == "pending")) or 0
    if pending >= MAX_PENDING_PER_ORG:
        log.warning("outbox: %s delivery for organisation %s not queued: %d pending",
                    kind, org_id, pending)
        return False
    now = datetime.now(UTC)
    s.add(TraceOutbox(kind=kind, org_id=org_id, url=url, body=json.dumps(
        body, separators=(",", ":"), allow_nan=False), notification_id=notification_id,
        status="pending", attempts=0, max_attempts=max(1, max_attempts), next_at=now,
        created_at=now, updated_at=now))
    return True


def _status(job: Job, ok: bool) -> str:
    """What a notification says about its delivery (no network detail)."""
    if ok:
        return f"delivered (attempt {job.attempt})"
    if job.attempt >= job.max_attempts:
        return f"delivery failed ({job.attempt} attempts)"
    return f"delivery failed (attempt {job.attempt} of {job.max_attempts}), retrying"


class Outbox:
    """The worker (a fixed pool of ``threads``) delivering ``trace_outbox`` rows of the kinds
    it has handlers for."""

    def __init__(self, db: Database, handlers: dict[str, Handler], *,
                 policy: OutboundPolicy | None = None, backoff_s: dict[str, float] | None = None,
                 threads: int = 1, poll_s: float = 1.0, lease_s: float = LEASE_S) -> None:
        if not 1 <= threads <= 8:
            raise ValueError("threads: between 1 and 8")
        self.db = db
        self.handlers = handlers
        self.policy = policy
        self.backoff_s = backoff_s or {}
        self.threads = threads
        self.poll_s = poll_s
        self.lease_s = lease_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    # ---- life cycle ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._workers)

    def start(self) -> Outbox:
        """Start the worker threads (idempotent); pending rows are delivered at once."""
        with self._lock:
            if self.running:
                return self
            if self.policy is None:
                self.policy = OutboundPolicy.from_env()
            self._stop.clear()
            self._workers = [threading.Thread(target=self._run, name=f"junkan-outbox-{i}",
                                              daemon=True) for i in range(self.threads)]
            for t in self._workers:
                t.start()
        self.wake()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop taking deliveries, let the ones under way finish (each is bounded by the
        policy's timeout) and wait for the threads."""
        self._stop.set()
        self._wake.set()
        for t in self._workers:
            t.join(timeout)
        self._workers = []

    def wake(self) -> None:
        """New rows were queued: look now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.deliver_due(limit=1, stoppable=True)
            except Exception:  # the store is away: wait, then try again
                log.warning("outbox: cannot read the queue", exc_info=True)
                worked = 0
            if not worked:
                self._wake.wait(self.poll_s)
                self._wake.clear()

    # ---- one pass ---------------------------------------------------------------------------
    def deliver_due(self, limit: int = 100, *, stoppable: bool = False) -> int:
        """Claim and deliver up to ``limit`` due rows in this thread; how many were tried
        (``stoppable``: give up as soon as :meth:`stop` is called)."""
        if self.policy is None:
            self.policy = OutboundPolicy.from_env()
        n = 0
        while n < limit and not (stoppable and self._stop.is_set()):
            job = self._claim()
            if job is None:
                break
            self._deliver(job, self.policy)
            n += 1
        return n

    def _claim(self) -> Job | None:
        now = datetime.now(UTC)
        with self.db.session() as s:
            for row in s.execute(select(TraceOutbox.id, TraceOutbox.next_at).where(
                    TraceOutbox.status == "pending", TraceOutbox.next_at <= now,
                    TraceOutbox.kind.in_(list(self.handlers)))
                    .order_by(TraceOutbox.next_at, TraceOutbox.id).limit(8)).all():
                got = s.execute(update(TraceOutbox).where(
                    TraceOutbox.id == row.id, TraceOutbox.status == "pending",
                    TraceOutbox.next_at <= now).values(
                    next_at=now + timedelta(seconds=self.lease_s),
                    attempts=TraceOutbox.attempts + 1, updated_at=now))
                if got.rowcount == 1:  # type: ignore[attr-defined]
                    o = s.get(TraceOutbox, row.id)
                    assert o is not None
                    return Job(o.id, o.kind, o.org_id, o.url, o.body, o.notification_id,
                               o.attempts, o.max_attempts)
        return None

    def _deliver(self, job: Job, policy: OutboundPolicy) -> None:
        ok = False
        try:
            self.handlers[job.kind](job, policy)
            ok = True
        except OutboundRefused as exc:
            log.warning("outbox: %s delivery %d for organisation %s refused by the outbound "
                        "policy: %s", job.kind, job.id, job.org_id, exc)
        except DeliveryFailed as exc:
            log.warning("outbox: %s delivery %d (attempt %d of %d) failed: %s", job.kind,
                        job.id, job.attempt, job.max_attempts, exc)
        except Exception:
            log.exception("outbox: %s delivery %d failed", job.kind, job.id)
        self._record(job, ok)

    def _record(self, job: Job, ok: bool) -> None:
        now = datetime.now(UTC)
        done = ok or job.attempt >= job.max_attempts
        delay = min(self.backoff_s.get(job.kind, 2.0) * 2 ** (job.attempt - 1), MAX_BACKOFF_S)
        delay *= 1 + random.uniform(-0.1, 0.1)  # noqa: S311  (jitter, not a secret)
        with self.db.session() as s:
            s.execute(update(TraceOutbox).where(TraceOutbox.id == job.id).values(
                status="delivered" if ok else "failed" if done else "pending",
                next_at=now if done else now + timedelta(seconds=delay), updated_at=now))
            if job.notification_id is not None:
                s.execute(update(TraceNotification).where(
                    TraceNotification.id == job.notification_id).values(
                    webhook_status=_status(job, ok)))

    # ---- reading ----------------------------------------------------------------------------
    def pending(self, kinds: Iterable[str] | None = None) -> int:
        """Rows still to deliver (of ``kinds``, default: this worker's)."""
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(TraceOutbox).where(
                TraceOutbox.status == "pending",
                TraceOutbox.kind.in_(list(kinds or self.handlers)))) or 0)
