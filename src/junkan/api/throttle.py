"""Sign-in throttling and the Argon2 pool.

* **Throttling.** Failed sign-ins are counted per account (the e-mail address, or the API
  client id on ``/oauth/token``) and per client address, in the ``login_throttle`` table, so
  every worker process and every replica on the same database sees the same counts. An
  account is locked after 5 failures for 30 s, doubling with each further failure up to 15
  minutes; an address after 50 failures, likewise up to 1 hour. A locked key answers **429**
  with ``Retry-After`` before any password is checked (a right password is refused too);
  failures are forgotten an hour after the last one (or the end of the last lock); a success
  resets the account's count (an address's count only loses that attempt). Unknown accounts
  are counted exactly like known ones, so a lock-out says nothing about existence.
* **Argon2 pool.** Every password and client-secret hash runs in a small thread pool of its
  own (2 threads; at most 8 more waiting), never in the event loop or the shared thread pool,
  so a flood of sign-ins cannot slow other requests. When the pool is full the request gets
  **503** with ``Retry-After: 1`` at once.

Every number is a setting (:class:`AccountSettings`, environment ``JUNKAN_*``).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from junkan.core.settings import EnvSettings
from junkan.store.repo import Lockout, Store

T = TypeVar("T")


class AccountSettings(EnvSettings):
    """Sign-in limits (environment ``JUNKAN_<NAME>``)."""

    env_prefix: ClassVar[str] = "JUNKAN_"

    login_account_failures: int = Field(5, ge=1)
    """Failed sign-ins of one account (or API client) before it is locked."""
    login_address_failures: int = Field(50, ge=1)
    """Failed sign-ins from one client address (IPv6: its /64) before it is locked."""
    login_lockout_seconds: float = Field(30.0, gt=0)
    """First lock; each further failure doubles it."""
    login_account_lockout_max_seconds: float = Field(900.0, gt=0)
    login_address_lockout_max_seconds: float = Field(3600.0, gt=0)
    login_forget_seconds: float = Field(3600.0, gt=0)
    """Failures are forgotten this long after the last one (or the end of the last lock)."""
    password_hash_workers: int = Field(2, ge=1)
    """Threads hashing and verifying passwords and client secrets (Argon2id)."""
    password_hash_queue: int = Field(8, ge=0)
    """Hash requests that may wait for a thread; beyond that: 503."""


class HashPool:
    """A bounded thread pool for Argon2 work. :meth:`run` never waits for a place: when
    ``workers + queue`` jobs are already in flight it raises 503 at once."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="junkan-argon2")
        self._slots = threading.BoundedSemaphore(workers + queue)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if not self._slots.acquire(blocking=False):
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                {"message": "too many sign-ins at once; try again in a second",
                                 "code": "sign-in-busy"},
                                headers={"Retry-After": "1"})
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def throttle_key(kind: str, subject: str) -> str:
    """The ``login_throttle`` key of an ``account`` (e-mail), ``client`` (client id) or
    ``address``."""
    if kind != "address":
        subject = subject.strip().lower()
    return hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()


def client_address(request: Request) -> str:
    """The caller's address as throttled: IPv6 by /64 (one host usually owns a /64)."""
    host = request.client.host if request.client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def too_many(seconds: float) -> HTTPException:
    wait = max(1, math.ceil(seconds))
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                         {"message": f"too many failed sign-ins; try again in {wait} s",
                          "code": "sign-in-throttled", "wait": wait},
                         headers={"Retry-After": str(wait)})


class Accounts:
    """One app's sign-in machinery: the Argon2 pool and the throttle rules."""

    def __init__(self, store: Store, settings: AccountSettings | None = None) -> None:
        self.store = store
        self.settings = s = settings or AccountSettings()
        self.pool = HashPool(s.password_hash_workers, s.password_hash_queue)
        self.account_rule = Lockout(s.login_account_failures, s.login_lockout_seconds,
                                    s.login_account_lockout_max_seconds,
                                    s.login_forget_seconds)
        self.address_rule = Lockout(s.login_address_failures, s.login_lockout_seconds,
                                    s.login_address_lockout_max_seconds,
                                    s.login_forget_seconds)

    async def hashing(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` (which hashes or verifies) in the Argon2 pool."""
        return await self.pool.run(fn, *args)

    async def sign_in(self, request: Request, kind: str, subject: str,
                      check: Callable[[], T | None]) -> T | None:
        """Run ``check`` (a password or secret verification returning the user or None)
        under the throttle for account ``kind:subject`` and the caller's address. Raises 429
        (locked) or 503 (pool full); returns what ``check`` returned."""
        account = throttle_key(kind, subject)
        address = throttle_key("address", client_address(request))
        wait = await run_in_threadpool(self.store.throttle_retry_after, [account, address])
        if wait:
            raise too_many(wait)
        rules = {account: self.account_rule, address: self.address_rule}

        def attempt() -> tuple[float | None, T | None]:
            wait = self.store.throttle_begin(rules)
            if wait:
                return wait, None
            result = check()
            if result is not None:
                self.store.throttle_success([account], [address])
            return None, result

        wait, result = await self.pool.run(attempt)
        if wait:
            raise too_many(wait)
        return result


async def get_accounts(request: Request) -> Accounts:
    """The app's :class:`Accounts`, made on first use (an ``async`` dependency, so it runs on
    the event loop and is made once). An app may set ``app.state.accounts`` itself."""
    accounts: Accounts | None = getattr(request.app.state, "accounts", None)
    if accounts is None:
        accounts = Accounts(request.app.state.store,
                            getattr(request.app.state, "account_settings", None))
        request.app.state.accounts = accounts
    return accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]
