"""Places among the background jobs that may hold a worker at once, shared fairly between
organisations.

A plain semaphore served the jobs first come, first served: an organisation whose users had
queued a dozen long analyses held every place until all of them had run, and another
organisation's one job waited behind them all. Here a freed place goes to the waiting
organisation that holds the fewest places; among equals, to the one served longest ago (one
never served first), then to the one whose job came first: organisations take turns. Within
one organisation, its jobs run in the order they came. With one place and
organisations A (four jobs queued) and B (one, queued after them), the order is A, B, A, A, A
— not A, A, A, A, B.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque


class FairPlaces:
    """``places`` places given out per organisation (see the module's docstring). Used on
    one event loop; :meth:`acquire` and :meth:`release` are not thread-safe."""

    def __init__(self, places: int) -> None:
        if places < 1:
            raise ValueError("places must be at least 1")
        self.free = places
        self.held: Counter[str] = Counter()
        """Places held per organisation."""
        self._waiting: dict[str, deque[tuple[int, asyncio.Future[None]]]] = {}
        self._order = itertools.count()
        self._served: dict[str, int] = {}
        """Organisation → when it was last given a place (in :attr:`_order`'s count)."""

    @property
    def waiting(self) -> int:
        """Jobs waiting for a place."""
        return sum(len(q) for q in self._waiting.values())

    async def acquire(self, org: str) -> None:
        """Wait for a place for a job of ``org``. Cancelled while waiting, the job takes
        none (and gives back one it was given in the same moment)."""
        if self.free > 0 and not self._waiting:
            self._take(org)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting.setdefault(org, deque())
        entry = (next(self._order), fut)
        queue.append(entry)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # given a place as it was cancelled
                self.release(org)
            elif entry in queue:
                queue.remove(entry)
                if not queue:
                    del self._waiting[org]
            raise

    def release(self, org: str) -> None:
        """Give back a place ``org`` held; the next waiting job (:meth:`_next`) takes it."""
        if self.held[org] <= 0:
            raise RuntimeError(f"organisation {org!r} holds no place to give back")
        self.held[org] -= 1
        if not self.held[org]:
            del self.held[org]
        self.free += 1
        self._give()

    def _take(self, org: str) -> None:
        self.free -= 1
        self.held[org] += 1
        self._served[org] = next(self._order)

    def _give(self) -> None:
        """Hand free places to waiting jobs, each to :meth:`_next`'s organisation."""
        while self.free > 0 and self._waiting:
            org = self._next()
            queue = self._waiting[org]
            _, fut = queue.popleft()
            if not queue:
                del self._waiting[org]
            if fut.done():  # cancelled while it waited
                continue
            self._take(org)
            fut.set_result(None)

    def _next(self) -> str:
        """The waiting organisation holding the fewest places; among equals, the one served
        longest ago (never: first), then the one whose first waiting job came earliest."""
        return min(self._waiting, key=lambda o: (self.held[o], self._served.get(o, -1),
                                                 self._waiting[o][0][0]))
